"""The one exception the release raises for problems an instructor must fix."""


class ReleaseError(Exception):
    """A problem in the source material; the message names the file (and line)."""
