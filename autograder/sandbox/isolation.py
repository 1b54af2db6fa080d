"""How a worker is confined: one `Launch` class per isolation level.

    none     a plain child process as the grader's own user. Trusted code only
             (suites checked against mutants of the reference).
    rlimits  no namespaces (for containers where bubblewrap cannot run): an
             unprivileged uid of its own, a cgroup of its own, rlimits, a
             cleared environment, a private read-only copy of the submission,
             Landlock (nothing of the file system but the system, Python, its
             copies and its home; no TCP; abstract sockets and signals stay
             inside) and the seccomp filter (seccomp.py).
    bwrap    the same uid, cgroup, rlimits and seccomp filter inside bubblewrap:
             new pid, network, ipc, uts and cgroup namespaces and a file system
             holding only the system libraries, Python, the submission
             (read-only, at /submission), the worker's files (at /grader) and
             a private /tmp with a size and an inode limit.

`choose(requested)` turns "auto" into the strongest level that works here,
after a probe (once per process, probe.py) that runs as a worker would and
refuses a level under which the worker's uid could read the reference, the
suites, the grader's logs or another submission. A Launch builds the command
line (`argv`), knows how to read the worker's exit status through its
wrappers, and kills whatever the worker left behind. docs/SECURITY.md says
what each level guarantees.
"""
import dataclasses
import functools
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from . import cgroups, landlock
from .slots import FIRST_UID, UidSlot, kill_all_processes_of, remove_files_of

AUTOGRADER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The worker's whole view of the grader: its own scripts and two testkit files.
WORKER_FILES = ("sandbox/worker.py", "sandbox/confine.py", "sandbox/seccomp.py", "sandbox/landlock.py",
                "sandbox/probe.py", "testkit/wire.py", "testkit/code.py")

LEVELS = ("auto", "bwrap", "rlimits", "none")

# Paths (os.pathsep-separated) the worker's uid must not read, besides the
# suites and the reference beside this package; the trusted side adds the
# grading run's own (logs, OUT, staging). See `protected_paths`.
PROTECTED_ENV = "AUTOGRADER_PROTECTED_PATHS"

GiB, MiB = 2**30, 2**20
# RLIMIT_AS on top of the memory limit: torch's CUDA build maps 3.1 GiB of
# libraries at import (VmPeak), little of it resident. What is resident is
# counted by the cgroup; the address-space limit only makes absurd single
# allocations (50 GB) fail at once, and is the only memory limit without cgroups.
ADDRESS_SPACE_SLACK = 4 * GiB


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (a grader problem, not the student's)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one worker (and everything it starts)."""
    memory_bytes: int = 4 * GiB        # all of it: RSS, children, shared memory, tmpfs, kernel (cgroup)
    cpu_seconds: int = 600             # backstop behind the grader's wall-clock timeouts
    processes: int = 64                # processes and threads (RLIMIT_NPROC per uid, pids.max)
    threads: int = 1                   # BLAS/OpenMP/torch threads; also the CPU quota in cores
    file_bytes: int = 64 * MiB         # largest file it may write
    open_files: int = 256
    tmp_bytes: int = 128 * MiB         # size of the private /tmp (bwrap)
    tmp_inodes: int = 16384            # files and folders in the private /tmp (bwrap)

    @property
    def address_space_bytes(self):
        return self.memory_bytes + ADDRESS_SPACE_SLACK

    def prlimit_argv(self):
        return ["/usr/bin/prlimit", f"--as={self.address_space_bytes}", f"--cpu={self.cpu_seconds}",
                f"--nproc={self.processes}", f"--fsize={self.file_bytes}",
                f"--nofile={self.open_files}", "--core=0", "--"]


def worker_env(home, threads=1):
    """The whole environment the worker gets: nothing of the grader's."""
    threads = str(max(1, int(threads)))
    return {
        "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        # A fixed number of threads per library (torch reads OMP_NUM_THREADS):
        # results do not depend on the machine, and thread pools stay within
        # the process limit and the CPU quota.
        "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
        "NUMEXPR_NUM_THREADS": threads, "MPLBACKEND": "Agg",
    }


def setpriv_argv(uid):
    # no-new-privs: a setuid binary cannot give the worker root back.
    # pdeathsig: the worker dies with the grader (set after the uid change,
    # which would clear it).
    return ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--pdeathsig", "KILL", "--"]


@functools.lru_cache(maxsize=None)
def cgroup_support():
    """cgroups.detect(), once per process."""
    return cgroups.detect()


@functools.lru_cache(maxsize=None)
def landlock_abi():
    return landlock.abi()


class Launch:
    """Plain child process (level "none")."""
    level = "none"

    def __init__(self, root, python=sys.executable, limits=Limits()):
        self.root = os.path.abspath(root)
        self.python = python
        self.limits = limits
        self.cwd = self.root
        self.env = worker_env(tempfile.gettempdir(), limits.threads)
        # Even unconfined, the worker dies with the grader (where setpriv exists).
        self.wrapper = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] if os.path.exists("/usr/bin/setpriv") else []
        self.grader_inside, self.submission_inside = AUTOGRADER, self.root
        self.confinement = {}   # what the worker does to itself first (confine.py)
        self.group = None

    def script_argv(self, script, *args):
        """The command line that runs sandbox/`script` with `args`, confined like the worker."""
        return self.wrapper + [self.python, "-I", "-B", os.path.join(self.grader_inside, "sandbox", script), *args]

    def argv(self, request_fd, response_fd):
        return self.script_argv("worker.py", str(request_fd), str(response_fd), self.submission_inside,
                                json.dumps(self.confinement))

    def exit_signal(self, returncode):
        """Popen.returncode -> exit status, or -signal if the worker was killed."""
        return returncode

    def kill_leftovers(self):
        pass

    def close(self):
        pass


class ConfinedLaunch(Launch):
    """Shared by rlimits and bwrap: a private uid, cgroup and work dir.

    The work dir holds read-only copies of the worker's files and of the
    submission (so its permissions are ours to set, whatever the grader's
    unpacking left), and a home folder owned by the worker's uid. The cgroup
    (where this machine has them) holds the worker and everything it starts.
    """

    def __init__(self, root, python=sys.executable, limits=Limits()):
        super().__init__(root, python, limits)
        self.slot = UidSlot()
        # Work dirs are named after the slot: whatever holds our slot's name
        # now was left by a grader that died holding the slot.
        prefix = f"autograder-worker-{self.slot.uid}-"
        for stale in glob.glob(os.path.join(tempfile.gettempdir(), prefix + "*")):
            shutil.rmtree(stale, ignore_errors=True)
        self.workdir = tempfile.mkdtemp(prefix=prefix)
        try:
            os.chmod(self.workdir, 0o711)
            self.grader_dir = os.path.join(self.workdir, "grader")
            for relative in WORKER_FILES:
                os.makedirs(os.path.dirname(os.path.join(self.grader_dir, relative)), exist_ok=True)
                shutil.copyfile(os.path.join(AUTOGRADER, relative), os.path.join(self.grader_dir, relative))
            for package in {os.path.dirname(relative) for relative in WORKER_FILES}:
                # Regular packages: a namespace package could be shadowed by a
                # same-named package later on sys.path (site-packages).
                open(os.path.join(self.grader_dir, package, "__init__.py"), "w").close()
            self.submission_dir = os.path.join(self.workdir, "submission")
            _copy_submission(self.root, self.submission_dir)
            for tree in (self.grader_dir, self.submission_dir):
                _readable_only_by(tree, self.slot.uid)
            self.home = os.path.join(self.workdir, "home")
            os.mkdir(self.home, 0o700)
            os.chown(self.home, self.slot.uid, self.slot.uid)
            support = cgroup_support()
            if support.version:
                self.group = cgroups.Group(support, f"worker-{self.slot.uid}", memory_bytes=limits.memory_bytes,
                                           pids=limits.processes, cpus=limits.threads)
        except BaseException:
            self.close()
            raise

    def join_argv(self):
        return self.group.join_argv() if self.group else []

    def kill_leftovers(self):
        if self.group:
            self.group.kill()
        kill_all_processes_of(self.slot.uid)

    def close(self):
        if getattr(self, "group", None):
            self.group.remove()
            self.group = None
        if getattr(self, "slot", None):
            if self.slot.fd is not None:
                # Files it left where any uid may write (/tmp, /dev/shm: possible
                # at rlimits without Landlock) would greet the next submission on
                # this uid; removed while the slot is still ours (its processes
                # are gone: killed with the worker and with the cgroup).
                remove_files_of(self.slot.uid)
            self.slot.release()
        if getattr(self, "workdir", None):
            shutil.rmtree(self.workdir, ignore_errors=True)


class RlimitsLaunch(ConfinedLaunch):
    """Own uid, cgroup, rlimits, Landlock and seccomp; no namespaces."""
    level = "rlimits"

    def __init__(self, root, python=sys.executable, limits=Limits()):
        super().__init__(root, python, limits)
        self.cwd = self.submission_dir
        self.env = worker_env(self.home, limits.threads)
        self.wrapper = self.join_argv() + limits.prlimit_argv() + setpriv_argv(self.slot.uid)
        self.grader_inside, self.submission_inside = self.grader_dir, self.submission_dir
        abi = landlock_abi()
        self.confinement = {
            "landlock": {"read": worker_readable(python) + [self.grader_dir, self.submission_dir],
                         "write": [self.home]} if abi else None,
            # Abstract unix sockets are the host's here: only where Landlock
            # scopes them (ABI 6) may the worker create unix sockets at all.
            "seccomp": {"unix_sockets": abi >= 6}}


class BwrapLaunch(ConfinedLaunch):
    """Own uid, cgroup, rlimits and seccomp inside bubblewrap namespaces."""
    level = "bwrap"
    NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                  "--unshare-cgroup", "--die-with-parent", "--new-session"]

    def __init__(self, root, python=sys.executable, limits=Limits()):
        super().__init__(root, python, limits)
        self.cwd = "/"
        self.env = worker_env("/tmp", limits.threads)
        mounts = system_mounts() + python_mounts(python) + [
            "--ro-bind", self.submission_dir, "/submission",
            "--ro-bind", self.grader_dir, "/grader"]
        setenv = [arg for key, value in self.env.items() for arg in ("--setenv", key, value)]
        self.wrapper = (
            self.join_argv() + ["bwrap"] + self.NAMESPACES + ["--cap-add", "CAP_SYS_ADMIN", "--clearenv"]
            + setenv + ["--proc", "/proc", "--dev", "/dev", "--dir", "/tmp"]
            + with_open_parents(mounts) + ["--chdir", "/submission", "--"]
            + private_tmp_argv(limits) + limits.prlimit_argv() + setpriv_argv(self.slot.uid))
        self.grader_inside, self.submission_inside = "/grader", "/submission"
        self.confinement = {"landlock": None, "seccomp": {"unix_sockets": True}}

    def exit_signal(self, returncode):
        # bwrap reports a child killed by signal N as exit status 128 + N.
        return -(returncode - 128) if returncode > 128 else returncode


# bwrap's own --tmpfs has a size option but no inode limit; mount our own as
# root inside the sandbox's mount namespace (CAP_SYS_ADMIN is kept for this
# one step and dropped by setpriv right after).
MOUNT_TMP_SCRIPT = 'mount -t tmpfs -o "$1" ag-tmp /tmp || exit 125; shift; exec "$@"'


def private_tmp_argv(limits):
    options = f"size={limits.tmp_bytes},nr_inodes={limits.tmp_inodes},mode=1777,nosuid,nodev"
    return ["/bin/sh", "-c", MOUNT_TMP_SCRIPT, "ag-tmp", options]


def with_open_parents(mounts):
    """Insert `--perms 0755 --dir` for the missing parents of each mount point.

    bwrap creates missing parents with mode 0700, which the unprivileged uid
    could not traverse (/work/main/.venv, /root/.pyenv/...).
    """
    args, made = [], set()
    for i in range(0, len(mounts), 3):
        option, source, destination = mounts[i:i + 3]
        parent = os.path.dirname(destination)
        missing = []
        while parent != "/" and parent not in made:
            missing.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(missing):
            args += ["--perms", "0755", "--dir", folder]
            made.add(folder)
        args += [option, source, destination]
        made.add(destination)
    return args


SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32")


def system_mounts():
    """Read-only system directories; merged-/usr symlinks are recreated as symlinks."""
    args = []
    for path in SYSTEM_DIRS + ("/etc/ld.so.cache",):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def python_paths(python):
    """The interpreter's installation and the virtual environment (outside /usr)."""
    paths = {sys.base_prefix, sys.prefix,
             os.path.dirname(os.path.dirname(os.path.abspath(python))),   # its venv
             os.path.dirname(os.path.dirname(os.path.realpath(python)))}  # its installation
    return sorted(path for path in paths if path != "/usr" and not path.startswith("/usr/"))


def python_mounts(python):
    """python_paths, bound read-only at their own paths."""
    args = []
    for path in python_paths(python):
        args += ["--ro-bind", os.path.realpath(path), path]
    return args


# What the rlimits worker may read besides Python and its own copies: the
# system, and the few system-wide files numpy and torch read (CPU topology).
WORKER_SYSTEM_READ = SYSTEM_DIRS + ("/sbin", "/etc", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
                                    "/sys/devices/system/cpu", "/sys/devices/system/node")


def worker_readable(python):
    paths = list(WORKER_SYSTEM_READ)
    for path in python_paths(python):
        paths += [path, os.path.realpath(path)]
    return list(dict.fromkeys(paths))


def _copy_submission(source, destination):
    """Regular files and folders only (a symlink could point anywhere)."""
    def skipped(folder, names):
        return [name for name in names if os.path.islink(os.path.join(folder, name))
                or not (os.path.isfile(os.path.join(folder, name)) or os.path.isdir(os.path.join(folder, name)))]

    shutil.copytree(source, destination, ignore=skipped)


def _readable_only_by(tree, gid):
    """Owned by root, readable by group `gid` (the worker's), invisible to other
    uids: in /tmp, a concurrent worker must not read another submission."""
    for folder, _, files in os.walk(tree):
        for name in files:
            os.chown(os.path.join(folder, name), 0, gid)
            os.chmod(os.path.join(folder, name), 0o440)
        os.chown(folder, 0, gid)
        os.chmod(folder, 0o550)


# ---- choosing a level, and the start-up probe ---------------------------------------------

PROBE_GID = FIRST_UID - 1   # owns the decoy "other submission"; no worker runs as it
LAUNCHES = {"none": Launch, "rlimits": RlimitsLaunch, "bwrap": BwrapLaunch}
_warned = set()
_reports = {}   # level -> the last probe's report (for `summary`)


def protected_paths():
    """What the worker's uid must not read: the suites and the reference beside
    this package, and whatever the trusted side put in $AUTOGRADER_PROTECTED_PATHS."""
    paths = [os.path.join(AUTOGRADER, "suites"), os.path.join(os.path.dirname(AUTOGRADER), "source")]
    paths += [p for p in os.environ.get(PROTECTED_ENV, "").split(os.pathsep) if p]
    return tuple(dict.fromkeys(os.path.abspath(p) for p in paths))


def protected_env(paths, env=None):
    """`env` (default os.environ) with `paths` added to $AUTOGRADER_PROTECTED_PATHS."""
    env = dict(os.environ if env is None else env)
    known = [p for p in env.get(PROTECTED_ENV, "").split(os.pathsep) if p]
    env[PROTECTED_ENV] = os.pathsep.join(dict.fromkeys(known + [str(p) for p in paths if p]))
    return env


def _basic_problem(level):
    if os.geteuid() != 0:
        return "the grader is not running as root"
    for tool in ("/usr/bin/setpriv", "/usr/bin/prlimit", "/bin/sh"):
        if not os.path.exists(tool):
            return f"{tool} is missing"
    if level == "bwrap":
        if shutil.which("bwrap") is None:
            return "bubblewrap (bwrap) is not installed"
        if not os.path.exists("/usr/bin/mount"):
            return "/usr/bin/mount is missing (it mounts the private /tmp)"
    return None


@functools.lru_cache(maxsize=None)
def probe(level, python=sys.executable, protected=()):
    """(problem or None, report): run probe.py as a worker of `level` would run.

    Refused when the worker could not confine itself (Landlock or seccomp
    failed), could not import numpy, could read or list any `protected` path or
    a decoy submission made like another worker's, or when the seccomp filter
    was not in force. Cached: once per process and set of paths.
    """
    problem = _basic_problem(level)
    if problem:
        return problem, {}
    decoy = tempfile.mkdtemp(prefix="autograder-probe-decoy-")
    empty = tempfile.mkdtemp(prefix="autograder-probe-submission-")
    launch = None
    try:
        os.chmod(decoy, 0o711)
        secret = os.path.join(decoy, "submission", "secret.txt")
        os.mkdir(os.path.dirname(secret))
        with open(secret, "w") as f:
            f.write("another submission")
        _readable_only_by(os.path.dirname(secret), PROBE_GID)
        launch = LAUNCHES[level](empty, python=python, limits=Limits())
        with open("/proc/self/cmdline", "rb") as f:
            own_cmdline = hashlib.sha256(f.read()).hexdigest()
        spec = {"confine": launch.confinement,
                "protected": list(protected) + [os.path.dirname(secret), secret, f"/proc/{os.getpid()}/environ"],
                "grader_pid": os.getpid(), "grader_cmdline_sha256": own_cmdline}
        result = subprocess.run(launch.script_argv("probe.py", json.dumps(spec)), stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60, env=launch.env, cwd=launch.cwd)
    except (OSError, subprocess.TimeoutExpired, cgroups.CgroupError) as exc:
        return f"the probe could not run ({exc})", {}
    finally:
        if launch is not None:
            launch.kill_leftovers()
            launch.close()
        shutil.rmtree(decoy, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)
    try:
        report = json.loads(result.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        output = (result.stdout + result.stderr).decode(errors="replace").strip()[-800:]
        return f"the probe worker did not run (exit status {result.returncode}): {output}", {}
    _reports[level] = report
    return _probe_problem(report), report


def _probe_problem(report):
    if report.get("confined"):
        return f"the worker could not confine itself: {report['confined']}"
    if report.get("numpy"):
        return f"the worker cannot import numpy: {report['numpy']}"
    readable = [p for p in report.get("readable", []) if not p.startswith("/proc/")]
    if readable:
        return ("the worker's uid can read " + ", ".join(readable) + ": make these unreadable to other "
                "users (chmod -R go-rwx, or a parent folder 0700), or run where bubblewrap or Landlock works")
    if any(p.startswith("/proc/") for p in report.get("readable", [])):
        return "the worker's uid can read the grader's environment in /proc"
    if not report.get("seccomp") or report.get("keyring") == "ok" or report.get("sysv_ipc") == "ok":
        return "the seccomp filter is not in force in the worker"
    return None


def level_problem(level, python=sys.executable):
    """None if `level` confines the worker here, else why not (see `probe`)."""
    return probe(level, python, protected_paths())[0]


def bwrap_problem(python=sys.executable):
    return level_problem("bwrap", python)


def rlimits_problem(python=sys.executable):
    return level_problem("rlimits", python)


def choose(requested, python=sys.executable):
    """The Launch class for `requested`; "auto" picks the strongest that works.

    "auto" never falls back to running student code unconfined where the
    grader is root: it could confine, so a failed probe is an error to fix.
    """
    if requested not in LEVELS:
        raise ValueError(f"isolation must be one of {', '.join(LEVELS)}; got {requested!r}")
    if requested == "none":
        return Launch
    if requested != "auto":
        why = level_problem(requested, python)
        if why:
            raise SandboxError(f"isolation {requested!r} is not available: {why}")
        if requested == "rlimits":
            _warn_once("rlimits", "student code runs at isolation rlimits: its own uid, cgroup, rlimits, "
                       "Landlock and seccomp, but WITHOUT namespaces")
        _notices(requested, python)
        return LAUNCHES[requested]
    bwrap_why = level_problem("bwrap", python)
    if not bwrap_why:
        _notices("bwrap", python)
        return BwrapLaunch
    rlimits_why = level_problem("rlimits", python)
    if not rlimits_why:
        _warn_once("rlimits", f"bubblewrap is unusable ({bwrap_why}); student code runs at isolation "
                   "rlimits: its own uid, cgroup, rlimits, Landlock and seccomp, but WITHOUT namespaces")
        _notices("rlimits", python)
        return RlimitsLaunch
    if os.geteuid() == 0:
        raise SandboxError(f"no sandbox works here (bwrap: {bwrap_why}; rlimits: {rlimits_why})")
    _warn_once("none", f"no sandbox is available (bwrap: {bwrap_why}; rlimits: {rlimits_why}); "
               "student code runs UNCONFINED as the grader's user")
    return Launch


def _notices(level, python):
    """Loud, once per process: the protections this machine cannot give."""
    support = cgroup_support()
    if not support.version:
        _warn_once("cgroups", f"no cgroups ({support.problem}): each worker process is limited on its own "
                   "(RLIMIT_AS), so children, shared memory, tmpfs and kernel memory are NOT counted, there is "
                   "no CPU quota, and processes are killed by uid only")
    if level == "rlimits":
        abi = landlock_abi()
        if not abi:
            _warn_once("landlock", "Landlock is unavailable: at isolation rlimits the worker sees the whole "
                       "file system as any local user would (the probe found nothing protected readable), and "
                       "it can read other processes' command lines in /proc")
        elif abi < 6:
            _warn_once("landlock-scope", f"Landlock ABI {abi} cannot scope abstract unix sockets: the worker "
                       "may not create unix sockets at all")
        if _reports.get("rlimits", {}).get("grader_visible"):
            _warn_once("processes", "the worker can read the grader's command line in /proc")


def _warn_once(key, message):
    if key not in _warned:
        _warned.add(key)
        banner = "!" * 78
        print(f"\n{banner}\nWARNING (autograder.sandbox): {message}.\n{banner}\n", file=sys.stderr)
