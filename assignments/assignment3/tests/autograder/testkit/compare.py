"""Calling the student's code and the reference the same way, and comparing what they return.

    got, expected = call_both(student, reference, "cs231n.layers", "affine_forward",
                              x, w, b, returns=("out", "cache"))
    assert_matches(got[0], expected[0], "out")

    with case("svm_loss_vectorized on a single example"):
        compare(student, reference, MOD, "svm_loss_vectorized", W, X, y, 0.1,
                returns=("loss", "dW"), tol=1e-6)

Inputs cross to each side by value, so neither side can change what the
other receives. Only tests that run in the grader use these (the reference
is not on students' machines).
"""
import numpy as np

from .checks import (CheckFailed, assert_close, assert_equal_labels, assert_scalar_close, describe,
                     is_tensor, unpack)


def call_both(student, reference, module, name, *args, returns=None, **kwargs):
    """(student's result, reference's result) of module.name(*args, **kwargs).

    returns: None when the function returns one value; otherwise the names of
    the entries of the tuple it returns, and the student's result is checked
    to be a tuple of that length (CheckFailed naming them otherwise).
    """
    got = student.function(module, name)(*args, **kwargs)
    expected = reference.function(module, name)(*args, **kwargs)
    if returns is not None:
        got = tuple(unpack(got, list(returns), name))
    return got, expected


def compare(student, reference, module, name, *args, returns=None, tol=1e-6, skip=(), **kwargs):
    """Call both with the same inputs and require matching results.

    returns: as for call_both; each named entry is compared except those in
    `skip` (for example the cache of a forward pass). Returns the student's result.
    """
    got, expected = call_both(student, reference, module, name, *args, returns=returns, **kwargs)
    if returns is None:
        assert_matches(got, expected, f"the value returned by {name}", tol)
    else:
        for entry, value, want in zip(returns, got, expected):
            if entry not in skip:
                assert_matches(value, want, entry, tol)
    return got


def assert_matches(got, expected, name, tol=1e-6):
    """`got` must match `expected`, whatever the wire carried: numbers, arrays and
    tensors (closeness within `tol`; integer arrays exactly), and tuples, lists
    and dicts of those, entry by entry. A float that is one number (a Python or
    NumPy scalar, a 0-d array) matches any of those forms."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise CheckFailed(f"{name} should be a {type(expected).__name__} of length {len(expected)}; "
                              f"got {describe(got)}")
        for index, (g, e) in enumerate(zip(got, expected)):
            assert_matches(g, e, f"{name}[{index}]", tol)
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            raise CheckFailed(f"{name} should be a dict; got {describe(got)}")
        missing = [key for key in expected if key not in got]
        if missing:
            raise CheckFailed(f"{name} has no entry {missing[0]!r}")
        for key in expected:
            assert_matches(got[key], expected[key], f"{name}[{key!r}]", tol)
    elif isinstance(expected, np.ndarray) and expected.ndim == 0 and expected.dtype.kind == "f":
        # A NumPy scalar crosses the wire as a 0-d array; a Python float is as good an answer.
        assert_scalar_close(got, expected, name, tol)
    elif isinstance(expected, np.ndarray) or is_tensor(expected):
        kind = (expected.dtype.kind if isinstance(expected, np.ndarray)
                else "f" if expected.is_floating_point() else "i")
        if kind in "biu":
            assert_equal_labels(got, expected, name)
        else:
            assert_close(got, expected, name, tol)
    elif isinstance(expected, (int, float, np.generic)) and not isinstance(expected, bool):
        assert_scalar_close(got, expected, name, tol)
    elif got != expected:
        raise CheckFailed(f"{name} is {describe(got)}; it does not have the expected value")
