"""Convolutional layers (cs231n/layers.py): naive convolution and max pooling,
spatial batch normalization and spatial group normalization.

The convolution's cache is (x, w, b, conv_param) and the pool's (x,
pool_param) (given code), so their backward tests build those caches
themselves and never depend on the forward pass. The caches of the
normalization layers are the student's choice: their backward tests use the
student's own forward pass, and count only where that forward pass gives the
right output (its own tests charge it otherwise).

Spatial batch normalization is batch normalization of the pixels as rows: its
values must be the correct ones or what the student's own batchnorm_forward
and batchnorm_backward (or batchnorm_backward_alt) give on the reshaped
arrays, so a batchnorm mistake is charged by batchnorm's tests only.

Public tests check cases that can be worked out by hand (1x1 filters, a
filter that copies its input, a window of ones, a pool on a known image),
per-group statistics, and numerical gradients of the student's own forward
passes. Hidden tests compare with the reference over combinations of stride
and pad, non-square filters and windows, odd spatial sizes, overlapping
pools, N = 1, and G = 1 and G = C for group normalization; where eps goes is
the eps tests' business (the other tests use a tiny eps).
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_matches, case,
                                describe, numerical_gradient, unpack)

MOD = "cs231n.layers"
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries
TINY_EPS = 1e-12  # where eps goes makes no visible difference with it (the eps tests use 0.5)


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


def conv_out_size(size, filter_size, stride, pad):
    return 1 + (size + 2 * pad - filter_size) // stride


def conv_forward(code, x, w, b, conv_param):
    """conv_forward_naive; checks the form (and output shape) and returns (out, cache)."""
    out, cache = unpack(code.function(MOD, "conv_forward_naive")(x, w, b, conv_param), ["out", "cache"],
                        "conv_forward_naive")
    stride, pad = conv_param["stride"], conv_param["pad"]
    shape = (x.shape[0], w.shape[0], conv_out_size(x.shape[2], w.shape[2], stride, pad),
             conv_out_size(x.shape[3], w.shape[3], stride, pad))
    assert_array(out, f"out from conv_forward_naive with x of shape {x.shape}, w of shape {w.shape}, "
                 f"stride {stride} and pad {pad}", shape)
    return out, cache


def pool_forward(code, x, pool_param):
    """max_pool_forward_naive; checks the form and returns (out, cache)."""
    out, cache = unpack(code.function(MOD, "max_pool_forward_naive")(x, pool_param), ["out", "cache"],
                        "max_pool_forward_naive")
    shape = (*x.shape[:2], 1 + (x.shape[2] - pool_param["pool_height"]) // pool_param["stride"],
             1 + (x.shape[3] - pool_param["pool_width"]) // pool_param["stride"])
    assert_array(out, f"out from max_pool_forward_naive with x of shape {x.shape} and {pool_param}", shape)
    return out, cache


def norm_forward(code, name, x, gamma, beta, *args):
    out, cache = unpack(code.function(MOD, name)(x, gamma, beta, *args), ["out", "cache"], name)
    assert_array(out, f"out from {name}", x.shape)
    return out, cache


def norm_backward(code, name, dout, cache, param_shape):
    dx, dgamma, dbeta = unpack(code.function(MOD, name)(dout, cache), ["dx", "dgamma", "dbeta"], name)
    assert_array(dx, f"dx from {name}", dout.shape)
    assert_array(dgamma, f"dgamma from {name}", param_shape)
    assert_array(dbeta, f"dbeta from {name}", param_shape)
    return dx, dgamma, dbeta


def summed(forward, dout):
    """The scalar sum(forward(x) * dout), whose gradient a backward pass given dout returns."""
    return lambda value: float(np.sum(forward(value) * dout))


def channels(rng, n, c, h, w):
    """Images whose channels have their own offsets and scales."""
    return rng.uniform(-4, 4, size=(1, c, 1, 1)) + rng.uniform(0.5, 3, size=(1, c, 1, 1)) * rng.standard_normal((n, c, h, w))


# (x shape, w shape, stride, pad): odd and even sizes, non-square filters,
# strides 1 to 3, pads 0 to 2, N = 1 and F = 1; every division exact or not.
CONV_CASES = [
    ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((2, 3, 6, 6), (2, 3, 3, 3), 2, 1),
    ((3, 2, 7, 5), (3, 2, 3, 1), 2, 0),
    ((1, 4, 8, 8), (2, 4, 4, 4), 2, 2),
    ((2, 2, 9, 7), (3, 2, 3, 3), 3, 1),
    ((2, 3, 4, 6), (5, 3, 2, 4), 1, 2),
]


def conv_problem(rng, x_shape, w_shape):
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    return x, w, b


def convolved(x, w, b, stride, pad):
    """The documented convolution written out: every window of the zero-padded x against every filter."""
    f, _, hh, ww = w.shape
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode="constant")
    rows = range(0, padded.shape[2] - hh + 1, stride)
    cols = range(0, padded.shape[3] - ww + 1, stride)
    return np.array([[[[np.sum(padded[n, :, r:r + hh, q:q + ww] * w[k]) + b[k] for q in cols] for r in rows]
                       for k in range(f)] for n in range(x.shape[0])])


def pooled(x, height, width, stride):
    """The documented max pool written out: the largest value of every window, no padding."""
    rows = range(0, x.shape[2] - height + 1, stride)
    cols = range(0, x.shape[3] - width + 1, stride)
    return np.array([[[[x[n, c, r:r + height, q:q + width].max() for q in cols] for r in rows]
                      for c in range(x.shape[1])] for n in range(x.shape[0])])


# ------------------------------------------------------------------ public: convolution

@pytest.mark.public
@pytest.mark.points(2)
def test_conv_forward_small_cases(student, rng):
    """Cases worked out by hand: 1x1 filters mix the channels of every pixel; a 3x3 filter with a
    single 1 at its centre and pad 1 copies a channel (stride 2 keeps every other pixel); a filter
    of ones sums each window, the padding contributing zeros."""
    x = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((4, 3, 1, 1))
    b = rng.standard_normal(4)
    out, _ = conv_forward(student, x, w, b, {"stride": 1, "pad": 0})
    expected = np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x) + b[None, :, None, None]
    assert_close(out, expected, "out from conv_forward_naive with 1x1 filters, stride 1, pad 0")

    x = rng.standard_normal((2, 2, 6, 6))
    w = np.zeros((2, 2, 3, 3))
    w[0, 1, 1, 1] = 1.0  # filter 0 copies channel 1
    w[1, 0, 1, 1] = 1.0  # filter 1 copies channel 0
    b = np.array([0.5, -1.0])
    for stride in (1, 2):
        out, _ = conv_forward(student, x, w, b, {"stride": stride, "pad": 1})
        assert_close(out, x[:, ::-1, ::stride, ::stride] + b[None, :, None, None], "out from conv_forward_naive "
                     f"with copying filters, stride {stride}, pad 1")

    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2))
    out, _ = conv_forward(student, x, w, np.zeros(1), {"stride": 2, "pad": 0})
    # Windows [[0, 1], [4, 5]], [[2, 3], [6, 7]], [[8, 9], [12, 13]], [[10, 11], [14, 15]].
    assert_close(out, np.array([[[[10.0, 18.0], [42.0, 50.0]]]]), "out from conv_forward_naive with a "
                 "2x2 filter of ones, stride 2, pad 0")
    out, _ = conv_forward(student, x, w, np.zeros(1), {"stride": 3, "pad": 1})
    # Windows with the zero border: [[0, 0], [0, 0]], [[0, 0], [2, 3]], [[0, 8], [0, 12]], [[10, 11], [14, 15]].
    assert_close(out, np.array([[[[0.0, 5.0], [20.0, 50.0]]]]), "out from conv_forward_naive with a 2x2 "
                 "filter of ones, stride 3, pad 1")


@pytest.mark.public
@pytest.mark.points(2)
def test_conv_backward_numerical_gradient(student, rng):
    """Against the numerical gradient of the documented convolution (written out in this test, so a
    mistake in your conv_forward_naive does not count here); the cache is (x, w, b, conv_param)."""
    x, w, b = conv_problem(rng, (2, 2, 5, 5), (3, 2, 3, 3))
    conv_param = {"stride": 2, "pad": 1}
    dout = rng.standard_normal((2, 3, 3, 3))
    dx, dw, db = unpack(student.function(MOD, "conv_backward_naive")(dout, (x, w, b, conv_param)),
                        ["dx", "dw", "db"], "conv_backward_naive")
    num_dx = numerical_gradient(summed(lambda x_: convolved(x_, w, b, 2, 1), dout), x)
    num_dw = numerical_gradient(summed(lambda w_: convolved(x, w_, b, 2, 1), dout), w)
    num_db = numerical_gradient(summed(lambda b_: convolved(x, w, b_, 2, 1), dout), b)
    with case("conv_backward_naive vs the numerical gradient of the convolution, stride 2, pad 1"):
        assert_matches_numerical(dx, num_dx, "dx")
        assert_matches_numerical(dw, num_dw, "dw")
        assert_matches_numerical(db, num_db, "db")


# ------------------------------------------------------------------ public: max pooling

@pytest.mark.public
@pytest.mark.points(1)
def test_max_pool_forward_small_case(student):
    x = np.array([[1.0, 2.0, 5.0, 0.0, 3.0],
                  [4.0, 3.0, 1.0, 2.0, 9.0],
                  [0.0, 8.0, 6.0, 7.0, 1.0],
                  [2.0, 1.0, 3.0, 4.0, 2.0]]).reshape(1, 1, 4, 5)
    x = np.concatenate([x, -x], axis=1)  # channel 1: the maxima of -x are the minima of x
    out, _ = pool_forward(student, x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    # 2x2 windows, stride 2: the last column does not fit in a window and is left out.
    expected = np.array([[[[4.0, 5.0], [8.0, 7.0]], [[-1.0, 0.0], [0.0, -3.0]]]])
    assert_close(out, expected, "out from max_pool_forward_naive with 2x2 windows and stride 2")
    out, _ = pool_forward(student, x[:, :1], {"pool_height": 3, "pool_width": 2, "stride": 1})
    expected = np.array([[[[8.0, 8.0, 7.0, 9.0], [8.0, 8.0, 7.0, 9.0]]]])
    assert_close(out, expected, "out from max_pool_forward_naive with 3x2 windows and stride 1")


@pytest.mark.public
@pytest.mark.points(1)
def test_max_pool_backward_numerical_gradient(student, rng):
    """Against the numerical gradient of the documented max pool (written out in this test); the
    cache is (x, pool_param)."""
    # Distinct values, well apart: a small nudge never changes which one is the maximum.
    x = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    # Entries of size 0.5 to 1.5: a tiny one would make its relative error large by rounding alone.
    dout = rng.choice([-1.0, 1.0], size=(2, 3, 3, 3)) * rng.uniform(0.5, 1.5, size=(2, 3, 3, 3))
    dx = student.function(MOD, "max_pool_backward_naive")(dout, (x, pool_param))
    num_dx = numerical_gradient(summed(lambda x_: pooled(x_, 2, 2, 2), dout), x)
    with case("max_pool_backward_naive vs the numerical gradient of the max pool (2x2 windows, stride 2)"):
        assert_matches_numerical(dx, num_dx, "dx")


# ------------------------------------------------------------------ spatial normalization: helpers

def as_rows(x):
    """(N, C, H, W) -> (N * H * W, C): every pixel of every example one row, one column per channel."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def from_rows(rows, shape):
    """Inverse of as_rows for an array of shape (N, C, H, W)."""
    n, c, h, w = shape
    return np.asarray(rows).reshape(n, h, w, c).transpose(0, 3, 1, 2)


def agrees(got, expected, tol=1e-6):
    """Whether `got` matches `expected` (arrays, or tuples of them), without failing."""
    try:
        assert_matches(got, expected, "value", tol)
    except CheckFailed:
        return False
    return True


def assert_one_of(got, candidates, name):
    """`got` must match the first candidate (the correct value) or one of the others (what the
    student's own layers give; None where they could not be computed); the message is the
    comparison with the correct value."""
    for candidate in candidates[1:]:
        if candidate is not None and agrees(got, candidate):
            return
    assert_matches(got, candidates[0], name)


def own(compute):
    """compute(), or None where the student's own layers raise or return malformed values."""
    try:
        return compute()
    except (StudentCodeError, CheckFailed, TypeError, ValueError, IndexError):
        return None


def own_batchnorm_forward(student, x, gamma, beta, param):
    """(out of shape (N, C, H, W), cache) of your batchnorm_forward on x as rows."""
    rows, cache = unpack(student.function(MOD, "batchnorm_forward")(as_rows(x), gamma, beta, dict(param)),
                         ["out", "cache"], "batchnorm_forward")
    return from_rows(rows, x.shape), cache


def own_batchnorm_backwards(student, x, gamma, beta, param, dout):
    """[(dx, dgamma, dbeta)] of your batchnorm_backward and batchnorm_backward_alt on the rows of dout,
    each given the cache of your batchnorm_forward on the rows of x (where they run)."""
    found = []
    for backward in ("batchnorm_backward", "batchnorm_backward_alt"):
        def compute(backward=backward):
            _, cache = own_batchnorm_forward(student, x, gamma, beta, param)
            drows, dgamma, dbeta = unpack(student.function(MOD, backward)(as_rows(dout), cache),
                                          ["dx", "dgamma", "dbeta"], backward)
            return from_rows(drows, dout.shape), dgamma, dbeta
        found.append(own(compute))
    return found


def spatial_batchnorm_by_formula(x, gamma, beta, eps=1e-5):
    """Training-mode spatial batchnorm written out: statistics per channel over N, H and W."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return gamma[None, :, None, None] * (x - mean) / np.sqrt(var + eps) + beta[None, :, None, None]


def check_norm_gradient(code, layer, x, gamma, beta, dout, args):
    """The student's {layer}_backward against numerical gradients of the student's {layer}_forward."""
    forward = code.function(MOD, f"{layer}_forward")
    _, cache = norm_forward(code, f"{layer}_forward", x, gamma, beta, *args)
    dx, dgamma, dbeta = norm_backward(code, f"{layer}_backward", dout, cache, gamma.shape)
    num_dx = numerical_gradient(summed(lambda x_: forward(x_, gamma, beta, *args)[0], dout), x)
    num_dgamma = numerical_gradient(summed(lambda g_: forward(x, g_, beta, *args)[0], dout), gamma)
    num_dbeta = numerical_gradient(summed(lambda b_: forward(x, gamma, b_, *args)[0], dout), beta)
    with case(f"{layer}_backward vs the numerical gradient of your {layer}_forward, x of shape {x.shape}"):
        assert_matches_numerical(dx, num_dx, "dx")
        assert_matches_numerical(dgamma, num_dgamma, "dgamma")
        assert_matches_numerical(dbeta, num_dbeta, "dbeta")


# ------------------------------------------------------------------ public: spatial normalization

@pytest.mark.public
@pytest.mark.points(1)
def test_spatial_batchnorm_is_batchnorm_per_channel(student, rng):
    """Training mode: every channel is one feature, normalized over N, H and W (the formula written
    out here, or what your own batchnorm_forward gives on x reshaped to (N * H * W, C))."""
    x = channels(rng, 10, 3, 4, 5)
    gamma, beta = np.array([1.0, 2.0, -0.5]), np.array([0.0, 1.0, -2.0])
    out, _ = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, {"mode": "train"})
    yours = own(lambda: own_batchnorm_forward(student, x, gamma, beta, {"mode": "train"})[0])
    with case("spatial_batchnorm_forward in train mode, against batchnorm per channel over N, H and W"):
        assert_one_of(out, [spatial_batchnorm_by_formula(x, gamma, beta), yours], "out")


@pytest.mark.public
@pytest.mark.points(1)
def test_spatial_groupnorm_statistics(student, rng):
    """Every group of 2 channels of every example has mean 0 and standard deviation 1 before gamma and beta."""
    x = channels(rng, 3, 6, 4, 4) + rng.uniform(-3, 3, size=(3, 1, 1, 1))
    ones, zeros = np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1))
    out, _ = norm_forward(student, "spatial_groupnorm_forward", x, ones, zeros, 3, {})
    groups = out.reshape(3, 3, 2 * 4 * 4)
    means, stds = groups.mean(axis=2), groups.std(axis=2)
    if not (np.all(np.abs(means) < 1e-6) and np.all(np.abs(stds - 1) < 1e-4)):
        raise CheckFailed("with 6 channels in G = 3 groups (channels 0-1, 2-3, 4-5), the groups of "
                          f"spatial_groupnorm_forward's output have means {np.round(means, 4).tolist()} and "
                          f"standard deviations {np.round(stds, 4).tolist()}; they should be 0 and 1")


@pytest.mark.public
@pytest.mark.points(1)
def test_spatial_groupnorm_backward_numerical_gradient(student, rng):
    """Against the numerical gradient of your spatial_groupnorm_forward, where that forward pass gives
    the documented output (written out in this test); a wrong forward pass is its own tests' business."""
    x = channels(rng, 2, 4, 3, 3)
    gamma, beta = rng.uniform(0.5, 2, size=(1, 4, 1, 1)), rng.standard_normal((1, 4, 1, 1))
    dout = rng.standard_normal(x.shape)
    out, cache = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, 2, {"eps": TINY_EPS})
    norm_backward(student, "spatial_groupnorm_backward", dout, cache, gamma.shape)  # it must run either way
    if not agrees(out, groupnorm_by_formula(x, gamma, beta, 2)):
        return
    check_norm_gradient(student, "spatial_groupnorm", x, gamma, beta, dout, (2, {"eps": TINY_EPS}))


def groupnorm_by_formula(x, gamma, beta, groups, eps=TINY_EPS):
    """Group normalization written out: statistics of each group of C // G consecutive channels."""
    n, c, h, w = x.shape
    out = np.empty_like(x)
    size = c // groups
    for first in range(0, c, size):
        part = x[:, first:first + size]
        mean = part.mean(axis=(1, 2, 3), keepdims=True)
        std = np.sqrt(((part - mean) ** 2).mean(axis=(1, 2, 3), keepdims=True) + eps)
        out[:, first:first + size] = (part - mean) / std
    return out * gamma + beta


# ------------------------------------------------------------------ hidden: convolution

@pytest.mark.points(3)
def test_conv_forward_matches_reference(student, reference, rng):
    for x_shape, w_shape, stride, pad in CONV_CASES:
        x, w, b = conv_problem(rng, x_shape, w_shape)
        conv_param = {"stride": stride, "pad": pad}
        out, _ = conv_forward(student, x, w, b, conv_param)
        ref_out, _ = reference.function(MOD, "conv_forward_naive")(x, w, b, conv_param)
        with case(f"conv_forward_naive with x of shape {x_shape}, w of shape {w_shape}, stride {stride}, pad {pad}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(3)
def test_conv_backward_matches_reference(student, reference, rng):
    for x_shape, w_shape, stride, pad in CONV_CASES:
        x, w, b = conv_problem(rng, x_shape, w_shape)
        conv_param = {"stride": stride, "pad": pad}
        ref_out, _ = reference.function(MOD, "conv_forward_naive")(x, w, b, conv_param)
        dout = rng.standard_normal(ref_out.shape)
        cache = (x, w, b, conv_param)  # the documented cache
        got = unpack(student.function(MOD, "conv_backward_naive")(dout, cache), ["dx", "dw", "db"],
                     "conv_backward_naive")
        expected = reference.function(MOD, "conv_backward_naive")(dout, cache)
        with case(f"conv_backward_naive with x of shape {x_shape}, w of shape {w_shape}, stride {stride}, pad {pad}"):
            for name, value, ref_value in zip(["dx", "dw", "db"], got, expected):
                assert_close(value, ref_value, name)


# ------------------------------------------------------------------ hidden: max pooling

@pytest.mark.points(1)
def test_max_pool_backward_ties_go_to_the_first_maximum(student):
    """The docstring's convention: where a window holds its maximum more than once (zeros after a
    ReLU, for example), the whole gradient goes to the first one in row-major order."""
    x = np.array([[0.0, 0.0, 1.0, 3.0],
                  [0.0, 0.0, 3.0, 2.0],
                  [2.0, 5.0, 4.0, 4.0],
                  [5.0, 1.0, 4.0, 4.0]]).reshape(1, 1, 4, 4)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    dx = student.function(MOD, "max_pool_backward_naive")(dout, (x, pool_param))
    expected = np.array([[1.0, 0.0, 0.0, 2.0],
                         [0.0, 0.0, 0.0, 0.0],
                         [0.0, 3.0, 4.0, 0.0],
                         [0.0, 0.0, 0.0, 0.0]]).reshape(1, 1, 4, 4)
    with case("max_pool_backward_naive with tied maxima in every window (2x2 windows, stride 2)"):
        assert_close(dx, expected, "dx (each window's gradient goes to its first maximum only)")



# (x shape, pool_height, pool_width, stride): tiling, non-square, overlapping
# (stride < window), windows that leave a border out, N = 1, C = 1.
POOL_CASES = [
    ((1, 1, 4, 4), 2, 2, 2),
    ((2, 3, 6, 8), 2, 2, 2),
    ((2, 2, 7, 5), 2, 2, 2),
    ((3, 2, 6, 6), 3, 3, 3),
    ((2, 2, 5, 7), 3, 2, 1),
    ((1, 3, 8, 6), 4, 3, 2),
]


@pytest.mark.points(2)
def test_max_pool_forward_matches_reference(student, reference, rng):
    for shape, height, width, stride in POOL_CASES:
        x = rng.standard_normal(shape)
        pool_param = {"pool_height": height, "pool_width": width, "stride": stride}
        out, _ = pool_forward(student, x, pool_param)
        ref_out, _ = reference.function(MOD, "max_pool_forward_naive")(x, pool_param)
        with case(f"max_pool_forward_naive with x of shape {shape}, {height}x{width} windows, stride {stride}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(3)
def test_max_pool_backward_matches_reference(student, reference, rng):
    """Includes overlapping windows, where an input's gradients from several windows add up."""
    for shape, height, width, stride in POOL_CASES:
        x = rng.standard_normal(shape)
        pool_param = {"pool_height": height, "pool_width": width, "stride": stride}
        ref_out, _ = reference.function(MOD, "max_pool_forward_naive")(x, pool_param)
        dout = rng.standard_normal(ref_out.shape)
        dx = student.function(MOD, "max_pool_backward_naive")(dout, (x, pool_param))
        ref_dx = reference.function(MOD, "max_pool_backward_naive")(dout, (x, pool_param))
        with case(f"max_pool_backward_naive with x of shape {shape}, {height}x{width} windows, stride {stride}"):
            assert_close(dx, ref_dx, "dx")


# ------------------------------------------------------------------ hidden: spatial batchnorm
# Spatial batchnorm is batchnorm on the pixels as rows: the correct values or what the
# student's own batchnorm gives there, so that a batchnorm mistake costs batchnorm's tests only.

SPATIAL_SHAPES = [(1, 2, 3, 3), (2, 3, 4, 5), (4, 1, 2, 2), (5, 6, 3, 7)]


def spatial_problem(rng, shape):
    c = shape[1]
    return channels(rng, *shape), rng.uniform(0.5, 2, size=c), rng.standard_normal(c)


def spatial_forward_is_right(student, reference, x, gamma, beta, param):
    """Whether your spatial_batchnorm_forward gives the correct output or your batchnorm's on these inputs."""
    out, _ = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, dict(param))
    ref_out, _ = reference.function(MOD, "spatial_batchnorm_forward")(x, gamma, beta, dict(param))
    yours = own(lambda: own_batchnorm_forward(student, x, gamma, beta, param)[0])
    return agrees(out, ref_out) or (yours is not None and agrees(out, yours))


@pytest.mark.points(2)
def test_spatial_batchnorm_forward_matches(student, reference, rng):
    """Train and test mode: the correct output, or your batchnorm_forward's on x as rows."""
    for shape in SPATIAL_SHAPES:
        x, gamma, beta = spatial_problem(rng, shape)
        c = shape[1]
        given = {"running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2, size=c), "eps": TINY_EPS}
        for mode in ("train", "test"):
            param = {"mode": mode, **given}
            out, _ = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, dict(param))
            ref_out, _ = reference.function(MOD, "spatial_batchnorm_forward")(x, gamma, beta, dict(param))
            yours = own(lambda: own_batchnorm_forward(student, x, gamma, beta, param)[0])
            with case(f"spatial_batchnorm_forward in {mode} mode with x of shape {shape} (neither the correct "
                      "output nor your batchnorm_forward's on x reshaped to (N * H * W, C))"):
                assert_one_of(out, [ref_out, yours], "out")


@pytest.mark.points(1)
def test_spatial_batchnorm_running_averages(student, reference, rng):
    """The running averages are per channel, shape (C,), kept in bn_param as batchnorm keeps them for
    the pixels as rows (the correct ones, or your batchnorm_forward's); checked where the output of
    spatial_batchnorm_forward is right."""
    shape = (3, 4, 2, 5)
    x = channels(rng, *shape)
    gamma, beta = np.ones(4), np.zeros(4)
    param = {"mode": "train", "momentum": 0.7}
    if not spatial_forward_is_right(student, reference, x, gamma, beta, param):
        return  # the statistics are wrong already: the forward test counts that
    got = student.function(MOD, "spatial_batchnorm_forward").inspect(x, gamma, beta, dict(param)).args_after[3]
    expected = reference.function(MOD, "spatial_batchnorm_forward").inspect(x, gamma, beta, dict(param)).args_after[3]
    yours = own(lambda: student.function(MOD, "batchnorm_forward").inspect(as_rows(x), gamma, beta,
                                                                           dict(param)).args_after[3])
    if not isinstance(got, dict):
        raise CheckFailed(f"bn_param should stay a dict; spatial_batchnorm_forward made it {describe(got)}")
    with case("bn_param after a training pass of spatial_batchnorm_forward"):
        for key in ("running_mean", "running_var"):
            if key not in got:
                raise CheckFailed(f"bn_param has no {key!r}; store the running average in bn_param[{key!r}]")
            mine = yours.get(key) if isinstance(yours, dict) else None
            assert_one_of(got[key], [expected[key], mine], f"bn_param[{key!r}]")


@pytest.mark.points(2)
def test_spatial_batchnorm_backward_matches(student, reference, rng):
    """The correct gradients, or your batchnorm_backward's (or batchnorm_backward_alt's) on the rows;
    checked where your spatial_batchnorm_forward is right (its own test counts it otherwise)."""
    for shape in SPATIAL_SHAPES[1:]:
        x, gamma, beta = spatial_problem(rng, shape)
        param = {"mode": "train", "eps": TINY_EPS}
        dout = rng.standard_normal(shape)
        _, cache = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, dict(param))
        got = norm_backward(student, "spatial_batchnorm_backward", dout, cache, (shape[1],))  # it must run
        if not spatial_forward_is_right(student, reference, x, gamma, beta, param):
            continue
        _, ref_cache = reference.function(MOD, "spatial_batchnorm_forward")(x, gamma, beta, dict(param))
        expected = reference.function(MOD, "spatial_batchnorm_backward")(dout, ref_cache)
        with case(f"spatial_batchnorm_backward with x of shape {shape} (neither the correct gradients nor your "
                  "batchnorm_backward's or batchnorm_backward_alt's on dout reshaped to (N * H * W, C))"):
            assert_one_of(tuple(got), [tuple(expected), *own_batchnorm_backwards(student, x, gamma, beta, param, dout)],
                          "(dx, dgamma, dbeta)")


# ------------------------------------------------------------------ hidden: group normalization

# (shape, G): G = 1 (layer norm over C, H, W), G = C (every channel alone), in between; N = 1.
GROUP_CASES = [((2, 4, 3, 3), 1), ((2, 4, 3, 3), 4), ((3, 6, 2, 5), 2), ((1, 6, 4, 4), 3), ((2, 8, 3, 2), 4)]


def group_problem(rng, shape):
    x = channels(rng, *shape) + rng.uniform(-3, 3, size=(shape[0], 1, 1, 1))
    c = shape[1]
    return x, rng.uniform(0.5, 2, size=(1, c, 1, 1)), rng.standard_normal((1, c, 1, 1))


def groupnorm_both(student, reference, x, gamma, beta, groups, eps):
    out, _ = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, groups, {"eps": eps})
    ref_out, _ = reference.function(MOD, "spatial_groupnorm_forward")(x, gamma, beta, groups, {"eps": eps})
    return out, ref_out


def groupnorm_backward_both(student, reference, x, gamma, beta, groups, eps, dout):
    """(student's gradients, the reference's), each from its own forward pass's cache; None where the
    student's forward pass is wrong on these inputs (its own tests count that)."""
    _, cache = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, groups, {"eps": eps})
    got = norm_backward(student, "spatial_groupnorm_backward", dout, cache, gamma.shape)  # it must run either way
    if not agrees(*groupnorm_both(student, reference, x, gamma, beta, groups, eps)):
        return None
    _, ref_cache = reference.function(MOD, "spatial_groupnorm_forward")(x, gamma, beta, groups, {"eps": eps})
    return got, reference.function(MOD, "spatial_groupnorm_backward")(dout, ref_cache)


@pytest.mark.points(2)
def test_spatial_groupnorm_forward_matches_reference(student, reference, rng):
    for shape, groups in GROUP_CASES:
        x, gamma, beta = group_problem(rng, shape)
        out, ref_out = groupnorm_both(student, reference, x, gamma, beta, groups, TINY_EPS)
        with case(f"spatial_groupnorm_forward with x of shape {shape} and G = {groups}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_spatial_groupnorm_forward_uses_eps(student, reference, rng):
    """Checked where the output is right with a tiny eps."""
    x, gamma, beta = group_problem(rng, (2, 4, 2, 2))
    if not agrees(*groupnorm_both(student, reference, x, gamma, beta, 2, TINY_EPS)):
        return
    out, ref_out = groupnorm_both(student, reference, x, gamma, beta, 2, 0.5)
    with case("spatial_groupnorm_forward with gn_param['eps'] = 0.5"):
        assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_spatial_groupnorm_backward_matches_reference(student, reference, rng):
    for shape, groups in GROUP_CASES:
        x, gamma, beta = group_problem(rng, shape)
        both = groupnorm_backward_both(student, reference, x, gamma, beta, groups, TINY_EPS,
                                       rng.standard_normal(shape))
        if both is None:
            continue
        with case(f"spatial_groupnorm_backward with x of shape {shape} and G = {groups}"):
            for name, value, ref_value in zip(["dx", "dgamma", "dbeta"], *both):
                assert_close(value, ref_value, name)


@pytest.mark.points(1)
def test_spatial_groupnorm_backward_with_large_eps(student, reference, rng):
    """Checked where the gradients are right with a tiny eps."""
    x, gamma, beta = group_problem(rng, (2, 4, 3, 2))
    dout = rng.standard_normal(x.shape)
    both = groupnorm_backward_both(student, reference, x, gamma, beta, 2, TINY_EPS, dout)
    if both is None or not agrees(*both):
        return
    both = groupnorm_backward_both(student, reference, x, gamma, beta, 2, 0.5, dout)
    if both is None:
        return
    with case("spatial_groupnorm_backward after spatial_groupnorm_forward with gn_param['eps'] = 0.5"):
        for name, value, ref_value in zip(["dx", "dgamma", "dbeta"], *both):
            assert_close(value, ref_value, name)
