"""Marked regions in Python text: solution regions and assignment blocks.

Solution regions (in .py files and notebook code cells):

        # TODO: what the student writes here
        ### BEGIN SOLUTION
        ...the reference solution...
        ### END SOLUTION

Assignment blocks (in .py files of cs231n/, around whole top-level
statements, at column 0): what a later assignment adds to a module that an
earlier assignment already ships.

    ### BEGIN ASSIGNMENT assignment2
    def batchnorm_forward(x, gamma, beta, bn_param):
        ...
    ### END ASSIGNMENT assignment2

Shared by the release (stubs, leak check) and the grader, so all agree on
what a region is. Markers stand alone on their line (any number of leading
'#'); regions and blocks do not nest within their own kind; a region lies
wholly inside or wholly outside a block; every BEGIN needs its END (at the
same indentation, for regions).
"""
import re
from dataclasses import dataclass

from .errors import CourseError

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
BLOCK_BEGIN, BLOCK_END = "BEGIN ASSIGNMENT", "END ASSIGNMENT"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*(?P<kind>BEGIN SOLUTION|END SOLUTION)[ \t]*$")
_BLOCK = re.compile(r"^#+[ \t]*(?P<kind>BEGIN ASSIGNMENT|END ASSIGNMENT)[ \t]+(?P<name>[A-Za-z0-9_.-]+)[ \t]*$")


class RegionError(CourseError):
    """A malformed marker in the course's source; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    """Lines begin..end (0-based, both marker lines included) of a text."""

    begin: int
    end: int
    indent: str

    def body(self, lines):
        """The solution lines, markers excluded."""
        return lines[self.begin + 1:self.end]


@dataclass(frozen=True)
class Block:
    """An assignment block: lines begin..end (0-based, marker lines included)."""

    begin: int
    end: int
    assignment: str

    def contains(self, line):
        return self.begin < line < self.end


def find_regions(lines, where):
    """Solution regions in `lines` (a list of str without newlines), in order.

    `where` names the text in errors, e.g. "source/cs231n/layers.py" or
    "source/assignment1/knn.ipynb, cell 7"; line numbers are 1-based.
    """
    regions, open_at, open_indent = [], None, ""
    for index, line in enumerate(lines):
        if BEGIN not in line and END not in line:
            continue
        match = _MARKER.match(line)
        if match is None:
            raise RegionError(f"{where}, line {index + 1}: a solution marker must stand alone on its "
                              f"line, like '### {BEGIN}'; found {line.strip()!r}")
        if match["kind"] == BEGIN:
            if open_at is not None:
                raise RegionError(f"{where}, line {index + 1}: nested {BEGIN} (the region opened at "
                                  f"line {open_at + 1} has no {END} yet)")
            open_at, open_indent = index, match["indent"]
        else:
            if open_at is None:
                raise RegionError(f"{where}, line {index + 1}: {END} without a {BEGIN} before it")
            if match["indent"] != open_indent:
                raise RegionError(f"{where}, line {index + 1}: {END} is indented differently from the "
                                  f"{BEGIN} at line {open_at + 1}")
            regions.append(Region(open_at, index, open_indent))
            open_at = None
    if open_at is not None:
        raise RegionError(f"{where}, line {open_at + 1}: {BEGIN} is never closed by an {END}")
    return regions


def find_blocks(lines, where):
    """Assignment blocks in `lines`, in order (see the module docstring)."""
    blocks, open_at, open_name = [], None, None
    for index, line in enumerate(lines):
        if BLOCK_BEGIN not in line and BLOCK_END not in line:
            continue
        match = _BLOCK.match(line)
        if match is None:
            raise RegionError(f"{where}, line {index + 1}: an assignment marker must stand alone at the start "
                              f"of its line, like '### {BLOCK_BEGIN} assignment2'; found {line.strip()!r}")
        if match["kind"] == BLOCK_BEGIN:
            if open_at is not None:
                raise RegionError(f"{where}, line {index + 1}: nested {BLOCK_BEGIN} (the block opened at "
                                  f"line {open_at + 1} has no {BLOCK_END} yet)")
            open_at, open_name = index, match["name"]
        else:
            if open_at is None:
                raise RegionError(f"{where}, line {index + 1}: {BLOCK_END} without a {BLOCK_BEGIN} before it")
            if match["name"] != open_name:
                raise RegionError(f"{where}, line {index + 1}: {BLOCK_END} {match['name']} closes the block "
                                  f"of {open_name} opened at line {open_at + 1}")
            blocks.append(Block(open_at, index, open_name))
            open_at = None
    if open_at is not None:
        raise RegionError(f"{where}, line {open_at + 1}: {BLOCK_BEGIN} {open_name} is never closed")
    return blocks


def block_of(region, blocks, where):
    """The block holding `region`, or None; a region may not straddle a block's edge."""
    for block in blocks:
        inside = block.contains(region.begin), block.contains(region.end)
        if all(inside):
            return block
        if any(inside) or region.begin < block.begin < region.end:
            raise RegionError(f"{where}, line {region.begin + 1}: a solution region crosses the edge of "
                              f"the {block.assignment} block at line {block.begin + 1}")
    return None


def outside_lines(lines, regions):
    """The lines of `lines` that are in no region (markers excluded too)."""
    inside = set()
    for region in regions:
        inside.update(range(region.begin, region.end + 1))
    return [line for i, line in enumerate(lines) if i not in inside]
