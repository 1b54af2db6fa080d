"""Manually graded notebook answers, in nbgrader's formgrader.

Code is graded by the suites (results.json, gradebook.sqlite). Written
answers -- notebook cells with nbgrader metadata `"grade": true,
"solution": true` -- are graded by people, in nbgrader's formgrader. This
module puts graded submissions' notebooks into an nbgrader course directory
(a real nbgrader 0.9 gradebook, `gradebook.db`), one small step at a time:

    prepare_course    nbgrader_config.py, the source notebooks, `generate_assignment`
    import_notebooks  students' notebooks into submitted/, then nbgrader's own
                      `autograde` with execution disabled
    manual_scores     each student's manually graded points, from nbgrader's gradebook

Student notebooks never run in this (trusted) environment. The course's
nbgrader_config.py sets `Execute.enabled = False`, so nbgrader's autograde
only sanitizes the notebooks (clears outputs, restores locked cells from the
source, records answers and checksums) and never starts a kernel -- also when
an instructor runs `nbgrader autograde` or the formgrader's "autograde"
button in that course directory by hand. Outputs are cleared, so graders read
the written answers, not the student's plots.

nbgrader's own "autograded" test cells are not part of the total: the code
score comes from the suites. Only cells that are both graded and solution
cells (what nbgrader calls manually graded) count here.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .manifest import REPO, load_manifest

DEFAULT_COURSE = REPO / "build" / "nbgrader"
COURSE_ID = "cs231n"
# nbgrader puts ids in paths and in comma-separated option lists.
STUDENT_ID = re.compile(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*")

NBGRADER_CONFIG = f'''\
# Written by autograder.grading.manual; rewritten on every import.
c = get_config()
c.CourseDirectory.course_id = "{COURSE_ID}"
# Student notebooks are untrusted code: nbgrader's autograde must never run
# them here. With execution off it only sanitizes notebooks and records the
# answers for manual grading in the formgrader.
c.Execute.enabled = False
'''


class ManualGradingError(RuntimeError):
    """nbgrader failed; the message holds the end of its log for the instructor."""


def db_url(course):
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def run_nbgrader(course, *args):
    """Run the nbgrader command line in `course`, where it reads nbgrader_config.py.

    A subprocess rather than nbgrader's Python API so that exactly the
    configuration an instructor's own `nbgrader ...` would load applies.
    """
    env = dict(os.environ)
    # nbgrader migrates its database by running `alembic` from PATH.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        log = (done.stdout + done.stderr).strip().splitlines()
        raise ManualGradingError(f"nbgrader {' '.join(args)} failed in {course}:\n" + "\n".join(log[-30:]))
    return done.stdout + done.stderr


def _copy_if_changed(src, dest):
    """Copy src over dest unless their bytes are equal; return whether it copied."""
    data = Path(src).read_bytes()
    if dest.exists() and dest.read_bytes() == data:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return True


def prepare_course(assignment, course=DEFAULT_COURSE, reference_root=REPO / "source"):
    """Make `course` an nbgrader course directory holding `assignment`'s source notebooks.

    Runs `nbgrader generate_assignment` (which also adds the assignment to
    the gradebook) only when the source notebooks changed since last time.
    Returns the notebook file names.
    """
    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    notebooks = load_manifest(assignment, reference_root).notebooks
    if not notebooks:
        raise ManualGradingError(f"{assignment} lists no notebooks in its assignment.toml")
    changed = False
    for name in notebooks:
        changed |= _copy_if_changed(Path(reference_root) / assignment / name,
                                    course / "source" / assignment / Path(name).name)
    generated = course / "release" / assignment
    if changed or not generated.is_dir():
        run_nbgrader(course, "generate_assignment", assignment, "--force")
    return [Path(name).name for name in notebooks]


def import_notebooks(assignment, submissions, course=DEFAULT_COURSE, reference_root=REPO / "source"):
    """Import students' notebooks for manual grading.

    submissions: {student_id: folder}, each folder laid out like a submission
    (the manifest's notebook paths relative to it). Students whose notebooks
    are unchanged since their last import are skipped, so grades already
    given stay put (nbgrader keeps manual scores across re-imports anyway,
    but flags them for review).

    Returns {student_id: status}, status one of "imported", "unchanged",
    "no notebooks", "failed" (nbgrader could not read the notebook, e.g.
    invalid JSON or tampered cell metadata; see the formgrader log).
    """
    course = Path(course)
    names = prepare_course(assignment, course, reference_root)
    paths = load_manifest(assignment, reference_root).notebooks
    status, to_grade = {}, []
    for student, folder in sorted(submissions.items()):
        if not STUDENT_ID.fullmatch(student):
            raise ManualGradingError(f"student id {student!r} cannot be an nbgrader id "
                                     "(letters, digits and . _ @ + - only)")
        present = [(name, Path(folder) / path) for name, path in zip(names, paths)
                   if (Path(folder) / path).is_file()]
        if not present:
            status[student] = "no notebooks"
            continue
        submitted = course / "submitted" / student / assignment
        changed = False
        for name, src in present:
            changed |= _copy_if_changed(src, submitted / name)
        if changed or not (course / "autograded" / student / assignment).is_dir():
            to_grade.append(student)
        else:
            status[student] = "unchanged"

    if to_grade:
        # One nbgrader run for everyone who changed: the others are excluded.
        # A student whose notebook nbgrader rejects makes the run exit non-zero
        # after the others are done; the per-student check below finds them.
        others = sorted(set(os.listdir(course / "submitted")) - set(to_grade))
        args = ["autograde", assignment, "--force"]
        if others:
            args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
        try:
            run_nbgrader(course, *args)
        except ManualGradingError:
            pass
        for student in to_grade:
            done = all((course / "autograded" / student / assignment / name).is_file()
                       for name in names
                       if (course / "submitted" / student / assignment / name).is_file())
            status[student] = "imported" if done else "failed"
    return status


def manually_graded_cells(gradebook, assignment):
    """{notebook name: set of cell names} of the cells people grade (grade + solution)."""
    cells = {}
    for notebook in gradebook.find_assignment(assignment).notebooks:
        solutions = {cell.name for cell in notebook.solution_cells}
        cells[notebook.name] = {cell.name for cell in notebook.grade_cells if cell.name in solutions}
    return cells


def manual_scores(assignment, course=DEFAULT_COURSE):
    """{student_id: ManualScore} for every student nbgrader has a submission of."""
    scores = {}
    with Gradebook(db_url(course), COURSE_ID) as gradebook:
        try:
            cells = manually_graded_cells(gradebook, assignment)
        except MissingEntry:
            return {}
        for submission in gradebook.find_assignment(assignment).submissions:
            score = ManualScore()
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in cells.get(notebook.name, ()):
                        score.add(grade.score, grade.max_score, grade.needs_manual_grade)
            scores[submission.student.id] = score
    return scores


class ManualScore:
    """A student's manually graded points: score, max_score, ungraded (cells still to grade)."""

    def __init__(self):
        self.score, self.max_score, self.ungraded = 0.0, 0.0, 0

    def add(self, score, max_score, needs_manual_grade):
        self.score += float(score or 0.0)
        self.max_score += float(max_score or 0.0)
        self.ungraded += int(bool(needs_manual_grade))

    def __repr__(self):
        return f"ManualScore({self.score:g}/{self.max_score:g}, {self.ungraded} ungraded)"
