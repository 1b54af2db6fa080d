"""pytest plugin that records, per test, what may be shown to the student.

Loaded by `run_suite` in the trusted grading process:

    python -m pytest <suite> -p autograder.grading.plugin --grading-results=FILE ...

FILE receives JSON lines, flushed one at a time, so whatever was written
before the process died or was killed stands:

    {"kind": "collected", "tests": [{"id", "file", "points", "public"}, ...]}   (suite order)
    {"kind": "collect_error", "where": ..., "detail": ...}      (for the instructor)
    {"kind": "result", "id", "passed", "message", "output", "duration_s", "skipped"}
    {"kind": "notes", "notes": [...]}   (conversions of the student's values)
    {"kind": "import_problems", "problems": [...]}   (student modules that did not import)
    {"kind": "finished", "exitstatus": n}

Public tests run first, hidden tests after them: a public test's message is
visible at once, so it must never run in a worker that has already seen
hidden inputs. Results are reported in suite order all the same.

`message` is built only from what is meant for students. Public tests:
str() of a `CheckFailed` or `StudentCodeError` (the text of the student's own
exception included), or the type and first line of any other exception.
Hidden tests: str() of a `CheckFailed` (written by the suites, never holding
inputs or expected values), the `brief` of a `StudentCodeError` (which call
failed, the exception's class and the student's line, without the text the
student's code wrote, which could echo hidden inputs), and a generic line
for anything else (a plain assert, a bug in the test): pytest's assertion
rewriting, tracebacks and test source never reach the record.

`output` is the last few lines the student's code printed during a failed
*public* test (from the `student` fixture's `output()`, when it has one).
For hidden tests it is left out, since code can print its hidden inputs;
it goes to the failure report in the instructor's log instead.

A skipped test is recorded with the reason: grading treats it as a problem
of the grader (something it needs is missing), never as the student's zero.

A student module that does not import fails every test that uses it. That
is reported once, at the top of the feedback ("import_problems"): the file,
the line of the student's own file that failed, read here from the
submission (never the exception's text, which the student's code wrote), and
what to do; each test it failed says only that the module did not import.
"""
import ast
import builtins
import json
import os
import re
import signal
import threading
import time
from pathlib import Path

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
        root = config.getoption("--student-root", default=None)
        config.pluginmanager.register(Recorder(path, root), "grading-recorder")
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
    if isinstance(exc, StudentCodeError) and not public:
        return _cap(exc.brief) or f"{type(exc).__name__} (no message)"
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


# ---- a student module that does not import ------------------------------------------------

# "importing cs231n.layers raised ModuleNotFoundError: ..." (the sandbox worker's words)
IMPORT_FAILED = re.compile(r"importing (cs231n(?:\.\w+)+) raised (\w+)")
SYNTAX_ERRORS = {"SyntaxError", "IndentationError", "TabError"}
STANDARD_EXCEPTIONS = {name for name, value in vars(builtins).items()
                       if isinstance(value, type) and issubclass(value, BaseException)}
# What to do about a module the course environment lacks, by its top-level package.
MISSING_MODULE_HINTS = {
    "past": "it is Python 2 compatibility code (the old starter code's); remove the import and use range "
            "where the code says xrange",
    "future": "it is Python 2 compatibility code; remove the import",
    "six": "it is Python 2 compatibility code; remove the import",
    "scipy": "use NumPy instead (for example np.linalg, or write the computation yourself)",
}


def module_file(root, module):
    """The submission's file of dotted `module` (a module or a package's __init__.py), or None."""
    base = Path(root).joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path):
    """[(line, {names it imports, dotted, with their parents})] of the import statements in `path`."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        parents = {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 2)}
        if parents:
            found.append((node.lineno, parents))
    return found


def _line(path, number):
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return text if len(text) <= 200 else text[:199] + "…"


def import_report(root, module, kind, message):
    """One paragraph for the student about `module`, which raised `kind` when imported.

    The line shown is found in the student's own files: for a module that does
    not exist, the import statement naming it (in the failing module or a
    module it imports); otherwise the line the message points to, in the
    failing module. `message` (written by the student's code) only picks the
    line; none of its text is shown.
    """
    kind = kind if kind in STANDARD_EXCEPTIONS else "an exception"
    own = module_file(root, module)
    files = ([own] if own else []) + sorted(p for p in Path(root).glob("cs231n/**/*.py") if p != own)
    rel = lambda path: path.relative_to(root).as_posix()
    missing = re.search(r"No module named '([\w.]+)'", message)
    if missing:
        name = missing.group(1)
        for path in files:
            for number, names in _imports(path):
                if name in names:
                    top = name.split(".")[0]
                    hint = MISSING_MODULE_HINTS.get(top, "remove the import, or use NumPy instead")
                    return (f"{rel(path)}, line {number}: `{_line(path, number)}` raised {kind} (No module "
                            f"named {name!r}): the course environment does not have it. What to do: {hint}.")
    absent = re.search(r"cannot import name '(\w+)' from '([\w.]+)'", message)
    if absent:
        name = f"{absent.group(2)}.{absent.group(1)}"
        for path in files:
            for number, names in _imports(path):
                if name in names:
                    return (f"{rel(path)}, line {number}: `{_line(path, number)}` raised {kind}: the course "
                            f"environment's {absent.group(2)} has no {absent.group(1)!r} (newer versions removed "
                            "or moved it). What to do: remove the import and write that part with NumPy.")
    located = re.search(r"\(at ([\w.-]+\.py), line (\d+)\)", message)
    if own and located and located.group(1) == own.name:
        number = int(located.group(2))
        return (f"{rel(own)}, line {number}: `{_line(own, number)}` raised {kind} when {module} was imported. "
                "Code at the top level of a module runs when it is imported: fix that line (or move it into a "
                "function).")
    where = rel(own) if own else module
    return (f"{where}: importing {module} raised {kind}. Run `import {module}` in a notebook to see where, "
            "and fix that line.")


class Recorder:
    def __init__(self, path, student_root=None):
        self.student_root = student_root
        self.import_failures = {}   # module -> (exception class name, full message), first seen
        self.file = open(path, "a", encoding="utf-8")
        self.pending = {}   # nodeid -> partial record, filled phase by phase
        self.info = {}      # nodeid -> (points, public)
        self.printed_before = {}  # nodeid -> length of the student's output when the test body started
        self.suite_order = []     # the items as collected, before public tests are moved first
        self.student = None       # the `student` fixture's value, for its notes

    def write(self, record):
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def pytest_collectreport(self, report):
        if report.failed:
            self.write({"kind": "collect_error", "where": report.nodeid, "detail": str(report.longrepr)[-4000:]})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        self.suite_order = list(items)
        items[:] = sorted(items, key=lambda item: not marker_info(item)[1])  # stable: public first

    def pytest_collection_finish(self, session):
        tests = []
        for item in self.suite_order or session.items:
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
            failed_import = IMPORT_FAILED.match(str(exc)) if isinstance(exc, StudentCodeError) else None
            # A syntax error is already a problem of the submission (submission.py says where).
            if failed_import and self.student_root and failed_import.group(2) not in SYNTAX_ERRORS:
                module = failed_import.group(1)
                self.import_failures.setdefault(module, (failed_import.group(2), str(exc)))
                record["message"] = (f"not run: {module} could not be imported (see the top of this feedback: "
                                     "Your code could not be imported)")
            printed = printed_so_far(item)[self.printed_before.get(item.nodeid, 0):]
            if printed:
                report.sections.append(("Captured output of the student's code", printed))
                if public:
                    record["output"] = excerpt(printed)
        elif report.skipped and record["passed"]:
            record["passed"] = False
            record["message"] = "this check did not run (skipped)"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            record["skipped"] = _cap(str(reason).removeprefix("Skipped: "), 500) or "skipped"
        if self.student is None:
            self.student = getattr(item, "funcargs", {}).get("student")

    def pytest_runtest_logfinish(self, nodeid):
        record = self.pending.pop(nodeid, None)
        if record is not None:
            record["duration_s"] = round(time.monotonic() - record.pop("started"), 3)
            self.write(record)

    def pytest_sessionfinish(self, session, exitstatus):
        if self.import_failures:
            problems = [import_report(self.student_root, module, kind, message)
                        for module, (kind, message) in sorted(self.import_failures.items())]
            self.write({"kind": "import_problems", "problems": [_cap(p, 600) for p in dict.fromkeys(problems)]})
        notes = getattr(self.student, "notes", None)
        if isinstance(notes, list) and notes:
            self.write({"kind": "notes", "notes": [_cap(n, 300) for n in notes[:10]]})
        self.write({"kind": "finished", "exitstatus": int(exitstatus)})
        self.file.close()
