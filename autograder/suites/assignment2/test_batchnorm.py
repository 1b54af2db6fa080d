"""Batch and layer normalization (cs231n/layers.py).

Students write batchnorm_forward (train and test mode, running averages kept
in bn_param), batchnorm_backward (step by step), batchnorm_backward_alt
(closed form), layernorm_forward and layernorm_backward. The cache of these
layers is the student's choice, so every backward test gets its cache from
the student's own forward pass on the same inputs.

Arguments travel by value, so what batchnorm_forward stores in a plain dict
bn_param is not seen here. Tests of the running averages pass a bn_param
that lives on the student's side (a collections.UserDict, which behaves like
a dict) and read it back afterwards.

Public tests check the statistics of the outputs, test mode after warm-up
passes, and numerical gradients of the student's own forward passes. Hidden
tests compare with the reference on several shapes (N = 1, D = 1, inputs far
from zero, custom eps and momentum).
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


def shared_param(code, values):
    """A bn_param living on `code`'s side, so that what the layer stores in it can be read back."""
    return code.new("collections", "UserDict", values)


def read_param(param):
    """The current contents of a shared_param, as a dict."""
    data = param.get("data")
    if not isinstance(data, dict):
        raise CheckFailed(f"bn_param should stay a dict; it became {describe(data)}")
    return data


def norm_forward(code, name, x, gamma, beta, param):
    """Call a normalization layer's forward pass; checks the form and returns (out, cache)."""
    out, cache = unpack(code.function(MOD, name)(x, gamma, beta, param), ["out", "cache"], name)
    assert_array(out, f"out from {name}", x.shape)
    return out, cache


def norm_backward(code, name, dout, cache, d):
    """Call a normalization layer's backward pass; checks the form and returns (dx, dgamma, dbeta)."""
    dx, dgamma, dbeta = unpack(code.function(MOD, name)(dout, cache), ["dx", "dgamma", "dbeta"], name)
    assert_array(dx, f"dx from {name}", dout.shape)
    assert_array(dgamma, f"dgamma from {name}", (d,))
    assert_array(dbeta, f"dbeta from {name}", (d,))
    return dx, dgamma, dbeta


def features(rng, n, d):
    """(x, gamma, beta): features with their own offsets and scales, far from mean 0 and std 1."""
    x = rng.uniform(-5, 5, size=d) + rng.uniform(0.5, 4, size=d) * rng.standard_normal((n, d))
    return x, rng.uniform(0.5, 2, size=d) * rng.choice([-1, 1], size=d), rng.standard_normal(d)


def check_against_numerical(code, forward_name, backward_name, x, gamma, beta, param, dout):
    """The student's backward pass against numerical gradients of the student's forward pass."""
    forward = code.function(MOD, forward_name)
    _, cache = norm_forward(code, forward_name, x, gamma, beta, dict(param))
    dx, dgamma, dbeta = norm_backward(code, backward_name, dout, cache, x.shape[1])
    num_dx = numerical_gradient(lambda x_: float(np.sum(forward(x_, gamma, beta, dict(param))[0] * dout)), x)
    num_dgamma = numerical_gradient(lambda g_: float(np.sum(forward(x, g_, beta, dict(param))[0] * dout)), gamma)
    num_dbeta = numerical_gradient(lambda b_: float(np.sum(forward(x, gamma, b_, dict(param))[0] * dout)), beta)
    with case(f"{backward_name} vs the numerical gradient of your {forward_name}, x of shape {x.shape}"):
        assert_matches_numerical(dx, num_dx, "dx")
        assert_matches_numerical(dgamma, num_dgamma, "dgamma")
        assert_matches_numerical(dbeta, num_dbeta, "dbeta")


def check_statistic(values, target, description, atol):
    """Every entry of `values` within `atol` of `target` (a number or an array)."""
    if not np.all(np.abs(values - target) <= atol):
        raise CheckFailed(f"{description} is {np.round(values, 4)}; it should be {np.round(target, 4)}")


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_batchnorm_train_mode_statistics(student, rng):
    """In training mode every feature of the output has mean beta and standard deviation |gamma|."""
    x, gamma, beta = features(rng, 200, 5)
    out, _ = norm_forward(student, "batchnorm_forward", x, np.ones(5), np.zeros(5), {"mode": "train"})
    check_statistic(out.mean(axis=0), 0.0, "the per-feature mean of batchnorm_forward's output with "
                    "gamma = 1 and beta = 0", 1e-6)
    check_statistic(out.std(axis=0), 1.0, "the per-feature standard deviation of batchnorm_forward's "
                    "output with gamma = 1 and beta = 0", 1e-4)
    out, _ = norm_forward(student, "batchnorm_forward", x, gamma, beta, {"mode": "train"})
    check_statistic(out.mean(axis=0), beta, "the per-feature mean of batchnorm_forward's output (beta)", 1e-6)
    check_statistic(out.std(axis=0), np.abs(gamma), "the per-feature standard deviation of "
                    "batchnorm_forward's output (|gamma|)", 1e-4)


@pytest.mark.public
@pytest.mark.points(1)
def test_batchnorm_test_mode_after_warm_up(student, rng):
    """After 50 training passes the running averages normalize new data from the same distribution."""
    d = 4
    offset, scale = rng.uniform(-5, 5, size=d), rng.uniform(1, 4, size=d)
    param = shared_param(student, {"mode": "train"})
    for _ in range(50):
        norm_forward(student, "batchnorm_forward", offset + scale * rng.standard_normal((200, d)),
                     np.ones(d), np.zeros(d), param)
    kept = read_param(param)
    for key in ("running_mean", "running_var"):
        if key not in kept:
            raise CheckFailed(f"after training passes bn_param has no {key!r}; store the running "
                              f"averages in bn_param[{key!r}]")
    x = offset + scale * rng.standard_normal((2000, d))
    out, _ = norm_forward(student, "batchnorm_forward", x, np.ones(d), np.zeros(d), {**kept, "mode": "test"})
    if not (np.all(np.abs(out.mean(axis=0)) < 0.15) and np.all(np.abs(out.std(axis=0) - 1) < 0.15)):
        raise CheckFailed("in test mode after 50 training passes, batchnorm_forward's output has per-feature "
                          f"means {np.round(out.mean(axis=0), 2)} and standard deviations "
                          f"{np.round(out.std(axis=0), 2)}; they should be about 0 and 1 (normalize with "
                          "the running averages in test mode)")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_numerical_gradient(student, rng, backward):
    x, gamma, beta = features(rng, 6, 4)
    check_against_numerical(student, "batchnorm_forward", backward, x, gamma, beta, {"mode": "train"},
                            rng.standard_normal((6, 4)))


@pytest.mark.public
@pytest.mark.points(1)
def test_layernorm_statistics(student, rng):
    """Every example of the output (a row) has mean 0 and standard deviation 1 before gamma and beta."""
    x = rng.uniform(-5, 5, size=(6, 1)) + rng.uniform(1, 3, size=(6, 1)) * rng.standard_normal((6, 300))
    out, _ = norm_forward(student, "layernorm_forward", x, np.ones(300), np.zeros(300), {})
    check_statistic(out.mean(axis=1), 0.0, "the per-example mean of layernorm_forward's output with "
                    "gamma = 1 and beta = 0", 1e-6)
    check_statistic(out.std(axis=1), 1.0, "the per-example standard deviation of layernorm_forward's "
                    "output with gamma = 1 and beta = 0", 1e-4)


@pytest.mark.public
@pytest.mark.points(1)
def test_layernorm_backward_numerical_gradient(student, rng):
    x, gamma, beta = features(rng, 4, 6)
    check_against_numerical(student, "layernorm_forward", "layernorm_backward", x, gamma, beta, {},
                            rng.standard_normal((4, 6)))


# ------------------------------------------------------------------ hidden: batchnorm forward

# (N, D); N = 1 normalizes every feature to 0, so out = beta.
BATCH_SHAPES = [(1, 3), (2, 1), (7, 4), (50, 12)]


@pytest.mark.points(2)
def test_batchnorm_forward_train_matches_reference(student, reference, rng):
    for n, d in BATCH_SHAPES:
        x, gamma, beta = features(rng, n, d)
        out, _ = norm_forward(student, "batchnorm_forward", x, gamma, beta, {"mode": "train"})
        ref_out, _ = reference.function(MOD, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
        with case(f"batchnorm_forward in train mode with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_batchnorm_forward_uses_eps(student, reference, rng):
    """A large eps shows where it is added: to the variance, inside the square root."""
    x, gamma, beta = features(rng, 10, 3)
    for mode in ("train", "test"):
        param = {"mode": mode, "eps": 0.5, "running_mean": rng.standard_normal(3),
                 "running_var": rng.uniform(0.5, 2, size=3)}
        out, _ = norm_forward(student, "batchnorm_forward", x, gamma, beta, dict(param))
        ref_out, _ = reference.function(MOD, "batchnorm_forward")(x, gamma, beta, dict(param))
        with case(f"batchnorm_forward in {mode} mode with bn_param['eps'] = 0.5"):
            assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_batchnorm_forward_test_matches_reference(student, reference, rng):
    """Test mode normalizes with the given running averages, not with the minibatch."""
    for n, d in BATCH_SHAPES:
        x, gamma, beta = features(rng, n, d)
        param = {"mode": "test", "running_mean": rng.uniform(-3, 3, size=d), "running_var": rng.uniform(0.5, 4, size=d)}
        out, _ = norm_forward(student, "batchnorm_forward", x, gamma, beta, dict(param))
        ref_out, _ = reference.function(MOD, "batchnorm_forward")(x, gamma, beta, dict(param))
        with case(f"batchnorm_forward in test mode with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(2)
def test_batchnorm_running_averages_match_reference(student, reference, rng):
    """Three training passes from the defaults (zeros, momentum 0.9), then three with momentum 0.6."""
    d = 5
    params = {"student": shared_param(student, {"mode": "train"}),
              "reference": shared_param(reference, {"mode": "train"})}
    for number in range(6):
        if number == 3:
            for param in params.values():
                param.call("__setitem__", "momentum", 0.6)
        x, gamma, beta = features(rng, 8, d)
        norm_forward(student, "batchnorm_forward", x, gamma, beta, params["student"])
        reference.function(MOD, "batchnorm_forward")(x, gamma, beta, params["reference"])
        got, expected = read_param(params["student"]), read_param(params["reference"])
        momentum = "the default momentum" if number < 3 else "momentum 0.6"
        with case(f"bn_param after {number + 1} training passes of batchnorm_forward ({momentum})"):
            for key in ("running_mean", "running_var"):
                if key not in got:
                    raise CheckFailed(f"bn_param has no {key!r}; store the updated running average "
                                      f"in bn_param[{key!r}]")
                assert_close(got[key], expected[key], f"bn_param[{key!r}]")


@pytest.mark.points(1)
def test_batchnorm_test_mode_leaves_running_averages(student, rng):
    d = 3
    mean, var = rng.standard_normal(d), rng.uniform(0.5, 2, size=d)
    param = shared_param(student, {"mode": "test", "running_mean": mean.copy(), "running_var": var.copy()})
    x, gamma, beta = features(rng, 6, d)
    norm_forward(student, "batchnorm_forward", x, gamma, beta, param)
    kept = read_param(param)
    with case("bn_param after a test-mode call of batchnorm_forward (test mode must not change it)"):
        assert_close(kept.get("running_mean"), mean, "bn_param['running_mean']")
        assert_close(kept.get("running_var"), var, "bn_param['running_var']")


# ------------------------------------------------------------------ hidden: batchnorm backward

@pytest.mark.points(2)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_matches_reference(student, reference, rng, backward):
    """The student's backward pass on the cache of the student's own forward pass."""
    for n, d in [(2, 3), (5, 1), (9, 4), (40, 16)]:
        x, gamma, beta = features(rng, n, d)
        dout = rng.standard_normal((n, d))
        _, cache = norm_forward(student, "batchnorm_forward", x, gamma, beta, {"mode": "train"})
        got = norm_backward(student, backward, dout, cache, d)
        _, ref_cache = reference.function(MOD, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
        expected = reference.function(MOD, backward)(dout, ref_cache)
        with case(f"{backward} with x of shape {x.shape}"):
            for name, value, ref_value in zip(["dx", "dgamma", "dbeta"], got, expected):
                assert_close(value, ref_value, name)


@pytest.mark.points(1)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_with_large_eps(student, reference, rng, backward):
    """eps = 0.5 is part of the variance term: its gradient must use var + eps too."""
    x, gamma, beta = features(rng, 6, 3)
    dout = rng.standard_normal((6, 3))
    param = {"mode": "train", "eps": 0.5}
    _, cache = norm_forward(student, "batchnorm_forward", x, gamma, beta, dict(param))
    dx, _, _ = norm_backward(student, backward, dout, cache, 3)
    _, ref_cache = reference.function(MOD, "batchnorm_forward")(x, gamma, beta, dict(param))
    ref_dx, _, _ = reference.function(MOD, backward)(dout, ref_cache)
    with case(f"{backward} after batchnorm_forward with bn_param['eps'] = 0.5"):
        assert_close(dx, ref_dx, "dx")


# ------------------------------------------------------------------ hidden: layernorm

@pytest.mark.points(2)
def test_layernorm_forward_matches_reference(student, reference, rng):
    for n, d in [(1, 5), (4, 1), (3, 7), (20, 30)]:
        x, gamma, beta = features(rng, n, d)
        x = x + rng.uniform(-5, 5, size=(n, 1))  # every example its own offset, too
        out, _ = norm_forward(student, "layernorm_forward", x, gamma, beta, {})
        ref_out, _ = reference.function(MOD, "layernorm_forward")(x, gamma, beta, {})
        with case(f"layernorm_forward with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_layernorm_forward_uses_eps(student, reference, rng):
    x, gamma, beta = features(rng, 5, 4)
    out, _ = norm_forward(student, "layernorm_forward", x, gamma, beta, {"eps": 0.5})
    ref_out, _ = reference.function(MOD, "layernorm_forward")(x, gamma, beta, {"eps": 0.5})
    with case("layernorm_forward with ln_param['eps'] = 0.5"):
        assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_layernorm_backward_matches_reference(student, reference, rng):
    for n, d, eps in [(1, 4, 1e-5), (3, 2, 1e-5), (6, 9, 1e-5), (30, 25, 1e-5), (4, 5, 0.5)]:
        x, gamma, beta = features(rng, n, d)
        x = x + rng.uniform(-5, 5, size=(n, 1))
        dout = rng.standard_normal((n, d))
        _, cache = norm_forward(student, "layernorm_forward", x, gamma, beta, {"eps": eps})
        got = norm_backward(student, "layernorm_backward", dout, cache, d)
        _, ref_cache = reference.function(MOD, "layernorm_forward")(x, gamma, beta, {"eps": eps})
        expected = reference.function(MOD, "layernorm_backward")(dout, ref_cache)
        with case(f"layernorm_backward with x of shape {x.shape} and eps {eps}"):
            for name, value, ref_value in zip(["dx", "dgamma", "dbeta"], got, expected):
                assert_close(value, ref_value, name)
