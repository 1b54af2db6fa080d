"""The release of one assignment: run the steps, leak-check, write or compare.

    build_assignment(name, roots)   regenerate roots.release/<name>, failing on any leak
    check_assignment(name, roots)   problems with the committed roots.release/<name>:
                                    leaks, and differences from a fresh generation,
                                    leaving out what the release's .gitignore ignores
"""
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReleaseError
from .ignore import copy_shipped, parse_ignore
from .leaks import find_leaks
from course import Manifest, Roots, assignment_names, load_manifest
from course.manifest import check_notebooks_exist
from .notebooks import generate_notebooks
from .public_tests import split_suites, write_hidden_test_counts, write_public_tests, write_student_conftest
from .student_files import (copy_dataset_builders, copy_dataset_fetcher, copy_readme, copy_shipped_files,
                            copy_student_tools, copy_testkit, write_submission_manifest)
from .student_env import copy_setup_script, write_gitignore, write_requirements
from .stub_modules import stub_modules
from .tree import ReleaseTree, compare_trees, replace_folder

STEPS = [
    stub_modules,
    generate_notebooks,
    copy_readme,
    copy_shipped_files,
    copy_student_tools,
    copy_dataset_fetcher,
    copy_dataset_builders,
    copy_testkit,
    write_public_tests,
    write_student_conftest,
    write_hidden_test_counts,
    write_submission_manifest,
    write_requirements,
    copy_setup_script,
    write_gitignore,
]


@dataclass
class Job:
    """What a step gets: the manifest, the roots, the tree it adds files to."""

    manifest: Manifest
    roots: Roots
    tree: ReleaseTree = field(default_factory=ReleaseTree)
    notes: list = field(default_factory=list)   # things worth telling the instructor
    solved_lines: list = field(default_factory=list)  # solution lines this release gives on purpose
    _splits: dict = None

    def splits(self):
        """The manifest's suites split into public and hidden parts (computed once)."""
        if self._splits is None:
            self._splits = split_suites(self.manifest, self.roots)
        return self._splits


class LeaksFound(ReleaseError):
    def __init__(self, label, leaks):
        self.leaks = leaks
        listing = "\n  ".join(str(leak) for leak in leaks)
        super().__init__(f"{label}: the release would leak {len(leaks)} thing(s); nothing was written:\n  {listing}")


def generate(name, roots):
    """Run every step for assignment `name`; returns the finished Job."""
    job = Job(load_manifest(roots, name), roots)
    check_notebooks_exist(job.manifest, roots)
    for step in STEPS:
        step(job)
    return job


def label_of(name, roots):
    return roots.display(roots.release / name)


def build_assignment(name, roots):
    """Regenerate roots.release/<name>. Raises ReleaseError (LeaksFound on a leak). Returns the Job."""
    job = generate(name, roots)
    with tempfile.TemporaryDirectory(prefix="release-build-") as tmp:
        staging = Path(tmp) / name
        job.tree.write(staging)
        leaks = find_leaks(staging, job.manifest, roots, job.splits(), set(job.tree.files), label_of(name, roots),
                           job.solved_lines)
        if leaks:
            raise LeaksFound(label_of(name, roots), leaks)
        replace_folder(staging, roots.release / name)
    return job


def check_assignment(name, roots):
    """Problems with the committed release of `name`, as lines of text (empty: all good)."""
    label = label_of(name, roots)
    job = generate(name, roots)
    committed = roots.release / name
    if not committed.is_dir():
        return [f"{label} does not exist; run `make release`"]
    expected = set(job.tree.files)
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        # What students and instructors create in the folder (datasets, the
        # environment, zips) is git-ignored by the release: check what git keeps.
        committed = copy_shipped(committed, Path(tmp) / "committed" / name, _ignore_patterns(job))
        problems = [str(leak) for leak in find_leaks(committed, job.manifest, roots, job.splits(), expected, label,
                                                     job.solved_lines)]
        fresh = Path(tmp) / "fresh" / name
        job.tree.write(fresh)
        problems += [f"(fresh build) {leak}" for leak in
                     find_leaks(fresh, job.manifest, roots, job.splits(), expected, label, job.solved_lines)]
        differences = compare_trees(fresh, committed)
    if differences:
        problems.append(f"{label} differs from a fresh build of the sources (run `make release`):")
        problems += [f"  {line}" for line in differences]
    return problems


def _ignore_patterns(job):
    """The patterns of the .gitignore the release ships (none: nothing is ignored)."""
    text = job.tree.files.get(".gitignore")
    return parse_ignore(text.decode("utf-8"), ".gitignore") if text is not None else []


def orphan_releases(roots):
    """Folders in roots.release that no source/<name>/assignment.toml generates."""
    names = set(assignment_names(roots))
    if not roots.release.is_dir():
        return []
    return sorted(p.name for p in roots.release.iterdir() if p.is_dir() and p.name not in names)
