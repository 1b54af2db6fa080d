"""nbgrader's configuration for instructors: the formgrader of a JupyterLab started here.

    .venv/bin/python -m autograder nbgrader-import --assignment assignment1 --submissions DIR
    .venv/bin/jupyter lab                 (as root, e.g. in a container: add --allow-root)

then Nbgrader > Formgrader in JupyterLab's menu (or `.venv/bin/nbgrader formgrader`
from this folder). Written answers are graded there by people: nbgrader-import
fills the course directory build/nbgrader and the gradebook of manual grades,
gradebook.db. The values are autograder.grading.manual's, so the two cannot drift.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # nbgrader runs this file outside the repository's path

from autograder.grading.manual import COURSE_ID, DEFAULT_COURSE, DEFAULT_NBGRADER_DB, db_url  # noqa: E402

c = get_config()  # noqa: F821  (provided by nbgrader's config loader)
c.CourseDirectory.root = str(DEFAULT_COURSE)
c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.db_url = db_url(DEFAULT_COURSE, DEFAULT_NBGRADER_DB)
# Student notebooks are untrusted code: nbgrader's autograde (also the
# formgrader's button) only sanitizes them here and never runs them.
c.Execute.enabled = False
