"""Start a new assignment: its folders, a manifest to fill in, and its place in the course.

    python -m release new assignment2 --title "Assignment 2: ..."     (make new-assignment NAME=...)

Creates, and refuses to overwrite:

    source/<name>/assignment.toml   every key, commented, to fill in (course/manifest.py documents them)
    source/<name>/README.md         the student's front door, to write
    source/<name>/artifacts/        where the executed notebooks save what the grader scores
    autograder/suites/<name>/       where the suites go (one test_*.py per part)

and appends <name> to source/course.toml's `assignments`, after the others.
The rest of the checklist is in docs/ARCHITECTURE.md ("Adding an assignment").
"""
import re

from course import assignment_names
from course.manifest import COURSE_FILE

from .errors import ReleaseError

MANIFEST_TEMPLATE = '''\
# What {name} is made of; every key is documented in course/manifest.py.
name = "{name}"
title = "{title}"

# Notebooks in this folder, in the order students work through them.
notebooks = []

# Files from source/ (cs231n/...) released to students: scoped and stubbed. New code in a
# module an earlier assignment ships goes inside `### BEGIN ASSIGNMENT {name}` blocks.
modules = ["cs231n/__init__.py"]

# Suites in autograder/suites/{name}/, in the order of the notebooks that use them.
suites = []

# What a submission holds: the notebooks, these modules, these saved files (never code).
submit_modules = []
submit_artifacts = []

# What the student environment installs (pins come from constraints.txt).
student_packages = ["numpy", "matplotlib", "jupyterlab", "ipykernel", "pytest"]

[earlier_work]
# How code owned by earlier assignments is released here: "copy" (students copy their
# own solution in) or "solved" (the reference, given).
{earlier}
[grading]
datasets = []

[sandbox]
call_timeout_s = 30
'''

README_TEMPLATE = '''\
# {title}

What this assignment is about, how to set up, the notebooks in order, and how to submit
(`python check.py`, then `python make_submission.py`).
'''


def new_assignment(roots, name, title):
    """Create the folders and files of a new assignment `name`; returns the paths made."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ReleaseError(f"{name!r} is not a usable assignment name (lower-case letters, digits and _)")
    existing = assignment_names(roots)  # also reports a malformed course.toml before anything is made
    if name in existing or (roots.source / name).exists() or (roots.suites / name).exists():
        raise ReleaseError(f"{name} exists already; pick another name")
    earlier = "".join(f'{other} = "copy"\n' for other in existing)
    made = []
    folder = roots.source / name
    (folder / "artifacts").mkdir(parents=True)
    (folder / "artifacts" / ".gitkeep").write_text("")
    (folder / "assignment.toml").write_text(MANIFEST_TEMPLATE.format(name=name, title=title, earlier=earlier))
    (folder / "README.md").write_text(README_TEMPLATE.format(title=title))
    (roots.suites / name).mkdir(parents=True)
    (roots.suites / name / "README.md").write_text(
        f"# Suites of {name}\n\nOne `test_<part>.py` per part, listed in the manifest's `suites`; see "
        "docs/ARCHITECTURE.md (Tests).\n")
    made += [folder / "assignment.toml", folder / "README.md", folder / "artifacts", roots.suites / name]
    course_file = roots.source / COURSE_FILE
    if course_file.is_file():
        text = course_file.read_text()
        listed = re.search(r"^assignments\s*=\s*\[(.*?)\]", text, flags=re.DOTALL | re.MULTILINE)
        if listed is None:
            raise ReleaseError(f"{roots.display(course_file)} has no `assignments = [...]` to add {name} to")
        inside = listed.group(1).rstrip().rstrip(",")
        entry = f'{inside}, "{name}"' if inside.strip() else f'"{name}"'
        text = text[:listed.start(1)] + entry + text[listed.end(1):]
        course_file.write_text(text)
        made.append(course_file)
    return made
