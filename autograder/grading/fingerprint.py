"""Content hashes that decide whether a stored result is still valid.

A submission's cache key is sha256 over:

* its graded bytes: every file of the staging folder (the student's graded
  files and the release stubs around them) plus the unpacking messages;
* the suite: the suite files the manifest lists and the helpers beside them
  in suites/<assignment>/, suites/conftest.py, the manifest and course.toml
  (which holds the hidden tests' seed salt);
* the reference: every .py file under the reference root;
* the grader version: the source of autograder/grading, testkit and sandbox;
* the isolation mode asked for.

Changing any of them regrades; nothing else does (timestamps, zip metadata,
files the grader ignores).
"""
import hashlib
import json
from pathlib import Path

from course import REPO, load_course

SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
GRADER_PACKAGES = ("autograder/grading", "autograder/testkit", "autograder/sandbox")


def _files(root, pattern="*", keep=lambda path: True):
    root = Path(root)
    if not root.exists():
        return []
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob(pattern)
                  if p.is_file() and not SKIPPED_PARTS & set(p.relative_to(root).parts) and keep(p))


def tree_digest(root, pattern="*", keep=lambda path: True):
    """sha256 hex of the relative paths and contents of the files under `root` (those `keep` accepts)."""
    digest = hashlib.sha256()
    root = Path(root)
    for path in _files(root, pattern, keep):
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def combine(**parts):
    """sha256 hex of named string parts, in a fixed order."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def grader_version():
    return combine(**{package: tree_digest(REPO / package) for package in GRADER_PACKAGES})


def suite_hash(roots, manifest):
    return combine(suite=tree_digest(roots.suites / manifest.name, keep=manifest.is_suite_file),
                   conftest=tree_digest(roots.suites / "conftest.py"),
                   manifest=tree_digest(roots.source / manifest.name / "assignment.toml"),
                   course=tree_digest(roots.source / "course.toml"))


def reference_hash(roots):
    return tree_digest(roots.source, "*.py")


def grading_context(roots, manifest, isolation):
    """Everything except the submission that a result depends on (computed once per batch).

    "salt" is the hidden tests' seed salt, for run_suite; only its hash enters the key.
    """
    return {"suite_hash": suite_hash(roots, manifest), "reference_hash": reference_hash(roots),
            "grader_version": grader_version(), "isolation": isolation,
            "salt": load_course(roots).hidden_seed_salt}


def cache_key(staged, context):
    parts = {k: v for k, v in context.items() if k != "salt"}
    return combine(graded=tree_digest(staged.root), problems="\n".join(staged.problems),
                   rejected=str(staged.rejected), **parts)
