"""The one exception the release raises for problems an instructor must fix."""
from course.errors import CourseError


class ReleaseError(CourseError):
    """A problem in the source material; the message names the file (and line)."""
