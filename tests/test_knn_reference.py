"""The kNN reference solution and its grading suite.

The reference is checked against a brute-force definition (not against
itself), and the suite must pass on the reference and fail every test on the
blank version students receive.
"""
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from course.stubs import stub_source
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]
MODULE = Path("cs231n", "classifiers", "k_nearest_neighbor.py")
SUITE = REPO / "autograder" / "suites" / "assignment1" / "test_knn.py"


@pytest.fixture(scope="module")
def knn_module():
    return load_module_file(REPO / "source" / MODULE, "knn_reference_under_test")


def brute_force_distances(X, X_train):
    return np.sqrt(((X[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2))


def brute_force_votes(dists, y_train, k):
    """Majority label among the k nearest, ties to the smaller label, by counting."""
    predictions = []
    for row in dists:
        counts = Counter(y_train[j] for j in sorted(range(len(row)), key=lambda j: row[j])[:k])
        best = max(counts.values())
        predictions.append(min(label for label, count in counts.items() if count == best))
    return np.array(predictions)


@pytest.mark.parametrize("num_test, num_train, dim", [(1, 1, 1), (1, 9, 4), (7, 1, 3), (12, 30, 50)])
def test_reference_distances_match_the_definition(knn_module, num_test, num_train, dim):
    rng = np.random.default_rng(num_test * 1000 + num_train)
    X_train, X = rng.uniform(0, 255, (num_train, dim)), rng.uniform(0, 255, (num_test, dim))
    knn = knn_module.KNearestNeighbor()
    knn.train(X_train, rng.integers(0, 3, num_train))
    expected = brute_force_distances(X, X_train)
    for version in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
        np.testing.assert_allclose(getattr(knn, version)(X), expected, rtol=1e-10, err_msg=version)


def test_reference_no_loops_is_never_nan_for_duplicates(knn_module):
    rng = np.random.default_rng(3)
    X_train = rng.standard_normal((40, 50))
    knn = knn_module.KNearestNeighbor()
    knn.train(X_train, np.zeros(40, dtype=np.int64))
    dists = knn.compute_distances_no_loops(X_train)
    assert np.all(np.isfinite(dists)) and np.max(np.abs(np.diag(dists))) < 1e-6


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 25, 40])
def test_reference_votes_match_counting(knn_module, k):
    rng = np.random.default_rng(k)
    dists, y_train = rng.random((60, 25)), rng.integers(0, 4, 25)
    knn = knn_module.KNearestNeighbor()
    knn.train(np.zeros((25, 1)), y_train)
    np.testing.assert_array_equal(knn.predict_labels(dists, k=k), brute_force_votes(dists, y_train, k))


def run_suite(student_root, tmp_path):
    """{test id: "passed" | "failed" | ...} of the kNN suite on `student_root`."""
    report = tmp_path / f"{student_root.name}.xml"
    subprocess.run([sys.executable, "-m", "pytest", str(SUITE), f"--student-root={student_root}",
                    "--isolation=none", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                   cwd=REPO, capture_output=True, text=True, timeout=300)
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[case.get("name")] = "skipped" if case.find("skipped") is not None else (
            "failed" if failed else "passed")
    return outcomes


def test_suite_passes_on_the_reference_and_fails_every_test_on_the_blank_version(tmp_path):
    copy = tmp_path / "reference"
    shutil.copytree(REPO / "source" / "cs231n", copy / "cs231n")
    blank = tmp_path / "blank"
    shutil.copytree(REPO / "source" / "cs231n", blank / "cs231n")
    (blank / MODULE).write_text(stub_source((REPO / "source" / MODULE).read_text(), str(MODULE)))
    assert "BEGIN SOLUTION" not in (blank / MODULE).read_text()

    on_reference = run_suite(copy, tmp_path)
    on_blank = run_suite(blank, tmp_path)
    assert len(on_reference) >= 15 and set(on_reference) == set(on_blank)
    assert {name for name, outcome in on_reference.items() if outcome != "passed"} == set()
    assert {name for name, outcome in on_blank.items() if outcome != "failed"} == set()
