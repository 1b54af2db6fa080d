"""A seccomp filter for the worker: system calls a student module never needs fail with EPERM.

    from sandbox import seccomp                  # inside the worker (a copy of this file)
    seccomp.install(seccomp.program(unix_sockets=False))

The worker installs it on itself, before it imports anything of the student's
(worker.py), so it holds at every isolation level and for every process the
student starts; it cannot be removed. Self-contained (ctypes and struct
only): the launcher copies this file into the sandbox.

Why each group is denied (EPERM, not a kill: the student sees
"PermissionError: [Errno 1] Operation not permitted" on their own line):

    keys        add_key, keyctl, request_key: the kernel keyring is per uid and
                outlives the process, so a later submission on the same uid
                could read what an earlier one stored (issue 12, finding 2)
    ipc         SysV shared memory, semaphores and message queues, POSIX message
                queues: objects that outlive the process and are shared by key
    namespaces  unshare, setns, clone with CLONE_NEW* flags, mount and friends:
                a user namespace would give the student "root" inside it
    tracing     ptrace, process_vm_readv/writev, kcmp, pidfd_getfd: reading
                other processes (even of the same uid)
    kernel      bpf, perf_event_open, userfaultfd, io_uring (which runs system
                calls this filter never sees), modules, kexec, reboot, swap,
                quotas, syslog, clocks, file handles, iopl/ioperm
    sockets     every socket family but AF_UNIX (no network, no netlink); and
                AF_UNIX too where abstract sockets cannot be made private
                (`unix_sockets=False`). socketpair stays: multiprocessing uses it.

clone3 fails with ENOSYS instead: its flags sit in memory a filter cannot
read, and glibc falls back to clone (whose flags it can read) on ENOSYS.
A system call of a foreign ABI (i386 via int 0x80, x32) kills the process:
the deny list below would not match its numbers.
"""
import ctypes
import os
import platform
import struct

# The deny list by group; numbers per architecture come from the kernel's
# unistd headers (tests/test_sandbox.py compares them where the headers exist).
DENIED = {
    "keys": ["add_key", "request_key", "keyctl"],
    "ipc": ["shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
            "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
            "mq_timedreceive", "mq_notify", "mq_getsetattr"],
    "namespaces": ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
                   "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"],
    "tracing": ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"],
    "kernel": ["bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
               "io_uring_register", "kexec_load", "kexec_file_load", "init_module", "finit_module",
               "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
               "syslog", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init",
               "vhangup", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
               "iopl", "ioperm", "uselib"],
}

# (audit arch, {name: number}); names missing from an architecture do not exist there.
ARCHES = {
    "x86_64": (0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "unshare": 272, "setns": 308, "clone": 56, "clone3": 435,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
        "quotactl": 179, "quotactl_fd": 443, "syslog": 103, "iopl": 172, "ioperm": 173,
        "open_by_handle_at": 304, "name_to_handle_at": 303, "lookup_dcookie": 212,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "shmget": 29,
        "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
        "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
        "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
        "mq_getsetattr": 245, "fanotify_init": 300, "vhangup": 153, "uselib": 134,
        "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
        "socket": 41, "seccomp": 317}),
    "aarch64": (0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219, "ptrace": 117, "process_vm_readv": 270,
        "process_vm_writev": 271, "kcmp": 272, "pidfd_getfd": 438, "bpf": 280, "perf_event_open": 241,
        "userfaultfd": 282, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "unshare": 97, "setns": 268, "clone": 220, "clone3": 435,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89,
        "quotactl": 60, "quotactl_fd": 443, "syslog": 116, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "lookup_dcookie": 18, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "shmget": 194, "shmat": 196, "shmctl": 195, "shmdt": 197,
        "semget": 190, "semop": 193, "semctl": 191, "semtimedop": 192, "msgget": 186, "msgsnd": 189,
        "msgrcv": 188, "msgctl": 187, "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182,
        "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185, "fanotify_init": 262,
        "vhangup": 58, "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266,
        "adjtimex": 171, "socket": 198, "seccomp": 277}),
}

AF_UNIX = 1
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET, and CLONE_NEWTIME.
CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80

# Classic BPF (linux/filter.h, linux/seccomp.h).
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
EPERM, ENOSYS = 1, 38
X32_SYSCALL_BIT = 0x40000000
# struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] (little-endian: low half first).
NR, ARCH, ARG0_LOW = 0, 4, 16


class SeccompError(OSError):
    pass


def machine():
    return platform.machine()


def denied_names():
    """Every system call the filter refuses outright (socket and clone are refused by argument)."""
    return [name for group in DENIED.values() for name in group]


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def program(unix_sockets=True, arch=None):
    """The filter as bytes (an array of struct sock_filter) for `arch` (default: this machine's).

    unix_sockets=False also refuses socket(AF_UNIX, ...), for where abstract
    unix sockets are shared with the host (no network namespace, no Landlock scope).
    """
    arch = arch or machine()
    if arch not in ARCHES:
        raise SeccompError(f"no seccomp table for the {arch} architecture")
    audit_arch, numbers = ARCHES[arch]
    errno_eperm, errno_enosys = RET_ERRNO | EPERM, RET_ERRNO | ENOSYS
    code = [_insn(LD_W_ABS, ARCH),
            _insn(JEQ_K, audit_arch, jt=1), _insn(RET_K, RET_KILL_PROCESS),
            _insn(LD_W_ABS, NR)]
    if arch == "x86_64":  # the x32 ABI shares the arch value but sets this bit
        code += [_insn(JGE_K, X32_SYSCALL_BIT, jf=1), _insn(RET_K, RET_KILL_PROCESS)]
    for name in denied_names():
        if name in numbers:
            code += [_insn(JEQ_K, numbers[name], jf=1), _insn(RET_K, errno_eperm)]
    code += [_insn(JEQ_K, numbers["clone3"], jf=1), _insn(RET_K, errno_enosys)]
    # clone: refuse namespace flags (then reload the number for the next test).
    code += [_insn(JEQ_K, numbers["clone"], jf=4), _insn(LD_W_ABS, ARG0_LOW),
             _insn(JSET_K, CLONE_NEW_FLAGS, jf=1), _insn(RET_K, errno_eperm),
             _insn(RET_K, RET_ALLOW)]
    # socket: only AF_UNIX, and that only if allowed.
    code += [_insn(JEQ_K, numbers["socket"], jf=4), _insn(LD_W_ABS, ARG0_LOW),
             _insn(JEQ_K, AF_UNIX, jf=1), _insn(RET_K, RET_ALLOW if unix_sockets else errno_eperm),
             _insn(RET_K, errno_eperm)]
    code.append(_insn(RET_K, RET_ALLOW))
    return b"".join(code)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1


def install(filter_bytes):
    """Install the filter on this process (all its threads) and everything it starts."""
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(filter_bytes, len(filter_bytes))
    prog = _SockFprog(len(filter_bytes) // 8, ctypes.addressof(buffer))
    # Needed without CAP_SYS_ADMIN (setpriv already set it; setting it twice is harmless).
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SeccompError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    _, numbers = ARCHES[machine()]
    # seccomp(2) with TSYNC covers threads that exist already; prctl is the older interface.
    if libc.syscall(numbers["seccomp"], SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                    ctypes.byref(prog)) == 0:
        return
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        errno = ctypes.get_errno()
        raise SeccompError(errno, f"installing the seccomp filter failed: {os.strerror(errno)}")


def in_force():
    """Whether this process runs under a seccomp filter (from /proc/self/status)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Seccomp:"):
                    return line.split()[1] == "2"
    except OSError:
        pass
    return None
