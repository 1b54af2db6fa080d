"""Step: the manifest's notebooks through nbgrader's own generate_assignment.

nbgrader (0.9.6, `nbgrader.converters.GenerateAssignment`) clears solution
cells and regions with our stub, removes hidden test regions, locks cells,
records checksums and clears outputs. It runs on a throwaway course directory
(source/<name>/ holding copies of the notebooks, given stable cell ids where
missing) with a throwaway gradebook, so nothing in the repository but the
release output is touched. Its output is re-serialised with sorted keys, so
builds are byte-identical.
"""
import contextlib
import functools
import json
import logging
import os
import tempfile
from pathlib import Path

from .errors import ReleaseError

CODE_STUB = "# TODO: your code here\nraise NotImplementedError()"


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
            job.tree.add(name, normalize_notebook(released.read_text(encoding="utf-8")))


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
