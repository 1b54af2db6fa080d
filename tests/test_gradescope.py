"""The Gradescope bundle: what it holds, that it is reproducible, and that
run_autograder in a simulated /autograder grades like grade_submission."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope.bundle import FIXED_DATE, BundleError, build_bundle
from autograder.grading import grade_submission
from course import Roots, assignment_names, load_manifest

ASSIGNMENT = "assignment1"
REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("CS231N_DATA_DIR") or REPO / "data" / "datasets")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle(ASSIGNMENT, tmp_path_factory.mktemp("gs") / f"{ASSIGNMENT}.zip").path


def test_bundle_is_byte_for_byte_reproducible(bundle, tmp_path):
    again = build_bundle(ASSIGNMENT, tmp_path / "again.zip").path
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(bundle.read_bytes()).digest()
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in z.infolist()} == {FIXED_DATE}


def test_bundle_layout_and_script_modes(bundle):
    with zipfile.ZipFile(bundle) as z:
        infos = {info.filename: info for info in z.infolist()}
        run_script = z.read("run_autograder").decode()
    for required in ["setup.sh", "run_autograder", "requirements.txt", "constraints.txt",
                     "data/fetch.py", f"source/{ASSIGNMENT}/assignment.toml",
                     "autograder/suites/conftest.py", "autograder/gradescope/run.py"]:
        assert required in infos, required
    assert any(n.startswith(f"autograder/suites/{ASSIGNMENT}/test_") for n in infos)
    assert any(n.startswith("source/cs231n/") for n in infos)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in infos)
    for script in ["setup.sh", "run_autograder"]:
        assert infos[script].external_attr >> 16 == 0o100755
    assert infos["requirements.txt"].external_attr >> 16 == 0o100644
    assert "@ASSIGNMENT@" not in run_script and f'"{ASSIGNMENT}"' in run_script


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_bundle_scripts_are_valid_bash(bundle, script):
    text = zipfile.ZipFile(bundle).read(script).decode()
    assert "@" not in text.replace("$@", "")  # every placeholder filled in
    done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_bundle_only_holds_this_assignments_suites(tmp_path):
    other = tmp_path / "repo"
    # A toy repository with two assignments' suites: only the built one's go in.
    for path in ["autograder/__init__.py", "autograder/suites/conftest.py",
                 "autograder/suites/a1/test_a1.py", "autograder/suites/a2/test_secret.py",
                 "source/cs231n/__init__.py", "source/a1/assignment.toml", "data/__init__.py",
                 "data/fetch.py", "data/heldout.py", "data/prepare.py", "requirements.txt",
                 "course/__init__.py", "assignments/a1/cs231n/__init__.py"]:
        (other / path).parent.mkdir(parents=True, exist_ok=True)
        (other / path).write_text("")
    shutil.copyfile(REPO / "constraints.txt", other / "constraints.txt")  # the pins of the grader's packages
    (other / "source/a1/assignment.toml").write_text(
        'name = "a1"\nmodules = ["cs231n/__init__.py"]\nsuites = ["test_a1.py"]\n')
    out = build_bundle("a1", tmp_path / "a1.zip", repo=other).path
    names = zipfile.ZipFile(out).namelist()
    assert "autograder/suites/a1/test_a1.py" in names
    assert not any("a2" in n for n in names)


def test_bundle_is_never_written_into_the_student_release(tmp_path):
    with pytest.raises(BundleError, match="students receive"):
        build_bundle(ASSIGNMENT, REPO / "assignments" / ASSIGNMENT / "autograder.zip")
    assert not (REPO / "assignments" / ASSIGNMENT / "autograder.zip").exists()


# ---- run_autograder in a simulated /autograder ------------------------------------


def unzip_with_modes(bundle, dest):
    """Unpack like Gradescope's `unzip`: Python's zipfile alone drops the executable bits."""
    with zipfile.ZipFile(bundle) as z:
        z.extractall(dest)
        for info in z.infolist():
            os.chmod(dest / info.filename, (info.external_attr >> 16) & 0o777)


@pytest.fixture(scope="module")
def gradescope_root(bundle):
    """/autograder, simulated: source/ (the unpacked bundle), submission/, results/.

    Made outside pytest's 0700 tmp folder so that the sandbox's uid can
    traverse it, as it can on Gradescope after setup.sh.
    """
    root = make_gradescope_root(bundle)
    yield root
    shutil.rmtree(root)


def make_gradescope_root(bundle):
    """A simulated /autograder holding the unpacked `bundle` in source/, with the datasets
    setup.sh's data.prepare would leave there (the caller removes it)."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-"))
    os.chmod(root, 0o755)
    unzip_with_modes(bundle, root / "source")
    (root / "source" / "data" / "datasets").symlink_to(DATA_DIR, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    from autograder.samples import build_all
    return build_all(ASSIGNMENT, tmp_path_factory.mktemp("samples") / "samples")


def run_autograder(root, submission, **env):
    """Gradescope's per-submission step: fresh submission/ and results/, then run_autograder."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    (root / "results").mkdir()
    base = {k: v for k, v in os.environ.items() if k not in ("CS231N_DATA_DIR", "PYTHONPATH")}
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True, timeout=900,
                          env={**base, "AUTOGRADER_ROOT": str(root), "GRADESCOPE_PYTHON": sys.executable, **env})
    return done, json.loads((root / "results" / "results.json").read_text())


def scores(results):
    return results["score"], [(t["name"], t["score"], t["max_score"], t["status"]) for t in results["tests"]]


@pytest.mark.parametrize("sample, isolation", [("reference", "rlimits"), ("blank", "auto")])
def test_run_autograder_scores_like_grade_submission(gradescope_root, samples, tmp_path, monkeypatch,
                                                     sample, isolation):
    """rlimits is what Gradescope's containers get (no user namespaces); auto is bwrap here."""
    monkeypatch.setenv("CS231N_DATA_DIR", str(DATA_DIR))
    done, via_gradescope = run_autograder(gradescope_root, samples / sample, GRADESCOPE_ISOLATION=isolation)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    level = done.stdout.split("isolation=", 1)[1].split()[0]
    assert level == isolation if isolation != "auto" else level in ("bwrap", "rlimits")

    direct = grade_submission(ASSIGNMENT, samples / sample, tmp_path / "out", isolation=level)
    assert scores(via_gradescope) == scores(direct)
    maximum = direct["extra_data"]["max_score"]
    # Not equal by accident: the reference earns everything, the blank release nothing.
    assert via_gradescope["score"] == (maximum if sample == "reference" else 0.0) and maximum > 0


def test_run_autograder_reports_a_grader_failure_to_the_student(gradescope_root):
    done, results = run_autograder(gradescope_root, None)  # no submission folder at all
    assert done.returncode == 1
    assert results["score"] == 0 and "not your fault" in results["output"]
    assert "Traceback" in done.stdout  # for the instructor, in Gradescope's hidden stdout


def test_gradescope_never_runs_student_code_unconfined(monkeypatch):
    from autograder.gradescope.run import NoSandbox, choose_isolation
    monkeypatch.setenv("GRADESCOPE_ISOLATION", "none")
    with pytest.raises(NoSandbox):
        choose_isolation()
    import autograder.sandbox.isolation as isolation
    monkeypatch.setenv("GRADESCOPE_ISOLATION", "auto")
    monkeypatch.setattr(isolation, "choose", lambda requested: isolation.Launch)  # nothing but "none" works
    with pytest.raises(NoSandbox):
        choose_isolation()


@pytest.fixture(scope="module")
def reference_at_rlimits(gradescope_root, samples):
    """The reference graded through run_autograder at rlimits (what hostile kinds are compared with)."""
    env = {"GRADESCOPE_ISOLATION": "rlimits", "CS231N_DATA_DIR": str(DATA_DIR)}
    done, results = run_autograder(gradescope_root, samples / "reference", **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return results


def grade_hostile_via_runner(gradescope_root, samples, tmp_path, kind):
    from tests.hostile_submissions import make_hostile
    hostile = make_hostile(kind, samples / "reference", tmp_path)
    done, results = run_autograder(gradescope_root, hostile, GRADESCOPE_ISOLATION="rlimits",
                                   CS231N_DATA_DIR=str(DATA_DIR))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "sandbox: isolation rlimits" in done.stdout and "seccomp:    on" in done.stdout
    assert "LEAKED" not in json.dumps(results)
    return results


def assert_outcome(kind, results, reference):
    """knn_zero kinds (blank unless they stole something) score 0 on every kNN test; same_as_good
    kinds (correct code that fails only if its attack worked) score as the reference everywhere."""
    from tests.hostile_submissions import KINDS
    expected = {t["name"]: t["score"] for t in reference["tests"]}
    got = {t["name"]: t["score"] for t in results["tests"]}
    knn = {name for name in got if name.startswith("test_knn.py")}
    assert knn and set(got) == set(expected)
    if KINDS[kind].outcome == "knn_zero":
        assert {name: got[name] for name in knn} == {name: 0 for name in knn}
    else:
        assert KINDS[kind].outcome == "same_as_good"
        assert {name: got[name] for name in knn} == {name: expected[name] for name in knn}
    assert {n: s for n, s in got.items() if n not in knn} == {n: s for n, s in expected.items() if n not in knn}


# Issue 12 on Gradescope's path, where the container leaves only rlimits: finding 1
# (proc_snoop, read_hidden_tests), finding 3 (memfd_hoard: 4.5 GiB of memfds under 4 GiB).
@pytest.mark.parametrize("kind", ["proc_snoop", "read_hidden_tests", "memfd_hoard"])
def test_run_autograder_contains_hostile_submissions_at_rlimits(gradescope_root, samples, reference_at_rlimits,
                                                               tmp_path, kind):
    """The simulated /autograder is world-readable, as Gradescope's old setup left it;
    student code must still not reach the reference, the suites or the grader's command
    lines, nor hold more memory than its limit."""
    results = grade_hostile_via_runner(gradescope_root, samples, tmp_path, kind)
    assert_outcome(kind, results, reference_at_rlimits)


def test_run_autograder_leaves_no_state_for_the_next_submission(gradescope_root, samples, reference_at_rlimits,
                                                               tmp_path):
    """Finding 2: Gradescope grades submissions one after another in one container, on the
    same worker uid; what one leaves in the kernel (keyring, SysV/POSIX IPC, shared folders,
    abstract sockets) must not reach the next, which runs it if it finds it."""
    planted = grade_hostile_via_runner(gradescope_root, samples, tmp_path / "plant", "state_plant")
    assert_outcome("state_plant", planted, reference_at_rlimits)
    stolen = grade_hostile_via_runner(gradescope_root, samples, tmp_path / "steal", "state_steal")
    assert_outcome("state_steal", stolen, reference_at_rlimits)


# name: a suite running the student's torch code in the sandbox
TORCH_ASSIGNMENTS = {"assignment2": "test_pytorch.py", "assignment3": "test_transformer_layers.py"}


@pytest.mark.parametrize("name", sorted(TORCH_ASSIGNMENTS))
def test_torch_assignment_through_run_autograder_scores_like_grade_submission(tmp_path, name):
    """Assignments 2 and 3 (student PyTorch code, torch preloaded in the worker; assignment 2's
    saved network's forward pass in the sandbox, assignment 3's saved captioners loaded into the
    reference by the grader, with the captioning scenes): Gradescope's runner at rlimits, as on
    Gradescope, gives the reference the scores make grade's path gives it, full marks."""
    from autograder.samples import build_reference
    bundle = build_bundle(name, tmp_path / f"{name}.zip").path
    root = make_gradescope_root(bundle)
    try:
        reference = build_reference(name, tmp_path / "reference")
        done, via_gradescope = run_autograder(root, reference, GRADESCOPE_ISOLATION="rlimits",
                                              CS231N_DATA_DIR=str(DATA_DIR))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finally:
        shutil.rmtree(root)
    direct = grade_submission(name, reference, tmp_path / "out", isolation="rlimits")
    assert scores(via_gradescope) == scores(direct)
    assert via_gradescope["score"] == direct["extra_data"]["max_score"] > 0
    assert any(t["name"].startswith(f"{TORCH_ASSIGNMENTS[name]}::") and t["score"] > 0 for t in via_gradescope["tests"])


# Instructor tools the bundle carries but run_autograder never runs: their imports (torch for the
# benchmarks, nbgrader for manual grading) need not be on the grading image.
NOT_RUN_BY_GRADESCOPE = ("autograder/bench.py", "autograder/bench_layers.py", "autograder/mutation.py",
                         "autograder/sandbox/bench.py", "autograder/grading/manual.py")


def module_level_nodes(tree):
    """The nodes of `tree` outside function bodies: imports a module runs when it is imported
    (an import inside a function is lazy by design: testkit imports torch only for a tensor)."""
    import ast
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def third_party_imports(paths):
    """{top-level module: a file importing it at module level} of the Python files `paths`."""
    import ast
    local = {"autograder", "course", "data", "cs231n", "sandbox", "testkit"}
    found = {}
    for path in paths:
        for node in module_level_nodes(ast.parse((REPO / path).read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, path)
    return found


@pytest.mark.parametrize("assignment", assignment_names(Roots.of_repo()))
def test_grading_image_installs_what_grading_imports_and_no_more(assignment):
    """The bundle's requirements.txt holds every distribution that the grader, the assignment's
    suites and its modules import (pinned as constraints.txt pins them), and assignment 1's, which
    needs no torch, does not get the 2.6 GB of it."""
    from importlib.metadata import packages_distributions
    from autograder.gradescope.bundle import grader_files, grading_requirements
    from course.pins import read_constraints
    pins = read_constraints(REPO / "constraints.txt", "constraints.txt")
    lines = [line for line in grading_requirements(assignment).splitlines() if line and not line.startswith("#")]
    installed = {name.lower().replace("_", "-") for name, _, _ in (line.partition("==") for line in lines)}
    assert all(pins[name.lower().replace("_", "-")][1] == version
               for name, _, version in (line.partition("==") for line in lines))
    manifest = load_manifest(Roots.of_repo(), assignment)
    python = [p for p in grader_files(assignment) if p.endswith(".py") and p not in NOT_RUN_BY_GRADESCOPE
              and (not p.startswith("source/cs231n/") or p[len("source/"):] in manifest.modules)]
    distributions = packages_distributions()
    missing = {top: path for top, path in third_party_imports(python).items()
               if not any(d.lower().replace("_", "-") in installed for d in distributions.get(top, [top]))}
    assert not missing, f"imported by grading but not installed on the image: {missing}"
    assert ("torch" in installed) == ("torch" in manifest.student_packages)
    assert not installed & {"jupyterlab", "nbgrader", "selenium"}
