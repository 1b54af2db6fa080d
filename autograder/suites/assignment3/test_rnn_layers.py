"""Vanilla RNN layers and word embeddings (cs231n/rnn_layers.py).

The caches are the student's choice, so every backward test takes the cache
from the student's own forward pass, and counts only where that forward pass
gives the right output (a wrong forward pass is its own tests' business).

rnn_forward and rnn_backward are usually built from rnn_step_forward and
rnn_step_backward: their values must be the correct ones or what the
student's own step functions give chained over the time steps, so a mistake
in a step function is charged by the step's tests only.

Public tests check the documented formulas (written out in the tests) and
numerical gradients of them. Hidden tests compare with the reference over
several shapes, T = 1, N = 1, H = 1, inputs large enough to saturate the
tanh, and word indices that repeat or never occur.
"""
import numpy as np
import pytest

from autograder.testkit import (agrees, assert_array, assert_close, assert_matches_numerical, assert_one_of,
                                case, matches_numerical, numerical_gradient, own, unpack)

MOD = "cs231n.rnn_layers"


def summed(forward, dout):
    """The scalar sum(forward(x) * dout), whose gradient a backward pass given dout returns."""
    return lambda value: float(np.sum(forward(value) * dout))


def own_step_backward_is_wrong(student, rng):
    """Whether your rnn_step_backward runs and gives other values than the numerical gradient of
    the step, on a small case where your rnn_step_forward is right (False when it cannot tell)."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 3, 1, 4, 5)
    args = [x[:, 0], h0, Wx, Wh, b]
    dnext_h = rng.standard_normal(h0.shape)

    def compute():
        next_h, cache = step_forward(student, *args)
        if not agrees(next_h, rnn_step_by_formula(*args)):
            return False
        grads = step_backward(student, dnext_h, cache, [a.shape for a in args])
        for index, got in enumerate(grads):
            def f(value, index=index):
                return rnn_step_by_formula(*[value if i == index else a for i, a in enumerate(args)])
            if not matches_numerical(got, numerical_gradient(summed(f, dnext_h), args[index])):
                return True
        return False
    return own(compute) is True


def rnn_step_by_formula(x, prev_h, Wx, Wh, b):
    """The documented step written out: tanh(x Wx + prev_h Wh + b)."""
    return np.tanh(x @ Wx + prev_h @ Wh + b)


def rnn_by_formula(x, h0, Wx, Wh, b):
    """The documented RNN written out: the step at every t, h (N, T, H) without h0."""
    states, h = [], h0
    for t in range(x.shape[1]):
        h = rnn_step_by_formula(x[:, t], h, Wx, Wh, b)
        states.append(h)
    return np.stack(states, axis=1)


def rnn_problem(rng, N, T, D, H, scale=1.0):
    x = scale * rng.standard_normal((N, T, D))
    h0 = scale * rng.standard_normal((N, H))
    Wx = scale * rng.standard_normal((D, H)) / np.sqrt(D)
    Wh = scale * rng.standard_normal((H, H)) / np.sqrt(H)
    b = scale * rng.standard_normal(H)
    return x, h0, Wx, Wh, b


def step_forward(code, x, prev_h, Wx, Wh, b):
    next_h, cache = unpack(code.function(MOD, "rnn_step_forward")(x, prev_h, Wx, Wh, b), ["next_h", "cache"],
                           "rnn_step_forward")
    assert_array(next_h, f"next_h from rnn_step_forward with x of shape {x.shape} and prev_h of shape "
                 f"{prev_h.shape}", prev_h.shape)
    return next_h, cache


def step_backward(code, dnext_h, cache, shapes):
    grads = unpack(code.function(MOD, "rnn_step_backward")(dnext_h, cache), STEP_GRADS, "rnn_step_backward")
    for name, value, shape in zip(STEP_GRADS, grads, shapes):
        assert_array(value, f"{name} from rnn_step_backward", shape)
    return grads


def sequence_forward(code, x, h0, Wx, Wh, b):
    h, cache = unpack(code.function(MOD, "rnn_forward")(x, h0, Wx, Wh, b), ["h", "cache"], "rnn_forward")
    assert_array(h, f"h from rnn_forward with x of shape {x.shape} and h0 of shape {h0.shape}",
                 (x.shape[0], x.shape[1], h0.shape[1]))
    return h, cache


def sequence_backward(code, dh, cache, shapes):
    grads = unpack(code.function(MOD, "rnn_backward")(dh, cache), SEQUENCE_GRADS, "rnn_backward")
    for name, value, shape in zip(SEQUENCE_GRADS, grads, shapes):
        assert_array(value, f"{name} from rnn_backward", shape)
    return grads


STEP_GRADS = ["dx", "dprev_h", "dWx", "dWh", "db"]
SEQUENCE_GRADS = ["dx", "dh0", "dWx", "dWh", "db"]


def own_chained_forward(student, x, h0, Wx, Wh, b):
    """h of your rnn_step_forward chained over the time steps (None where it does not run)."""
    def compute():
        h, states = h0, []
        for t in range(x.shape[1]):
            h, _ = step_forward(student, x[:, t], h, Wx, Wh, b)
            states.append(np.asarray(h, dtype=np.float64))
        return np.stack(states, axis=1)
    return own(compute)


def own_chained_backward(student, x, h0, Wx, Wh, b, dh):
    """(dx, dh0, dWx, dWh, db) of your rnn_step_backward chained backwards over the caches of your
    rnn_step_forward (None where they do not run)."""
    def compute():
        N, T, D = x.shape
        caches, h = [], h0
        for t in range(T):
            h, cache = step_forward(student, x[:, t], h, Wx, Wh, b)
            caches.append(cache)
        dx = np.zeros(x.shape)
        dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)
        carry = np.zeros(h0.shape)
        for t in reversed(range(T)):
            dx_t, carry, dWx_t, dWh_t, db_t = step_backward(student, dh[:, t] + carry, caches[t],
                                                            [x[:, t].shape, h0.shape, Wx.shape, Wh.shape, b.shape])
            dx[:, t] = dx_t
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, carry, dWx, dWh, db
    return own(compute)


# ------------------------------------------------------------------ public: one step

@pytest.mark.public
@pytest.mark.points(1)
def test_rnn_step_forward_formula(student, rng):
    """next_h = tanh(x Wx + prev_h Wh + b), written out in this test."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 3, 1, 10, 4)
    next_h, _ = step_forward(student, x[:, 0], h0, Wx, Wh, b)
    with case("rnn_step_forward with N = 3, D = 10, H = 4"):
        assert_close(next_h, rnn_step_by_formula(x[:, 0], h0, Wx, Wh, b), "next_h")


@pytest.mark.public
@pytest.mark.points(2)
def test_rnn_step_backward_numerical_gradient(student, rng):
    """Against numerical gradients of the documented step (written out here), with the cache of
    your rnn_step_forward, where that forward pass gives the documented output."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 4, 1, 5, 6)
    x = x[:, 0]
    next_h, cache = step_forward(student, x, h0, Wx, Wh, b)
    dnext_h = rng.standard_normal(next_h.shape)
    args = [x, h0, Wx, Wh, b]
    grads = step_backward(student, dnext_h, cache, [a.shape for a in args])  # it must run either way
    if not agrees(next_h, rnn_step_by_formula(*args)):
        return
    with case("rnn_step_backward vs the numerical gradient of the step, N = 4, D = 5, H = 6"):
        for index, (name, got) in enumerate(zip(STEP_GRADS, grads)):
            def f(value, index=index):
                return rnn_step_by_formula(*[value if i == index else a for i, a in enumerate(args)])
            assert_matches_numerical(got, numerical_gradient(summed(f, dnext_h), args[index]), name)


# ------------------------------------------------------------------ public: whole sequences

@pytest.mark.public
@pytest.mark.points(1)
def test_rnn_forward_formula(student, rng):
    """h[:, t] is the step's output after reading x[:, t], starting from h0 (not included in h); or
    what your rnn_step_forward gives chained over the steps."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 2, 3, 4, 5)
    h, _ = sequence_forward(student, x, h0, Wx, Wh, b)
    with case("rnn_forward with N = 2, T = 3, D = 4, H = 5"):
        assert_one_of(h, [rnn_by_formula(x, h0, Wx, Wh, b), own_chained_forward(student, x, h0, Wx, Wh, b)], "h")


@pytest.mark.public
@pytest.mark.points(2)
def test_rnn_backward_numerical_gradient(student, rng):
    """Against numerical gradients of the documented RNN (written out here), with the cache of your
    rnn_forward, where that forward pass gives the documented output, and where your
    rnn_step_backward passes its own numerical check."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 2, 6, 3, 5)
    h, cache = sequence_forward(student, x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    args = [x, h0, Wx, Wh, b]
    grads = sequence_backward(student, dh, cache, [a.shape for a in args])
    if not agrees(h, rnn_by_formula(*args)):
        return
    if own_step_backward_is_wrong(student, rng):
        return  # rnn_backward is usually built on it: rnn_step_backward's own tests judge it
    with case("rnn_backward vs the numerical gradient of the RNN, N = 2, T = 6, D = 3, H = 5"):
        for index, (name, got) in enumerate(zip(SEQUENCE_GRADS, grads)):
            def f(value, index=index):
                return rnn_by_formula(*[value if i == index else a for i, a in enumerate(args)])
            assert_matches_numerical(got, numerical_gradient(summed(f, dh), args[index]), name)


# ------------------------------------------------------------------ public: word embeddings

@pytest.mark.public
@pytest.mark.points(1)
def test_word_embedding_forward_rows(student, rng):
    """out[n, t] is row x[n, t] of W."""
    W = rng.standard_normal((5, 3))
    x = np.array([[0, 3, 1, 3], [4, 4, 2, 0]])
    out, _ = unpack(student.function(MOD, "word_embedding_forward")(x, W), ["out", "cache"],
                    "word_embedding_forward")
    with case("word_embedding_forward with x of shape (2, 4) and W of shape (5, 3)"):
        assert_close(out, np.stack([W[row] for row in x]), "out")


@pytest.mark.public
@pytest.mark.points(1)
def test_word_embedding_backward_repeated_words(student, rng):
    """A word used several times gets the sum of its gradients; an unused word gets zeros (with the
    cache of your word_embedding_forward, where it gives the right output)."""
    W = rng.standard_normal((5, 3))
    x = np.array([[0, 3, 1, 3], [3, 0, 1, 0]])  # words 2 and 4 never occur
    out, cache = unpack(student.function(MOD, "word_embedding_forward")(x, W), ["out", "cache"],
                        "word_embedding_forward")
    dout = rng.standard_normal((2, 4, 3))
    dW = student.function(MOD, "word_embedding_backward")(dout, cache)
    assert_array(dW, "dW from word_embedding_backward", W.shape)
    if not agrees(out, W[x]):
        return  # with the cache of a wrong forward pass; the forward pass's tests judge it
    expected = np.zeros_like(W)
    for n in range(2):
        for t in range(4):
            expected[x[n, t]] += dout[n, t]
    with case("word_embedding_backward with repeated words"):
        assert_close(dW, expected, "dW")


# ------------------------------------------------------------------ hidden: against the reference

# (N, T, D, H): N = 1, T = 1, H = 1, D = 1, and ordinary sizes.
SEQUENCE_CASES = [(1, 1, 3, 4), (3, 1, 2, 5), (1, 5, 4, 3), (4, 7, 6, 5), (2, 3, 1, 1), (5, 4, 8, 2)]


def rnn_cases(rng):
    """(description, x, h0, Wx, Wh, b): every shape of SEQUENCE_CASES, and one with large inputs
    that saturate the tanh."""
    for N, T, D, H in SEQUENCE_CASES:
        yield f"N = {N}, T = {T}, D = {D}, H = {H}", *rnn_problem(rng, N, T, D, H)
    yield "N = 3, T = 4, D = 5, H = 6 and large inputs", *rnn_problem(rng, 3, 4, 5, 6, scale=4.0)


@pytest.mark.points(2)
def test_rnn_step_forward_matches_reference(student, reference, rng):
    for description, x, h0, Wx, Wh, b in rnn_cases(rng):
        next_h, _ = step_forward(student, x[:, 0], h0, Wx, Wh, b)
        expected, _ = reference.function(MOD, "rnn_step_forward")(x[:, 0], h0, Wx, Wh, b)
        with case(f"rnn_step_forward with {description}"):
            assert_close(next_h, expected, "next_h")


@pytest.mark.points(3)
def test_rnn_step_backward_matches_reference(student, reference, rng):
    """With the cache of your own rnn_step_forward, where it gives the right next_h."""
    for description, x, h0, Wx, Wh, b in rnn_cases(rng):
        args = [x[:, 0], h0, Wx, Wh, b]
        expected_h, ref_cache = reference.function(MOD, "rnn_step_forward")(*args)
        dnext_h = rng.standard_normal(expected_h.shape)
        next_h, cache = step_forward(student, *args)
        grads = step_backward(student, dnext_h, cache, [a.shape for a in args])
        if not agrees(next_h, expected_h):
            continue
        expected = reference.function(MOD, "rnn_step_backward")(dnext_h, ref_cache)
        with case(f"rnn_step_backward with {description}"):
            for name, got, want in zip(STEP_GRADS, grads, expected):
                assert_close(got, want, name)


@pytest.mark.points(3)
def test_rnn_forward_matches_reference(student, reference, rng):
    """The right h, or what your rnn_step_forward gives chained over the steps."""
    for description, x, h0, Wx, Wh, b in rnn_cases(rng):
        h, _ = sequence_forward(student, x, h0, Wx, Wh, b)
        expected, _ = reference.function(MOD, "rnn_forward")(x, h0, Wx, Wh, b)
        with case(f"rnn_forward with {description}"):
            assert_one_of(h, [expected, own_chained_forward(student, x, h0, Wx, Wh, b)], "h")


@pytest.mark.points(4)
def test_rnn_backward_matches_reference(student, reference, rng):
    """With the cache of your own rnn_forward, where it gives the right h; the right gradients, or
    what your rnn_step_backward gives chained over the steps. dh[:, t] is only the gradient from
    outside: the gradient through the later steps is added inside rnn_backward."""
    for description, x, h0, Wx, Wh, b in rnn_cases(rng):
        args = [x, h0, Wx, Wh, b]
        expected_h, ref_cache = reference.function(MOD, "rnn_forward")(*args)
        dh = rng.standard_normal(expected_h.shape)
        h, cache = sequence_forward(student, *args)
        grads = sequence_backward(student, dh, cache, [a.shape for a in args])
        if not agrees(h, expected_h):
            continue
        expected = reference.function(MOD, "rnn_backward")(dh, ref_cache)
        with case(f"rnn_backward with {description}"):
            assert_one_of(tuple(grads), [tuple(expected), own_chained_backward(student, *args, dh)],
                          "(dx, dh0, dWx, dWh, db)")


@pytest.mark.points(1)
def test_rnn_backward_gradient_from_the_last_step_only(student, reference, rng):
    """Only the last hidden state receives a gradient from outside: it must still reach every step
    and h0 through the recurrence."""
    x, h0, Wx, Wh, b = rnn_problem(rng, 3, 5, 4, 6)
    expected_h, ref_cache = reference.function(MOD, "rnn_forward")(x, h0, Wx, Wh, b)
    dh = np.zeros(expected_h.shape)
    dh[:, -1] = rng.standard_normal(dh[:, -1].shape)
    h, cache = sequence_forward(student, x, h0, Wx, Wh, b)
    grads = sequence_backward(student, dh, cache, [a.shape for a in (x, h0, Wx, Wh, b)])
    if not agrees(h, expected_h):
        return
    expected = reference.function(MOD, "rnn_backward")(dh, ref_cache)
    with case("rnn_backward with a gradient on the last hidden state only, N = 3, T = 5"):
        assert_one_of(tuple(grads), [tuple(expected), own_chained_backward(student, x, h0, Wx, Wh, b, dh)],
                      "(dx, dh0, dWx, dWh, db)")


# (N, T, V, D): N = 1, T = 1, more positions than words (every word repeats), a large vocabulary.
EMBEDDING_CASES = [(1, 1, 4, 3), (3, 1, 5, 2), (1, 6, 3, 4), (6, 8, 4, 5), (2, 3, 50, 7)]


@pytest.mark.points(1)
def test_word_embedding_forward_matches_reference(student, reference, rng):
    for N, T, V, D in EMBEDDING_CASES:
        x = rng.integers(V, size=(N, T))
        W = rng.standard_normal((V, D))
        out, _ = unpack(student.function(MOD, "word_embedding_forward")(x, W), ["out", "cache"],
                        "word_embedding_forward")
        expected, _ = reference.function(MOD, "word_embedding_forward")(x, W)
        with case(f"word_embedding_forward with N = {N}, T = {T}, V = {V}, D = {D}"):
            assert_close(out, expected, "out")


@pytest.mark.points(2)
def test_word_embedding_backward_matches_reference(student, reference, rng):
    """With the cache of your own word_embedding_forward, where it gives the right output."""
    for N, T, V, D in EMBEDDING_CASES:
        x = rng.integers(V, size=(N, T))
        W = rng.standard_normal((V, D))
        expected_out, ref_cache = reference.function(MOD, "word_embedding_forward")(x, W)
        out, cache = unpack(student.function(MOD, "word_embedding_forward")(x, W), ["out", "cache"],
                            "word_embedding_forward")
        dout = rng.standard_normal((N, T, D))
        dW = student.function(MOD, "word_embedding_backward")(dout, cache)
        assert_array(dW, "dW from word_embedding_backward", W.shape)
        if not agrees(out, expected_out):
            continue
        expected = reference.function(MOD, "word_embedding_backward")(dout, ref_cache)
        with case(f"word_embedding_backward with N = {N}, T = {T}, V = {V}, D = {D}"):
            assert_close(dW, expected, "dW")
