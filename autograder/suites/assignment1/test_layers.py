"""Layers (cs231n/layers.py) and the affine-ReLU sandwich (cs231n/layer_utils.py).

Students write the forward and backward pass of the affine and ReLU layers,
the SVM and softmax losses on scores, and the sandwich that chains affine and
ReLU. Backward passes are tested on caches built here in the documented form
((x, w, b) for affine, x for ReLU, (fc_cache, relu_cache) for the sandwich),
so a wrong forward pass does not also cost the backward tests.

Public tests check hand-computed values and numerical gradients of the
student's own forward passes; hidden tests compare with the reference on
inputs of several shapes (N = 1, examples with more than one dimension,
exact zeros for ReLU, very large scores for the losses).
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_scalar_close, case,
                                numerical_gradient, unpack)

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


# Shapes (N, example shape, M) for the affine layer and the sandwich. N, D and
# M differ from each other so that a transposed or misplaced axis shows.
AFFINE_SHAPES = [
    (1, (5,), 3),
    (4, (7,), 2),
    (6, (3, 4), 5),
    (2, (2, 3, 5), 7),
    (3, (4, 2, 2, 3), 1),
    (30, (3, 8, 8), 10),
]


def with_zeros(rng, shape):
    """Standard normal values with about a quarter of the entries exactly 0."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


def score_cases(rng):
    """(description, x, y) for the loss layers."""
    yield "one example, two classes", rng.standard_normal((1, 2)), np.array([1])
    yield "one example, ten classes", rng.standard_normal((1, 10)), rng.integers(0, 10, size=1)
    yield "7 examples, 3 classes", rng.standard_normal((7, 3)), rng.integers(0, 3, size=7)
    yield "50 examples, 10 classes", 2 * rng.standard_normal((50, 10)), rng.integers(0, 10, size=50)
    yield "labels all of the last class", rng.standard_normal((12, 5)), np.full(12, 4)
    yield "labels all of class 0", rng.standard_normal((9, 4)), np.zeros(9, dtype=np.int64)


def large_score_cases(rng):
    """Scores in the thousands, with rows far apart from each other."""
    offsets = rng.uniform(-3000, 3000, size=(20, 1))
    yield "large scores", offsets + 40 * rng.standard_normal((20, 10)), rng.integers(0, 10, size=20)
    yield "large negative scores", -2000 + 10 * rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    one_hot = np.full((5, 3), -1e4)
    one_hot[np.arange(5), [0, 1, 2, 1, 0]] = 1e4
    yield "scores that make the softmax one-hot", one_hot, np.array([0, 2, 2, 1, 1])


def call_loss(student, name, x, y):
    """Call a loss layer; check the result's form and return (loss, dx)."""
    loss, dx = unpack(student.function(MOD, name)(x, y), ["loss", "dx"], name)
    assert_array(dx, f"dx from {name}", x.shape)
    return loss, dx


def check_numerical_gradient(forward, x, dout, name):
    """The analytic gradient must match the numerical one of sum(forward(x) * dout)."""
    def f(x_):
        out = forward(x_)
        assert_array(out, f"the output of {name}", dout.shape)
        return float(np.sum(out * dout))
    return numerical_gradient(f, x)


# ------------------------------------------------------------------ public

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
    out, _ = unpack(student.function(MOD, "affine_forward")(x, w, b), ["out", "cache"], "affine_forward")
    assert_close(out, expected, "out from affine_forward on x of shape (2, 2, 2)")


@pytest.mark.public
@pytest.mark.points(1)
def test_affine_backward_numerical_gradient(student, rng):
    forward = student.function(MOD, "affine_forward")
    backward = student.function(MOD, "affine_backward")
    x, w, b, dout = affine_problem(rng, 3, (2, 3), 4)
    dx, dw, db = unpack(backward(dout, (x, w, b)), ["dx", "dw", "db"], "affine_backward")
    num_dx = check_numerical_gradient(lambda x_: forward(x_, w, b)[0], x, dout, "affine_forward")
    num_dw = check_numerical_gradient(lambda w_: forward(x, w_, b)[0], w, dout, "affine_forward")
    num_db = check_numerical_gradient(lambda b_: forward(x, w, b_)[0], b, dout, "affine_forward")
    with case("affine_backward vs the numerical gradient of your affine_forward, x of shape (3, 2, 3)"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)
        assert_close(dw, num_dw, "dw", GRAD_TOL)
        assert_close(db, num_db, "db", GRAD_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_relu_small_case(student):
    x = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, _ = unpack(student.function(MOD, "relu_forward")(x), ["out", "cache"], "relu_forward")
    assert_close(out, np.array([[0.0, 0.0, 0.0], [0.25, 1.0, 3.0]]), "out from relu_forward")
    dx = student.function(MOD, "relu_backward")(dout, x)
    # At x == 0 the unit counts as off: no gradient flows.
    assert_close(dx, np.array([[0.0, 0.0, 0.0], [4.0, 5.0, 6.0]]), "dx from relu_backward")


@pytest.mark.public
@pytest.mark.points(1)
def test_relu_backward_numerical_gradient(student, rng):
    x = rng.standard_normal((4, 3, 5))
    x[np.abs(x) < 0.01] = 0.5  # keep away from the kink, where the numerical gradient is off
    dout = rng.standard_normal(x.shape)
    dx = student.function(MOD, "relu_backward")(dout, x)
    forward = student.function(MOD, "relu_forward")
    num_dx = check_numerical_gradient(lambda x_: forward(x_)[0], x, dout, "relu_forward")
    with case("relu_backward vs the numerical gradient of your relu_forward"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name, expected", [("svm_loss", "C - 1"), ("softmax_loss", "log(C)")])
def test_loss_with_equal_scores(student, rng, name, expected):
    """With all scores equal every margin is 1 and every class has probability 1/C."""
    n, c = 6, 4
    x = np.full((n, c), 0.3)
    y = rng.integers(0, c, size=n)
    loss, dx = call_loss(student, name, x, y)
    value = c - 1.0 if name == "svm_loss" else np.log(c)
    assert_scalar_close(loss, value, f"{name} with all scores equal (it should be {expected})")
    # Every wrong class pulls with the same weight; the correct one pushes back.
    wrong = 1.0 if name == "svm_loss" else 1.0 / c
    expected_dx = np.full((n, c), wrong / n)
    expected_dx[np.arange(n), y] = -(c - 1) * wrong / n
    assert_close(dx, expected_dx, f"dx from {name} with all scores equal")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_numerical_gradient(student, rng, name):
    x = 0.5 * rng.standard_normal((8, 5))
    y = rng.integers(0, 5, size=8)
    loss_fn = student.function(MOD, name)
    _, dx = call_loss(student, name, x, y)
    num_dx = numerical_gradient(lambda x_: float(loss_fn(x_, y)[0]), x)
    with case(f"{name} vs its numerical gradient"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_affine_relu_numerical_gradient(student, rng):
    forward = student.function(UTILS, "affine_relu_forward")
    x, w, b, dout = affine_problem(rng, 3, (2, 2), 5)
    out, cache = unpack(forward(x, w, b), ["out", "cache"], "affine_relu_forward")
    assert_close(out, np.maximum(0, x.reshape(3, 4) @ w + b), "out from affine_relu_forward")
    dx, dw, db = unpack(student.function(UTILS, "affine_relu_backward")(dout, cache), ["dx", "dw", "db"],
                        "affine_relu_backward")
    num_dx = check_numerical_gradient(lambda x_: forward(x_, w, b)[0], x, dout, "affine_relu_forward")
    num_dw = check_numerical_gradient(lambda w_: forward(x, w_, b)[0], w, dout, "affine_relu_forward")
    num_db = check_numerical_gradient(lambda b_: forward(x, w, b_)[0], b, dout, "affine_relu_forward")
    with case("affine_relu_backward vs the numerical gradient of your affine_relu_forward"):
        assert_close(dx, num_dx, "dx", GRAD_TOL)
        assert_close(dw, num_dw, "dw", GRAD_TOL)
        assert_close(db, num_db, "db", GRAD_TOL)


# ------------------------------------------------------------------ hidden: affine

@pytest.mark.points(1)
def test_affine_forward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, _ = affine_problem(rng, n, shape, m)
        out, _ = unpack(student.function(MOD, "affine_forward")(x, w, b), ["out", "cache"], "affine_forward")
        ref_out, _ = reference.function(MOD, "affine_forward")(x, w, b)
        with case(f"affine_forward with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(2)
def test_affine_backward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, dout = affine_problem(rng, n, shape, m)
        got = unpack(student.function(MOD, "affine_backward")(dout, (x, w, b)), ["dx", "dw", "db"],
                     "affine_backward")
        expected = reference.function(MOD, "affine_backward")(dout, (x, w, b))
        with case(f"affine_backward with x of shape {x.shape}"):
            for name, value, ref_value in zip(["dx", "dw", "db"], got, expected):
                assert_close(value, ref_value, name)


# ------------------------------------------------------------------ hidden: relu

@pytest.mark.points(1)
def test_relu_forward_matches_reference(student, reference, rng):
    for shape in [(1, 1), (5,), (4, 7), (2, 3, 4, 5)]:
        x = with_zeros(rng, shape)
        out, _ = unpack(student.function(MOD, "relu_forward")(x), ["out", "cache"], "relu_forward")
        ref_out, _ = reference.function(MOD, "relu_forward")(x)
        with case(f"relu_forward with x of shape {shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_relu_backward_matches_reference(student, reference, rng):
    """Includes inputs that are exactly 0, where the gradient is 0."""
    for shape in [(1, 1), (5,), (4, 7), (2, 3, 4, 5)]:
        x = with_zeros(rng, shape)
        dout = rng.standard_normal(shape)
        dx = student.function(MOD, "relu_backward")(dout, x)
        ref_dx = reference.function(MOD, "relu_backward")(dout, x)
        with case(f"relu_backward with x of shape {shape}, some entries exactly 0"):
            assert_close(dx, ref_dx, "dx")


# ------------------------------------------------------------------ hidden: losses

@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_matches_reference(student, reference, rng, name):
    for description, x, y in score_cases(rng):
        loss, dx = call_loss(student, name, x, y)
        ref_loss, ref_dx = reference.function(MOD, name)(x, y)
        with case(f"{name} on {description}"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(dx, ref_dx, "dx")


@pytest.mark.points(1)
def test_svm_loss_large_scores(student, reference, rng):
    for description, x, y in large_score_cases(rng):
        loss, dx = call_loss(student, "svm_loss", x, y)
        ref_loss, ref_dx = reference.function(MOD, "svm_loss")(x, y)
        with case(f"svm_loss on {description}"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(dx, ref_dx, "dx")


@pytest.mark.points(2)
def test_softmax_loss_is_numerically_stable(student, reference, rng):
    """exp() of scores in the thousands overflows unless each row's maximum is subtracted first."""
    for description, x, y in large_score_cases(rng):
        loss, dx = call_loss(student, "softmax_loss", x, y)
        ref_loss, ref_dx = reference.function(MOD, "softmax_loss")(x, y)
        with case(f"softmax_loss on {description} (subtract each row's maximum before exp)"):
            assert_scalar_close(loss, ref_loss, "loss")
            assert_close(dx, ref_dx, "dx")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_loss_gradient_matches_numerical_gradient(student, reference, rng, name):
    """The gradient against a numerical gradient of the reference loss, on several shapes."""
    ref_loss = reference.function(MOD, name)
    for n, c in [(1, 3), (6, 2), (10, 7)]:
        x = rng.standard_normal((n, c))
        y = rng.integers(0, c, size=n)
        _, dx = call_loss(student, name, x, y)
        num_dx = numerical_gradient(lambda x_: float(ref_loss(x_, y)[0]), x)
        with case(f"{name} on {n} examples with {c} classes"):
            assert_close(dx, num_dx, "dx (against a numerical gradient)", GRAD_TOL)


# ------------------------------------------------------------------ hidden: sandwich

@pytest.mark.points(1)
def test_affine_relu_forward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, _ = affine_problem(rng, n, shape, m)
        out, _ = unpack(student.function(UTILS, "affine_relu_forward")(x, w, b), ["out", "cache"],
                        "affine_relu_forward")
        ref_out, _ = reference.function(UTILS, "affine_relu_forward")(x, w, b)
        with case(f"affine_relu_forward with x of shape {x.shape}"):
            assert_close(out, ref_out, "out")


@pytest.mark.points(1)
def test_affine_relu_backward_matches_reference(student, reference, rng):
    for n, shape, m in AFFINE_SHAPES:
        x, w, b, dout = affine_problem(rng, n, shape, m)
        # The documented cache: ((x, w, b), the affine output).
        cache = ((x, w, b), x.reshape(n, -1) @ w + b)
        got = unpack(student.function(UTILS, "affine_relu_backward")(dout, cache), ["dx", "dw", "db"],
                     "affine_relu_backward")
        expected = reference.function(UTILS, "affine_relu_backward")(dout, cache)
        with case(f"affine_relu_backward with x of shape {x.shape}"):
            for name, value, ref_value in zip(["dx", "dw", "db"], got, expected):
                assert_close(value, ref_value, name)
