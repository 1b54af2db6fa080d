"""Convolutional layers (cs231n/layers.py): naive convolution and max pooling,
spatial batch normalization and spatial group normalization.

The convolution's cache is (x, w, b, conv_param) and the pool's (x,
pool_param), as documented; their backward tests build those caches
themselves. The caches of the normalization layers are the student's
choice, so their backward tests use the student's own forward pass.

Spatial batch normalization is batch normalization of the pixels as rows;
its tests compare it with the student's own batchnorm_forward and
batchnorm_backward on the reshaped arrays, so a batchnorm mistake is charged
by batchnorm's tests only.

Public tests check cases that can be worked out by hand (1x1 filters, a
filter that copies its input, a pool on a known image), per-group
statistics, and numerical gradients of the student's own forward passes. Hidden tests compare with the reference over combinations of
stride and pad, non-square filters and windows, odd spatial sizes,
overlapping pools, N = 1, and G = 1 and G = C for group normalization.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_close, describe, numerical_gradient, unpack

MOD = "cs231n.layers"
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


# ------------------------------------------------------------------ public: convolution

@pytest.mark.public
@pytest.mark.points(1)
def test_conv_forward_with_1x1_filters(student, rng):
    """A 1x1 filter mixes the channels of every pixel on its own: out[n, f] = sum_c w[f, c] x[n, c] + b[f]."""
    x = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((4, 3, 1, 1))
    b = rng.standard_normal(4)
    out, _ = conv_forward(student, x, w, b, {"stride": 1, "pad": 0})
    expected = np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x) + b[None, :, None, None]
    assert_close(out, expected, "out from conv_forward_naive with 1x1 filters, stride 1, pad 0")


@pytest.mark.public
@pytest.mark.points(1)
def test_conv_forward_copy_filter_with_padding(student, rng):
    """A 3x3 filter with a single 1 at its centre, pad 1, copies its input channel; stride 2
    keeps every other pixel."""
    x = rng.standard_normal((2, 2, 6, 6))
    w = np.zeros((2, 2, 3, 3))
    w[0, 1, 1, 1] = 1.0  # filter 0 copies channel 1
    w[1, 0, 1, 1] = 1.0  # filter 1 copies channel 0
    b = np.array([0.5, -1.0])
    out, _ = conv_forward(student, x, w, b, {"stride": 1, "pad": 1})
    assert_close(out, x[:, ::-1] + b[None, :, None, None], "out from conv_forward_naive with copying filters, "
                 "stride 1, pad 1")
    out, _ = conv_forward(student, x, w, b, {"stride": 2, "pad": 1})
    assert_close(out, x[:, ::-1, ::2, ::2] + b[None, :, None, None], "out from conv_forward_naive with "
                 "copying filters, stride 2, pad 1")


@pytest.mark.public
@pytest.mark.points(1)
def test_conv_forward_sums_a_window(student):
    """A filter of ones sums each window; at the border the padding contributes zeros."""
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
    x, w, b = conv_problem(rng, (2, 2, 5, 5), (3, 2, 3, 3))
    conv_param = {"stride": 2, "pad": 1}
    forward = student.function(MOD, "conv_forward_naive")
    out, cache = conv_forward(student, x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = unpack(student.function(MOD, "conv_backward_naive")(dout, cache), ["dx", "dw", "db"],
                        "conv_backward_naive")
    num_dx = numerical_gradient(summed(lambda x_: forward(x_, w, b, conv_param)[0], dout), x)
    num_dw = numerical_gradient(summed(lambda w_: forward(x, w_, b, conv_param)[0], dout), w)
    num_db = numerical_gradient(summed(lambda b_: forward(x, w, b_, conv_param)[0], dout), b)
    with case("conv_backward_naive vs the numerical gradient of your conv_forward_naive, stride 2, pad 1"):
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
    # Distinct values, well apart: a small nudge never changes which one is the maximum.
    x = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = pool_forward(student, x, pool_param)
    # Entries of size 0.5 to 1.5: a tiny one would make its relative error large by rounding alone.
    dout = rng.choice([-1.0, 1.0], size=out.shape) * rng.uniform(0.5, 1.5, size=out.shape)
    dx = student.function(MOD, "max_pool_backward_naive")(dout, cache)
    forward = student.function(MOD, "max_pool_forward_naive")
    num_dx = numerical_gradient(summed(lambda x_: forward(x_, pool_param)[0], dout), x)
    with case("max_pool_backward_naive vs the numerical gradient of your max_pool_forward_naive"):
        assert_matches_numerical(dx, num_dx, "dx")


# ------------------------------------------------------------------ public: spatial normalization

def as_rows(x):
    """(N, C, H, W) -> (N * H * W, C): every pixel of every example one row, one column per channel."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def from_rows(rows, shape):
    """Inverse of as_rows for an array of shape (N, C, H, W)."""
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


@pytest.mark.public
@pytest.mark.points(1)
def test_spatial_batchnorm_is_batchnorm_per_channel(student, rng):
    """Training mode: every channel is one feature, normalized over N, H and W. Compared with
    your own batchnorm_forward on the pixels as rows, so a batchnorm mistake is not charged here."""
    x = channels(rng, 10, 3, 4, 5)
    gamma, beta = np.array([1.0, 2.0, -0.5]), np.array([0.0, 1.0, -2.0])
    out, _ = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, {"mode": "train"})
    rows, _ = unpack(student.function(MOD, "batchnorm_forward")(as_rows(x), gamma, beta, {"mode": "train"}),
                     ["out", "cache"], "batchnorm_forward")
    assert_close(out, from_rows(rows, x.shape), "out from spatial_batchnorm_forward (against your "
                 "batchnorm_forward on x reshaped to (N * H * W, C))")


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
    x = channels(rng, 2, 4, 3, 3)
    gamma, beta = rng.uniform(0.5, 2, size=(1, 4, 1, 1)), rng.standard_normal((1, 4, 1, 1))
    dout = rng.standard_normal(x.shape)
    check_norm_gradient(student, "spatial_groupnorm", x, gamma, beta, dout, (2, {}))


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
# Spatial batchnorm is batchnorm on the pixels as rows; it is compared with the
# student's own batchnorm, so that a batchnorm mistake costs batchnorm's tests only.

SPATIAL_SHAPES = [(1, 2, 3, 3), (2, 3, 4, 5), (4, 1, 2, 2), (5, 6, 3, 7)]


def spatial_problem(rng, shape):
    c = shape[1]
    return channels(rng, *shape), rng.uniform(0.5, 2, size=c), rng.standard_normal(c)


@pytest.mark.points(2)
def test_spatial_batchnorm_forward_uses_your_batchnorm(student, rng):
    batchnorm = student.function(MOD, "batchnorm_forward")
    for shape in SPATIAL_SHAPES:
        x, gamma, beta = spatial_problem(rng, shape)
        c = shape[1]
        running = {"running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2, size=c)}
        for mode in ("train", "test"):
            param = {"mode": mode, **running}
            out, _ = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, dict(param))
            rows, _ = unpack(batchnorm(as_rows(x), gamma, beta, dict(param)), ["out", "cache"], "batchnorm_forward")
            with case(f"spatial_batchnorm_forward in {mode} mode with x of shape {shape}, against your "
                      "batchnorm_forward on x reshaped to (N * H * W, C)"):
                assert_close(out, from_rows(rows, shape), "out")


@pytest.mark.points(1)
def test_spatial_batchnorm_running_averages(student, rng):
    """The running averages are per channel, shape (C,), as batchnorm keeps them for the pixels as rows."""
    shape = (3, 4, 2, 5)
    x = channels(rng, *shape)
    gamma, beta = np.ones(4), np.zeros(4)
    spatial, rows = (shared_param(student, {"mode": "train", "momentum": 0.7}) for _ in range(2))
    norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, spatial)
    student.function(MOD, "batchnorm_forward")(as_rows(x), gamma, beta, rows)
    got, expected = read_param(spatial), read_param(rows)
    with case("bn_param after a training pass of spatial_batchnorm_forward, against your batchnorm_forward "
              "on x reshaped to (N * H * W, C)"):
        for key in ("running_mean", "running_var"):
            if key not in got:
                raise CheckFailed(f"bn_param has no {key!r}; store the running average in bn_param[{key!r}]")
            assert_close(got[key], expected.get(key), f"bn_param[{key!r}]")


@pytest.mark.points(2)
def test_spatial_batchnorm_backward_uses_your_batchnorm(student, rng):
    for shape in SPATIAL_SHAPES[1:]:
        x, gamma, beta = spatial_problem(rng, shape)
        c = shape[1]
        dout = rng.standard_normal(shape)
        _, cache = norm_forward(student, "spatial_batchnorm_forward", x, gamma, beta, {"mode": "train"})
        got = norm_backward(student, "spatial_batchnorm_backward", dout, cache, (c,))
        _, row_cache = unpack(student.function(MOD, "batchnorm_forward")(as_rows(x), gamma, beta, {"mode": "train"}),
                              ["out", "cache"], "batchnorm_forward")
        drows, dgamma, dbeta = unpack(student.function(MOD, "batchnorm_backward")(as_rows(dout), row_cache),
                                      ["dx", "dgamma", "dbeta"], "batchnorm_backward")
        with case(f"spatial_batchnorm_backward with x of shape {shape}, against your batchnorm_backward on "
                  "dout reshaped to (N * H * W, C)"):
            assert_close(got[0], from_rows(drows, shape), "dx")
            assert_close(got[1], dgamma, "dgamma")
            assert_close(got[2], dbeta, "dbeta")


def shared_param(code, values):
    """A bn_param living on `code`'s side, so that what the layer stores in it can be read back."""
    return code.new("collections", "UserDict", values)


def read_param(param):
    data = param.get("data")
    if not isinstance(data, dict):
        raise CheckFailed(f"bn_param should stay a dict; it became {describe(data)}")
    return data


# ------------------------------------------------------------------ hidden: group normalization

# (shape, G): G = 1 (layer norm over C, H, W), G = C (every channel alone), in between; N = 1.
GROUP_CASES = [((2, 4, 3, 3), 1), ((2, 4, 3, 3), 4), ((3, 6, 2, 5), 2), ((1, 6, 4, 4), 3), ((2, 8, 3, 2), 4)]


def group_problem(rng, shape):
    x = channels(rng, *shape) + rng.uniform(-3, 3, size=(shape[0], 1, 1, 1))
    c = shape[1]
    return x, rng.uniform(0.5, 2, size=(1, c, 1, 1)), rng.standard_normal((1, c, 1, 1))


@pytest.mark.points(2)
def test_spatial_groupnorm_forward_matches_reference(student, reference, rng):
    for shape, groups in GROUP_CASES:
        x, gamma, beta = group_problem(rng, shape)
        out, _ = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, groups, {})
        ref_out, _ = reference.function(MOD, "spatial_groupnorm_forward")(x, gamma, beta, groups, {})
        with case(f"spatial_groupnorm_forward with x of shape {shape} and G = {groups}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_spatial_groupnorm_forward_uses_eps(student, reference, rng):
    x, gamma, beta = group_problem(rng, (2, 4, 2, 2))
    out, _ = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, 2, {"eps": 0.5})
    ref_out, _ = reference.function(MOD, "spatial_groupnorm_forward")(x, gamma, beta, 2, {"eps": 0.5})
    with case("spatial_groupnorm_forward with gn_param['eps'] = 0.5"):
        assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_spatial_groupnorm_backward_matches_reference(student, reference, rng):
    for shape, groups in GROUP_CASES:
        x, gamma, beta = group_problem(rng, shape)
        dout = rng.standard_normal(shape)
        _, cache = norm_forward(student, "spatial_groupnorm_forward", x, gamma, beta, groups, {})
        got = norm_backward(student, "spatial_groupnorm_backward", dout, cache, gamma.shape)
        _, ref_cache = reference.function(MOD, "spatial_groupnorm_forward")(x, gamma, beta, groups, {})
        expected = reference.function(MOD, "spatial_groupnorm_backward")(dout, ref_cache)
        with case(f"spatial_groupnorm_backward with x of shape {shape} and G = {groups}"):
            for name, value, ref_value in zip(["dx", "dgamma", "dbeta"], got, expected):
                assert_close(value, ref_value, name)
