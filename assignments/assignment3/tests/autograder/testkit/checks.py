"""Assertions whose failure messages speak to the student.

Messages describe the student's own result (its type, its shape, which
entries are wrong and how far off they are) and never the test's inputs or
expected values, so they are safe to show for hidden tests too: an array
check reports how many entries differ, the largest relative difference, and
how the student's values relate to the expected ones as a whole (a constant
factor, a sign flip, the ratio of their norms); a number check reports only
the direction and rough size of the difference.

Values may be NumPy arrays or, where the expected value is a torch tensor,
tensors (the student's value must then be a tensor too). A student value
must be finite wherever the expected one is; nan never matches anything, and
an infinity matches only the same infinity.
"""
import contextlib
import sys

import numpy as np

from .wire import Handle


class CheckFailed(AssertionError):
    """A check failed; str(error) is the message shown to the student."""


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on:

        with case("svm_loss_naive on a single example"):
            assert_close(dW, ref_dW, "dW")
    """
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def _torch():
    return sys.modules.get("torch")


def is_tensor(value):
    torch = _torch()
    return torch is not None and isinstance(value, torch.Tensor)


def as_numpy(value):
    """A NumPy view of an array or tensor (tensors detached, on the CPU)."""
    if is_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def rel_error(got, expected):
    """Largest relative error, elementwise: |a-b| / max(1e-8, |a|+|b|).

    Equal values (the same infinity included) have error 0; a nan on either
    side, or an infinity against anything else, has error inf.
    """
    got = np.asarray(as_numpy(got), dtype=float)
    expected = np.asarray(as_numpy(expected), dtype=float)
    if got.size == 0:
        return 0.0
    return float(np.max(_elementwise_error(got, expected)))


def _elementwise_error(got, expected):
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    same = got == expected                       # includes equal infinities
    bad = np.isnan(got) | np.isnan(expected) | ((np.isinf(got) | np.isinf(expected)) & ~same)
    return np.where(same, 0.0, np.where(bad, np.inf, diff))


def describe(value):
    if isinstance(value, Handle):
        return f"an object of type {value.type_name}"
    if is_tensor(value):
        return f"a torch tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None (did you forget a return statement?)"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def assert_array(got, name, shape=None, tensor=False):
    """`got` must be a real-valued NumPy array (a torch tensor if `tensor`), of `shape` when given."""
    kind = "a torch tensor" if tensor else "a NumPy array"
    wanted = f"{kind} of shape {tuple(shape)}" if shape is not None else kind
    if tensor and not is_tensor(got) or not tensor and not isinstance(got, np.ndarray):
        raise CheckFailed(f"{name} should be {wanted}; got {describe(got)}")
    got_shape = tuple(got.shape)
    if shape is not None and got_shape != tuple(shape):
        raise CheckFailed(f"{name} has shape {got_shape}; it should have shape {tuple(shape)}")
    if as_numpy(got).dtype.kind not in "biuf":
        raise CheckFailed(f"{name} has dtype {got.dtype}; it should hold real numbers")


def assert_close(got, expected, name, tol=1e-6, check_dtype=False):
    """Array (or tensor) `got` must match `expected` within relative error `tol`.

    check_dtype: also require the expected dtype (for example float32 tensors).
    """
    tensor = is_tensor(expected)
    expected = as_numpy(expected)
    assert_array(got, name, expected.shape, tensor=tensor)
    if check_dtype and as_numpy(got).dtype != expected.dtype:
        raise CheckFailed(f"{name} has dtype {got.dtype}; it should have dtype "
                          f"{'torch.' if tensor else ''}{expected.dtype}")
    values = np.asarray(as_numpy(got), dtype=float)
    expected = np.asarray(expected, dtype=float)
    _check_finite(values, expected, name)
    errors = _elementwise_error(values, expected)
    wrong = errors > tol
    if not np.any(wrong):
        return
    count = f"{int(np.sum(wrong))} of {wrong.size} entries" if wrong.size > 1 else "its value"
    largest = float(np.max(errors))
    message = (f"{name} has the right shape {values.shape} but wrong values: {count} differ from the "
               f"expected values by more than the allowed relative error {tol:.0e} (the largest "
               f"relative difference is {largest:.2g}, where 1 means completely different)")
    hint = _relation(values, expected)
    raise CheckFailed(message + (f"; {hint}" if hint else ""))


def _check_finite(values, expected, name):
    nan = np.isnan(values)
    if np.any(nan):
        raise CheckFailed(f"{name} contains nan at {int(np.sum(nan))} of {values.size} entries; "
                          "nan never counts as a correct value")
    wrong_inf = np.isinf(values) & (values != expected)
    if np.any(wrong_inf):
        raise CheckFailed(f"{name} contains inf or -inf at {int(np.sum(wrong_inf))} of {values.size} "
                          "entries where a finite number is expected (an overflow?)")


def _relation(values, expected):
    """How the student's values relate to the expected ones as a whole, if simply."""
    finite = np.isfinite(expected)
    got, want = values[finite], expected[finite]
    norm_got, norm_want = float(np.linalg.norm(got)), float(np.linalg.norm(want))
    if norm_want == 0.0:
        return "the expected values are all zero here" if norm_got else ""
    if norm_got == 0.0:
        return "your values are all zero"
    factor = float(np.dot(got, want) / norm_want ** 2)
    if factor != 0 and np.max(np.abs(got - factor * want)) <= 1e-6 * np.max(np.abs(got)):
        if abs(factor + 1) < 1e-6:
            return "your values are the expected ones with the opposite sign"
        return (f"your values are {factor:.3g} times the expected ones everywhere (a missing or extra "
                "factor?)")
    return f"the norm of your values is {norm_got / norm_want:.2g} times the expected norm"


def _number(got):
    if is_tensor(got) and got.numel() == 1:
        return got.detach().reshape(()).item()
    if isinstance(got, np.ndarray) and got.size == 1:
        return got.reshape(()).item()
    if isinstance(got, np.generic):
        return got.item()
    return got


def assert_scalar_close(got, expected, name, tol=1e-6):
    """A number (Python or NumPy scalar, 0-d array, one-element tensor) close to `expected`."""
    got, expected = _number(got), float(_number(expected))
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise CheckFailed(f"{name} should be a number; got {describe(got)}")
    if np.isnan(got):
        raise CheckFailed(f"{name} is nan; it should be a number")
    if np.isinf(got) and got != expected:
        raise CheckFailed(f"{name} is {got}; it should be a finite number (an overflow?)")
    err = rel_error(got, expected)
    if err <= tol:
        return
    if np.isinf(expected) or np.sign(got) != np.sign(expected):
        how = "has the wrong sign or size"
    else:
        ratio = abs(got) / abs(expected)
        how = f"is too {'large' if ratio > 1 else 'small'} (off by {_rough_percent(abs(ratio - 1))})"
    raise CheckFailed(f"{name} is {got:.6g}, which {how}; the allowed relative error is {tol:.0e}")


def _rough_percent(fraction):
    """'about 20%', '2x or more': the size of a difference to one significant digit."""
    if fraction >= 1:
        return "a factor of 2 or more"
    percent = fraction * 100
    if percent < 0.1:
        return "less than 0.1%"
    digits = -int(np.floor(np.log10(percent)))
    return f"about {round(percent, digits):g}%"


def assert_equal_labels(got, expected, name):
    """Integer predictions must equal `expected` exactly."""
    tensor = is_tensor(expected)
    expected = as_numpy(expected)
    assert_array(got, name, expected.shape, tensor=tensor)
    values = as_numpy(got)
    if values.dtype.kind == "f" and np.any(values != np.round(values)):
        raise CheckFailed(f"{name} should hold whole-number labels; it holds fractions")
    wrong = int(np.sum(values != expected))
    if wrong:
        raise CheckFailed(f"{name} has {wrong} of {expected.size} labels different from the expected ones")


def unpack(result, names, function):
    """Check that `function` returned a tuple with one entry per name."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise CheckFailed(f"{function} should return a tuple ({', '.join(names)}); "
                          f"it returned {describe(result)}")
    return result


def numerical_gradient(f, x, h=1e-5, name="the function"):
    """Centered-difference gradient of scalar f at x (float64 array), elementwise.

    f(x) is called 2 * x.size times; keep x small. Every value of f must be a
    finite number (CheckFailed naming `name` otherwise): a gradient cannot be
    checked against nan.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)

    def value(point):
        result = _number(f(point))
        if isinstance(result, bool) or not isinstance(result, (int, float)):
            raise CheckFailed(f"{name} should return a number; got {describe(result)}")
        if not np.isfinite(result):
            raise CheckFailed(f"{name} is {result} at these inputs, so its gradient cannot be checked")
        return result

    for index in np.ndindex(*x.shape):
        old = x[index]
        x[index] = old + h
        plus = value(x.copy())
        x[index] = old - h
        minus = value(x.copy())
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad
