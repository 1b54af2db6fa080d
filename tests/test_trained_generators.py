"""Hostile saved DCGAN generators (autograder/suites/assignment3/test_trained_generators.py).

The suite's own functions read a file as the grader does, on its trusted side,
with the reference solution. Each hostile file is a copy of the reference
notebook's saved generator (source/assignment3/artifacts/dc_generator.npz) with
one thing wrong: it must be refused with a message naming the problem, before
any array reaches the reference generator. Arrays the grader does not read
(extra names, a pickled object array under another name) change nothing. A
generator written as an own nn.Module, whose state_dict has other names but
the docstring's layers in its order, is read as the same generator. The
correct file's verdict is the same before and after the hostile ones.

    .venv/bin/python -m pytest tests/test_trained_generators.py
"""
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.testkit import CheckFailed, InProcessCode
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "autograder" / "suites" / "assignment3" / "test_trained_generators.py"
SAVED = REPO / "source" / "assignment3" / "artifacts" / "dc_generator.npz"
JUDGE = REPO / "source" / "assignment3" / "models" / "mnist_classifier.npz"
FAIRNESS = REPO / "tests" / "fairness" / "assignment3" / "gan_pytorch"
SEED = 7

suite = load_module_file(SUITE, "trained_generators_suite")


@pytest.fixture(scope="module")
def reference():
    from data.prepare import missing_reason
    reason = missing_reason(suite.DATASET)
    if reason:
        pytest.skip(reason)
    if not SAVED.is_file():
        pytest.skip(f"{SAVED} is not there yet: execute Generative_Adversarial_Networks.ipynb")
    return InProcessCode(REPO / "source")


@pytest.fixture(scope="module")
def saved():
    with np.load(SAVED, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


@pytest.fixture(scope="module")
def real_features(reference):
    images, _ = reference.function("cs231n.mnist_data", "mnist_arrays")(train=False)
    judge = reference.function(suite.JUDGE, "load_classifier")(str(JUDGE))
    return reference.function(suite.JUDGE, "judge")(judge, images[:suite.NUM_SAMPLES])[2]


@pytest.fixture(scope="module")
def good_verdict(reference, real_features):
    return suite.generator_verdict(SAVED, reference, JUDGE, SEED, real_features)


def write(tmp_path, arrays, name="dc_generator.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def refused(path, reference, *phrases):
    with pytest.raises(CheckFailed) as info:
        suite.checked_file(path, reference)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, message
    return message


def same_as_the_correct_file(path, reference):
    noise_dim, state, _ = suite.checked_file(path, reference)
    good_noise_dim, good_state, _ = suite.checked_file(SAVED, reference)
    assert noise_dim == good_noise_dim
    assert list(state) == list(good_state)
    for name in state:
        assert state[name].dtype == good_state[name].dtype and np.array_equal(state[name], good_state[name]), name


def weight_names(saved):
    return [name for name in saved if name != "noise_dim"]


def test_the_reference_generator_earns_every_point(good_verdict):
    assert good_verdict["confident"] >= max(suite.CONFIDENT_TIERS), good_verdict
    assert good_verdict["digits"] == list(range(10)), good_verdict
    assert good_verdict["distance"] <= suite.MAX_DISTANCE, good_verdict


def test_the_file_holds_the_reference_names_in_state_dict_order(reference, saved):
    generator = reference.function(suite.GAN, "build_dc_generator")(int(saved["noise_dim"]))
    assert weight_names(saved) == list(reference.function(suite.JUDGE, "state_arrays")(generator))


def test_a_copy_is_read_the_same(tmp_path, reference):
    copy = tmp_path / "copy.npz"
    shutil.copyfile(SAVED, copy)
    same_as_the_correct_file(copy, reference)


def test_an_own_module_with_other_names_in_the_same_order_is_the_same_generator(tmp_path, reference, saved):
    renamed = {"noise_dim": saved["noise_dim"]}
    renamed.update({f"layer{k:02d}.{name.split('.')[-1]}": saved[name] for k, name in enumerate(weight_names(saved))})
    same_as_the_correct_file(write(tmp_path, renamed), reference)


@pytest.mark.parametrize("variant", sorted(p.name for p in FAIRNESS.glob("correct_*.py")))
def test_generators_of_the_correct_fairness_variants_save_files_read_the_same(tmp_path, reference, saved, variant):
    """Each correct gan_pytorch of tests/fairness (own nn.Module classes, other layer names) holds the
    reference's weights and is saved as the notebook's last cell does: the grader reads it as the same file."""
    import torch

    module = load_module_file(FAIRNESS / variant, f"gan_variant_{variant[:-3]}")
    generator = module.build_dc_generator(int(saved["noise_dim"]))
    names = list(generator.state_dict())
    assert len(names) == len(weight_names(saved))
    generator.load_state_dict({name: torch.from_numpy(saved[old]) for name, old in zip(names, weight_names(saved))})
    path = tmp_path / "dc_generator.npz"
    np.savez(path, noise_dim=saved["noise_dim"],
             **{name: value.numpy() for name, value in generator.state_dict().items()})
    same_as_the_correct_file(path, reference)


def test_layers_in_another_order_are_refused_with_the_order_expected(tmp_path, reference, saved):
    names = weight_names(saved)
    # An own nn.Module that creates the transposed convolutions before the linear layers.
    reordered = {"noise_dim": saved["noise_dim"]}
    reordered.update({f"m{k:02d}": saved[name] for k, name in enumerate(names[14:] + names[:14])})
    refused(write(tmp_path, reordered), reference, "has shape", "docstring's order")


def test_unread_arrays_change_nothing(tmp_path, reference, saved):
    same_as_the_correct_file(write(tmp_path, dict(saved, notes=np.arange(5), extra=np.full(3, 1e30))), reference)


def test_a_pickled_array_under_another_name_is_never_loaded(tmp_path, reference, saved):
    path = tmp_path / "with_object.npz"
    np.savez(path, **saved, extra=np.array([{"a": 1}], dtype=object))
    same_as_the_correct_file(path, reference)


def test_a_pickled_array_in_place_of_a_weight_is_refused(tmp_path, reference, saved):
    path = tmp_path / "object_weight.npz"
    np.savez(path, **dict(saved, **{"0.weight": np.array([{"a": 1}], dtype=object)}))
    refused(path, reference, "is not a file written by np.savez")


@pytest.mark.parametrize("name", ["0.weight", "2.running_var", "9.bias"])
def test_a_missing_array_is_counted(tmp_path, reference, saved, name):
    assert name in saved
    arrays = {k: v for k, v in saved.items() if k != name}
    refused(write(tmp_path, arrays), reference, "arrays besides noise_dim", "22", "23")


def test_a_missing_noise_dim_is_named(tmp_path, reference, saved):
    arrays = {k: v for k, v in saved.items() if k != "noise_dim"}
    refused(write(tmp_path, arrays), reference, "'noise_dim'", "np.savez(path, noise_dim=")


@pytest.mark.parametrize("name, shape", [("0.weight", (1024, 95)), ("3.weight", (6272, 1023)),
                                         ("7.weight", (128, 64, 3, 3))])
def test_a_wrong_shape_is_refused_with_the_shape_expected(tmp_path, reference, saved, name, shape):
    arrays = dict(saved, **{name: np.zeros(shape, dtype=np.float32)})
    refused(write(tmp_path, arrays), reference, name, "has shape", str(saved[name].shape))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values_are_refused(tmp_path, reference, saved, value):
    weight = saved["0.weight"].copy()
    weight[0, 0] = value
    refused(write(tmp_path, dict(saved, **{"0.weight": weight})), reference, "0.weight", "finite")


def test_integer_weights_and_a_float_counter_are_refused(tmp_path, reference, saved):
    refused(write(tmp_path, dict(saved, **{"0.bias": saved["0.bias"].astype(np.int64)})), reference,
            "0.bias", "floating-point")
    refused(write(tmp_path, dict(saved, **{"2.num_batches_tracked": np.array(400.0)})), reference,
            "2.num_batches_tracked", "integer")


def test_a_negative_running_variance_is_refused(tmp_path, reference, saved):
    variance = saved["2.running_var"].copy()
    variance[3] = -1.0
    refused(write(tmp_path, dict(saved, **{"2.running_var": variance})), reference, "2.running_var", "negative")


@pytest.mark.parametrize("value", [0, -1, 10**9, suite.MAX_NOISE_DIM + 1])
def test_an_out_of_range_noise_dim_is_refused_before_any_generator_is_built(tmp_path, reference, saved, value):
    refused(write(tmp_path, dict(saved, noise_dim=np.array(value))), reference, "noise_dim", "between 1 and")


@pytest.mark.parametrize("value", [np.array(96.0), np.array([96, 96]), np.array("96")])
def test_a_noise_dim_that_is_not_one_integer_is_refused(tmp_path, reference, saved, value):
    refused(write(tmp_path, dict(saved, noise_dim=value)), reference, "noise_dim", "one integer")


def test_another_noise_dim_builds_another_generator(tmp_path, reference, saved):
    # The file says 95 but holds the weights of 96 inputs: the first layer's shape gives it away.
    refused(write(tmp_path, dict(saved, noise_dim=np.array(95))), reference, "0.weight", "(1024, 95)")


def test_a_huge_file_is_refused_before_reading(tmp_path, reference, saved):
    path = tmp_path / "huge.npz"
    np.savez(path, **saved, padding=np.zeros(suite.MAX_BYTES // 8 + 1))
    refused(path, reference, "MiB")


def test_not_an_npz_and_a_missing_file(tmp_path, reference):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"import os; os.system('echo hi')\n")
    refused(bad, reference, "np.savez")
    refused(tmp_path / "absent.npz", reference, "missing", suite.NOTEBOOK)


def test_a_link_is_refused(tmp_path, reference):
    link = tmp_path / "artifacts"
    link.mkdir()
    (link / "dc_generator.npz").symlink_to(SAVED)
    refused(link / "dc_generator.npz", reference, "link")


def test_a_collapsed_generator_loses_the_digit_and_distance_points(tmp_path, reference, saved, real_features):
    """Every noise vector gives the same image: the last layer's weights zeroed leave only its bias."""
    arrays = dict(saved)
    last = weight_names(saved)[-2]   # the second transposed convolution's weight
    arrays[last] = np.zeros_like(saved[last])
    verdict = suite.generator_verdict(write(tmp_path, arrays), reference, JUDGE, SEED, real_features)
    assert len(verdict["digits"]) <= 1 and verdict["distance"] > suite.MAX_DISTANCE, verdict


def test_the_correct_file_still_judges_the_same_after_the_hostile_ones(reference, good_verdict, real_features):
    assert suite.generator_verdict(SAVED, reference, JUDGE, SEED, real_features) == good_verdict
