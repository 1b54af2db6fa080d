"""Charging a mistake once: a composed function may match what the student's own parts give.

A function built from others the student also writes (rnn_forward from
rnn_step_forward, a model's loss from its layers) is right when it matches
the correct value, and also when it matches what the student's own parts,
composed as the docstring says, give: the wrong part is charged by its own
test, not again by every test of what uses it.

    own_value = own(lambda: compose(student's parts))     # None where they raise
    assert_one_of(got, [correct, own_value], "h")

Gradients against numerical ones are measured relative to the gradient's
largest entries: an entry near 0 has no meaningful relative error of its own.
"""
import numpy as np

from .checks import CheckFailed, assert_array
from .code import StudentCodeError
from .compare import assert_matches

GRAD_TOL = 1e-6   # numerical against analytic, relative to the largest entries


def agrees(got, expected, tol=1e-6):
    """Whether `got` matches `expected` (numbers, arrays, tuples or dicts of them), without failing."""
    try:
        assert_matches(got, expected, "value", tol)
    except CheckFailed:
        return False
    return True


def own(compute):
    """compute(), or None where the student's own functions raise or return malformed values."""
    try:
        return compute()
    except (StudentCodeError, CheckFailed, TypeError, ValueError, IndexError, KeyError):
        return None


def assert_one_of(got, candidates, name, tol=1e-6):
    """`got` must match the first candidate (the correct value) or one of the others (what the
    student's own parts give; None where they could not be computed); the message is the
    comparison with the correct value."""
    for candidate in candidates[1:]:
        if candidate is not None and agrees(got, candidate, tol):
            return
    assert_matches(got, candidates[0], name, tol)


def assert_matches_numerical(got, numerical, name, tol=GRAD_TOL):
    """An analytic gradient against a numerical one, the error relative to the largest entries."""
    assert_array(got, name, numerical.shape)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{name} contains nan or inf values")
    scale = max(1e-8, float(np.max(np.abs(got), initial=0) + np.max(np.abs(numerical), initial=0)))
    error = float(np.max(np.abs(got - numerical), initial=0)) / scale
    if not error <= tol:
        raise CheckFailed(f"{name} differs from the numerical gradient: largest difference {error:.2g} "
                          f"relative to the largest entries (allowed {tol:.0e})")


def matches_numerical(got, numerical, tol=GRAD_TOL):
    """Whether assert_matches_numerical passes, without failing."""
    try:
        assert_matches_numerical(got, numerical, "value", tol)
    except CheckFailed:
        return False
    return True
