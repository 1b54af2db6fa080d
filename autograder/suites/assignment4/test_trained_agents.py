"""The agents the notebooks train, scored without training in the grader.

Each notebook's last cells save parameters as .npz arrays (never pickles):

    artifacts/q_learning_frozen_lake.npz   MDPs.ipynb             Q (16, 4)
    artifacts/reinforce_cartpole.npz       PolicyGradients.ipynb  policy MLP (4 -> H -> H -> 2)
    artifacts/actor_critic_cartpole.npz    PolicyGradients.ipynb  policy MLP (4 -> H -> H -> 2)
    artifacts/actor_critic_acrobot.npz     PolicyGradients.ipynb  policy MLP (6 -> H -> H -> 3)
    artifacts/dqn_cartpole.npz             DQN.ipynb              Q-network MLP (4 -> H -> H -> 2)

An MLP is saved as W1 (D, H), b1 (H,), W2 (H, H), b2 (H,), W3 (H, K), b3 (K,)
(cs231n/rl/networks.py). Here, in the grader's own process, the arrays are
read with load_saved_arrays, their shapes and values checked, and only then
loaded into the reference MLP, which acts greedily for a few episodes whose
seeds the student never sees: they derive from the course's hidden-test salt
(course.toml's hidden_seed_salt, passed as --hidden-seed-salt) and the
artifact's name. Points come in tiers of mean return. The Q-table is scored
exactly: the probability that its greedy policy reaches the goal within the
100-step time limit, computed from the environment's model. A missing or
malformed file fails only the tests of that file.
"""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, load_saved_arrays, seed_for

MOD = "cs231n.rl.evaluation"
TABULAR = "cs231n.rl.tabular"
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
MAX_HIDDEN = 1024
MAX_BYTES = 16 * 2**20
EPISODES = 10

# name: (notebook, environment, observation size, number of actions, what it is)
AGENTS = {
    "artifacts/reinforce_cartpole.npz": ("PolicyGradients.ipynb", "CartPole-v1", 4, 2, "the REINFORCE policy"),
    "artifacts/actor_critic_cartpole.npz": ("PolicyGradients.ipynb", "CartPole-v1", 4, 2,
                                            "the actor-critic policy"),
    "artifacts/actor_critic_acrobot.npz": ("PolicyGradients.ipynb", "Acrobot-v1", 6, 3,
                                           "the actor-critic policy for Acrobot"),
    "artifacts/dqn_cartpole.npz": ("DQN.ipynb", "CartPole-v1", 4, 2, "the DQN Q-network"),
}
Q_TABLE, Q_NOTEBOOK = "artifacts/q_learning_frozen_lake.npz", "MDPs.ipynb"
FROZEN_LAKE_STATES, FROZEN_LAKE_ACTIONS, TIME_LIMIT = 16, 4, 100


def hidden_seeds(name, salt, count=EPISODES):
    """Episode seeds from the salt and `name`: fixed for a term, unknown to students."""
    rng = np.random.default_rng(seed_for(f"test_trained_agents.py::{name}", salt))
    return [int(seed) for seed in rng.integers(0, 2**31, size=count)]


def checked_network(path, artifact):
    """The six arrays of an MLP for the agent, checked before any use."""
    notebook, _, obs_dim, num_actions, what = AGENTS[artifact]
    arrays = load_saved_arrays(path, artifact, PARAMS, notebook, MAX_BYTES,
                               hint="Save it with np.savez(path, **net.to_arrays())", model=what)
    W1 = arrays["W1"]
    if W1.ndim != 2 or W1.shape[0] != obs_dim or not 1 <= W1.shape[1] <= MAX_HIDDEN:
        raise CheckFailed(f"W1 in {artifact} has shape {W1.shape}; expected ({obs_dim}, H) with H hidden units "
                          f"(1 <= H <= {MAX_HIDDEN}), one row per observation entry")
    h = W1.shape[1]
    shapes = {"W1": (obs_dim, h), "b1": (h,), "W2": (h, h), "b2": (h,), "W3": (h, num_actions), "b3": (num_actions,)}
    for name in PARAMS:
        try:
            assert_array(arrays[name], name, shapes[name])
        except CheckFailed as exc:
            raise CheckFailed(f"{what} in {artifact} (H = {h} from W1): {exc}") from None
        if arrays[name].dtype.kind != "f" or not np.all(np.isfinite(arrays[name])):
            raise CheckFailed(f"{name} in {artifact} should hold finite floating-point numbers")
    return arrays


@pytest.fixture
def scores(reference, once, request):
    """score(artifact_path, artifact): mean return over the hidden episodes, computed once per
    submission; a CheckFailed (missing or malformed file) is raised to each test of that file."""
    salt = request.config.getoption("--hidden-seed-salt")

    def compute(artifact_path, artifact):
        arrays = checked_network(artifact_path(artifact), artifact)
        returns = reference.function(MOD, "evaluate_saved")(arrays, AGENTS[artifact][1],
                                                            hidden_seeds(artifact, salt))
        return float(np.mean(returns))

    return lambda artifact_path, artifact: once(("assignment4", artifact),
                                                lambda: compute(artifact_path, artifact))


def check_tier(scores, artifact_path, artifact, threshold):
    mean = scores(artifact_path, artifact)
    _, env_id, _, _, what = AGENTS[artifact]
    if not mean >= threshold:
        raise CheckFailed(f"{what} saved in {artifact}, acting greedily (argmax of its outputs), has a mean "
                          f"return of {mean:.1f} over {EPISODES} {env_id} episodes; this test needs {threshold:g}")


# Mean returns earning one point each. CartPole-v1 caps a return at 500;
# Acrobot-v1 returns -1 per step until the goal, at worst -500.
CARTPOLE_TIERS = [200.0, 400.0, 475.0]
ACROBOT_TIERS = [-200.0, -120.0, -100.0]


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", CARTPOLE_TIERS)
def test_reinforce_policy_on_cartpole(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/reinforce_cartpole.npz", threshold)


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", CARTPOLE_TIERS)
def test_actor_critic_policy_on_cartpole(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/actor_critic_cartpole.npz", threshold)


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", ACROBOT_TIERS)
def test_actor_critic_policy_on_acrobot(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/actor_critic_acrobot.npz", threshold)


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", CARTPOLE_TIERS)
def test_dqn_on_cartpole(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/dqn_cartpole.npz", threshold)


def q_table_success(artifact_path, reference):
    Q = load_saved_arrays(artifact_path(Q_TABLE), Q_TABLE, ["Q"], Q_NOTEBOOK, MAX_BYTES,
                          hint="Save it with np.savez(path, Q=Q)", model="a Q-table of 16 x 4 values")["Q"]
    try:
        assert_array(Q, "Q", (FROZEN_LAKE_STATES, FROZEN_LAKE_ACTIONS))
    except CheckFailed as exc:
        raise CheckFailed(f"the Q-table in {Q_TABLE}: {exc}") from None
    if Q.dtype.kind != "f" or not np.all(np.isfinite(Q)):
        raise CheckFailed(f"Q in {Q_TABLE} should hold finite floating-point numbers")
    P, R = reference.function(TABULAR, "frozen_lake_mdp")()
    policy = reference.function(TABULAR, "greedy_actions")(Q)
    success = reference.function(TABULAR, "finite_horizon_value")(P, R, policy, TIME_LIMIT)[0]
    _, optimal_policy = reference.function(TABULAR, "value_iteration")(P, R, 0.99)
    optimal = reference.function(TABULAR, "finite_horizon_value")(P, R, optimal_policy, TIME_LIMIT)[0]
    return float(success), float(optimal)


@pytest.mark.points(1)
@pytest.mark.parametrize("points_below_optimal", [10.0, 1.0])
def test_q_learning_greedy_policy_on_frozen_lake(artifact_path, reference, points_below_optimal):
    success, optimal = q_table_success(artifact_path, reference)
    if not success >= optimal - points_below_optimal / 100:
        raise CheckFailed(f"the greedy policy of the Q-table in {Q_TABLE} reaches the goal of FrozenLake-v1 with "
                          f"probability {success:.1%} within {TIME_LIMIT} steps; the optimal policy does with "
                          f"{optimal:.1%}, and this test needs at most {points_below_optimal:g} points less")
