"""The start-up probe: run once per grading process, as a worker would be run.

    python -I -B <grader>/sandbox/probe.py SPEC_JSON

The launcher runs it exactly like the worker (same uid, cgroup, namespaces,
rlimits, Landlock and seccomp), so what it finds is what student code would
find. It prints one JSON line:

    {"confined": error or null, "readable": [paths it could read or list],
     "grader_visible": it could read the grader's command line,
     "other_processes": pids of other uids it could see in /proc,
     "keyring": what keyctl(2) did, "sysv_ipc": what shmget(2) did,
     "socket_inet": what socket(AF_INET) did, "numpy": error or null, "uid": n}

SPEC holds the confinement (see confine.py), the paths that must stay
unreadable, the grader's pid and the sha256 of its command line.
"""
import ctypes
import hashlib
import json
import os
import socket
import sys


def readable(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def syscall_outcome(number, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall(number, *args)
    return "ok" if result >= 0 else os.strerror(ctypes.get_errno())


def other_processes():
    mine, seen = os.getuid(), []
    try:
        names = [n for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return seen
    for name in names:
        try:
            if os.stat(f"/proc/{name}").st_uid != mine and readable(f"/proc/{name}/cmdline"):
                seen.append(int(name))
        except OSError:
            pass
    return seen


def main(spec):
    report = {"uid": os.getuid(), "confined": None}
    try:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from sandbox import confine, seccomp
        confine.apply(spec["confine"])
    except Exception as exc:
        report["confined"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps(report), flush=True)
        return
    report["readable"] = [path for path in spec["protected"] if readable(path)]
    try:
        with open(f"/proc/{spec['grader_pid']}/cmdline", "rb") as f:
            report["grader_visible"] = hashlib.sha256(f.read()).hexdigest() == spec["grader_cmdline_sha256"]
    except OSError:
        report["grader_visible"] = False
    report["other_processes"] = other_processes()[:20]
    numbers = seccomp.ARCHES.get(seccomp.machine(), (0, {}))[1]
    report["seccomp"] = seccomp.in_force()
    if numbers:
        # Harmless where allowed: look up the user keyring without creating it,
        # and a shared memory key that does not exist, without IPC_CREAT.
        report["keyring"] = syscall_outcome(numbers["keyctl"], 0, -4, 0)   # KEYCTL_GET_KEYRING_ID, @u
        report["sysv_ipc"] = syscall_outcome(numbers["shmget"], 0x7A670001, 4096, 0)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        report["socket_inet"] = "ok"
    except OSError as exc:
        report["socket_inet"] = exc.strerror
    # The worker imports numpy first thing; finding it and reading its first
    # file proves the venv is readable here for a tenth of the import's cost.
    try:
        import importlib.util
        found = importlib.util.find_spec("numpy")
        if found is None or not found.origin:
            raise ImportError("No module named 'numpy'")
        with open(found.origin, "rb") as f:
            f.read(1)
        report["numpy"] = None
    except Exception as exc:
        report["numpy"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
