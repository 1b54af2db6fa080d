"""Unprivileged user ids for workers, one per concurrently running worker.

Each confined worker runs as its own uid (61000 + slot), never shared with
another worker at the same time, so that:

* RLIMIT_NPROC (counted per real uid, and ignored for root) caps the
  processes of exactly one submission: a fork bomb stops at the limit;
* after the worker is closed, *every* process of that uid can be killed,
  including daemons that double-forked or called setsid to escape.

Slots are claimed with a lock file per slot (flock), so parallel graders on
one machine never pick the same uid, and a grader that dies frees its slot.
Processes killed outside a pid namespace (isolation "rlimits") are reaped by
the machine's init; until then their uid is skipped.
"""
import fcntl
import os
import shutil
import signal
import tempfile
import time

FIRST_UID = 61000
SLOT_COUNT = 512
LOCK_DIR = os.path.join(tempfile.gettempdir(), "autograder-worker-uids")


class NoFreeSlot(RuntimeError):
    pass


class UidSlot:
    """A claimed uid; `release()` (or process exit) gives it back."""

    def __init__(self):
        _make_lock_dir()
        for slot in range(SLOT_COUNT):
            fd = os.open(os.path.join(LOCK_DIR, f"{slot}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            uid = FIRST_UID + slot
            # A grader that crashed may have left processes behind under this
            # uid. Dead ones not yet reaped by init still count against
            # RLIMIT_NPROC (a fork bomb leaves dozens): then take another uid.
            if processes_of(uid, zombies=True):
                kill_all_processes_of(uid)
                if processes_of(uid, zombies=True):
                    os.close(fd)
                    continue
            remove_files_of(uid)   # a dead grader's worker may have left some
            self.fd, self.uid = fd, uid
            return
        raise NoFreeSlot(f"all {SLOT_COUNT} worker uids are in use or hold unreaped processes "
                         "(run the grader under an init that reaps orphans, e.g. docker --init)")

    def release(self):
        if self.fd is not None:
            if processes_of(self.uid):
                kill_all_processes_of(self.uid)
            os.close(self.fd)
            self.fd = None


def sweep_unclaimed():
    """Kill processes of worker uids whose slot nobody holds; returns those uids.

    They are left by a grader that was killed while its worker ran outside a
    pid namespace (isolation "rlimits"): daemons survive it. Slots are swept
    anyway when next claimed; a batch grader can call this when it finishes.
    """
    _make_lock_dir()
    swept = []
    for uid in sorted({uid for uid, _ in _live_processes() if FIRST_UID <= uid < FIRST_UID + SLOT_COUNT}):
        fd = os.open(os.path.join(LOCK_DIR, f"{uid - FIRST_UID}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            kill_all_processes_of(uid)
            swept.append(uid)
        except BlockingIOError:
            pass  # a running grader holds this slot
        finally:
            os.close(fd)
    return swept


def _make_lock_dir():
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    info = os.lstat(LOCK_DIR)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{LOCK_DIR} must be a directory owned by uid {os.getuid()} "
                           "and closed to others")


def processes_of(uid, zombies=False):
    """Pids of processes whose real uid is `uid`, from /proc; zombies only if asked."""
    return [pid for owner, pid in _live_processes(zombies) if owner == uid]


def _live_processes(zombies=False):
    """(real uid, pid) of every process. The real uid, from status: a process
    cannot hide it (the owner of /proc/PID changes with PR_SET_DUMPABLE)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue  # the process ended while we looked
        # Zombies are already dead; they linger until a parent reaps them.
        if zombies or not fields.get("State", "").strip().startswith("Z"):
            found.append((int(fields.get("Uid", "-1").split()[0]), int(name)))
    return found


# Folders any uid may write to: what a worker leaves there outlives it and
# would be there for the next submission that runs as the same uid.
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run/lock", "/var/lock")


def remove_files_of(uid, folders=SHARED_WRITABLE):
    """Remove every entry owned by `uid` directly in `folders` (a folder with all
    it holds); returns how many went."""
    if uid < FIRST_UID:
        raise ValueError("refusing to remove files of a uid that is not a worker uid")
    removed = 0
    for folder in dict.fromkeys(os.path.realpath(f) for f in folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def kill_all_processes_of(uid):
    """SIGKILL every process running as `uid`; returns how many were still alive after.

    kill(-1) from a process of that uid reaches all of them in one system
    call, so a fork bomb cannot outrun it; the /proc sweep afterwards is a
    second line. The helper child only makes plain system calls between fork
    and _exit, which is safe in a threaded parent.
    """
    if uid < FIRST_UID:
        raise ValueError("refusing to kill processes of a uid that is not a worker uid")
    remaining = []
    for _ in range(20):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        remaining = processes_of(uid)
        if not remaining:
            return 0
        for leftover in remaining:
            try:
                os.kill(leftover, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)  # SIGKILL is delivered asynchronously
    return len(remaining)
