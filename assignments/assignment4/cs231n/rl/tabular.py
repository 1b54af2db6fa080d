"""Tabular reinforcement learning on a small MDP with a known model (MDPs.ipynb).

An MDP with S states and A actions is given by two arrays:

    P: float64 array of shape (S, A, S); P[s, a, s'] is the probability of
       moving to state s' after action a in state s (each P[s, a] sums to 1).
    R: float64 array of shape (S, A); R[s, a] is the expected reward of
       action a in state s.

A terminal state is absorbing: every action leads back to it with reward 0,
so its value is 0. A policy is an int64 array of shape (S,) holding one action
per state; a value function V a float64 array of shape (S,); Q-values a
float64 array of shape (S, A).

Students write bellman_backup, value_iteration, policy_evaluation,
policy_improvement, policy_iteration and q_learning_update. Given:
greedy_actions, frozen_lake_model, finite_horizon_value and the Q-learning
loop q_learning.
"""
import numpy as np

from .exploration import epsilon_greedy, linear_schedule

TIE_TOLERANCE = 1e-6


def greedy_actions(Q):
    """The best action of every state, ties broken towards the lowest action (given).

    Values within TIE_TOLERANCE of a row's best count as ties, so that two
    methods whose values differ only by rounding (value iteration and policy
    iteration) choose the same actions.

    Inputs:
    - Q: float array of shape (S, A).

    Returns:
    - policy: int64 array of shape (S,).
    """
    Q = np.asarray(Q, dtype=np.float64)
    best = Q.max(axis=1, keepdims=True)
    return np.argmax(Q >= best - TIE_TOLERANCE, axis=1).astype(np.int64)


def bellman_backup(P, R, V, gamma):
    """Q-values of one step followed by V: Q[s, a] = R[s, a] + gamma * sum_s' P[s, a, s'] V[s'].

    Inputs:
    - P: float64 array of shape (S, A, S); R: float64 array of shape (S, A).
    - V: float64 array of shape (S,).
    - gamma: float in [0, 1], the discount factor.

    Returns:
    - Q: float64 array of shape (S, A).
    """
    Q = None
    # TODO: One vectorized expression (no loops over states or actions).
    raise NotImplementedError('Complete bellman_backup (see the TODO above)')
    return Q


def value_iteration(P, R, gamma, tol=1e-10, max_iterations=100000):
    """Optimal values and a greedy policy by value iteration.

    Start from V = 0 and repeat V <- max_a bellman_backup(P, R, V, gamma)
    until the largest change of any V[s] in one sweep is below `tol` (or
    max_iterations sweeps are done).

    Inputs:
    - P: float64 array of shape (S, A, S); R: float64 array of shape (S, A).
    - gamma: float in [0, 1).
    - tol: float, the stopping threshold on max_s |V_new[s] - V[s]|.
    - max_iterations: int, the most sweeps.

    Returns a tuple (V, policy):
    - V: float64 array of shape (S,), the values after the last sweep.
    - policy: int64 array of shape (S,), greedy_actions of the backup of V.
    """
    V, policy = None, None
    # TODO: Value iteration; then the greedy policy of the final V.
    raise NotImplementedError('Complete value_iteration (see the TODO above)')
    return V, policy


def policy_evaluation(P, R, policy, gamma):
    """The exact values of a policy: solve V = R_pi + gamma * P_pi V as a linear system.

    Inputs:
    - P: float64 array of shape (S, A, S); R: float64 array of shape (S, A).
    - policy: int64 array of shape (S,).
    - gamma: float in [0, 1).

    Returns:
    - V: float64 array of shape (S,), V[s] = expected discounted return from
      s following the policy.
    """
    V = None
    # TODO: Pick each state's row of P and R with the policy's action
    # (P_pi of shape (S, S), R_pi of shape (S,)) and solve the linear system
    # with np.linalg.solve; no loops.
    raise NotImplementedError('Complete policy_evaluation (see the TODO above)')
    return V


def policy_improvement(P, R, V, gamma):
    """The greedy policy with respect to V.

    Inputs:
    - P: float64 array of shape (S, A, S); R: float64 array of shape (S, A).
    - V: float64 array of shape (S,).
    - gamma: float in [0, 1].

    Returns:
    - policy: int64 array of shape (S,), greedy_actions of the backup of V.
    """
    policy = None
    # TODO: One line with the functions above.
    raise NotImplementedError('Complete policy_improvement (see the TODO above)')
    return policy


def policy_iteration(P, R, gamma, max_iterations=1000):
    """Optimal values and policy by policy iteration.

    Start from the policy that takes action 0 everywhere; evaluate it exactly,
    improve it greedily, and stop when the improvement no longer changes the
    policy (or after max_iterations improvements).

    Inputs:
    - P: float64 array of shape (S, A, S); R: float64 array of shape (S, A).
    - gamma: float in [0, 1).
    - max_iterations: int.

    Returns a tuple (V, policy):
    - V: float64 array of shape (S,), the values of the final policy.
    - policy: int64 array of shape (S,), the final policy.
    """
    V, policy = None, None
    # TODO: Alternate policy_evaluation and policy_improvement.
    raise NotImplementedError('Complete policy_iteration (see the TODO above)')
    return V, policy


def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    """One Q-learning step on the transition (state, action, reward, next_state).

    Q[state, action] moves towards the target reward + gamma * max_a Q[next_state, a]
    by a fraction alpha of the difference; when the episode terminated at
    next_state the target is the reward alone (a terminal state has value 0).
    Only Q[state, action] changes.

    Inputs:
    - Q: float64 array of shape (S, A).
    - state, action, next_state: ints.
    - reward: float.
    - terminated: bool, True when next_state is terminal (not for a time limit).
    - alpha: float in (0, 1], the step size; gamma: float in [0, 1].

    Returns:
    - Q: float64 array of shape (S, A), Q with Q[state, action] updated (in
      place or in a copy: the caller uses what you return).
    """
    # TODO: Update Q[state, action].
    raise NotImplementedError('Complete q_learning_update (see the TODO above)')
    return Q


# ------------------------------------------------------------------ given

def frozen_lake_model(env):
    """(P, R) of a Gymnasium toy-text environment (FrozenLake-v1), from its env.unwrapped.P.

    Returns P of shape (S, A, S) and R of shape (S, A), both float64. Gymnasium
    already makes a terminal state (a hole or the goal) absorbing with reward 0.
    """
    model = env.unwrapped.P
    S, A = env.observation_space.n, env.action_space.n
    P, R = np.zeros((S, A, S)), np.zeros((S, A))
    for s in range(S):
        for a in range(A):
            for probability, next_state, reward, terminated in model[s][a]:
                P[s, a, next_state] += probability
                R[s, a] += probability * reward
    return P, R


def frozen_lake_mdp(map_name="4x4", is_slippery=True):
    """(P, R) of FrozenLake-v1 with the given map, as frozen_lake_model gives them."""
    import gymnasium as gym
    env = gym.make("FrozenLake-v1", map_name=map_name, is_slippery=is_slippery)
    P, R = frozen_lake_model(env)
    env.close()
    return P, R


def finite_horizon_value(P, R, policy, horizon):
    """Expected undiscounted reward of `policy` within `horizon` steps, from every state.

    For FrozenLake (reward 1 on reaching the goal, 0 otherwise) this is the
    exact probability of reaching the goal before the time limit, the
    success rate of the policy without sampling noise.

    Returns a float64 array of shape (S,).
    """
    states = np.arange(P.shape[0])
    P_pi, R_pi = P[states, policy], R[states, policy]
    V = np.zeros(P.shape[0])
    for _ in range(horizon):
        V = R_pi + P_pi.dot(V)
    return V


def q_learning(env, num_episodes, gamma, alpha_start=0.5, alpha_end=0.01,
               epsilon_start=1.0, epsilon_end=0.05, seed=0):
    """Tabular Q-learning on a Gymnasium environment with discrete states (given).

    The step size and epsilon both fall linearly over the episodes
    (linear_schedule), actions are chosen with epsilon_greedy, and every
    transition is learned with q_learning_update.

    Returns (Q, episode_returns): Q of shape (S, A), float64; episode_returns
    of shape (num_episodes,), the undiscounted return of each episode.
    """
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    episode_returns = np.zeros(num_episodes)
    for episode in range(num_episodes):
        alpha = linear_schedule(episode, alpha_start, alpha_end, num_episodes)
        epsilon = linear_schedule(episode, epsilon_start, epsilon_end, num_episodes)
        state, _ = env.reset(seed=int(rng.integers(2**31)))
        done = False
        while not done:
            action = int(epsilon_greedy(Q[state][None], epsilon, rng)[0])
            next_state, reward, terminated, truncated, _ = env.step(action)
            Q = q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma)
            episode_returns[episode] += reward
            state, done = next_state, terminated or truncated
    return Q, episode_returns
