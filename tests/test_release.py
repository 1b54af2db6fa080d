"""The release pipeline (release/) and the student tools (source/common/).

Everything runs on a toy course built in tmp_path (`toy_course`), so these
tests do not depend on the real assignments: a cs231n package with solution
regions, one notebook with nbgrader metadata, a suite with public and hidden
tests, and the real test kit and student tools.
"""
import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course import CourseError as ReleaseError
from release.leaks import find_leaks
from course import REPO, Roots
from release.pipeline import LeaksFound, build_assignment, check_assignment, generate
from release.public_tests import split_suites
from course.stubs import stub_source
from release.suite_split import split_suite
from release.tree import compare_trees, list_files
from tests.module_file import load_module_file

NAME = "toy1"

TOY_MODULE = '''\
"""Toy functions for the release tests."""
import numpy as np


def double(x):
    """Twice x.

    Inputs:
    - x: array of shape (N,)

    Returns an array of shape (N,).
    """
    # TODO: multiply x by two.
    ### BEGIN SOLUTION
    doubled_values = np.multiply(x, 2.0)
    return doubled_values
    ### END SOLUTION


class Scaler:
    """Multiplies by a fixed factor."""

    def __init__(self, factor):
        self.factor = factor

    def scale(self, x):
        """x times the factor; x: array of shape (N,)."""
        # TODO: scale x.
        ### BEGIN SOLUTION
        scaled_values = x * self.factor
        ### END SOLUTION
        return scaled_values


def halve(x):
    """Half of x; x: array of shape (N,)."""
    # TODO: divide x by two.
    ### BEGIN SOLUTION
    halved_values = np.divide(x, 2.0)
    return halved_values
    ### END SOLUTION
'''

TOY_SUITE = '''\
"""Toy suite. The hidden tests compare with the reference on secret inputs."""
import numpy as np
import pytest

from autograder.testkit import assert_array, assert_close

MOD = "cs231n.toy"
SIZES = (3, 5)


def make_input(rng, n):
    """Random input of length n."""
    return rng.standard_normal(n)


EDGE_SCALE = 1e300


def secret_edge_inputs():
    """Helper used only by hidden tests."""
    return [np.zeros(0), np.full(4, EDGE_SCALE)]


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("n", SIZES)
def test_double_shape(student, rng, n):
    x = make_input(rng, n)
    out = student.function(MOD, "double")(x)
    assert_array(out, "double(x)", (n,))


@pytest.mark.public
@pytest.mark.points(1)
def test_halve_undoes_double(student, rng):
    x = make_input(rng, 4)
    assert_close(student.function(MOD, "halve")(x + x), x, "halve(x + x)")


@pytest.mark.points(3)
def test_double_matches_reference_on_edges(student, reference):
    for edge_case in secret_edge_inputs():
        expected_double = reference.function(MOD, "double")(edge_case)
        assert_close(student.function(MOD, "double")(edge_case), expected_double, "double(x)")


@pytest.mark.points(1)
@pytest.mark.parametrize("factor", [0.5, -2.0, 3.0])
def test_scaler_matches_reference(student, reference, rng, factor):
    x = make_input(rng, 6)
    got_scaled = student.new(MOD, "Scaler", factor).call("scale", x)
    assert_close(got_scaled, reference.new(MOD, "Scaler", factor).call("scale", x), "scale(x)")
'''

# A student's work: double is right, halve is wrong.
STUDENT_MODULE = TOY_MODULE.replace(
    "    ### BEGIN SOLUTION\n    doubled_values = np.multiply(x, 2.0)\n    return doubled_values\n"
    "    ### END SOLUTION\n", "    return x + x\n").replace(
    "        ### BEGIN SOLUTION\n        scaled_values = x * self.factor\n        ### END SOLUTION\n",
    "        scaled_values = x * self.factor\n").replace(
    "    ### BEGIN SOLUTION\n    halved_values = np.divide(x, 2.0)\n    return halved_values\n"
    "    ### END SOLUTION\n", "    return x * 0.0\n")

FETCHER = '"""Download the toy datasets."""\nimport sys\n\nif __name__ == "__main__":\n    sys.exit(0)\n'


def nbgrader_meta(grade_id, solution=False, grade=False, locked=False, points=None):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def toy_notebook():
    """A notebook as an instructor keeps it: executed, with outputs and solutions."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell("# Toy notebook", metadata=nbgrader_meta("intro", locked=True)),
        new_code_cell("import numpy as np\nprint('ready')", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="ready\n")]),
        new_code_cell("def triple(x):\n    # TODO: three times x\n    ### BEGIN SOLUTION\n"
                      "    tripled_result = x + x + x\n    return tripled_result\n    ### END SOLUTION",
                      execution_count=2, metadata=nbgrader_meta("triple", solution=True)),
        new_code_cell("assert triple(1) == 3\n### BEGIN HIDDEN TESTS\nassert triple(-7) == -21 and triple(0) == 0\n"
                      "### END HIDDEN TESTS", execution_count=3,
                      metadata=nbgrader_meta("test_triple", grade=True, locked=True, points=1)),
        new_markdown_cell("Tripling is linear because scaling commutes with addition.",
                          metadata=nbgrader_meta("why", solution=True, grade=True, points=2)),
    ]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"toy-{index}"
    return nb


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_toy_course(root, suite=TOY_SUITE, module=TOY_MODULE):
    """A course under `root`; returns its Roots (real test kit, toy everything else)."""
    source = root / "source"
    write(source / "cs231n" / "__init__.py", '"""Toy package."""\n')
    write(source / "cs231n" / "toy.py", module)
    shutil.copytree(REPO / "source" / "common", source / "common")
    write(source / NAME / "assignment.toml", textwrap.dedent(f'''\
        name = "{NAME}"
        title = "Toy assignment"
        notebooks = ["toy.ipynb"]
        modules = ["cs231n/__init__.py", "cs231n/toy.py"]
        suites = ["test_toy.py"]
        submit_modules = ["cs231n/toy.py"]
        submit_artifacts = ["toy_params.json"]
        '''))
    write(source / NAME / "README.md", "# Toy assignment\n\nRun `python check.py`.\n")
    nbformat.write(toy_notebook(), str(source / NAME / "toy.ipynb"))
    write(root / "suites" / NAME / "test_toy.py", suite)
    write(root / "data" / "fetch.py", FETCHER)
    return Roots(source=source, suites=root / "suites", testkit=REPO / "autograder" / "testkit",
                 dataset_fetcher=root / "data" / "fetch.py", release=root / "assignments",
                 constraints=REPO / "constraints.txt")


@pytest.fixture
def roots(tmp_path):
    return make_toy_course(tmp_path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One release of the toy course, shared by the tests that only read it."""
    roots = make_toy_course(tmp_path_factory.mktemp("course"))
    build_assignment(NAME, roots)
    return roots


@pytest.fixture(scope="module")
def built_job(built):
    """The finished pipeline job behind `built` (manifest, suite splits, file list)."""
    return generate(NAME, built)


# ---------------------------------------------------------------- stubbing

def test_stub_replaces_regions_and_keeps_todo_and_docstrings():
    stubbed = stub_source(TOY_MODULE, "toy.py")
    assert "doubled_values = np.multiply" not in stubbed and "scaled_values = x * self.factor" not in stubbed
    assert "BEGIN SOLUTION" not in stubbed and "END SOLUTION" not in stubbed
    assert "    # TODO: multiply x by two.\n    raise NotImplementedError('Complete double (see the TODO above)')\n" \
        in stubbed
    assert "        raise NotImplementedError('Complete Scaler.scale (see the TODO above)')\n" \
           "        return scaled_values\n" in stubbed
    assert '    """Twice x.\n\n    Inputs:\n    - x: array of shape (N,)\n' in stubbed
    namespace = {}
    exec(compile(stubbed, "toy.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Complete double"):
        namespace["double"](1.0)


def test_stub_leaves_files_without_regions_unchanged():
    text = '"""No regions."""\nX = 1\n'
    assert stub_source(text, "plain.py") == text


@pytest.mark.parametrize("text, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", r"bad\.py, line 2: BEGIN SOLUTION is never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", r"bad\.py, line 3: END SOLUTION without a BEGIN"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
     r"bad\.py, line 3: nested BEGIN SOLUTION \(the region opened at line 2"),
    ("def f():\n    x = 1  ### BEGIN SOLUTION\n", r"bad\.py, line 2: a solution marker must stand alone"),
])
def test_stub_rejects_unbalanced_or_nested_markers(text, message):
    with pytest.raises(ReleaseError, match=message):
        stub_source(text, "bad.py")


# ---------------------------------------------------------------- public tests

def test_public_extraction_keeps_public_tests_and_their_helpers_only():
    split = split_suite(TOY_SUITE, "test_toy.py", "Public.")
    public = split.public_source
    assert "def test_double_shape(" in public and "def test_halve_undoes_double(" in public
    assert "def make_input(" in public and 'MOD = "cs231n.toy"' in public and "SIZES = (3, 5)" in public
    assert "from autograder.testkit import assert_array, assert_close" in public
    for hidden in ("test_double_matches_reference_on_edges", "test_scaler_matches_reference",
                   "secret_edge_inputs", "EDGE_SCALE", "reference", "compare with the reference on secret inputs"):
        assert hidden not in public
    assert public.startswith('"""Public."""\n')
    compile(public, "test_toy.py", "exec")
    assert [(t.name, t.points, t.cases) for t in split.hidden_tests] == [
        ("test_double_matches_reference_on_edges", 3, 1), ("test_scaler_matches_reference", 1, 3)]


def test_public_extraction_follows_helpers_transitively_and_fixtures():
    suite = textwrap.dedent('''\
        import pytest
        import math
        import os

        SCALE = 2


        # the helper below is found through outer()
        def inner():
            return SCALE


        def outer():
            return inner() + math.pi


        @pytest.fixture
        def data():
            return outer()


        @pytest.mark.public
        @pytest.mark.points(1)
        def test_uses_fixture(data):
            pass


        @pytest.mark.points(1)
        def test_hidden():
            os.getcwd()
        ''')
    public = split_suite(suite, "s.py", "P.").public_source
    for kept in ("import math", "SCALE = 2", "def inner", "def outer", "def data", "# the helper below"):
        assert kept in public
    assert "import os" not in public and "test_hidden" not in public


def test_public_test_requesting_reference_fails_the_release():
    suite = TOY_SUITE.replace("def test_halve_undoes_double(student, rng):",
                              "def test_halve_undoes_double(student, reference, rng):")
    with pytest.raises(ReleaseError, match="public test test_halve_undoes_double requests the 'reference' fixture"):
        split_suite(suite, "test_toy.py", "P.")


def test_test_without_points_fails_the_release():
    suite = TOY_SUITE.replace("@pytest.mark.points(3)\n", "")
    with pytest.raises(ReleaseError, match=r"test_toy\.py, line \d+: test test_double_matches_reference_on_edges "
                                           r"has no @pytest.mark.points"):
        split_suite(suite, "test_toy.py", "P.")


# ---------------------------------------------------------------- the build

def test_build_writes_the_student_release(built):
    files = list_files(built.release / NAME)
    assert files == sorted([
        ".gitignore", "README.md", "check.py", "cs231n/__init__.py", "cs231n/toy.py", "get_datasets.py",
        "make_submission.py", "submission.json", "tests/autograder/__init__.py",
        *[f"tests/autograder/testkit/{p.name}" for p in (REPO / "autograder" / "testkit").glob("*.py")],
        "tests/conftest.py", "tests/hidden_tests.json", "tests/test_toy.py", "toy.ipynb"])
    assert json.loads(read(built, "tests/hidden_tests.json")) == {"test_toy.py": {"tests": 4, "points": 6}}
    assert json.loads(read(built, "submission.json")) == {
        "assignment": NAME, "notebooks": ["toy.ipynb"], "modules": ["cs231n/toy.py"],
        "artifacts": ["toy_params.json"]}
    assert read(built, "tests/conftest.py") == (REPO / "source/common/student_conftest.py").read_text()
    assert read(built, ".gitignore") == (REPO / "source/common/student.gitignore").read_text()
    assert read(built, "tests/autograder/testkit/checks.py") == (REPO / "autograder/testkit/checks.py").read_text()


def test_build_runs_notebooks_through_nbgrader(built):
    nb = json.loads(read(built, "toy.ipynb"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[2] == "def triple(x):\n    # TODO: three times x\n" \
                         "    raise NotImplementedError('Complete triple (see the TODO above)')"
    assert sources[3] == "assert triple(1) == 3"
    assert sources[4] == "YOUR ANSWER HERE"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert nb["cells"][3]["metadata"]["nbgrader"]["locked"] is True
    assert nb["cells"][3]["metadata"]["editable"] is False
    from nbgrader.utils import compute_checksum
    assert nb["cells"][2]["metadata"]["nbgrader"]["checksum"] == \
        compute_checksum(nbformat.reads(read(built, "toy.ipynb"), as_version=4).cells[2])  # as released
    assert [c["id"] for c in nb["cells"]] == [f"toy-{i}" for i in range(5)]


def test_build_is_deterministic(tmp_path):
    first = make_toy_course(tmp_path / "a")
    second = make_toy_course(tmp_path / "b")
    build_assignment(NAME, first)
    build_assignment(NAME, second)
    assert compare_trees(first.release / NAME, second.release / NAME) == []
    before = {p: (first.release / NAME / p).read_bytes() for p in list_files(first.release / NAME)}
    build_assignment(NAME, first)  # again over an existing release
    assert {p: (first.release / NAME / p).read_bytes() for p in list_files(first.release / NAME)} == before


def test_nbgrader_failures_fail_the_build_with_nbgrader_reasons(roots):
    path = roots.source / NAME / "toy.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"  # not a solution cell
    nbformat.write(nb, str(path))
    with pytest.raises(ReleaseError, match=r"(?s)source/toy1: nbgrader generate_assignment failed:.*"
                                           r"Solution region detected in a non-solution cell"):
        generate(NAME, roots)


def test_notebooks_without_cell_ids_get_stable_ones(tmp_path):
    # nbformat 4.5 requires cell ids and invents random ones when they are missing.
    outputs = []
    for run in ("a", "b"):
        roots = make_toy_course(tmp_path / run)
        path = roots.source / NAME / "toy.ipynb"
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            del cell["id"]
        path.write_text(json.dumps(nb))
        outputs.append(generate(NAME, roots).tree.files["toy.ipynb"])
    assert outputs[0] == outputs[1]
    assert [c["id"] for c in json.loads(outputs[0])["cells"]] == [f"cell-{i}" for i in range(5)]


def test_build_touches_nothing_but_the_output(roots):
    def snapshot(folder):
        return {p: (folder / p).read_bytes() for p in list_files(folder)}

    source, suites = snapshot(roots.source), snapshot(roots.suites)
    build_assignment(NAME, roots)
    assert snapshot(roots.source) == source and snapshot(roots.suites) == suites
    assert sorted(p.name for p in roots.release.parent.iterdir()) == ["assignments", "data", "source", "suites"]


def test_fetcher_is_optional_but_must_be_standalone(roots):
    roots.dataset_fetcher.unlink()
    job = generate(NAME, roots)
    assert "get_datasets.py" not in job.tree.files and any("get_datasets.py" in n for n in job.notes)
    write(roots.dataset_fetcher, "from data.mirror import fetch\n")
    with pytest.raises(ReleaseError, match=r"fetch\.py, line 1: imports 'data\.mirror'"):
        generate(NAME, roots)


def test_missing_readme_fails_the_build(roots):
    (roots.source / NAME / "README.md").unlink()
    with pytest.raises(ReleaseError, match=r"toy1/README\.md is missing"):
        generate(NAME, roots)


# ---------------------------------------------------------------- the leak check

@pytest.fixture
def planted(built, built_job, tmp_path):
    """A copy of a fresh release to plant leaks in, and a function listing its leaks."""
    folder = tmp_path / NAME
    shutil.copytree(built.release / NAME, folder)
    job = built_job

    def leaks():
        return [str(leak) for leak in find_leaks(folder, job.manifest, built, job.splits(),
                                                 set(job.tree.files), label="release")]

    return folder, leaks


def test_fresh_release_has_no_leaks(planted):
    _, leaks = planted
    assert leaks() == []


def test_leak_check_catches_a_solution_line_in_a_stub(planted):
    folder, leaks = planted
    stub = folder / "cs231n" / "toy.py"
    stub.write_text(stub.read_text().replace("        return scaled_values",
                                             "        scaled_values = x  *  self.factor\n        return scaled_values"))
    found = leaks()
    assert len(found) == 1 and found[0].startswith("release/cs231n/toy.py: line ")
    assert "solution or hidden-test line from" in found[0] and "toy.py, line" in found[0]


def test_leak_check_catches_a_notebook_solution_and_markers(planted):
    folder, leaks = planted
    path = folder / "toy.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["source"] = ["### BEGIN SOLUTION\n", "tripled_result = x + x + x\n"]
    path.write_text(json.dumps(nb))
    found = leaks()
    assert any(f.startswith("release/toy.ipynb: cell 2, line 1: contains the marker 'BEGIN SOLUTION'") for f in found)
    assert any(f.startswith("release/toy.ipynb: cell 2, line 2: solution or hidden-test line") for f in found)


def test_leak_check_catches_hidden_test_names_and_bodies(planted):
    folder, leaks = planted
    public = folder / "tests" / "test_toy.py"
    public.write_text(public.read_text() + "\n# see test_scaler_matches_reference\n"
                      '        expected_double = reference.function(MOD, "double")(edge_case)\n')
    found = leaks()
    assert len(found) == 2
    assert "release/tests/test_toy.py: line" in found[0] and "names hidden test test_scaler_matches_reference" in found[0]
    assert "release/tests/test_toy.py: line" in found[1] and "hidden test or helper" in found[1]


def test_leak_check_catches_notebook_outputs(planted):
    folder, leaks = planted
    path = folder / "toy.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ready\n"}]
    nb["cells"][1]["execution_count"] = 1
    path.write_text(json.dumps(nb))
    assert leaks() == ["release/toy.ipynb: cell 1: has outputs; released notebooks must be cleared",
                       "release/toy.ipynb: cell 1: has an execution count; it must be null"]


def test_leak_check_catches_stray_files(planted):
    folder, leaks = planted
    (folder / "reference_outputs.npz").write_bytes(b"PK\x03\x04 not really")
    (folder / "cs231n" / "__pycache__").mkdir()
    (folder / "cs231n" / "__pycache__" / "toy.cpython-311.pyc").write_bytes(b"\x00\x01")
    (folder / "notes.txt").write_text("harmless text, but not from the pipeline\n")
    found = leaks()
    assert [f.split(":")[0] for f in found] == [
        "release/cs231n/__pycache__/toy.cpython-311.pyc", "release/notes.txt", "release/reference_outputs.npz"]
    assert all("not produced by the release pipeline" in f for f in found)


def test_trivial_and_public_lines_are_not_leaks():
    # `return scaled_values` sits outside the region and short lines are trivial:
    # a stub sharing them with the solution is fine (the fresh release passes).
    from release.secret_lines import is_trivial, normalize
    assert is_trivial(normalize("    return x")) and is_trivial("pass") and is_trivial("else:")
    assert not is_trivial(normalize("    doubled_values = np.multiply(x, 2.0)"))


def test_build_refuses_to_write_a_leaky_release(roots):
    # A public test that repeats a solution line verbatim would ship the solution.
    suite = TOY_SUITE.replace("    x = make_input(rng, 4)\n", "    x = make_input(rng, 4)\n"
                              "    doubled_values = np.multiply(x, 2.0)\n", 1)
    write(roots.suites / NAME / "test_toy.py", suite)
    with pytest.raises(LeaksFound, match=r"assignments/toy1/tests/test_toy\.py: line \d+: solution"):
        build_assignment(NAME, roots)
    assert not (roots.release / NAME).exists()


# ---------------------------------------------------------------- check: freshness

def test_check_passes_on_a_fresh_release_and_catches_a_stale_one(roots):
    build_assignment(NAME, roots)
    assert check_assignment(NAME, roots) == []
    module = roots.source / "cs231n" / "toy.py"
    module.write_text(module.read_text().replace("Twice x.", "Two times x."))
    problems = check_assignment(NAME, roots)
    assert problems == ["assignments/toy1 differs from a fresh build of the sources (run `make release`):",
                        "  differs    cs231n/toy.py"]


def test_command_line_build_and_check(roots, monkeypatch, capsys):
    import release.__main__ as cli
    monkeypatch.setattr(cli.Roots, "of_repo", classmethod(lambda cls: roots))
    assert cli.main(["check", "--all"]) == 1
    assert "assignments/toy1 does not exist" in capsys.readouterr().err
    assert cli.main(["build", "--all"]) == 0
    files = len(list_files(roots.release / NAME))
    assert f"assignments/toy1: {files} files, leak check passed" in capsys.readouterr().out
    assert cli.main(["check", "toy1"]) == 0
    (roots.release / "old_assignment").mkdir()
    (roots.release / NAME / "stray.npz").write_bytes(b"")
    assert cli.main(["check", "--all"]) == 1
    err = capsys.readouterr().err
    assert "assignments/toy1/stray.npz: file not produced by the release pipeline" in err
    assert "  unexpected stray.npz" in err
    assert "assignments/old_assignment: no source/old_assignment/assignment.toml generates it" in err
    assert cli.main(["build", "no_such_assignment"]) == 1
    assert "no assignment 'no_such_assignment': there is no source/no_such_assignment/assignment.toml " \
        "(the course's assignments: toy1)" \
        in capsys.readouterr().err


def test_check_reports_a_missing_release(roots):
    assert check_assignment(NAME, roots) == ["assignments/toy1 does not exist; run `make release`"]


# ---------------------------------------------------------------- student tools

@pytest.fixture
def student_folder(built, tmp_path):
    """A copy of the toy release as a student would have it after some work."""
    folder = tmp_path / "student" / NAME
    shutil.copytree(built.release / NAME, folder)
    return folder


def run_tool(folder, *args):
    # A clean environment: the student's machine has no repository on PYTHONPATH.
    return subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(folder)})


def test_check_py_reports_pass_fail_hints_and_hidden_count(student_folder):
    (student_folder / "cs231n" / "toy.py").write_text(STUDENT_MODULE)
    result = run_tool(student_folder, "check.py")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "PASS  test_toy.py::test_double_shape[3]" in out and "2/2 points" in out
    assert "FAIL  test_toy.py::test_halve_undoes_double" in out and "0/1 points" in out
    assert "halve(x + x) has the right shape (4,) but wrong values: 4 of 4 entries differ" in out
    assert "Traceback" not in out and "conftest" not in out
    assert "Public tests: 2 of 3 passed, 4 of 5 points." in out
    assert list(student_folder.rglob("__pycache__")) == []
    assert "4 hidden tests (6 points) will also run when your submission is graded." in out


def test_check_py_on_the_blank_release_shows_the_stub_hint(student_folder):
    result = run_tool(student_folder, "check.py", "shape")
    assert result.returncode == 1
    assert "double() raised NotImplementedError: Complete double (see the TODO above) (at toy.py, line" \
        in result.stdout
    assert "test_halve_undoes_double" not in result.stdout


def test_check_py_exits_zero_when_all_public_tests_pass(student_folder):
    (student_folder / "cs231n" / "toy.py").write_text(STUDENT_MODULE.replace("x * 0.0", "x / 2"))
    result = run_tool(student_folder, "check.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Public tests: 3 of 3 passed, 5 of 5 points." in result.stdout


def executed(nb, counts):
    for cell, count in zip([c for c in nb.cells if c.cell_type == "code"], counts):
        cell.execution_count = count
    return nb


def test_make_submission_zips_exactly_what_is_graded(student_folder):
    nbformat.write(executed(toy_notebook(), [1, 2, 3]), str(student_folder / "toy.ipynb"))
    (student_folder / "toy_params.json").write_text("{}\n")
    result = run_tool(student_folder, "make_submission.py")
    assert result.returncode == 0, result.stdout
    assert "WARNING" not in result.stdout
    with zipfile.ZipFile(student_folder / "toy1_submission.zip") as archive:
        assert sorted(archive.namelist()) == ["cs231n/toy.py", "toy.ipynb", "toy_params.json"]
    assert "cs231n/toy.py" in result.stdout and "Size:" in result.stdout


def test_make_submission_warns_about_unrun_notebooks_and_missing_artifacts(student_folder):
    result = run_tool(student_folder, "make_submission.py")  # the blank release: never run, no artifact
    assert result.returncode == 0
    assert "WARNING: toy.ipynb was never run; run all cells (Kernel > Restart Kernel and Run All Cells) " \
           "and save" in result.stdout  # JupyterLab 4's name for the menu entry
    assert "WARNING: toy_params.json does not exist yet" in result.stdout
    with zipfile.ZipFile(student_folder / "toy1_submission.zip") as archive:
        assert sorted(archive.namelist()) == ["cs231n/toy.py", "toy.ipynb"]


def test_make_submission_warns_about_out_of_order_and_unsaved_notebooks(student_folder):
    nbformat.write(executed(toy_notebook(), [4, 2, 7]), str(student_folder / "toy.ipynb"))
    checkpoints = student_folder / ".ipynb_checkpoints"
    checkpoints.mkdir()
    nbformat.write(executed(toy_notebook(), [1, 2, 3]), str(checkpoints / "toy-checkpoint.ipynb"))
    later = (student_folder / "toy.ipynb").stat().st_mtime + 60
    import os
    os.utime(checkpoints / "toy-checkpoint.ipynb", (later, later))
    out = run_tool(student_folder, "make_submission.py").stdout
    assert "WARNING: toy.ipynb was not run top to bottom in one go (execution counts 4, 2, 7)" in out
    assert "WARNING: toy.ipynb may have unsaved changes" in out


def test_make_submission_refuses_a_broken_notebook(student_folder):
    (student_folder / "toy.ipynb").write_text('{"cells": [')
    result = run_tool(student_folder, "make_submission.py")
    assert result.returncode == 1
    assert "ERROR: toy.ipynb is not a valid notebook" in result.stdout
    assert not (student_folder / "toy1_submission.zip").exists()


# ---------------------------------------------------------------- cell stubs

def nbgrader_output_cell(source, grade_id):
    """A solution code cell as nbgrader's generate step leaves it: our stub, a checksum."""
    from release.notebooks import CODE_STUB
    return new_code_cell(source.replace("STUB", CODE_STUB),
                         metadata={"nbgrader": {"grade_id": grade_id, "solution": True, "grade": False,
                                                "locked": False, "schema_version": 3, "checksum": "old"}})


def test_cell_stubs_name_what_to_write():
    from nbgrader.utils import compute_checksum
    from release.notebooks import name_cell_stubs
    nb = new_notebook(cells=[
        nbgrader_output_cell("class Folds:\n    def split(self, X):\n        # TODO: split X.\n        STUB\n", "a"),
        nbgrader_output_cell("%matplotlib inline\nk = 5\n# A note.\n# TODO: Set best_k to the best k: the one\n"
                             "# with the highest accuracy. Ties go to the smaller k.\nSTUB\nprint(best_k)", "b"),
        nbgrader_output_cell("STUB", "c"),
    ])
    released = nbformat.reads(name_cell_stubs(nbformat.writes(nb), "toy.ipynb"), as_version=4)
    sources = [cell.source for cell in released.cells]
    assert "        raise NotImplementedError('Complete Folds.split (see the TODO above)')\n" in sources[0]
    assert "\nraise NotImplementedError('Complete the TODO above: Set best_k to the best k')\n" in sources[1]
    assert sources[2] == "raise NotImplementedError('Complete this cell (see the instructions above it)')"
    assert all(cell.metadata.nbgrader.checksum == compute_checksum(cell) for cell in released.cells)


def _raises_with_message(line):
    """Is `line` `raise NotImplementedError("...")` with a non-empty message (any quoting)?"""
    import ast
    try:
        statement = ast.parse(line.strip()).body[0]
    except SyntaxError:
        return False
    call = getattr(statement, "exc", None)
    return (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "NotImplementedError"
            and len(call.args) == 1 and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str) and call.args[0].value.strip() != "")


def test_real_release_cell_stubs_all_have_messages():
    """Every solution cell of every committed release raises NotImplementedError with a message."""
    from course import assignment_names, load_manifest
    roots = Roots.of_repo()
    for name in assignment_names(roots):
        for notebook in load_manifest(roots, name).notebooks:
            cells = json.loads((roots.release / name / notebook).read_text())["cells"]
            for index, cell in enumerate(cells):
                if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
                    stubs = [line for line in "".join(cell["source"]).split("\n") if "NotImplementedError" in line]
                    assert stubs and all(_raises_with_message(line) for line in stubs), \
                        f"{name}/{notebook} cell {index}: {stubs}"


# ---------------------------------------------------------------- the student environment

def test_dependency_closure_follows_extras_and_the_graders_platform():
    from course.pins import dependency_closure
    graph = {
        "app": ["lib>=1", "schema[formats]>=2", "winonly; sys_platform == 'win32'",
                "oldpy; python_version < '3.10'", "testing; extra == 'test'"],
        "lib": ["linuxonly; sys_platform == 'linux'"],
        "schema": ["core", "fmt-a; extra == 'formats'", "fmt-b; extra == 'other'"],
        "core": [], "linuxonly": [], "fmt-a": [], "fmt-b": [], "winonly": [], "oldpy": [], "testing": [],
    }
    assert dependency_closure(["App"], graph.__getitem__) == ["app", "core", "fmt-a", "lib", "linuxonly", "schema"]


def test_pinned_requirements_refuse_what_is_not_the_graders():
    from course.pins import pinned_requirements
    graph = {"app": ["lib"], "lib": []}
    pins = {"app": ("App", "1.0"), "lib": ("lib", "2.0")}
    installed = {"app": "1.0", "lib": "2.0"}
    assert pinned_requirements(["app"], pins, "c.txt", graph.__getitem__, installed.__getitem__) == \
        ["App==1.0", "lib==2.0"]
    with pytest.raises(ReleaseError, match=r"student package 'nope' is not pinned in c\.txt"):
        pinned_requirements(["nope"], pins, "c.txt", graph.__getitem__, installed.__getitem__)
    with pytest.raises(ReleaseError, match=r"lib \(a dependency of the student packages\) is not pinned"):
        pinned_requirements(["app"], {"app": pins["app"]}, "c.txt", graph.__getitem__, installed.__getitem__)
    with pytest.raises(ReleaseError, match=r"lib 2\.1 is installed but c\.txt pins 2\.0"):
        pinned_requirements(["app"], pins, "c.txt", graph.__getitem__, {**installed, "lib": "2.1"}.__getitem__)


def test_student_packages_must_be_bare_names(roots):
    path = roots.source / NAME / "assignment.toml"
    path.write_text(path.read_text() + 'student_packages = ["numpy==2.4.6"]\n')
    with pytest.raises(ReleaseError, match=r"'student_packages' entry 'numpy==2\.4\.6' must be a bare package name"):
        generate(NAME, roots)


def test_without_student_packages_no_environment_is_shipped(built_job):
    assert "requirements.txt" not in built_job.tree.files and "setup_env.py" not in built_job.tree.files
    assert any("lists no student_packages" in note for note in built_job.notes)


def test_real_requirements_are_complete_consistent_and_without_grader_packages():
    """assignment1's requirements.txt: every requirement of every listed package (on the grader's
    platform) is listed at a version it accepts, nothing unrequired is listed, nothing of the grader's."""
    from importlib import metadata
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from course import load_manifest
    from course.pins import TARGET, read_constraints
    roots = Roots.of_repo()
    manifest = load_manifest(roots, "assignment1")
    lines = [line for line in read(roots, "requirements.txt", "assignment1").splitlines()
             if line and not line.startswith("#")]
    listed = dict(line.split("==") for line in lines)
    versions = {canonicalize_name(name): version for name, version in listed.items()}
    pins = read_constraints(roots.constraints, "constraints.txt")
    assert all(pins[name][1] == version for name, version in versions.items())
    required = {canonicalize_name(p) for p in manifest.student_packages}
    for name in versions:
        extras = {""} | {e for other in versions for r in map(Requirement, metadata.requires(other) or [])
                         if canonicalize_name(r.name) == name
                         and (r.marker is None or r.marker.evaluate({**TARGET, "extra": ""})) for e in r.extras}
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            # pip's rule: a requirement applies when it has no marker or its marker
            # holds on the grader's platform for no extra or one the package is asked with.
            if requirement.marker is None or any(requirement.marker.evaluate({**TARGET, "extra": e})
                                                 for e in extras):
                dependency = canonicalize_name(requirement.name)
                assert dependency in versions, f"{name} requires {text}, which requirements.txt lacks"
                assert requirement.specifier.contains(versions[dependency], prereleases=True), \
                    f"{name} requires {text}; requirements.txt pins {versions[dependency]}"
                required.add(dependency)
    assert set(versions) == required, f"listed but required by nothing: {set(versions) - required}"
    assert not {"nbgrader", "torch", "torchvision", "selenium"} & set(versions)


def read(roots, rel, name=NAME):
    return (roots.release / name / rel).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def env_release(tmp_path_factory):
    """A toy release that ships an environment: student_packages = ["tqdm"] (no dependencies)."""
    roots = make_toy_course(tmp_path_factory.mktemp("env-course"))
    path = roots.source / NAME / "assignment.toml"
    path.write_text(path.read_text() + 'student_packages = ["tqdm"]\n')
    build_assignment(NAME, roots)
    return roots


def test_release_ships_pinned_requirements_and_the_setup_script(env_release):
    from course.pins import read_constraints
    pin = read_constraints(REPO / "constraints.txt", "constraints.txt")["tqdm"]
    lines = read(env_release, "requirements.txt").splitlines()
    assert lines[0].startswith("# The Python packages of toy1, pinned to the versions the grader uses.")
    assert [line for line in lines if not line.startswith("#")] == [f"tqdm=={pin[1]}"]
    assert read(env_release, "setup_env.py") == (REPO / "source/common/setup_env.py").read_text()
    assert check_assignment(NAME, env_release) == []


def test_setup_env_creates_the_environment_with_its_jupyter_settings(env_release, tmp_path):
    """The README's one command, on the toy release: a venv, the pins installed, Lab's settings."""
    folder = tmp_path / NAME
    shutil.copytree(env_release.release / NAME, folder)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}  # the machine's pip cache and index settings
    env.update({k: v for k, v in __import__("os").environ.items() if k.startswith("PIP_")})
    first = subprocess.run([sys.executable, "setup_env.py"], cwd=folder, capture_output=True, text=True,
                           timeout=600, env=env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "Start JupyterLab in" in first.stdout and ".venv/bin/jupyter lab" in first.stdout
    assert "--allow-root" in first.stdout
    python = folder / ".venv" / "bin" / "python"
    version = subprocess.run([python, "-c", "import tqdm; print(tqdm.__version__)"], capture_output=True,
                             text=True, env={"PATH": "/usr/bin:/bin"}).stdout.strip()
    assert f"tqdm=={version}" in read(env_release, "requirements.txt")
    settings = json.loads((folder / ".venv/share/jupyter/lab/settings/overrides.json").read_text())
    assert settings == {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                        "checkForUpdates": False}}
    again = subprocess.run([sys.executable, "setup_env.py"], cwd=folder, capture_output=True, text=True,
                           timeout=600, env=env)
    assert again.returncode == 0 and "Requirement already satisfied: tqdm" in again.stdout, again.stdout


def test_setup_env_refuses_an_old_python(env_release, tmp_path, capsys):
    setup_env = load_module_file(env_release.release / NAME / "setup_env.py", "setup_env")
    setup_env.MINIMUM_PYTHON = (99, 0)
    with pytest.raises(SystemExit) as exit_:
        setup_env.main(["--venv", str(tmp_path / "venv")])
    assert exit_.value.code == 1 and "needs Python 99.0 or newer" in capsys.readouterr().err
    assert not (tmp_path / "venv").exists()


# ---------------------------------------------------------------- the release's .gitignore

GIT_PATHS = [  # (path, is a directory); a folder's files are listed below it
    ("datasets", True), ("datasets/cifar-10-batches-py/data_batch_1", False),
    ("cs231n/datasets", True), ("cs231n/datasets/x.py", False),
    (".venv", True), (".venv/bin/python", False),
    ("assignment1_submission.zip", False), ("old/toy1_submission.zip", False),
    ("cs231n/__pycache__", True), ("cs231n/__pycache__/toy.cpython-311.pyc", False),
    (".ipynb_checkpoints", True), (".ipynb_checkpoints/toy-checkpoint.ipynb", False),
    ("tests/.pytest_cache", True), ("tests/.pytest_cache/README.md", False),
    ("__pycache__", False),  # a file of that name: `__pycache__/` means folders only
    ("artifacts", True), ("artifacts/svm_best.npz", False), ("notes.txt", False), ("toy.ipynb", False),
]


def git(folder, *args, stdin=None):
    """git on `folder` as its work tree, with the repository kept outside it."""
    git_dir = Path(str(folder) + ".git")
    if not git_dir.exists():
        subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    done = subprocess.run(["git", f"--git-dir={git_dir}", f"--work-tree={folder}", "-c", "core.bare=false",
                           *args], input=stdin, capture_output=True, text=True, cwd=folder)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.split()


def git_ignored(folder, paths):
    """The subset of `paths` that git itself ignores in `folder`."""
    return set(git(folder, "check-ignore", "--no-index", "--stdin", stdin="\n".join(paths) + "\n"))


def test_ignore_rule_is_exactly_gits(tmp_path):
    from release.ignore import is_ignored, parse_ignore, shipped_files
    text = (REPO / "source/common/student.gitignore").read_text()
    (tmp_path / ".gitignore").write_text(text)
    for rel, is_dir in GIT_PATHS:
        (tmp_path / rel).mkdir(parents=True, exist_ok=True) if is_dir else \
            ((tmp_path / rel).parent.mkdir(parents=True, exist_ok=True), (tmp_path / rel).write_text("x"))
    (tmp_path / "outside").mkdir()
    (tmp_path / "cs231n" / "datasets-link").symlink_to(tmp_path / "outside")
    patterns = parse_ignore(text, ".gitignore")
    by_git = git_ignored(tmp_path, [rel for rel, _ in GIT_PATHS])
    assert {rel for rel, is_dir in GIT_PATHS if is_ignored(rel, is_dir, patterns)} == by_git
    assert shipped_files(tmp_path, patterns) == sorted(git(tmp_path, "ls-files", "--others", "--exclude-standard"))


def test_a_linked_datasets_folder_is_ignored_like_a_real_one(tmp_path):
    from release.ignore import parse_ignore, shipped_files
    text = (REPO / "source/common/student.gitignore").read_text()
    (tmp_path / ".gitignore").write_text(text)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-data"
    (elsewhere / "cifar-10-batches-py").mkdir(parents=True)
    (tmp_path / "datasets").symlink_to(elsewhere)
    assert "datasets" in git_ignored(tmp_path, ["datasets"])
    assert shipped_files(tmp_path, parse_ignore(text, ".gitignore")) == [".gitignore"] == \
        git(tmp_path, "ls-files", "--others", "--exclude-standard")


@pytest.mark.parametrize("line", ["!keep.txt", "**/cache", "a\\ b", "/"])
def test_ignore_syntax_git_reads_differently_is_refused(line):
    from release.ignore import parse_ignore
    with pytest.raises(ReleaseError, match=r"x\.gitignore, line 2: "):
        parse_ignore(f"# comment\n{line}\n", "x.gitignore")


def test_check_leaves_out_what_the_release_ignores_and_nothing_else(roots):
    build_assignment(NAME, roots)
    release = roots.release / NAME
    (release / "datasets" / "cifar-10-batches-py").mkdir(parents=True)
    (release / "datasets" / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"\x00" * 64)
    (release / ".venv" / "bin").mkdir(parents=True)
    (release / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (release / "toy1_submission.zip").write_bytes(b"PK")
    (release / "cs231n" / "__pycache__").mkdir()
    (release / "cs231n" / "__pycache__" / "toy.cpython-311.pyc").write_bytes(b"\x00")
    assert check_assignment(NAME, roots) == []
    (release / "artifacts").mkdir()
    (release / "artifacts" / "params.npz").write_bytes(b"PK")
    problems = check_assignment(NAME, roots)
    assert problems[0] == "assignments/toy1/artifacts/params.npz: file not produced by the release pipeline " \
                          "(caches, checkpoints and saved data never ship)"
    assert problems[-1] == "  unexpected artifacts/params.npz"


# ---------------------------------------------------------------- student tools: arguments

EXTRA_SUITE = '''\
"""A second toy suite."""
import numpy as np
import pytest

from autograder.testkit import assert_array


@pytest.mark.public
@pytest.mark.points(1)
def test_extra_public(student):
    assert_array(student.function("cs231n.toy", "double")(np.ones(2)), "double(x)", (2,))


@pytest.mark.points(5)
def test_extra_secret(student):
    assert_array(student.function("cs231n.toy", "double")(np.ones(3)), "double(x)", (3,))
'''


@pytest.fixture(scope="module")
def two_suites(tmp_path_factory):
    roots = make_toy_course(tmp_path_factory.mktemp("two-suites"))
    write(roots.suites / NAME / "test_extra.py", EXTRA_SUITE)
    path = roots.source / NAME / "assignment.toml"
    path.write_text(path.read_text().replace('suites = ["test_toy.py"]', 'suites = ["test_toy.py", "test_extra.py"]'))
    build_assignment(NAME, roots)
    return roots


def test_check_py_counts_the_hidden_tests_of_the_selected_files_only(two_suites, tmp_path):
    folder = tmp_path / NAME
    shutil.copytree(two_suites.release / NAME, folder)
    counts = json.loads((folder / "tests/hidden_tests.json").read_text())
    assert counts == {"test_extra.py": {"tests": 1, "points": 5}, "test_toy.py": {"tests": 4, "points": 6}}
    everything = run_tool(folder, "check.py").stdout
    assert "5 hidden tests (11 points) will also run when your submission is graded." in everything
    selected = run_tool(folder, "check.py", "double_shape").stdout
    assert "test_extra_public" not in selected
    assert "4 hidden tests (6 points) in test_toy.py will also run when your submission is graded." in selected


def test_check_py_help_is_its_own_and_runs_no_test(student_folder):
    result = run_tool(student_folder, "check.py", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: check.py [-h] [pattern]")
    assert "pytest's -k" in result.stdout and "Public tests:" not in result.stdout  # no test ran
    assert "--collect-only" not in result.stdout  # not pytest's help
    wrong = run_tool(student_folder, "check.py", "a", "b")
    assert wrong.returncode == 2 and "unrecognized arguments: b" in wrong.stderr


def test_make_submission_help_writes_no_zip(student_folder):
    result = run_tool(student_folder, "make_submission.py", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: make_submission.py [-h]")
    wrong = run_tool(student_folder, "make_submission.py", "--out", "x.zip")
    assert wrong.returncode == 2 and "unrecognized arguments" in wrong.stderr
    assert list(student_folder.glob("*.zip")) == []


# ---------------------------------------------------------------- the real course

def test_split_suites_reads_every_real_suite():
    """Every suite of the real assignments splits cleanly (no reference in public tests), and every
    assignment ships public tests. A suite may have none when all it does is score saved files on
    inputs students must not see (assignment4's trained agents, whose episode seeds are hidden)."""
    roots = Roots.of_repo()
    from course import assignment_names, load_manifest
    for name in assignment_names(roots):
        splits = split_suites(load_manifest(roots, name), roots)
        assert any(split.public_tests for split in splits.values()), f"{name} ships no public test"


def test_new_assignment_scaffold_makes_a_manifest_the_course_reads(roots):
    from release.scaffold import new_assignment
    (roots.source / "course.toml").write_text('title = "Toy"\nassignments = ["toy1"]\n')
    made = new_assignment(roots, "toy2", "Toy two")
    assert roots.source / "course.toml" in made
    from course import assignment_names, load_manifest
    assert assignment_names(roots) == ["toy1", "toy2"]
    manifest = load_manifest(roots, "toy2")
    assert manifest.title == "Toy two" and manifest.earlier_work == {"toy1": "copy"}
    assert (roots.suites / "toy2").is_dir() and (roots.source / "toy2" / "README.md").is_file()
    with pytest.raises(ReleaseError, match="toy2 exists already"):
        new_assignment(roots, "toy2", "again")


# ---------------------------------------------------------------- shipped files

def _ship(roots, entries, files):
    """Add `files` ({path in source/<NAME>/: bytes}) and a shipped_files line to the toy manifest."""
    folder = roots.source / NAME
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    manifest = folder / "assignment.toml"
    manifest.write_text(manifest.read_text() + f"shipped_files = {json.dumps(entries)}\n")


def test_shipped_files_are_released_byte_for_byte_and_pass_the_leak_check(roots):
    weights = np.random.default_rng(0).standard_normal(7).tobytes()
    _ship(roots, ["models/judge.npz", "models/judge.npz.sha256"],
          {"models/judge.npz": weights, "models/judge.npz.sha256": b"abc  judge.npz\n"})
    build_assignment(NAME, roots)
    assert (roots.release / NAME / "models" / "judge.npz").read_bytes() == weights
    assert check_assignment(NAME, roots) == []


def test_an_npz_the_manifest_does_not_ship_is_still_a_leak(roots):
    _ship(roots, ["models/judge.npz"], {"models/judge.npz": b"weights"})
    build_assignment(NAME, roots)
    (roots.release / NAME / "models" / "reference_solution.npz").write_bytes(b"answers")
    problems = check_assignment(NAME, roots)
    assert any("models/reference_solution.npz: file not produced by the release pipeline" in p for p in problems)
    assert not any("judge.npz" in p for p in problems)


@pytest.mark.parametrize("entry, files, message", [
    ("models/missing.npz", {}, "shipped_files entry models/missing.npz not found"),
    ("helpers.py", {"helpers.py": b"x = 1\n"}, "shipped_files entry helpers.py must be data"),
    ("toy_params.json", {"toy_params.json": b"{}"}, "shipped_files entry toy_params.json must be data"),
])
def test_shipped_files_must_be_data_that_exists(roots, entry, files, message):
    _ship(roots, [entry], files)
    with pytest.raises(ReleaseError, match=re.escape(message)):
        generate(NAME, roots)


# ---------------------------------------------------------------- dataset builders

BUILDER = '"""Builds a toy dataset."""\nimport numpy as np\n\nfrom . import toy_shapes\nfrom .toy_shapes import SIZE\n'


def _builders(roots, entries, files):
    for name, text in files.items():
        write(roots.dataset_fetcher.parent / name, text)
    manifest = roots.source / NAME / "assignment.toml"
    manifest.write_text(manifest.read_text() + f"dataset_builders = {json.dumps(entries)}\n")


def test_dataset_builders_ship_as_the_data_package(roots):
    _builders(roots, ["toy_scenes.py", "toy_shapes.py"], {"toy_scenes.py": BUILDER, "toy_shapes.py": "SIZE = 3\n"})
    build_assignment(NAME, roots)
    release = roots.release / NAME
    assert (release / "data" / "toy_scenes.py").read_text() == BUILDER
    assert (release / "data" / "toy_shapes.py").read_text() == "SIZE = 3\n"
    assert "python -m data." in (release / "data" / "__init__.py").read_text()
    assert check_assignment(NAME, roots) == []


@pytest.mark.parametrize("text, message", [
    ("from . import heldout\n", "imports '.heldout', which is not among the dataset_builders"),
    ("from data.fetch import fetch\n", "imports 'data.fetch', which is not among the dataset_builders"),
    ("import data\n", "imports 'data', which is not among"),
])
def test_a_builder_importing_what_students_lack_fails_the_release(roots, text, message):
    _builders(roots, ["toy_scenes.py"], {"toy_scenes.py": text})
    with pytest.raises(ReleaseError, match=re.escape(message)):
        generate(NAME, roots)


def test_a_builder_must_be_a_module_of_data(roots):
    _builders(roots, ["../secret.py"], {})
    with pytest.raises(ReleaseError, match="must be a relative path inside the course|must name a module of data"):
        generate(NAME, roots)


def test_a_missing_builder_is_named(roots):
    _builders(roots, ["missing.py"], {})
    with pytest.raises(ReleaseError, match="data/missing.py is missing"):
        generate(NAME, roots)
