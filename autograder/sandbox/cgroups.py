"""Control groups: one per worker (and one for the trusted pytest process), with limits.

    support = detect()                                   # cgroup v2, v1, or None and why
    group = Group(support, "worker-61000", memory_bytes=4 * 2**30, pids=64, cpus=1)
    argv = group.join_argv() + command                   # the child joins before it execs anything
    ...
    group.kill()                                         # every process in it, at once
    group.remove()                                       # kill, then rmdir

Why cgroups and not only rlimits: rlimits count per process (three children of
1.7 GiB each held 5.2 GiB under a 4 GiB RLIMIT_AS) and miss memory that is not
mapped (memfd, tmpfs and /dev/shm pages, kernel memory for inodes). A memory
cgroup counts all of it: page cache, shared memory, tmpfs and kernel memory
(v1: memory.limit_in_bytes with memory.memsw.limit_in_bytes so that swap does
not extend it; v2: memory.max with memory.swap.max = 0). pids.max bounds
processes and threads together; a CPU quota of `cpus` cores (and the default
equal weight) keeps eight spinning children from slowing a neighbour.

Layout. Every group is a sibling under one *base* per hierarchy: the cgroup
this process started in, with any `ag-*` levels of our own stripped, so that a
worker started by a trusted pytest that sits in `ag-trusted-...` lands beside
it, not inside it (where it would eat into the trusted process's limit):

    <base>/ag-worker-61000        one per uid slot: a stale one is a dead grader's
    <base>/ag-trusted-<pid>-<n>   the pytest process of one grading run
    <base>/ag-leaf                (v2 only) where the base's own processes move

cgroup v2 forbids processes in a cgroup whose controllers are delegated to
children; where the base is the root of a cgroup namespace (a container) and
still holds processes, they move to `ag-leaf` first, as container init systems
do. Anywhere else that is an error for the person running the grader.
"""
import dataclasses
import errno
import os
import signal
import time

PREFIX = "ag-"
V1_CONTROLLERS = ("memory", "pids", "cpu")
V2_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000
# The child writes its own pid into each cgroup.procs, then execs the command:
# nothing of the command runs outside the group, not even for a moment.
JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


class CgroupError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Support:
    """What this machine offers. version None: no usable cgroups, `problem` says why."""
    version: int = None
    bases: tuple = ()          # v2: (unified base,); v1: one per controller, in V1_CONTROLLERS order
    swap: bool = False         # swap is accounted (v1 memory.memsw.*, v2 memory.swap.max), so it can be capped
    problem: str = ""

    def describe(self):
        if self.version is None:
            return f"no cgroups ({self.problem})"
        return f"cgroup v{self.version} (memory, pids, cpu)"


def _mounts():
    """[(mount point, mount root, fstype, super options)] from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3:
                found.append((_unescape(fields[4]), _unescape(fields[3]), tail[0], tail[2]))
    return found


def _unescape(path):
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _own_cgroups():
    """{controller or "": path} of this process, from /proc/self/cgroup ("" is the v2 hierarchy)."""
    paths = {}
    with open("/proc/self/cgroup") as cgroup:
        for line in cgroup:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _strip_ours(path):
    """The base: `path` without trailing levels we created (ag-*)."""
    parts = [p for p in path.split("/") if p]
    while parts and parts[-1].startswith(PREFIX):
        parts.pop()
    return "/" + "/".join(parts)


def _directory(mount_point, mount_root, path):
    """Where cgroup `path` (as /proc/self/cgroup names it) lives under a mount of `mount_root`."""
    if mount_root != "/" and (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        path = path[len(mount_root.rstrip("/")):] or "/"
    return os.path.normpath(os.path.join(mount_point, path.lstrip("/")))


def detect(mounts=None, own=None):
    """The cgroup support of this machine for this process: v2 if it has the
    controllers, else v1, else none (with the reason). Call once per process.
    `mounts` and `own` replace /proc/self/mountinfo and /proc/self/cgroup (tests)."""
    if os.geteuid() != 0:
        return Support(problem="the grader is not running as root")
    try:
        mounts = _mounts() if mounts is None else mounts
        own = _own_cgroups() if own is None else own
    except OSError as exc:
        return Support(problem=f"cannot read /proc: {exc}")
    problems = []
    v2 = [(point, root) for point, root, fstype, _ in mounts if fstype == "cgroup2"]
    if v2 and "" in own:
        point, root = v2[0]
        support, why = _detect_v2(_directory(point, root, _strip_ours(own[""])), own[""] == "/")
        if support:
            return support
        problems.append(f"cgroup v2 at {point}: {why}")
    v1 = {}
    for point, root, fstype, options in mounts:
        if fstype == "cgroup":
            for controller in options.split(","):
                if controller in V1_CONTROLLERS and controller in own and controller not in v1:
                    v1[controller] = _directory(point, root, _strip_ours(own[controller]))
    if v1:
        missing = [c for c in V1_CONTROLLERS if c not in v1]
        unwritable = [v1[c] for c in V1_CONTROLLERS if c in v1 and not os.access(v1[c], os.W_OK)]
        if missing:
            problems.append(f"cgroup v1 lacks the {', '.join(missing)} controller(s)")
        elif unwritable:
            problems.append(f"cgroup v1: {', '.join(unwritable)} not writable (read-only mount?)")
        else:
            bases = tuple(v1[c] for c in V1_CONTROLLERS)
            return Support(1, bases, swap=os.path.exists(os.path.join(v1["memory"], "memory.memsw.limit_in_bytes")))
    if not v2 and not v1:
        problems.append("no cgroup file system is mounted")
    return Support(problem="; ".join(problems))


def _detect_v2(base, namespace_root):
    """(Support, None) when `base` can hold limited child groups, else (None, why)."""
    try:
        with open(os.path.join(base, "cgroup.controllers")) as f:
            available = f.read().split()
    except OSError as exc:
        return None, f"cannot read {base}/cgroup.controllers ({exc.strerror})"
    missing = [c for c in V2_CONTROLLERS if c not in available]
    if missing:
        return None, f"the {', '.join(missing)} controller(s) are not available in {base}"
    if not os.access(os.path.join(base, "cgroup.subtree_control"), os.W_OK):
        return None, f"{base} is not writable (read-only mount?)"
    try:
        _enable_v2_controllers(base, namespace_root)
    except OSError as exc:
        return None, str(exc)
    # Children have memory.swap.max where swap accounting exists; the root group has none.
    return Support(2, (base,), swap=os.path.exists(os.path.join(base, "memory.swap.max"))), None


def _enable_v2_controllers(base, namespace_root):
    control = os.path.join(base, "cgroup.subtree_control")
    with open(control) as f:
        enabled = f.read().split()
    wanted = [c for c in V2_CONTROLLERS if c not in enabled]
    if not wanted:
        return
    try:
        _write(control, " ".join("+" + c for c in wanted))
        return
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
    # EBUSY: the base holds processes. In a container (the base is the root of
    # our cgroup namespace) move them all to a leaf, as container inits do.
    if not namespace_root:
        raise OSError(errno.EBUSY, f"{base} holds processes, so its controllers cannot be given to "
                      "worker groups; start the grader in a cgroup of its own (for example "
                      "systemd-run --scope -p Delegate=yes ...)")
    leaf = os.path.join(base, PREFIX + "leaf")
    os.makedirs(leaf, exist_ok=True)
    for pid in _read_pids(os.path.join(base, "cgroup.procs")):
        try:
            _write(os.path.join(leaf, "cgroup.procs"), str(pid))
        except OSError:
            pass  # it ended, or is a kernel thread
    _write(control, " ".join("+" + c for c in wanted))


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _read_pids(path):
    try:
        with open(path) as f:
            return [int(line) for line in f if line.strip()]
    except OSError:
        return []


class Group:
    """One cgroup (one directory per v1 hierarchy) with limits; see the module docstring.

    memory_bytes  everything the processes use, shared memory and tmpfs included
    pids          processes and threads together
    cpus          CPU quota in cores (a float; None: no quota, equal weight only)
    """

    def __init__(self, support, name, memory_bytes=None, pids=None, cpus=None):
        if support.version is None:
            raise CgroupError(f"cgroups are unavailable: {support.problem}")
        self.support = support
        self.name = PREFIX + name
        self.paths = list(dict.fromkeys(os.path.join(base, self.name) for base in support.bases))
        for path in self.paths:
            if os.path.isdir(path):   # left by a grader that died holding this name
                _kill_and_rmdir(path, self._kill_file(path))
            os.mkdir(path)
        try:
            self._set_limits(memory_bytes, pids, cpus)
        except OSError:
            self.remove()
            raise

    def _dir(self, controller):
        if self.support.version == 2:
            return self.paths[0]
        return os.path.join(self.support.bases[V1_CONTROLLERS.index(controller)], self.name)

    def _set_limits(self, memory_bytes, pids, cpus):
        v2 = self.support.version == 2
        if memory_bytes is not None:
            memory = self._dir("memory")
            if v2:
                _write(os.path.join(memory, "memory.max"), str(int(memory_bytes)))
                if os.path.exists(os.path.join(memory, "memory.swap.max")):
                    _write(os.path.join(memory, "memory.swap.max"), "0")
            else:
                # limit_in_bytes first: memsw may never be below it.
                _write(os.path.join(memory, "memory.limit_in_bytes"), str(int(memory_bytes)))
                if self.support.swap:
                    _write(os.path.join(memory, "memory.memsw.limit_in_bytes"), str(int(memory_bytes)))
        if pids is not None:
            _write(os.path.join(self._dir("pids"), "pids.max"), str(int(pids)))
        if cpus is not None:
            quota = max(1000, int(cpus * CPU_PERIOD_US))
            if v2:
                _write(os.path.join(self._dir("cpu"), "cpu.max"), f"{quota} {CPU_PERIOD_US}")
            else:
                _write(os.path.join(self._dir("cpu"), "cpu.cfs_period_us"), str(CPU_PERIOD_US))
                _write(os.path.join(self._dir("cpu"), "cpu.cfs_quota_us"), str(quota))

    def join_argv(self):
        """Prefix for a command line: the process joins this group, then execs the rest."""
        return ["/bin/sh", "-c", JOIN_SCRIPT, "ag-join",
                *[os.path.join(path, "cgroup.procs") for path in self.paths], "--"]

    def join(self, pid):
        """Move process `pid` (and its threads) into this group; for a process forked
        without exec (a forked pytest joins itself before it runs anything)."""
        for path in self.paths:
            _write(os.path.join(path, "cgroup.procs"), str(int(pid)))

    def pids(self):
        return sorted({pid for path in self.paths for pid in _read_pids(os.path.join(path, "cgroup.procs"))})

    def memory_peak(self):
        """Most memory the group has held so far, in bytes (None where the kernel does not say)."""
        name = "memory.peak" if self.support.version == 2 else "memory.max_usage_in_bytes"
        try:
            with open(os.path.join(self._dir("memory"), name)) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def memory_events(self):
        """How often the limit was hit: {"max": n, "oom_kill": n} (what the kernel reports)."""
        events = {}
        if self.support.version == 2:
            try:
                with open(os.path.join(self._dir("memory"), "memory.events")) as f:
                    events = {k: int(v) for k, v in (line.split() for line in f)}
            except OSError:
                pass
        else:
            for key, name in (("max", "memory.failcnt"),):
                try:
                    with open(os.path.join(self._dir("memory"), name)) as f:
                        events[key] = int(f.read())
                except (OSError, ValueError):
                    pass
            try:
                with open(os.path.join(self._dir("memory"), "memory.oom_control")) as f:
                    for line in f:
                        key, value = line.split()
                        if key == "oom_kill":
                            events["oom_kill"] = int(value)
            except OSError:
                pass
        return events

    def _kill_file(self, path):
        kill = os.path.join(path, "cgroup.kill")
        return kill if self.support.version == 2 and os.path.exists(kill) else None

    def kill(self, wait_s=2.0):
        """SIGKILL every process in the group; returns how many were left after `wait_s`."""
        return max((_kill(path, self._kill_file(path), wait_s) for path in self.paths), default=0)

    def remove(self):
        """Kill everything in the group and remove it (best effort: a busy one is left
        for the next grader that takes this name)."""
        for path in self.paths:
            _kill_and_rmdir(path, self._kill_file(path))


def _kill(path, kill_file, wait_s):
    procs = os.path.join(path, "cgroup.procs")
    deadline = time.monotonic() + wait_s
    while True:
        if kill_file:
            try:
                _write(kill_file, "1")   # v2: the kernel kills them all, new forks included
            except OSError:
                pass
        pids = _read_pids(procs)
        if not pids:
            return 0
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return len(pids)
        time.sleep(0.005)   # SIGKILL is delivered asynchronously; exiting takes a moment


def _kill_and_rmdir(path, kill_file, wait_s=2.0):
    if not os.path.isdir(path):
        return True
    _kill(path, kill_file, wait_s)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                return False
            _kill(path, kill_file, 0)
            time.sleep(0.005)


def sweep_stale(support, prefix, older_than_s=60.0):
    """Remove our empty groups named `prefix`* that have been there longer than
    `older_than_s` (left by graders that died); returns how many went."""
    removed = 0
    for base in dict.fromkeys(support.bases):
        try:
            names = [n for n in os.listdir(base) if n.startswith(PREFIX + prefix)]
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, name)
            try:
                if time.time() - os.stat(path).st_mtime > older_than_s and not _read_pids(
                        os.path.join(path, "cgroup.procs")):
                    os.rmdir(path)
                    removed += 1
            except OSError:
                pass
    return removed
