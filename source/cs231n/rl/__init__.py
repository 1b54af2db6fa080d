"""Assignment 4: reinforcement learning on Gymnasium environments.

Student modules (with solution regions): tabular.py, exploration.py,
returns.py, policy_gradient.py, replay_buffer.py, dqn.py. Given modules:
networks.py (the one network architecture), rollouts.py, pg_training.py,
dqn_training.py, evaluation.py, visualization.py, torch_calls.py.
"""
