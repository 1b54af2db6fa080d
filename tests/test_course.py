"""The real course end to end: the committed release, the real suites, the
real sandbox and CIFAR-10.

* the committed `assignments/` is exactly what `source/` generates and leaks nothing;
* every suite passes against the reference solution itself;
* one batch grades the reference, the blank release and a partly solved
  submission (kNN and the SVM loss done): full marks, 0 on every test, and
  exactly the tests of the solved modules' suites.
"""
import json
import os
from pathlib import Path

import jsonschema
import pytest

from autograder import samples
from autograder.grading import grade_batch
from release.manifest import Roots
from release.pipeline import check_assignment

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "assignment1"
SCHEMA = json.loads((REPO / "autograder/grading/gradescope_results.schema.json").read_text())


def cifar10_available():
    data_dir = os.environ.get("CS231N_DATA_DIR", "")
    return bool(data_dir) and (Path(data_dir) / "cifar-10-batches-py" / "test_batch").is_file()


needs_cifar10 = pytest.mark.skipif(not cifar10_available(),
                                   reason="CIFAR-10 not found under $CS231N_DATA_DIR (run `make data`)")


def test_committed_release_is_current_and_leak_free():
    problems = check_assignment(ASSIGNMENT, Roots.of_repo())
    assert problems == [], "\n".join(problems)


@needs_cifar10
def test_every_suite_passes_on_the_reference():
    import subprocess
    import sys
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
         str(REPO / "autograder/suites" / ASSIGNMENT), f"--student-root={REPO / 'source'}", "-rs"],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "skipped" not in run.stdout.splitlines()[-1], run.stdout[-2000:]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    submissions = samples.build_all(ASSIGNMENT, root / "submissions")
    out = root / "out"
    rows = grade_batch(ASSIGNMENT, submissions, out, jobs=2, gradebook_path=root / "gradebook.sqlite",
                       progress=False)
    results = {row.name: json.loads((out / row.name / "results.json").read_text()) for row in rows}
    return {row.name: row for row in rows}, results


def by_file(results):
    """{suite file: [(test name, passed)]}; test names look like 'test_knn.py::test_x'."""
    files = {}
    for test in results["tests"]:
        files.setdefault(test["name"].split("::")[0], []).append((test["name"], test["status"] == "passed"))
    return files


@needs_cifar10
def test_reference_gets_full_marks(graded):
    rows, results = graded
    reference = results["reference"]
    failed = [t["name"] + ": " + t.get("output", "") for t in reference["tests"] if t["status"] != "passed"]
    assert failed == []
    assert rows["reference"].score == rows["reference"].max_score > 0


def test_blank_release_scores_zero_on_every_test(graded):
    rows, results = graded
    passed = [t["name"] for t in results["blank"]["tests"] if t["status"] == "passed"]
    assert passed == []
    assert rows["blank"].score == 0


@needs_cifar10
def test_partial_submission_gets_exactly_the_solved_suites(graded):
    rows, results = graded
    solved_suites = {"test_knn.py", "test_linear_svm.py"}
    # LinearSVM.loss is given code that calls the (solved) svm_loss_vectorized,
    # so its test is rightly earned by this submission too.
    also_solved = {"test_linear_classifier.py::test_loss_is_the_models_vectorized_loss[LinearSVM]"}
    files = by_file(results["partial"])
    assert solved_suites <= set(files)
    for suite, tests in files.items():
        for name, passed in tests:
            assert passed == (suite in solved_suites or name in also_solved), f"{name}: passed={passed}"
    expected = sum(t["max_score"] for t in results["partial"]["tests"]
                   if t["name"].split("::")[0] in solved_suites or t["name"] in also_solved)
    assert rows["partial"].score == expected
    assert 0 < expected < rows["partial"].max_score


def test_every_results_json_validates(graded):
    _, results = graded
    for name, document in results.items():
        jsonschema.validate(document, SCHEMA)
        assert all(t["visibility"] in {"visible", "after_published"} for t in document["tests"]), name


def test_released_notebooks_carry_no_execution_timestamps():
    """The instructor's execution times would change every release and tell students nothing."""
    for notebook in sorted((REPO / "assignments" / ASSIGNMENT).glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        stamped = [c.get("id") for c in cells if "execution" in c.get("metadata", {})]
        assert stamped == [], f"{notebook.name}: cells {stamped}"
