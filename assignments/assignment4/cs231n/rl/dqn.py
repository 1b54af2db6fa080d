"""Deep Q-learning in PyTorch: targets, the TD loss, target-network updates (DQN.ipynb).

A batch holds B transitions. Q-networks map observations to action values
of shape (B, A). `dones` are floats, 1.0 where the episode terminated at the
next state (whose value is then 0), 0.0 elsewhere.
"""
import torch


def dqn_targets(rewards, next_q_target, dones, gamma):
    """DQN targets: y = r + gamma * (1 - done) * max_a Q_target(s', a).

    Inputs:
    - rewards: float tensor of shape (B,).
    - next_q_target: float tensor of shape (B, A), the target network's
      values of the next states.
    - dones: float tensor of shape (B,).
    - gamma: float in [0, 1].

    Returns:
    - targets: float tensor of shape (B,).
    """
    targets = None
    # TODO: One line.
    raise NotImplementedError('Complete dqn_targets (see the TODO above)')
    return targets


def double_dqn_targets(rewards, next_q_online, next_q_target, dones, gamma):
    """Double DQN targets (van Hasselt et al., 2016).

    The online network chooses the next action, the target network values it:
    y = r + gamma * (1 - done) * Q_target(s', argmax_a Q_online(s', a)).

    Inputs:
    - rewards: float tensor of shape (B,).
    - next_q_online: float tensor of shape (B, A), the online network's
      values of the next states.
    - next_q_target: float tensor of shape (B, A), the target network's.
    - dones: float tensor of shape (B,).
    - gamma: float in [0, 1].

    Returns:
    - targets: float tensor of shape (B,).
    """
    targets = None
    # TODO: argmax over the online values (ties: the lowest action, as
    # torch.argmax gives), then gather the target values of those actions.
    raise NotImplementedError('Complete double_dqn_targets (see the TODO above)')
    return targets


def huber_td_loss(q_values, actions, targets, delta=1.0):
    """Mean Huber loss of the TD errors of the actions taken.

    With x_i = q_values[i, actions[i]] - targets[i], the Huber loss is
    0.5 * x**2 where |x| <= delta and delta * (|x| - 0.5 * delta) elsewhere:
    quadratic near 0, linear (so with bounded gradients) far from it.

    Inputs:
    - q_values: float tensor of shape (B, A), the online network's values of
      the states, requires grad.
    - actions: int64 tensor of shape (B,).
    - targets: float tensor of shape (B,), treated as constants (detached).
    - delta: float > 0.

    Returns:
    - loss: scalar float tensor, the mean over the batch.
    """
    loss = None
    # TODO: Pick each row's taken action, then the Huber loss written out
    # with torch.where (not F.huber_loss or F.smooth_l1_loss).
    raise NotImplementedError('Complete huber_td_loss (see the TODO above)')
    return loss


def hard_update(target, online):
    """Copy every parameter of the online network into the target network, in place.

    Inputs:
    - target, online: torch.nn.Module of the same architecture.

    Returns nothing; online is unchanged.
    """
    # TODO: Under torch.no_grad(), copy parameter by parameter
    # (zip(target.parameters(), online.parameters()), then .copy_).
    raise NotImplementedError('Complete hard_update (see the TODO above)')


def polyak_update(target, online, tau):
    """Move the target network towards the online one: theta' <- tau * theta + (1 - tau) * theta'.

    Inputs:
    - target, online: torch.nn.Module of the same architecture.
    - tau: float in [0, 1]; tau = 1 is a hard update, tau = 0 changes nothing.

    Returns nothing; target is updated in place, online is unchanged.
    """
    # TODO: Under torch.no_grad(), parameter by parameter.
    raise NotImplementedError('Complete polyak_update (see the TODO above)')
