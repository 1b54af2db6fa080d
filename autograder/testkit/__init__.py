"""The vocabulary of every test suite, public and hidden.

Shipped to students unchanged (it holds no solutions): the public checks they
run use the same calls and messages as the grader.

A test is an ordinary pytest function. Markers say what it is worth and who
sees it:

    @pytest.mark.points(2)     # worth 2 points (required on every test)
    @pytest.mark.public        # shipped to students; without it a test is hidden

Fixtures:
    student    a `Code` for the submission (sandboxed in the grader)
    reference  a `Code` for the reference solution (grader only; public
               tests may not use it)
    rng        a `numpy.random.Generator` seeded per test

Files a notebook saved (trained models) are read with `load_saved_arrays`,
which refuses links, non-.npz files, oversized files and pickles.
"""
from .artifacts import load_saved_arrays
from .checks import (CheckFailed, assert_array, assert_close, assert_equal_labels,
                     assert_scalar_close, describe, numerical_gradient, rel_error, unpack)
from .code import Code, InProcessCode, Remote, StudentCodeError, StudentCrash, StudentTimeout

__all__ = [
    "CheckFailed", "assert_array", "assert_close", "assert_equal_labels", "assert_scalar_close",
    "describe", "numerical_gradient", "rel_error", "unpack", "Code", "InProcessCode", "Remote",
    "StudentCodeError", "StudentCrash", "StudentTimeout", "load_saved_arrays",
]
