"""Update rules (cs231n/optim.py): sgd_momentum, rmsprop and adam.

Students write the step of each rule; the defaults and the bookkeeping of
config around it are given. Every rule has the contract
next_w, config = rule(w, dw, config), and keeps its state in config
(velocity; cache; m, v and t).

Public tests check first steps from zero state, which have simple closed
forms, and that the state is carried from one call to the next. Hidden
tests compare single steps and sequences of steps with the reference, on
parameters of several shapes, with given and default hyperparameters.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_close, assert_scalar_close, describe, unpack

MOD = "cs231n.optim"
STATE = {"sgd_momentum": ["velocity"], "rmsprop": ["cache"], "adam": ["m", "v"]}


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def step(code, rule, w, dw, config):
    """One call of the rule; checks the form of (next_w, config) and returns it."""
    next_w, next_config = unpack(code.function(MOD, rule)(w, dw, config), ["next_w", "config"], rule)
    assert_array(next_w, f"next_w from {rule}", w.shape)
    if not isinstance(next_config, dict):
        raise CheckFailed(f"the config returned by {rule} should be a dict; got {describe(next_config)}")
    for key in STATE[rule]:
        if key not in next_config:
            raise CheckFailed(f"the config returned by {rule} has no entry {key!r}; store the updated "
                              f"state in config[{key!r}] so the next call can use it")
        assert_array(next_config[key], f"config[{key!r}] from {rule}", w.shape)
    return next_w, next_config


# Parameter shapes: a vector, a matrix, a stack of conv filters, one number.
SHAPES = [(7,), (4, 5), (3, 2, 3, 3), (1,)]


def random_state(rng, rule, shape):
    """A config in the middle of training: hyperparameters and state away from the defaults."""
    if rule == "sgd_momentum":
        return {"learning_rate": 0.05, "momentum": 0.8, "velocity": 0.1 * rng.standard_normal(shape)}
    if rule == "rmsprop":
        return {"learning_rate": 3e-3, "decay_rate": 0.9, "epsilon": 1e-6, "cache": rng.uniform(0.01, 1, shape)}
    return {"learning_rate": 2e-3, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6,
            "m": 0.1 * rng.standard_normal(shape), "v": rng.uniform(0.01, 0.5, shape), "t": 7}


def gradient_of_many_sizes(rng, shape):
    """Entries from 1e-2 to 1e3 in size, of both signs, never near 0 (where epsilon would matter)."""
    sizes = 10.0 ** rng.integers(-2, 4, size=shape)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape) * sizes


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_sgd_momentum_first_step(student, rng):
    """From zero velocity the first step is plain sgd: v = -learning_rate * dw."""
    w, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    next_w, config = step(student, "sgd_momentum", w, dw, {"learning_rate": 0.1})
    assert_close(next_w, w - 0.1 * dw, "next_w from sgd_momentum's first step (velocity starts at zero)")
    assert_close(config["velocity"], -0.1 * dw, "config['velocity'] after the first step")


@pytest.mark.public
@pytest.mark.points(1)
def test_sgd_momentum_keeps_velocity(student, rng):
    """A constant gradient: the second step is (1 + momentum) times the first."""
    w, dw = rng.standard_normal(6), rng.standard_normal(6)
    w1, config = step(student, "sgd_momentum", w, dw, {"learning_rate": 0.1, "momentum": 0.5})
    w2, _ = step(student, "sgd_momentum", w1, dw, config)
    assert_close(w2 - w1, 1.5 * (w1 - w), "the second step of sgd_momentum with a constant gradient "
                 "(it should be (1 + momentum) times the first)")


@pytest.mark.public
@pytest.mark.points(1)
def test_rmsprop_first_step(student, rng):
    """From a zero cache: cache = (1 - decay_rate) * dw**2, so every step has size about
    learning_rate / sqrt(1 - decay_rate), whatever the size of dw."""
    w = rng.standard_normal((3, 5))
    dw = gradient_of_many_sizes(rng, (3, 5))
    next_w, config = step(student, "rmsprop", w, dw, {"learning_rate": 0.01, "decay_rate": 0.75})
    assert_close(config["cache"], 0.25 * dw ** 2, "config['cache'] after rmsprop's first step")
    assert_close(w - next_w, 0.02 * np.sign(dw), "w - next_w from rmsprop's first step "
                 "(it should be learning_rate * sign(dw) / sqrt(1 - decay_rate))", tol=1e-5)


@pytest.mark.public
@pytest.mark.points(1)
def test_adam_first_step(student, rng):
    """With bias correction the first step has size learning_rate in every coordinate."""
    w = rng.standard_normal((2, 6))
    dw = gradient_of_many_sizes(rng, (2, 6))
    next_w, config = step(student, "adam", w, dw, {"learning_rate": 0.01})
    if config.get("t") != 1:
        raise CheckFailed(f"config['t'] after adam's first step is {config.get('t')!r}; it should be 1 "
                          "(increment t before the bias correction)")
    assert_close(config["m"], 0.1 * dw, "config['m'] after adam's first step (default beta1 0.9)")
    assert_close(config["v"], 0.001 * dw ** 2, "config['v'] after adam's first step (default beta2 0.999)")
    assert_close(w - next_w, 0.01 * np.sign(dw), "w - next_w from adam's first step (bias-corrected, it "
                 "should be learning_rate * sign(dw))", tol=1e-5)


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("rule", ["sgd_momentum", "rmsprop", "adam"])
def test_step_matches_reference(student, reference, rng, rule):
    for shape in SHAPES:
        w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
        config = random_state(rng, rule, shape)
        next_w, next_config = step(student, rule, w, dw, dict(config))
        ref_w, ref_config = reference.function(MOD, rule)(w, dw, dict(config))
        with case(f"{rule} on w of shape {shape}, in the middle of training"):
            assert_close(next_w, ref_w, "next_w")
            for key in STATE[rule]:
                assert_close(next_config[key], ref_config[key], f"config[{key!r}]")


@pytest.mark.points(1)
@pytest.mark.parametrize("rule", ["sgd_momentum", "rmsprop", "adam"])
def test_steps_with_default_config(student, reference, rng, rule):
    """config=None: every hyperparameter at its default and the state starting at zero."""
    w = rng.standard_normal((5, 4))
    student_config = reference_config = None
    for number in range(1, 4):
        dw = rng.standard_normal((5, 4))
        student_w, student_config = step(student, rule, w, dw, student_config)
        ref_w, reference_config = reference.function(MOD, rule)(w, dw, reference_config)
        with case(f"{rule} called with config=None, then step {number} with the returned config"):
            assert_close(student_w, ref_w, "next_w")
        w = ref_w


@pytest.mark.points(2)
@pytest.mark.parametrize("rule", ["sgd_momentum", "rmsprop", "adam"])
def test_sequence_of_steps_matches_reference(student, reference, rng, rule):
    """Twenty steps, each fed the config the previous one returned."""
    w = rng.standard_normal((3, 4))
    student_w, ref_w = w.copy(), w.copy()
    config = random_state(rng, rule, w.shape)
    student_config, ref_config = dict(config), dict(config)
    for number in range(20):
        dw = np.sin(ref_w) + 0.1 * rng.standard_normal(w.shape)
        student_w, student_config = step(student, rule, ref_w, dw, student_config)
        ref_next, ref_config = reference.function(MOD, rule)(ref_w, dw, ref_config)
        with case(f"{rule}, step {number + 1} of a sequence, each with the config the last returned"):
            assert_close(student_w, ref_next, "next_w")
        ref_w = ref_next


@pytest.mark.points(1)
def test_adam_counts_steps(student, rng):
    """t goes up by one per call."""
    w = rng.standard_normal(5)
    config = {"learning_rate": 0.1, "t": 0}
    for number in range(1, 4):
        w, config = step(student, "adam", w, rng.standard_normal(5), config)
        if config.get("t") != number:
            raise CheckFailed(f"config['t'] after {number} calls of adam, starting from t = 0, is "
                              f"{config.get('t')!r}; it should be {number}")


@pytest.mark.points(1)
@pytest.mark.parametrize("rule", ["sgd_momentum", "rmsprop", "adam"])
def test_zero_gradient(student, reference, rng, rule):
    """dw = 0: momentum keeps moving, rmsprop and adam only decay their averages (no 0 / 0)."""
    w, dw = rng.standard_normal((4, 4)), np.zeros((4, 4))
    config = random_state(rng, rule, w.shape)
    if rule == "rmsprop":
        config["cache"] = np.zeros((4, 4))
    next_w, _ = step(student, rule, w, dw, dict(config))
    ref_w, _ = reference.function(MOD, rule)(w, dw, dict(config))
    with case(f"{rule} with a zero gradient"):
        assert_close(next_w, ref_w, "next_w")


@pytest.mark.points(1)
def test_rmsprop_uses_epsilon_outside_the_root(student, reference, rng):
    """A large epsilon shows whether it is added to sqrt(cache), as documented."""
    w, dw = rng.standard_normal(6), rng.standard_normal(6)
    config = {"learning_rate": 0.1, "epsilon": 0.5, "cache": rng.uniform(0.1, 1, 6)}
    next_w, _ = step(student, "rmsprop", w, dw, dict(config))
    ref_w, _ = reference.function(MOD, "rmsprop")(w, dw, dict(config))
    with case("rmsprop with epsilon 0.5"):
        assert_close(next_w, ref_w, "next_w (divide by sqrt(cache) + epsilon)")


@pytest.mark.points(1)
def test_adam_uses_epsilon_outside_the_root(student, reference, rng):
    w, dw = rng.standard_normal(6), rng.standard_normal(6)
    config = {"learning_rate": 0.1, "epsilon": 0.5, "m": rng.standard_normal(6), "v": rng.uniform(0.1, 1, 6), "t": 3}
    next_w, _ = step(student, "adam", w, dw, dict(config))
    ref_w, _ = reference.function(MOD, "adam")(w, dw, dict(config))
    with case("adam with epsilon 0.5"):
        assert_close(next_w, ref_w, "next_w (divide by sqrt(v_hat) + epsilon)")
