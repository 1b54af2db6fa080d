"""The multiclass SVM loss (cs231n/classifiers/linear_svm.py).

Students write svm_loss_naive (loops) and svm_loss_vectorized (no loops);
both return (loss, dW) with loss = mean hinge loss (margin 1) + reg * sum(W * W).
Public tests check each version against a numerical gradient, against a value
known by hand and against each other; hidden tests compare both with the
reference on inputs of several shapes, with and without regularization.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_scalar_close, case,
                                numerical_gradient, unpack)

MOD = "cs231n.classifiers.linear_svm"
VERSIONS = ("svm_loss_naive", "svm_loss_vectorized")
REGS = (0.0, 0.37)


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
    loss, _ = call_loss(student, name, np.zeros((d, c)), X, y, 0.5)
    assert_scalar_close(loss, c - 1.0, f"{name} loss with W = 0 and {c} classes (it should be C - 1)")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("name", VERSIONS)
def test_svm_gradient_matches_numerical(student, rng, name):
    loss_fn = student.function(MOD, name)
    for reg in REGS:
        W, X, y = problem(rng, 7, 5, 4)
        _, dW = call_loss(student, name, W, X, y, reg)
        expected = numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W)
        # Looser than for smooth losses: a margin within h of a kink of the
        # hinge makes the numerical estimate itself off by a little.
        with case(f"{name} with reg={reg} against a numerical gradient"):
            assert_close(dW, expected, "dW", tol=1e-4)


@pytest.mark.public
@pytest.mark.points(2)
def test_svm_vectorized_matches_naive(student, rng):
    for reg in REGS:
        W, X, y = problem(rng, 50, 40, 10)
        loss_naive, dW_naive = call_loss(student, "svm_loss_naive", W, X, y, reg)
        loss_vec, dW_vec = call_loss(student, "svm_loss_vectorized", W, X, y, reg)
        with case(f"svm_loss_vectorized against your svm_loss_naive, reg={reg}"):
            assert_scalar_close(loss_vec, loss_naive, "loss", tol=1e-8)
            assert_close(dW_vec, dW_naive, "dW", tol=1e-8)


# ------------------------------------------------------------------ hidden

def check_against_reference(student, reference, rng, name, check_loss, check_grad):
    for description, W, X, y in hidden_cases(rng):
        for reg in REGS:
            loss, dW = call_loss(student, name, W, X, y, reg)
            ref_loss, ref_dW = reference.function(MOD, name)(W, X, y, reg)
            with case(f"{name} on {description}, reg={reg}"):
                if check_loss:
                    assert_scalar_close(loss, ref_loss, "loss")
                if check_grad:
                    assert_close(dW, ref_dW, "dW")


@pytest.mark.points(2)
def test_svm_naive_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_naive", True, False)


@pytest.mark.points(2)
def test_svm_naive_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_naive", False, True)


@pytest.mark.points(2)
def test_svm_vectorized_loss_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_vectorized", True, False)


@pytest.mark.points(3)
def test_svm_vectorized_gradient_matches_reference(student, reference, rng):
    check_against_reference(student, reference, rng, "svm_loss_vectorized", False, True)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", VERSIONS)
def test_svm_margin_zero_is_not_a_violation(student, reference, name):
    """Scores exactly at the margin (s_j = s_y - 1) add nothing to the loss or the gradient.

    Integer-valued inputs make the margins exact, so ties really happen:
    with W below, example 0 has margin exactly 0 for class 1 and example 1
    for class 0.
    """
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    X = np.array([[2.0, 1.0], [1.0, 2.0], [0.0, 2.0]])
    y = np.array([0, 1, 2])
    for reg in REGS:
        loss, dW = call_loss(student, name, W, X, y, reg)
        ref_loss, ref_dW = reference.function(MOD, name)(W, X, y, reg)
        with case(f"{name} with margins exactly at zero, reg={reg}"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(dW, ref_dW, "dW")
