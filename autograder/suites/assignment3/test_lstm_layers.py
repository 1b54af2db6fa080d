"""LSTM layers (cs231n/rnn_layers.py): lstm_step_forward/backward, lstm_forward/backward.

The gate pre-activations a = x Wx + prev_h Wh + b are cut into blocks of H
columns in the order i, f, o, g (input, forget, output gates, candidate);
the initial cell state of lstm_forward is zero.

The caches are the student's choice, so every backward test takes the cache
from the student's own forward pass, and counts only where that forward pass
gives the right output. lstm_forward and lstm_backward must give the correct
values or what the student's own step functions give chained over the time
steps, so a mistake in a step function is charged by the step's tests only.

Public tests check the documented formulas (written out in the tests) and
numerical gradients of them. Hidden tests compare with the reference over
several shapes, T = 1, N = 1, H = 1, and inputs large enough to saturate the
gates.
"""
import numpy as np
import pytest

from autograder.testkit import (agrees, assert_array, assert_close, assert_matches_numerical, assert_one_of,
                                case, matches_numerical, numerical_gradient, own, unpack)

MOD = "cs231n.rnn_layers"


def own_step_backward_is_wrong(student, rng):
    """Whether your lstm_step_backward runs and gives other values than the numerical gradient of
    the step, on a small case where your lstm_step_forward is right (False when it cannot tell)."""
    x, h0, c0, Wx, Wh, b = lstm_problem(rng, 3, 1, 4, 3)
    args = [x[:, 0], h0, c0, Wx, Wh, b]
    dnext_h, dnext_c = rng.standard_normal(h0.shape), rng.standard_normal(h0.shape)

    def compute():
        next_h, next_c, cache = step_forward(student, *args)
        if not agrees((next_h, next_c), lstm_step_by_formula(*args)):
            return False
        grads = step_backward(student, dnext_h, dnext_c, cache, [a.shape for a in args])
        for index, got in enumerate(grads):
            def f(value, index=index):
                h, c = lstm_step_by_formula(*[value if i == index else a for i, a in enumerate(args)])
                return float(np.sum(h * dnext_h) + np.sum(c * dnext_c))
            if not matches_numerical(got, numerical_gradient(f, args[index])):
                return True
        return False
    return own(compute) is True


def logistic(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def lstm_step_by_formula(x, prev_h, prev_c, Wx, Wh, b):
    """The documented step written out: (next_h, next_c), gates in the order i, f, o, g."""
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = np.split(a, 4, axis=1)
    next_c = logistic(f) * prev_c + logistic(i) * np.tanh(g)
    return logistic(o) * np.tanh(next_c), next_c


def lstm_by_formula(x, h0, Wx, Wh, b):
    """The documented LSTM written out: h (N, T, H) without h0, from c = 0."""
    states, h, c = [], h0, np.zeros_like(h0)
    for t in range(x.shape[1]):
        h, c = lstm_step_by_formula(x[:, t], h, c, Wx, Wh, b)
        states.append(h)
    return np.stack(states, axis=1)


def lstm_problem(rng, N, T, D, H, scale=1.0):
    """(x, h0, c0, Wx, Wh, b) of these sizes; lstm_forward ignores c0."""
    x = scale * rng.standard_normal((N, T, D))
    h0 = scale * rng.standard_normal((N, H))
    c0 = scale * rng.standard_normal((N, H))
    Wx = scale * rng.standard_normal((D, 4 * H)) / np.sqrt(D)
    Wh = scale * rng.standard_normal((H, 4 * H)) / np.sqrt(H)
    b = scale * rng.standard_normal(4 * H)
    return x, h0, c0, Wx, Wh, b


STEP_GRADS = ["dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"]
SEQUENCE_GRADS = ["dx", "dh0", "dWx", "dWh", "db"]


def step_forward(code, x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c, cache = unpack(code.function(MOD, "lstm_step_forward")(x, prev_h, prev_c, Wx, Wh, b),
                                   ["next_h", "next_c", "cache"], "lstm_step_forward")
    where = f"from lstm_step_forward with x of shape {x.shape} and prev_h of shape {prev_h.shape}"
    assert_array(next_h, f"next_h {where}", prev_h.shape)
    assert_array(next_c, f"next_c {where}", prev_h.shape)
    return next_h, next_c, cache


def step_backward(code, dnext_h, dnext_c, cache, shapes):
    grads = unpack(code.function(MOD, "lstm_step_backward")(dnext_h, dnext_c, cache), STEP_GRADS,
                   "lstm_step_backward")
    for name, value, shape in zip(STEP_GRADS, grads, shapes):
        assert_array(value, f"{name} from lstm_step_backward", shape)
    return grads


def sequence_forward(code, x, h0, Wx, Wh, b):
    h, cache = unpack(code.function(MOD, "lstm_forward")(x, h0, Wx, Wh, b), ["h", "cache"], "lstm_forward")
    assert_array(h, f"h from lstm_forward with x of shape {x.shape} and h0 of shape {h0.shape}",
                 (x.shape[0], x.shape[1], h0.shape[1]))
    return h, cache


def sequence_backward(code, dh, cache, shapes):
    grads = unpack(code.function(MOD, "lstm_backward")(dh, cache), SEQUENCE_GRADS, "lstm_backward")
    for name, value, shape in zip(SEQUENCE_GRADS, grads, shapes):
        assert_array(value, f"{name} from lstm_backward", shape)
    return grads


def own_chained_forward(student, x, h0, Wx, Wh, b):
    """h of your lstm_step_forward chained over the time steps from c = 0 (None where it does not run)."""
    def compute():
        h, c, states = h0, np.zeros_like(h0), []
        for t in range(x.shape[1]):
            h, c, _ = step_forward(student, x[:, t], h, c, Wx, Wh, b)
            states.append(np.asarray(h, dtype=np.float64))
        return np.stack(states, axis=1)
    return own(compute)


def own_chained_backward(student, x, h0, Wx, Wh, b, dh):
    """(dx, dh0, dWx, dWh, db) of your lstm_step_backward chained backwards over the caches of your
    lstm_step_forward (None where they do not run)."""
    def compute():
        T = x.shape[1]
        caches, h, c = [], h0, np.zeros_like(h0)
        for t in range(T):
            h, c, cache = step_forward(student, x[:, t], h, c, Wx, Wh, b)
            caches.append(cache)
        dx = np.zeros(x.shape)
        dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)
        dh_carry, dc_carry = np.zeros(h0.shape), np.zeros(h0.shape)
        shapes = [x[:, 0].shape, h0.shape, h0.shape, Wx.shape, Wh.shape, b.shape]
        for t in reversed(range(T)):
            dx_t, dh_carry, dc_carry, dWx_t, dWh_t, db_t = step_backward(student, dh[:, t] + dh_carry, dc_carry,
                                                                         caches[t], shapes)
            dx[:, t] = dx_t
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, dh_carry, dWx, dWh, db
    return own(compute)


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_lstm_step_forward_formula(student, rng):
    """The step written out in this test, with the gates in the order i, f, o, g."""
    x, h0, c0, Wx, Wh, b = lstm_problem(rng, 3, 1, 4, 5)
    next_h, next_c, _ = step_forward(student, x[:, 0], h0, c0, Wx, Wh, b)
    expected_h, expected_c = lstm_step_by_formula(x[:, 0], h0, c0, Wx, Wh, b)
    with case("lstm_step_forward with N = 3, D = 4, H = 5"):
        assert_close(next_c, expected_c, "next_c")
        assert_close(next_h, expected_h, "next_h")


@pytest.mark.public
@pytest.mark.points(2)
def test_lstm_step_backward_numerical_gradient(student, rng):
    """Against numerical gradients of the documented step (written out here), upstream gradients on
    both next_h and next_c, with the cache of your lstm_step_forward, where that forward pass gives
    the documented output."""
    x, h0, c0, Wx, Wh, b = lstm_problem(rng, 4, 1, 5, 6)
    args = [x[:, 0], h0, c0, Wx, Wh, b]
    next_h, next_c, cache = step_forward(student, *args)
    dnext_h, dnext_c = rng.standard_normal(h0.shape), rng.standard_normal(h0.shape)
    grads = step_backward(student, dnext_h, dnext_c, cache, [a.shape for a in args])  # it must run either way
    if not agrees((next_h, next_c), lstm_step_by_formula(*args)):
        return
    with case("lstm_step_backward vs the numerical gradient of the step, N = 4, D = 5, H = 6"):
        for index, (name, got) in enumerate(zip(STEP_GRADS, grads)):
            def f(value, index=index):
                h, c = lstm_step_by_formula(*[value if i == index else a for i, a in enumerate(args)])
                return float(np.sum(h * dnext_h) + np.sum(c * dnext_c))
            assert_matches_numerical(got, numerical_gradient(f, args[index]), name)


@pytest.mark.public
@pytest.mark.points(1)
def test_lstm_forward_formula(student, rng):
    """h[:, t] is the step's output after reading x[:, t], starting from h0 and a zero cell state; or
    what your lstm_step_forward gives chained over the steps."""
    x, h0, _, Wx, Wh, b = lstm_problem(rng, 2, 3, 4, 5)
    h, _ = sequence_forward(student, x, h0, Wx, Wh, b)
    with case("lstm_forward with N = 2, T = 3, D = 4, H = 5"):
        assert_one_of(h, [lstm_by_formula(x, h0, Wx, Wh, b), own_chained_forward(student, x, h0, Wx, Wh, b)], "h")


@pytest.mark.public
@pytest.mark.points(2)
def test_lstm_backward_numerical_gradient(student, rng):
    """Against numerical gradients of the documented LSTM (written out here), with the cache of your
    lstm_forward, where that forward pass gives the documented output, and where your
    lstm_step_backward passes its own numerical check."""
    x, h0, _, Wx, Wh, b = lstm_problem(rng, 2, 5, 3, 4)
    args = [x, h0, Wx, Wh, b]
    h, cache = sequence_forward(student, *args)
    dh = rng.standard_normal(h.shape)
    grads = sequence_backward(student, dh, cache, [a.shape for a in args])
    if not agrees(h, lstm_by_formula(*args)):
        return
    if own_step_backward_is_wrong(student, rng):
        return  # lstm_backward is usually built on it: lstm_step_backward's own tests judge it
    with case("lstm_backward vs the numerical gradient of the LSTM, N = 2, T = 5, D = 3, H = 4"):
        for index, (name, got) in enumerate(zip(SEQUENCE_GRADS, grads)):
            def f(value, index=index):
                return float(np.sum(lstm_by_formula(*[value if i == index else a for i, a in enumerate(args)]) * dh))
            assert_matches_numerical(got, numerical_gradient(f, args[index]), name)


# ------------------------------------------------------------------ hidden: against the reference

# (N, T, D, H): N = 1, T = 1, H = 1, D = 1, and ordinary sizes.
SEQUENCE_CASES = [(1, 1, 3, 4), (3, 1, 2, 5), (1, 5, 4, 3), (4, 7, 6, 5), (2, 3, 1, 1), (5, 4, 8, 2)]


def lstm_cases(rng):
    """(description, x, h0, c0, Wx, Wh, b): every shape of SEQUENCE_CASES, and one with large inputs
    that saturate the gates."""
    for N, T, D, H in SEQUENCE_CASES:
        yield f"N = {N}, T = {T}, D = {D}, H = {H}", *lstm_problem(rng, N, T, D, H)
    yield "N = 3, T = 4, D = 5, H = 6 and large inputs", *lstm_problem(rng, 3, 4, 5, 6, scale=4.0)


@pytest.mark.points(2)
def test_lstm_step_forward_matches_reference(student, reference, rng):
    for description, x, h0, c0, Wx, Wh, b in lstm_cases(rng):
        args = [x[:, 0], h0, c0, Wx, Wh, b]
        next_h, next_c, _ = step_forward(student, *args)
        expected_h, expected_c, _ = reference.function(MOD, "lstm_step_forward")(*args)
        with case(f"lstm_step_forward with {description}"):
            assert_close(next_c, expected_c, "next_c")
            assert_close(next_h, expected_h, "next_h")


@pytest.mark.points(3)
def test_lstm_step_backward_matches_reference(student, reference, rng):
    """With the cache of your own lstm_step_forward, where it gives the right next_h and next_c."""
    for description, x, h0, c0, Wx, Wh, b in lstm_cases(rng):
        args = [x[:, 0], h0, c0, Wx, Wh, b]
        expected_h, expected_c, ref_cache = reference.function(MOD, "lstm_step_forward")(*args)
        dnext_h, dnext_c = rng.standard_normal(h0.shape), rng.standard_normal(h0.shape)
        next_h, next_c, cache = step_forward(student, *args)
        grads = step_backward(student, dnext_h, dnext_c, cache, [a.shape for a in args])
        if not agrees((next_h, next_c), (expected_h, expected_c)):
            continue
        expected = reference.function(MOD, "lstm_step_backward")(dnext_h, dnext_c, ref_cache)
        with case(f"lstm_step_backward with {description}"):
            for name, got, want in zip(STEP_GRADS, grads, expected):
                assert_close(got, want, name)


@pytest.mark.points(1)
def test_lstm_step_backward_cell_gradient_alone(student, reference, rng):
    """An upstream gradient on next_c only (dnext_h = 0): it must still reach every input."""
    x, h0, c0, Wx, Wh, b = lstm_problem(rng, 3, 1, 4, 5)
    args = [x[:, 0], h0, c0, Wx, Wh, b]
    expected_h, expected_c, ref_cache = reference.function(MOD, "lstm_step_forward")(*args)
    dnext_h, dnext_c = np.zeros(h0.shape), rng.standard_normal(h0.shape)
    next_h, next_c, cache = step_forward(student, *args)
    grads = step_backward(student, dnext_h, dnext_c, cache, [a.shape for a in args])
    if not agrees((next_h, next_c), (expected_h, expected_c)):
        return
    expected = reference.function(MOD, "lstm_step_backward")(dnext_h, dnext_c, ref_cache)
    with case("lstm_step_backward with a gradient on next_c only"):
        for name, got, want in zip(STEP_GRADS, grads, expected):
            assert_close(got, want, name)


@pytest.mark.points(3)
def test_lstm_forward_matches_reference(student, reference, rng):
    """The right h, or what your lstm_step_forward gives chained over the steps from c = 0."""
    for description, x, h0, _, Wx, Wh, b in lstm_cases(rng):
        h, _ = sequence_forward(student, x, h0, Wx, Wh, b)
        expected, _ = reference.function(MOD, "lstm_forward")(x, h0, Wx, Wh, b)
        with case(f"lstm_forward with {description}"):
            assert_one_of(h, [expected, own_chained_forward(student, x, h0, Wx, Wh, b)], "h")


@pytest.mark.points(4)
def test_lstm_backward_matches_reference(student, reference, rng):
    """With the cache of your own lstm_forward, where it gives the right h; the right gradients, or
    what your lstm_step_backward gives chained over the steps (the cell state's gradient carried
    from step t + 1 to step t as well as the hidden state's)."""
    for description, x, h0, _, Wx, Wh, b in lstm_cases(rng):
        args = [x, h0, Wx, Wh, b]
        expected_h, ref_cache = reference.function(MOD, "lstm_forward")(*args)
        dh = rng.standard_normal(expected_h.shape)
        h, cache = sequence_forward(student, *args)
        grads = sequence_backward(student, dh, cache, [a.shape for a in args])
        if not agrees(h, expected_h):
            continue
        expected = reference.function(MOD, "lstm_backward")(dh, ref_cache)
        with case(f"lstm_backward with {description}"):
            assert_one_of(tuple(grads), [tuple(expected), own_chained_backward(student, *args, dh)],
                          "(dx, dh0, dWx, dWh, db)")
