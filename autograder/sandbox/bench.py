"""What the sandbox's confinement costs, measured on this machine.

    python -m autograder.sandbox.bench [--repeat 5] [--torch]

Prints one line per measurement (best of --repeat, in milliseconds unless
said), with the load average, since the machine may be shared:

    cgroup create / remove     one worker's group (cgroups.Group), made and removed
    seccomp program            building the BPF program (the worker installs it itself)
    probe LEVEL                the start-up probe, once per grading process
    worker LEVEL ...           RemoteCode start + one call + close: as graded, without
                               its cgroup, and without seccomp/Landlock (the difference
                               is what each costs per worker)
    15 calls LEVEL             start + 15 calls with 2.5 MB arrays + close (a typical
                               hidden test's traffic)
    torch LEVEL                (--torch) a worker that preloads torch: ready time, and
                               torch's import time, VmHWM and the cgroup's peak inside it

Nothing here asserts a time: tests check behaviour; this records speed.
"""
import argparse
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from . import cgroups, isolation, seccomp
from .remote import RemoteCode

MODULE = "benchpkg.calls"
FILES = {
    "benchpkg/__init__.py": "",
    "benchpkg/calls.py": """
        import time

        def add(a, b):
            return a + b

        def torch_facts():
            begun = time.monotonic()
            import torch
            imported = time.monotonic() - begun
            with open("/proc/self/status") as f:
                status = dict(line.split(":", 1) for line in f)
            return {"import_s": imported, "vm_hwm_mib": int(status["VmHWM"].split()[0]) / 1024,
                    "vm_peak_mib": int(status["VmPeak"].split()[0]) / 1024, "threads": torch.get_num_threads()}
    """,
}


def write_submission(root):
    for relative, text in FILES.items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def best_of(repeat, run):
    times = []
    for _ in range(repeat):
        begun = time.perf_counter()
        run()
        times.append(time.perf_counter() - begun)
    return min(times)


def unconfined(launch_class):
    """`launch_class` whose worker installs neither seccomp nor Landlock (for comparison only)."""
    class Unconfined(launch_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.confinement = {}
    return Unconfined


def one_call(submission, level, wrap=None, calls=1, argument=1):
    with RemoteCode(submission, isolation=level) as code:
        if wrap is not None:
            code.launch_class = wrap(code.launch_class)
        for _ in range(calls):
            code.function(MODULE, "add")(argument, 1.0)


def without_cgroups(run):
    saved = isolation.cgroup_support
    isolation.cgroup_support = lambda: cgroups.Support(problem="disabled for the benchmark")
    try:
        return run()
    finally:
        isolation.cgroup_support = saved


def report(what, seconds, unit="ms"):
    value = f"{seconds * 1e3:8.1f} ms" if unit == "ms" else f"{seconds:8.2f} s "
    print(f"{what:<44} {value}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--torch", action="store_true", help="also time a worker that preloads torch")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {sys.executable}")
    support = isolation.cgroup_support()
    print(f"cgroups: {support.describe()}")
    if support.version:
        made, removed = [], []
        for _ in range(args.repeat):
            begun = time.perf_counter()
            group = cgroups.Group(support, f"bench-{os.getpid()}", memory_bytes=2**30, pids=64, cpus=1)
            made.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            group.remove()
            removed.append(time.perf_counter() - begun)
        report("cgroup create", min(made))
        report("cgroup remove", min(removed))
    report("seccomp program", best_of(args.repeat, seccomp.program))
    levels = [level for level in ("bwrap", "rlimits") if not isolation.level_problem(level)]
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as root:
        os.chmod(root, 0o755)
        submission = write_submission(root)
        array = np.random.default_rng(0).standard_normal((100, 3072))
        for level in levels:
            isolation.probe.cache_clear()
            begun = time.perf_counter()
            isolation.probe(level, sys.executable, isolation.protected_paths())
            report(f"probe {level} (once per process)", time.perf_counter() - begun)
        for level in ["none"] + levels:
            one_call(submission, level)  # warm the page cache and the probe
            report(f"worker {level}: start + 1 call + close", best_of(args.repeat, lambda: one_call(submission, level)))
            if level != "none":
                if support.version:
                    report(f"worker {level}: ... without its cgroup",
                           without_cgroups(lambda: best_of(args.repeat, lambda: one_call(submission, level))))
                report(f"worker {level}: ... without seccomp/Landlock",
                       best_of(args.repeat, lambda: one_call(submission, level, unconfined)))
            report(f"15 calls {level} (2.5 MB arrays)",
                   best_of(args.repeat, lambda: one_call(submission, level, calls=15, argument=array)))
        if args.torch:
            for level in levels:
                begun = time.perf_counter()
                with RemoteCode(submission, isolation=level, preload=["torch"], startup_timeout=300) as code:
                    code.function(MODULE, "add")(1, 1)
                    ready = time.perf_counter() - begun
                    facts = code.function(MODULE, "torch_facts")()
                    peak = code.launch.group.memory_peak() if code.launch.group else None
                report(f"torch {level}: worker ready (preload torch)", ready, unit="s")
                peak_text = f"{peak / 2**20:.0f} MiB" if peak else "n/a"
                print(f"torch {level}: VmHWM {facts['vm_hwm_mib']:.0f} MiB, VmPeak {facts['vm_peak_mib']:.0f} MiB, "
                      f"cgroup peak {peak_text}, {facts['threads']} thread(s)")
            # Import time in a fresh worker (not preloaded), as a student module would pay it.
            for level in levels:
                with RemoteCode(submission, isolation=level, call_timeout=300) as code:
                    facts = code.function(MODULE, "torch_facts")()
                report(f"torch {level}: import torch in the worker", facts["import_s"], unit="s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
