"""Where things live (`Roots`) and what one assignment is made of (`Manifest`)."""
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ReleaseError

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Roots:
    """The folders the pipeline reads and writes. Tests point these at a toy course."""

    source: Path            # source/: the cs231n package, <assignment>/ folders, common/
    suites: Path            # autograder/suites: <assignment>/test_*.py
    testkit: Path           # autograder/testkit: shipped to students verbatim
    dataset_fetcher: Path   # data/fetch.py: shipped as get_datasets.py (optional)
    output: Path            # assignments/: one generated folder per assignment
    constraints: Path = None  # constraints.txt: the pins of every package the grader's environment has

    @classmethod
    def of_repo(cls, repo=REPO):
        repo = Path(repo)
        return cls(source=repo / "source", suites=repo / "autograder" / "suites",
                   testkit=repo / "autograder" / "testkit",
                   dataset_fetcher=repo / "data" / "fetch.py", output=repo / "assignments",
                   constraints=repo / "constraints.txt")

    @property
    def common(self):
        """source/common/: the student-side tools shipped in every release."""
        return self.source / "common"

    def display(self, path):
        """`path` relative to the folder above source/ when possible, for messages."""
        path = Path(path)
        for base in (self.source.parent, self.output.parent):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                pass
        return str(path)


@dataclass(frozen=True)
class Manifest:
    """source/<name>/assignment.toml, validated. All paths are relative POSIX strings."""

    name: str
    title: str
    folder: Path                 # source/<name>
    notebooks: tuple             # in source/<name>/
    modules: tuple               # relative to source/, all inside cs231n/
    suites: tuple                # file names in autograder/suites/<name>/
    submit_modules: tuple        # a subset of `modules`
    submit_artifacts: tuple      # files the notebooks write, relative to the assignment folder
    # Python packages (distribution names, e.g. "numpy") students install for
    # this assignment; the release pins them and their dependencies from
    # constraints.txt into requirements.txt. Empty: no environment is shipped.
    student_packages: tuple = ()


def assignment_names(roots):
    """Every assignment with a source/<name>/assignment.toml, sorted."""
    return sorted(p.parent.name for p in roots.source.glob("*/assignment.toml"))


def load_manifest(roots, name):
    path = roots.source / name / "assignment.toml"
    where = roots.display(path)
    if not path.is_file():
        known = ", ".join(assignment_names(roots)) or "none"
        raise ReleaseError(f"{where}: no such manifest (assignments with one: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ReleaseError(f"{where}: not valid TOML: {exc}") from None

    def strings(key, required=True):
        value = data.get(key, None if required else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ReleaseError(f"{where}: '{key}' must be a list of strings")
        for item in value:
            pure = PurePosixPath(item)
            if pure.is_absolute() or ".." in pure.parts or "\\" in item:
                raise ReleaseError(f"{where}: '{key}' entry {item!r} must be a relative path inside the course")
        if len(set(value)) != len(value):
            raise ReleaseError(f"{where}: '{key}' lists an entry twice")
        return tuple(value)

    if data.get("name") != name:
        raise ReleaseError(f"{where}: name = {data.get('name')!r} must match its folder name {name!r}")
    manifest = Manifest(
        name=name, title=str(data.get("title", name)), folder=path.parent,
        notebooks=strings("notebooks"), modules=strings("modules"), suites=strings("suites"),
        submit_modules=strings("submit_modules"), submit_artifacts=strings("submit_artifacts", required=False),
        student_packages=_package_names(strings("student_packages", required=False), where))
    _check_files_exist(manifest, roots, where)
    return manifest


def _package_names(names, where):
    """`student_packages` entries: bare distribution names, since the pins come from constraints.txt."""
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
            raise ReleaseError(f"{where}: 'student_packages' entry {name!r} must be a bare package name "
                               "like \"numpy\" (no version: the pin comes from constraints.txt)")
    return names


def _check_files_exist(m, roots, where):
    for nb in m.notebooks:
        if not nb.endswith(".ipynb") or "/" in nb:
            raise ReleaseError(f"{where}: notebook {nb!r} must be a .ipynb file directly in {roots.display(m.folder)}")
        if not (m.folder / nb).is_file():
            raise ReleaseError(f"{where}: notebook {nb} not found in {roots.display(m.folder)}")
    for module in m.modules:
        if not module.startswith("cs231n/") or not module.endswith(".py"):
            raise ReleaseError(f"{where}: module {module!r} must be a .py file of the cs231n package (cs231n/...)")
        if not (roots.source / module).is_file():
            raise ReleaseError(f"{where}: module {module} not found in {roots.display(roots.source)}")
    for suite in m.suites:
        if not (roots.suites / m.name / suite).is_file():
            raise ReleaseError(f"{where}: suite {suite} not found in {roots.display(roots.suites / m.name)}")
    for module in m.submit_modules:
        if module not in m.modules:
            raise ReleaseError(f"{where}: submit_modules entry {module} is not in 'modules', so students never get it")
