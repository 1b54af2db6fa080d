"""Landlock: the worker gives up every file it was not explicitly allowed (Linux >= 5.13).

    from sandbox import landlock                 # inside the worker (a copy of this file)
    landlock.restrict(read=["/usr", venv, submission], write=[home], own_proc=True)

Used at isolation "rlimits", where the worker shares the host's file system,
/proc and abstract unix sockets: after `restrict`, opening anything outside
`read` and `write` fails with PermissionError whatever the file's mode says
(the reference, the suites, the grader's logs, other submissions, other
processes' /proc/PID/cmdline), TCP bind/connect fail (ABI >= 4), and abstract
unix sockets and signals cannot reach anything outside the worker (ABI >= 6).
Landlock needs no privilege; it restricts the calling thread and what it
starts, so the worker calls it before it starts any thread.

Self-contained (ctypes and struct only): the launcher copies this file into
the sandbox. Numbers from linux/landlock.h.
"""
import ctypes
import os
import struct

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446   # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15      # ABI 2, 3, 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1                # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1      # ABI 6

FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
READ = EXECUTE | READ_FILE | READ_DIR
WRITE = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO
         | MAKE_SYM | REFER | TRUNCATE)
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV   # what a rule on a file may grant

# Device files every program may use; everything else in /dev stays closed.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class LandlockError(OSError):
    pass


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi():
    """The Landlock ABI version this kernel offers; 0 when it has none (or it is blocked)."""
    version = _libc().syscall(CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _fs_rights(version):
    return FS_BY_ABI.get(version, FS_BY_ABI[5])


def restrict(read=(), write=(), own_proc=True, version=None):
    """Allow reading `read`, reading and writing `write` (folders or files), and nothing else.

    own_proc: also allow this process's own /proc/PID (Python, numpy and torch
    read /proc/self/...), but no other process's. Paths that do not exist are
    skipped. Returns the ABI version used. Raises LandlockError when the kernel
    refuses (a grader problem: the probe checks it before any student code runs).
    """
    version = abi() if version is None else version
    if version < 1:
        raise LandlockError("Landlock is not available on this kernel")
    handled_fs = _fs_rights(version)
    attr = struct.pack("=Q", handled_fs)
    if version >= 4:
        attr += struct.pack("=Q", NET_BIND_TCP | NET_CONNECT_TCP)    # no rule: no TCP at all
    if version >= 6:
        attr += struct.pack("=Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    libc = _libc()
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)), 0)
    if ruleset < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, f"landlock_create_ruleset failed: {os.strerror(errno)}")
    try:
        allowed = [(path, READ) for path in read] + [(path, READ | WRITE) for path in write]
        allowed += [(path, READ_FILE | WRITE_FILE) for path in DEVICES]
        if own_proc:
            allowed.append((f"/proc/{os.getpid()}", READ_FILE | READ_DIR))
        for path, rights in allowed:
            _add_rule(libc, ruleset, path, rights & handled_fs)
        if libc.prctl(38, 1, 0, 0, 0) != 0:   # PR_SET_NO_NEW_PRIVS, required without CAP_SYS_ADMIN
            raise LandlockError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(RESTRICT_SELF, ruleset, 0) != 0:
            errno = ctypes.get_errno()
            raise LandlockError(errno, f"landlock_restrict_self failed: {os.strerror(errno)}")
    finally:
        os.close(ruleset)
    return version


def _add_rule(libc, ruleset, path, rights):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not on this machine
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = struct.pack("=Qi", rights, fd)   # struct landlock_path_beneath_attr is packed
        buffer = ctypes.create_string_buffer(rule, len(rule))
        if libc.syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, buffer, 0) != 0:
            errno = ctypes.get_errno()
            raise LandlockError(errno, f"landlock_add_rule({path}) failed: {os.strerror(errno)}")
    finally:
        os.close(fd)
