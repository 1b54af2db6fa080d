"""Assignment 4: reinforcement learning on Gymnasium environments.

Student modules (with solution regions): tabular.py, exploration.py,
returns.py, policy_gradient.py, replay_buffer.py, dqn.py. Given modules:
networks.py (the one network architecture), pg_training.py,
dqn_training.py, evaluation.py, visualization.py.
"""
import os

# Gymnasium renders classic control with pygame, which opens an audio device
# on start-up; on a machine without one (a server, a container) SDL prints
# errors into the notebook. Rendering to rgb_array needs neither sound nor a
# display.
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
