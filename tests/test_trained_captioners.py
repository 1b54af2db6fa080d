"""Hostile saved captioners against autograder/suites/assignment3/test_trained_captioners.py.

The suite reads artifacts/rnn_captioning.npz and artifacts/lstm_captioning.npz
in the grader's own process. Every malformed file (wrong shapes, NaN, a pickle,
a missing key, arrays too large, a small file that claims a huge one, a
description that disagrees with the arrays) must be refused with a message that
names the file and what to fix, before any array reaches the reference model.
The slow tests grade whole folders with the suite: a bad file fails only its
own tests, and the other file's results are exactly what it gets alone.
"""
import os
import pickle
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder.testkit import CheckFailed
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "autograder" / "suites" / "assignment3" / "test_trained_captioners.py"
RNN, LSTM = "artifacts/rnn_captioning.npz", "artifacts/lstm_captioning.npz"
V, D, W, H = 46, 512, 8, 16


suite = load_module_file(SUITE, "trained_captioners_under_test")


def good_arrays(cell_type="rnn", seed=0):
    rng = np.random.default_rng(seed)
    G = suite.GATES[cell_type] * H
    shapes = {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, G), "Wh": (H, G), "b": (G,),
              "W_vocab": (H, V), "b_vocab": (V,)}
    arrays = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}
    arrays.update(cell_type=np.array(cell_type), input_dim=np.array(D), wordvec_dim=np.array(W),
                  hidden_dim=np.array(H))
    return arrays


@pytest.fixture
def root(tmp_path):
    (tmp_path / "artifacts").mkdir()
    return tmp_path


def check(root, name=RNN):
    return suite.checked_captioner(root / name, name, V, D)


def refused(root, *phrases, name=RNN):
    with pytest.raises(CheckFailed) as info:
        check(root, name)
    message = str(info.value)
    assert name in message, message
    for phrase in phrases:
        assert phrase in message, message
    return message


def save(root, arrays, name=RNN):
    np.savez(root / name, **arrays)


@pytest.mark.parametrize("name, cell_type", [(RNN, "rnn"), (LSTM, "lstm")])
def test_good_file_gives_its_description_and_float64_params(root, name, cell_type):
    arrays = good_arrays(cell_type)
    save(root, arrays, name)
    saved_cell, wordvec_dim, hidden_dim, params = check(root, name)
    assert (saved_cell, wordvec_dim, hidden_dim) == (cell_type, W, H)
    assert sorted(params) == sorted(suite.PARAMS)
    for key, value in params.items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, arrays[key])


def test_missing_file(root):
    refused(root, "is missing from your submission", "RNN_Captioning.ipynb")


def test_a_pickle_under_the_name(root):
    (root / RNN).write_bytes(pickle.dumps(good_arrays()))
    refused(root, "is not a file written by np.savez")


def test_an_object_array(root):
    arrays = good_arrays()
    arrays["W_proj"] = np.array([{"payload": 1}, None], dtype=object)
    save(root, arrays)
    refused(root, "is not a file written by np.savez")


@pytest.mark.parametrize("key", ["W_vocab", "cell_type", "hidden_dim"])
def test_a_missing_key(root, key):
    arrays = good_arrays()
    del arrays[key]
    save(root, arrays)
    refused(root, f"has no array {key!r}", "np.savez(path, cell_type=")


@pytest.mark.parametrize("key, shape, phrase", [
    ("Wh", (H, 4 * H), "Wh"),            # an LSTM's recurrent weights in the RNN's file
    ("W_proj", (H, D), "W_proj"),        # transposed
    ("W_embed", (V + 1, W), "W_embed"),  # another vocabulary
    ("b_vocab", (V, 1), "b_vocab"),
])
def test_wrong_shapes(root, key, shape, phrase):
    arrays = good_arrays()
    arrays[key] = np.zeros(shape, dtype=np.float32)
    save(root, arrays)
    message = refused(root, phrase)
    assert f"hidden_dim {H}" in message, message


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values(root, value):
    arrays = good_arrays()
    arrays["W_vocab"][3, 5] = value
    save(root, arrays)
    refused(root, "W_vocab", "finite floating-point numbers")


def test_integer_params(root):
    arrays = good_arrays()
    arrays["b"] = np.zeros(H, dtype=np.int64)
    save(root, arrays)
    refused(root, "b in", "floating-point")


def test_an_lstm_in_the_rnn_file(root):
    save(root, good_arrays("lstm"))
    refused(root, "cell_type 'lstm'", "RNN_Captioning.ipynb")


@pytest.mark.parametrize("key, value, phrase", [
    ("cell_type", np.array(1), "should be a str"),
    ("cell_type", np.array(["rnn", "rnn"]), "should be a str"),
    ("hidden_dim", np.array(16.0), "should be an integer"),
    ("hidden_dim", np.array(10**7), "between 1 and 1024"),
    ("wordvec_dim", np.array(0), "between 1 and 1024"),
    ("input_dim", np.array(256), "features have 512 dimensions"),
])
def test_a_wrong_description(root, key, value, phrase):
    arrays = good_arrays()
    arrays[key] = value
    save(root, arrays)
    refused(root, phrase)


def test_a_description_that_disagrees_with_the_arrays(root):
    arrays = good_arrays()
    arrays["hidden_dim"] = np.array(2 * H)
    save(root, arrays)
    refused(root, "W_proj", f"hidden_dim {2 * H}")


def test_huge_arrays_are_refused(root):
    arrays = good_arrays()
    arrays["extra"] = np.zeros(suite.MAX_BYTES // 8 + 1)
    save(root, arrays)
    refused(root, "MiB of arrays", "the limit is 64 MiB")


def test_a_small_file_claiming_huge_arrays_is_refused_before_reading(root):
    # Zip-bomb-ish: 128 MiB of zeros compressed into well under a megabyte.
    with zipfile.ZipFile(root / RNN, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("W_proj.npy", "w", force_zip64=True) as member:
            chunk = b"\0" * 2**24
            for _ in range(8):
                member.write(chunk)
    assert (root / RNN).stat().st_size < 2**20
    refused(root, "128 MiB of arrays")


def test_a_link_is_refused(root, tmp_path_factory):
    target = tmp_path_factory.mktemp("elsewhere") / "model.npz"
    np.savez(target, **good_arrays())
    (root / RNN).symlink_to(target)
    refused(root, "is a link")


# ---- whole folders through the suite (needs the built dataset and the reference artifacts) ----

def dataset_missing():
    try:
        from data import captioning
        return captioning.missing_reason()
    except Exception as exc:  # noqa: BLE001 (any reason not to run is a skip here)
        return str(exc)


ARTIFACTS = REPO / "source" / "assignment3"
DATASET_MISSING = dataset_missing()
slow_suite = pytest.mark.skipif(
    bool(DATASET_MISSING) or not all((ARTIFACTS / name).is_file() for name in (RNN, LSTM)),
    reason=f"needs captioning_scenes built ({DATASET_MISSING or 'it is'}) and the reference notebooks' "
           f"captioners saved in source/assignment3/artifacts (make notebooks)")


def grade(folder, tmp_path):
    """{test name: (outcome, message)} of the suite run on `folder` as a submission."""
    report = tmp_path / f"{folder.name}.xml"
    subprocess.run([sys.executable, "-m", "pytest", str(SUITE), f"--student-root={folder}", "-q",
                    "-p", "no:cacheprovider", f"--junitxml={report}", f"--rootdir={REPO}"],
                   cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
                   timeout=600)
    results = {}
    for case in ElementTree.parse(report).iter("testcase"):
        problem = next(iter(case), None)
        outcome = "passed" if problem is None else problem.tag
        results[case.get("name")] = (outcome, "" if problem is None else problem.get("message", ""))
    return results


def submission(tmp_path, name, rnn_bytes=None):
    folder = tmp_path / name
    (folder / "artifacts").mkdir(parents=True)
    shutil.copy(ARTIFACTS / LSTM, folder / LSTM)
    if rnn_bytes is not None:
        (folder / RNN).write_bytes(rnn_bytes)
    return folder


@pytest.fixture(scope="module")
def graded_alone(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("alone")
    return grade(submission(tmp_path, "good", (ARTIFACTS / RNN).read_bytes()), tmp_path)


@pytest.mark.slow
@slow_suite
def test_the_reference_captioners_earn_every_tier(graded_alone):
    assert len(graded_alone) == 6, graded_alone
    assert all(outcome == "passed" for outcome, _ in graded_alone.values()), graded_alone


@pytest.mark.slow
@slow_suite
@pytest.mark.parametrize("hostile", ["untrained", "nan", "missing", "pickle"])
def test_a_bad_rnn_file_fails_only_its_own_tests(tmp_path, graded_alone, hostile):
    if hostile in ("untrained", "nan"):
        with np.load(ARTIFACTS / RNN, allow_pickle=False) as saved:
            arrays = {key: saved[key] for key in saved.files}
        if hostile == "untrained":  # well formed, every tier out of reach
            rng = np.random.default_rng(0)
            arrays.update({key: 0.01 * rng.standard_normal(arrays[key].shape) for key in suite.PARAMS})
        else:
            arrays["Wh"] = arrays["Wh"].copy()
            arrays["Wh"][0, 0] = np.nan
        bad = tmp_path / "bad.npz"
        np.savez(bad, **arrays)
        content = bad.read_bytes()
    else:
        content = {"missing": None, "pickle": pickle.dumps({"W_proj": np.zeros(3)})}[hostile]
    results = grade(submission(tmp_path, hostile, content), tmp_path)
    assert results.keys() == graded_alone.keys()
    for test, (outcome, message) in results.items():
        if test.startswith("test_rnn_"):
            assert outcome == "failure" and RNN in message, (test, outcome, message)
        else:
            assert (outcome, message) == graded_alone[test], test
