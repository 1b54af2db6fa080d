"""Hostile submissions aimed at the grading side (the second hostile review, findings 4-12),
graded in ONE batch with a correct submission on the real assignment-1 material.

Each kind is a submission a determined student could send; each test says what it
must (not) earn and what the student sees. The correct submission's per-test results
must be exactly those it gets graded alone. The sandbox-side findings (1-3) are in
test_hostile_batch.py.

    nan_everywhere     every array result is nan of the right shape (finding 4)
    utf7_disguise      a UTF-7 coding line, which can hide code from checks reading UTF-8 (5)
    latin1_honest      a correct module saved as latin-1 with its coding line (5)
    rebound_method     the no-loop method replaced after the class body (5)
    echo_inputs        raises and prints its inputs in every call (6)
    least_squares      blank code, saved models fitted to the test split (7)
    huge_hue_bins      a features artifact implying 110,000 hue bins (8)
    huge_module        2.5 MiB of trivial statements (8)
    deep_nesting       a module nested 5,000 deep, a notebook nested 100,000 deep (9)
    deep_folders       1,200 nested folders (9)
    forged_feedback    an exception class named like feedback Markdown (11)
    zero_distances     every distance 0, of the right shape (12)
"""
import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import samples
from autograder.grading import grade_batch, grade_submission
from course import Roots, load_course

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "assignment1"
SUITES = ["test_knn.py", "test_layers.py", "test_linear_classifier.py", "test_features.py"]
KNN = "cs231n/classifiers/k_nearest_neighbor.py"
LAYERS = "cs231n/layers.py"
GOOD = "good"


def suite_of(name):
    return name.split("::")[0]


def by_test(results):
    return {t["name"]: t for t in results["tests"]}


# ---- the submissions ---------------------------------------------------------------------

def good_text(module):
    return (REPO / "source" / module).read_text()


def make_kinds(good, dest):
    """{kind: path} of every hostile submission, made from the correct one."""
    kinds = {}

    def variant(kind, edit):
        path = dest / kind
        shutil.copytree(good, path)
        edit(path)
        kinds[kind] = path

    def write(path, module, text, mode="w", encoding="utf-8"):
        target = path / module
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding=encoding)

    nan_code = '''
import numpy as _np
def _nan_everything(cls_or_module):
    for _name in list(vars(cls_or_module)):
        _f = getattr(cls_or_module, _name)
        if callable(_f) and not _name.startswith("_") and not isinstance(_f, type):
            def _wrapped(*a, _f=_f, **k):
                out = _f(*a, **k)
                if isinstance(out, tuple):
                    return tuple(_np.full_like(o, _np.nan, dtype=float) if isinstance(o, _np.ndarray) else
                                 (float("nan") if isinstance(o, float) else o) for o in out)
                return _np.full_like(out, _np.nan, dtype=float) if isinstance(out, _np.ndarray) else out
            setattr(cls_or_module, _name, _wrapped)
'''
    variant("nan_everywhere", lambda p: (
        write(p, KNN, good_text(KNN) + nan_code + "_nan_everything(KNearestNeighbor)\n"),
        write(p, LAYERS, good_text(LAYERS) + nan_code + "import sys as _sys\n_nan_everything(_sys.modules[__name__])\n")))

    # In the review, a UTF-7 file hid its loops from checks that read UTF-8: '+AAo-' is a
    # newline to Python and part of a comment to a UTF-8 reader. Any such coding line is refused.
    utf7 = "# -*- coding: utf-7 -*-\n" + good_text(KNN).replace(
        "        return dists\n", "        # +AAo-        dists = dists  # (a line only UTF-7 shows)\n        return dists\n", 1)
    variant("utf7_disguise", lambda p: write(p, KNN, utf7.encode("utf-7")))
    variant("latin1_honest", lambda p: write(
        p, KNN, ("# -*- coding: latin-1 -*-\n# Écrit par un étudiant\n" + good_text(KNN)).encode("latin-1")))

    rebound = good_text(KNN) + ("\nKNearestNeighbor.compute_distances_no_loops = "
                                "KNearestNeighbor.compute_distances_two_loops\n")
    variant("rebound_method", lambda p: write(p, KNN, rebound))

    echo = good_text(KNN) + '''
def _echo(method):
    def loud(self, X, *a, **k):
        print("INPUT-ECHO", repr(X.ravel()[:4].tolist()), flush=True)
        raise ValueError("INPUT-ECHO " + repr(X.ravel()[:4].tolist()))
    return loud
for _name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
    setattr(KNearestNeighbor, _name, _echo(getattr(KNearestNeighbor, _name)))
'''
    variant("echo_inputs", lambda p: write(p, KNN, echo))

    class_name = "class " + "ForgedFeedback"
    forged = good_text(KNN) + f'''
Forged = type("x\\n\\n- ✓ `test_knn.py::test_everything` (30 / 30)\\n\\n**Score: 163 / 163**\\n", (Exception,), {{}})
def _forge(self, *a, **k):
    raise Forged("see above")
KNearestNeighbor.compute_distances_no_loops = _forge
'''
    variant("forged_feedback", lambda p: write(p, KNN, forged))

    zeros = good_text(KNN) + '''
import numpy as _np
for _name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
    setattr(KNearestNeighbor, _name,
            lambda self, X: _np.zeros((X.shape[0], self.X_train.shape[0])))
'''
    variant("zero_distances", lambda p: write(p, KNN, zeros))

    variant("huge_module", lambda p: write(p, KNN, good_text(KNN) + "x = 1\n" * (2_500_000 // 6)))
    variant("deep_nesting", lambda p: (
        write(p, KNN, good_text(KNN) + "y = " + "(" * 5000 + "1" + ")" * 5000 + "\n"),
        (p / "knn.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "nbformat": 4}')))

    def deep_folders(path):
        # Made one level at a time through directory descriptors (os.makedirs recurses).
        fd = os.open(path, os.O_RDONLY)
        for _ in range(1200):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        note = os.open("note.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, b"deep")
        os.close(note)
        os.close(fd)
    variant("deep_folders", deep_folders)

    def least_squares(path):
        # Blank code; W fitted by least squares to the first 1,000 test images, which students have.
        release = dest.parent / "release" / ASSIGNMENT
        for module in [KNN, LAYERS, "cs231n/classifiers/linear_svm.py", "cs231n/classifiers/softmax.py",
                       "cs231n/classifiers/linear_classifier.py", "cs231n/features.py"]:
            shutil.copyfile(release / module, path / module)
        import sys
        sys.path.insert(0, str(REPO / "source"))
        from cs231n.data_utils import cifar10_dir, load_CIFAR_batch
        X, y = load_CIFAR_batch(os.path.join(cifar10_dir(), "test_batch"))
        X_train, _ = load_CIFAR_batch(os.path.join(cifar10_dir(), "data_batch_1"))
        rows = X[:1000].reshape(1000, -1) - X_train.reshape(len(X_train), -1).mean(axis=0)
        rows = np.hstack([rows, np.ones((1000, 1))])
        W = np.linalg.lstsq(rows, np.eye(10)[y[:1000]], rcond=None)[0]
        assert np.mean(np.argmax(rows @ W, axis=1) == y[:1000]) == 1.0  # perfect on the images it was fitted to
        for name in ("svm_best", "softmax_best"):
            np.savez(path / "artifacts" / f"{name}.npz", W=W)
    variant("least_squares", least_squares)

    def huge_hue_bins(path):
        bins = 110_000
        mean = np.zeros(144 + bins)
        np.savez(path / "artifacts" / "features_svm_best.npz", W=np.zeros((144 + bins + 1, 10)),
                 feature_mean=mean, feature_std=np.ones_like(mean))
    variant("huge_hue_bins", huge_hue_bins)
    return kinds


# ---- one batch -------------------------------------------------------------------------

class Batch:
    pass


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from data.prepare import missing_reason
    reason = missing_reason("cifar10_heldout") or missing_reason("cifar10")
    if reason:
        pytest.skip(reason)
    from tests.test_hostile_batch import _write_release, _write_suites
    root = tmp_path_factory.mktemp("hostile-grading")
    _write_release(root / "release")
    shutil.copytree(REPO / "source" / "cs231n", root / "reference" / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    manifest = (REPO / "source" / ASSIGNMENT / "assignment.toml").read_text()
    manifest = re.sub(r"(?ms)^suites\s*=\s*\[.*?\]", lambda _: "suites = " + json.dumps(SUITES), manifest)
    manifest = re.sub(r"(?ms)^\[samples\].*?(?=^\[|\Z)", "", manifest)
    (root / "reference" / ASSIGNMENT).mkdir(parents=True)
    (root / "reference" / ASSIGNMENT / "assignment.toml").write_text(manifest)
    # The course's salt (hidden inputs as in real grading) and its order, with the other
    # assignments' manifests unchanged: shared modules hold later assignments' blocks.
    course = load_course(Roots.of_repo())
    (root / "reference" / "course.toml").write_text(
        f'title = "hostile"\nassignments = {json.dumps(list(course.assignments))}\n'
        f'hidden_seed_salt = {json.dumps(course.hidden_seed_salt)}\n')
    for name in course.assignments:
        if name != ASSIGNMENT:
            (root / "reference" / name).mkdir(parents=True)
            shutil.copy2(REPO / "source" / name / "assignment.toml", root / "reference" / name / "assignment.toml")
    _write_suites(root / "suites")
    submissions = root / "submissions"
    good = samples.build_reference(ASSIGNMENT, submissions / GOOD)
    try:
        kinds = make_kinds(good, submissions)
        roots = dict(suites_root=root / "suites", reference_root=root / "reference", release_root=root / "release")
        started = time.monotonic()
        rows = grade_batch(ASSIGNMENT, submissions, root / "out", jobs=2, gradebook_path=None, progress=False,
                           **roots)
        result = Batch()
        result.seconds = time.monotonic() - started
        result.rows = {row.name: row for row in rows}
        result.results = {name: json.loads((root / "out" / name / "results.json").read_text()) for name in result.rows}
        result.feedback = {name: (root / "out" / name / "feedback.md").read_text() for name in result.rows}
        result.alone = grade_submission(ASSIGNMENT, good, root / "alone", **roots)
        result.kinds = kinds
        yield result
    finally:
        # Deeper than shutil.rmtree's recursion reaches: left behind, pytest's own cleanup of old
        # temporary folders would crash at exit (a RecursionError), whatever the tests did.
        if (submissions / "deep_folders").exists():
            remove_deep_folders(submissions / "deep_folders")


def remove_deep_folders(path):
    """Remove the 1,200 nested folders "d" under `path` one level at a time, deepest first
    (one descriptor open at a time: 1,200 would pass the usual limit of 1,024)."""
    fd, depth = os.open(path, os.O_RDONLY), 0
    while "d" in os.listdir(fd):
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, depth = inner, depth + 1
    for name in os.listdir(fd):  # the note at the bottom
        os.unlink(name, dir_fd=fd)
    for _ in range(depth):
        parent = os.open("..", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        os.rmdir("d", dir_fd=parent)
        fd = parent
    os.close(fd)

def failed(results, suite=None):
    return {n: t for n, t in by_test(results).items() if t["status"] != "passed" and (suite is None or suite_of(n) == suite)}


def test_every_submission_was_graded_and_the_correct_one_kept_its_score(batch):
    assert all(row.status == "graded" for row in batch.rows.values()), {n: r.status for n, r in batch.rows.items()}
    good = batch.results[GOOD]
    assert good["score"] == good["extra_data"]["max_score"]
    assert {n: t["status"] for n, t in by_test(good).items()} == {n: t["status"] for n, t in by_test(batch.alone).items()}


def test_nan_of_the_right_shape_earns_nothing_where_values_are_checked(batch):
    results = batch.results["nan_everywhere"]
    for suite in ("test_knn.py", "test_layers.py"):
        passed = [n for n, t in by_test(results).items() if suite_of(n) == suite and t["status"] == "passed"]
        # What still passes reads no array of the submission's: nothing in these suites.
        assert passed == [], passed
    assert any("contains nan" in t["output"] for t in failed(results).values())


@pytest.mark.parametrize("kind, encoding", [("utf7_disguise", "utf-7"), ("latin1_honest", "iso-8859-1")])
def test_a_coding_line_other_than_utf8_is_refused_with_a_message(batch, kind, encoding):
    results = batch.results[kind]
    assert any(f"declares the encoding {encoding}" in p and "save the file as UTF-8" in p
               for p in results["extra_data"]["problems"]), results["extra_data"]["problems"]
    assert all(t["status"] == "failed" for n, t in by_test(results).items() if suite_of(n) == "test_knn.py")


def test_a_method_rebound_after_the_class_body_does_not_pass_the_structure_checks(batch):
    results = batch.results["rebound_method"]
    wrong = failed(results)
    assert set(wrong) == {"test_knn.py::test_no_loops_has_no_loops",
                          "test_knn.py::test_no_loops_does_not_call_other_versions"}, set(wrong)
    assert all("replaced after the class was defined" in t["output"] for t in wrong.values())


def test_hidden_tests_never_show_what_the_students_code_wrote(batch):
    results = batch.results["echo_inputs"]
    for name, test in by_test(results).items():
        if suite_of(name) != "test_knn.py" or test["status"] == "passed":
            continue
        if test["visibility"] == "visible":
            continue  # public inputs: the student may see them
        assert "INPUT-ECHO" not in test["output"], (name, test["output"])
        assert re.search(r"raised ValueError \(at k_nearest_neighbor\.py, line \d+\)", test["output"]), test["output"]
    assert any("INPUT-ECHO" in t["output"] for t in by_test(results).values() if t["visibility"] == "visible")


def test_models_fitted_to_the_test_split_do_not_score_on_held_out_images(batch):
    results = batch.results["least_squares"]
    saved = {n: t for n, t in by_test(results).items() if "saved_svm" in n or "saved_softmax" in n}
    saved = {n: t for n, t in saved.items() if suite_of(n) == "test_linear_classifier.py"}
    assert len(saved) == 4 and all(t["status"] == "failed" for t in saved.values()), saved
    assert all("held-out images" in t["output"] for t in saved.values())


def test_a_huge_artifact_is_refused_before_any_work(batch):
    results = batch.results["huge_hue_bins"]
    test = by_test(results)["test_features.py::test_saved_svm_reaches_40_percent"]
    assert test["status"] == "failed" and "with 1 to 360 hue bins" in test["output"], test["output"]


@pytest.mark.parametrize("kind, message", [
    ("huge_module", "KB; a module of this course is far smaller"),
    ("deep_nesting", "nested too deeply"),
])
def test_oversized_or_deep_modules_are_messages_not_grader_failures(batch, kind, message):
    results = batch.results[kind]
    assert results["extra_data"]["status"] == "graded"
    assert any(message in p for p in results["extra_data"]["problems"]), results["extra_data"]["problems"]


def test_a_deep_notebook_and_deep_folders_are_messages(batch):
    problems = batch.results["deep_nesting"]["extra_data"]["problems"]
    assert any("knn.ipynb is nested too deeply to be read as a notebook" in p for p in problems), problems
    deep = batch.results["deep_folders"]
    assert any("nested more than 32 deep" in p for p in deep["extra_data"]["problems"])
    assert deep["extra_data"]["status"] == "rejected"


def test_feedback_cannot_be_forged_by_an_exception_name(batch):
    text = batch.feedback["forged_feedback"]
    outside, fence = [], None
    for line in text.splitlines():
        if fence is None and line.startswith("```"):
            fence = re.match(r"`+", line).group(0)
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            outside.append(line)
    marks = [line for line in outside if re.match(r"^- [✓✗] ", line)]
    assert len(marks) == len(batch.results["forged_feedback"]["tests"])
    assert "test_everything" not in "\n".join(outside)
    assert sum("**Score:" in line for line in outside) == 1


def test_all_zero_distances_fail_the_public_shape_test(batch):
    results = batch.results["zero_distances"]
    shape = {n: t for n, t in by_test(results).items() if "test_distances_shape" in n}
    assert shape and all(t["status"] == "failed" and "distances of 0 between distinct" in t["output"]
                         for t in shape.values())
