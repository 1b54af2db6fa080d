"""Batch and layer normalization (cs231n/layers.py).

Students write batchnorm_forward (train and test mode, running averages kept
in bn_param), batchnorm_backward (step by step), batchnorm_backward_alt
(closed form), layernorm_forward and layernorm_backward. Each test checks
one thing:

* public: the statistics of the outputs in training mode, test mode after
  50 warm-up passes, and each backward pass against the numerical gradient of
  the student's own forward pass;
* hidden, against the reference on several shapes (N = 1, D = 1, features
  far from mean 0 and std 1): the training-mode output, the test-mode output
  (given running averages), the running averages after several passes (with
  the default and another momentum), where eps goes (a large eps, its own
  test), and each backward pass.

The cache of these layers is the student's choice, so every backward test
gives the backward pass the cache of the student's own forward pass on the
same inputs. Where that forward pass is wrong (its own tests charge it), the
backward pass is checked against the numerical gradient of the student's
forward pass instead of the reference's gradient, so a forward mistake is
not charged again here.

batchnorm_forward updates the bn_param it is given; tests read that update
with `inspect`, which returns the arguments as they are after the call.
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_matches, case, describe,
                                numerical_gradient, unpack)

MOD = "cs231n.layers"
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries
# Value tests pass this tiny eps: where eps is added (inside or outside the square root, or
# not at all) then makes no visible difference, and only the eps tests, with eps = 0.5, see it.
TINY_EPS = 1e-12


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


def norm_forward(code, name, x, gamma, beta, param):
    """Call a normalization layer's forward pass; checks the form and returns (out, cache)."""
    out, cache = unpack(code.function(MOD, name)(x, gamma, beta, dict(param)), ["out", "cache"], name)
    assert_array(out, f"out from {name}", x.shape)
    return out, cache


def forward_with_param(code, name, x, gamma, beta, param):
    """(out, bn_param as the call left it)."""
    call = code.function(MOD, name).inspect(x, gamma, beta, dict(param))
    out, _ = unpack(call.value, ["out", "cache"], name)
    assert_array(out, f"out from {name}", x.shape)
    after = call.args_after[3]
    if not isinstance(after, dict):
        raise CheckFailed(f"bn_param should stay a dict; {name} made it {describe(after)}")
    return out, after


def running(after, key, d):
    if key not in after:
        raise CheckFailed(f"after a training pass bn_param has no {key!r}; the running averages are kept "
                          f"in bn_param[{key!r}]")
    assert_array(after[key], f"bn_param[{key!r}]", (d,))
    return after[key]


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


def numerical_gradients(code, forward_name, x, gamma, beta, param, dout):
    """Numerical gradients of sum(forward(x, gamma, beta, param) * dout) with respect to x, gamma, beta."""
    forward = code.function(MOD, forward_name)

    def summed(position):
        def value(v):
            args = [x, gamma, beta]
            args[position] = v
            return float(np.sum(forward(*args, dict(param))[0] * dout))
        return value

    return tuple(numerical_gradient(summed(i), a, name=f"your {forward_name}") for i, a in enumerate((x, gamma, beta)))


def check_against_numerical(code, forward_name, backward_name, x, gamma, beta, param, dout):
    """The student's backward pass against numerical gradients of the student's forward pass."""
    _, cache = norm_forward(code, forward_name, x, gamma, beta, param)
    got = norm_backward(code, backward_name, dout, cache, x.shape[1])
    numerical = numerical_gradients(code, forward_name, x, gamma, beta, param, dout)
    for name, value, num in zip(["dx", "dgamma", "dbeta"], got, numerical):
        assert_matches_numerical(value, num, name)


def agrees(got, expected, tol=1e-6):
    """Whether `got` matches `expected` (arrays, or tuples of them), without failing."""
    try:
        assert_matches(got, expected, "value", tol)
    except CheckFailed:
        return False
    return True


def backward_both(student, reference, forward_name, backward_name, x, gamma, beta, param, dout):
    """(student's (dx, dgamma, dbeta), the reference's), each backward pass given the cache of its own
    forward pass; None where the student's forward pass gives another output on these inputs (its own
    tests charge that, and a cache of a wrong forward pass has no right gradient to compare with).
    The student's backward pass must run and return the right shapes in any case."""
    out, cache = norm_forward(student, forward_name, x, gamma, beta, param)
    got = norm_backward(student, backward_name, dout, cache, x.shape[1])  # it must run either way
    ref_out, ref_cache = reference.function(MOD, forward_name)(x, gamma, beta, dict(param))
    if not agrees(out, ref_out):
        return None
    return got, reference.function(MOD, backward_name)(dout, ref_cache)


def check_backward(student, reference, forward_name, backward_name, x, gamma, beta, param, dout, description):
    both = backward_both(student, reference, forward_name, backward_name, x, gamma, beta, param, dout)
    if both is None:
        return
    with case(description):
        for name, value, want in zip(["dx", "dgamma", "dbeta"], *both):
            assert_close(value, want, name)


def normalized(x, gamma, beta, axis, eps=TINY_EPS):
    """The documented normalization written out: statistics along `axis` (0: batchnorm in training
    mode, 1: layernorm), biased variance, eps inside the square root."""
    centered = x - np.mean(x, axis=axis, keepdims=True)
    spread = np.sqrt(np.mean(centered ** 2, axis=axis, keepdims=True) + eps)
    return centered / spread * gamma + beta


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
                    "output with gamma = 1 and beta = 0 (normalize with the biased variance, np.var)", 1e-4)
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
    param = {"mode": "train"}
    for _ in range(50):
        _, param = forward_with_param(student, "batchnorm_forward", offset + scale * rng.standard_normal((200, d)),
                                      np.ones(d), np.zeros(d), param)
    running(param, "running_mean", d)
    running(param, "running_var", d)
    x = offset + scale * rng.standard_normal((2000, d))
    out, _ = norm_forward(student, "batchnorm_forward", x, np.ones(d), np.zeros(d), {**param, "mode": "test"})
    if not (np.all(np.abs(out.mean(axis=0)) < 0.15) and np.all(np.abs(out.std(axis=0) - 1) < 0.15)):
        raise CheckFailed("in test mode after 50 training passes, batchnorm_forward's output has per-feature "
                          f"means {np.round(out.mean(axis=0), 2)} and standard deviations "
                          f"{np.round(out.std(axis=0), 2)}; they should be about 0 and 1 (keep running "
                          "averages in training mode and normalize with them in test mode)")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_numerical_gradient(student, rng, backward):
    """Against the numerical gradient of your batchnorm_forward, where that forward pass gives the
    documented output (written out in this test); a wrong forward pass is its own tests' business."""
    x, gamma, beta = features(rng, 6, 4)
    param = {"mode": "train", "eps": TINY_EPS}
    dout = rng.standard_normal((6, 4))
    out, cache = norm_forward(student, "batchnorm_forward", x, gamma, beta, param)
    norm_backward(student, backward, dout, cache, 4)  # it must run either way
    if not agrees(out, normalized(x, gamma, beta, axis=0)):
        return
    with case(f"{backward} vs the numerical gradient of your batchnorm_forward, x of shape {x.shape}"):
        check_against_numerical(student, "batchnorm_forward", backward, x, gamma, beta, param, dout)


@pytest.mark.public
@pytest.mark.points(1)
def test_layernorm_statistics(student, rng):
    """Every example of the output (a row) has mean 0 and standard deviation 1 before gamma and beta."""
    x = rng.uniform(-5, 5, size=(6, 1)) + rng.uniform(1, 3, size=(6, 1)) * rng.standard_normal((6, 300))
    out, _ = norm_forward(student, "layernorm_forward", x, np.ones(300), np.zeros(300), {})
    check_statistic(out.mean(axis=1), 0.0, "the per-example mean of layernorm_forward's output with "
                    "gamma = 1 and beta = 0", 1e-6)
    check_statistic(out.std(axis=1), 1.0, "the per-example standard deviation of layernorm_forward's "
                    "output with gamma = 1 and beta = 0 (normalize with the biased variance, np.var)", 1e-4)


@pytest.mark.public
@pytest.mark.points(1)
def test_layernorm_backward_numerical_gradient(student, rng):
    """Against the numerical gradient of your layernorm_forward, where that forward pass gives the
    documented output (written out in this test)."""
    x, gamma, beta = features(rng, 4, 6)
    param = {"eps": TINY_EPS}
    dout = rng.standard_normal((4, 6))
    out, cache = norm_forward(student, "layernorm_forward", x, gamma, beta, param)
    norm_backward(student, "layernorm_backward", dout, cache, 6)  # it must run either way
    if not agrees(out, normalized(x, gamma, beta, axis=1)):
        return
    with case(f"layernorm_backward vs the numerical gradient of your layernorm_forward, x of shape {x.shape}"):
        check_against_numerical(student, "layernorm_forward", "layernorm_backward", x, gamma, beta, param, dout)


# ------------------------------------------------------------------ hidden: batchnorm forward

# (N, D); N = 1 normalizes every feature to 0, so out = beta.
BATCH_SHAPES = [(1, 3), (2, 1), (7, 4), (50, 12)]


def forward_both(student, reference, name, x, gamma, beta, param):
    """(student's out, reference's out) of a normalization layer on the same inputs."""
    out, _ = norm_forward(student, name, x, gamma, beta, param)
    ref_out, _ = reference.function(MOD, name)(x, gamma, beta, dict(param))
    return out, ref_out


def given_running_averages(rng, d, **more):
    return {"mode": "test", "running_mean": rng.uniform(-3, 3, size=d), "running_var": rng.uniform(0.5, 4, size=d),
            **more}


@pytest.mark.points(2)
def test_batchnorm_forward_train_matches_reference(student, reference, rng):
    for n, d in BATCH_SHAPES:
        x, gamma, beta = features(rng, n, d)
        out, ref_out = forward_both(student, reference, "batchnorm_forward", x, gamma, beta,
                                    {"mode": "train", "eps": TINY_EPS})
        with case(f"batchnorm_forward in train mode with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(2)
def test_batchnorm_forward_test_matches_reference(student, reference, rng):
    """Test mode normalizes with the given running averages, not with the minibatch."""
    for n, d in BATCH_SHAPES:
        x, gamma, beta = features(rng, n, d)
        out, ref_out = forward_both(student, reference, "batchnorm_forward", x, gamma, beta,
                                    given_running_averages(rng, d, eps=TINY_EPS))
        with case(f"batchnorm_forward in test mode with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_batchnorm_forward_uses_eps(student, reference, rng):
    """A large eps shows where it is added: to the variance, inside the square root. Checked in each
    mode where the output is right with a tiny eps (a mistake elsewhere is the other tests' business)."""
    x, gamma, beta = features(rng, 10, 3)
    for mode in ("train", "test"):
        param = given_running_averages(rng, 3, mode=mode)
        if not agrees(*forward_both(student, reference, "batchnorm_forward", x, gamma, beta, {**param, "eps": TINY_EPS})):
            continue
        out, ref_out = forward_both(student, reference, "batchnorm_forward", x, gamma, beta, {**param, "eps": 0.5})
        with case(f"batchnorm_forward in {mode} mode with bn_param['eps'] = 0.5"):
            assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_batchnorm_running_averages_match_reference(student, reference, rng):
    """Three training passes from the defaults (zeros, momentum 0.9), then three with momentum 0.6,
    each given the bn_param the last one left."""
    d = 5
    param = ref_param = {"mode": "train"}
    for number in range(6):
        if number == 3:
            param, ref_param = {**param, "momentum": 0.6}, {**ref_param, "momentum": 0.6}
        x, gamma, beta = features(rng, 8, d)
        _, param = forward_with_param(student, "batchnorm_forward", x, gamma, beta, param)
        ref_param = reference.function(MOD, "batchnorm_forward").inspect(x, gamma, beta, dict(ref_param)).args_after[3]
        momentum = "the default momentum" if number < 3 else "momentum 0.6"
        with case(f"bn_param after {number + 1} training passes of batchnorm_forward ({momentum})"):
            for key in ("running_mean", "running_var"):
                assert_close(running(param, key, d), ref_param[key], f"bn_param[{key!r}]")


@pytest.mark.points(1)
def test_batchnorm_test_mode_leaves_running_averages(student, rng):
    d = 3
    mean, var = rng.standard_normal(d), rng.uniform(0.5, 2, size=d)
    x, gamma, beta = features(rng, 6, d)
    _, after = forward_with_param(student, "batchnorm_forward", x, gamma, beta,
                                  {"mode": "test", "running_mean": mean, "running_var": var})
    with case("bn_param after a test-mode call of batchnorm_forward (test mode must not change it)"):
        assert_close(running(after, "running_mean", d), mean, "bn_param['running_mean']")
        assert_close(running(after, "running_var", d), var, "bn_param['running_var']")


# ------------------------------------------------------------------ hidden: batchnorm backward

@pytest.mark.points(2)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_matches_reference(student, reference, rng, backward):
    # N = 2 is left out: there x_hat is +-1 and dx is 0 up to rounding, which no relative error can judge.
    for n, d in [(3, 3), (5, 1), (9, 4), (40, 16)]:
        x, gamma, beta = features(rng, n, d)
        check_backward(student, reference, "batchnorm_forward", backward, x, gamma, beta,
                       {"mode": "train", "eps": TINY_EPS}, rng.standard_normal((n, d)),
                       f"{backward} with x of shape {x.shape}")


@pytest.mark.points(1)
@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
def test_batchnorm_backward_with_large_eps(student, reference, rng, backward):
    """eps = 0.5 is part of the variance term: its gradient must use var + eps too. Checked where
    the gradients are right with a tiny eps."""
    x, gamma, beta = features(rng, 6, 3)
    dout = rng.standard_normal((6, 3))
    both = backward_both(student, reference, "batchnorm_forward", backward, x, gamma, beta,
                         {"mode": "train", "eps": TINY_EPS}, dout)
    if both is None or not agrees(*both):
        return
    check_backward(student, reference, "batchnorm_forward", backward, x, gamma, beta, {"mode": "train", "eps": 0.5},
                   dout, f"{backward} after batchnorm_forward with bn_param['eps'] = 0.5")


# ------------------------------------------------------------------ hidden: layernorm

def rows_apart(rng, n, d):
    """features() with every example its own offset too."""
    x, gamma, beta = features(rng, n, d)
    return x + rng.uniform(-5, 5, size=(n, 1)), gamma, beta


@pytest.mark.points(2)
def test_layernorm_forward_matches_reference(student, reference, rng):
    for n, d in [(1, 5), (4, 1), (3, 7), (20, 30)]:
        x, gamma, beta = rows_apart(rng, n, d)
        out, ref_out = forward_both(student, reference, "layernorm_forward", x, gamma, beta, {"eps": TINY_EPS})
        with case(f"layernorm_forward with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_layernorm_forward_uses_eps(student, reference, rng):
    """Checked where the output is right with a tiny eps."""
    x, gamma, beta = rows_apart(rng, 5, 4)
    if not agrees(*forward_both(student, reference, "layernorm_forward", x, gamma, beta, {"eps": TINY_EPS})):
        return
    out, ref_out = forward_both(student, reference, "layernorm_forward", x, gamma, beta, {"eps": 0.5})
    with case("layernorm_forward with ln_param['eps'] = 0.5"):
        assert_close(out, ref_out, "out (divide by sqrt(var + eps))")


@pytest.mark.points(2)
def test_layernorm_backward_matches_reference(student, reference, rng):
    # D = 2 is left out: there x_hat is +-1 and dx is 0 up to rounding, which no relative error can judge.
    for n, d in [(1, 4), (3, 3), (6, 9), (30, 25)]:
        x, gamma, beta = rows_apart(rng, n, d)
        check_backward(student, reference, "layernorm_forward", "layernorm_backward", x, gamma, beta,
                       {"eps": TINY_EPS}, rng.standard_normal((n, d)), f"layernorm_backward with x of shape {x.shape}")


@pytest.mark.points(1)
def test_layernorm_backward_with_large_eps(student, reference, rng):
    """Checked where the gradients are right with a tiny eps."""
    x, gamma, beta = rows_apart(rng, 4, 5)
    dout = rng.standard_normal((4, 5))
    both = backward_both(student, reference, "layernorm_forward", "layernorm_backward", x, gamma, beta,
                         {"eps": TINY_EPS}, dout)
    if both is None or not agrees(*both):
        return
    check_backward(student, reference, "layernorm_forward", "layernorm_backward", x, gamma, beta, {"eps": 0.5},
                   dout, "layernorm_backward after layernorm_forward with ln_param['eps'] = 0.5")
