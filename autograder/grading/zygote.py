"""A grading zygote: a process with the grader imported that forks one child per submission.

    python -m autograder.grading.zygote --for OUT    (started by grade_batch, one per job;
                                                     OUT only names the batch it serves)

Starting Python, importing NumPy, pytest and the grader, then starting pytest
again for the suite cost most of a second of CPU per submission. A zygote pays
that once: for each job it forks a child that runs `grade-one` (the same code
as `python -m autograder grade-one`), and that child forks pytest instead of
starting a new interpreter (run_suite.FORK_PYTEST).

Nothing is shared between submissions that a submission could influence: the
zygote itself never stages, grades or runs anything of a submission; every
child starts from the zygote's pristine memory and ends with its job. Student
code runs, as always, in a sandboxed worker that the child's pytest starts.

Protocol, one JSON object per line:
    stdin   {"argv": [grade-one arguments...]}
    stdout  {"started": pid}            the child's pid (its own process group)
            {"returncode": n, "stdout": "..."}   when it has ended
The zygote exits when stdin closes (the batch ended or died).
"""
import json
import os
import signal
import sys
import tempfile
import threading
import time

# What every child needs, imported once here.
import numpy  # noqa: F401
import pytest  # noqa: F401

import autograder.cli as cli
import autograder.grading.plugin  # noqa: F401
import autograder.sandbox  # noqa: F401
from autograder.grading import run_suite


CURRENT = {"pid": None}


def stop_when_orphaned():
    """If the batch that started this zygote dies (even by SIGKILL), stop the running child
    (SIGTERM: it kills its pytest and sandbox workers on the way out) and exit."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        if CURRENT["pid"]:
            try:
                os.killpg(CURRENT["pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass
        os._exit(1)
    threading.Thread(target=watch, name="zygote-orphan-watch", daemon=True).start()


def run_job(argv):
    """Fork a child that grades; return (returncode, what it printed on stdout)."""
    with tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.setsid()
                os.dup2(out.fileno(), 1)
                if "--log" in argv:  # the job's own log gets what it writes to stderr, as grade-one's would
                    log = os.open(argv[argv.index("--log") + 1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                    os.dup2(log, 2)
                run_suite.FORK_PYTEST = True
                code = cli.main(["grade-one", *argv])
                sys.stdout.flush()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        CURRENT["pid"] = pid
        reply({"started": pid})
        _, status = os.waitpid(pid, 0)
        CURRENT["pid"] = None
        out.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode("utf-8", "replace")


def reply(message):
    sys.__stdout__.write(json.dumps(message) + "\n")
    sys.__stdout__.flush()


def main():
    stop_when_orphaned()
    for line in sys.stdin:
        try:
            argv = [str(a) for a in json.loads(line)["argv"]]
        except (ValueError, KeyError, TypeError):
            reply({"returncode": 2, "stdout": ""})
            continue
        returncode, stdout = run_job(argv)
        reply({"returncode": returncode, "stdout": stdout})


if __name__ == "__main__":
    main()
