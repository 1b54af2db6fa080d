"""Dynamic programming and Q-learning on tabular MDPs (cs231n/rl/tabular.py).

Students write bellman_backup, value_iteration, policy_evaluation,
policy_improvement, policy_iteration and q_learning_update. An MDP is P of
shape (S, A, S) and R of shape (S, A). Public tests use a two-state MDP
worked out by hand and the Bellman equations themselves; hidden tests
compare with the reference on random MDPs of several sizes (one state, one
action, absorbing terminal states), gamma 0 and close to 1.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_close, assert_equal_labels, describe

MOD = "cs231n.rl.tabular"
SIZES = [(1, 1), (1, 3), (2, 2), (5, 3), (16, 4), (40, 6)]
GAMMAS = (0.0, 0.5, 0.9, 0.99)


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def random_mdp(rng, S, A, terminal=0):
    """P (S, A, S) with rows on a few next states, R (S, A); the last `terminal`
    states absorbing with reward 0."""
    P = rng.dirichlet(np.full(S, 0.3), size=(S, A))
    R = rng.standard_normal((S, A))
    for s in range(S - terminal, S):
        P[s] = 0.0
        P[s, :, s] = 1.0
        R[s] = 0.0
    return P, R


def two_state_mdp():
    """State 0: action 0 stays (reward 1), action 1 moves to 1 (reward 0).
    State 1: both actions stay, reward 2 for action 1, 0 for action 0."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 1] = 1.0
    R = np.array([[1.0, 0.0], [0.0, 2.0]])
    return P, R


def values_and_policy(result, function, S):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{function} should return a tuple (V, policy); it returned {describe(result)}")
    V, policy = result
    if not isinstance(policy, np.ndarray) or policy.dtype.kind not in "iu":
        raise CheckFailed(f"the policy from {function} should be an integer array; got {describe(policy)}")
    return V, policy


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_bellman_backup_by_hand(student):
    P, R = two_state_mdp()
    V = np.array([10.0, 20.0])
    expected = np.array([[1 + 0.5 * 10, 0 + 0.5 * 20], [0 + 0.5 * 20, 2 + 0.5 * 20]])
    with case("bellman_backup on the two-state MDP with V = [10, 20], gamma 0.5"):
        assert_close(student.function(MOD, "bellman_backup")(P, R, V, 0.5), expected, "Q")


@pytest.mark.public
@pytest.mark.points(1)
def test_value_iteration_by_hand(student):
    """gamma 0.5: staying in 1 with reward 2 is worth 4; from 0, moving there (0 + 0.5 * 4 = 2)
    ties with staying (1 / (1 - 0.5) = 2), so the lowest action, 0, is chosen."""
    P, R = two_state_mdp()
    V, policy = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.5), "value_iteration", 2)
    with case("value_iteration on the two-state MDP with gamma 0.5"):
        assert_close(V, np.array([2.0, 4.0]), "V", tol=1e-8)
        assert_equal_labels(policy, np.array([0, 1]), "policy")


@pytest.mark.public
@pytest.mark.points(1)
def test_value_iteration_satisfies_bellman_optimality(student, rng):
    P, R = random_mdp(rng, 6, 3)
    V, _ = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.9), "value_iteration", 6)
    with case("value_iteration on a random MDP: V = max_a (R + gamma P V)"):
        assert_close(V, (R + 0.9 * P.dot(V)).max(axis=1), "V", tol=1e-7)


@pytest.mark.public
@pytest.mark.points(1)
def test_policy_evaluation_satisfies_bellman_equation(student, rng):
    P, R = random_mdp(rng, 7, 3)
    policy = rng.integers(0, 3, size=7)
    V = student.function(MOD, "policy_evaluation")(P, R, policy, 0.8)
    states = np.arange(7)
    with case("policy_evaluation on a random MDP: V = R_pi + gamma P_pi V"):
        assert_close(V, R[states, policy] + 0.8 * P[states, policy].dot(V), "V", tol=1e-9)


@pytest.mark.public
@pytest.mark.points(1)
def test_policy_iteration_agrees_with_value_iteration(student, rng):
    P, R = random_mdp(rng, 8, 4)
    V1, policy1 = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.9), "value_iteration", 8)
    V2, policy2 = values_and_policy(student.function(MOD, "policy_iteration")(P, R, 0.9), "policy_iteration", 8)
    with case("policy_iteration against value_iteration on a random MDP"):
        assert_equal_labels(policy2, policy1, "policy")
        assert_close(V2, V1, "V", tol=1e-7)


@pytest.mark.public
@pytest.mark.points(1)
def test_q_learning_update_by_hand(student):
    Q = np.array([[0.0, 1.0], [2.0, 4.0]])
    new_Q = student.function(MOD, "q_learning_update")(Q.copy(), 0, 1, 1.0, 1, False, 0.5, 0.9)
    expected = Q.copy()
    expected[0, 1] = 1.0 + 0.5 * (1.0 + 0.9 * 4.0 - 1.0)
    with case("q_learning_update of Q[0, 1] towards 1 + 0.9 * max(Q[1]) with alpha 0.5"):
        assert_close(new_Q, expected, "Q")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(1)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_bellman_backup_matches_reference(student, reference, rng, gamma):
    for S, A in SIZES:
        P, R = random_mdp(rng, S, A)
        V = rng.standard_normal(S)
        with case(f"bellman_backup with S={S}, A={A}, gamma={gamma}"):
            assert_close(student.function(MOD, "bellman_backup")(P, R, V, gamma),
                         reference.function(MOD, "bellman_backup")(P, R, V, gamma), "Q")


@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_value_iteration_matches_reference(student, reference, rng, gamma):
    for S, A in SIZES:
        P, R = random_mdp(rng, S, A, terminal=S // 4)
        V, policy = values_and_policy(student.function(MOD, "value_iteration")(P, R, gamma), "value_iteration", S)
        ref_V, ref_policy = reference.function(MOD, "value_iteration")(P, R, gamma)
        with case(f"value_iteration with S={S}, A={A}, {S // 4} terminal states, gamma={gamma}"):
            assert_close(V, ref_V, "V", tol=1e-7)
            assert_equal_labels(policy, ref_policy, "policy")


@pytest.mark.points(1)
def test_value_iteration_respects_tol(student, reference, rng):
    """A loose tol stops early: the values are those of the same number of sweeps."""
    P, R = random_mdp(rng, 10, 3)
    for tol in (1e-1, 1e-3):
        V, _ = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.95, tol), "value_iteration", 10)
        ref_V, _ = reference.function(MOD, "value_iteration")(P, R, 0.95, tol)
        with case(f"value_iteration with tol={tol:g} (stop when the largest change is below tol)"):
            assert_close(V, ref_V, "V", tol=1e-9)


@pytest.mark.points(1)
def test_value_iteration_respects_max_iterations(student, reference, rng):
    P, R = random_mdp(rng, 10, 3)
    for sweeps in (1, 3):
        V, _ = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.95, 1e-12, sweeps),
                                 "value_iteration", 10)
        with case(f"value_iteration with max_iterations={sweeps}"):
            assert_close(V, reference.function(MOD, "value_iteration")(P, R, 0.95, 1e-12, sweeps)[0], "V")


@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_policy_evaluation_matches_reference(student, reference, rng, gamma):
    for S, A in SIZES:
        P, R = random_mdp(rng, S, A, terminal=S // 3)
        policy = rng.integers(0, A, size=S)
        with case(f"policy_evaluation with S={S}, A={A}, gamma={gamma}"):
            assert_close(student.function(MOD, "policy_evaluation")(P, R, policy, gamma),
                         reference.function(MOD, "policy_evaluation")(P, R, policy, gamma), "V", tol=1e-8)


@pytest.mark.points(1)
@pytest.mark.parametrize("gamma", (0.0, 0.9, 1.0))
def test_policy_improvement_matches_reference(student, reference, rng, gamma):
    for S, A in SIZES:
        P, R = random_mdp(rng, S, A)
        V = 3.0 * rng.standard_normal(S)
        with case(f"policy_improvement with S={S}, A={A}, gamma={gamma}"):
            assert_equal_labels(student.function(MOD, "policy_improvement")(P, R, V, gamma),
                                reference.function(MOD, "policy_improvement")(P, R, V, gamma), "policy")


@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_policy_iteration_matches_reference(student, reference, rng, gamma):
    for S, A in SIZES:
        P, R = random_mdp(rng, S, A, terminal=S // 4)
        V, policy = values_and_policy(student.function(MOD, "policy_iteration")(P, R, gamma), "policy_iteration", S)
        ref_V, ref_policy = reference.function(MOD, "policy_iteration")(P, R, gamma)
        with case(f"policy_iteration with S={S}, A={A}, gamma={gamma}"):
            assert_equal_labels(policy, ref_policy, "policy")
            assert_close(V, ref_V, "V", tol=1e-8)


@pytest.mark.points(1)
def test_policy_iteration_starts_from_action_0(student, reference, rng):
    """max_iterations=1: one evaluation of the all-zeros policy, then its improvement."""
    P, R = random_mdp(rng, 9, 4)
    V, policy = values_and_policy(student.function(MOD, "policy_iteration")(P, R, 0.9, 1), "policy_iteration", 9)
    ref_V, _ = reference.function(MOD, "policy_iteration")(P, R, 0.9, 1)
    with case("policy_iteration with max_iterations=1"):
        assert_close(V, ref_V, "V", tol=1e-9)


@pytest.mark.points(1)
def test_q_learning_update_matches_reference(student, reference, rng):
    for S, A in [(1, 1), (4, 2), (16, 4)]:
        for _ in range(5):
            Q = rng.standard_normal((S, A))
            s, a, s2 = int(rng.integers(S)), int(rng.integers(A)), int(rng.integers(S))
            reward, alpha, gamma = float(rng.standard_normal()), float(rng.uniform(0.05, 1)), float(rng.uniform(0, 1))
            with case(f"q_learning_update with S={S}, A={A}, not terminated"):
                assert_close(student.function(MOD, "q_learning_update")(Q.copy(), s, a, reward, s2, False, alpha, gamma),
                             reference.function(MOD, "q_learning_update")(Q.copy(), s, a, reward, s2, False, alpha, gamma),
                             "Q")


@pytest.mark.points(1)
def test_q_learning_update_at_termination(student, reference, rng):
    """terminated: the target is the reward alone, whatever Q[next_state] holds."""
    Q = 5.0 + rng.standard_normal((6, 3))
    with case("q_learning_update with terminated=True"):
        assert_close(student.function(MOD, "q_learning_update")(Q.copy(), 2, 1, 1.5, 4, True, 0.3, 0.9),
                     reference.function(MOD, "q_learning_update")(Q.copy(), 2, 1, 1.5, 4, True, 0.3, 0.9), "Q")


@pytest.mark.points(1)
def test_q_learning_update_with_gamma_0_and_1(student, reference, rng):
    for gamma in (0.0, 1.0):
        Q = rng.standard_normal((5, 2))
        with case(f"q_learning_update with gamma={gamma}"):
            assert_close(student.function(MOD, "q_learning_update")(Q.copy(), 3, 0, -1.0, 3, False, 0.5, gamma),
                         reference.function(MOD, "q_learning_update")(Q.copy(), 3, 0, -1.0, 3, False, 0.5, gamma),
                         "Q")


@pytest.mark.points(1)
def test_value_iteration_on_frozen_lake(student, reference):
    """End to end on the model of FrozenLake-v1 (4x4, slippery), with its exact ties."""
    P, R = reference.function(MOD, "frozen_lake_mdp")()
    _, policy = values_and_policy(student.function(MOD, "value_iteration")(P, R, 0.99), "value_iteration", 16)
    with case("value_iteration on FrozenLake-v1 (4x4, slippery), gamma 0.99"):
        assert_equal_labels(policy, reference.function(MOD, "value_iteration")(P, R, 0.99)[1], "policy")
