"""How a worker is confined: one `Launch` class per isolation level.

    none     a plain child process as the grader's own user. Trusted code only
             (suites checked against mutants of the reference).
    rlimits  an unprivileged uid of its own, resource limits, a cleared
             environment, and a private read-only copy of the submission.
             Used when bubblewrap is missing; the rest of the file system and
             the network are as open as they are to any local user.
    bwrap    rlimits inside bubblewrap: new pid, network, ipc, uts and cgroup
             namespaces and a file system holding only the system libraries,
             Python, the submission (read-only, at /submission), the worker's
             three files (at /grader) and a small private /tmp.

`choose(requested)` turns "auto" into the strongest level that works here.
A Launch builds the command line (`argv`), knows how to read the worker's exit
status through its wrappers, and kills whatever the worker left behind.
"""
import dataclasses
import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from .slots import FIRST_UID, UidSlot, kill_all_processes_of

AUTOGRADER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The worker's whole view of the grader: its own script and two testkit files.
WORKER_FILES = ("sandbox/worker.py", "testkit/wire.py", "testkit/code.py")

LEVELS = ("auto", "bwrap", "rlimits", "none")


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (a grader problem, not the student's)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one worker (and everything it starts)."""
    memory_bytes: int = 4 * 2**30      # address space: a 50 GB array fails at once
    cpu_seconds: int = 600             # backstop behind the grader's wall-clock timeouts
    processes: int = 64                # per uid, threads included
    file_bytes: int = 64 * 2**20       # largest file it may write
    open_files: int = 256
    tmp_bytes: int = 128 * 2**20       # size of the private /tmp (bwrap)

    def prlimit_argv(self):
        return ["/usr/bin/prlimit", f"--as={self.memory_bytes}", f"--cpu={self.cpu_seconds}",
                f"--nproc={self.processes}", f"--fsize={self.file_bytes}",
                f"--nofile={self.open_files}", "--core=0", "--"]


def worker_env(home):
    """The whole environment the worker gets: nothing of the grader's."""
    return {
        "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        # One thread per library: results do not depend on the machine, and
        # thread pools do not eat into the process limit.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def setpriv_argv(uid):
    # no-new-privs: a setuid binary cannot give the worker root back.
    # pdeathsig: the worker dies with the grader (set after the uid change,
    # which would clear it).
    return ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--pdeathsig", "KILL", "--"]


def python_argv(python, grader_dir, submission):
    """The interpreter line; the fd numbers are appended by `Launch.argv`."""
    return [python, "-I", "-B", os.path.join(grader_dir, "sandbox", "worker.py"), submission]


class Launch:
    """Plain child process (level "none")."""
    level = "none"

    def __init__(self, root, python=sys.executable, limits=Limits()):
        self.root = os.path.abspath(root)
        self.python = python
        self.limits = limits
        self.cwd = self.root
        self.env = worker_env(tempfile.gettempdir())
        # Even unconfined, the worker dies with the grader (where setpriv exists).
        die_with_grader = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] if os.path.exists("/usr/bin/setpriv") else []
        self.command = die_with_grader + python_argv(python, AUTOGRADER, self.root)

    def argv(self, request_fd, response_fd):
        *head, submission = self.command
        return head + [str(request_fd), str(response_fd), submission]

    def exit_signal(self, returncode):
        """Popen.returncode -> exit status, or -signal if the worker was killed."""
        return returncode

    def kill_leftovers(self):
        pass

    def close(self):
        pass


class ConfinedLaunch(Launch):
    """Shared by rlimits and bwrap: a private uid and a private work dir.

    The work dir holds read-only copies of the worker's files and of the
    submission (so its permissions are ours to set, whatever the grader's
    unpacking left), and a home folder owned by the worker's uid.
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
            self.submission_dir = os.path.join(self.workdir, "submission")
            _copy_submission(self.root, self.submission_dir)
            for tree in (self.grader_dir, self.submission_dir):
                _readable_only_by(tree, self.slot.uid)
            self.home = os.path.join(self.workdir, "home")
            os.mkdir(self.home, 0o700)
            os.chown(self.home, self.slot.uid, self.slot.uid)
        except BaseException:
            self.close()
            raise

    def kill_leftovers(self):
        kill_all_processes_of(self.slot.uid)

    def close(self):
        if getattr(self, "slot", None):
            self.slot.release()
        if getattr(self, "workdir", None):
            shutil.rmtree(self.workdir, ignore_errors=True)


class RlimitsLaunch(ConfinedLaunch):
    """Own uid, rlimits, cleared environment; the file system is the host's."""
    level = "rlimits"

    def __init__(self, root, python=sys.executable, limits=Limits()):
        super().__init__(root, python, limits)
        self.cwd = self.submission_dir
        self.env = worker_env(self.home)
        self.command = (limits.prlimit_argv() + setpriv_argv(self.slot.uid)
                        + python_argv(python, self.grader_dir, self.submission_dir))


class BwrapLaunch(ConfinedLaunch):
    """Rlimits and an unprivileged uid inside bubblewrap namespaces."""
    level = "bwrap"
    NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                  "--unshare-cgroup", "--die-with-parent", "--new-session"]

    def __init__(self, root, python=sys.executable, limits=Limits()):
        super().__init__(root, python, limits)
        self.cwd = "/"
        self.env = worker_env("/tmp")
        mounts = system_mounts() + python_mounts(python) + [
            "--ro-bind", self.submission_dir, "/submission",
            "--ro-bind", self.grader_dir, "/grader"]
        setenv = [arg for key, value in self.env.items() for arg in ("--setenv", key, value)]
        self.command = (
            ["bwrap"] + self.NAMESPACES + ["--clearenv"] + setenv
            + ["--proc", "/proc", "--dev", "/dev",
               "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
            + with_open_parents(mounts) + ["--chdir", "/submission", "--"]
            + limits.prlimit_argv() + setpriv_argv(self.slot.uid)
            + python_argv(python, "/grader", "/submission"))

    def exit_signal(self, returncode):
        # bwrap reports a child killed by signal N as exit status 128 + N.
        return -(returncode - 128) if returncode > 128 else returncode


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


def system_mounts():
    """Read-only system directories; merged-/usr symlinks are recreated as symlinks."""
    args = []
    for path in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def python_mounts(python):
    """The interpreter's installation and the virtual environment, at their own paths."""
    paths = {sys.base_prefix, sys.prefix,
             os.path.dirname(os.path.dirname(os.path.abspath(python))),   # its venv
             os.path.dirname(os.path.dirname(os.path.realpath(python)))}  # its installation
    args = []
    for path in sorted(paths):
        if path != "/usr" and not path.startswith("/usr/"):
            args += ["--ro-bind", os.path.realpath(path), path]
    return args


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


def _probe(argv):
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=30, env=worker_env("/tmp"), cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if result.returncode != 0:
        return result.stderr.decode(errors="replace").strip()[-500:] or f"exit status {result.returncode}"
    return None


PROBE_UID = FIRST_UID - 1


@functools.lru_cache(maxsize=None)
def bwrap_problem(python=sys.executable):
    """None if bubblewrap can run a program as an unprivileged uid here, else why not.

    The probe runs /usr/bin/true rather than Python (a few ms instead of half a
    second per grading process); a Python that does not start in the sandbox
    shows up as a SandboxError, with its output, when the worker starts.
    """
    if os.geteuid() != 0:
        return "the grader is not running as root"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    argv = (["bwrap"] + BwrapLaunch.NAMESPACES + ["--clearenv", "--proc", "/proc", "--dev", "/dev",
                                                  "--tmpfs", "/tmp"]
            + with_open_parents(system_mounts() + python_mounts(python)) + ["--"]
            + setpriv_argv(PROBE_UID) + ["/usr/bin/true"])
    return _probe(argv)


@functools.lru_cache(maxsize=None)
def rlimits_problem(python=sys.executable):
    """None if `python` can import numpy as an unprivileged uid, else why not."""
    if os.geteuid() != 0:
        return "the grader is not running as root"
    return _probe(Limits().prlimit_argv() + setpriv_argv(PROBE_UID) + [python, "-I", "-c", "import numpy"])


LAUNCHES = {"none": Launch, "rlimits": RlimitsLaunch, "bwrap": BwrapLaunch}
_warned = set()


def choose(requested, python=sys.executable):
    """The Launch class for `requested`; "auto" picks the strongest that works."""
    if requested not in LEVELS:
        raise ValueError(f"isolation must be one of {', '.join(LEVELS)}; got {requested!r}")
    if requested == "none":
        return Launch
    problem = {"bwrap": bwrap_problem, "rlimits": rlimits_problem}
    if requested != "auto":
        why = problem[requested](python)
        if why:
            raise SandboxError(f"isolation {requested!r} is not available: {why}")
        if requested == "rlimits":
            _warn_once("rlimits", "student code runs with resource limits and its own uid but "
                       "WITHOUT namespaces: it can see the file system and the network")
        return LAUNCHES[requested]
    bwrap_why = bwrap_problem(python)
    if not bwrap_why:
        return BwrapLaunch
    rlimits_why = rlimits_problem(python)
    if not rlimits_why:
        _warn_once("rlimits", f"bubblewrap is unusable ({bwrap_why}); student code runs "
                   "with resource limits and its own uid but WITHOUT namespaces: it can see the "
                   "file system and the network")
        return RlimitsLaunch
    _warn_once("none", f"no sandbox is available (bwrap: {bwrap_why}; rlimits: {rlimits_why}); "
               "student code runs UNCONFINED as the grader's user")
    return Launch


def _warn_once(key, message):
    if key not in _warned:
        _warned.add(key)
        banner = "!" * 78
        print(f"\n{banner}\nWARNING (autograder.sandbox): {message}.\n{banner}\n", file=sys.stderr)
