"""The leak check: nothing in a release folder may give away what students must not see.

(a) lines of solution regions or solution cells (secret_lines.py decides which),
(b) solution or hidden-test markers, (c) hidden test names or body lines,
(d) notebook outputs or execution counts, (e) files the pipeline did not
produce (always: caches, checkpoints, saved arrays and pickles, except the
manifest's shipped_files, which the course releases on purpose).
"""
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .secret_lines import collect_secrets, normalize
from .tree import list_files

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
FORBIDDEN_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".git"}
FORBIDDEN_SUFFIXES = {".pyc", ".npz", ".npy", ".pkl", ".pickle", ".pt", ".pth", ".zip", ".db", ".sqlite"}


@dataclass(frozen=True)
class Leak:
    path: str        # e.g. assignments/assignment1/cs231n/classifiers/linear_svm.py
    where: str       # e.g. "line 40" or "cell 7, line 3"; "" for the whole file
    message: str

    def __str__(self):
        return f"{self.path}: {self.where + ': ' if self.where else ''}{self.message}"


def find_leaks(folder, manifest, roots, splits, expected_files=None, label=None, given_lines=()):
    """Every leak in release folder `folder`, in file order.

    `expected_files`: the relative paths a fresh build produces (anything else
    is a stray file); `label` prefixes paths in messages (default: the folder);
    `given_lines`: solution lines this assignment releases on purpose (earlier
    assignments' work given solved), which are no leak here.
    """
    secrets = collect_secrets(manifest, roots, splits, given_lines)
    names = re.compile(r"\b(" + "|".join(map(re.escape, sorted(secrets.test_names))) + r")\b") \
        if secrets.test_names else None
    label = label or str(folder)
    leaks = []
    for rel in list_files(folder):
        path, shown = folder / rel, f"{label}/{rel}"
        stray = _stray_reason(rel, expected_files, manifest.shipped_files)
        if stray:
            leaks.append(Leak(shown, "", stray))
        if path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary: only the stray rule applies
        if rel.endswith(".ipynb"):
            leaks += _notebook_leaks(text, shown, secrets, names)
        else:
            leaks += _text_leaks(text.split("\n"), shown, "", secrets, names)
    return leaks


def _stray_reason(rel, expected_files, shipped=()):
    parts = PurePosixPath(rel).parts
    if FORBIDDEN_PARTS & set(parts) or (PurePosixPath(rel).suffix in FORBIDDEN_SUFFIXES and rel not in shipped):
        return "file not produced by the release pipeline (caches, checkpoints and saved data never ship)"
    if expected_files is not None and rel not in expected_files:
        return "file not produced by the release pipeline"
    return ""


def _text_leaks(lines, shown, prefix, secrets, names):
    leaks = []
    for number, line in enumerate(lines, start=1):
        where = f"{prefix}line {number}"
        marker = next((m for m in MARKERS if m in line), None)
        if marker:
            leaks.append(Leak(shown, where, f"contains the marker '{marker}'"))
        origin = secrets.lines.get(normalize(line))
        if origin:
            leaks.append(Leak(shown, where, f"solution or hidden-test line from {origin}: {line.strip()[:80]!r}"))
        found = names.search(line) if names else None
        if found:
            leaks.append(Leak(shown, where, f"names hidden test {found.group(1)} "
                                            f"(from {secrets.test_names[found.group(1)]})"))
    return leaks


def _notebook_leaks(text, shown, secrets, names):
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Leak(shown, "", f"not a valid notebook: {exc}")]
    leaks = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                leaks.append(Leak(shown, f"cell {index}", "has outputs; released notebooks must be cleared"))
            if cell.get("execution_count") is not None:
                leaks.append(Leak(shown, f"cell {index}", "has an execution count; it must be null"))
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).split("\n")
        leaks += _text_leaks(lines, shown, f"cell {index}, ", secrets, names)
    return leaks
