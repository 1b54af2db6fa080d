"""Assertions whose failure messages speak to the student.

Messages describe the student's own result (its type, its shape, how far it
is from the reference) and never the test's inputs or expected values, so they
are safe to show for hidden tests too.
"""
import numpy as np

from .wire import Handle


class CheckFailed(AssertionError):
    """A check failed; str(error) is the message shown to the student."""


def rel_error(got, expected):
    """Largest relative error, elementwise: |a-b| / max(1e-8, |a|+|b|)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.size == 0:
        return 0.0
    diff = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    diff = np.where(np.isnan(got) != np.isnan(expected), np.inf, np.nan_to_num(diff, nan=0.0))
    return float(np.max(diff))


def describe(value):
    if isinstance(value, Handle):
        return f"an object of type {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None (did you forget a return statement?)"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def assert_array(got, name, shape=None):
    """`got` must be a NumPy array (of `shape` when given)."""
    if not isinstance(got, np.ndarray):
        raise CheckFailed(f"{name} should be a NumPy array; got {describe(got)}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise CheckFailed(f"{name} has shape {got.shape}; expected {tuple(shape)}")
    if got.dtype.kind not in "biuf":
        raise CheckFailed(f"{name} has dtype {got.dtype}; expected a real-valued array")


def assert_close(got, expected, name, tol=1e-6):
    """Array `got` must match the reference array `expected` within relative error `tol`."""
    expected = np.asarray(expected)
    assert_array(got, name, expected.shape)
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        raise CheckFailed(f"{name} has shape {got.shape} but contains nan or inf values")
    err = rel_error(got, expected)
    if not err <= tol:
        raise CheckFailed(
            f"{name} has shape {got.shape}; expected {expected.shape} but values differ "
            f"from the reference: max relative error {err:.2g} (allowed {tol:.0e})")


def assert_scalar_close(got, expected, name, tol=1e-6):
    """A number (Python or NumPy scalar, or 0-d array) close to the reference."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(()).item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise CheckFailed(f"{name} should be a number; got {describe(got)}")
    if not np.isfinite(got):
        raise CheckFailed(f"{name} is {got}; expected a finite number")
    err = rel_error(got, expected)
    if not err <= tol:
        raise CheckFailed(f"{name} is {got:.6g}, which differs from the reference: "
                          f"relative error {err:.2g} (allowed {tol:.0e})")


def assert_equal_labels(got, expected, name):
    """Integer predictions must equal the reference exactly."""
    expected = np.asarray(expected)
    assert_array(got, name, expected.shape)
    wrong = int(np.sum(got != expected))
    if wrong:
        raise CheckFailed(f"{name} has shape {got.shape}; {wrong} of {expected.size} "
                          "entries differ from the reference")


def unpack(result, names, function):
    """Check that `function` returned a tuple with one entry per name."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise CheckFailed(f"{function} should return a tuple ({', '.join(names)}); "
                          f"it returned {describe(result)}")
    return result


def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of scalar f at x (float64 array), elementwise.

    f(x) is called 2 * x.size times; keep x small.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        old = x[index]
        x[index] = old + h
        plus = f(x.copy())
        x[index] = old - h
        minus = f(x.copy())
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad
