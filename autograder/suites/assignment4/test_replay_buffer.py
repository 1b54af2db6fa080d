"""The circular replay buffer (cs231n/rl/replay_buffer.py).

Students write ReplayBuffer's storage, __len__, add and sample. Sampling
draws from the buffer's own generator, so the tests check what any correct
buffer must do rather than its exact draws: every sampled row is one stored
transition (all five fields from the same one), only the last `capacity`
transitions can appear, every one of them does appear in a large batch and
about equally often, shapes and dtypes are as documented. Transition k is
made recognizable: its observation is filled with k, its action, reward and
next observation derive from k. Cases: an empty buffer, one transition,
partly filled, exactly full, wrapped around once and several times, and
observations of several shapes. A hidden test reads the submitted source to
check that sample has no Python loop.
"""
import ast
import contextlib

import numpy as np
import pytest

from autograder.testkit import CheckFailed, StudentCodeError, assert_array, describe

MOD = "cs231n.rl.replay_buffer"
CLASS = "ReplayBuffer"
SOURCE = ("cs231n", "rl", "replay_buffer.py")
NUM_ACTIONS = 7


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


def transition(k, obs_shape):
    """Transition number k: every field is a function of k."""
    obs = np.full(obs_shape, float(k), dtype=np.float32)
    return obs, k % NUM_ACTIONS, float(k) * 0.5, obs + 1000.0, k % 3 == 0


def filled(code, capacity, obs_shape, count, seed=0):
    buffer = code.new(MOD, CLASS, capacity, obs_shape, seed=seed)
    for k in range(count):
        buffer.call("add", *transition(k, obs_shape))
    return buffer


def sample(buffer, batch_size, obs_shape):
    """buffer.sample(batch_size), checked for form; returns the five arrays."""
    result = buffer.call("sample", batch_size)
    if not isinstance(result, (tuple, list)) or len(result) != 5:
        raise CheckFailed("sample should return a tuple (obs, actions, rewards, next_obs, dones); "
                          f"it returned {describe(result)}")
    obs, actions, rewards, next_obs, dones = result
    for name, array, shape, kinds in [("obs", obs, (batch_size, *obs_shape), "f"),
                                      ("actions", actions, (batch_size,), "iu"),
                                      ("rewards", rewards, (batch_size,), "f"),
                                      ("next_obs", next_obs, (batch_size, *obs_shape), "f"),
                                      ("dones", dones, (batch_size,), "fb")]:
        assert_array(array, f"{name} from sample({batch_size})", shape)
        if array.dtype.kind not in kinds:
            raise CheckFailed(f"{name} from sample has dtype {array.dtype}; see the docstring for its dtype")
    return obs, actions, rewards, next_obs, dones


def sampled_indices(batch, obs_shape):
    """The transition number of every sampled row, after checking all fields agree on it."""
    obs, actions, rewards, next_obs, dones = batch
    flat = obs.reshape(len(obs), -1)
    k = flat[:, 0].astype(np.int64)
    consistent = (np.all(flat == k[:, None], axis=1)
                  & (actions == k % NUM_ACTIONS) & np.isclose(rewards, k * 0.5)
                  & np.all(next_obs.reshape(len(obs), -1) == k[:, None] + 1000.0, axis=1)
                  & ((dones.astype(np.float64) == 1.0) == (k % 3 == 0)))
    if not np.all(consistent):
        raise CheckFailed(f"{int(np.sum(~consistent))} of {len(obs)} sampled rows mix fields of different "
                          "stored transitions (or store them wrongly): row i of obs, actions, rewards, "
                          "next_obs and dones must all come from the same add()")
    return k


def check_held(k, added, capacity, what):
    """Sampled transition numbers k must be exactly the last min(added, capacity) ones, all of them."""
    held = np.arange(max(0, added - capacity), added)
    outside = ~np.isin(k, held)
    if np.any(outside):
        raise CheckFailed(f"{what}: sample returned transitions that are no longer (or never were) held: "
                          f"after {added} adds to a buffer of capacity {capacity} only the last "
                          f"{len(held)} may appear")
    missing = np.setdiff1d(held, k)
    if len(missing):
        raise CheckFailed(f"{what}: {len(missing)} of the {len(held)} transitions held never appeared in a "
                          "large sample; sample uniformly from all of them")


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_length_counts_transitions_up_to_capacity(student):
    buffer = student.new(MOD, CLASS, 5, (3,), seed=0)
    lengths = []
    for k in range(8):
        lengths.append(buffer.call("__len__"))
        buffer.call("add", *transition(k, (3,)))
    lengths.append(buffer.call("__len__"))
    if lengths != [0, 1, 2, 3, 4, 5, 5, 5, 5]:
        raise CheckFailed(f"len(buffer) of capacity 5 after 0, 1, ..., 8 adds should be 0, 1, 2, 3, 4, 5, 5, 5, 5; "
                          f"it was {lengths}")


@pytest.mark.public
@pytest.mark.points(1)
def test_sample_shapes_and_consistency(student):
    buffer = filled(student, 20, (4,), 12)
    k = sampled_indices(sample(buffer, 32, (4,)), (4,))
    if np.any((k < 0) | (k >= 12)):
        raise CheckFailed("sample returned rows that were never added")


@pytest.mark.public
@pytest.mark.points(1)
def test_wrap_around_keeps_the_latest(student):
    buffer = filled(student, 10, (2,), 25)
    k = sampled_indices(sample(buffer, 2000, (2,)), (2,))
    check_held(k, 25, 10, "after 25 adds to a buffer of capacity 10")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(1)
@pytest.mark.parametrize("added", [1, 7, 16, 17, 50])
def test_held_transitions_after_adds(student, added):
    """Capacity 16: one transition, partly filled, exactly full, one past full, wrapped three times."""
    buffer = filled(student, 16, (3,), added)
    with case(f"a buffer of capacity 16 after {added} adds"):
        k = sampled_indices(sample(buffer, 4000, (3,)), (3,))
        check_held(k, added, 16, f"after {added} adds to a buffer of capacity 16")


@pytest.mark.points(1)
@pytest.mark.parametrize("obs_shape", [(1,), (6,), (2, 3), (3, 4, 4)])
def test_observations_of_several_shapes(student, obs_shape):
    buffer = filled(student, 8, obs_shape, 11)
    with case(f"observations of shape {obs_shape}"):
        k = sampled_indices(sample(buffer, 500, obs_shape), obs_shape)
        check_held(k, 11, 8, f"observations of shape {obs_shape}")


@pytest.mark.points(1)
def test_capacity_one(student):
    buffer = filled(student, 1, (2,), 4)
    k = sampled_indices(sample(buffer, 10, (2,)), (2,))
    check_held(k, 4, 1, "a buffer of capacity 1 after 4 adds")


@pytest.mark.points(1)
def test_sampling_is_uniform(student):
    """Each of 10 held transitions about 1/10 of 20000 draws (a chi-square test at p < 1e-6)."""
    buffer = filled(student, 10, (2,), 23)
    k = sampled_indices(sample(buffer, 20000, (2,)), (2,))
    counts = np.bincount(k - 13, minlength=10)[:10]
    chi2 = float(np.sum((counts - 2000.0) ** 2 / 2000.0))
    if chi2 > 50.0:   # 9 degrees of freedom: P(chi2 > 50) < 1e-6
        raise CheckFailed("sample does not draw the held transitions uniformly: over 20000 draws from 10 held "
                          f"transitions the counts range from {counts.min()} to {counts.max()} (about 2000 each)")


@pytest.mark.points(1)
def test_sample_draws_with_replacement(student):
    """A batch larger than the buffer is allowed (uniform with replacement)."""
    buffer = filled(student, 50, (2,), 3)
    k = sampled_indices(sample(buffer, 30, (2,)), (2,))
    check_held(k, 3, 50, "sample(30) from a buffer holding 3 transitions")


@pytest.mark.points(1)
def test_samples_differ_between_calls(student):
    buffer = filled(student, 100, (2,), 100)
    first = sampled_indices(sample(buffer, 64, (2,)), (2,))
    second = sampled_indices(sample(buffer, 64, (2,)), (2,))
    if np.array_equal(first, second):
        raise CheckFailed("two calls of sample(64) returned the same transitions; draw new indices each call "
                          "from self.rng")


@pytest.mark.points(1)
def test_sample_from_empty_buffer_raises(student):
    buffer = student.new(MOD, CLASS, 4, (2,), seed=0)
    try:
        buffer.call("sample", 1)
    except StudentCodeError as exc:
        if "ValueError" not in str(exc):
            raise CheckFailed(f"sample from an empty buffer should raise ValueError; {exc}") from None
        return
    raise CheckFailed("sample from an empty buffer should raise ValueError; it returned a batch")


LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@pytest.mark.points(1)
def test_sample_has_no_python_loop(student, student_root):
    """Read the submission: ReplayBuffer.sample indexes the arrays with a vector of indices."""
    buffer = filled(student, 8, (2,), 8)
    sampled_indices(sample(buffer, 16, (2,)), (2,))   # a stub or a broken sample earns nothing here
    path = student_root.joinpath(*SOURCE)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        raise CheckFailed(f"{'/'.join(SOURCE)} could not be read") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == CLASS:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "sample":
                    if any(isinstance(sub, LOOP_NODES) for sub in ast.walk(item)):
                        raise CheckFailed("ReplayBuffer.sample has a loop or a comprehension; draw all "
                                          "indices at once and index each array with them")
                    return
    raise CheckFailed(f"{'/'.join(SOURCE)} has no ReplayBuffer.sample")
