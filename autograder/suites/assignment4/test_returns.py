"""Returns and advantages (cs231n/rl/returns.py).

Students write discounted_returns (each episode's whole discounted return on
each of its steps), reward_to_go, normalize_advantages and gae. A batch is
T steps of one environment with `dones` marking the last step of each
episode; the last episode may be unfinished. Public tests check small
batches worked out by hand and identities between the functions; hidden
tests compare with the reference on random batches of several lengths with
episode boundaries in the middle, at the end and nowhere, gamma 0 and 1, and
lam 0 and 1.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_close

MOD = "cs231n.rl.returns"
LENGTHS = (1, 2, 7, 50, 333)
GAMMAS = (0.0, 0.5, 0.99, 1.0)
LAMS = (0.0, 0.5, 0.95, 1.0)


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def random_batch(rng, length, ends):
    """rewards (length,) and dones (length,) with episode ends in the middle; ends says
    whether the last step ends an episode ("done"), does not ("open") or at random."""
    rewards = rng.standard_normal(length) + rng.integers(0, 2, size=length)
    dones = (rng.random(length) < 0.15).astype(np.float64)
    if length > 2:
        dones[length // 2] = 1.0          # always at least one boundary in the middle
    if ends == "done":
        dones[-1] = 1.0
    elif ends == "open":
        dones[-1] = 0.0
    return rewards, dones


def batches(rng):
    for length in LENGTHS:
        for ends in ("done", "open"):
            yield length, ends, *random_batch(rng, length, ends)


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_discounted_returns_by_hand(student):
    """Two episodes: [1, 2, 3] and [4, 5] (unfinished), gamma 0.5."""
    rewards = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    dones = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    first, second = 1 + 0.5 * 2 + 0.25 * 3, 4 + 0.5 * 5
    with case("discounted_returns of two episodes [1, 2, 3] and [4, 5] with gamma 0.5"):
        assert_close(student.function(MOD, "discounted_returns")(rewards, dones, 0.5),
                     np.array([first] * 3 + [second] * 2), "returns")


@pytest.mark.public
@pytest.mark.points(1)
def test_reward_to_go_by_hand(student):
    rewards = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    dones = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    expected = np.array([1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3, 4 + 0.5 * 5, 5])
    with case("reward_to_go of two episodes [1, 2, 3] and [4, 5] with gamma 0.5"):
        assert_close(student.function(MOD, "reward_to_go")(rewards, dones, 0.5), expected, "returns")


@pytest.mark.public
@pytest.mark.points(1)
def test_normalize_advantages_mean_and_std(student, rng):
    advantages = 3.0 + 5.0 * rng.standard_normal(40)
    normalized = student.function(MOD, "normalize_advantages")(advantages)
    assert_close(normalized, (advantages - advantages.mean()) / advantages.std(), "normalized advantages",
                 tol=1e-6)


@pytest.mark.public
@pytest.mark.points(1)
def test_gae_with_lam_0_is_the_td_error(student, rng):
    rewards, dones = random_batch(rng, 12, "open")
    values = rng.standard_normal(13)
    td_error = rewards + 0.9 * values[1:] * (1 - dones) - values[:-1]
    with case("gae with lam=0 (one-step TD errors) on 12 steps with an episode end inside"):
        assert_close(student.function(MOD, "gae")(rewards, values, dones, 0.9, 0.0), td_error, "advantages")


@pytest.mark.public
@pytest.mark.points(1)
def test_gae_with_lam_1_is_reward_to_go_minus_value(student, rng):
    """With lam=1 and a finished last episode, A_t = G_t - V(s_t)."""
    rewards, dones = random_batch(rng, 12, "done")
    values = rng.standard_normal(13)
    to_go = student.function(MOD, "reward_to_go")(rewards, dones, 0.9)
    with case("gae with lam=1 on 12 steps ending with a done, against reward_to_go - values[:-1]"):
        assert_close(student.function(MOD, "gae")(rewards, values, dones, 0.9, 1.0), to_go - values[:-1],
                     "advantages")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_discounted_returns_match_reference(student, reference, rng, gamma):
    for length, ends, rewards, dones in batches(rng):
        with case(f"discounted_returns on {length} steps (last episode {ends}), gamma={gamma}"):
            assert_close(student.function(MOD, "discounted_returns")(rewards, dones, gamma),
                         reference.function(MOD, "discounted_returns")(rewards, dones, gamma), "returns")


@pytest.mark.points(2)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_reward_to_go_matches_reference(student, reference, rng, gamma):
    for length, ends, rewards, dones in batches(rng):
        with case(f"reward_to_go on {length} steps (last episode {ends}), gamma={gamma}"):
            assert_close(student.function(MOD, "reward_to_go")(rewards, dones, gamma),
                         reference.function(MOD, "reward_to_go")(rewards, dones, gamma), "returns")


@pytest.mark.points(1)
@pytest.mark.parametrize("function", ["discounted_returns", "reward_to_go"])
def test_returns_accept_boolean_dones(student, reference, rng, function):
    rewards, dones = random_batch(rng, 20, "open")
    with case(f"{function} with dones of dtype bool"):
        assert_close(student.function(MOD, function)(rewards, dones.astype(bool), 0.9),
                     reference.function(MOD, function)(rewards, dones, 0.9), "returns")


@pytest.mark.points(1)
@pytest.mark.parametrize("function", ["discounted_returns", "reward_to_go"])
def test_returns_of_a_batch_without_episode_end(student, reference, rng, function):
    """No done at all: one unfinished episode over the whole batch."""
    rewards = rng.standard_normal(30)
    with case(f"{function} on 30 steps of one unfinished episode"):
        assert_close(student.function(MOD, function)(rewards, np.zeros(30), 0.95),
                     reference.function(MOD, function)(rewards, np.zeros(30), 0.95), "returns")


@pytest.mark.points(1)
@pytest.mark.parametrize("function", ["discounted_returns", "reward_to_go"])
def test_returns_of_one_step_episodes(student, reference, rng, function):
    """Every step ends its episode: each return is that step's reward alone."""
    rewards = rng.standard_normal(9)
    with case(f"{function} when every step is done"):
        assert_close(student.function(MOD, function)(rewards, np.ones(9), 0.9), rewards, "returns")


@pytest.mark.points(1)
def test_normalize_advantages_matches_reference(student, reference, rng):
    for n, scale in [(1, 1.0), (2, 1e-3), (64, 10.0), (1000, 1e4)]:
        advantages = scale * rng.standard_normal(n) - 2.0
        with case(f"normalize_advantages of {n} values of scale {scale:g}"):
            assert_close(student.function(MOD, "normalize_advantages")(advantages),
                         reference.function(MOD, "normalize_advantages")(advantages), "normalized")


@pytest.mark.points(1)
def test_normalize_equal_advantages(student, reference):
    """All equal: the standard deviation is 0, so eps keeps the result finite (all 0)."""
    advantages = np.full(8, 2.5)
    with case("normalize_advantages of 8 equal values"):
        assert_close(student.function(MOD, "normalize_advantages")(advantages), np.zeros(8), "normalized")


@pytest.mark.points(1)
def test_normalize_advantages_uses_eps(student, reference, rng):
    advantages = rng.standard_normal(10)
    with case("normalize_advantages with eps=0.5"):
        assert_close(student.function(MOD, "normalize_advantages")(advantages, 0.5),
                     reference.function(MOD, "normalize_advantages")(advantages, 0.5), "normalized")


@pytest.mark.points(2)
@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("gamma", [0.0, 0.99, 1.0])
def test_gae_matches_reference(student, reference, rng, gamma, lam):
    for length, ends, rewards, dones in batches(rng):
        values = 2.0 * rng.standard_normal(length + 1)
        with case(f"gae on {length} steps (last episode {ends}), gamma={gamma}, lam={lam}"):
            assert_close(student.function(MOD, "gae")(rewards, values, dones, gamma, lam),
                         reference.function(MOD, "gae")(rewards, values, dones, gamma, lam), "advantages")


@pytest.mark.points(1)
def test_gae_bootstraps_an_unfinished_batch(student, reference, rng):
    """values[T] counts only when the last step is not done."""
    rewards, dones = random_batch(rng, 10, "open")
    values = rng.standard_normal(11)
    for last in (-5.0, 7.0):
        values[-1] = last
        with case(f"gae on an unfinished last episode with values[T]={last}"):
            assert_close(student.function(MOD, "gae")(rewards, values, dones, 0.9, 0.8),
                         reference.function(MOD, "gae")(rewards, values, dones, 0.9, 0.8), "advantages")
    dones[-1] = 1.0
    with case("gae when the last step is done (values[T] must not count)"):
        assert_close(student.function(MOD, "gae")(rewards, values, dones, 0.9, 0.8),
                     reference.function(MOD, "gae")(rewards, np.r_[values[:-1], 1e3], dones, 0.9, 0.8),
                     "advantages")
