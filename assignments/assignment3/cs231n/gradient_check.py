"""Numerical gradients by centered differences, for checking backward passes.

    df/dx_i ~= (f(x + h e_i) - f(x - h e_i)) / (2 h)

The error of this estimate shrinks like h**2, so with float64 and h = 1e-5 an
analytic gradient that is right agrees to a relative error of about 1e-7 or
better. Every function here perturbs `x` in place and restores it before
returning, so `f` must read its input from `x` (a closure over the same array
is the usual way).
"""
import numpy as np


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar-valued function at x.

    Inputs:
    - f: function taking one array of the shape of x and returning a number.
    - x: float array of any shape (A_1, ..., A_k); the point to evaluate at.
      It is modified during the call and restored before returning.
    - verbose: print every coordinate and its gradient as it is computed.
    - h: step size of the centered difference.

    Returns:
    - grad: float array of shape (A_1, ..., A_k); grad[i] ~= df/dx[i].
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        f_plus = f(x)
        x[ix] = old_value - h
        f_minus = f(x)
        x[ix] = old_value
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of an array-valued function, contracted with df.

    For out = f(x), this is the gradient of the scalar sum(out * df) with
    respect to x: exactly what a backward pass returns as dx when it receives
    the upstream gradient dout = df.

    Inputs:
    - f: function taking one array of the shape of x and returning an array
      of the shape of df.
    - x: float array of shape (A_1, ..., A_k); modified during the call and
      restored before returning.
    - df: upstream gradient, float array of the shape of f(x).
    - h: step size of the centered difference.

    Returns:
    - grad: float array of shape (A_1, ..., A_k).
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        # Copy: f may return a view of (or reuse) a buffer it writes again.
        out_plus = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old_value - h
        out_minus = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old_value
        grad[ix] = np.sum((out_plus - out_minus) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with the numerical one at a few random coordinates.

    Cheaper than a full numerical gradient when x is large (a weight matrix):
    only num_checks coordinates are perturbed. For each one it prints the
    numerical value, the analytic value and their relative error
    |num - ana| / (|num| + |ana|).

    Inputs:
    - f: function taking one array of the shape of x and returning a number.
    - x: float array of shape (A_1, ..., A_k); modified during the call and
      restored before returning.
    - analytic_grad: float array of shape (A_1, ..., A_k), the gradient to check.
    - num_checks: how many random coordinates to check.
    - h: step size of the centered difference.
    - seed: seed for picking the coordinates; None draws from NumPy's global
      generator, so np.random.seed(...) makes a notebook cell repeatable.

    Returns:
    - rel_errors: float array of shape (num_checks,), the relative error at
      each checked coordinate, in the order printed.
    """
    rng = np.random if seed is None else np.random.RandomState(seed)
    rel_errors = np.zeros(num_checks)
    for i in range(num_checks):
        ix = tuple(int(rng.randint(m)) for m in x.shape)
        old_value = x[ix]
        x[ix] = old_value + h
        f_plus = f(x)
        x[ix] = old_value - h
        f_minus = f(x)
        x[ix] = old_value
        grad_numerical = (f_plus - f_minus) / (2 * h)
        grad_analytic = analytic_grad[ix]
        denominator = abs(grad_numerical) + abs(grad_analytic)
        # Both zero means they agree exactly; avoid 0 / 0.
        rel_errors[i] = abs(grad_numerical - grad_analytic) / denominator if denominator > 0 else 0.0
        print(f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, "
              f"relative error: {rel_errors[i]:e}")
    return rel_errors
