"""The softmax loss (cs231n/classifiers/softmax.py).

Students write softmax_loss_naive (loops) and softmax_loss_vectorized (no
loops); both return (loss, dW) with loss = mean cross-entropy + reg * sum(W * W),
computed stably. Each test checks one thing, for each version:

* public: the loss at W = 0 (log C), dW against a numerical gradient of the
  version's own loss, the regularization term alone (loss(reg) - loss(0) and
  dW(reg) - dW(0): the docstring's convention reg * sum(W * W)), and that
  shifting an example's scores by +-1000 changes nothing (each example's
  largest score subtracted before exp);
* hidden: loss and dW, each in its own test, against the reference on inputs
  of several shapes, without regularization; and the loss of a label whose
  probability is about e^-800, which underflows to 0: its log must not be
  taken (log-probabilities as shifted - log(sum(exp(shifted)))).
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_l2_regularization,
                                assert_scalar_close, case, compare, numerical_gradient, unpack)

MOD = "cs231n.classifiers.softmax"
VERSIONS = ("softmax_loss_naive", "softmax_loss_vectorized")


def problem(rng, n, d, c, labels=None):
    """Random (W, X, y) with scores of order 1."""
    W = rng.standard_normal((d, c)) / np.sqrt(d)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n) if labels is None else np.full(n, labels)
    return W, X, y


def with_bias_row(rng, n, d, c, row_sign, bias):
    """(W, X, y) whose last column of X is row_sign (+1/-1 per example) and last row of W is `bias`.

    Example i's scores are then row_sign[i] * bias plus scores of order 1.
    """
    W, X, y = problem(rng, n, d, c)
    X[:, -1] = row_sign
    W[-1] = bias
    return W, X, y


def hidden_cases(rng):
    """(description, W, X, y) for the hidden comparisons with the reference."""
    yield "a single example", *problem(rng, 1, 6, 4)
    yield "two classes", *problem(rng, 9, 13, 2)
    yield "labels all of one class", *problem(rng, 16, 20, 5, labels=3)
    yield "a batch of 40 examples", *problem(rng, 40, 30, 10)
    yield "CIFAR-sized rows (D=3073)", *problem(rng, 64, 3073, 10)


def call_loss(student, name, W, X, y, reg):
    """Call one loss version; check the result's form and return (loss, dW)."""
    loss, dW = unpack(student.function(MOD, name)(W, X, y, reg), ["loss", "dW"], name)
    assert_array(dW, f"dW from {name}", W.shape)
    return loss, dW


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_loss_with_zero_weights(student, rng, name):
    """With W = 0 every class has probability 1/C, so the loss is log(C)."""
    n, d, c = 8, 5, 4
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    loss, _ = call_loss(student, name, np.zeros((d, c)), X, y, 0.0)
    assert_scalar_close(loss, np.log(c), f"{name} loss with W = 0 and {c} classes (it should be log(C))")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_gradient_matches_numerical(student, rng, name):
    """dW against the numerical gradient of the same function's loss, with reg=0."""
    loss_fn = student.function(MOD, name)
    W, X, y = problem(rng, 7, 5, 4)
    _, dW = call_loss(student, name, W, X, y, 0.0)
    expected = numerical_gradient(lambda w: loss_fn(w, X, y, 0.0)[0], W, name=f"the loss of {name}")
    with case(f"{name} with reg=0 against a numerical gradient of its own loss"):
        assert_close(dW, expected, "dW", tol=1e-5)


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_regularization(student, rng, name):
    """The regularization term alone: loss(reg) - loss(0) = reg * sum(W * W), dW grows by 2 * reg * W."""
    W, X, y = problem(rng, 10, 6, 4)
    assert_l2_regularization(lambda reg: _loss_and_grad(student, name, W, X, y, reg), {"dW": W}, reg=0.37,
                             factor=1.0, penalty="sum(W * W)", what=name)


def _loss_and_grad(student, name, W, X, y, reg):
    loss, dW = call_loss(student, name, W, X, y, reg)
    return loss, {"dW": dW}


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_is_stable_for_large_scores(student, rng, name):
    """Adding a constant to all of an example's scores changes none of its probabilities.

    The last column of X is +-1 and the last row of W holds the constant, so
    with reg=0 the loss and dW must equal those with the constant 0: for
    +1000 and -1000 in every example, and for +1000 in some examples and
    -1000 in others (one shift for the whole batch is not enough there).
    """
    signs = {"+1000": np.ones(10), "-1000": -np.ones(10),
             "+1000 in some examples and -1000 in others": np.where(np.arange(10) % 2 == 0, 1.0, -1.0)}
    W, X, y = with_bias_row(rng, 10, 6, 5, 1.0, 0.0)
    for description, sign in signs.items():
        X_signed, shifted = X.copy(), W.copy()
        X_signed[:, -1] = sign
        shifted[-1] = 1000.0
        loss, dW = call_loss(student, name, W, X_signed, y, 0.0)
        loss_shifted, dW_shifted = call_loss(student, name, shifted, X_signed, y, 0.0)
        with case(f"{name} with scores shifted by {description} (subtract each example's own "
                  "largest score before exp)"):
            assert_scalar_close(loss_shifted, loss, "loss", tol=1e-8)
            assert_close(dW_shifted, dW, "dW", tol=1e-6)


# ------------------------------------------------------------------ hidden

def check_against_reference(student, reference, rng, name, entry):
    """`entry` ("loss" or "dW") of `name` against the reference, with reg=0."""
    other = {"loss": "dW", "dW": "loss"}[entry]
    for description, W, X, y in hidden_cases(rng):
        with case(f"{name} on {description}, reg=0"):
            compare(student, reference, MOD, name, W, X, y, 0.0, returns=("loss", "dW"), skip=(other,))


@pytest.mark.points(2)
def test_softmax_naive_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "softmax_loss_naive", "loss")


@pytest.mark.points(2)
def test_softmax_naive_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "softmax_loss_naive", "dW")


@pytest.mark.points(2)
def test_softmax_vectorized_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "softmax_loss_vectorized", "loss")


@pytest.mark.points(3)
def test_softmax_vectorized_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "softmax_loss_vectorized", "dW")


def number_or_none(value):
    """`value` as a float if it is one number (a Python or NumPy scalar, a one-element array), else None."""
    if isinstance(value, (int, float, np.generic, np.ndarray)) and np.size(value) == 1:
        return float(np.asarray(value, dtype=float).reshape(()))
    return None


UNDERFLOW_HINT = ("compute log-probabilities as shifted - log(sum(exp(shifted))) instead of taking the log "
                  "of a probability")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_loss_of_a_very_unlikely_label(student, reference, rng, name):
    """Each example's label scores 800 below its other classes (scores otherwise of order 1).

    Its probability, about e^-800, underflows to 0 in float64 whether or not
    the scores are shifted, so log(probability) is -inf (or, clipped, far off);
    the log-probability itself, about -800, is an ordinary number. Only the
    loss is checked: dW is compared with the reference elsewhere.
    """
    n, d, c = 8, 5, 4
    W, X, y = problem(rng, n, d, c)
    X = np.hstack([X, np.eye(n)])               # one feature per example...
    W = np.vstack([W, np.zeros((n, c))])
    W[d + np.arange(n), y] = -800.0             # ...that lowers its label's score by 800
    loss, _ = call_loss(student, name, W, X, y, 0.0)
    expected, _ = reference.function(MOD, name)(W, X, y, 0.0)
    description = f"{name} with each label's probability about e^-800"
    value = number_or_none(loss)
    if value is not None and np.isinf(value):
        raise CheckFailed(f"{description}: the loss is {value}: the label's probability underflowed to 0 "
                          f"and its log was taken; {UNDERFLOW_HINT}")
    try:
        assert_scalar_close(loss, expected, "loss")
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc} (was the probability clipped before the log? "
                          f"{UNDERFLOW_HINT})") from None
