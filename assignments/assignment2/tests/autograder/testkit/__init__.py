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
    rng        a `numpy.random.Generator` seeded per test (`seed_for`): a
               public test draws the same inputs on a student's machine as
               in the grader; hidden tests add the course's secret salt

Checks (`assert_*`, `case`, `compare`) raise `CheckFailed` with a message
for the student; values may be NumPy arrays or torch tensors.
`assert_l2_regularization` checks a loss's L2 term alone, by difference, and
names the convention it found.

A composed function may match what the student's own parts give
(`own`, `assert_one_of`; see own_parts.py), so that one mistake is charged
once; gradients are compared with numerical ones by `assert_matches_numerical`.

Files a notebook saved (trained models) are read with `load_saved_arrays`,
which refuses links, non-.npz files, oversized files and pickles.
"""
from .artifacts import load_saved_arrays
from .checks import (CheckFailed, as_numpy, assert_array, assert_close, assert_equal_labels,
                     assert_scalar_close, case, describe, is_tensor, numerical_gradient, rel_error, unpack)
from .code import Call, Code, InProcessCode, Remote, StudentCodeError, StudentCrash, StudentTimeout
from .compare import assert_matches, call_both, compare
from .own_parts import agrees, assert_matches_numerical, assert_one_of, matches_numerical, own
from .regularization import assert_l2_regularization
from .seeds import seed_for
from .source import class_methods, parse_module, require_defined_in_class_body

__all__ = [
    "CheckFailed", "as_numpy", "assert_array", "assert_close", "assert_equal_labels",
    "assert_scalar_close", "case", "describe", "is_tensor", "numerical_gradient", "rel_error", "unpack",
    "Call", "Code", "InProcessCode", "Remote", "StudentCodeError", "StudentCrash", "StudentTimeout",
    "assert_l2_regularization", "assert_matches", "call_both", "compare", "load_saved_arrays", "seed_for",
    "agrees", "assert_matches_numerical", "assert_one_of", "matches_numerical", "own",
]
