"""What must hold before any submission is graded, checked once, failing loudly.

A check that cannot run for a reason that is not the student's (a dataset
that is not installed, a release that is not the one source/ generates) must
never score as the student's zero. So grading starts by checking:

* the assignment exists (the error lists the course's assignments);
* the committed release's modules, which stand in for modules a student did
  not submit, are exactly what source/ generates for it;
* every dataset the manifest's [grading] datasets names is installed where
  CS231N_DATA_DIR points.

Any failure raises `GradingPrecondition` (a CourseError: the command exits
non-zero with the message and grades nobody).
"""
from course import CourseError, load_course, load_manifest
from course.stubs import release_problems


class GradingPrecondition(CourseError):
    """Grading cannot start; the message names what is missing and the command that fixes it."""


def checked_manifest(assignment, roots):
    """The assignment's Manifest, after every precondition of grading it holds."""
    course = load_course(roots)
    manifest = load_manifest(roots, assignment)
    if not manifest.suites:
        raise GradingPrecondition(f"{assignment} lists no suites in its assignment.toml, so there is nothing "
                                  "to grade it with")
    problems = release_problems(manifest, roots, course)
    if problems:
        raise GradingPrecondition(
            f"the release of {assignment} that submissions are graded against is not the one source/ "
            "generates, so stubs standing in for unsubmitted modules would be wrong:\n  "
            + "\n  ".join(problems)
            + "\nRun `make release` (and give students the regenerated release) or restore the committed files.")
    from data.prepare import missing_reason
    missing = [reason for name in manifest.datasets if (reason := missing_reason(name))]
    if missing:
        raise GradingPrecondition(f"{assignment} cannot be graded: " + "; ".join(missing))
    return manifest
