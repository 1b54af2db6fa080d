"""Update rules (cs231n/optim.py): sgd_momentum, rmsprop and adam.

Students write the step of each rule; the defaults and the bookkeeping of
config around it are given. Every rule has the contract
next_w, config = rule(w, dw, config), and keeps its state in config
(velocity; cache; m, v and t). Each test checks one thing:

* public: the first step from zero state, which has a simple closed form
  (for sgd_momentum also the second step with a constant gradient, which
  shows the velocity is kept);
* hidden, per rule, against the reference on parameters of several shapes in
  the middle of training: next_w in one test, the state stored in config in
  another (so a velocity kept with the other sign costs the state, not every
  test); adam's step counter t; where epsilon goes (a large epsilon, its own
  test; the other tests use epsilon 1e-8 against averages of at least 0.01,
  where inside or outside the square root makes no visible difference); and
  a zero gradient from zero state, where only epsilon keeps 0 / 0 away.
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, call_both, case, describe)

MOD = "cs231n.optim"
RULES = ["sgd_momentum", "rmsprop", "adam"]
STATE = {"sgd_momentum": ["velocity"], "rmsprop": ["cache"], "adam": ["m", "v"]}


def checked(result, rule, w):
    """(next_w, config) from one call of `rule`, its form checked."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{rule} should return the tuple (next_w, config); it returned {describe(result)}")
    next_w, config = result
    assert_array(next_w, f"next_w from {rule}", w.shape)
    if not isinstance(config, dict):
        raise CheckFailed(f"the config returned by {rule} should be a dict; got {describe(config)}")
    return next_w, config


def state(config, rule, key, shape):
    """config[key], checked to be there with the shape of w."""
    if key not in config:
        raise CheckFailed(f"the config returned by {rule} has no entry {key!r}; store the updated "
                          f"state in config[{key!r}] so the next call can use it")
    assert_array(config[key], f"config[{key!r}] from {rule}", shape)
    return config[key]


def agrees(got, expected):
    try:
        assert_close(got, expected, "value")
    except CheckFailed:
        return False
    return True


def step(code, rule, w, dw, config):
    return checked(code.function(MOD, rule)(w, dw, config), rule, w)


def step_both(student, reference, rule, w, dw, config):
    """((next_w, config) of the student, (next_w, config) of the reference), the same inputs."""
    got, expected = call_both(student, reference, MOD, rule, w, dw, config)
    return checked(got, rule, w), expected


# Parameter shapes: a vector, a matrix, a stack of conv filters, one number.
SHAPES = [(7,), (4, 5), (3, 2, 3, 3), (1,)]


def mid_training(rng, rule, shape):
    """A config in the middle of training: hyperparameters and state away from the defaults;
    averages of squares of at least 0.01, epsilon 1e-8 (where it makes no visible difference)."""
    if rule == "sgd_momentum":
        return {"learning_rate": 0.05, "momentum": 0.8, "velocity": 0.1 * rng.standard_normal(shape)}
    if rule == "rmsprop":
        return {"learning_rate": 3e-3, "decay_rate": 0.9, "epsilon": 1e-8, "cache": rng.uniform(0.01, 1, shape)}
    return {"learning_rate": 2e-3, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8,
            "m": 0.1 * rng.standard_normal(shape), "v": rng.uniform(0.01, 0.5, shape), "t": 7}


def gradient_of_many_sizes(rng, shape):
    """Entries from 0.5 to 2e3 in size, of both signs, never near 0 (where epsilon, and where it is
    added, would matter)."""
    sizes = 10.0 ** rng.integers(0, 4, size=shape)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape) * sizes


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_sgd_momentum_first_step(student, rng):
    """From zero velocity the first step is plain sgd: v = -learning_rate * dw."""
    w, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    next_w, config = step(student, "sgd_momentum", w, dw, {"learning_rate": 0.1})
    assert_close(next_w, w - 0.1 * dw, "next_w from sgd_momentum's first step (velocity starts at zero)")
    assert_close(state(config, "sgd_momentum", "velocity", w.shape), -0.1 * dw,
                 "config['velocity'] after the first step (v = momentum * v - learning_rate * dw)")


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
    assert_close(state(config, "rmsprop", "cache", w.shape), 0.25 * dw ** 2,
                 "config['cache'] after rmsprop's first step")
    assert_close(w - next_w, 0.02 * np.sign(dw), "w - next_w from rmsprop's first step "
                 "(it should be learning_rate * sign(dw) / sqrt(1 - decay_rate))", tol=1e-5)


@pytest.mark.public
@pytest.mark.points(1)
def test_adam_first_step(student, rng):
    """With bias correction the first step has size learning_rate in every coordinate."""
    w = rng.standard_normal((2, 6))
    dw = gradient_of_many_sizes(rng, (2, 6))
    next_w, config = step(student, "adam", w, dw, {"learning_rate": 0.01})
    assert_close(state(config, "adam", "m", w.shape), 0.1 * dw,
                 "config['m'] after adam's first step (default beta1 0.9)")
    assert_close(state(config, "adam", "v", w.shape), 0.001 * dw ** 2,
                 "config['v'] after adam's first step (default beta2 0.999)")
    assert_close(w - next_w, 0.01 * np.sign(dw), "w - next_w from adam's first step (bias-corrected, it "
                 "should be learning_rate * sign(dw); increment t before the bias correction)", tol=1e-5)


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("rule", RULES)
def test_step_matches_reference(student, reference, rng, rule):
    """next_w from one step in the middle of training."""
    for shape in SHAPES:
        w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
        (next_w, _), (ref_w, _) = step_both(student, reference, rule, w, dw, mid_training(rng, rule, shape))
        with case(f"{rule} on w of shape {shape}, in the middle of training"):
            assert_close(next_w, ref_w, "next_w")


@pytest.mark.points(1)
@pytest.mark.parametrize("rule", RULES)
def test_state_matches_reference(student, reference, rng, rule):
    """The state the rule stores in config for the next call, after one step in the middle of training."""
    for shape in SHAPES:
        w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
        (_, config), (_, ref_config) = step_both(student, reference, rule, w, dw, mid_training(rng, rule, shape))
        with case(f"the config returned by {rule} on w of shape {shape}, in the middle of training"):
            for key in STATE[rule]:
                assert_close(state(config, rule, key, shape), ref_config[key], f"config[{key!r}]")


@pytest.mark.points(1)
def test_adam_counts_steps(student, rng):
    """t goes up by one per call, and is stored in config."""
    w = rng.standard_normal(5)
    config = {"learning_rate": 0.1, "t": 0}
    for number in range(1, 4):
        w, config = step(student, "adam", w, rng.standard_normal(5), config)
        if config.get("t") != number:
            raise CheckFailed(f"config['t'] after {number} calls of adam, starting from t = 0, is "
                              f"{config.get('t')!r}; it should be {number}")


@pytest.mark.points(1)
@pytest.mark.parametrize("rule", ["rmsprop", "adam"])
def test_zero_gradient_from_zero_state(student, reference, rng, rule):
    """dw = 0 with zero averages: epsilon keeps the division finite, and w does not move. Checked where
    a step in the middle of training is right (a mistake there is the step test's business)."""
    w, dw = rng.standard_normal((4, 4)), np.zeros((4, 4))
    next_w, _ = step(student, rule, w, dw, {"learning_rate": 0.1})
    (mid_w, _), (ref_w, _) = step_both(student, reference, rule, w, rng.standard_normal((4, 4)),
                                       mid_training(rng, rule, (4, 4)))
    if not agrees(mid_w, ref_w):
        return
    with case(f"{rule} with a zero gradient from zero state (add epsilon to the denominator)"):
        assert_close(next_w, w, "next_w")


@pytest.mark.points(1)
@pytest.mark.parametrize("rule", ["rmsprop", "adam"])
def test_epsilon_outside_the_root(student, reference, rng, rule):
    """A large epsilon shows where it is added: to the square root, as documented. Checked where a
    step in the middle of training (epsilon 1e-8) is right."""
    w, dw = rng.standard_normal(6), rng.standard_normal(6)
    config = {"learning_rate": 0.1, "epsilon": 0.5}
    if rule == "rmsprop":
        config["cache"] = rng.uniform(0.1, 1, 6)
    else:
        config.update(m=rng.standard_normal(6), v=rng.uniform(0.1, 1, 6), t=3)
    (next_w, _), (ref_w, _) = step_both(student, reference, rule, w, dw, config)
    (mid_w, _), (ref_mid_w, _) = step_both(student, reference, rule, w, dw, mid_training(rng, rule, w.shape))
    if not agrees(mid_w, ref_mid_w):
        return  # the step is wrong with a small epsilon already: the step test counts that
    root = "sqrt(cache) + epsilon" if rule == "rmsprop" else "sqrt(v_hat) + epsilon"
    with case(f"{rule} with epsilon 0.5"):
        assert_close(next_w, ref_w, f"next_w (divide by {root})")
