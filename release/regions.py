"""Solution regions in Python text: `### BEGIN SOLUTION` ... `### END SOLUTION`.

Shared by the stubbing step and the leak check, so both agree on what a
region is. Markers must stand alone on their line (any number of leading '#');
regions may not nest, and every BEGIN needs an END at the same indentation.
"""
import re
from dataclasses import dataclass

from .errors import ReleaseError

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*(?P<kind>BEGIN SOLUTION|END SOLUTION)[ \t]*$")


@dataclass(frozen=True)
class Region:
    """Lines begin..end (0-based, both marker lines included) of a text."""

    begin: int
    end: int
    indent: str

    def body(self, lines):
        """The solution lines, markers excluded."""
        return lines[self.begin + 1:self.end]


def find_regions(lines, where):
    """Regions in `lines` (a list of str without newlines), in order.

    `where` names the text in errors, e.g. "source/cs231n/layers.py" or
    "source/assignment1/knn.ipynb, cell 7"; line numbers are 1-based.
    """
    regions, open_at, open_indent = [], None, ""
    for index, line in enumerate(lines):
        if BEGIN not in line and END not in line:
            continue
        match = _MARKER.match(line)
        if match is None:
            raise ReleaseError(f"{where}, line {index + 1}: a solution marker must stand alone on its "
                               f"line, like '### {BEGIN}'; found {line.strip()!r}")
        if match["kind"] == BEGIN:
            if open_at is not None:
                raise ReleaseError(f"{where}, line {index + 1}: nested {BEGIN} (the region opened at "
                                   f"line {open_at + 1} has no {END} yet)")
            open_at, open_indent = index, match["indent"]
        else:
            if open_at is None:
                raise ReleaseError(f"{where}, line {index + 1}: {END} without a {BEGIN} before it")
            if match["indent"] != open_indent:
                raise ReleaseError(f"{where}, line {index + 1}: {END} is indented differently from the "
                                   f"{BEGIN} at line {open_at + 1}")
            regions.append(Region(open_at, index, open_indent))
            open_at = None
    if open_at is not None:
        raise ReleaseError(f"{where}, line {open_at + 1}: {BEGIN} is never closed by an {END}")
    return regions


def outside_lines(lines, regions):
    """The lines of `lines` that are in no region (markers excluded too)."""
    inside = set()
    for region in regions:
        inside.update(range(region.begin, region.end + 1))
    return [line for i, line in enumerate(lines) if i not in inside]
