"""The L2 regularization term of a loss, checked alone, by difference.

    assert_l2_regularization(loss_at, {"dW": W}, reg=0.37, factor=1.0, penalty="sum(W * W)",
                             what="svm_loss_naive")

`loss_at(r)` returns (loss, {name: gradient}) at regularization strength r;
`weights` maps the names of the weights' gradients ("dW", "grads['W1']") to
the weights. loss(reg) - loss(0) must be factor * reg * (their sum of squares),
and each gradient of a weight must grow by 2 * factor * reg * W; gradients of
anything else (biases) must not change. Whatever the rest of the loss does
cancels in the differences, so a mistake elsewhere never fails this check,
and a self-consistent solution with another convention (0.5 * reg instead of
reg) fails only here, with a message naming the convention it found.
"""
import numpy as np

from .checks import CheckFailed, as_numpy, assert_array

TOL = 1e-6


def assert_l2_regularization(loss_at, weights, reg, factor, penalty, what):
    """See the module docstring. `penalty` names the sum of squares in messages, e.g.
    "sum(W * W)"; `factor` is the stated convention (1.0: reg * ..., 0.5: 0.5 * reg * ...)."""
    loss0, grads0 = loss_at(0.0)
    loss1, grads1 = loss_at(reg)
    stated = f"{_times(factor)}reg * {penalty}"
    squares = sum(float(np.sum(np.asarray(w, dtype=float) ** 2)) for w in weights.values())
    found = (_number(loss1, what) - _number(loss0, what)) / (reg * squares)
    if not np.isfinite(found) or abs(found - factor) > TOL * factor:
        raise CheckFailed(f"{what}: the loss with reg={reg} minus the loss with reg=0 is "
                          f"{_found(found)}reg * {penalty}; the docstring's convention is a "
                          f"regularization term of {stated}")
    for name, grad0 in grads0.items():
        assert_array(grads1[name], f"{name} with reg={reg}", np.shape(as_numpy(grad0)))
        diff = as_numpy(grads1[name]).astype(float) - as_numpy(grad0).astype(float)
        if name not in weights:
            if np.max(np.abs(diff), initial=0.0) > TOL * (1 + np.max(np.abs(as_numpy(grad0)), initial=0.0)):
                raise CheckFailed(f"{what}: {name} changes with reg; only the weights "
                                  f"({', '.join(name_of(w) for w in weights)}) are regularized")
            continue
        unit = reg * np.asarray(weights[name], dtype=float)
        slope = float(np.sum(diff * unit) / np.sum(unit * unit))
        off = np.max(np.abs(diff - 2 * factor * unit)) / np.max(np.abs(unit))
        if not np.isfinite(off) or off > TOL:
            fits = np.max(np.abs(diff - slope * unit)) <= TOL * np.max(np.abs(unit))
            how = f"{_found(slope)}reg * {name_of(name)}" if fits else "not a multiple of reg * W"
            raise CheckFailed(f"{what}: {name} with reg={reg} minus {name} with reg=0 is {how}; the gradient "
                              f"of the term {stated} is {_times(2 * factor)}reg * {name_of(name)}")


def name_of(grad_name):
    """The weight a gradient belongs to, for messages: "dW" -> "W", "grads['W1']" -> "W1"."""
    if grad_name.startswith("grads["):
        return grad_name[7:-2]
    return grad_name[1:] if grad_name.startswith("d") else grad_name


def _number(value, what):
    value = as_numpy(value)
    if value.size != 1 or value.dtype.kind not in "biuf":
        raise CheckFailed(f"{what}: the loss should be a number; got an array of shape {value.shape}")
    return float(value.reshape(()))


def _times(factor):
    return "" if factor == 1 else f"{factor:g} * "


def _found(factor):
    """'0.5 * ', '' (1), '0 * ' ...: a factor as found, to three digits."""
    if not np.isfinite(factor):
        return "not a finite multiple of "
    return _times(float(f"{factor:.3g}"))
