"""What the course is made of, read the same way by the release and the grader.

roots.py     where the material lives (`Roots`)
manifest.py  source/course.toml and source/<assignment>/assignment.toml: the one
             reader, every key documented there (`Course`, `Manifest`)
regions.py   solution regions and assignment blocks in the source
stubs.py     a module as one assignment releases it (scoped and stubbed)
errors.py    `CourseError`, for problems an instructor must fix
"""
from .errors import CourseError
from .manifest import Course, Manifest, ManifestError, Sandbox, assignment_names, load_course, load_manifest
from .roots import REPO, Roots

__all__ = ["CourseError", "Course", "Manifest", "ManifestError", "Sandbox", "assignment_names",
           "load_course", "load_manifest", "REPO", "Roots"]
