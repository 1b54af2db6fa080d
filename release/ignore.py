"""The release's .gitignore, read the way git reads it, for the release check.

Students (and instructors trying the release) create files inside a release
folder: the environment, the datasets, submission zips. The release ships a
.gitignore naming them; `check` must then ignore exactly what git ignores, no
more and no less, or it would either fail on a downloaded dataset or wave
through a file that git would commit.

Only the part of gitignore's syntax that needs no guessing is accepted:
comments, blank lines, `*`, `?` and `[...]` globs, a trailing `/` (directories
only), and a `/` at the start or in the middle (anchored at the release
folder). Negation (`!`), `**` and backslash escapes are rejected, so that
"exactly what git ignores" stays true.
"""
import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ReleaseError


@dataclass(frozen=True)
class Pattern:
    parts: tuple         # the pattern split at "/": matched component by component when anchored
    anchored: bool       # relative to the release folder, not matched at every level
    directories_only: bool


def parse_ignore(text, where):
    """The patterns of a .gitignore text; ReleaseError for syntax this reader does not handle."""
    patterns = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip(" ")
        if not line or line.startswith("#"):
            continue
        if line.startswith("!") or "**" in line or "\\" in line:
            raise ReleaseError(f"{where}, line {number}: {line!r}: negation, '**' and escapes are not "
                               "supported (the release check must ignore exactly what git ignores)")
        directories_only = line.endswith("/")
        body = line.rstrip("/")
        anchored = "/" in body
        parts = tuple(body.lstrip("/").split("/"))
        if not body.lstrip("/") or "" in parts:
            raise ReleaseError(f"{where}, line {number}: {line!r} is not a pattern")
        patterns.append(Pattern(parts, anchored, directories_only))
    return patterns


def is_ignored(rel, is_dir, patterns):
    """Would git ignore path `rel` (POSIX, relative to the release folder)?

    `is_dir`: `rel` is a real directory (git treats a link to one as a file).
    Everything inside an ignored directory is ignored too.
    """
    names = rel.split("/")
    return any(_matches(names[:depth], depth < len(names) or is_dir, patterns)
               for depth in range(1, len(names) + 1))


def _matches(names, is_dir, patterns):
    """Does a pattern match the path `names` itself (not one of its parents)?"""
    for pattern in patterns:
        if pattern.directories_only and not is_dir:
            continue
        if pattern.anchored:
            if len(names) == len(pattern.parts) and all(
                    fnmatch.fnmatchcase(name, part) for name, part in zip(names, pattern.parts)):
                return True
        elif fnmatch.fnmatchcase(names[-1], pattern.parts[0]):
            return True
    return False


def shipped_files(folder, patterns):
    """Sorted relative POSIX paths of the files (and links) under `folder` that git would not ignore."""
    folder = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath).relative_to(folder).as_posix()

        def rel(name):
            return name if base == "." else f"{base}/{name}"

        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        # An ignored folder is not entered: nothing in it can be kept.
        dirnames[:] = sorted(d for d in dirnames if d not in links and not _matches(rel(d).split("/"), True, patterns))
        found += [rel(name) for name in filenames + links if not _matches(rel(name).split("/"), False, patterns)]
    return sorted(found)


def copy_shipped(folder, destination, patterns):
    """Copy what git would not ignore from `folder` to the new folder `destination` (links stay links)."""
    folder, destination = Path(folder), Path(destination)
    destination.mkdir(parents=True)
    for rel in shipped_files(folder, patterns):
        target = destination / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, target, follow_symlinks=False)
    return destination
