"""What must never reach students, collected from the sources the release reads.

Solution lines: lines of solution regions (.py files under source/ and
notebook solution cells) and of notebook hidden-test regions. They count only
when non-trivial (`is_trivial`) and when they never occur outside those regions
in source/, nor in the fixed shipped tools (test kit, source/common, the
dataset fetcher): such lines may legitimately appear in a release.

Hidden lines: lines of hidden tests and of the helpers only they use, unless
they also occur in the public part of a suite or in the material above.

Hidden names: the names of hidden test functions.
"""
import json
import re
from dataclasses import dataclass, field

from .errors import ReleaseError
from course.regions import find_regions, outside_lines

MIN_SECRET_LENGTH = 12
_TRIVIAL = re.compile(r"^(pass|break|continue|else:|try:|finally:|return|return [\w.]+|[()\[\]{},:]+)$")
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def normalize(line):
    """Whitespace-insensitive form of a line: stripped, inner runs of spaces collapsed."""
    return " ".join(line.split())


def is_trivial(normalized):
    return len(normalized) < MIN_SECRET_LENGTH or bool(_TRIVIAL.match(normalized))


@dataclass
class Secrets:
    lines: dict = field(default_factory=dict)        # normalized line -> where it comes from
    test_names: dict = field(default_factory=dict)   # hidden test name -> suite file
    _solution: dict = field(default_factory=dict)
    _hidden: dict = field(default_factory=dict)
    _shared: set = field(default_factory=set)        # may appear anywhere
    _public_tests: set = field(default_factory=set)  # may appear, but may still be solution lines

    def solution(self, lines, origin):
        _add(self._solution, lines, origin)

    def hidden(self, lines, origin):
        _add(self._hidden, lines, origin)

    def shared(self, lines):
        self._shared.update(normalize(line) for line in lines)

    def public_tests(self, lines):
        self._public_tests.update(normalize(line) for line in lines)

    def finish(self):
        """Settle `lines`: each kind of secret minus the material it may share lines with."""
        hidden = {k: v for k, v in self._hidden.items() if k not in self._shared | self._public_tests}
        solution = {k: v for k, v in self._solution.items() if k not in self._shared}
        self.lines = {**hidden, **solution}
        return self


def _add(secrets, lines, origin):
    for line in lines:
        key = normalize(line)
        if not is_trivial(key):
            secrets.setdefault(key, origin)


def collect_secrets(manifest, roots, splits, given_lines=()):
    """Secrets for one assignment; `splits` is public_tests.split_suites(manifest, roots);
    `given_lines` are solution lines the assignment gives away on purpose (see find_leaks)."""
    found = Secrets()
    found.shared(given_lines)
    for path in sorted(roots.source.rglob("*.py")):
        if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
            continue
        where = roots.display(path)
        lines = path.read_text(encoding="utf-8").split("\n")
        regions = find_regions(lines, where)
        for region in regions:
            found.solution(region.body(lines), f"{where}, line {region.begin + 1}")
        found.shared(outside_lines(lines, regions))
    for path in sorted(roots.source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            _notebook_secrets(path, roots.display(path), found)
    for suite, split in splits.items():
        where = roots.display(roots.suites / manifest.name / suite)
        for text in split.hidden_text:
            found.hidden(text.split("\n"), f"a hidden test or helper in {where}")
        for test in split.hidden_tests:
            found.test_names[test.name] = where
    for split in splits.values():  # a public test elsewhere may share a hidden test's name
        for test in split.public_tests:
            found.test_names.pop(test.name, None)
        found.public_tests(split.public_source.split("\n"))
    for path in [*roots.testkit.glob("*.py"), *roots.common.glob("*.py"), roots.dataset_fetcher]:
        if path.is_file():
            found.shared(path.read_text(encoding="utf-8").split("\n"))
    return found.finish()


def _notebook_secrets(path, where, found):
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"{where}: not a valid notebook: {exc}") from None
    for index, cell in enumerate(notebook.get("cells", [])):
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).split("\n")
        cell_where = f"{where}, cell {index}"
        solution = bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
        regions = find_regions(lines, cell_where)
        if solution and not regions:
            found.solution(lines, cell_where)  # nbgrader replaces the whole cell with a stub
            continue
        for region in regions:
            found.solution(region.body(lines), f"{cell_where}, line {region.begin + 1}")
        rest, hidden = _split_hidden(outside_lines(lines, regions), cell_where)
        found.solution(hidden, f"{cell_where} (hidden tests)")
        found.shared(rest)


def _split_hidden(lines, where):
    """(lines outside, lines inside) the BEGIN/END HIDDEN TESTS regions of a cell."""
    outside, inside, hidden = [], [], False
    for line in lines:
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        else:
            (inside if hidden else outside).append(line)
    if hidden:
        raise ReleaseError(f"{where}: {HIDDEN_BEGIN} is never closed by {HIDDEN_END}")
    return outside, inside
