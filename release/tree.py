"""The generated release held in memory, written out, and compared with another."""
import filecmp
import os
import shutil
from pathlib import Path

from .errors import ReleaseError


class ReleaseTree:
    """Relative POSIX path -> file bytes. Each path is written by exactly one step."""

    def __init__(self):
        self.files = {}

    def add(self, path, data):
        if path in self.files:
            raise ReleaseError(f"two release steps both write {path}")
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.files[path] = bytes(data)

    def add_copy(self, path, source):
        self.add(path, Path(source).read_bytes())

    def write(self, folder):
        """Write every file under `folder`, which must not exist yet."""
        folder = Path(folder)
        folder.mkdir(parents=True)
        for path in sorted(self.files):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.files[path])


def list_files(folder):
    """Every file under `folder` (links included, not followed), as sorted relative POSIX paths."""
    folder = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            found.append((Path(dirpath) / name).relative_to(folder).as_posix())
    return sorted(found)


def compare_trees(expected, actual):
    """Differences between two folders as sorted lines: 'missing X', 'unexpected X', 'differs X'."""
    expected_files, actual_files = set(list_files(expected)), set(list_files(actual))
    lines = [f"missing    {p}" for p in sorted(expected_files - actual_files)]
    lines += [f"unexpected {p}" for p in sorted(actual_files - expected_files)]
    for path in sorted(expected_files & actual_files):
        if not filecmp.cmp(Path(expected) / path, Path(actual) / path, shallow=False):
            lines.append(f"differs    {path}")
    return lines


def replace_folder(staging, destination):
    """Put `staging` where `destination` is, removing the old one first."""
    destination = Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(staging, destination)
