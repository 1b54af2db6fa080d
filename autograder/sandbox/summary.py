"""The limits in force, in words, once per grading run.

    print(limits_summary("auto"), file=sys.stderr)     # the batch runner and Gradescope's do this

    sandbox: isolation bwrap (namespaces: pid, net, ipc, uts, cgroup, mount)
      cgroups:    cgroup v1 (memory, pids, cpu)
      memory:     4 GiB per worker, children, shared memory, tmpfs and kernel memory included; ...
      ...

Every line is what a worker started now would get, including what this
machine cannot give (no cgroups, no Landlock), so that a run's log says
what its grades were protected by. docs/SECURITY.md explains each line.
"""
import sys

from . import isolation as isolation_module  # `isolation` is the argument's name
from . import seccomp
from .isolation import GiB, MiB, Limits
from .trusted import TrustedLimits


def _size(n):
    return f"{n / GiB:g} GiB" if n >= GiB else f"{n / MiB:g} MiB"


def worker_limits(sandbox):
    """The `Limits` a worker gets from an assignment's [sandbox] settings (course.manifest.Sandbox:
    memory_mb, processes, threads, budget_s), as the suites' `student` fixture passes them to RemoteCode."""
    return Limits(memory_bytes=int(sandbox.memory_mb) * MiB, processes=int(sandbox.processes),
                  threads=int(sandbox.threads), cpu_seconds=int(sandbox.budget_s) + 60)


def limits_summary(isolation="auto", limits=Limits(), trusted=TrustedLimits(), python=sys.executable):
    """Text (several lines) describing the sandbox a worker at `isolation` gets here.
    Raises SandboxError where that level cannot run, as grading would."""
    level = isolation_module.choose(isolation, python).level
    if level == "none":
        return ("sandbox: isolation none: student code runs UNCONFINED as the grader's user "
                "(for trusted code only)")
    support = isolation_module.cgroup_support()
    report = isolation_module.probe(level, python, isolation_module.protected_paths())[1]
    abi = isolation_module.landlock_abi() if level == "rlimits" else 0
    if level == "bwrap":
        head = "isolation bwrap (namespaces: pid, net, ipc, uts, cgroup, mount)"
        tmp = f"private /tmp: tmpfs of {_size(limits.tmp_bytes)} and {limits.tmp_inodes} inodes"
        hidden = "yes (pid namespace)"
    else:
        head = "isolation rlimits (no namespaces)"
        tmp = (f"scratch: its home folder under {_tmp_root()} on the host (file size up to "
               f"{_size(limits.file_bytes)}; NO size or inode limit)")
        hidden = ("yes (Landlock: no other process's /proc)" if abi and not report.get("grader_visible")
                  else "NO: the worker can read other processes' command lines")
    if support.version:
        memory = (f"{_size(limits.memory_bytes)} per worker, children, shared memory, tmpfs and kernel "
                  f"memory included{'' if support.swap else ' (swap not accounted)'}; address space "
                  f"{_size(limits.address_space_bytes)} per process")
        processes = f"{limits.processes} processes and threads (pids.max, RLIMIT_NPROC)"
        cpu = f"{limits.threads} core(s) (quota), {limits.threads} thread(s) per math library"
    else:
        memory = (f"address space {_size(limits.address_space_bytes)} per process ONLY (RLIMIT_AS): "
                  "children, shared memory and tmpfs are not counted")
        processes = f"{limits.processes} processes and threads per uid (RLIMIT_NPROC)"
        cpu = f"no quota; {limits.threads} thread(s) per math library"
    sockets = "AF_UNIX only" if level == "bwrap" or abi >= 6 else "none"
    lines = [
        f"sandbox: {head}",
        f"  cgroups:    {support.describe()}",
        f"  memory:     {memory}",
        f"  processes:  {processes}",
        f"  cpu:        {cpu}; {limits.cpu_seconds} s of CPU time",
        f"  files:      {tmp}; {limits.open_files} open files",
        f"  seccomp:    {'on' if report.get('seccomp') else 'OFF'} ({len(seccomp.denied_names())} system "
        f"calls refused, namespace flags of clone refused; sockets: {sockets})",
        f"  landlock:   " + (f"on (ABI {abi}: file system, TCP" + (", abstract sockets, signals)" if abi >= 6 else ")")
                             if abi else ("not used (namespaces instead)" if level == "bwrap" else "OFF (unavailable)")),
        f"  hidden:     processes {hidden}; protected paths checked unreadable: {len(isolation_module.protected_paths())}",
        f"  {trusted.describe(support)}",
    ]
    return "\n".join(lines)


def _tmp_root():
    import tempfile
    return tempfile.gettempdir()
