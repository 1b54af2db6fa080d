"""Run the public tests of this assignment on your code and show what passed.

    python check.py                        every public test
    python check.py svm                    only the tests whose name contains "svm"
    python check.py "svm and not naive"    pytest's -k expressions work too

Each test prints PASS or FAIL with its points; a failure shows the hint the
grader would show. The grader runs the same public tests, plus hidden ones
(counted at the end, for the test files you selected), on your submission.
Exit status 0 means all selected tests passed.
"""
import argparse
import json
import os
import sys
from pathlib import Path

try:
    import pytest
except ImportError:
    sys.exit("check.py needs pytest; install the course environment (see README.md)")

HERE = Path(__file__).resolve().parent
TESTS = HERE / "tests"
# Failures whose message is written for you (from autograder/testkit).
HINT_ERRORS = {"CheckFailed", "StudentCodeError", "StudentTimeout", "StudentCrash"}


class Results:
    """A pytest plugin that records each test's outcome, points and hint."""

    def __init__(self):
        self.tests = {}            # nodeid -> {"name", "points", "status", "message"}
        self.load_errors = []      # test files that could not be loaded

    def pytest_collectreport(self, report):
        if report.failed:
            last = str(report.longrepr).strip().splitlines()[-1:] or ["unknown error"]
            self.load_errors.append(f"{report.nodeid}: {last[0]}")

    def pytest_collection_finish(self, session):
        # session.items is final here: -k has already deselected what it should.
        for item in session.items:
            marker = item.get_closest_marker("points")
            points = marker.args[0] if marker and marker.args else 0
            name = item.nodeid.split("tests/", 1)[-1]
            self.tests[item.nodeid] = {"name": name, "points": points, "status": None, "message": ""}

    def pytest_runtest_makereport(self, item, call):
        test = self.tests.get(item.nodeid)
        if test is None or test["status"] in ("FAIL", "SKIP"):
            return  # keep the first problem (a teardown error after a failure adds nothing)
        if call.excinfo is None:
            if call.when == "call":
                test["status"] = "PASS"
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            test["status"], test["message"] = "SKIP", str(call.excinfo.value)
        else:
            test["status"], test["message"] = "FAIL", hint(call.excinfo.value, call.when)

    def finished(self):
        """The tests in run order; a test that never got to run counts as failed."""
        for test in self.tests.values():
            if test["status"] is None:
                test["status"], test["message"] = "FAIL", "the test did not run"
        return list(self.tests.values())


def hint(error, when):
    """The student-facing message of a failure, without a traceback."""
    names = {cls.__name__ for cls in type(error).__mro__}
    message = str(error).strip() or type(error).__name__
    if names & HINT_ERRORS:
        return message
    where = "setting up the test" if when == "setup" else "the test itself"
    return f"error in {where}: {type(error).__name__}: {message.splitlines()[0]}"


def format_points(points):
    return f"{points:g}"


def hidden_summary(suites=None):
    """'N hidden tests (P points) ... will also run ...' from tests/hidden_tests.json.

    suites: the test files whose hidden tests count (None: all of them).
    """
    path = TESTS / "hidden_tests.json"
    if not path.is_file():
        return None
    counts = json.loads(path.read_text(encoding="utf-8"))
    chosen = sorted(counts if suites is None else set(suites) & set(counts))
    tests = sum(counts[s]["tests"] for s in chosen)
    points = sum(counts[s]["points"] for s in chosen)
    where = "" if suites is None else f" in {', '.join(chosen) or 'the selected files'}"
    return (f"{tests} hidden test{'s' if tests != 1 else ''} ({format_points(points)} points){where} "
            "will also run when your submission is graded.")


def suite_of(test):
    """The test file of a result: 'test_knn.py' for 'test_knn.py::test_x[3]'."""
    return test["name"].split("::", 1)[0]


def run(pattern=None):
    # No __pycache__ folders in the assignment: they would end up in your zip.
    sys.dont_write_bytecode = True
    results = Results()
    args = [str(TESTS), "-p", "no:terminal", "-p", "no:cacheprovider", "-c", os.devnull,
            "--rootdir", str(HERE), "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if pattern:
        args += ["-k", pattern]
    pytest.main(args, plugins=[results])
    return results


def report(results, pattern):
    """Print the per-test lines and totals; returns the exit status."""
    for error in results.load_errors:
        print(f"ERROR  could not load {error}")
    tests = results.finished()
    if not tests and not results.load_errors:
        print(f"No public test matches {pattern!r}." if pattern else "No public tests found.")
        return 1
    width = max([len(t["name"]) for t in tests] + [0])
    for t in tests:
        earned = t["points"] if t["status"] == "PASS" else 0
        print(f"{t['status']:<5} {t['name']:<{width}}  {format_points(earned)}/{format_points(t['points'])} points")
        if t["status"] != "PASS" and t["message"]:
            for line in t["message"].splitlines():
                print(f"      {line}")
    passed = [t for t in tests if t["status"] == "PASS"]
    total = sum(t["points"] for t in tests)
    earned = sum(t["points"] for t in passed)
    print()
    print(f"Public tests: {len(passed)} of {len(tests)} passed, "
          f"{format_points(earned)} of {format_points(total)} points.")
    summary = hidden_summary({suite_of(t) for t in tests} if pattern else None)
    if summary:
        print(summary)
    all_passed = len(passed) == len(tests) and not results.load_errors
    return 0 if all_passed else 1


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="check.py", description="Run this assignment's public tests on your code: PASS or FAIL with "
        "points per test, the grader's hint for each failure, and how many hidden tests the grader adds.",
        epilog="The exit status is 0 when every selected test passed.")
    parser.add_argument("pattern", nargs="?",
                        help="only the tests whose name contains this (pytest's -k: "
                             "'knn', 'svm and not naive'); default: every public test")
    return parser.parse_args(argv)


def main(argv):
    pattern = parse_args(argv).pattern
    return report(run(pattern), pattern)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
