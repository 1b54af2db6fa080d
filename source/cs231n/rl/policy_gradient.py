"""Losses of policy-gradient methods, in PyTorch (PolicyGradients.ipynb).

The policy is categorical: a network maps a batch of N observations to
logits of shape (N, A), and pi(a | s) = softmax(logits)[a]. Each loss
returns a scalar tensor (shape ()) that autograd differentiates with respect
to the network that produced its inputs.
"""
import torch
import torch.nn.functional as F


def policy_gradient_loss(logits, actions, advantages):
    """The surrogate loss whose gradient is the policy gradient.

        loss = -mean_i( log pi(actions[i] | s_i) * advantages[i] )

    Inputs:
    - logits: float tensor of shape (N, A), requires grad.
    - actions: int64 tensor of shape (N,), the actions taken, in 0..A-1.
    - advantages: float tensor of shape (N,), treated as constants: no
      gradient flows into them even if they require grad.

    Returns:
    - loss: scalar float tensor.
    """
    loss = None
    # TODO: Log-probabilities of the taken actions (F.log_softmax, then
    # gather or indexing), weighted by the detached advantages.
    ### BEGIN SOLUTION
    log_probs = F.log_softmax(logits, dim=1)
    taken = log_probs.gather(1, actions.long().unsqueeze(1)).squeeze(1)
    loss = -(taken * advantages.detach()).mean()
    ### END SOLUTION
    return loss


def value_loss(values, targets):
    """Mean squared error of a value function: mean_i (values[i] - targets[i])**2.

    Inputs:
    - values: float tensor of shape (N,), requires grad.
    - targets: float tensor of shape (N,), treated as constants (detached).

    Returns:
    - loss: scalar float tensor.
    """
    loss = None
    # TODO: One line.
    ### BEGIN SOLUTION
    loss = ((values - targets.detach()) ** 2).mean()
    ### END SOLUTION
    return loss


def entropy(logits):
    """Mean entropy of the categorical distributions: mean_i( -sum_a pi(a|s_i) log pi(a|s_i) ).

    Inputs:
    - logits: float tensor of shape (N, A).

    Returns:
    - entropy: scalar float tensor (in nats), differentiable.
    """
    result = None
    # TODO: Use F.log_softmax for a stable log pi (no log of a softmax).
    ### BEGIN SOLUTION
    log_probs = F.log_softmax(logits, dim=1)
    result = -(log_probs.exp() * log_probs).sum(dim=1).mean()
    ### END SOLUTION
    return result


def sample_actions(logits, generator=None):
    """One action per row, drawn from softmax(logits) (given).

    Inputs:
    - logits: float tensor of shape (N, A).
    - generator: an optional torch.Generator.

    Returns:
    - actions: int64 tensor of shape (N,).
    """
    probs = torch.softmax(logits, dim=1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)
