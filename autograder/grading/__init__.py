"""Grading: from a student's submission to results.json, feedback, grades.csv and the gradebook.

One submission (used by the Gradescope bundle and the nbgrader integration):

    from autograder.grading import grade_submission
    results = grade_submission(assignment, submission_path, out_dir, isolation="auto",
                               suites_root=None, reference_root=None, release_root=None)
    # -> dict, the content of out_dir/results.json (Gradescope's format);
    #    out_dir/feedback.md is written next to it.

A folder of submissions, in parallel, resumable (what `make grade` runs):

    from autograder.grading import grade_batch
    report = grade_batch(assignment, submissions_dir, out_dir, jobs=os.cpu_count(), isolation="auto")

The pipeline, one module per step:

    manifest.py     what a submission holds (source/<a>/assignment.toml), where roots are
    zipsafe.py      checks on a .zip before anything is extracted
    submission.py   stage the graded files of a submission into a clean folder
    fingerprint.py  cache keys (submission bytes, suite, reference, grader version)
    run_suite.py    pytest on the staged submission in a separate process, time limit
    plugin.py       the pytest plugin recording student-safe results per test
    results.py      results.json (schema: gradescope_results.schema.json)
    feedback.py     feedback.md
    grade.py        grade_submission: the steps above for one submission
    batch.py        grade_batch: many submissions, parallel, progress, grades.csv
    gradebook.py    SQLite history of runs and results
"""
from .batch import grade_batch
from .grade import grade_submission

__all__ = ["grade_batch", "grade_submission"]

