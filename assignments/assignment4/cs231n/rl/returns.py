"""Returns and advantages of a batch of experience (PolicyGradients.ipynb).

A batch is T consecutive steps of one environment, possibly several episodes
one after another:

    rewards: float array of shape (T,), rewards[t] the reward of step t.
    dones:   float or bool array of shape (T,), 1 (True) when the episode
             ended with step t; the next step, if any, starts a new episode.

The last episode of a batch may be unfinished (dones[T - 1] is 0). Returns
never cross an episode boundary: nothing after a done counts before it.
"""
import numpy as np


def discounted_returns(rewards, dones, gamma):
    """The discounted return of each step's whole episode, G = sum_k gamma**k r_k.

    Every step of an episode gets the same number, the return counted from
    the episode's first step (plain REINFORCE weighs every action of an
    episode by it). An unfinished last episode counts to the end of the batch.

    Inputs:
    - rewards: float array of shape (T,).
    - dones: float or bool array of shape (T,).
    - gamma: float in [0, 1].

    Returns:
    - returns: float64 array of shape (T,).
    """
    returns = None
    # TODO: Compute every episode's discounted return (from its first step)
    # and give it to each of its steps.
    raise NotImplementedError('Complete discounted_returns (see the TODO above)')
    return returns


def reward_to_go(rewards, dones, gamma):
    """The discounted reward to go of each step: G_t = sum_{k >= 0} gamma**k r_{t+k}, within its episode.

    Inputs:
    - rewards: float array of shape (T,).
    - dones: float or bool array of shape (T,).
    - gamma: float in [0, 1].

    Returns:
    - returns: float64 array of shape (T,); returns[t] counts the rewards
      from step t to the end of its episode (or of the batch).
    """
    returns = None
    # TODO: One backward pass over the steps: G_t = r_t + gamma * G_{t+1},
    # where G_{t+1} is 0 when the episode ended at step t.
    raise NotImplementedError('Complete reward_to_go (see the TODO above)')
    return returns


def normalize_advantages(advantages, eps=1e-8):
    """Shift and scale advantages to mean 0 and standard deviation 1.

    Inputs:
    - advantages: float array of shape (N,), N >= 1.
    - eps: float, added to the standard deviation (np.std, ddof=0) so that
      equal advantages do not divide by zero.

    Returns:
    - normalized: float64 array of shape (N,), (advantages - mean) / (std + eps).
    """
    normalized = None
    # TODO: One line.
    raise NotImplementedError('Complete normalize_advantages (see the TODO above)')
    return normalized


def gae(rewards, values, dones, gamma, lam):
    """Generalized advantage estimates (Schulman et al., 2016).

    With the TD errors delta_t = r_t + gamma * V(s_{t+1}) * (1 - d_t) - V(s_t),
    the advantage is A_t = delta_t + gamma * lam * (1 - d_t) * A_{t+1}:
    lam = 0 gives the one-step TD error, lam = 1 the reward to go (bootstrapped
    at the end of the batch) minus V(s_t).

    Inputs:
    - rewards: float array of shape (T,).
    - values: float array of shape (T + 1,); values[t] = V(s_t) for the state
      of step t, and values[T] = V of the state after the last step, which
      bootstraps an unfinished last episode (it is ignored when dones[T - 1] is 1).
    - dones: float or bool array of shape (T,).
    - gamma, lam: floats in [0, 1].

    Returns:
    - advantages: float64 array of shape (T,).
    """
    advantages = None
    # TODO: One backward pass over the steps.
    raise NotImplementedError('Complete gae (see the TODO above)')
    return advantages
