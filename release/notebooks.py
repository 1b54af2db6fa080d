"""Step: the manifest's notebooks through nbgrader's own generate_assignment.

nbgrader (0.9.6, `nbgrader.converters.GenerateAssignment`) clears solution
cells and regions with our stub, removes hidden test regions, locks cells,
records checksums and clears outputs. Each stub it leaves then gets a message
naming what to write (`name_cell_stubs`), as the modules' stubs do, and the
cell's checksum is recomputed. It runs on a throwaway course directory
(source/<name>/ holding copies of the notebooks, given stable cell ids where
missing) with a throwaway gradebook, so nothing in the repository but the
release output is touched. Its output is re-serialised with sorted keys, so
builds are byte-identical.
"""
import ast
import contextlib
import functools
import json
import logging
import os
import re
import tempfile
from pathlib import Path

import nbformat

from .errors import ReleaseError
from course.stubs import enclosing_functions

# What nbgrader puts where a solution was; `name_cell_stubs` replaces it with
# a message for the student, so it must be a line no notebook holds.
CODE_STUB = 'raise NotImplementedError("release: cell stub")'
_STUB_LINE = re.compile(r"^(?P<indent>[ \t]*)" + re.escape(CODE_STUB) + r"$")


def generate_notebooks(job):
    """Add each manifest notebook, as nbgrader's student version, at the assignment root."""
    if not job.manifest.notebooks:
        return
    with tempfile.TemporaryDirectory(prefix="release-nbgrader-") as course:
        course = Path(course)
        source = course / "source" / job.manifest.name
        source.mkdir(parents=True)
        for name in job.manifest.notebooks:
            text = (job.manifest.folder / name).read_text(encoding="utf-8")
            (source / name).write_text(with_cell_ids(text, job.roots.display(job.manifest.folder / name)),
                                       encoding="utf-8")
        _run_nbgrader(course, job.manifest.name, job.roots.display(job.manifest.folder))
        for name in job.manifest.notebooks:
            released = course / "release" / job.manifest.name / name
            if not released.is_file():
                raise ReleaseError(f"nbgrader did not produce {name} for {job.manifest.name}")
            text = name_cell_stubs(released.read_text(encoding="utf-8"), job.roots.display(job.manifest.folder / name))
            job.tree.add(name, normalize_notebook(text))


def name_cell_stubs(text, where):
    """The released notebook with each cell stub raising a message that names what to write.

    In a function: "Complete <function> (see the TODO above)", like the
    modules' stubs. At the top of a cell: the first sentence of the `# TODO:`
    comment right above the stub, or a pointer to the cell's instructions.
    """
    notebook = nbformat.reads(text, as_version=4)
    from nbgrader.utils import compute_checksum

    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or CODE_STUB not in cell.source:
            continue
        lines = cell.source.split("\n")
        owners = enclosing_functions(_as_python(lines), f"{where}, cell {index}")
        for number, line in enumerate(lines):
            match = _STUB_LINE.match(line)
            if match:
                message = _stub_message(owners.get(number + 1), _todo_above(lines, number))
                lines[number] = f"{match.group('indent')}raise NotImplementedError({message!r})"
        cell.source = "\n".join(lines)
        if CODE_STUB in cell.source:
            raise ReleaseError(f"{where}, cell {index}: nbgrader's stub is not alone on its line")
        if "checksum" in cell.metadata.get("nbgrader", {}):
            cell.metadata.nbgrader.checksum = compute_checksum(cell)
    return nbformat.writes(notebook)


def _as_python(lines):
    """Cell source as plain Python for `ast`: IPython's %magic and !shell lines become `pass`."""
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in lines)


def _todo_above(lines, number):
    """The first sentence of the `# TODO:` comment block directly above line `number`, or ""."""
    block = []
    for line in reversed(lines[:number]):
        if not line.strip().startswith("#"):
            break
        block.insert(0, line.strip().lstrip("#").strip())
    starts = [i for i, comment in enumerate(block) if comment.startswith("TODO:")]
    if not starts:
        return ""
    text = " ".join(block[starts[-1]:])[len("TODO:"):].strip()
    return re.split(r"(?<=[.:])\s", text, maxsplit=1)[0].rstrip(".:")


def _stub_message(owner, todo):
    if owner:
        return f"Complete {owner} (see the TODO above)" if todo else f"Complete {owner}"
    if todo:
        return f"Complete the TODO above: {todo}"
    return "Complete this cell (see the instructions above it)"


def with_cell_ids(text, where):
    """The notebook with an id on every cell where format 4.5+ requires one.

    nbformat fills in missing ids with random ones, which would make every
    build differ; ids derived from the cell's position are stable.
    """
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{where}: not valid JSON: {exc}") from None
    if (notebook.get("nbformat", 0), notebook.get("nbformat_minor", 0)) < (4, 5):
        return text
    cells = notebook.get("cells", [])
    taken = {cell.get("id") for cell in cells}
    for index, cell in enumerate(cells):
        if not cell.get("id"):
            candidate = f"cell-{index}"
            while candidate in taken:
                candidate += "x"
            cell["id"] = candidate
            taken.add(candidate)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


# Cell metadata that records how the instructor's copy was executed (kernel
# timestamps); it says nothing to students and would change every release.
EXECUTION_METADATA = ("execution", "ExecuteTime")


def normalize_notebook(text):
    """Serialise a notebook deterministically: sorted keys, one-space indent, final newline,
    without execution-timing metadata."""
    notebook = json.loads(text)
    for cell in notebook.get("cells", []):
        for key in EXECUTION_METADATA:
            cell.get("metadata", {}).pop(key, None)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


class _Collect(logging.Handler):
    """Keeps nbgrader's log records, so a failure can be reported with its reasons."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


@functools.cache
def _alembic_head():
    """nbgrader's gradebook schema version, as `alembic heads` prints it."""
    import nbgrader
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", os.path.join(os.path.dirname(nbgrader.__file__), "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


@contextlib.contextmanager
def _alembic_in_process():
    # A new gradebook is stamped with the alembic head, which nbgrader gets by
    # running the `alembic` script in a subprocess: seconds per build, and it
    # needs the environment's bin/ on PATH. Same answer, in process, once.
    import nbgrader.api

    original = nbgrader.api.get_alembic_version
    nbgrader.api.get_alembic_version = _alembic_head
    try:
        yield
    finally:
        nbgrader.api.get_alembic_version = original


def _run_nbgrader(course, assignment, where):
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.GenerateAssignment.force = True
    config.ClearSolutions.code_stub = {"python": CODE_STUB}
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config)
    collect = _Collect()
    log = converter.log  # traitlets' shared logger: restore it afterwards
    old_level, old_propagate = log.level, log.propagate
    log.addHandler(collect)
    log.setLevel(logging.WARNING)
    log.propagate = False  # keep nbgrader's chatter off the terminal; we report failures
    try:
        with _alembic_in_process():
            converter.start()
    except Exception as exc:
        reasons = "\n  ".join(m.strip() for m in collect.messages if m.strip()) or str(exc)
        raise ReleaseError(f"{where}: nbgrader generate_assignment failed:\n  {reasons}") from None
    finally:
        log.removeHandler(collect)
        log.setLevel(old_level)
        log.propagate = old_propagate
