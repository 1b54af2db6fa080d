"""Policy-gradient losses in PyTorch (cs231n/rl/policy_gradient.py).

Students write policy_gradient_loss, value_loss and entropy. They take and
return torch tensors, which travel to the code under test by value (float64
here, for exact comparisons); `.grad(..., wrt=...)` runs autograd on the
code's side and sends back the value and the gradients. Public tests check values worked out by hand and
the gradient against centered differences of the student's own loss; hidden
tests compare losses and autograd gradients with the reference's on batches
of several shapes, logits in the hundreds, and check that advantages and
targets get no gradient.
"""
import contextlib

import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_close, assert_scalar_close, describe, numerical_gradient

MOD = "cs231n.rl.policy_gradient"
SHAPES = [(1, 2), (5, 3), (64, 2), (200, 6)]


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def call_loss(code, function, args, grad_args=()):
    """(loss as a float, [gradients as arrays]) of MOD.function(*args), arrays sent as tensors."""
    args = [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    if grad_args:
        value, grads = code.function(MOD, function).grad(*args, wrt=tuple(grad_args))
    else:
        value, grads = code.function(MOD, function)(*args), ()
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{function} should return a torch tensor; it returned {describe(value)}")
    if value.numel() != 1 or value.dim() > 1:
        raise CheckFailed(f"{function} should return a scalar tensor (shape ()); it returned shape "
                          f"{tuple(value.shape)}")
    return float(value.reshape(())), [g.numpy() for g in grads]


def gradient(grads, index, name, function):
    """The gradient with respect to `name`; all zeros means none reached it."""
    if not np.any(grads[index]):
        raise CheckFailed(f"no gradient reaches {name} through {function}; keep its computation in torch")
    return grads[index]


def batch(rng, n, a, scale=2.0):
    logits = scale * rng.standard_normal((n, a))
    actions = rng.integers(0, a, size=n).astype(np.int64)
    advantages = rng.standard_normal(n)
    return logits, actions, advantages


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_policy_gradient_loss_with_uniform_policy(student):
    """Equal logits: log pi = -log(A) for every action, so the loss is log(A) * mean(advantages)."""
    advantages = np.array([1.0, 2.0, -0.5, 3.5])
    loss, _ = call_loss(student, "policy_gradient_loss", [np.zeros((4, 3)), np.array([0, 2, 1, 1]), advantages])
    assert_scalar_close(loss, np.log(3.0) * advantages.mean(),
                        "policy_gradient_loss with equal logits (it should be log(3) * mean(advantages))")


@pytest.mark.public
@pytest.mark.points(2)
def test_policy_gradient_loss_gradient_matches_numerical(student, rng):
    logits, actions, advantages = batch(rng, 4, 3)
    _, grads = call_loss(student, "policy_gradient_loss", [logits, actions, advantages], [0])
    numeric = numerical_gradient(
        lambda x: call_loss(student, "policy_gradient_loss", [x, actions, advantages])[0], logits)
    with case("policy_gradient_loss: its autograd gradient against centered differences of its own value"):
        assert_close(gradient(grads, 0, "logits", "policy_gradient_loss"), numeric, "d loss / d logits", tol=1e-6)


@pytest.mark.public
@pytest.mark.points(1)
def test_value_loss_by_hand(student):
    loss, _ = call_loss(student, "value_loss", [np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 5.0])])
    assert_scalar_close(loss, (1.0 + 0.0 + 4.0) / 3, "value_loss of values [1, 2, 3] and targets [0, 2, 5]")


@pytest.mark.public
@pytest.mark.points(1)
def test_entropy_of_uniform_and_certain_policies(student):
    loss, _ = call_loss(student, "entropy", [np.zeros((2, 4))])
    assert_scalar_close(loss, np.log(4.0), "entropy of equal logits over 4 actions (it should be log(4))")
    loss, _ = call_loss(student, "entropy", [np.array([[50.0, 0.0, 0.0]])])
    if not abs(loss) < 1e-12:
        raise CheckFailed(f"the entropy of an almost certain policy should be about 0; it is {loss:.3g}")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
def test_policy_gradient_loss_matches_reference(student, reference, rng):
    for n, a in SHAPES:
        logits, actions, advantages = batch(rng, n, a)
        loss, grads = call_loss(student, "policy_gradient_loss", [logits, actions, advantages], [0])
        ref_loss, ref_grads = call_loss(reference, "policy_gradient_loss", [logits, actions, advantages], [0])
        with case(f"policy_gradient_loss with logits of shape {(n, a)}"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(gradient(grads, 0, "logits", "policy_gradient_loss"), ref_grads[0], "d loss / d logits")


@pytest.mark.points(1)
def test_policy_gradient_loss_with_large_logits(student, reference, rng):
    """Logits in the hundreds: log_softmax stays finite where log(softmax) would not."""
    logits, actions, advantages = batch(rng, 10, 4, scale=300.0)
    loss, grads = call_loss(student, "policy_gradient_loss", [logits, actions, advantages], [0])
    ref_loss, ref_grads = call_loss(reference, "policy_gradient_loss", [logits, actions, advantages], [0])
    with case("policy_gradient_loss with logits in the hundreds"):
        assert_scalar_close(loss, ref_loss, "loss")
        assert_close(gradient(grads, 0, "logits", "policy_gradient_loss"), ref_grads[0], "d loss / d logits")


@pytest.mark.points(1)
def test_policy_gradient_loss_treats_advantages_as_constants(student, rng):
    logits, actions, advantages = batch(rng, 6, 3)
    _, grads = call_loss(student, "policy_gradient_loss", [logits, actions, advantages], [0, 2])
    if np.any(grads[1] != 0):
        raise CheckFailed("policy_gradient_loss passes a gradient into the advantages; they are constants "
                          "(use advantages.detach())")


@pytest.mark.points(1)
def test_policy_gradient_loss_uses_the_taken_actions(student, reference, rng):
    """The same logits and advantages with other actions give another loss."""
    logits, actions, advantages = batch(rng, 8, 5)
    advantages = np.abs(advantages) + 0.5
    for shifted in (actions, (actions + 1) % 5):
        with case("policy_gradient_loss for one set of taken actions"):
            assert_scalar_close(call_loss(student, "policy_gradient_loss", [logits, shifted, advantages])[0],
                                call_loss(reference, "policy_gradient_loss", [logits, shifted, advantages])[0],
                                "loss")


@pytest.mark.points(1)
def test_value_loss_matches_reference(student, reference, rng):
    for n in (1, 7, 300):
        values, targets = rng.standard_normal(n), 3.0 * rng.standard_normal(n)
        loss, grads = call_loss(student, "value_loss", [values, targets], [0])
        ref_loss, ref_grads = call_loss(reference, "value_loss", [values, targets], [0])
        with case(f"value_loss on {n} values"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(gradient(grads, 0, "values", "value_loss"), ref_grads[0], "d loss / d values")


@pytest.mark.points(1)
def test_value_loss_treats_targets_as_constants(student, rng):
    _, grads = call_loss(student, "value_loss", [rng.standard_normal(5), rng.standard_normal(5)], [0, 1])
    if np.any(grads[1] != 0):
        raise CheckFailed("value_loss passes a gradient into the targets; they are constants (targets.detach())")


@pytest.mark.points(2)
def test_entropy_matches_reference(student, reference, rng):
    for n, a in SHAPES:
        logits = 2.0 * rng.standard_normal((n, a))
        value, grads = call_loss(student, "entropy", [logits], [0])
        ref_value, ref_grads = call_loss(reference, "entropy", [logits], [0])
        with case(f"entropy with logits of shape {(n, a)}"):
            assert_scalar_close(value, ref_value, "entropy")
            assert_close(gradient(grads, 0, "logits", "entropy"), ref_grads[0], "d entropy / d logits")


@pytest.mark.points(1)
def test_entropy_with_large_logits(student, reference, rng):
    logits = 400.0 * rng.standard_normal((6, 3))
    value, grads = call_loss(student, "entropy", [logits], [0])
    ref_value, ref_grads = call_loss(reference, "entropy", [logits], [0])
    with case("entropy with logits in the hundreds"):
        assert_scalar_close(value, ref_value, "entropy", tol=1e-5)
        assert_close(gradient(grads, 0, "logits", "entropy"), ref_grads[0], "d entropy / d logits", tol=1e-5)
