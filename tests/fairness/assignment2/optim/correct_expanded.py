# Correct: each step written out in one expression, the state recovered afterwards
#   (the velocity as next_w - w), bias correction applied to m and v separately.
# Rewrites: sgd_momentum, rmsprop, adam
"""Update rules for first-order optimization.

Every rule has the same interface:

    next_w, config = rule(w, dw, config)

Inputs:
- w: array of any shape, the current value of one parameter.
- dw: array of the shape of w, the gradient of the loss with respect to w.
- config: dict of hyperparameters (learning rate, ...) and of whatever state
  the rule carries from one step to the next; None means all defaults.

Returns:
- next_w: array of the shape of w, the parameter after the step.
- config: the dict to pass to the next call for this same parameter.

The Solver keeps one config per parameter, so rules that carry state keep
it per parameter too.
"""


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w <- w - learning_rate * dw.

    config keys:
    - learning_rate: float, step size (default 1e-2).

    Inputs/Returns: as described at the top of this module.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


import numpy as np


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

        v <- momentum * v - learning_rate * dw
        w <- w + v

    config keys:
    - learning_rate: float, step size (default 1e-2).
    - momentum: float in [0, 1), how much of the velocity is kept (default 0.9;
      0 gives plain sgd).
    - velocity: array of the shape of w, the moving average of the steps
      (default zeros). Store the updated velocity in config["velocity"].

    Inputs/Returns: as described at the top of this module; next_w has the
    shape of w.
    """
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-2)
    mu = config.get("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = w + mu * v - lr * dw
    config.update(learning_rate=lr, momentum=mu, velocity=mu * v - lr * dw)
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: step sizes scaled by a moving average of squared gradients.

        cache <- decay_rate * cache + (1 - decay_rate) * dw**2
        w <- w - learning_rate * dw / (sqrt(cache) + epsilon)

    config keys:
    - learning_rate: float, step size (default 1e-2).
    - decay_rate: float in [0, 1), how much of the old average is kept (default 0.99).
    - epsilon: small float that keeps the division finite (default 1e-8).
    - cache: array of the shape of w, the moving average of dw**2 (default
      zeros). Store the updated one in config["cache"].

    Inputs/Returns: as described at the top of this module; next_w has the
    shape of w.
    """
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-2)
    rho = config.get("decay_rate", 0.99)
    eps = config.get("epsilon", 1e-8)
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * np.square(dw)
    next_w = w - lr * dw / (np.sqrt(cache) + eps)
    config.update(learning_rate=lr, decay_rate=rho, epsilon=eps, cache=cache)
    return next_w, config


def adam(w, dw, config=None):
    """Adam: moving averages of the gradient and its square, bias-corrected.

        t <- t + 1
        m <- beta1 * m + (1 - beta1) * dw
        v <- beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        w <- w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    t counts the steps taken, this one included: increment it before the
    bias correction.

    config keys:
    - learning_rate: float, step size (default 1e-3).
    - beta1: float, decay of the moving average of the gradient (default 0.9).
    - beta2: float, decay of the moving average of its square (default 0.999).
    - epsilon: small float that keeps the division finite (default 1e-8).
    - m: array of the shape of w, the first moment (default zeros).
    - v: array of the shape of w, the second moment (default zeros).
    - t: int, the number of steps taken so far (default 0).
    Store the updated m, v and t in config.

    Inputs/Returns: as described at the top of this module; next_w has the
    shape of w.
    """
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-3)
    b1, b2 = config.get("beta1", 0.9), config.get("beta2", 0.999)
    eps = config.get("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    next_w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    config.update(learning_rate=lr, beta1=b1, beta2=b2, epsilon=eps, m=m, v=v, t=t)
    return next_w, config
