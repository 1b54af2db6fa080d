"""The course and its assignments as their manifests declare them: the one reader.

`source/course.toml` (optional in toy courses) names the assignments in the
order students meet them and holds course-wide settings:

    title = "..."                            # shown in READMEs and feedback
    assignments = ["assignment1", ...]       # the order of the course; earlier
                                             # assignments own shared code first
    hidden_seed_salt = "2026-fall"           # mixed into hidden tests' seeds;
                                             # change it every term (never shipped)

`source/<name>/assignment.toml` says what one assignment is made of. Every key:

    name              = "assignment1"        # must equal the folder name
    title             = "..."
    notebooks         = ["knn.ipynb", ...]   # in source/<name>/, in working order
    modules           = ["cs231n/...py", ...]  # released from source/ (stubbed, scoped)
    suites            = ["test_knn.py", ...] # autograder/suites/<name>/, in the order
                                             # students meet them (feedback follows it);
                                             # grading needs at least one
    submit_modules    = [...]                # the modules a submission holds (a subset of modules)
    submit_artifacts  = ["artifacts/x.npz"]  # files the notebooks write (never code)
    student_packages  = ["numpy", ...]       # what the student environment installs
                                             # (pins from constraints.txt)
    shipped_files     = ["models/x.npz"]     # files of source/<name>/ released as they are
                                             # (weights the course trained, images): data,
                                             # never code or notebooks; the leak check allows
                                             # exactly these, and the grader reads its own copy
    dataset_builders  = ["captioning.py"]    # modules of the course's data/ folder that build a
                                             # dataset the notebooks read, released as the package
                                             # data/ (students run `python -m data.<module>`); they
                                             # may import each other, never the rest of data/

    [earlier_work]                           # how code owned by an earlier assignment
    assignment1 = "copy"                     # is released: "copy" (a stub asking for the
                                             # student's own solution; the default) or
                                             # "solved" (the reference, given)
    [grading]
    datasets      = ["cifar10"]              # what the grader needs (checked before grading;
                                             # fetched by `make data` and Gradescope's setup)
    timeout_s     = 900                      # the whole suite on one submission
    [sandbox]                                # the worker that runs student code
    call_timeout_s = 30                      # one call
    budget_s      = 300                      # all calls of one submission together
    memory_mb     = 4096
    processes     = 64
    threads       = 1                        # BLAS / torch threads
    preload       = ["torch"]                # imported as each worker starts, before
                                             # student code (start-up time, not a call's)
    [execution]                              # `make notebooks`
    budget_s      = 300                      # per notebook
    notebook_budget_s = { "PyTorch.ipynb" = 900 }
    smoke         = "smoke.py"               # in source/<name>/: code run before each notebook
                                             # in a smoke run (CI's quick check of every notebook;
                                             # SMOKE_NOTEBOOK names the notebook)
    datasets      = ["imagenet_val_25"]      # what the notebooks read beyond grading.datasets
                                             # (fetched by `make data`, not by Gradescope's setup)
    [samples]                                # `make demo` and the course test
    partial_modules = [...]                  # solved in the "partial" sample submission
    partial_suites  = [...]                  # the suites whose every test it then passes
    partial_tests   = [...]                  # other tests it rightly passes (say why in a comment)

Unknown keys are errors, so a misspelt key never silently means its default.
Problems raise `ManifestError`, whose message names the file and the key.
"""
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import CourseError

COURSE_FILE = "course.toml"
MANIFEST_FILE = "assignment.toml"
EARLIER_WORK_CHOICES = ("copy", "solved")


class ManifestError(CourseError):
    """A manifest is missing or malformed (an instructor problem); the message says where."""


@dataclass(frozen=True)
class Sandbox:
    call_timeout_s: float = 30.0
    budget_s: float = 300.0
    memory_mb: int = 4096
    processes: int = 64
    threads: int = 1
    preload: tuple = ()


@dataclass(frozen=True)
class Manifest:
    name: str
    title: str
    folder: Path                     # source/<name>
    notebooks: tuple = ()
    modules: tuple = ()
    suites: tuple = ()
    submit_modules: tuple = ()
    submit_artifacts: tuple = ()
    student_packages: tuple = ()
    shipped_files: tuple = ()
    dataset_builders: tuple = ()
    earlier_work: dict = field(default_factory=dict)   # assignment -> "copy" | "solved"
    datasets: tuple = ()
    notebook_datasets: tuple = ()    # [execution] datasets: read by the notebooks, not the grader
    timeout_s: float = 900.0
    sandbox: Sandbox = Sandbox()
    execution_budget_s: float = 300.0
    notebook_budget_s: dict = field(default_factory=dict)
    smoke: str = ""
    sample_partial_modules: tuple = ()
    sample_partial_suites: tuple = ()
    sample_partial_tests: tuple = ()

    @property
    def graded_paths(self):
        """Every path a submission may contribute, in a stable order."""
        return self.notebooks + self.submit_modules + self.submit_artifacts

    def suite_paths(self, roots):
        return [roots.suites / self.name / suite for suite in self.suites]

    def is_suite_file(self, path):
        """Whether a file of suites/<name>/ takes part in grading (helpers always do)."""
        name = Path(path).name
        return not name.startswith("test_") or name in self.suites

    def budget_for(self, notebook):
        return float(self.notebook_budget_s.get(notebook, self.execution_budget_s))

    def earlier_work_for(self, owner):
        return self.earlier_work.get(owner, "copy")


@dataclass(frozen=True)
class Course:
    title: str
    assignments: tuple               # in course order
    hidden_seed_salt: str = ""

    def order(self, name):
        """Position of assignment `name` in the course (ManifestError if it is not one)."""
        try:
            return self.assignments.index(name)
        except ValueError:
            raise ManifestError(f"{name!r} is not an assignment of this course "
                                f"(the course has: {', '.join(self.assignments) or 'none'})") from None


# ---- reading ---------------------------------------------------------------------------

def _read_toml(path, where):
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{where} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{where} is not valid TOML: {exc}") from None


class _Table:
    """Typed access to one TOML table; `finish()` rejects the keys nobody asked for."""

    def __init__(self, data, where, prefix=""):
        if not isinstance(data, dict):
            raise ManifestError(f"{where}: [{prefix.rstrip('.')}] must be a table")
        self.data, self.where, self.prefix, self.used = data, where, prefix, set()

    def _get(self, key, default):
        self.used.add(key)
        return self.data.get(key, default)

    def _fail(self, key, what):
        raise ManifestError(f"{self.where}: '{self.prefix}{key}' {what}")

    def string(self, key, default=None):
        value = self._get(key, default)
        if not isinstance(value, str):
            self._fail(key, "must be a string" if key in self.data else "is required")
        return value

    def number(self, key, default, kind=float, minimum=0):
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= minimum:
            self._fail(key, f"must be a number greater than {minimum}")
        if kind is int and value != int(value):
            self._fail(key, "must be a whole number")
        return kind(value)

    def paths(self, key, required=False):
        value = self._get(key, None)
        if value is None:
            if required:
                self._fail(key, "is required")
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._fail(key, "must be a list of strings")
        for item in value:
            pure = PurePosixPath(item)
            if not item or pure.is_absolute() or ".." in pure.parts or "\\" in item:
                self._fail(key, f"entry {item!r} must be a relative path inside the course")
        if len(set(value)) != len(value):
            self._fail(key, "lists an entry twice")
        return tuple(value)

    def table(self, key):
        return _Table(self._get(key, {}), self.where, f"{self.prefix}{key}.")

    def mapping(self, key):
        value = self._get(key, {})
        if not isinstance(value, dict):
            self._fail(key, "must be a table")
        return value

    def finish(self):
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ManifestError(f"{self.where}: unknown key '{self.prefix}{unknown[0]}' (the keys are "
                                "documented in course/manifest.py)")


def load_course(roots):
    """source/course.toml; without one, every source/<name>/assignment.toml in name order."""
    path = roots.source / COURSE_FILE
    found = sorted(p.parent.name for p in roots.source.glob(f"*/{MANIFEST_FILE}"))
    if not path.is_file():
        return Course(title="", assignments=tuple(found))
    where = roots.display(path)
    table = _Table(_read_toml(path, where), where)
    course = Course(title=table.string("title", ""), assignments=table.paths("assignments", required=True),
                    hidden_seed_salt=table.string("hidden_seed_salt", ""))
    table.finish()
    for name in course.assignments:
        if name not in found:
            raise ManifestError(f"{where}: assignment {name!r} has no source/{name}/{MANIFEST_FILE}")
    unlisted = [name for name in found if name not in course.assignments]
    if unlisted:
        raise ManifestError(f"{where}: source/{unlisted[0]}/{MANIFEST_FILE} exists but {unlisted[0]!r} is not "
                            "in 'assignments'; add it where it belongs in the course order")
    return course


def assignment_names(roots):
    """The course's assignments in course order."""
    return list(load_course(roots).assignments)


def _package_names(table, key):
    """`student_packages` entries: bare distribution names, since the pins come from constraints.txt."""
    names = table.paths(key)
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
            table._fail(key, f"entry {name!r} must be a bare package name like \"numpy\" "
                             "(no version: the pin comes from constraints.txt)")
    return names


def load_manifest(roots, name):
    """source/<name>/assignment.toml, validated against the course and the files on disk."""
    course = load_course(roots)
    path = roots.source / name / MANIFEST_FILE
    where = roots.display(path)
    if name not in course.assignments:
        known = ", ".join(course.assignments) or "none"
        raise ManifestError(f"no assignment {name!r}: there is no {where} (the course's assignments: {known})")
    table = _Table(_read_toml(path, where), where)
    if table.string("name") != name:
        raise ManifestError(f"{where}: name = {table.data.get('name')!r} must match its folder name {name!r}")
    grading, sandbox, execution = table.table("grading"), table.table("sandbox"), table.table("execution")
    samples = table.table("samples")
    manifest = Manifest(
        name=name, title=table.string("title", name), folder=path.parent,
        notebooks=table.paths("notebooks"), modules=table.paths("modules"),
        suites=table.paths("suites"), submit_modules=table.paths("submit_modules"),
        submit_artifacts=table.paths("submit_artifacts"), student_packages=_package_names(table, "student_packages"),
        shipped_files=table.paths("shipped_files"),
        dataset_builders=table.paths("dataset_builders"),
        earlier_work=_earlier_work(table.mapping("earlier_work"), course, name, where),
        datasets=grading.paths("datasets"), timeout_s=grading.number("timeout_s", 900.0),
        sandbox=Sandbox(call_timeout_s=sandbox.number("call_timeout_s", 30.0),
                        budget_s=sandbox.number("budget_s", 300.0),
                        memory_mb=sandbox.number("memory_mb", 4096, int),
                        processes=sandbox.number("processes", 64, int),
                        threads=sandbox.number("threads", 1, int),
                        preload=_module_names(sandbox, "preload")),
        execution_budget_s=execution.number("budget_s", 300.0),
        notebook_budget_s=_budgets(execution.mapping("notebook_budget_s"), where),
        smoke=execution.string("smoke", ""), notebook_datasets=execution.paths("datasets"),
        sample_partial_modules=samples.paths("partial_modules"),
        sample_partial_suites=samples.paths("partial_suites"), sample_partial_tests=samples.paths("partial_tests"))
    for part in (table, grading, sandbox, execution, samples):
        part.finish()
    _check(manifest, roots, where)
    return manifest


def check_notebooks_exist(m, roots):
    """The manifest's notebooks are in source/<name>/ (the release needs them; the grader does not)."""
    where = roots.display(m.folder / MANIFEST_FILE)
    for nb in m.notebooks:
        if not nb.endswith(".ipynb") or "/" in nb:
            raise ManifestError(f"{where}: notebook {nb!r} must be a .ipynb file directly in {roots.display(m.folder)}")
        if not (m.folder / nb).is_file():
            raise ManifestError(f"{where}: notebook {nb} not found in {roots.display(m.folder)}")
    if m.smoke and not (m.folder / m.smoke).is_file():
        raise ManifestError(f"{where}: execution.smoke names {m.smoke}, which is not in {roots.display(m.folder)}")


def declared_modules(roots, name):
    """The `modules` list of source/<name>/assignment.toml, read without validating the rest
    (what deciding a shared module's owner needs; the Gradescope bundle holds no other files)."""
    path = roots.source / name / MANIFEST_FILE
    modules = _read_toml(path, roots.display(path)).get("modules", [])
    return tuple(modules) if isinstance(modules, list) else ()


def _earlier_work(value, course, name, where):
    for owner, choice in value.items():
        if owner not in course.assignments or course.order(owner) >= course.order(name):
            raise ManifestError(f"{where}: earlier_work.{owner}: {owner!r} is not an assignment before {name!r}")
        if choice not in EARLIER_WORK_CHOICES:
            raise ManifestError(f"{where}: earlier_work.{owner} must be one of {', '.join(EARLIER_WORK_CHOICES)}")
    return dict(value)


def _module_names(table, key):
    names = table.paths(key)
    for name in names:
        if not all(part.isidentifier() for part in name.split(".")):
            table._fail(key, f"entry {name!r} must be a module name, like 'torch'")
    return names


def _budgets(value, where):
    for notebook, seconds in value.items():
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ManifestError(f"{where}: execution.notebook_budget_s.{notebook} must be a positive number")
    return {k: float(v) for k, v in value.items()}


def _check(m, roots, where):
    for module in m.modules:
        if not module.endswith(".py") or "/" not in module:
            raise ManifestError(f"{where}: module {module!r} must be a .py file of the course's package "
                                "(cs231n/...)")
        if not (roots.source / module).is_file():
            raise ManifestError(f"{where}: module {module} not found in {roots.display(roots.source)}")
    for suite in m.suites:
        if not suite.startswith("test_") or not suite.endswith(".py") or "/" in suite:
            raise ManifestError(f"{where}: suite {suite!r} must be a test_*.py file of "
                                f"{roots.display(roots.suites / m.name)}")
        if not (roots.suites / m.name / suite).is_file():
            raise ManifestError(f"{where}: suite {suite} not found in {roots.display(roots.suites / m.name)}")
    for module in m.submit_modules:
        if module not in m.modules:
            raise ManifestError(f"{where}: submit_modules entry {module} is not in 'modules', so students never get it")
    graded = set(m.graded_paths)
    for shipped in m.shipped_files:
        if shipped.endswith((".py", ".ipynb")) or shipped in graded or shipped == MANIFEST_FILE:
            raise ManifestError(f"{where}: shipped_files entry {shipped} must be data (not code, a notebook, "
                                "the manifest or a file a submission holds)")
        if not (m.folder / shipped).is_file():
            raise ManifestError(f"{where}: shipped_files entry {shipped} not found in {roots.display(m.folder)}")
    for builder in m.dataset_builders:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.py", builder) or builder in ("__init__.py", "fetch.py"):
            raise ManifestError(f"{where}: dataset_builders entry {builder!r} must name a module of data/ "
                                "like \"captioning.py\" (fetch.py ships as get_datasets.py)")
    for module in m.sample_partial_modules:
        if module not in m.submit_modules:
            raise ManifestError(f"{where}: samples.partial_modules entry {module} is not in 'submit_modules'")
    for suite in m.sample_partial_suites:
        if suite not in m.suites:
            raise ManifestError(f"{where}: samples.partial_suites entry {suite} is not in 'suites'")
    for notebook in m.notebook_budget_s:
        if notebook not in m.notebooks:
            raise ManifestError(f"{where}: execution.notebook_budget_s names {notebook}, which is not a notebook "
                                "of this assignment")
    from data.prepare import known
    for key, names in (("grading.datasets", m.datasets), ("execution.datasets", m.notebook_datasets)):
        for dataset in names:
            if dataset not in known():
                raise ManifestError(f"{where}: {key} entry {dataset!r} is not a dataset the course "
                                    f"fetches or builds ({', '.join(known())})")
