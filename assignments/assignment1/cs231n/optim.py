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
