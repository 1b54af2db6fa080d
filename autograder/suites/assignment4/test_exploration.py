"""Epsilon-greedy actions and the linear schedule (cs231n/rl/exploration.py).

epsilon_greedy draws from the generator it is given, so its choices cannot
equal the reference's draw for draw; the tests check what must hold for any
correct implementation: exactly greedy with epsilon 0, uniform with epsilon
1, and, for 0 < epsilon < 1, the share of greedy actions (1 - epsilon +
epsilon / A) within five standard errors over many rows. The generator lives
on the side of the code under test (numpy.random.default_rng called there).
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_equal_labels, assert_scalar_close

MOD = "cs231n.rl.exploration"
ROWS = 20000


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def generator(code, seed):
    """A numpy.random.Generator created where the code under test runs."""
    return code.function("numpy.random", "default_rng")(seed)


def choose(student, q_values, epsilon, seed):
    actions = student.function(MOD, "epsilon_greedy")(q_values, epsilon, generator(student, seed))
    assert_array(actions, f"epsilon_greedy with q_values of shape {q_values.shape}", (q_values.shape[0],))
    if actions.dtype.kind not in "iu":
        raise CheckFailed(f"epsilon_greedy should return integer actions; they have dtype {actions.dtype}")
    return actions


def check_greedy_share(actions, q_values, epsilon, what):
    """The share of rows that got the greedy action, within 5 standard errors of its expectation."""
    num_actions = q_values.shape[1]
    expected = 1 - epsilon + epsilon / num_actions
    share = float(np.mean(actions == np.argmax(q_values, axis=1)))
    slack = 5 * np.sqrt(expected * (1 - expected) / len(actions)) + 1e-12
    if abs(share - expected) > slack:
        raise CheckFailed(f"{what}: {share:.3f} of the rows got the greedy action; with epsilon={epsilon} and "
                          f"{num_actions} actions about {expected:.3f} should (random actions include the greedy one)")


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_epsilon_0_is_greedy(student, rng):
    q_values = rng.standard_normal((50, 4))
    with case("epsilon_greedy with epsilon=0"):
        assert_equal_labels(choose(student, q_values, 0.0, 1), np.argmax(q_values, axis=1), "actions")


@pytest.mark.public
@pytest.mark.points(1)
def test_epsilon_1_is_uniform(student, rng):
    q_values = rng.standard_normal((ROWS, 3))
    actions = choose(student, q_values, 1.0, 2)
    counts = np.bincount(actions, minlength=3)
    if len(counts) > 3 or np.any(np.abs(counts / ROWS - 1 / 3) > 0.02):
        raise CheckFailed(f"epsilon_greedy with epsilon=1 should choose each of 3 actions about 1/3 of the time; "
                          f"it chose them {np.round(counts / ROWS, 3).tolist()}")


@pytest.mark.public
@pytest.mark.points(1)
def test_linear_schedule_endpoints(student):
    schedule = student.function(MOD, "linear_schedule")
    assert_scalar_close(schedule(0, 1.0, 0.1, 100), 1.0, "linear_schedule(0, 1.0, 0.1, 100)")
    assert_scalar_close(schedule(50, 1.0, 0.1, 100), 0.55, "linear_schedule(50, 1.0, 0.1, 100)")
    assert_scalar_close(schedule(100, 1.0, 0.1, 100), 0.1, "linear_schedule(100, 1.0, 0.1, 100)")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(1)
@pytest.mark.parametrize("epsilon", [0.05, 0.3, 0.8])
def test_share_of_greedy_actions(student, rng, epsilon):
    for num_actions in (2, 5):
        q_values = rng.standard_normal((ROWS, num_actions))
        check_greedy_share(choose(student, q_values, epsilon, 3), q_values, epsilon,
                           f"epsilon_greedy with epsilon={epsilon} over {ROWS} rows of {num_actions} actions")


@pytest.mark.points(1)
def test_random_actions_are_uniform_over_all_actions(student, rng):
    """Rows whose greedy action is 0: the other actions come only from exploration, each equally."""
    q_values = rng.standard_normal((ROWS, 4))
    q_values[:, 0] += 10.0
    actions = choose(student, q_values, 0.6, 4)
    shares = np.bincount(actions, minlength=4)[1:] / ROWS
    if len(shares) != 3 or np.any(np.abs(shares - 0.15) > 0.015):
        raise CheckFailed("with epsilon=0.6 and 4 actions each non-greedy action should be chosen in about "
                          f"0.15 of the rows; epsilon_greedy chose them in {np.round(shares, 3).tolist()}")


@pytest.mark.points(1)
def test_rows_explore_independently(student, rng):
    """Not one coin for the whole batch: with epsilon 0.5 both kinds of row occur in one call."""
    q_values = rng.standard_normal((200, 6))
    actions = choose(student, q_values, 0.5, 5)
    share = float(np.mean(actions == np.argmax(q_values, axis=1)))
    if not 0.45 < share < 0.75:
        raise CheckFailed(f"with epsilon=0.5, {share:.2f} of 200 rows of one call got the greedy action; each row "
                          "should explore on its own draw (expected about 0.58)")


@pytest.mark.points(1)
def test_greedy_ties_take_the_lowest_action(student):
    q_values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 0.0]])
    with case("epsilon_greedy with epsilon=0 on rows with tied best values"):
        assert_equal_labels(choose(student, q_values, 0.0, 6), np.array([1, 0, 0]), "actions")


@pytest.mark.points(1)
def test_epsilon_greedy_on_one_row_and_one_action(student, rng):
    with case("epsilon_greedy with q_values of shape (1, 4) and epsilon=0"):
        q_values = rng.standard_normal((1, 4))
        assert_equal_labels(choose(student, q_values, 0.0, 7), np.argmax(q_values, axis=1), "actions")
    with case("epsilon_greedy with a single action and epsilon=1"):
        assert_equal_labels(choose(student, np.zeros((10, 1)), 1.0, 8), np.zeros(10, dtype=int), "actions")


@pytest.mark.points(1)
def test_linear_schedule_matches_reference(student, reference, rng):
    for step, start, end, duration in [(0, 0.5, 0.0, 1), (1, 0.5, 0.0, 1), (7, 1.0, 0.05, 10),
                                       (10_000, 1.0, 0.05, 10_000), (123_456, 0.3, 0.01, 50_000),
                                       (3, 0.1, 0.9, 4)]:
        assert_scalar_close(student.function(MOD, "linear_schedule")(step, start, end, duration),
                            reference.function(MOD, "linear_schedule")(step, start, end, duration),
                            f"linear_schedule({step}, {start}, {end}, {duration})")
