"""Pictures for the notebooks (given code): value grids, learning curves, episode GIFs."""
import io

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

ARROWS = {0: "\u2190", 1: "\u2193", 2: "\u2192", 3: "\u2191"}   # FrozenLake: left, down, right, up


def plot_value_grid(V, policy, desc, ax=None, title=""):
    """A FrozenLake map: V as colors, the policy's action as an arrow on each frozen tile.

    Inputs: V float (S,), policy int (S,), desc the env's map (env.unwrapped.desc,
    an array of bytes of shape (rows, cols)).
    """
    desc = np.asarray(desc).astype(str)
    rows, cols = desc.shape
    ax = ax or plt.gca()
    image = ax.imshow(np.asarray(V).reshape(rows, cols), cmap="viridis", vmin=0.0)
    for s in range(rows * cols):
        r, c = divmod(s, cols)
        tile = desc[r, c]
        label = tile if tile in "HG" else f"{ARROWS[int(policy[s])]}\n{V[s]:.2f}"
        ax.text(c, r, label, ha="center", va="center", color="white" if V[s] < 0.5 * np.max(V) else "black",
                fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return image


def smoothed_curve(steps, returns, grid):
    """The return of the latest finished episode at each step of `grid` (NaN before the first)."""
    steps, returns = np.asarray(steps), np.asarray(returns)
    index = np.searchsorted(steps, grid, side="right") - 1
    curve = np.where(index >= 0, returns[np.maximum(index, 0)], np.nan)
    return curve


def plot_learning_curves(runs, label, ax=None, color=None, num_points=200, window=10):
    """Mean over runs (seeds) of the return per episode against env steps, with a min-max band.

    Each run is a dict with episode_steps and episode_returns (see
    pg_training). Returns are first averaged over `window` consecutive
    episodes within each run.
    """
    ax = ax or plt.gca()
    horizon = min(int(run["episode_steps"][-1]) for run in runs)
    start = max(int(run["episode_steps"][0]) for run in runs)
    grid = np.linspace(start, horizon, num_points)
    curves = []
    for run in runs:
        returns = np.asarray(run["episode_returns"], dtype=float)
        # Running mean of the last `window` episodes (fewer at the start).
        index = np.arange(len(returns))
        low = np.maximum(0, index - window + 1)
        total = np.cumsum(np.r_[0.0, returns])
        smooth = (total[index + 1] - total[low]) / (index + 1 - low)
        curves.append(smoothed_curve(run["episode_steps"], smooth, grid))
    curves = np.array(curves)
    mean = np.nanmean(curves, axis=0)
    line, = ax.plot(grid, mean, label=f"{label} (mean of {len(runs)})", color=color)
    ax.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0), alpha=0.2, color=line.get_color())
    ax.set_xlabel("environment steps")
    ax.set_ylabel(f"return per episode (mean of {window})")
    return line


def episode_gif(env_id, net, seed=0, max_frames=120, every=2, width=240):
    """A GIF (bytes) of one greedy episode of `net`, every `every`-th frame, at most max_frames.

    Display it with IPython.display.Image(data=gif, format="gif").
    """
    env = gym.make(env_id, render_mode="rgb_array")
    obs, _ = env.reset(seed=seed)
    frames, done, t = [], False, 0
    while not done and len(frames) < max_frames:
        if t % every == 0:
            frame = Image.fromarray(env.render())
            height = int(frame.height * width / frame.width)
            frames.append(frame.resize((width, height)).convert("P", palette=Image.ADAPTIVE, colors=64))
        with torch.no_grad():
            action = int(net(torch.as_tensor(obs[None], dtype=torch.float32)).argmax())
        obs, _, terminated, truncated, _ = env.step(action)
        done, t = terminated or truncated, t + 1
    env.close()
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=40 * every, loop=0)
    return buffer.getvalue()
