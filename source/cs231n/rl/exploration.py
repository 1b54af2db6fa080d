"""Exploration: epsilon-greedy action choice and a linear epsilon schedule.

Used by Q-learning (MDPs.ipynb) and DQN (DQN.ipynb).
"""
import numpy as np


def epsilon_greedy(q_values, epsilon, rng):
    """Choose one action per row: at random with probability epsilon, else the best.

    Inputs:
    - q_values: float array of shape (N, A), the action values of N states.
    - epsilon: float in [0, 1], the probability of a uniformly random action.
    - rng: a numpy.random.Generator, the only source of randomness.

    Returns:
    - actions: int64 array of shape (N,). For each row independently: with
      probability epsilon an action drawn uniformly from 0..A-1 (which may
      happen to be the best one), otherwise np.argmax of the row (the lowest
      index among ties).
    """
    actions = None
    # TODO: Draw, for every row, whether it explores (rng.random(N) < epsilon)
    # and a random action (rng.integers); use the greedy action elsewhere.
    # No Python loop over the rows.
    ### BEGIN SOLUTION
    q_values = np.asarray(q_values)
    num_states, num_actions = q_values.shape
    greedy = np.argmax(q_values, axis=1)
    random_actions = rng.integers(0, num_actions, size=num_states)
    explore = rng.random(num_states) < epsilon
    actions = np.where(explore, random_actions, greedy).astype(np.int64)
    ### END SOLUTION
    return actions


def linear_schedule(step, start, end, duration):
    """A value that moves linearly from `start` to `end` over `duration` steps, then stays.

    Inputs:
    - step: int >= 0, the current step.
    - start, end: floats, the values at step 0 and at step `duration`.
    - duration: int > 0, the number of steps of the change.

    Returns:
    - value: float; start + (end - start) * step / duration while
      step < duration, and end from step `duration` on.
    """
    value = None
    # TODO: Compute the value of the schedule at `step`.
    ### BEGIN SOLUTION
    fraction = min(step / duration, 1.0)
    value = start + (end - start) * fraction
    ### END SOLUTION
    return float(value)
