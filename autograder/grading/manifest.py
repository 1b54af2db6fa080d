"""Where grading finds things, and what an assignment's submission holds.

`Roots` names the three trusted inputs of grading; the defaults are this
repository's folders, tests pass toy ones:

    suites     autograder/suites            suites/<assignment>/test_*.py + suites/conftest.py
    reference  source                       reference cs231n + <assignment>/assignment.toml
    release    assignments                  the student release: stubs for modules not submitted

`Manifest` is the part of `source/<assignment>/assignment.toml` the grader reads.
"""
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Roots:
    suites: Path = REPO / "autograder" / "suites"
    reference: Path = REPO / "source"
    release: Path = REPO / "assignments"

    @classmethod
    def of(cls, suites_root=None, reference_root=None, release_root=None):
        """Roots with the given folders (None keeps the repository default), absolute."""
        default = cls()
        return cls(Path(suites_root or default.suites).resolve(),
                   Path(reference_root or default.reference).resolve(),
                   Path(release_root or default.release).resolve())


@dataclass(frozen=True)
class Manifest:
    """What a submission of `name` holds (paths relative to the submission root).

    modules         every module of the release (relative to the package root's parent)
    submit_modules  the modules a student writes; graded from the submission
    suites          the suite files of suites/<name>/ that grade it (empty: all of them)
    notebooks       the notebooks; validated and kept for manual grading
    submit_artifacts  files the notebooks write (parameters, never code)
    timeout_s       wall-clock limit for running the whole suite on one submission
    """
    name: str
    title: str
    modules: tuple
    submit_modules: tuple
    notebooks: tuple
    submit_artifacts: tuple
    suites: tuple
    timeout_s: float

    @property
    def graded_paths(self):
        """Every path a submission may contribute, in a stable order."""
        return self.notebooks + self.submit_modules + self.submit_artifacts

    def suite_targets(self, suites_root):
        """What pytest runs: the listed suite files, or the assignment's whole suite folder."""
        folder = Path(suites_root) / self.name
        return [folder / name for name in self.suites] if self.suites else [folder]

    def is_suite_file(self, path):
        """Whether a file of suites/<name>/ takes part in grading (helpers always do)."""
        name = Path(path).name
        return not self.suites or not name.startswith("test_") or name in self.suites


DEFAULT_TIMEOUT_S = 900.0


class ManifestError(ValueError):
    """The assignment's manifest is missing or malformed (an instructor problem)."""


def load_manifest(assignment, reference_root):
    path = Path(reference_root) / assignment / "assignment.toml"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ManifestError(f"no manifest for {assignment!r}: {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path} is not valid TOML: {exc}") from None

    def paths(key):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{path}: {key} must be a list of relative paths")
        for v in value:
            if v.startswith("/") or ".." in Path(v).parts:
                raise ManifestError(f"{path}: {key} entry {v!r} must be a relative path inside the assignment")
        return tuple(value)

    return Manifest(
        name=assignment,
        title=str(data.get("title", assignment)),
        modules=paths("modules"),
        submit_modules=paths("submit_modules"),
        notebooks=paths("notebooks"),
        submit_artifacts=paths("submit_artifacts"),
        suites=paths("suites"),
        timeout_s=float(data.get("grading_timeout_s", DEFAULT_TIMEOUT_S)),
    )
