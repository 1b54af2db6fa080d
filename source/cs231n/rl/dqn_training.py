"""The DQN and Double DQN training loop (given code).

It calls the student's ReplayBuffer, epsilon_greedy, linear_schedule,
dqn_targets / double_dqn_targets, huber_td_loss and hard_update /
polyak_update. Every run is seeded so it repeats exactly on the same machine.

A run returns a dict:
    episode_steps, episode_returns: as in pg_training
    eval_steps, eval_returns:       periodic greedy evaluations (mean return)
    q_estimates, q_actual:          at each evaluation, the mean over the
                                    evaluation episodes of max_a Q(s_0, a) and
                                    of the discounted return actually
                                    collected from s_0: their gap is the
                                    overestimation of the value of the start
    steps_to_target, best_arrays, best_eval, q_net: as in pg_training
"""
import gymnasium as gym
import numpy as np
import torch

from .dqn import double_dqn_targets, dqn_targets, hard_update, huber_td_loss, polyak_update
from .exploration import epsilon_greedy, linear_schedule
from .networks import MLP
from .pg_training import EVAL_SEED_BASE
from .replay_buffer import ReplayBuffer


def evaluate_with_estimates(q_net, env_id, seeds, gamma):
    """Greedy episodes, one per seed. Returns (returns, q_start, discounted_start), each of
    shape (len(seeds),): the undiscounted return, max_a Q(s_0, a), and sum_t gamma**t r_t."""
    returns, q_start, discounted = np.zeros(len(seeds)), np.zeros(len(seeds)), np.zeros(len(seeds))
    env = gym.make(env_id)
    for k, seed in enumerate(seeds):
        obs, _ = env.reset(seed=int(seed))
        done, t = False, 0
        while not done:
            with torch.no_grad():
                q = q_net(torch.as_tensor(obs[None], dtype=torch.float32))[0]
            if t == 0:
                q_start[k] = float(q.max())
            obs, reward, terminated, truncated, _ = env.step(int(q.argmax()))
            returns[k] += reward
            discounted[k] += gamma ** t * reward
            done, t = terminated or truncated, t + 1
    env.close()
    return returns, q_start, discounted


def train_dqn(env_id="CartPole-v1", seed=0, total_steps=100_000, double=False, buffer_size=50_000,
              batch_size=64, gamma=0.99, lr=5e-4, learning_starts=1_000, train_every=2,
              target_update="hard", target_every=500, tau=0.005, epsilon_start=1.0, epsilon_end=0.02,
              epsilon_steps=10_000, hidden_dim=64, eval_every=5_000, eval_episodes=10, target=475.0):
    """DQN (double=False) or Double DQN (double=True) with a replay buffer and a target network.

    Every step: act epsilon-greedily (epsilon from linear_schedule), store the
    transition (done = terminated: a time-limit cut is not terminal, so its
    next state keeps its value). Every `train_every` steps after
    `learning_starts`: sample `batch_size` transitions, compute the targets
    with the target network (no gradient), take one Adam step on
    huber_td_loss. The target network follows with hard_update every
    `target_every` steps (target_update="hard") or polyak_update(tau) after
    every training step ("polyak"). Evaluates every `eval_every` steps.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = gym.make(env_id)
    obs_dim, num_actions = env.observation_space.shape[0], env.action_space.n
    q_net, target_net = MLP(obs_dim, num_actions, hidden_dim), MLP(obs_dim, num_actions, hidden_dim)
    hard_update(target_net, q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=lr)
    buffer = ReplayBuffer(buffer_size, (obs_dim,), seed=seed)
    eval_seeds = [EVAL_SEED_BASE + i for i in range(eval_episodes)]
    record = {key: [] for key in ("episode_steps", "episode_returns", "eval_steps", "eval_returns",
                                  "q_estimates", "q_actual", "losses")}
    best_eval, best_arrays, steps_to_target = -np.inf, None, None
    obs, _ = env.reset(seed=int(rng.integers(2**31)))
    episode_return = 0.0
    for step in range(1, total_steps + 1):
        epsilon = linear_schedule(step, epsilon_start, epsilon_end, epsilon_steps)
        with torch.no_grad():
            q = q_net(torch.as_tensor(obs[None], dtype=torch.float32)).numpy()
        action = int(epsilon_greedy(q, epsilon, rng)[0])
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        episode_return += reward
        obs = next_obs
        if terminated or truncated:
            record["episode_steps"].append(step)
            record["episode_returns"].append(episode_return)
            episode_return = 0.0
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
        if step > learning_starts and step % train_every == 0:
            b_obs, b_actions, b_rewards, b_next, b_dones = (torch.as_tensor(x) for x in buffer.sample(batch_size))
            with torch.no_grad():
                next_q_target = target_net(b_next)
                if double:
                    targets = double_dqn_targets(b_rewards, q_net(b_next), next_q_target, b_dones, gamma)
                else:
                    targets = dqn_targets(b_rewards, next_q_target, b_dones, gamma)
            loss = huber_td_loss(q_net(b_obs), b_actions, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            record["losses"].append(float(loss.detach()))
            if target_update == "polyak":
                polyak_update(target_net, q_net, tau)
        if target_update == "hard" and step % target_every == 0:
            hard_update(target_net, q_net)
        if step % eval_every == 0:
            returns, q_start, discounted = evaluate_with_estimates(q_net, env_id, eval_seeds, gamma)
            mean = float(returns.mean())
            record["eval_steps"].append(step)
            record["eval_returns"].append(mean)
            record["q_estimates"].append(float(q_start.mean()))
            record["q_actual"].append(float(discounted.mean()))
            if mean > best_eval:
                best_eval, best_arrays = mean, q_net.to_arrays()
            if steps_to_target is None and mean >= target:
                steps_to_target = step
    env.close()
    result = {key: np.array(value) for key, value in record.items()}
    result.update(steps_to_target=steps_to_target, best_arrays=best_arrays, best_eval=best_eval, q_net=q_net)
    return result
