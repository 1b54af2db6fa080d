"""Fixtures for the grading suites (trusted side).

The grader passes --student-root (the unpacked submission); student code runs
in a sandboxed worker process. Check a suite against the reference solution
itself (every test must pass) with:

    pytest autograder/suites/assignment1 --student-root=source
"""
import hashlib
from pathlib import Path

import numpy as np
import pytest

from autograder.testkit import InProcessCode

REPO = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    group = parser.getgroup("grading")
    group.addoption("--student-root", default=None, help="folder holding the student's cs231n package")
    group.addoption("--isolation", default="auto", choices=["auto", "bwrap", "rlimits", "none"],
                    help="how the student worker process is confined (none: trusted code only)")
    group.addoption("--call-timeout", type=float, default=30.0,
                    help="seconds one call into student code may take")
    group.addoption("--reference-root", default=str(REPO / "source"), help="folder holding the reference cs231n")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points the test is worth")
    config.addinivalue_line("markers", "public: shipped to students; tests without it are hidden")


@pytest.fixture(scope="session")
def student_root(request):
    root = request.config.getoption("--student-root")
    if root is None:
        pytest.exit("the grading suites need --student-root=<submission folder>", returncode=4)
    return Path(root).resolve()


@pytest.fixture(scope="session")
def reference(request):
    """The reference solution, imported in this (trusted) process."""
    return InProcessCode(Path(request.config.getoption("--reference-root")).resolve())


@pytest.fixture(scope="session")
def student(request, student_root, reference):
    """The submission's code, always in a separate worker process.

    --isolation picks how that process is confined (see autograder.sandbox);
    "auto" is the strongest available. The one exception: when the student root
    *is* the reference root (checking a suite against the reference), the
    reference object serves both.
    """
    if student_root == Path(reference.root):
        yield reference
        return
    from autograder.sandbox import RemoteCode
    code = RemoteCode(student_root, isolation=request.config.getoption("--isolation"),
                      call_timeout=request.config.getoption("--call-timeout"))
    yield code
    code.close()


@pytest.fixture
def artifact_path(request, student_root, reference):
    """name -> Path of a file the submission's notebooks saved, e.g. "artifacts/svm_best.npz".

    A submission holds it beside its notebooks: <student root>/<name>. When the
    suite is checked against the reference (--student-root=source), the
    notebooks saved it beside themselves, in source/<assignment>/<name>, the
    assignment being the suite's folder name.
    """
    assignment = request.path.parent.name

    def path(name):
        found = student_root / name
        if not found.exists() and student_root == Path(reference.root).resolve():
            found = student_root / assignment / name
        return found

    return path


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name: fresh inputs per test, stable per run."""
    seed = int.from_bytes(hashlib.sha256(request.node.nodeid.encode()).digest()[:4], "little")
    return np.random.default_rng(seed)
