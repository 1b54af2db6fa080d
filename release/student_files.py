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
    where = job.roots.display(path)
    for node in ast.walk(ast.parse(text, filename=where)):
        names = []
        if isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name.startswith(".") or name == "data" or name.startswith("data."):
                raise ReleaseError(f"{where}, line {node.lineno}: imports {name!r}, which students do not "
                                   "have; it ships alone as get_datasets.py and must be standalone")
    job.tree.add("get_datasets.py", text)


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
