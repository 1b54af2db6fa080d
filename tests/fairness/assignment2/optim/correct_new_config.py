# Correct: a new config dict returned (the given one left as it is), the hyperparameters read
#   with defaults into local names, the updates with np.multiply / np.add.
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
    given = {} if config is None else config
    lr, mu = given.get("learning_rate", 1e-2), given.get("momentum", 0.9)
    v = np.add(np.multiply(mu, given.get("velocity", np.zeros_like(w))), np.multiply(-lr, dw))
    return np.add(w, v), {**given, "learning_rate": lr, "momentum": mu, "velocity": v}


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
    given = {} if config is None else config
    lr, rho, eps = given.get("learning_rate", 1e-2), given.get("decay_rate", 0.99), given.get("epsilon", 1e-8)
    cache = np.add(np.multiply(rho, given.get("cache", np.zeros_like(w))), np.multiply(1 - rho, dw * dw))
    next_w = w - np.divide(lr * dw, np.sqrt(cache) + eps)
    return next_w, {**given, "learning_rate": lr, "decay_rate": rho, "epsilon": eps, "cache": cache}


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
    given = {} if config is None else config
    lr, eps = given.get("learning_rate", 1e-3), given.get("epsilon", 1e-8)
    b1, b2 = given.get("beta1", 0.9), given.get("beta2", 0.999)
    t = given.get("t", 0) + 1
    m = np.add(np.multiply(b1, given.get("m", np.zeros_like(w))), np.multiply(1 - b1, dw))
    v = np.add(np.multiply(b2, given.get("v", np.zeros_like(w))), np.multiply(1 - b2, dw * dw))
    m_hat, v_hat = np.divide(m, 1 - b1 ** t), np.divide(v, 1 - b2 ** t)
    next_w = w - lr * np.divide(m_hat, np.sqrt(v_hat) + eps)
    return next_w, {**given, "learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps, "m": m, "v": v, "t": t}
