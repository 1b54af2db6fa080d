"""What the worker (and the start-up probe) does to itself before any student code runs.

    confine.apply({"landlock": {"read": [...], "write": [...]} or None,
                   "seccomp": {"unix_sockets": bool} or None})

Landlock first (it needs system calls the seccomp filter leaves alone anyway),
then the seccomp filter; both hold for every process the student starts, and
neither can be undone. Runs inside the sandbox, from the copies the launcher
made of this folder's confine.py, landlock.py and seccomp.py.
"""
from sandbox import landlock, seccomp


def apply(spec):
    """Confine this process as `spec` says; raises OSError if the kernel refuses."""
    if spec.get("landlock"):
        landlock.restrict(read=spec["landlock"]["read"], write=spec["landlock"]["write"])
    if spec.get("seccomp"):
        seccomp.install(seccomp.program(unix_sockets=spec["seccomp"]["unix_sockets"]))
