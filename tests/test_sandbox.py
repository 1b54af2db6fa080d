"""autograder.sandbox: student code runs in a confined worker, and a hostile
submission gets a clear error while the grader survives.

The student package is generated below (STUDENT_FILES). Most behaviours are
checked at every isolation level available here (none, rlimits, bwrap); the
confinement itself (hidden files, network, processes outliving grading) at
the levels that promise it, with the unconfined level as a control showing
the check would notice a leak.
"""
import json
import os
import re
import resource
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import RemoteCode, SandboxError, isolation
from autograder.sandbox.slots import processes_of, sweep_unclaimed
from autograder.testkit import (CheckFailed, Remote, StudentCodeError, StudentCrash, StudentTimeout,
                                assert_array, assert_close, assert_equal_labels)
from tests import hostile_submissions

REPO = Path(__file__).resolve().parents[1]
CALL_TIMEOUT = 3.0

STUDENT_FILES = {
    "cs231n/__init__.py": "",
    "cs231n/basics.py": """
        import numpy as np

        def add(a, b):
            return a + b

        def values():
            return {"int": 3, "nan": float("nan"), "array": np.arange(6).reshape(2, 3),
                    "scalar": np.float32(1.5), "pair": (1, [2.0, None]), "text": "ok"}

        class Counter:
            def __init__(self, start):
                self.count = start

            def bump(self, by=1):
                self.count += by
                return self.count

        def count_of(counter):
            return counter.count

        def fails(x):
            y = x + 1
            raise ValueError(f"x must be negative, got {y - 1}")

        def two_args(a, b):
            return a
    """,
    "cs231n/broken.py": """
        import numpy as np

        def f(x) return x
    """,
    "cs231n/needs_missing.py": "import not_a_real_module_xyz\n",
    "cs231n/exits_on_import.py": "import sys\nsys.exit(0)\n",
    "cs231n/os_exits_on_import.py": "import os\nos._exit(0)\n",
    "cs231n/patches_on_import.py": """
        import builtins, sys, types
        import numpy as np

        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        builtins.abs = lambda x: 0
        sys.modules["pytest"] = types.ModuleType("pytest")

        def wrong():
            return np.zeros(3)
    """,
    "cs231n/hostile.py": """
        import os, socket, sys, tempfile, time
        import numpy as np

        class AlwaysEqual:
            def __eq__(self, other):
                return True

        class FakeArray(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), dtype=bool)

        def always_equal():
            return AlwaysEqual()

        def fake_array():
            return np.zeros(3).view(FakeArray)

        def object_array():
            return np.array([object()], dtype=object)

        def loop():
            while True:
                pass

        def sleep(seconds):
            time.sleep(seconds)

        def sys_exit():
            sys.exit(0)

        def os_exit():
            os._exit(0)

        def allocate_50_gb():
            return np.ones(50 * 10**9 // 8).sum()

        def whoami():
            return os.getuid(), sorted(os.environ)

        def read_paths(paths):
            outcome = {}
            for path in paths:
                try:
                    if os.path.isdir(path):
                        os.listdir(path)
                    else:
                        open(path, "rb").read(1)
                    outcome[path] = "read"
                except OSError as exc:
                    outcome[path] = type(exc).__name__
            return outcome

        def write_paths(paths):
            outcome = {}
            for path in paths:
                try:
                    with open(path, "w") as f:
                        f.write("hostile")
                    outcome[path] = "written"
                except OSError as exc:
                    outcome[path] = type(exc).__name__
            return outcome

        def private_tmp_file():
            return os.path.join(tempfile.gettempdir(), "scratch.txt")

        def connect(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return "connected"
            except OSError as exc:
                return type(exc).__name__

        def start_daemon():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.closerange(0, 256)
                    while True:
                        time.sleep(1)
                os._exit(0)
            os.wait()
            return True

        def fork_bomb(seconds):
            forks = refused = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    pid = os.fork()
                except OSError:
                    refused += 1
                    time.sleep(0.01)
                    continue
                if pid == 0:
                    _bomb_forever()
                forks += 1
            return forks, refused

        def _bomb_forever():
            os.closerange(0, 256)
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)

        def print_flood(megabytes):
            chunk = "x" * 2**20
            for _ in range(megabytes):
                sys.stdout.write(chunk)
                os.write(2, b"y" * 65536)
            sys.stdout.flush()
            return megabytes

        def corrupt_protocol():
            os.write(int(sys.argv[2]), b"\\xff" * 64)
            return 1

        def big_answer():
            return np.zeros(10**6)
    """,
    # A submission-level numpy.py must not replace the worker's numpy.
    "numpy.py": "raise SystemExit('a student numpy.py was imported')\n",
}

BASICS, HOSTILE = "cs231n.basics", "cs231n.hostile"


def write_package(root, files=STUDENT_FILES):
    for relative, text in files.items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return Path(root)


def level_problem(level):
    if level == "bwrap":
        return isolation.bwrap_problem()
    if level == "rlimits":
        return isolation.rlimits_problem()
    return None


def needs(level):
    problem = level_problem(level)
    if problem:
        pytest.skip(f"isolation {level!r} is unavailable here: {problem}")


ALL_LEVELS = ["none", "rlimits", "bwrap"]
CONFINED = ["rlimits", "bwrap"]


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    return write_package(tmp_path_factory.mktemp("submission"))


@pytest.fixture(scope="module", params=ALL_LEVELS)
def student(request, submission):
    """One worker per level, shared by the tests below (crashes restart it)."""
    needs(request.param)
    code = RemoteCode(submission, isolation=request.param, call_timeout=CALL_TIMEOUT)
    yield code
    code.close()


def fresh(submission, level, **options):
    needs(level)
    options.setdefault("call_timeout", CALL_TIMEOUT)
    return RemoteCode(submission, isolation=level, **options)


# ---- values, objects and the student's own errors ---------------------------

def test_arguments_and_results_cross_by_value(student):
    assert student.function(BASICS, "add")(np.ones(3), 2).tolist() == [3.0, 3.0, 3.0]
    got = student.function(BASICS, "values")()
    assert got["int"] == 3 and np.isnan(got["nan"]) and got["text"] == "ok"
    assert type(got["array"]) is np.ndarray and got["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["scalar"].dtype == np.float32 and got["scalar"] == 1.5
    assert got["pair"] == (1, [2.0, None])


def test_objects_come_back_as_handles_usable_as_arguments(student):
    counter = student.new(BASICS, "Counter", 5)
    assert isinstance(counter, Remote) and counter.type_name == "Counter"
    assert counter.call("bump", by=2) == 7
    counter.set("count", 40)
    assert counter.get("count") == 40
    assert student.function(BASICS, "count_of")(counter) == 40


def test_student_exception_names_type_message_and_line(student):
    with pytest.raises(StudentCodeError) as error:
        student.function(BASICS, "fails")(3)
    assert str(error.value) == "fails() raised ValueError: x must be negative, got 3 (at basics.py, line 23)"
    assert type(error.value) is StudentCodeError


def test_syntax_error_is_reported_on_the_call_that_imports_it(student):
    with pytest.raises(StudentCodeError, match=r"importing cs231n\.broken raised SyntaxError: .*"
                                               r"\(at broken\.py, line 3\)"):
        student.function("cs231n.broken", "f")(1)
    assert student.function(BASICS, "add")(1, 2) == 3


def test_missing_module_function_and_wrong_signature(student):
    with pytest.raises(StudentCodeError, match="importing cs231n.needs_missing raised ModuleNotFoundError: "
                                               r"No module named 'not_a_real_module_xyz' \(at needs_missing\.py, line 1\)$"):
        student.function("cs231n.needs_missing", "f")()
    with pytest.raises(StudentCodeError, match="importing cs231n.nope raised ModuleNotFoundError"):
        student.function("cs231n.nope", "f")()
    with pytest.raises(StudentCodeError, match="module cs231n.basics has no attribute 'missing'"):
        student.function(BASICS, "missing")()
    with pytest.raises(StudentCodeError, match=r"two_args\(\) raised TypeError: .*missing 1 required"):
        student.function(BASICS, "two_args")(1)


def test_objects_that_lie_about_equality_are_not_accepted_as_values(student):
    liar = student.function(HOSTILE, "always_equal")()
    assert isinstance(liar, Remote) and not isinstance(liar, np.ndarray)
    assert (liar == 5) is False  # the lie stays in the worker
    with pytest.raises(CheckFailed, match=r"should be a NumPy array of shape \(3,\); got an object of type AlwaysEqual"):
        assert_close(liar, np.zeros(3), "dists")
    # An ndarray subclass arrives as its plain values: its == lies no more, and a note says so.
    fake = student.function(HOSTILE, "fake_array")()
    assert type(fake) is np.ndarray and np.array_equal(fake, np.zeros(3))
    assert any("FakeArray was converted to a plain NumPy array" in note for note in student.notes)
    with pytest.raises(CheckFailed, match="wrong values"):
        assert_close(fake, np.ones(3), "dists")
    with pytest.raises(StudentCodeError, match="returned a value that cannot be checked: .*dtype object"):
        student.function(HOSTILE, "object_array")()


def test_monkeypatching_at_import_stays_in_the_worker(student):
    wrong = student.function("cs231n.patches_on_import", "wrong")()
    assert not np.allclose(wrong, np.ones(3))
    with pytest.raises(CheckFailed):
        assert_close(wrong, np.ones(3), "x")
    assert abs(-2) == 2 and hasattr(pytest, "raises")
    assert student.function(BASICS, "add")(-2, 0) == -2


def test_worker_sees_no_grader_environment(student):
    assert "PYTHONPATH" in os.environ  # set for this test run, so a leak would show
    uid, names = student.function(HOSTILE, "whoami")()
    # bwrap adds PWD (the working directory) itself.
    assert set(names) <= set(isolation.worker_env("/tmp")) | {"PWD"}, names
    if student.isolation == "none":
        assert uid == os.getuid()
    else:
        assert uid >= 61000 and uid == student.launch.slot.uid


# ---- exits, timeouts, crashes ----------------------------------------------

def test_sys_exit_inside_a_function_is_a_crash_not_a_pass(student):
    with pytest.raises(StudentCrash, match=r"sys_exit\(\) tried to exit the process \(SystemExit\)"):
        student.function(HOSTILE, "sys_exit")()
    assert student.function(BASICS, "add")(1, 1) == 2


def test_os_exit_kills_the_worker_which_restarts_and_forgets_old_objects(student):
    counter = student.new(BASICS, "Counter", 1)
    restarts = student.restarts
    with pytest.raises(StudentCrash, match=r"os_exit\(\) crashed the worker process: it exited with status 0"):
        student.function(HOSTILE, "os_exit")()
    assert student.function(BASICS, "add")(1, 1) == 2
    assert student.restarts == restarts + 1
    with pytest.raises(StudentCodeError, match="was lost when the worker restarted"):
        counter.call("bump")


def test_exit_at_import(student):
    with pytest.raises(StudentCrash, match="importing cs231n.exits_on_import tried to exit"):
        student.function("cs231n.exits_on_import", "f")()
    with pytest.raises(StudentCrash, match=r"f\(\) crashed the worker process: it exited with status 0"):
        student.function("cs231n.os_exits_on_import", "f")()
    assert student.function(BASICS, "add")(2, 2) == 4


def test_infinite_loop_times_out_and_the_next_call_gets_a_fresh_worker(student):
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match=r"loop\(\) did not finish within 3 s"):
        student.function(HOSTILE, "loop")()
    assert time.monotonic() - started < CALL_TIMEOUT + 2
    assert student.function(BASICS, "add")(1, 2) == 3
    # The same function again fails at once instead of eating the budget.
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match=r"loop\(\) was not run: it did not finish within 3 s in an earlier test"):
        student.function(HOSTILE, "loop")()
    assert time.monotonic() - started < 0.5


def test_garbage_on_the_protocol_pipe_is_a_crash(student):
    with pytest.raises(StudentCrash, match="broke the connection to the grader"):
        student.function(HOSTILE, "corrupt_protocol")()
    assert student.function(BASICS, "add")(1, 2) == 3


def test_total_budget_stops_a_slow_submission(submission):
    with fresh(submission, "none", call_timeout=1.0, total_timeout=1.6) as code:
        with pytest.raises(StudentTimeout, match="did not finish within 1 s"):
            code.function(HOSTILE, "loop")()
        with pytest.raises(StudentTimeout, match="used up its total time budget of 1.6 s"):
            code.function(HOSTILE, "sleep")(60)
        with pytest.raises(StudentTimeout, match="was not run: the submission used up"):
            code.function(BASICS, "add")(1, 2)


def test_oversized_answer_is_refused(submission):
    with fresh(submission, "none", max_response_bytes=2**20) as code:
        with pytest.raises(StudentCrash, match=r"big_answer\(\) broke the connection to the grader "
                                               r"\(array in message too large\)"):
            code.function(HOSTILE, "big_answer")()


@pytest.mark.parametrize("level", ["none", "bwrap"])
def test_printing_a_gigabyte_keeps_the_grader_small(submission, level):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with fresh(submission, level, call_timeout=60) as code:
        started = time.monotonic()
        assert code.function(HOSTILE, "print_flood")(1024) == 1024
        elapsed = time.monotonic() - started
        output = code.output()
        dropped = code.worker.output.dropped
    assert dropped >= 2**30  # it was all read (the worker was not blocked), and thrown away
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50, f"grader grew by {grown_mb:.0f} MB"
    assert output.startswith("x" * 100) and len(output) < 9000 and "more bytes of output not kept" in output
    print(f"1 GiB printed at isolation {level}: {elapsed:.1f} s, grader grew {grown_mb:.0f} MB")


# ---- confinement -------------------------------------------------------------

@pytest.mark.parametrize("level", CONFINED)
def test_50_gb_allocation_fails_fast(submission, level):
    with fresh(submission, level) as code:
        started = time.monotonic()
        with pytest.raises(StudentCodeError) as error:
            code.function(HOSTILE, "allocate_50_gb")()
        assert time.monotonic() - started < 5
        assert "Unable to allocate" in str(error.value) or isinstance(error.value, StudentCrash)


def hidden_paths(tmp_path):
    other = tmp_path / "other_submission"
    other.mkdir()
    (other / "secret.txt").write_text("another student's work")
    return [str(REPO / "autograder/suites/conftest.py"), str(REPO / "autograder/suites"),
            str(REPO / "source"), str(REPO / "autograder/testkit/checks.py"), str(REPO / ".git"),
            str(other / "secret.txt"), "/etc/shadow"]


@pytest.mark.parametrize("level", ["none", "bwrap"])
def test_hidden_tests_reference_and_other_submissions_are_unreadable(submission, tmp_path, level):
    paths = hidden_paths(tmp_path)
    with fresh(submission, level) as code:
        outcome = code.function(HOSTILE, "read_paths")(paths)
    if level == "none":  # control: unconfined code reads them all, so the check can see a leak
        assert outcome[paths[0]] == "read" and outcome[paths[5]] == "read"
    else:
        assert set(outcome.values()) <= {"FileNotFoundError", "PermissionError"}, outcome


@pytest.mark.parametrize("level", CONFINED)
def test_a_worker_cannot_read_the_submission_of_a_concurrent_one(submission, level):
    with fresh(submission, level) as one, fresh(submission, level) as other:
        other.function(BASICS, "add")(1, 2)  # started, so its copy exists
        theirs = os.path.join(other.launch.submission_dir, "cs231n", "basics.py")
        mine = os.path.join("cs231n", "basics.py")  # relative to its own working directory
        outcome = one.function(HOSTILE, "read_paths")([theirs, mine])
    assert outcome[mine] == "read", outcome  # control: the check reads what is readable
    assert outcome[theirs] in ("PermissionError", "FileNotFoundError"), outcome


@pytest.mark.parametrize("level", CONFINED)
def test_writes_outside_a_private_tmp_fail(submission, tmp_path, level):
    results = tmp_path / "results"
    results.mkdir()
    targets = ["submitted_file.txt", str(Path(submission) / "cs231n" / "injected.py"),
               str(results / "results.json"), str(REPO / "hostile_marker.txt")]
    with fresh(submission, level) as code:
        scratch = code.function(HOSTILE, "private_tmp_file")()
        outcome = code.function(HOSTILE, "write_paths")(targets + [scratch])
    assert outcome[scratch] == "written", outcome  # control: writing works where it is allowed
    assert all(outcome[t] in ("PermissionError", "OSError", "FileNotFoundError") for t in targets), outcome
    assert not (results / "results.json").exists() and not (REPO / "hostile_marker.txt").exists()
    assert not (Path(submission) / "submitted_file.txt").exists()


@pytest.mark.parametrize("level", ["none", "bwrap"])
def test_network_connection_to_the_grader_host_fails(submission, level):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with fresh(submission, level) as code:
            outcome = code.function(HOSTILE, "connect")(listener.getsockname()[1])
    if level == "none":  # control: unconfined code connects, so the check can see a leak
        assert outcome == "connected"
    else:
        assert outcome in ("OSError", "ConnectionRefusedError"), outcome


@pytest.mark.parametrize("level", CONFINED)
def test_background_process_is_killed_on_close(submission, level):
    code = fresh(submission, level)
    assert code.function(HOSTILE, "start_daemon")() is True
    uid = code.launch.slot.uid
    time.sleep(0.2)
    assert len(processes_of(uid)) >= 2  # the worker and the daemon that escaped its session
    code.close()
    assert processes_of(uid) == []


@pytest.mark.parametrize("level", CONFINED)
def test_fork_bomb_is_contained(submission, level):
    code = fresh(submission, level, processes=16, call_timeout=10)
    try:
        forks, refused = code.function(HOSTILE, "fork_bomb")(1.0)
        uid = code.launch.slot.uid
        running = processes_of(uid)
        assert refused > 0 and forks < 16, (forks, refused)
        assert 1 < len(running) <= 16, (forks, refused, running)
        assert subprocess.run(["true"]).returncode == 0  # the grader can still start processes
        assert code.function(BASICS, "add")(1, 2) == 3
    finally:
        code.close()
    assert processes_of(uid) == []


# ---- levels and start-up --------------------------------------------------

def test_auto_picks_the_strongest_level_available(submission):
    expected = "bwrap" if not isolation.bwrap_problem() else "rlimits" if not isolation.rlimits_problem() else "none"
    with RemoteCode(submission, isolation="auto") as code:
        assert code.isolation == expected


def test_rlimits_level_warns_loudly(monkeypatch, capsys):
    needs("rlimits")
    monkeypatch.setattr(isolation, "_warned", set())
    assert isolation.choose("rlimits") is isolation.RlimitsLaunch
    err = capsys.readouterr().err
    assert "WARNING" in err and "WITHOUT namespaces" in err
    isolation.choose("rlimits")
    assert capsys.readouterr().err == ""


def test_unknown_level_and_missing_folder_are_errors(tmp_path):
    with pytest.raises(ValueError, match="isolation must be one of"):
        RemoteCode(tmp_path, isolation="docker")
    with pytest.raises(FileNotFoundError):
        RemoteCode(tmp_path / "absent")
    assert issubclass(SandboxError, RuntimeError) and not issubclass(SandboxError, StudentCodeError)


def test_a_worker_that_cannot_start_is_a_grader_error_with_its_output(submission):
    with RemoteCode(submission, isolation="none", python="/nonexistent/python3") as code:
        with pytest.raises(SandboxError, match="did not start .*nonexistent/python3"):
            code.function(BASICS, "add")(1, 2)


def test_calls_after_close_fail_cleanly(submission):
    code = RemoteCode(submission, isolation="none")
    assert code.function(BASICS, "add")(1, 2) == 3
    code.close()
    with pytest.raises(StudentCodeError, match="worker was closed"):
        code.function(BASICS, "add")(1, 2)


def test_one_submission_of_fifteen_calls_grades_in_under_5_s(submission):
    level = "bwrap" if not isolation.bwrap_problem() else "none"
    X = np.random.default_rng(0).standard_normal((100, 3072))  # a typical hidden-test input
    started = time.monotonic()
    with RemoteCode(submission, isolation=level) as code:
        for _ in range(15):
            assert code.function(BASICS, "add")(X, 1.0).shape == X.shape
    elapsed = time.monotonic() - started
    print(f"start + 15 calls with 2.5 MB arrays at isolation {level}: {elapsed:.2f} s")
    assert elapsed < 5


# ---- the hostile submission factory (tests/hostile_submissions.py) ----------

GOOD_KNN = """
import numpy as np


class KNearestNeighbor:
    def __init__(self):
        pass

    def train(self, X, y):
        self.X_train, self.y_train = X, y

    def compute_distances_no_loops(self, X):
        squared = (X**2).sum(1)[:, None] + (self.X_train**2).sum(1)[None, :] - 2 * X @ self.X_train.T
        return np.sqrt(np.maximum(squared, 0))

    def predict_labels(self, dists, k=1):
        nearest = self.y_train[np.argsort(dists, axis=1)[:, :k]]
        return np.array([np.bincount(row).argmax() for row in nearest])
"""

KNN_MODULE = "cs231n.classifiers.k_nearest_neighbor"


@pytest.fixture(scope="module")
def good_knn_submission(tmp_path_factory):
    return write_package(tmp_path_factory.mktemp("good_knn"), {
        "cs231n/__init__.py": "", "cs231n/classifiers/__init__.py": "",
        "cs231n/classifiers/k_nearest_neighbor.py": GOOD_KNN,
        "knn.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'})


def knn_checks(code):
    """A miniature kNN suite: (passed, failure messages) over three checks."""
    rng = np.random.default_rng(0)
    X_train, y_train, X = rng.standard_normal((20, 5)), rng.integers(0, 3, 20), rng.standard_normal((4, 5))
    expected = np.sqrt(((X[:, None, :] - X_train[None, :, :]) ** 2).sum(2))
    labels = y_train[expected.argmin(1)]
    passed, failures = 0, []
    try:
        knn = code.new(KNN_MODULE, "KNearestNeighbor")
        knn.call("train", X_train, y_train)
    except (StudentCodeError, CheckFailed) as error:
        return 0, [str(error)] * 3
    for check in range(3):
        try:
            if check < 2:
                assert_close(knn.call("compute_distances_no_loops", X), expected, "dists")
            else:
                assert_equal_labels(knn.call("predict_labels", expected, k=1), labels, "y_pred")
            passed += 1
        except (StudentCodeError, CheckFailed) as error:
            failures.append(str(error))
    return passed, failures


def test_the_good_knn_submission_passes_the_miniature_suite(good_knn_submission):
    needs("bwrap")
    with RemoteCode(good_knn_submission, isolation="bwrap") as code:
        assert knn_checks(code) == (3, [])


CODE_KINDS = [h for h in hostile_submissions.HOSTILE_KINDS
              if h.outcome in ("knn_zero", "same_as_good") or h.outcome.startswith("same_as:")]


def run_knn_checks(kind, good, dest):
    """(passed, failures, uid) of the miniature suite on hostile submission `kind`."""
    path = hostile_submissions.make_hostile(kind, good, dest)
    # Short timeouts keep infinite_loop quick; printing 1 GiB needs a few seconds.
    call_timeout = 20.0 if kind == "print_flood" else 2.0
    with RemoteCode(path, isolation="bwrap", call_timeout=call_timeout, total_timeout=30.0) as code:
        passed, failures = knn_checks(code)
        return passed, failures, code.launch.slot.uid


@pytest.mark.parametrize("hostile", CODE_KINDS, ids=[h.kind for h in CODE_KINDS])
def test_hostile_kind_has_its_declared_outcome_under_bwrap(hostile, good_knn_submission, tmp_path):
    needs("bwrap")
    started = time.monotonic()
    passed, failures, uid = run_knn_checks(hostile.kind, good_knn_submission, tmp_path)
    if hostile.outcome == "same_as_good":
        assert (passed, failures) == (3, [])
    elif hostile.outcome.startswith("same_as:"):
        control = run_knn_checks(hostile.outcome.split(":")[1], good_knn_submission, tmp_path)
        assert (passed, failures) == control[:2] and passed < 3
    else:
        assert passed == 0 and all(re.search(hostile.message, f) for f in failures), failures
    # Only this worker's uid: other graders may be running on this machine.
    assert processes_of(uid) == []
    assert time.monotonic() - started < 30


def test_archive_kinds_are_built_as_declared(good_knn_submission, tmp_path):
    import zipfile
    for kind in ("zip_dotdot", "zip_absolute", "zip_symlink", "zip_bomb"):
        path = hostile_submissions.make_hostile(kind, good_knn_submission, tmp_path)
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            infos = archive.infolist()
        assert "cs231n/classifiers/__init__.py" in names
        if kind == "zip_dotdot":
            assert "../../escaped.py" in names
        elif kind == "zip_absolute":
            assert any(name.startswith("/") for name in names)
        elif kind == "zip_symlink":
            link = archive.getinfo(hostile_submissions.KNN)
            assert (link.external_attr >> 16) & 0o170000 == 0o120000
        else:
            bomb = [i for i in infos if i.filename == "cs231n/padding.bin"][0]
            assert bomb.file_size == 300 * 2**20 and bomb.compress_size < bomb.file_size / 200
    folder = hostile_submissions.make_hostile("symlink_to_reference", good_knn_submission, tmp_path)
    assert (folder / hostile_submissions.KNN).is_symlink()
    notebook = hostile_submissions.make_hostile("invalid_notebook", good_knn_submission, tmp_path)
    with pytest.raises(ValueError):
        json.loads((notebook / "knn.ipynb").read_text())


GRADER_THAT_DIES = """
import sys, time
from autograder.sandbox import RemoteCode
confined = sys.argv[2] != "none"
code = RemoteCode(sys.argv[1], isolation=sys.argv[2])
if confined:  # unconfined, a daemon would really outlive the test
    code.function("cs231n.hostile", "start_daemon")()
else:
    code.function("cs231n.basics", "add")(1, 2)
uid = code.launch.slot.uid if confined else -1
print(code.worker.popen.pid, uid, flush=True)
time.sleep(60)
"""


def is_running(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False


def wait_until(condition, seconds=5.0):
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_worker_dies_with_a_killed_grader(submission, level):
    needs(level)
    grader = subprocess.Popen([sys.executable, "-c", GRADER_THAT_DIES, str(submission), level],
                              stdout=subprocess.PIPE, text=True, cwd=REPO,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    worker_pid, uid = map(int, grader.stdout.readline().split())
    grader.kill()
    grader.wait()
    assert wait_until(lambda: not is_running(worker_pid))
    if level == "bwrap":  # the pid namespace takes the daemon with it
        assert wait_until(lambda: processes_of(uid) == [])
    if level == "rlimits":
        # Without a pid namespace the daemon outlives the grader, until its
        # uid is swept (when claimed again, or by sweep_unclaimed).
        assert processes_of(uid) != []
        assert uid in sweep_unclaimed()
    if uid >= 0:
        assert processes_of(uid) == []
