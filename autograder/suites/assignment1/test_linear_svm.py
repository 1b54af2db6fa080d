"""The multiclass SVM loss (cs231n/classifiers/linear_svm.py).

Students write svm_loss_naive (loops) and svm_loss_vectorized (no loops);
both return (loss, dW) with loss = mean hinge loss (margin 1) + reg * sum(W * W).
Each test checks one thing, for each version:

* public: the loss at W = 0 (C - 1), dW against a numerical gradient of the
  version's own loss, and the regularization term alone (loss(reg) - loss(0)
  and dW(reg) - dW(0): the docstring's convention reg * sum(W * W));
* hidden: loss and dW, each in its own test, against the reference on inputs
  of several shapes, without regularization (that is the regularization
  test's job); and the docstring's convention that a margin of exactly 0 is
  not a violation, checked against the version's own dW just inside the margin.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_l2_regularization,
                                assert_scalar_close, case, compare, numerical_gradient, unpack)

MOD = "cs231n.classifiers.linear_svm"
VERSIONS = ("svm_loss_naive", "svm_loss_vectorized")


def problem(rng, n, d, c, labels=None):
    """Random (W, X, y) with scores of order 1, so that some margins are positive and some not."""
    W = rng.standard_normal((d, c)) / np.sqrt(d)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n) if labels is None else np.full(n, labels)
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
def test_svm_loss_with_zero_weights(student, rng, name):
    """With W = 0 every score is 0, so each of the C-1 wrong classes has margin exactly 1."""
    n, d, c = 8, 5, 4
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    loss, _ = call_loss(student, name, np.zeros((d, c)), X, y, 0.0)
    assert_scalar_close(loss, c - 1.0, f"{name} loss with W = 0 and {c} classes (it should be C - 1)")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("name", VERSIONS)
def test_svm_gradient_matches_numerical(student, rng, name):
    """dW against the numerical gradient of the same function's loss, with reg=0."""
    loss_fn = student.function(MOD, name)
    W, X, y = problem(rng, 7, 5, 4)
    _, dW = call_loss(student, name, W, X, y, 0.0)
    expected = numerical_gradient(lambda w: loss_fn(w, X, y, 0.0)[0], W, name=f"the loss of {name}")
    # Looser than for smooth losses: a margin within h of a kink of the
    # hinge makes the numerical estimate itself off by a little.
    with case(f"{name} with reg=0 against a numerical gradient of its own loss"):
        assert_close(dW, expected, "dW", tol=1e-4)


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_svm_regularization(student, rng, name):
    """The regularization term alone: loss(reg) - loss(0) = reg * sum(W * W), dW grows by 2 * reg * W."""
    W, X, y = problem(rng, 10, 6, 4)
    assert_l2_regularization(lambda reg: _loss_and_grad(student, name, W, X, y, reg), {"dW": W}, reg=0.37,
                             factor=1.0, penalty="sum(W * W)", what=name)


def _loss_and_grad(student, name, W, X, y, reg):
    loss, dW = call_loss(student, name, W, X, y, reg)
    return loss, {"dW": dW}


# ------------------------------------------------------------------ hidden

def check_against_reference(student, reference, rng, name, entry):
    """`entry` ("loss" or "dW") of `name` against the reference, with reg=0."""
    other = {"loss": "dW", "dW": "loss"}[entry]
    for description, W, X, y in hidden_cases(rng):
        with case(f"{name} on {description}, reg=0"):
            compare(student, reference, MOD, name, W, X, y, 0.0, returns=("loss", "dW"), skip=(other,))


@pytest.mark.points(2)
def test_svm_naive_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_naive", "loss")


@pytest.mark.points(2)
def test_svm_naive_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_naive", "dW")


@pytest.mark.points(2)
def test_svm_vectorized_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_vectorized", "loss")


@pytest.mark.points(3)
def test_svm_vectorized_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_vectorized", "dW")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_svm_margin_zero_is_not_a_violation(student, name):
    """The docstring's convention: a margin of exactly 0 (s_j = s_y - 1) adds nothing to dW.

    Integer-valued inputs make the margins exact, so ties really happen: with
    W below, example 0 has margin exactly 0 for class 1 and example 1 for
    class 0. One extra feature per example (its own column of the identity)
    lets the test raise or lower that example's correct score by a hair: dW
    at the ties must equal the version's own dW just inside the margin
    (margins -1e-3), not just outside it (+1e-3). Only this convention is
    checked: the rest of dW is compared with the reference elsewhere.
    """
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    X = np.array([[2.0, 1.0], [1.0, 2.0], [0.0, 2.0]])
    y = np.array([0, 1, 2])
    X = np.hstack([X, np.eye(3)])
    at_ties = np.vstack([W, np.zeros((3, 3))])
    nudge = np.zeros_like(at_ties)
    nudge[2 + np.arange(3), y] = 1e-3
    _, dW = call_loss(student, name, at_ties, X, y, 0.0)
    _, dW_inside = call_loss(student, name, at_ties + nudge, X, y, 0.0)
    try:
        assert_close(dW, dW_inside, "dW", tol=1e-9)
    except CheckFailed:
        _, dW_outside = call_loss(student, name, at_ties - nudge, X, y, 0.0)
        counted = np.allclose(dW, dW_outside, rtol=1e-9, atol=1e-12)
        raise CheckFailed(f"{name}: with margins of exactly 0, dW "
                          + ("counts them as violated (margin >= 0?)" if counted else
                             "differs from your own dW with those margins just below 0")
                          + "; the docstring's convention: a margin of exactly 0 is not a violation "
                          "and adds nothing to dW (use margin > 0)") from None
