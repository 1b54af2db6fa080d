"""DQN targets, the Huber TD loss and target-network updates (cs231n/rl/dqn.py).

Students write dqn_targets, double_dqn_targets, huber_td_loss, hard_update
and polyak_update, in PyTorch. Tensors travel to the code under test by
value (float64 here); `.grad(..., wrt=...)` runs autograd there. The
target-network updates get two MLPs (cs231n/rl/networks.py) built on the
side of the code under test from the test's arrays, and the test reads both
networks' parameters back afterwards. Hidden cases: dones in the middle of a
batch, gamma 0 and 1, batches where Double DQN's choice differs from the
target network's own best action, TD errors on both sides of delta, and tau
0, between and 1.
"""
import contextlib

import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_close, assert_scalar_close, describe, numerical_gradient

MOD = "cs231n.rl.dqn"
NETWORKS = "cs231n.rl.networks"
SIZES = [(1, 2), (6, 3), (64, 2), (257, 5)]
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def call(code, function, args, grad_args=()):
    """(the result as an array, [gradients as arrays]) of MOD.function(*args), arrays sent as tensors."""
    args = [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    if grad_args:
        value, grads = code.function(MOD, function).grad(*args, wrt=tuple(grad_args))
    else:
        value, grads = code.function(MOD, function)(*args), ()
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{function} should return a torch tensor; it returned {describe(value)}")
    return value.numpy(), [g.numpy() for g in grads]


def targets_of(code, function, args, batch_size):
    value, _ = call(code, function, args)
    if value.shape != (batch_size,):
        raise CheckFailed(f"{function} should return a tensor of shape ({batch_size},); it returned shape "
                          f"{value.shape}")
    return value


def loss_of(code, args, grad_args=()):
    value, grads = call(code, "huber_td_loss", args, grad_args)
    if value.size != 1 or value.ndim > 1:
        raise CheckFailed(f"huber_td_loss should return a scalar tensor; it returned shape {value.shape}")
    return float(value.reshape(())), grads


def transitions(rng, b, a):
    rewards = rng.standard_normal(b)
    dones = (rng.random(b) < 0.3).astype(np.float64)
    dones[b // 2] = 1.0
    return rewards, 5.0 * rng.standard_normal((b, a)), 5.0 * rng.standard_normal((b, a)), dones


def network_arrays(rng, d=3, h=5, k=2):
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, h), "b2": (h,), "W3": (h, k), "b3": (k,)}
    return {name: rng.standard_normal(shape) for name, shape in shapes.items()}


def network(code, arrays):
    """An MLP (float64) holding `arrays`, built where the code under test runs."""
    d, h = arrays["W1"].shape
    net = code.new(NETWORKS, "MLP", d, arrays["W3"].shape[1], h)
    net.call("double")
    net.call("load_arrays", arrays)
    return net


def update(code, function, target_arrays, online_arrays, *args):
    """Both networks' parameters after MOD.function(target, online, *args)."""
    target, online = network(code, target_arrays), network(code, online_arrays)
    code.function(MOD, function)(target, online, *args)
    return {"target": target.call("to_arrays"), "online": online.call("to_arrays")}


def check_networks(got, expected, what):
    for name in PARAMS:
        assert_close(got[name], expected[name], f"{what} {name}", tol=1e-6)


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_dqn_targets_by_hand(student):
    rewards, dones = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    next_q = np.array([[2.0, 3.0], [5.0, 4.0]])
    with case("dqn_targets of 2 transitions (the second terminal), gamma 0.5"):
        assert_close(targets_of(student, "dqn_targets", [rewards, next_q, dones, 0.5], 2),
                     np.array([1.0 + 0.5 * 3.0, 0.0]), "targets")


@pytest.mark.public
@pytest.mark.points(1)
def test_double_dqn_targets_by_hand(student):
    """The online network prefers action 0, the target network values it at 2 (not its own best, 3)."""
    rewards, dones = np.array([1.0]), np.array([0.0])
    with case("double_dqn_targets of 1 transition, gamma 0.5"):
        assert_close(targets_of(student, "double_dqn_targets",
                                [rewards, np.array([[9.0, 1.0]]), np.array([[2.0, 3.0]]), dones, 0.5], 1),
                     np.array([1.0 + 0.5 * 2.0]), "targets")


@pytest.mark.public
@pytest.mark.points(1)
def test_huber_td_loss_by_hand(student):
    """TD errors 0.5 (quadratic part: 0.125) and -3 (linear part: 3 - 0.5 = 2.5), delta 1."""
    q_values = np.array([[1.5, 0.0], [0.0, 2.0]])
    loss, _ = loss_of(student, [q_values, np.array([0, 1]), np.array([1.0, 5.0]), 1.0])
    assert_scalar_close(loss, (0.125 + 2.5) / 2, "huber_td_loss of TD errors 0.5 and -3 with delta 1")


@pytest.mark.public
@pytest.mark.points(1)
def test_huber_td_loss_gradient_matches_numerical(student, rng):
    q_values = 2.0 * rng.standard_normal((5, 3))
    actions, targets = rng.integers(0, 3, size=5), 2.0 * rng.standard_normal(5)
    _, grads = loss_of(student, [q_values, actions, targets, 1.0], [0])
    numeric = numerical_gradient(lambda x: loss_of(student, [x, actions, targets, 1.0])[0], q_values)
    if not np.any(grads[0]):
        raise CheckFailed("no gradient reaches q_values through huber_td_loss")
    with case("huber_td_loss: its autograd gradient against centered differences of its own value"):
        assert_close(grads[0], numeric, "d loss / d q_values", tol=1e-6)


@pytest.mark.public
@pytest.mark.points(1)
def test_hard_update_copies_online(student, rng):
    target, online = network_arrays(rng), network_arrays(rng)
    out = update(student, "hard_update", target, online)
    with case("after hard_update(target, online)"):
        check_networks(out["target"], online, "the target network's")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", [0.0, 0.99, 1.0])
def test_dqn_targets_match_reference(student, reference, rng, gamma):
    for b, a in SIZES:
        rewards, _, next_q, dones = transitions(rng, b, a)
        args = [rewards, next_q, dones, gamma]
        with case(f"dqn_targets of {b} transitions with {a} actions, gamma={gamma}"):
            assert_close(targets_of(student, "dqn_targets", args, b),
                         targets_of(reference, "dqn_targets", args, b), "targets")


@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", [0.0, 0.99, 1.0])
def test_double_dqn_targets_match_reference(student, reference, rng, gamma):
    for b, a in SIZES:
        rewards, next_online, next_target, dones = transitions(rng, b, a)
        args = [rewards, next_online, next_target, dones, gamma]
        with case(f"double_dqn_targets of {b} transitions with {a} actions, gamma={gamma}"):
            assert_close(targets_of(student, "double_dqn_targets", args, b),
                         targets_of(reference, "double_dqn_targets", args, b), "targets")


@pytest.mark.points(1)
def test_double_dqn_chooses_with_the_online_network(student, reference, rng):
    """The online network's best action is the target network's worst: plain DQN targets differ."""
    b, a = 40, 4
    rewards, _, next_target, _ = transitions(rng, b, a)
    next_online = -next_target
    args = [rewards, next_online, next_target, np.zeros(b), 0.9]
    with case("double_dqn_targets where the two networks disagree on the best next action"):
        assert_close(targets_of(student, "double_dqn_targets", args, b),
                     targets_of(reference, "double_dqn_targets", args, b), "targets")


@pytest.mark.points(1)
def test_double_dqn_ties_take_the_lowest_action(student, reference):
    next_online = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])
    next_target = np.array([[3.0, 7.0, 9.0], [1.0, 4.0, 8.0]])
    args = [np.zeros(2), next_online, next_target, np.zeros(2), 1.0]
    with case("double_dqn_targets when the online network's best actions tie"):
        assert_close(targets_of(student, "double_dqn_targets", args, 2),
                     targets_of(reference, "double_dqn_targets", args, 2), "targets")


@pytest.mark.points(2)
@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_td_loss_matches_reference(student, reference, rng, delta):
    """TD errors of order 2: some inside delta, some outside."""
    for b, a in SIZES:
        q_values = 2.0 * rng.standard_normal((b, a))
        actions, targets = rng.integers(0, a, size=b), 2.0 * rng.standard_normal(b)
        args = [q_values, actions, targets, delta]
        loss, grads = loss_of(student, args, [0])
        ref_loss, ref_grads = loss_of(reference, args, [0])
        with case(f"huber_td_loss of {b} transitions with {a} actions, delta={delta}"):
            assert_scalar_close(loss, ref_loss, "loss")
            if not np.any(grads[0]):
                raise CheckFailed("no gradient reaches q_values")
            assert_close(grads[0], ref_grads[0], "d loss / d q_values")


@pytest.mark.points(1)
def test_huber_td_loss_default_delta(student, reference, rng):
    q_values, actions, targets = 3.0 * rng.standard_normal((20, 3)), rng.integers(0, 3, size=20), np.zeros(20)
    loss, _ = loss_of(student, [q_values, actions, targets])
    with case("huber_td_loss without a delta argument (default 1.0)"):
        assert_scalar_close(loss, loss_of(reference, [q_values, actions, targets])[0], "loss")


@pytest.mark.points(1)
def test_huber_td_loss_treats_targets_as_constants(student, rng):
    q_values, actions, targets = rng.standard_normal((6, 2)), rng.integers(0, 2, size=6), rng.standard_normal(6)
    _, grads = loss_of(student, [q_values, actions, targets, 1.0], [0, 2])
    if np.any(grads[1] != 0):
        raise CheckFailed("huber_td_loss passes a gradient into the targets; they are constants (targets.detach())")


@pytest.mark.points(1)
def test_huber_td_loss_only_reaches_taken_actions(student, rng):
    q_values, actions, targets = rng.standard_normal((30, 4)), rng.integers(0, 4, size=30), rng.standard_normal(30)
    _, grads = loss_of(student, [q_values, actions, targets, 1.0], [0])
    if not np.any(grads[0]):
        raise CheckFailed("no gradient reaches q_values through huber_td_loss")
    untaken = np.ones_like(q_values, dtype=bool)
    untaken[np.arange(30), actions] = False
    if np.any(grads[0][untaken] != 0):
        raise CheckFailed("huber_td_loss has a gradient for actions that were not taken; only "
                          "q_values[i, actions[i]] enters the loss")


@pytest.mark.points(1)
def test_hard_update_leaves_online_unchanged(student, rng):
    target, online = network_arrays(rng, 4, 6, 3), network_arrays(rng, 4, 6, 3)
    out = update(student, "hard_update", target, online)
    with case("after hard_update(target, online)"):
        check_networks(out["target"], online, "the target network's")
        check_networks(out["online"], online, "the online network's (it must not change)")


@pytest.mark.points(2)
@pytest.mark.parametrize("tau", [0.0, 0.005, 0.3, 1.0])
def test_polyak_update(student, rng, tau):
    target, online = network_arrays(rng, 4, 6, 3), network_arrays(rng, 4, 6, 3)
    out = update(student, "polyak_update", target, online, tau)
    expected = {name: tau * online[name] + (1 - tau) * target[name] for name in PARAMS}
    with case(f"after polyak_update(target, online, tau={tau})"):
        check_networks(out["target"], expected, "the target network's")
        check_networks(out["online"], online, "the online network's (it must not change)")
