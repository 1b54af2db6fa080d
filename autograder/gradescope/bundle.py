"""What goes into a Gradescope autograder zip, and writing it byte-for-byte reproducibly.

The zip holds, at its root (Gradescope's layout):

    setup.sh, run_autograder          from the templates beside this file, with
                                      the assignment name and datasets filled in
    requirements.txt, constraints.txt the pinned environment, copied as is
    autograder/                       the grader, with only this assignment's suites
    course/                           the manifest reader and the stub generator
    source/cs231n/                    the reference solution
    source/course.toml, source/*/assignment.toml   the course order, the hidden-seed
                                      salt, and every manifest (which assignment
                                      owns a shared module decides its stubs)
    assignments/<assignment>/<module> the release's stubs, graded where a student
                                      did not submit a module (the manifest's `modules`);
                                      refused unless they are what source/ generates
    data/{__init__,fetch,heldout,prepare}.py   what setup.sh runs to fetch and build the
                                      datasets grading reads

Reproducible: entries are sorted by path, every timestamp is 1980-01-01, and
permissions are 0644 (0755 for the two scripts), so building twice from the
same tree gives the same bytes and the same sha256.
"""
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from course import CourseError, Roots, load_manifest
from course.manifest import COURSE_FILE, MANIFEST_FILE
from course.stubs import release_problems

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
SCRIPTS = ("setup.sh", "run_autograder")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")


class BundleError(CourseError):
    """The bundle cannot be built; the message says why and what to do."""


@dataclass
class BundleSummary:
    path: Path
    files: int
    bytes: int
    sha256: str
    datasets: list


def manifest_of(assignment, repo=REPO):
    return load_manifest(Roots.of_repo(repo), assignment)


def _walk(root, repo):
    """Every file under `root` (repository-relative POSIX paths), skipping caches."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if not name.endswith(SKIP_SUFFIXES):
                found.append((Path(folder) / name).relative_to(repo).as_posix())
    return found


def grader_files(assignment, repo=REPO):
    """Repository files the bundle copies unchanged, as sorted relative paths.

    Only this assignment's suites go in: another assignment's hidden tests
    have no business on this assignment's grading image.
    """
    suites = repo / "autograder" / "suites"
    if not (suites / assignment).is_dir():
        raise BundleError(f"no suites in autograder/suites/{assignment}")
    paths = []
    for path in _walk(repo / "autograder", repo):
        parts = path.split("/")
        if parts[1] == "suites" and len(parts) > 3 and parts[2] != assignment:
            continue
        paths.append(path)
    paths += _walk(repo / "course", repo)
    paths += _walk(repo / "source" / "cs231n", repo)
    paths += sorted(p.relative_to(repo).as_posix() for p in (repo / "source").glob(f"*/{MANIFEST_FILE}"))
    paths += [p for p in [f"source/{COURSE_FILE}"] if (repo / p).is_file()]
    paths += ["data/__init__.py", "data/fetch.py", "data/heldout.py", "data/prepare.py",
              "requirements.txt", "constraints.txt"]
    missing = [p for p in paths if not (repo / p).is_file()]
    if missing:
        raise BundleError("missing from the repository: " + ", ".join(missing))
    manifest = manifest_of(assignment, repo)
    stale = release_problems(manifest, Roots.of_repo(repo))
    if stale:
        raise BundleError("the release's stubs are not what source/ generates, so the bundle would grade "
                          "against the wrong files:\n  " + "\n  ".join(stale) + "\nRun `make release` first.")
    stubs = [f"assignments/{assignment}/{module}" for module in manifest.modules]
    return sorted(set(paths + stubs))


def render_script(name, assignment, datasets):
    """A script template with its placeholders filled in."""
    text = (TEMPLATES / name).read_text()
    return text.replace("@ASSIGNMENT@", assignment).replace("@DATASETS@", " ".join(datasets))


def _entry(path, mode):
    info = zipfile.ZipInfo(path, date_time=FIXED_DATE)
    info.create_system = 3  # Unix, so that unzip honours the permission bits below
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _check_destination(out, repo):
    """Bundles hold hidden tests and the reference: never next to student releases."""
    released = (repo / "assignments").resolve()
    if out.resolve().is_relative_to(released):
        raise BundleError(f"refusing to write {out} under {released}: "
                          "that folder is what students receive; use build/gradescope/")


def build_bundle(assignment, out, repo=REPO):
    """Write the autograder zip for `assignment` to `out`; return a BundleSummary."""
    repo, out = Path(repo), Path(out)
    _check_destination(out, repo)
    # The datasets the suites read in the grader ([grading] datasets): setup.sh
    # fetches them, and grading refuses to start without them.
    datasets = list(manifest_of(assignment, repo).datasets)

    contents = {path: ((repo / path).read_bytes(), 0o644) for path in grader_files(assignment, repo)}
    for name in SCRIPTS:
        contents[name] = (render_script(name, assignment, datasets).encode(), 0o755)

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as bundle:
        for path in sorted(contents):
            data, mode = contents[path]
            bundle.writestr(_entry(path, mode), data)
    partial.replace(out)  # a failed build never leaves a half-written zip behind

    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return BundleSummary(out, len(contents), out.stat().st_size, digest, datasets)
