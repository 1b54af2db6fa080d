"""The exception for problems in the course's own material, which an instructor must fix."""


class CourseError(Exception):
    """A problem in the source material, a manifest or the committed release; the message says
    where (file and line) and what to do."""
