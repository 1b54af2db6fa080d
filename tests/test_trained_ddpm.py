"""Hostile saved U-Nets (autograder/suites/assignment3/test_trained_ddpm.py).

The suite's own functions read a file as the grader does, on its trusted side,
with the reference solution. Each hostile file is a copy of the reference
notebook's saved U-Net (source/assignment3/artifacts/ddpm_unet.npz) with one
thing wrong: it must be refused with a message naming the problem, before the
reference model is built. Arrays the grader does not read (extra names, a
pickled object array under another name) must change nothing: the checked
weights, from which alone the score is computed, stay those of the correct file.

    .venv/bin/python -m pytest tests/test_trained_ddpm.py
"""
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.testkit import CheckFailed, InProcessCode

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "autograder" / "suites" / "assignment3" / "test_trained_ddpm.py"
SAVED = REPO / "source" / "assignment3" / "artifacts" / "ddpm_unet.npz"
JUDGE = REPO / "source" / "assignment3" / "models" / "mnist_classifier.npz"


def load_suite():
    spec = importlib.util.spec_from_file_location("trained_ddpm_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


suite = load_suite()


@pytest.fixture(scope="module")
def reference():
    if not SAVED.is_file():
        pytest.skip(f"{SAVED} is not there yet: execute DDPM.ipynb")
    return InProcessCode(REPO / "source")


@pytest.fixture(scope="module")
def saved():
    with np.load(SAVED, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


def write(tmp_path, arrays, name="ddpm_unet.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def refused(path, reference, *phrases):
    with pytest.raises(CheckFailed) as info:
        suite.confident_share(path, reference, JUDGE)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, message
    return message


def same_as_the_correct_file(path, reference):
    weights, good = suite.checked_weights(path, reference), suite.checked_weights(SAVED, reference)
    assert weights.keys() == good.keys()
    for name in weights:
        assert np.array_equal(weights[name], good[name]), name


def test_the_reference_model_earns_every_tier(reference):
    share = suite.confident_share(SAVED, reference, JUDGE)
    assert share >= max(suite.CONFIDENT_TIERS), share


def test_an_untrained_unet_earns_nothing(tmp_path, reference):
    import torch

    torch.manual_seed(0)
    state = reference.function("cs231n.mnist_classifier", "state_arrays")(reference.new("cs231n.unet", "UNet"))
    share = suite.confident_share(write(tmp_path, state), reference, JUDGE)
    assert share < min(suite.CONFIDENT_TIERS), share


def test_a_copy_is_read_the_same(tmp_path, reference):
    copy = tmp_path / "copy.npz"
    shutil.copyfile(SAVED, copy)
    same_as_the_correct_file(copy, reference)


def test_unread_arrays_change_nothing(tmp_path, reference, saved):
    same_as_the_correct_file(write(tmp_path, dict(saved, notes=np.arange(5), big=np.full(3, 1e30))), reference)


def test_a_pickled_array_under_another_name_is_never_loaded(tmp_path, reference, saved):
    path = tmp_path / "with_object.npz"
    np.savez(path, **saved, extra=np.array([{"a": 1}], dtype=object))
    same_as_the_correct_file(path, reference)


@pytest.mark.parametrize("name", ["inp.weight", "mid2.time.bias", "out.bias"])
def test_a_missing_array_is_named(tmp_path, reference, saved, name):
    refused(write(tmp_path, {k: v for k, v in saved.items() if k != name}), reference, repr(name))


@pytest.mark.parametrize("name, shape", [("inp.weight", (32, 1, 3, 3)), ("up1.skip.weight", (16, 48)),
                                         ("out.bias", ())])
def test_a_wrong_shape_is_refused_with_the_shape_expected(tmp_path, reference, saved, name, shape):
    refused(write(tmp_path, dict(saved, **{name: np.zeros(shape, dtype=np.float32)})), reference, name, "has shape")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_weights_are_refused(tmp_path, reference, saved, value):
    bad = saved["down2.conv1.weight"].copy()
    bad.flat[3] = value
    refused(write(tmp_path, dict(saved, **{"down2.conv1.weight": bad})), reference, "down2.conv1.weight", "finite")


def test_integer_weights_are_refused(tmp_path, reference, saved):
    bad = saved["out.weight"].astype(np.int64)
    refused(write(tmp_path, dict(saved, **{"out.weight": bad})), reference, "out.weight", "floating-point")


def test_a_pickled_weight_is_refused(tmp_path, reference, saved):
    path = tmp_path / "pickled.npz"
    np.savez(path, **dict(saved, **{"inp.bias": np.array([object()] * 16, dtype=object)}))
    refused(path, reference, suite.ARTIFACT)


def test_a_file_that_is_not_an_npz_is_refused(tmp_path, reference):
    path = tmp_path / "ddpm_unet.npz"
    path.write_bytes(b"\x80\x04K\x01.")  # a pickle
    refused(path, reference, suite.ARTIFACT)


def test_a_missing_file_is_refused(tmp_path, reference):
    refused(tmp_path / "ddpm_unet.npz", reference, suite.ARTIFACT)
