"""Run an assignment's suite on one staged submission, in a separate process.

    run = run_suite(roots, manifest, staged_root, isolation="auto", timeout_s=900)

starts `python -m pytest <the manifest's suites>` with the recording plugin
(`plugin.py`) in its own process group, with a wall-clock limit. The pytest
process is trusted (it holds the hidden tests and the reference); the
student's code runs in the sandbox worker the suite's `student` fixture
starts. If pytest dies or hits the limit, the tests it reported stand and
every other test scores 0 with a message saying why.

Problems of the suite itself (a test file that does not import, no tests,
a test that skipped because something the grader needs is missing) are the
instructor's: they raise `SuiteError` instead of costing students points.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.isolation import protected_env
from autograder.sandbox.trusted import trusted_limits
from course import REPO, CourseError

INI = Path(__file__).with_name("suite_pytest.ini")


class SuiteError(CourseError):
    """The suite could not be collected or run (an instructor problem, not the student's)."""


@dataclass
class TestResult:
    id: str                # pytest node id relative to the suites root
    file: str              # suite file name, e.g. "test_knn.py"
    points: float
    public: bool
    passed: bool = False
    message: str = ""      # safe for the student
    output: str = ""       # a few lines the student's code printed, if the sandbox captured them
    duration_s: float = 0.0

    @property
    def name(self):
        """Display name: the node id without the assignment folder."""
        return self.id.split("/", 1)[-1]


@dataclass
class SuiteRun:
    tests: list = field(default_factory=list)
    complete: bool = True   # pytest ran to its end
    problem: str = ""       # for the student, when it did not
    wall_s: float = 0.0
    notes: list = field(default_factory=list)   # conversions of the student's values, for the student
    import_problems: list = field(default_factory=list)   # student modules that did not import, for the student


def pytest_command(roots, manifest, student_root, isolation, results_file, collect_only=False, salt=""):
    targets = manifest.suite_paths(roots)
    missing = [str(t) for t in targets if not t.exists()]
    if missing:
        raise SuiteError(f"{manifest.name}: suite files listed in the manifest do not exist: {', '.join(missing)}")
    sandbox = manifest.sandbox
    command = [sys.executable, "-m", "pytest", *map(str, targets),
               "-c", str(INI), "--rootdir", str(roots.suites), "--confcutdir", str(roots.suites),
               "-p", "autograder.grading.plugin", f"--grading-results={results_file}",
               f"--student-root={student_root}", f"--isolation={isolation}",
               f"--reference-root={roots.source}", f"--call-timeout={sandbox.call_timeout_s}",
               f"--sandbox-budget={sandbox.budget_s}", f"--sandbox-memory-mb={sandbox.memory_mb}",
               f"--sandbox-processes={sandbox.processes}", f"--sandbox-threads={sandbox.threads}",
               f"--sandbox-preload={','.join(sandbox.preload)}",
               f"--hidden-seed-salt={salt}", "-q", "--tb=native"]
    return command + (["--collect-only"] if collect_only else [])


def grader_environment():
    """The environment of grader child processes: this repository importable, no stray pytest
    options, and no pytest plugins but ours: plugins that happen to be installed (anyio's,
    trio's) would cost every submission most of a second of start-up and could change how
    tests run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _read_records(path):
    """Parse the plugin's JSON lines; a torn last line (process killed mid-write) is dropped."""
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    break
    except FileNotFoundError:
        pass
    return records


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait()
    except ChildProcessError:
        pass


# Set by a grading zygote (zygote.py), which has pytest and the grader imported already:
# then pytest runs in a forked copy of this process instead of a new interpreter.
FORK_PYTEST = False


class _Forked:
    """A forked child running pytest.main, with the Popen methods _run_pytest uses."""

    def __init__(self, command, cwd, env, log, enter_limits=None):
        import pytest
        self.pid = os.fork()
        if self.pid == 0:  # the child: nothing may return from here
            code = 70
            try:
                os.setsid()
                if enter_limits:  # the trusted process's limits (autograder.sandbox.trusted)
                    enter_limits()
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                code = int(pytest.main(command[3:]))  # command: python -m pytest <args>
            except BaseException:
                pass
            finally:
                os._exit(code)
        self.returncode = None

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG if deadline else 0)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired("pytest", timeout)
            else:
                time.sleep(0.02)
        return self.returncode


def _run_pytest(command, env, timeout_s, log):
    """Run pytest in its own process group, under the trusted process's limits
    (autograder.sandbox.trusted); returns (returncode or None on timeout, wall seconds)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grading-cwd-") as cwd, trusted_limits() as limits:
        env = protected_env([cwd], env)
        if FORK_PYTEST:
            log.flush()
            proc = _Forked(command, cwd, env, log, limits.enter)
        else:
            proc = subprocess.Popen(limits.argv + command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            # Also on KeyboardInterrupt/SystemExit: never leave the tree running.
            _kill_group(proc)
    return returncode, time.monotonic() - start


def _suite_problem(records, returncode, log_path):
    """A message when the suite itself failed (not the submission), else None.

    Student code never runs during collection, so pytest stopping before it
    had collected, or ending on its own with an internal/usage error, is the
    suite's or the grader's fault. Dying after collection is not (see run_suite).
    """
    where = f" (see {log_path})" if log_path else ""
    errors = [r for r in records if r["kind"] == "collect_error"]
    if errors:
        return f"the suite could not be collected: {errors[0]['where']}: {errors[0]['detail'][-1500:]}{where}"
    collected = next((r for r in records if r["kind"] == "collected"), None)
    if collected is None:
        how = "ran past its time limit" if returncode is None else f"stopped with exit code {returncode}"
        return f"pytest {how} before it had collected the suite{where}"
    if not collected["tests"]:
        return f"the suite has no tests{where}"
    finished = next((r for r in records if r["kind"] == "finished"), None)
    if finished and finished["exitstatus"] in (3, 4):
        return f"pytest ended with an internal or usage error (exit status {finished['exitstatus']}){where}"
    skipped = next((r for r in records if r["kind"] == "result" and r.get("skipped")), None)
    if skipped:
        return (f"{skipped['id']} did not run ({skipped['skipped']}); a check that cannot run for a reason "
                f"that is not the student's never scores as their zero{where}")
    return None


def _tests_from(records):
    """{node id: TestResult (not passed)} from the "collected" record (checked by _suite_problem)."""
    collected = next(r for r in records if r["kind"] == "collected")
    return {t["id"]: TestResult(t["id"], t["file"], t["points"], t["public"]) for t in collected["tests"]}


def _run(roots, manifest, student_root, isolation, timeout_s, log_path, collect_only, salt=""):
    with tempfile.TemporaryDirectory(prefix="grading-results-") as tmp:
        results_file = Path(tmp) / "results.jsonl"
        command = pytest_command(roots, manifest, student_root, isolation, results_file, collect_only, salt)
        # What the sandbox's start-up probe must find unreadable to the worker's uid.
        staging = Path(student_root).parent if Path(student_root) != Path(roots.source) else None
        protected = [roots.source, roots.suites, tmp, staging] + ([log_path, Path(log_path).parent] if log_path else [])
        with open(log_path or os.devnull, "ab") as log:
            returncode, wall_s = _run_pytest(command, protected_env(protected, grader_environment()), timeout_s, log)
        return _read_records(results_file), returncode, wall_s


def collect_tests(roots, manifest, isolation="auto", log_path=None, timeout_s=300):
    """The suite's tests, all unpassed, without running any (no student code runs)."""
    records, returncode, _ = _run(roots, manifest, roots.source, isolation, timeout_s, log_path, True)
    problem = _suite_problem(records, returncode, log_path)
    if problem:
        raise SuiteError(f"{manifest.name}: {problem}")
    return list(_tests_from(records).values())


def run_suite(roots, manifest, student_root, isolation="auto", timeout_s=900, log_path=None, salt=""):
    """Grade the staged submission at `student_root`; returns a `SuiteRun` (see module docstring)."""
    records, returncode, wall_s = _run(roots, manifest, student_root, isolation, timeout_s, log_path, False, salt)
    problem = _suite_problem(records, returncode, log_path)
    if problem:
        raise SuiteError(f"{manifest.name}: {problem}")
    tests = _tests_from(records)
    for record in records:
        if record["kind"] == "result" and record["id"] in tests:
            test = tests[record["id"]]
            test.passed, test.message = record["passed"], record["message"]
            test.output, test.duration_s = record["output"], record["duration_s"]
    reported = {r["id"] for r in records if r["kind"] == "result"}
    finished = any(r["kind"] == "finished" for r in records)
    notes = [n for r in records if r["kind"] == "notes" for n in r["notes"]]
    imports = [str(p) for r in records if r["kind"] == "import_problems" for p in r["problems"]]
    run = SuiteRun(list(tests.values()), complete=finished and returncode in (0, 1), wall_s=wall_s,
                   notes=list(dict.fromkeys(notes))[:10], import_problems=list(dict.fromkeys(imports))[:10])
    if not run.complete:
        if returncode is None:
            run.problem = (f"Grading stopped at the time limit of {timeout_s:.0f} s; checks that had not "
                           "finished score 0. Look for very slow code or an endless loop.")
        else:
            run.problem = ("Grading stopped unexpectedly before all checks had finished; checks that had "
                           "not finished score 0. If your code uses a lot of memory, that may be the cause.")
        for test in run.tests:
            if test.id not in reported:
                test.message = "not run: " + run.problem.split(";")[0].lower().rstrip(".")
    return run
