"""Inverted dropout (cs231n/layers.py): dropout_forward and dropout_backward.

p is the probability of KEEPING a unit. In training mode kept units are
divided by p, so the output has the input's expectation; in test mode the
layer is the identity. With a seed, the mask is np.random.rand(*x.shape) < p
right after np.random.seed(seed). The cache is (dropout_param, mask) with
mask holding 1 / p where a unit is kept and 0 where it is dropped; the
backward tests build that cache themselves, so a wrong forward pass does not
also cost them.

Public tests check statistics of the mask (fraction kept, scale, mean),
test mode and a numerical gradient. Hidden tests compare masks drawn with the
same seed with the reference, and the backward pass on given caches.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_close, numerical_gradient, unpack

MOD = "cs231n.layers"
KEEP = [0.25, 0.4, 0.7]
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def assert_matches_numerical(got, numerical, name, tol=GRAD_TOL):
    """An analytic gradient against a numerical one, the error measured relative to the
    gradient's largest entries: an entry near 0 carries the numerical estimate's rounding
    error, which is small in absolute terms but has no meaningful relative error."""
    assert_array(got, name, numerical.shape)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{name} contains nan or inf values")
    scale = max(1e-8, float(np.max(np.abs(got), initial=0) + np.max(np.abs(numerical), initial=0)))
    error = float(np.max(np.abs(got - numerical), initial=0)) / scale
    if not error <= tol:
        raise CheckFailed(f"{name} differs from the numerical gradient: largest difference {error:.2g} "
                          f"relative to the largest entries (allowed {tol:.0e})")


def forward(code, x, dropout_param):
    """dropout_forward(x, dropout_param); checks the form and returns (out, cache)."""
    out, cache = unpack(code.function(MOD, "dropout_forward")(x, dropout_param), ["out", "cache"],
                        "dropout_forward")
    assert_array(out, "out from dropout_forward", x.shape)
    return out, cache


def positive_input(rng, shape):
    """Values in [1, 2]: a dropped unit (exactly 0) can never be mistaken for a kept one."""
    return rng.uniform(1.0, 2.0, size=shape)


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("p", KEEP)
def test_train_mode_keeps_a_fraction_p_scaled_by_1_over_p(student, rng, p):
    x = positive_input(rng, (400, 250))
    out, _ = forward(student, x, {"mode": "train", "p": p})
    kept = out != 0
    # 100,000 units: the kept fraction is within 0.01 of p far beyond 5 standard errors.
    if not abs(kept.mean() - p) <= 0.01:
        raise CheckFailed(f"dropout_forward with p={p} (the probability of keeping a unit) kept "
                          f"{kept.mean():.3f} of the units; it should keep about {p}")
    assert_close(out[kept], x[kept] / p, f"the kept units of dropout_forward with p={p} "
                 "(inverted dropout divides them by p)")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("p", KEEP)
def test_output_mean_is_preserved(student, rng, p):
    """Inverted dropout: the mean of the output is the mean of the input, in both modes."""
    # 10**6 units: for p = 0.25 the relative standard error of the mean is sqrt((1 - p) / (p * 10**6))
    # = 0.17%, so the 1% allowed is more than 5 standard errors.
    x = positive_input(rng, (1000, 1000)) + 9.0
    for mode in ("train", "test"):
        out, _ = forward(student, x, {"mode": mode, "p": p})
        if not abs(out.mean() / x.mean() - 1) <= 0.01:
            raise CheckFailed(f"dropout_forward in {mode} mode with p={p}: the output has mean "
                              f"{out.mean():.3f} but the input has mean {x.mean():.3f}; they should be "
                              "about equal")


@pytest.mark.public
@pytest.mark.points(1)
def test_test_mode_is_the_identity(student, rng):
    x = rng.standard_normal((6, 7))
    out, _ = forward(student, x, {"mode": "test", "p": 0.3})
    assert_close(out, x, "out from dropout_forward in test mode (it should be x, unchanged)")


@pytest.mark.public
@pytest.mark.points(1)
def test_seed_makes_the_mask_repeatable(student, rng):
    x = positive_input(rng, (20, 30))
    first, _ = forward(student, x, {"mode": "train", "p": 0.5, "seed": 17})
    second, _ = forward(student, x, {"mode": "train", "p": 0.5, "seed": 17})
    if not np.array_equal(first != 0, second != 0):
        raise CheckFailed("dropout_forward with the same seed dropped different units in two calls; "
                          "call np.random.seed(dropout_param['seed']) before drawing the mask")


@pytest.mark.public
@pytest.mark.points(1)
def test_backward_numerical_gradient(student, rng):
    x = rng.standard_normal((5, 8))
    dout = rng.standard_normal((5, 8))
    param = {"mode": "train", "p": 0.6, "seed": 3}
    _, cache = forward(student, x, param)
    dx = student.function(MOD, "dropout_backward")(dout, cache)
    forward_fn = student.function(MOD, "dropout_forward")
    num_dx = numerical_gradient(lambda x_: float(np.sum(forward_fn(x_, param)[0] * dout)), x)
    with case("dropout_backward vs the numerical gradient of your dropout_forward (seed fixed)"):
        assert_matches_numerical(dx, num_dx, "dx")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_matches_reference(student, reference, rng, p):
    """The same seed gives the same mask as np.random.rand(*x.shape) < p."""
    for shape in [(1, 1), (3, 10), (4, 3, 5, 5)]:
        x = positive_input(rng, shape)
        param = {"mode": "train", "p": p, "seed": int(rng.integers(0, 2**31))}
        out, _ = forward(student, x, param)
        ref_out, _ = reference.function(MOD, "dropout_forward")(x, dict(param))
        with case(f"dropout_forward with p={p}, a seed and x of shape {shape} (draw the mask as "
                  "np.random.rand(*x.shape) < p)"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_keep_probability_one_keeps_everything(student, rng):
    x = rng.standard_normal((30, 40))
    out, _ = forward(student, x, {"mode": "train", "p": 1.0})
    assert_close(out, x, "out from dropout_forward in train mode with p=1 (every unit is kept)")


@pytest.mark.points(1)
def test_output_dtype_matches_input(student, rng):
    x = positive_input(rng, (10, 10)).astype(np.float32)
    for mode in ("train", "test"):
        out, _ = forward(student, x, {"mode": mode, "p": 0.5, "seed": 1})
        if out.dtype != np.float32:
            raise CheckFailed(f"dropout_forward in {mode} mode on a float32 x returned dtype {out.dtype}; "
                              "the output should have the dtype of x")


@pytest.mark.points(1)
def test_cache_holds_the_scaled_mask(student, rng):
    """cache = (dropout_param, mask), mask = 1 / p where kept and 0 where dropped."""
    x = positive_input(rng, (12, 9))
    param = {"mode": "train", "p": 0.4, "seed": 5}
    out, cache = forward(student, x, param)
    if not isinstance(cache, (tuple, list)) or len(cache) != 2:
        raise CheckFailed("the cache of dropout_forward should be the tuple (dropout_param, mask)")
    with case("the mask in the cache of dropout_forward in train mode"):
        assert_close(cache[1], (out != 0) / 0.4, "mask (1 / p where kept, 0 where dropped)")


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.3, 0.9])
def test_backward_train_mode_matches_reference(student, reference, rng, p):
    for shape in [(1, 4), (6, 5), (2, 3, 4, 4)]:
        mask = (rng.random(shape) < p) / p
        dout = rng.standard_normal(shape)
        cache = ({"mode": "train", "p": p}, mask)
        dx = student.function(MOD, "dropout_backward")(dout, cache)
        ref_dx = reference.function(MOD, "dropout_backward")(dout, cache)
        with case(f"dropout_backward in train mode with p={p} and dout of shape {shape}"):
            assert_close(dx, ref_dx, "dx")

