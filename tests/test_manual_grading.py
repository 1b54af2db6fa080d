"""Manual grading through nbgrader: a toy course with one notebook holding one
manually graded written answer (2 points) and a code cell that writes a marker
file whenever it runs."""
import json
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading import manual
from autograder.grading.gradebook import Gradebook as CodeGradebook

ASSIGNMENT = "toy"
ANSWER = "q1_answer"


def toy_notebook(marker):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('this notebook was executed')")
    prompt = nbformat.v4.new_markdown_cell("**Inline question 1:** why does k matter?")
    prompt.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                   "grade_id": "q1_prompt", "schema_version": 3}
    answer = nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nIt trades bias for variance.\n### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 2,
                                   "grade_id": ANSWER, "schema_version": 3}
    nb.cells = [code, prompt, answer]
    return nb


def student_copy(course, dest, answer=None):
    """The released notebook as a student hands it in, with `answer` written (None: untouched)."""
    nb = nbformat.read(course / "release" / ASSIGNMENT / "toy.ipynb", as_version=4)
    if answer is not None:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ANSWER)
        cell.source = answer
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / "toy.ipynb")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy course: alice answered, bob did not, carol's notebook is not a valid notebook."""
    root = tmp_path_factory.mktemp("manual")
    marker = root / "EXECUTED"
    (root / "ref" / ASSIGNMENT).mkdir(parents=True)
    (root / "ref" / ASSIGNMENT / "assignment.toml").write_text('name = "toy"\nnotebooks = ["toy.ipynb"]\n')
    nbformat.write(toy_notebook(marker), root / "ref" / ASSIGNMENT / "toy.ipynb")
    course = root / "course"
    manual.prepare_course(ASSIGNMENT, course, root / "ref")
    student_copy(course, root / "subs" / "alice", answer="Larger k smooths the decision boundary.")
    student_copy(course, root / "subs" / "bob")
    (root / "subs" / "carol").mkdir()
    # Parses as JSON with cells (so the grader's staging keeps it), but nbformat rejects it.
    (root / "subs" / "carol" / "toy.ipynb").write_text('{"cells": [{"cell_type": "code"}], "nbformat": 4}')
    submissions = {name: root / "subs" / name for name in ("alice", "bob", "carol")}
    status = manual.import_notebooks(ASSIGNMENT, submissions, course, root / "ref")
    return {"root": root, "course": course, "marker": marker, "submissions": submissions, "status": status}


def set_manual_score(course, student, score):
    """What the formgrader's grade handler does when a grader types a score."""
    with Gradebook(manual.db_url(course), manual.COURSE_ID) as gb:
        grade = gb.find_grade(ANSWER, "toy", ASSIGNMENT, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()


def test_import_records_answers_without_running_the_notebook(toy):
    assert toy["status"] == {"alice": "imported", "bob": "imported", "carol": "failed"}
    assert "carol" in (toy["course"] / "import.log").read_text()
    assert (toy["course"] / "autograded" / "alice" / ASSIGNMENT / "toy.ipynb").is_file()
    assert not toy["marker"].exists(), "nbgrader executed a student notebook in the trusted process"
    scores = manual.manual_scores(ASSIGNMENT, toy["course"])
    assert (scores["alice"].score, scores["alice"].max_score, scores["alice"].ungraded) == (0, 2, 1)
    # An answer left as released is worth 0 and needs no grader (nbgrader's checksum rule).
    assert (scores["bob"].score, scores["bob"].max_score, scores["bob"].ungraded) == (0, 2, 0)
    # No half-imported record that the formgrader could not display.
    assert "carol" not in scores


def test_the_marker_cell_does_run_when_execution_is_enabled(toy, tmp_path):
    """Control for the test above: the same autograde with execution on writes the marker,
    so its absence there means execution really was off."""
    course = tmp_path / "course"
    shutil.copytree(toy["course"], course)
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", "--student=alice",
                    "--Execute.enabled=True", f"--CourseDirectory.db_url={manual.db_url(course)}"],
                   cwd=course, check=True, capture_output=True,
                   env={"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert toy["marker"].exists()
    toy["marker"].unlink()


def test_total_adds_the_manual_score_given_in_the_formgrader(toy, capsys):
    graded = toy["root"] / "graded"
    for name, score in [("alice", 7.0), ("bob", 3.0)]:
        (graded / name).mkdir(parents=True, exist_ok=True)
        (graded / name / "results.json").write_text(json.dumps({"score": score, "extra_data": {"max_score": 10.0}}))
    set_manual_score(toy["course"], "alice", 1.5)

    assert manual.main(["total", "--assignment", ASSIGNMENT, "--graded", str(graded),
                        "--course", str(toy["course"]), "--nbgrader-db", str(toy["course"] / "gradebook.db")]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["alice"] == ["alice", "7", "/", "10", "1.5", "/", "2", "8.5", "/", "12"]
    assert lines["bob"] == ["bob", "3", "/", "10", "0", "/", "2", "3", "/", "12"]

    assert manual.main(["total", "--assignment", ASSIGNMENT, "--student", "bob", "--graded", str(graded),
                        "--course", str(toy["course"]), "--nbgrader-db", str(toy["course"] / "gradebook.db")]) == 0
    out = capsys.readouterr().out
    assert "bob" in out and "alice" not in out


def test_total_reads_code_scores_from_the_latest_gradebook_run(toy, tmp_path, capsys):
    path = tmp_path / "gradebook.sqlite"
    context = {"suite_hash": "s", "grader_version": "v"}
    with CodeGradebook(path) as book:
        for score in (2.0, 9.0):  # a regrade: the second run counts
            run = book.start_run(ASSIGNMENT, context)
            book.record(run, "alice", {"score": score, "extra_data": {"max_score": 10.0}, "tests": []}, "graded")
            book.finish_run(run)
    set_manual_score(toy["course"], "alice", 2.0)

    assert manual.main(["total", "--assignment", ASSIGNMENT, "--student", "alice", "--gradebook", str(path),
                        "--course", str(toy["course"]), "--nbgrader-db", str(toy["course"] / "gradebook.db")]) == 0
    alice = capsys.readouterr().out.splitlines()[1].split()
    assert alice == ["alice", "9", "/", "10", "2", "/", "2", "11", "/", "12"]


def test_reimport_keeps_grades_and_flags_changed_answers(toy):
    set_manual_score(toy["course"], "alice", 1.0)
    again = manual.import_notebooks(ASSIGNMENT, toy["submissions"], toy["course"], toy["root"] / "ref")
    assert again == {"alice": "unchanged", "bob": "unchanged", "carol": "failed"}
    assert manual.manual_scores(ASSIGNMENT, toy["course"])["alice"].score == 1.0

    student_copy(toy["course"], toy["submissions"]["alice"], answer="A revised answer.")
    again = manual.import_notebooks(ASSIGNMENT, toy["submissions"], toy["course"], toy["root"] / "ref")
    assert again == {"alice": "imported", "bob": "unchanged", "carol": "failed"}
    alice = manual.manual_scores(ASSIGNMENT, toy["course"])["alice"]
    assert (alice.score, alice.ungraded) == (1.0, 1)  # kept, but flagged for a second look
    assert not toy["marker"].exists()


def test_student_ids_nbgrader_cannot_hold_are_refused(toy):
    with pytest.raises(manual.ManualGradingError, match="cannot be nbgrader ids"):
        manual.import_notebooks(ASSIGNMENT, {"a,b": toy["root"]}, toy["course"], toy["root"] / "ref")


def test_nbgrader_import_command_reads_zips_like_the_grader(toy, capsys):
    """A folder of raw submissions: dave's is a .zip with a wrapper folder, unpacked by the grader's staging."""
    raw = toy["root"] / "raw"
    raw.mkdir()
    with zipfile.ZipFile(raw / "dave.zip", "w") as z:
        z.write(toy["submissions"]["alice"] / "toy.ipynb", "toy/toy.ipynb")
    (toy["root"] / "release" / ASSIGNMENT).mkdir(parents=True)  # toy has no modules to stub
    assert manual.main(["nbgrader-import", "--assignment", ASSIGNMENT, "--submissions", str(raw),
                        "--reference-root", str(toy["root"] / "ref"), "--release-root", str(toy["root"] / "release"),
                        "--course", str(toy["course"]), "--nbgrader-db", str(toy["course"] / "gradebook.db")]) == 0
    assert "dave: imported" in capsys.readouterr().out
    assert manual.manual_scores(ASSIGNMENT, toy["course"])["dave"].ungraded == 1
    assert not toy["marker"].exists()
