"""Where the course's material lives: one definition for the release, the grader and the tools.

    roots = Roots.of_repo()                  # this repository's folders
    roots = Roots.of(source=..., suites=...) # a toy course (tests), the Gradescope bundle

    source           source/: course.toml, the cs231n package with the solutions,
                     <assignment>/ (assignment.toml, notebooks, README), common/
    suites           autograder/suites: <assignment>/test_*.py and conftest.py
    release          assignments/: the generated student releases, one folder each
    testkit          autograder/testkit: shipped to students verbatim
    dataset_fetcher  data/fetch.py: shipped to students as get_datasets.py
"""
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Roots:
    source: Path
    suites: Path
    release: Path
    testkit: Path
    dataset_fetcher: Path
    constraints: Path = None  # constraints.txt: the pins of every package the grader's environment has

    @classmethod
    def of_repo(cls, repo=REPO):
        repo = Path(repo)
        return cls(source=repo / "source", suites=repo / "autograder" / "suites", release=repo / "assignments",
                   testkit=repo / "autograder" / "testkit", dataset_fetcher=repo / "data" / "fetch.py",
                   constraints=repo / "constraints.txt")

    @classmethod
    def of(cls, **folders):
        """This repository's roots with some replaced (None keeps the default), made absolute."""
        chosen = {name: Path(path).resolve() for name, path in folders.items() if path is not None}
        return replace(cls.of_repo(), **chosen)

    @property
    def common(self):
        """source/common/: the student-side tools shipped in every release."""
        return self.source / "common"

    def display(self, path):
        """`path` relative to the folder above source/ (or above the release) when possible."""
        path = Path(path)
        for base in (self.source.parent, self.release.parent):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                pass
        return str(path)
