"""The real course end to end, for every assignment the course's manifests declare: the
committed release, the real suites, the real sandbox, the real datasets.

* the committed `assignments/<name>` is exactly what `source/` generates and leaks nothing;
* every suite passes against the reference solution itself, none skipped;
* one batch grades the reference, the blank release and, where the manifest names one,
  the partly solved sample: full marks, 0 on every test, and exactly the tests of the
  suites the manifest's [samples] says the solved modules earn.
"""
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from autograder import samples
from autograder.grading import grade_batch
from course import Roots, assignment_names, load_manifest
from release.pipeline import check_assignment

REPO = Path(__file__).resolve().parents[1]
ROOTS = Roots.of_repo()
ASSIGNMENTS = assignment_names(ROOTS)
SCHEMA = json.loads((REPO / "autograder/grading/gradescope_results.schema.json").read_text())


def data_missing(assignment):
    from data.prepare import missing_reason
    return next((reason for name in load_manifest(ROOTS, assignment).datasets
                 if (reason := missing_reason(name))), None)


def needs_data(assignment):
    reason = data_missing(assignment)
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_current_and_leak_free(assignment):
    problems = check_assignment(assignment, ROOTS)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_suite_passes_on_the_reference(assignment):
    needs_data(assignment)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
         *map(str, load_manifest(ROOTS, assignment).suite_paths(ROOTS)), f"--student-root={REPO / 'source'}",
         "-rs"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "skipped" not in run.stdout.splitlines()[-1], run.stdout[-2000:]


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    assignment = request.param
    needs_data(assignment)
    root = tmp_path_factory.mktemp(f"course-{assignment}")
    submissions = samples.build_all(assignment, root / "submissions")
    out = root / "out"
    rows = grade_batch(assignment, submissions, out, jobs=2, gradebook_path=root / "gradebook.sqlite",
                       progress=False)
    results = {row.name: json.loads((out / row.name / "results.json").read_text()) for row in rows}
    return load_manifest(ROOTS, assignment), {row.name: row for row in rows}, results


def test_reference_gets_full_marks(graded):
    _, rows, results = graded
    reference = results["reference"]
    failed = [t["name"] + ": " + t.get("output", "") for t in reference["tests"] if t["status"] != "passed"]
    assert failed == []
    assert rows["reference"].score == rows["reference"].max_score > 0


def test_blank_release_scores_zero_on_every_test(graded):
    _, rows, results = graded
    passed = [t["name"] for t in results["blank"]["tests"] if t["status"] == "passed"]
    assert passed == []
    assert rows["blank"].score == 0


def test_partial_submission_gets_exactly_the_solved_suites(graded):
    manifest, rows, results = graded
    if "partial" not in results:
        pytest.skip(f"{manifest.name} names no [samples] partial_modules")
    solved_suites, also_solved = set(manifest.sample_partial_suites), set(manifest.sample_partial_tests)
    files = {}
    for test in results["partial"]["tests"]:
        files.setdefault(test["name"].split("::")[0], []).append((test["name"], test["status"] == "passed"))
    assert solved_suites <= set(files)
    for suite, tests in files.items():
        for name, passed in tests:
            assert passed == (suite in solved_suites or name in also_solved), f"{name}: passed={passed}"
    expected = sum(t["max_score"] for t in results["partial"]["tests"]
                   if t["name"].split("::")[0] in solved_suites or t["name"] in also_solved)
    assert rows["partial"].score == expected
    assert 0 < expected < rows["partial"].max_score


def test_every_results_json_validates(graded):
    _, _, results = graded
    for name, document in results.items():
        jsonschema.validate(document, SCHEMA)
        assert all(t["visibility"] in {"visible", "after_published"} for t in document["tests"]), name


def test_feedback_follows_the_manifest_order_of_suites(graded):
    manifest, _, results = graded
    order = list(dict.fromkeys(t["name"].split("::")[0] for t in results["reference"]["tests"]))
    assert order == list(manifest.suites)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_carry_no_execution_timestamps(assignment):
    """The instructor's execution times would change every release and tell students nothing."""
    for notebook in sorted((REPO / "assignments" / assignment).glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        stamped = [c.get("id") for c in cells if "execution" in c.get("metadata", {})]
        assert stamped == [], f"{notebook.name}: cells {stamped}"
