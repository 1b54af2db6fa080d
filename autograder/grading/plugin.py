"""pytest plugin that records, per test, what may be shown to the student.

Loaded by `run_suite` in the trusted grading process:

    python -m pytest <suite> -p autograder.grading.plugin --grading-results=FILE ...

FILE receives JSON lines, flushed one at a time, so whatever was written
before the process died or was killed stands:

    {"kind": "collected", "tests": [{"id", "file", "points", "public"}, ...]}
    {"kind": "collect_error", "where": ..., "detail": ...}      (for the instructor)
    {"kind": "result", "id", "passed", "message", "output", "duration_s"}
    {"kind": "finished", "exitstatus": n}

`message` is built only from what is meant for students: str() of a
`CheckFailed` or `StudentCodeError`, whose texts never hold test inputs or
expected values. Any other exception in a hidden test (a plain assert, a bug
in the test) becomes a generic line: pytest's assertion rewriting,
tracebacks and test source never reach the record. Public tests are shipped
to students, so for them the exception type and first line are shown.

`output` is the last few lines the student's code printed during a failed
*public* test (from the `student` fixture's `output()`, when it has one).
For hidden tests it is left out, since code can print its hidden inputs;
it goes to the failure report in the instructor's log instead.
"""
import json
import os
import signal
import threading
import time

import pytest

from autograder.testkit import CheckFailed, StudentCodeError

INTERNAL_ERROR = "the check could not complete (internal error)"
MAX_MESSAGE_CHARS = 1000
MAX_OUTPUT_LINES = 5
MAX_OUTPUT_LINE_CHARS = 200


def pytest_addoption(parser):
    parser.getgroup("grading").addoption(
        "--grading-results", default=None, help="JSON-lines file receiving per-test results for the student")


def pytest_configure(config):
    path = config.getoption("--grading-results")
    if path:
        config.pluginmanager.register(Recorder(path), "grading-recorder")
        _stop_when_orphaned()


def _stop_when_orphaned():
    """If the process that started this run dies (even by SIGKILL), end the run's whole
    process group (pytest and the sandbox workers it started) instead of grading on unseen."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        if os.getpgrp() == os.getpid():  # run_suite made us a group leader: the group is ours
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watch, name="grading-orphan-watch", daemon=True).start()


def marker_info(item):
    """(points, public) of a collected test, from its markers."""
    points = item.get_closest_marker("points")
    return (float(points.args[0]) if points and points.args else 0.0,
            item.get_closest_marker("public") is not None)


def _cap(text, limit=MAX_MESSAGE_CHARS):
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def student_message(exc, public, when):
    """The one message a student sees for a failed test (see module docstring)."""
    if isinstance(exc, (CheckFailed, StudentCodeError)):
        return _cap(exc) or f"{type(exc).__name__} (no message)"
    if public and when == "call":
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return _cap(f"the check could not complete ({type(exc).__name__}{': ' + first if first else ''})", 300)
    return INTERNAL_ERROR


def printed_so_far(item):
    """Everything the student's code has printed in this session ("" if not available)."""
    student = getattr(item, "funcargs", {}).get("student")
    output = getattr(student, "output", None)
    if not callable(output):
        return ""
    try:
        text = output()
    except Exception:
        return ""
    return text if isinstance(text, str) else ""


def excerpt(text):
    """The last few lines of `text`, each cut to a sane width."""
    lines = text.splitlines()
    if not lines:
        return ""
    kept = [line[:MAX_OUTPUT_LINE_CHARS] for line in lines[-MAX_OUTPUT_LINES:]]
    if len(lines) > MAX_OUTPUT_LINES:
        kept.insert(0, f"[... {len(lines) - MAX_OUTPUT_LINES} earlier lines not shown]")
    return "\n".join(kept)


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")
        self.pending = {}   # nodeid -> partial record, filled phase by phase
        self.info = {}      # nodeid -> (points, public)
        self.printed_before = {}  # nodeid -> length of the student's output when the test body started

    def write(self, record):
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def pytest_collectreport(self, report):
        if report.failed:
            self.write({"kind": "collect_error", "where": report.nodeid, "detail": str(report.longrepr)[-4000:]})

    def pytest_collection_finish(self, session):
        tests = []
        for item in session.items:
            points, public = self.info[item.nodeid] = marker_info(item)
            tests.append({"id": item.nodeid, "file": item.nodeid.split("::")[0].rsplit("/", 1)[-1],
                          "points": points, "public": public})
        self.write({"kind": "collected", "tests": tests})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self.printed_before[item.nodeid] = len(printed_so_far(item))
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        record = self.pending.setdefault(item.nodeid, {
            "kind": "result", "id": item.nodeid, "passed": True, "message": "", "output": "",
            "duration_s": 0.0, "started": time.monotonic()})
        if report.failed and record["passed"]:
            record["passed"] = False
            public = (self.info.get(item.nodeid) or marker_info(item))[1]
            exc = call.excinfo.value if call.excinfo is not None else None
            record["message"] = student_message(exc, public, call.when) if exc is not None else INTERNAL_ERROR
            printed = printed_so_far(item)[self.printed_before.get(item.nodeid, 0):]
            if printed:
                report.sections.append(("Captured output of the student's code", printed))
                if public:
                    record["output"] = excerpt(printed)
        elif report.skipped and record["passed"]:
            record["passed"] = False
            record["message"] = "this check did not run (skipped)"

    def pytest_runtest_logfinish(self, nodeid):
        record = self.pending.pop(nodeid, None)
        if record is not None:
            record["duration_s"] = round(time.monotonic() - record.pop("started"), 3)
            self.write(record)

    def pytest_sessionfinish(self, session, exitstatus):
        self.write({"kind": "finished", "exitstatus": int(exitstatus)})
        self.file.close()
