"""The softmax loss (cs231n/classifiers/softmax.py).

Students write softmax_loss_naive (loops) and softmax_loss_vectorized (no
loops); both return (loss, dW) with loss = mean cross-entropy + reg * sum(W * W),
computed stably (each example's largest score subtracted first). Public tests
check known values, a numerical gradient, the two versions against each other
and that shifting all scores by +-1000 changes nothing; hidden tests compare
both versions with the reference on several shapes and on scores that
overflow or underflow exp() when it is applied without the shift.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_scalar_close, case,
                                numerical_gradient, unpack)

MOD = "cs231n.classifiers.softmax"
VERSIONS = ("softmax_loss_naive", "softmax_loss_vectorized")
REGS = (0.0, 0.37)


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


def spread_scores(rng, n=12, d=8, c=10):
    """Scores spanning 900 within each example, the label among its two best classes.

    exp() of the unshifted scores overflows (around +1000), and so does
    shifting by the smallest score instead of the largest; shifting by the
    largest leaves a probability of at least about e^-100 for the label.
    """
    W, X, y = with_bias_row(rng, n, d, c, 1.0, 1000.0 - 100.0 * rng.permutation(c))
    scores = X.dot(W)
    best_two = np.argsort(-scores, axis=1)[:, :2]
    y = best_two[np.arange(n), rng.integers(0, 2, size=n)]
    return W, X, y


def hidden_cases(rng):
    """(description, W, X, y) for the hidden comparisons with the reference."""
    yield "a single example", *problem(rng, 1, 6, 4)
    yield "two classes", *problem(rng, 9, 13, 2)
    yield "labels all of one class", *problem(rng, 16, 20, 5, labels=3)
    yield "a batch of 40 examples", *problem(rng, 40, 30, 10)
    yield "CIFAR-sized rows (D=3073)", *problem(rng, 64, 3073, 10)


def large_score_cases(rng):
    """(description, W, X, y) on which exp() of unshifted scores overflows or underflows."""
    yield "scores near +1000", *with_bias_row(rng, 10, 7, 5, 1.0, 1000.0)
    yield "scores near -1000", *with_bias_row(rng, 10, 7, 5, 1.0, -1000.0)
    # A single shift for the whole batch (its overall maximum) leaves the
    # examples near -1000 with exp() == 0 for every class.
    sign = np.where(np.arange(12) % 2 == 0, 1.0, -1.0)
    yield "scores near +1000 for some examples and -1000 for others", *with_bias_row(rng, 12, 7, 5, sign, 1000.0)
    yield "scores spread over 900 within each example", *spread_scores(rng)


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
    loss, _ = call_loss(student, name, np.zeros((d, c)), X, y, 0.5)
    assert_scalar_close(loss, np.log(c), f"{name} loss with W = 0 and {c} classes (it should be log(C))")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_gradient_matches_numerical(student, rng, name):
    loss_fn = student.function(MOD, name)
    for reg in REGS:
        W, X, y = problem(rng, 7, 5, 4)
        _, dW = call_loss(student, name, W, X, y, reg)
        expected = numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W)
        with case(f"{name} with reg={reg} against a numerical gradient"):
            assert_close(dW, expected, "dW", tol=1e-5)


@pytest.mark.public
@pytest.mark.points(2)
def test_softmax_vectorized_matches_naive(student, rng):
    for reg in REGS:
        W, X, y = problem(rng, 50, 40, 10)
        loss_naive, dW_naive = call_loss(student, "softmax_loss_naive", W, X, y, reg)
        loss_vec, dW_vec = call_loss(student, "softmax_loss_vectorized", W, X, y, reg)
        with case(f"softmax_loss_vectorized against your softmax_loss_naive, reg={reg}"):
            assert_scalar_close(loss_vec, loss_naive, "loss", tol=1e-8)
            assert_close(dW_vec, dW_naive, "dW", tol=1e-8)


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_is_stable_for_large_scores(student, rng, name):
    """Adding the same constant to all of an example's scores changes no probability.

    The last column of X is 1 and the last row of W holds the constant, so
    with reg=0 the loss and the other rows of dW must equal those with the
    constant 0, here for constants +1000 and -1000.
    """
    W, X, y = with_bias_row(rng, 10, 6, 5, 1.0, 0.0)
    loss, dW = call_loss(student, name, W, X, y, 0.0)
    for shift in (1000.0, -1000.0):
        shifted = W.copy()
        shifted[-1] = shift
        loss_shifted, dW_shifted = call_loss(student, name, shifted, X, y, 0.0)
        with case(f"{name} with all scores shifted by {shift:+g} (subtract each example's "
                  "largest score before exp)"):
            assert_scalar_close(loss_shifted, loss, "loss", tol=1e-8)
            assert_close(dW_shifted, dW, "dW", tol=1e-6)


# ------------------------------------------------------------------ hidden

def check_against_reference(student, reference, name, cases, check_loss, check_grad):
    for description, W, X, y in cases:
        for reg in REGS:
            loss, dW = call_loss(student, name, W, X, y, reg)
            ref_loss, ref_dW = reference.function(MOD, name)(W, X, y, reg)
            with case(f"{name} on {description}, reg={reg}"):
                if check_loss:
                    assert_scalar_close(loss, ref_loss, "loss")
                if check_grad:
                    assert_close(dW, ref_dW, "dW")


@pytest.mark.points(2)
def test_softmax_naive_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, "softmax_loss_naive", hidden_cases(rng), True, False)


@pytest.mark.points(2)
def test_softmax_naive_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, "softmax_loss_naive", hidden_cases(rng), False, True)


@pytest.mark.points(2)
def test_softmax_vectorized_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, "softmax_loss_vectorized", hidden_cases(rng), True, False)


@pytest.mark.points(3)
def test_softmax_vectorized_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, "softmax_loss_vectorized", hidden_cases(rng), False, True)


@pytest.mark.points(2)
@pytest.mark.parametrize("name", VERSIONS)
def test_softmax_large_scores_match_reference(student, reference, rng, name):
    check_against_reference(student, reference, name, large_score_cases(rng), True, True)
