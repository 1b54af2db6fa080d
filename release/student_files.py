"""Steps: the files students get besides code and notebooks.

README, the tools from source/common/, the dataset fetcher, the test kit (so
public tests' `from autograder.testkit import ...` works unchanged), and
submission.json, which tells make_submission.py what is graded.
"""
import ast
import json

from .errors import ReleaseError

# source/common/<file> -> where it goes in the release.
STUDENT_TOOLS = {"check.py": "check.py", "make_submission.py": "make_submission.py"}
TESTKIT_DIR = "tests/autograder/testkit"
AUTOGRADER_INIT = '"""The grader\'s test vocabulary, shipped so the public tests run unchanged."""\n'


def copy_readme(job):
    """source/<name>/README.md -> README.md (required: it is the student's front door)."""
    readme = job.manifest.folder / "README.md"
    if not readme.is_file():
        raise ReleaseError(f"{job.roots.display(readme)} is missing; every assignment needs a student README")
    job.tree.add_copy("README.md", readme)


def copy_shipped_files(job):
    """The manifest's shipped_files (weights the course trained, images), byte for byte."""
    for rel in job.manifest.shipped_files:
        job.tree.add_copy(rel, job.manifest.folder / rel)


def copy_student_tools(job):
    """check.py and make_submission.py from source/common/."""
    for name, target in STUDENT_TOOLS.items():
        path = job.roots.common / name
        if not path.is_file():
            raise ReleaseError(f"{job.roots.display(path)} is missing")
        job.tree.add_copy(target, path)


def copy_dataset_fetcher(job):
    """data/fetch.py -> get_datasets.py, if it exists; it must not import the repo's `data` package."""
    path = job.roots.dataset_fetcher
    if not path.is_file():
        job.notes.append(f"{job.roots.display(path)} not found; get_datasets.py is not shipped")
        return
    text = path.read_text(encoding="utf-8")
    for name, line in _imports(text, job.roots.display(path)):
        if _data_module(name) is not None:
            raise ReleaseError(f"{job.roots.display(path)}, line {line}: imports {name!r}, which students do not "
                               "have; it ships alone as get_datasets.py and must be standalone")
    job.tree.add("get_datasets.py", text)


BUILDERS_INIT = '''"""Builders of the datasets this assignment's notebooks read: `python -m data.<module> --help`."""\n'''


def copy_dataset_builders(job):
    """The manifest's dataset_builders, from the course's data/ folder into the package data/.

    Students run them as the course does (`python -m data.captioning`); a builder
    may import the other builders listed, nothing else of data/.
    """
    builders = job.manifest.dataset_builders
    if not builders:
        return
    folder = job.roots.dataset_fetcher.parent
    shipped = {name[:-3] for name in builders}
    for name in builders:
        path = folder / name
        if not path.is_file():
            raise ReleaseError(f"{job.roots.display(path)} is missing (the manifest's dataset_builders lists it)")
        text = path.read_text(encoding="utf-8")
        for imported, line in _imports(text, job.roots.display(path)):
            module = _data_module(imported)
            if module is not None and module not in shipped:
                raise ReleaseError(f"{job.roots.display(path)}, line {line}: imports {imported!r}, which is not "
                                   "among the dataset_builders students get")
        job.tree.add(f"data/{name}", text)
    job.tree.add("data/__init__.py", BUILDERS_INIT)


def _data_module(imported):
    """The module of the course's data/ package an import names ("captioning" for
    ".captioning" or "data.captioning"), "" for the package itself or anything above
    it ("data", ".", ".."), None for an import from elsewhere."""
    if imported.startswith(".."):
        return ""
    if imported.startswith("."):
        return imported[1:].split(".")[0]
    if imported == "data" or imported.startswith("data."):
        return imported.split(".")[1] if "." in imported else ""
    return None


def _imports(text, where):
    """(module name, line) of every import in `text`; relative ones start with dots."""
    found = []
    for node in ast.walk(ast.parse(text, filename=where)):
        if isinstance(node, ast.ImportFrom):
            if node.level and not node.module:
                found += [("." * node.level + alias.name, node.lineno) for alias in node.names]
            else:
                found.append(("." * node.level + (node.module or ""), node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
    return found


def copy_testkit(job):
    """autograder/testkit/*.py verbatim, under tests/autograder/ with a generated package __init__."""
    kit = sorted(job.roots.testkit.glob("*.py"))
    if not kit:
        raise ReleaseError(f"{job.roots.display(job.roots.testkit)} holds no .py files")
    for path in kit:
        job.tree.add_copy(f"{TESTKIT_DIR}/{path.name}", path)
    job.tree.add("tests/autograder/__init__.py", AUTOGRADER_INIT)


def write_submission_manifest(job):
    """submission.json: exactly the files a submission holds (read by make_submission.py)."""
    m = job.manifest
    manifest = {"assignment": m.name, "notebooks": list(m.notebooks),
                "modules": list(m.submit_modules), "artifacts": list(m.submit_artifacts)}
    job.tree.add("submission.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
