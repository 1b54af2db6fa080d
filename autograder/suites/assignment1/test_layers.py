"""Layers (cs231n/layers.py) and the affine-ReLU sandwich (cs231n/layer_utils.py).

Students write the forward and backward pass of the affine and ReLU layers,
the SVM and softmax losses on scores, and the sandwich that chains affine and
ReLU. Each test checks one thing:

* public: hand-computed values of each forward pass; each backward pass
  against a numerical gradient of the documented function or hand-computed
  values (never of the student's own forward pass, so a wrong forward pass
  is not charged again there); ReLU's gradient at exactly 0 (the docstring's
  convention: 0), in its own test; the loss layers' values with all scores
  equal and their gradients against a numerical gradient of their own loss;
  the softmax loss unchanged by shifting a row's scores by thousands; the
  sandwich against the documented formula or, where the student's own affine
  and ReLU layers are wrong, against what those layers give;
* hidden: each layer and each loss (value and gradient in their own tests)
  against the reference on inputs of several shapes (N = 1, examples with
  more than one dimension, scores in the thousands for the SVM loss), and the
  softmax loss of a label whose probability underflows to 0.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_scalar_close,
                                case, compare, numerical_gradient, unpack)

MOD = "cs231n.layers"
UTILS = "cs231n.layer_utils"
GRAD_TOL = 1e-6  # numerical vs analytic gradient, relative, with h = 1e-5 in float64


def affine_problem(rng, n, example_shape, m):
    """Random (x, w, b, dout) for an affine layer; x of shape (n, *example_shape)."""
    d = int(np.prod(example_shape))
    x = rng.standard_normal((n, *example_shape))
    w = rng.standard_normal((d, m)) / np.sqrt(d)
    b = rng.standard_normal(m)
    dout = rng.standard_normal((n, m))
    return x, w, b, dout


def affine(x, w, b):
    """The documented affine layer, written out here: each example flattened row by row."""
    return x.reshape(x.shape[0], -1) @ w + b


# Shapes (N, example shape, M) for the affine layer. N, D and M differ from
# each other so that a transposed or misplaced axis shows.
AFFINE_SHAPES = [
    (1, (5,), 3),
    (4, (7,), 2),
    (6, (3, 4), 5),
    (2, (2, 3, 5), 7),
    (3, (4, 2, 2, 3), 1),
    (30, (3, 8, 8), 10),
]


def without_zeros(rng, shape):
    """Standard normal values kept at least 0.01 away from 0, where ReLU has a kink."""
    x = rng.standard_normal(shape)
    x[np.abs(x) < 0.01] = 0.5
    return x


def score_cases(rng):
    """(description, x, y) for the loss layers, scores of order 1."""
    yield "one example, two classes", rng.standard_normal((1, 2)), np.array([1])
    yield "one example, ten classes", rng.standard_normal((1, 10)), rng.integers(0, 10, size=1)
    yield "7 examples, 3 classes", rng.standard_normal((7, 3)), rng.integers(0, 3, size=7)
    yield "50 examples, 10 classes", 2 * rng.standard_normal((50, 10)), rng.integers(0, 10, size=50)
    yield "labels all of the last class", rng.standard_normal((12, 5)), np.full(12, 4)
    yield "labels all of class 0", rng.standard_normal((9, 4)), np.zeros(9, dtype=np.int64)


def large_score_cases(rng):
    """Scores in the thousands, rows far apart from each other (for the SVM loss, which has no
    exp() to overflow: the softmax loss's large scores have tests of their own)."""
    offsets = rng.uniform(-3000, 3000, size=(20, 1))
    yield "large scores", offsets + 40 * rng.standard_normal((20, 10)), rng.integers(0, 10, size=20)
    yield "large negative scores", -2000 + 10 * rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)


def call_loss(student, name, x, y):
    """Call a loss layer; check the result's form and return (loss, dx)."""
    loss, dx = unpack(student.function(MOD, name)(x, y), ["loss", "dx"], name)
    assert_array(dx, f"dx from {name}", x.shape)
    return loss, dx


def forward_out(code, module, name, *args):
    """The `out` of a forward pass that returns (out, cache)."""
    return unpack(code.function(module, name)(*args), ["out", "cache"], name)[0]


# ------------------------------------------------------------------ public: affine

@pytest.mark.public
@pytest.mark.points(1)
def test_affine_forward_small_case(student):
    """Two examples of shape (2, 2) flattened row by row, three outputs."""
    x = np.arange(8, dtype=np.float64).reshape(2, 2, 2) / 4.0
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [-1.0, 0.5, 2.0]])
    b = np.array([0.5, -1.0, 2.0])
    # Row n of the output is x[n].ravel() @ w + b, written out by hand.
    expected = np.array([[0.5 + 0.5 - 0.75, -1.0 + 0.25 + 1.5 + 0.375, 2.0 + 0.5 + 1.5],
                         [0.5 + 1.0 + 2.5 - 1.75, -1.0 + 1.25 + 4.5 + 0.875, 2.0 - 1.0 + 1.5 + 3.5]])
    out = forward_out(student, MOD, "affine_forward", x, w, b)
    assert_close(out, expected, "out from affine_forward on x of shape (2, 2, 2)")


@pytest.mark.public
@pytest.mark.points(1)
def test_affine_backward_numerical_gradient(student, rng):
    """affine_backward against the numerical gradient of the documented affine function
    (written out in this test, so a mistake in your affine_forward does not count here)."""
    x, w, b, dout = affine_problem(rng, 3, (2, 3), 4)
    dx, dw, db = unpack(student.function(MOD, "affine_backward")(dout, (x, w, b)), ["dx", "dw", "db"],
                        "affine_backward")
    num_dx = numerical_gradient(lambda x_: np.sum(affine(x_, w, b) * dout), x)
    num_dw = numerical_gradient(lambda w_: np.sum(affine(x, w_, b) * dout), w)
    num_db = numerical_gradient(lambda b_: np.sum(affine(x, w, b_) * dout), b)
    with case("affine_backward vs the numerical gradient of out = x.reshape(N, -1) @ w + b, "
              "x of shape (3, 2, 3)"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)
        assert_close(dw, num_dw, "dw", GRAD_TOL)
        assert_close(db, num_db, "db", GRAD_TOL)


# ------------------------------------------------------------------ public: relu

@pytest.mark.public
@pytest.mark.points(1)
def test_relu_forward_small_case(student):
    x = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])
    out = forward_out(student, MOD, "relu_forward", x)
    assert_close(out, np.array([[0.0, 0.0, 0.0], [0.25, 1.0, 3.0]]), "out from relu_forward")


@pytest.mark.public
@pytest.mark.points(1)
def test_relu_backward_small_case(student):
    """The upstream gradient passes where x > 0 and stops where x < 0."""
    x = np.array([[-2.0, -0.5, 0.1], [0.25, 1.0, -3.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dx = student.function(MOD, "relu_backward")(dout, x)
    assert_close(dx, np.array([[0.0, 0.0, 3.0], [4.0, 5.0, 0.0]]), "dx from relu_backward")


@pytest.mark.public
@pytest.mark.points(1)
def test_relu_backward_at_zero(student):
    """The docstring's convention: at x == 0, where ReLU has no derivative, the gradient is 0."""
    x = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 2.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dx = student.function(MOD, "relu_backward")(dout, x)
    assert_array(dx, "dx from relu_backward", x.shape)
    at_zero = x == 0
    if np.any(np.asarray(dx)[at_zero] != 0):
        raise CheckFailed("relu_backward passes the upstream gradient through where x is exactly 0; the "
                          "docstring's convention: at x == 0 the unit counts as off and dx is 0 (use x > 0)")


# ------------------------------------------------------------------ public: losses

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name, expected", [("svm_loss", "C - 1"), ("softmax_loss", "log(C)")])
def test_loss_with_equal_scores(student, rng, name, expected):
    """With all scores equal every margin is 1 and every class has probability 1/C."""
    n, c = 6, 4
    x = np.full((n, c), 0.3)
    y = rng.integers(0, c, size=n)
    loss, _ = call_loss(student, name, x, y)
    value = c - 1.0 if name == "svm_loss" else np.log(c)
    assert_scalar_close(loss, value, f"{name} with all scores equal (it should be {expected})")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_numerical_gradient(student, rng, name):
    """dx against the numerical gradient of the same function's loss."""
    x = 0.5 * rng.standard_normal((8, 5))
    y = rng.integers(0, 5, size=8)
    loss_fn = student.function(MOD, name)
    _, dx = call_loss(student, name, x, y)
    num_dx = numerical_gradient(lambda x_: loss_fn(x_, y)[0], x, name=f"the loss of {name}")
    with case(f"{name} vs the numerical gradient of its own loss"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_softmax_loss_is_stable(student, rng):
    """Adding a constant to a row of scores changes none of its probabilities: rows shifted by
    constants between -3000 and 3000 (apart from each other) give the loss and dx of the
    unshifted scores."""
    x = rng.standard_normal((12, 6))
    y = rng.integers(0, 6, size=12)
    loss, dx = call_loss(student, "softmax_loss", x, y)
    shifted = x + np.linspace(-3000, 3000, 12)[:, None]
    loss_shifted, dx_shifted = call_loss(student, "softmax_loss", shifted, y)
    with case("softmax_loss with each row's scores shifted by a different constant in the thousands "
              "(subtract each row's own maximum before exp)"):
        assert_scalar_close(loss_shifted, loss, "loss", tol=1e-8)
        assert_close(dx_shifted, dx, "dx", tol=1e-6)


# ------------------------------------------------------------------ public: sandwich

def own_layers(compute):
    """compute() from the student's own layers, or None where they raise or return malformed
    values (the sandwich is then held to the documented formula alone)."""
    try:
        return compute()
    except (StudentCodeError, CheckFailed):
        return None


def assert_close_to_either(got, correct, own, names, what):
    """Each of `got` must match the `correct` values or, all of them together, `own` (what the
    student's own layers give: their mistakes are charged in their own tests, not here)."""
    if own is not None:
        try:
            for name, value, want in zip(names, got, own):
                assert_close(value, want, name, 1e-10)
            return
        except CheckFailed:
            pass
    with case(what):
        for name, value, want in zip(names, got, correct):
            assert_close(value, want, name)


@pytest.mark.public
@pytest.mark.points(1)
def test_affine_relu_forward_is_affine_then_relu(student, rng):
    """affine_relu_forward against max(0, x.reshape(N, -1) @ w + b), or against your own
    affine_forward followed by your own relu_forward."""
    x, w, b, _ = affine_problem(rng, 3, (2, 2), 5)
    out = forward_out(student, UTILS, "affine_relu_forward", x, w, b)
    own = own_layers(lambda: forward_out(student, MOD, "relu_forward",
                                         forward_out(student, MOD, "affine_forward", x, w, b)))
    assert_close_to_either([out], [np.maximum(0, affine(x, w, b))], None if own is None else [own], ["out"],
                           "affine_relu_forward against max(0, x.reshape(N, -1) @ w + b)")


@pytest.mark.public
@pytest.mark.points(1)
def test_affine_relu_backward_is_relu_then_affine_backward(student, rng):
    """affine_relu_backward on the documented cache ((x, w, b), the affine output a) against the
    gradients of max(0, a), or against your own relu_backward followed by your own affine_backward."""
    x, w, b, dout = affine_problem(rng, 3, (2, 2), 5)
    a = affine(x, w, b)
    got = unpack(student.function(UTILS, "affine_relu_backward")(dout, ((x, w, b), a)), ["dx", "dw", "db"],
                 "affine_relu_backward")
    da = dout * (a > 0)
    correct = [(da @ w.T).reshape(x.shape), x.reshape(3, -1).T @ da, da.sum(axis=0)]
    own = own_layers(lambda: unpack(student.function(MOD, "affine_backward")(
        student.function(MOD, "relu_backward")(dout, a), (x, w, b)), ["dx", "dw", "db"], "affine_backward"))
    assert_close_to_either(got, correct, own, ["dx", "dw", "db"],
                           "affine_relu_backward against the gradients of max(0, x.reshape(N, -1) @ w + b)")


# ------------------------------------------------------------------ hidden: affine and relu

@pytest.mark.points(1)
def test_affine_forward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, _ = affine_problem(rng, n, shape, m)
        with case(f"affine_forward with x of shape {x.shape}"):
            compare(student, reference, MOD, "affine_forward", x, w, b, returns=("out", "cache"), skip=("cache",))


@pytest.mark.points(2)
def test_affine_backward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, dout = affine_problem(rng, n, shape, m)
        with case(f"affine_backward with x of shape {x.shape}"):
            compare(student, reference, MOD, "affine_backward", dout, (x, w, b), returns=("dx", "dw", "db"))


@pytest.mark.points(1)
def test_relu_forward_matches_reference(student, reference, rng):
    for shape in [(1, 1), (5,), (4, 7), (2, 3, 4, 5)]:
        x = rng.standard_normal(shape)
        x[rng.random(shape) < 0.25] = 0.0
        with case(f"relu_forward with x of shape {shape}, some entries exactly 0"):
            compare(student, reference, MOD, "relu_forward", x, returns=("out", "cache"), skip=("cache",))


@pytest.mark.points(1)
def test_relu_backward_matches_reference(student, reference, rng):
    """Inputs away from 0: the gradient at exactly 0 is test_relu_backward_at_zero's business."""
    for shape in [(1, 1), (5,), (4, 7), (2, 3, 4, 5)]:
        x = without_zeros(rng, shape)
        with case(f"relu_backward with x of shape {shape}"):
            compare(student, reference, MOD, "relu_backward", rng.standard_normal(shape), x)


# ------------------------------------------------------------------ hidden: losses

def loss_cases(rng, name):
    yield from score_cases(rng)
    if name == "svm_loss":
        yield from large_score_cases(rng)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_value_matches_reference(student, reference, rng, name):
    for description, x, y in loss_cases(rng, name):
        with case(f"{name} on {description}"):
            compare(student, reference, MOD, name, x, y, returns=("loss", "dx"), skip=("dx",))


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_gradient_matches_reference(student, reference, rng, name):
    for description, x, y in loss_cases(rng, name):
        with case(f"{name} on {description}"):
            compare(student, reference, MOD, name, x, y, returns=("loss", "dx"), skip=("loss",))


def number_or_none(value):
    """`value` as a float if it is one number (a Python or NumPy scalar, a one-element array), else None."""
    if isinstance(value, (int, float, np.generic, np.ndarray)) and np.size(value) == 1:
        return float(np.asarray(value, dtype=float).reshape(()))
    return None


UNDERFLOW_HINT = ("compute log-probabilities as shifted - log(sum(exp(shifted))) instead of taking the log "
                  "of a probability")


@pytest.mark.points(1)
def test_softmax_loss_of_a_very_unlikely_label(student, reference, rng):
    """Each row's label scores 800 below its other classes (scores otherwise of order 1).

    Shifted or not, the label's probability (about e^-800) underflows to 0,
    so log(probability) is -inf (or, clipped, far off); the log-probability
    itself, about -800, is an ordinary number. Only the loss is checked.
    """
    x = rng.standard_normal((7, 5))
    y = rng.integers(0, 5, size=7)
    x[np.arange(7), y] -= 800.0
    loss, _ = call_loss(student, "softmax_loss", x, y)
    expected, _ = reference.function(MOD, "softmax_loss")(x, y)
    description = "softmax_loss with each label's probability about e^-800"
    value = number_or_none(loss)
    if value is not None and np.isinf(value):
        raise CheckFailed(f"{description}: the loss is {value}: the label's probability underflowed to 0 "
                          f"and its log was taken; {UNDERFLOW_HINT}")
    try:
        assert_scalar_close(loss, expected, "loss")
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc} (was the probability clipped before the log? "
                          f"{UNDERFLOW_HINT})") from None
