"""Fixtures for the grading suites (trusted side).

The grader passes --student-root (the unpacked submission); student code runs
in a sandboxed worker process. Check a suite against the reference solution
itself (every test must pass) with:

    pytest autograder/suites/assignment1 --student-root=source
"""
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.options import add_grading_options
from autograder.testkit import InProcessCode, seed_for

REPO = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    add_grading_options(parser)


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
    option = request.config.getoption
    code = RemoteCode(student_root, isolation=option("--isolation"), call_timeout=option("--call-timeout"),
                      total_timeout=option("--sandbox-budget"), memory_bytes=option("--sandbox-memory-mb") * 2**20,
                      processes=option("--sandbox-processes"), threads=option("--sandbox-threads"),
                      preload=[name for name in option("--sandbox-preload").split(",") if name])
    yield code
    code.close()


@pytest.fixture
def artifact_path(request, student_root, reference):
    """name -> Path of a file the submission's notebooks saved, e.g. "artifacts/svm_best.npz".

    A submission holds it beside its notebooks: <student root>/<name>. When the
    suite is checked against the reference (--student-root=source) or a copy of
    it (mutation testing's workspaces), the notebooks saved it beside
    themselves, in source/<assignment>/<name>, the assignment being the suite's
    folder name.
    """
    assignment = request.path.parent.name
    source_tree = (student_root == Path(reference.root).resolve()
                   or (student_root / assignment / "assignment.toml").is_file())

    def path(name):
        found = student_root / name
        if not found.exists() and source_tree:
            found = student_root / assignment / name
        return found

    return path


@pytest.fixture
def shipped_path(request, reference):
    """name -> Path of a file the course ships with the suite's assignment (the manifest's
    `shipped_files`, e.g. "models/mnist_classifier.npz"): always the grader's own copy in
    <reference root>/<assignment>/, never a file of the submission, which may not be trusted."""
    folder = Path(reference.root) / request.path.parent.name

    def path(name):
        return folder / name

    return path


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name (testkit.seed_for): a public test draws the
    same inputs here as on a student's machine; hidden tests add the course's salt."""
    public = request.node.get_closest_marker("public") is not None
    salt = "" if public else request.config.getoption("--hidden-seed-salt")
    return np.random.default_rng(seed_for(request.node.nodeid, salt))


# ---- data only the grader has ------------------------------------------------------------
# Hidden tests only: public tests run on students' machines, where these do not exist.

@pytest.fixture(scope="session")
def cifar10_heldout():
    """The held-out images saved models are scored on (data/heldout.py), never the test split
    students have: a `Heldout` with X uint8 (N, 32, 32, 3), y int64 (N,), train_mean
    float64 (32, 32, 3) and the file's sha256.

    Grading checks it is built before it starts; if it is missing anyway the
    test skips, which the grader reports as its own failure, never as the
    student's zero.
    """
    from data import heldout
    reason = heldout.missing_reason()
    if reason:
        pytest.skip(reason)
    return heldout.load()


@pytest.fixture(scope="session")
def trusted_cache(reference):
    """cache(name, parts, compute) -> compute(), computed once per machine rather than once per
    submission, for values that depend only on trusted inputs (the datasets, the reference).

    The key is `name`, the `parts` (str()-ed: what else the value depends on,
    e.g. a dataset's sha256 and a parameter) and the reference's source, so
    nothing a submission sends can reach it. `compute` returns a dict of
    arrays. The cache lives in <data dir>/.grading-cache (never mounted in the
    sandbox) and is written atomically.
    """
    import hashlib
    import os
    import tempfile

    from autograder.grading.fingerprint import tree_digest

    reference_digest = tree_digest(Path(reference.root) / "cs231n", "*.py")
    folder = Path(os.environ.get("CS231N_DATA_DIR", REPO / "data" / "datasets")) / ".grading-cache"

    def cache(name, parts, compute):
        key = hashlib.sha256("\0".join([name, reference_digest, *map(str, parts)]).encode()).hexdigest()[:32]
        path = folder / f"{name}-{key}.npz"
        try:
            with np.load(path, allow_pickle=False) as saved:
                return {k: saved[k] for k in saved.files}
        except (OSError, ValueError):
            pass
        value = compute()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".npz", dir=folder)
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **value)
            os.replace(tmp, path)
        except OSError:
            pass  # an unwritable cache costs time, not correctness
        return value

    return cache


@pytest.fixture(scope="session")
def once():
    """once(key, compute) -> compute(), computed once per grading run (one submission): for
    results several tests read, like a saved model's accuracy. A CheckFailed that compute
    raises is raised again to every test that asks."""
    from autograder.testkit import CheckFailed
    results = {}

    def value(key, compute):
        if key not in results:
            try:
                results[key] = (True, compute())
            except CheckFailed as exc:
                results[key] = (False, exc)
        ok, result = results[key]
        if not ok:
            raise CheckFailed(str(result))
        return result

    return value
