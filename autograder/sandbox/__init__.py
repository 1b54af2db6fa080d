"""Runs student code in a confined worker process during grading.

    from autograder.sandbox import RemoteCode
    student = RemoteCode(submission_root, isolation="auto")   # bwrap > rlimits > none

remote.py     RemoteCode, the grader-side `Code` (timeouts, restarts, errors)
process.py    one worker process: start, talk, kill
channel.py    pipes read and written against deadlines; capped output capture
isolation.py  the confinement levels (none, rlimits, bwrap) and resource limits
slots.py      a private unprivileged uid per running worker
worker.py     the loop that runs inside the sandbox
"""
from .isolation import Limits, SandboxError
from .remote import RemoteCode

__all__ = ["Limits", "RemoteCode", "SandboxError"]
