"""Training loops of REINFORCE and advantage actor-critic (given code).

Both call the student's functions of returns.py and policy_gradient.py; the
loops themselves only collect experience, apply optimizer steps and record.
Every run is seeded (environments, network initialization, action sampling)
so it repeats exactly on the same machine.

A run returns a dict:
    episode_steps:   int array, the total env steps when each episode ended
    episode_returns: float array, the undiscounted return of each episode
    eval_steps, eval_returns: the periodic greedy evaluations (mean over
                     eval_episodes episodes with fixed seeds)
    steps_to_target: env steps at the first evaluation reaching `target`
                     (None if none did)
    best_arrays:     the policy's parameters (MLP.to_arrays) at its best
                     evaluation (the earliest of equal bests)
    policy:          the final policy network
"""
import gymnasium as gym
import numpy as np
import torch

from .evaluation import evaluate_greedy
from .networks import MLP
from .policy_gradient import entropy, policy_gradient_loss, sample_actions, value_loss
from .returns import discounted_returns, gae, normalize_advantages, reward_to_go

EVAL_SEED_BASE = 10_000   # evaluation episodes use seeds 10000, 10001, ...


class Recorder:
    """Episode returns, periodic greedy evaluations and the best parameters so far."""

    def __init__(self, env_id, eval_episodes, target):
        self.env_id, self.target = env_id, target
        self.eval_seeds = [EVAL_SEED_BASE + i for i in range(eval_episodes)]
        self.episode_steps, self.episode_returns = [], []
        self.eval_steps, self.eval_returns = [], []
        self.steps_to_target, self.best_mean, self.best_arrays = None, -np.inf, None

    def episode(self, steps, episode_return):
        self.episode_steps.append(steps)
        self.episode_returns.append(episode_return)

    def evaluate(self, steps, policy):
        mean = float(np.mean(evaluate_greedy(policy, self.env_id, self.eval_seeds)))
        self.eval_steps.append(steps)
        self.eval_returns.append(mean)
        if mean > self.best_mean:
            self.best_mean, self.best_arrays = mean, policy.to_arrays()
        if self.steps_to_target is None and mean >= self.target:
            self.steps_to_target = steps
        return mean

    def result(self, policy, **extra):
        return dict(episode_steps=np.array(self.episode_steps), episode_returns=np.array(self.episode_returns),
                    eval_steps=np.array(self.eval_steps), eval_returns=np.array(self.eval_returns),
                    steps_to_target=self.steps_to_target, best_arrays=self.best_arrays,
                    best_eval=self.best_mean, policy=policy, **extra)


def make_envs(env_id, num_envs):
    return [gym.make(env_id) for _ in range(num_envs)]


def collect_episodes(envs, policy, rng, generator):
    """One whole episode in each env, side by side.

    Returns (obs, actions, rewards, dones, episode_returns): obs float32
    (T, obs_dim), actions int64 (T,), rewards float64 (T,), dones float64
    (T,) with 1 at the last step of each episode, episodes one after another;
    episode_returns float64 (len(envs),).
    """
    n = len(envs)
    obs = np.stack([env.reset(seed=int(rng.integers(2**31)))[0] for env in envs]).astype(np.float32)
    trajectories = [([], [], []) for _ in range(n)]
    running = np.ones(n, dtype=bool)
    while running.any():
        active = np.flatnonzero(running)
        with torch.no_grad():
            actions = sample_actions(policy(torch.as_tensor(obs[active])), generator).numpy()
        for i, action in zip(active, actions):
            next_obs, reward, terminated, truncated, _ = envs[i].step(int(action))
            trajectories[i][0].append(obs[i].copy())
            trajectories[i][1].append(int(action))
            trajectories[i][2].append(float(reward))
            obs[i] = next_obs
            running[i] = not (terminated or truncated)
    all_obs = np.concatenate([np.array(t[0], dtype=np.float32) for t in trajectories])
    all_actions = np.concatenate([np.array(t[1], dtype=np.int64) for t in trajectories])
    all_rewards = np.concatenate([np.array(t[2]) for t in trajectories])
    dones = np.concatenate([np.eye(1, len(t[2]), len(t[2]) - 1)[0] for t in trajectories])
    return all_obs, all_actions, all_rewards, dones, np.array([sum(t[2]) for t in trajectories])


def train_reinforce(env_id="CartPole-v1", seed=0, total_steps=300_000, episodes_per_batch=8, gamma=0.99,
                    lr=3e-3, value_lr=3e-3, value_steps=5, hidden_dim=64, baseline=True, causal=True,
                    eval_every=5, eval_episodes=10, target=475.0, stop_at_target=False):
    """REINFORCE, optionally with reward to go (causal) and a learned value baseline.

    Each iteration samples `episodes_per_batch` whole episodes with the current
    policy, computes per-step returns (reward_to_go if causal, else
    discounted_returns), subtracts the baseline's values, normalizes the
    advantages, takes one Adam step on policy_gradient_loss and `value_steps`
    steps of value_loss on the value network. Evaluates every `eval_every`
    iterations. Returns the dict described in the module docstring.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    envs = make_envs(env_id, episodes_per_batch)
    obs_dim, num_actions = envs[0].observation_space.shape[0], envs[0].action_space.n
    policy, value_net = MLP(obs_dim, num_actions, hidden_dim), MLP(obs_dim, 1, hidden_dim)
    policy_optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    value_optimizer = torch.optim.Adam(value_net.parameters(), lr=value_lr)
    recorder, steps, iteration = Recorder(env_id, eval_episodes, target), 0, 0
    while steps < total_steps:
        obs, actions, rewards, dones, episode_returns = collect_episodes(envs, policy, rng, generator)
        for end, episode_return in zip(np.flatnonzero(dones) + 1, episode_returns):
            recorder.episode(steps + int(end), float(episode_return))
        steps += len(rewards)
        returns = reward_to_go(rewards, dones, gamma) if causal else discounted_returns(rewards, dones, gamma)
        obs_t, returns_t = torch.as_tensor(obs), torch.as_tensor(returns, dtype=torch.float32)
        advantages = returns
        if baseline:
            with torch.no_grad():
                advantages = returns - value_net(obs_t).squeeze(1).numpy()
        advantages = torch.as_tensor(normalize_advantages(advantages), dtype=torch.float32)
        loss = policy_gradient_loss(policy(obs_t), torch.as_tensor(actions), advantages)
        policy_optimizer.zero_grad()
        loss.backward()
        policy_optimizer.step()
        if baseline:
            for _ in range(value_steps):
                v_loss = value_loss(value_net(obs_t).squeeze(1), returns_t)
                value_optimizer.zero_grad()
                v_loss.backward()
                value_optimizer.step()
        iteration += 1
        if iteration % eval_every == 0 or steps >= total_steps:
            recorder.evaluate(steps, policy)
            if stop_at_target and recorder.steps_to_target is not None:
                break
    return recorder.result(policy, value_net=value_net)


def train_actor_critic(env_id="CartPole-v1", seed=0, total_steps=200_000, num_envs=8, rollout_steps=16,
                       gamma=0.99, lam=0.95, lr=1e-3, value_coef=0.5, entropy_coef=0.01, hidden_dim=64,
                       max_grad_norm=0.5, eval_every=25, eval_episodes=10, target=475.0,
                       stop_at_target=False):
    """Advantage actor-critic (A2C) with generalized advantage estimation.

    `num_envs` environments step side by side; every `rollout_steps` steps
    the advantages of each environment's steps come from gae(...), the value
    targets are advantages + values, and one Adam step minimizes

        policy_gradient_loss(normalized advantages) + value_coef * value_loss
        - entropy_coef * entropy.

    An episode cut by the time limit (truncated, not terminated) is
    bootstrapped: its last reward gets gamma * V(final observation) added and
    the step counts as done, so gae needs no separate truncation flag.
    Returns the dict described in the module docstring.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    envs = make_envs(env_id, num_envs)
    obs_dim, num_actions = envs[0].observation_space.shape[0], envs[0].action_space.n
    policy, value_net = MLP(obs_dim, num_actions, hidden_dim), MLP(obs_dim, 1, hidden_dim)
    parameters = list(policy.parameters()) + list(value_net.parameters())
    optimizer = torch.optim.Adam(parameters, lr=lr)
    recorder, steps, iteration = Recorder(env_id, eval_episodes, target), 0, 0
    obs = np.stack([env.reset(seed=int(rng.integers(2**31)))[0] for env in envs]).astype(np.float32)
    running_returns = np.zeros(num_envs)
    while steps < total_steps:
        batch_obs = np.zeros((rollout_steps, num_envs, obs_dim), dtype=np.float32)
        batch_actions = np.zeros((rollout_steps, num_envs), dtype=np.int64)
        batch_rewards = np.zeros((rollout_steps, num_envs))
        batch_dones = np.zeros((rollout_steps, num_envs))
        for t in range(rollout_steps):
            with torch.no_grad():
                actions = sample_actions(policy(torch.as_tensor(obs)), generator).numpy()
            batch_obs[t], batch_actions[t] = obs, actions
            for i, env in enumerate(envs):
                next_obs, reward, terminated, truncated, _ = env.step(int(actions[i]))
                steps += 1
                running_returns[i] += reward
                if truncated and not terminated:
                    with torch.no_grad():
                        reward += gamma * float(value_net(torch.as_tensor(next_obs[None], dtype=torch.float32)))
                batch_rewards[t, i], batch_dones[t, i] = reward, float(terminated or truncated)
                if terminated or truncated:
                    recorder.episode(steps, float(running_returns[i]))
                    running_returns[i] = 0.0
                    next_obs, _ = env.reset(seed=int(rng.integers(2**31)))
                obs[i] = next_obs
        obs_t = torch.as_tensor(batch_obs.reshape(-1, obs_dim))
        values = value_net(obs_t).squeeze(1)
        with torch.no_grad():
            last_values = value_net(torch.as_tensor(obs)).squeeze(1).numpy()
        values_np = values.detach().numpy().reshape(rollout_steps, num_envs)
        advantages = np.stack([gae(batch_rewards[:, i], np.r_[values_np[:, i], last_values[i]],
                                   batch_dones[:, i], gamma, lam) for i in range(num_envs)], axis=1)
        targets = torch.as_tensor((advantages + values_np).reshape(-1), dtype=torch.float32)
        normalized = torch.as_tensor(normalize_advantages(advantages.reshape(-1)), dtype=torch.float32)
        logits = policy(obs_t)
        loss = (policy_gradient_loss(logits, torch.as_tensor(batch_actions.reshape(-1)), normalized)
                + value_coef * value_loss(values, targets) - entropy_coef * entropy(logits))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, max_grad_norm)
        optimizer.step()
        iteration += 1
        if iteration % eval_every == 0 or steps >= total_steps:
            recorder.evaluate(steps, policy)
            if stop_at_target and recorder.steps_to_target is not None:
                break
    return recorder.result(policy, value_net=value_net)
