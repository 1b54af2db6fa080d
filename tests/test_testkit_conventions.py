"""testkit.assert_l2_regularization (a loss's L2 term checked alone, by difference) and
assert_matches accepting a Python float where the expected value is a NumPy scalar."""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_l2_regularization, assert_matches

rng = np.random.default_rng(0)
W = rng.standard_normal((5, 3))
BASE_GRAD = rng.standard_normal((5, 3))


def loss_with(factor, grad_factor=None, bias_slope=0.0):
    """A loss of 1.7 + factor * reg * sum(W**2) whose W gradient grows by grad_factor * reg * W."""
    grad_factor = 2 * factor if grad_factor is None else grad_factor

    def loss_at(reg):
        return (1.7 + factor * reg * np.sum(W * W),
                {"dW": BASE_GRAD + grad_factor * reg * W, "db": np.ones(3) + bias_slope * reg})
    return loss_at


def check(loss_at, factor=1.0):
    assert_l2_regularization(loss_at, {"dW": W}, reg=0.37, factor=factor, penalty="sum(W * W)", what="f")


def test_the_stated_convention_passes():
    check(loss_with(1.0))
    check(loss_with(0.5), factor=0.5)


def test_another_convention_is_named():
    with pytest.raises(CheckFailed, match=r"f: the loss with reg=0.37 minus the loss with reg=0 is 0.5 \* reg \* "
                                          r"sum\(W \* W\); the docstring's convention is a regularization term of "
                                          r"reg \* sum\(W \* W\)"):
        check(loss_with(0.5))
    with pytest.raises(CheckFailed, match=r"is 2 \* reg \* sum\(W \* W\); the docstring's convention is a "
                                          r"regularization term of 0.5 \* reg \*"):
        check(loss_with(2.0), factor=0.5)


def test_a_gradient_off_by_a_factor_is_named():
    with pytest.raises(CheckFailed, match=r"f: dW with reg=0.37 minus dW with reg=0 is reg \* W; the gradient of "
                                          r"the term reg \* sum\(W \* W\) is 2 \* reg \* W"):
        check(loss_with(1.0, grad_factor=1.0))


def test_a_regularized_bias_and_a_missing_term_are_named():
    with pytest.raises(CheckFailed, match=r"f: db changes with reg; only the weights \(W\) are regularized"):
        check(loss_with(1.0, bias_slope=0.2))
    with pytest.raises(CheckFailed, match=r"minus the loss with reg=0 is 0 \* reg \* sum"):
        check(loss_with(0.0, grad_factor=2.0))


def test_a_gradient_that_is_no_multiple_of_w():
    def loss_at(reg):
        return 1.0 + reg * np.sum(W * W), {"dW": BASE_GRAD + reg * np.ones_like(W)}
    with pytest.raises(CheckFailed, match=r"is not a multiple of reg \* W"):
        check(loss_at)


def test_a_loss_that_is_not_a_number():
    with pytest.raises(CheckFailed, match=r"f: the loss should be a number; got an array of shape \(2,\)"):
        check(lambda reg: (np.zeros(2), {"dW": BASE_GRAD}))


def test_a_python_float_matches_a_numpy_scalar_sent_as_a_0d_array():
    assert_matches(1.25, np.array(1.25), "loss")
    assert_matches(np.float64(1.25), np.array(1.25), "loss")
    with pytest.raises(CheckFailed, match="loss is 1.5, which is too large"):
        assert_matches(1.5, np.array(1.25), "loss")
    with pytest.raises(CheckFailed, match="loss should be a number"):
        assert_matches("1.25", np.array(1.25), "loss")
