"""Inverted dropout (cs231n/layers.py): dropout_forward and dropout_backward.

p is the probability of KEEPING a unit. In training mode kept units are
divided by p, so the output has the input's expectation; in test mode the
layer is the identity. With a seed, the mask is np.random.rand(*x.shape) < p
right after np.random.seed(seed) (the seeding is given code). Each test
checks one thing:

* public: the fraction of units kept, the scale of the kept units (1 / p),
  test mode, repeatable masks with a seed, and the backward pass against the
  numerical gradient of the student's own forward pass;
* hidden: masks drawn with a seed against the reference (the documented
  np.random.rand(*x.shape) < p; p = 1 among them), and the backward
  pass against the mask the student's own forward pass applied (dout times
  out / x for positive x), so a wrong forward pass is not charged again.

The representation of the mask in the cache is the student's choice.
"""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_close, case, unpack

MOD = "cs231n.layers"
KEEP = [0.25, 0.4, 0.7]


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
def test_train_mode_keeps_a_fraction_p(student, rng):
    """p is the probability of keeping a unit, for p in 0.25, 0.4 and 0.7."""
    x = positive_input(rng, (400, 250))
    for p in KEEP:
        out, _ = forward(student, x, {"mode": "train", "p": p})
        kept = np.mean(out != 0)
        # 100,000 units: the kept fraction is within 0.01 of p far beyond 5 standard errors.
        if not abs(kept - p) <= 0.01:
            raise CheckFailed(f"dropout_forward with p={p} (the probability of keeping a unit) kept "
                              f"{kept:.3f} of the units; it should keep about {p}")


@pytest.mark.public
@pytest.mark.points(1)
def test_kept_units_are_scaled_by_1_over_p(student, rng):
    """Inverted dropout divides the kept units by p, so the mean of the output is that of the input."""
    x = positive_input(rng, (50, 40))
    for p in KEEP:
        out, _ = forward(student, x, {"mode": "train", "p": p})
        kept = out != 0
        if not np.any(kept):
            continue  # keeping nothing is the fraction test's business
        with case(f"dropout_forward in train mode with p={p}"):
            assert_close(out[kept], x[kept] / p, "the kept units of out (inverted dropout divides them by p)")


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
def test_backward_small_case(student, rng):
    """In training mode the gradient passes through the kept units, times 1 / p, and is 0 at the
    dropped ones: dx = dout * out / x for positive x (out / x is the mask your forward pass applied)."""
    x = positive_input(rng, (5, 8))
    dout = rng.standard_normal((5, 8))
    out, cache = forward(student, x, {"mode": "train", "p": 0.6, "seed": 3})
    dx = student.function(MOD, "dropout_backward")(dout, cache)
    with case("dropout_backward in train mode with p=0.6, against the mask of your dropout_forward"):
        assert_close(dx, dout * (out / x), "dx")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
def test_mask_matches_reference(student, reference, rng):
    """The same seed gives the same mask as np.random.rand(*x.shape) < p, the docstring's convention;
    p = 1 keeps every unit."""
    for p in [0.1, 0.5, 0.8, 1.0]:
        for shape in [(1, 1), (3, 10), (4, 3, 5, 5)]:
            x = positive_input(rng, shape)
            param = {"mode": "train", "p": p, "seed": int(rng.integers(0, 2**31))}
            out, _ = forward(student, x, param)
            ref_out, _ = reference.function(MOD, "dropout_forward")(x, dict(param))
            with case(f"dropout_forward with p={p}, a seed and x of shape {shape} (draw the mask as "
                      "np.random.rand(*x.shape) < p)"):
                assert_close(out, ref_out, "out")


@pytest.mark.points(2)
def test_backward_applies_the_forward_mask(student, rng):
    """dx = dout * out / x: the gradient goes through the units your forward pass kept, times 1 / p
    (positive x, so out / x is the mask your forward pass applied)."""
    backward = student.function(MOD, "dropout_backward")
    for p, shape in [(0.3, (1, 4)), (0.9, (6, 5)), (0.5, (2, 3, 4, 4))]:
        x = positive_input(rng, shape)
        dout = rng.standard_normal(shape)
        out, cache = forward(student, x, {"mode": "train", "p": p, "seed": int(rng.integers(0, 2**31))})
        dx = backward(dout, cache)
        with case(f"dropout_backward in train mode with p={p} and dout of shape {shape}, against the mask "
                  "of your dropout_forward"):
            assert_close(dx, dout * (out / x), "dx")
