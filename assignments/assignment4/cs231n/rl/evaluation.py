"""Greedy evaluation of a trained network on a Gymnasium environment (given code).

The notebooks use it to measure their agents, and the grader, in its own
process, to score the parameters a submission saved.
"""
import gymnasium as gym
import numpy as np
import torch

from .networks import mlp_from_arrays


def environment_sizes(env_id):
    """(observation size, number of actions) of a Gymnasium environment with a Box
    observation of one dimension and a Discrete action space."""
    env = gym.make(env_id)
    sizes = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
    env.close()
    return sizes


def evaluate_greedy(net, env_id, seeds):
    """The undiscounted return of one episode per seed, acting greedily with `net`.

    The action in each state is the argmax of the network's output: the most
    probable action of a policy network (its logits) or the best action of
    a Q-network. The episodes run side by side, one batched forward pass per
    step.

    Inputs:
    - net: a torch.nn.Module mapping (N, obs_dim) float32 to (N, num_actions).
    - env_id: str, e.g. "CartPole-v1".
    - seeds: list of ints, one episode per seed (env.reset(seed=...)).

    Returns:
    - returns: float64 array of shape (len(seeds),).
    """
    envs = [gym.make(env_id) for _ in seeds]
    obs = np.stack([env.reset(seed=int(seed))[0] for env, seed in zip(envs, seeds)]).astype(np.float32)
    returns = np.zeros(len(envs))
    running = np.ones(len(envs), dtype=bool)
    with torch.no_grad():
        while running.any():
            active = np.flatnonzero(running)
            actions = net(torch.as_tensor(obs[active])).argmax(dim=1).numpy()
            for i, action in zip(active, actions):
                next_obs, reward, terminated, truncated, _ = envs[i].step(int(action))
                returns[i] += reward
                obs[i] = next_obs
                running[i] = not (terminated or truncated)
    for env in envs:
        env.close()
    return returns


def evaluate_saved(arrays, env_id, seeds):
    """evaluate_greedy of the MLP rebuilt from saved arrays (see networks.py).

    Inputs:
    - arrays: dict name -> array, as MLP.to_arrays returns it.
    - env_id: str; seeds: list of ints.

    Returns:
    - returns: float64 array of shape (len(seeds),).
    """
    obs_dim, num_actions = environment_sizes(env_id)
    # One thread: a network this small runs no faster on more, and the grader
    # runs several submissions side by side.
    torch.set_num_threads(1)
    net = mlp_from_arrays(arrays, obs_dim, num_actions)
    return evaluate_greedy(net, env_id, seeds)
