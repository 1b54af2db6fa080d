"""Hostile saved Transformers (autograder/suites/assignment3/test_trained_transformer.py).

The suite's own functions read a file as the grader does, on its trusted side,
with the reference solution. Each hostile file is a copy of the reference
notebook's saved model (source/assignment3/artifacts/transformer_captioning.npz)
with one thing wrong: it must be refused with a message naming the problem,
before the reference model is built. Arrays the grader does not read (extra
names, a pickled object array under another name, a bad positional code)
must change nothing: the checked sizes and parameters, from which alone the
score is computed, stay those of the correct file, and the correct file's
score is the same before and after the hostile ones.

    .venv/bin/python -m pytest tests/test_trained_transformer.py
"""
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.testkit import CheckFailed, InProcessCode
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "autograder" / "suites" / "assignment3" / "test_trained_transformer.py"
SAVED = REPO / "source" / "assignment3" / "artifacts" / "transformer_captioning.npz"


suite = load_module_file(SUITE, "trained_transformer_suite")


@pytest.fixture(scope="module")
def reference():
    from data.prepare import missing_reason
    reason = missing_reason(suite.DATASET)
    if reason:
        pytest.skip(reason)
    if not SAVED.is_file():
        pytest.skip(f"{SAVED} is not there yet: execute Transformer_Captioning.ipynb")
    return InProcessCode(REPO / "source")


@pytest.fixture(scope="module")
def saved():
    with np.load(SAVED, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


@pytest.fixture(scope="module")
def good_score(reference):
    return suite.captioner_bleu(SAVED, reference)


def write(tmp_path, arrays, name="transformer_captioning.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def refused(path, reference, *phrases):
    with pytest.raises(CheckFailed) as info:
        suite.captioner_bleu(path, reference)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_the_reference_model_earns_every_tier(good_score):
    assert good_score >= max(suite.BLEU_TIERS), good_score


def same_as_the_correct_file(path, reference):
    sizes, weights, _ = suite.checked_file(path, reference)
    good_sizes, good_weights, _ = suite.checked_file(SAVED, reference)
    assert sizes == good_sizes
    assert weights.keys() == good_weights.keys()
    for name in weights:
        assert np.array_equal(weights[name], good_weights[name]), name


def test_a_copy_is_read_the_same(tmp_path, reference):
    copy = tmp_path / "copy.npz"
    shutil.copyfile(SAVED, copy)
    same_as_the_correct_file(copy, reference)


def test_unread_arrays_change_nothing(tmp_path, reference, saved):
    arrays = dict(saved, **{"positional_encoding.pe": np.full_like(saved["positional_encoding.pe"], 1e30),
                            "notes": np.arange(5)})
    same_as_the_correct_file(write(tmp_path, arrays), reference)


def test_a_pickled_array_under_another_name_is_never_loaded(tmp_path, reference, saved):
    path = tmp_path / "with_object.npz"
    np.savez(path, **saved, extra=np.array([{"a": 1}], dtype=object))
    # np.load(allow_pickle=False) fails only when the object array is read; the grader never reads it.
    same_as_the_correct_file(path, reference)


@pytest.mark.parametrize("name", ["embedding.weight", "transformer.layers.1.norm3.bias", "num_heads"])
def test_a_missing_array_is_named(tmp_path, reference, saved, name):
    arrays = {k: v for k, v in saved.items() if k != name}
    refused(write(tmp_path, arrays), reference, repr(name))


@pytest.mark.parametrize("name, shape", [("embedding.weight", (3, 3)), ("output.weight", (46, 64)),
                                         ("transformer.layers.0.linear1.weight", (128, 128))])
def test_a_wrong_shape_is_refused_with_the_shape_expected(tmp_path, reference, saved, name, shape):
    arrays = dict(saved, **{name: np.zeros(shape, dtype=np.float32)})
    refused(write(tmp_path, arrays), reference, name, "has shape")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_parameters_are_refused(tmp_path, reference, saved, value):
    weight = saved["visual_projection.weight"].copy()
    weight[0, 0] = value
    refused(write(tmp_path, dict(saved, **{"visual_projection.weight": weight})), reference,
            "visual_projection.weight", "finite")


def test_integer_parameters_are_refused(tmp_path, reference, saved):
    arrays = dict(saved, **{"output.bias": saved["output.bias"].astype(np.int64)})
    refused(write(tmp_path, arrays), reference, "output.bias", "floating-point")


@pytest.mark.parametrize("name, value, phrase", [
    ("num_layers", 1000, "between 1 and"), ("wordvec_dim", 2**20, "between 1 and"),
    ("num_heads", 0, "between 1 and"), ("num_heads", 3, "multiple of num_heads"),
    ("input_dim", 7, "features"), ("max_length", 4, "at least 16"), ("num_layers", -1, "between 1 and")])
def test_out_of_range_sizes_are_refused_before_any_model_is_built(tmp_path, reference, saved, name, value, phrase):
    refused(write(tmp_path, dict(saved, **{name: np.array(value)})), reference, name, phrase)


@pytest.mark.parametrize("value", [np.array(2.5), np.array([2, 2]), np.array("2")])
def test_a_size_that_is_not_one_integer_is_refused(tmp_path, reference, saved, value):
    refused(write(tmp_path, dict(saved, num_heads=value)), reference, "num_heads", "one integer")


def test_a_huge_file_is_refused_before_reading(tmp_path, reference, saved):
    path = tmp_path / "huge.npz"
    np.savez(path, **saved, padding=np.zeros(suite.MAX_BYTES // 8 + 1))
    refused(path, reference, "MiB")


def test_not_an_npz_and_a_missing_file(tmp_path, reference):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"import os; os.system('echo hi')\n")
    refused(bad, reference, "np.savez")
    refused(tmp_path / "absent.npz", reference, "missing")


def test_a_link_is_refused(tmp_path, reference):
    link = tmp_path / "artifacts"
    link.mkdir()
    (link / "transformer_captioning.npz").symlink_to(SAVED)
    refused(link / "transformer_captioning.npz", reference, "link")


def test_the_correct_file_still_scores_the_same_after_the_hostile_ones(reference, good_score):
    assert suite.captioner_bleu(SAVED, reference) == good_score
