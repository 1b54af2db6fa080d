"""The two-layer network (cs231n/classifiers/fc_net.py) and the net two_layer_net.ipynb saves.

Students write TwoLayerNet.__init__ (weights ~ N(0, weight_scale**2), zero
biases) and TwoLayerNet.loss (scores; softmax loss plus
0.5 * reg * (sum(W1**2) + sum(W2**2)) and the gradients). Tests set the
parameters themselves with model.set("params", ...), so after the
initialization tests nothing depends on the student's random numbers.

The last tests score the parameters the notebook saves
(artifacts/two_layer_net_best.npz: W1, b1, W2, b2) on the grader's held-out
images (data/heldout.py: CIFAR-10 test images moved and mirrored, which
students do not have), preprocessed as get_CIFAR10_data() does, with the
reference forward pass, in the grader's process.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close,
                                assert_scalar_close, case, describe, load_saved_arrays,
                                numerical_gradient, unpack)

MOD = "cs231n.classifiers.fc_net"
PARAMS = ("W1", "b1", "W2", "b2")
GRAD_TOL = 1e-6

ARTIFACT, NOTEBOOK = "artifacts/two_layer_net_best.npz", "two_layer_net.ipynb"
CIFAR10_DIM, CIFAR10_CLASSES = 3 * 32 * 32, 10
MAX_ARTIFACT_BYTES = 256 * 2**20  # a net with H = 10000 hidden units is about 250 MiB


def random_params(rng, d, h, c, scale=1.0):
    """Parameters of a net with input size d, h hidden units and c classes.

    Weights are scaled so that about half of the hidden units are active and
    scores are of order `scale`; biases are non-zero so that their gradients
    and their use in the forward pass show.
    """
    return {
        "W1": rng.standard_normal((d, h)) / np.sqrt(d),
        "b1": 0.3 * rng.standard_normal(h),
        "W2": scale * rng.standard_normal((h, c)) / np.sqrt(h),
        "b2": 0.3 * rng.standard_normal(c),
    }


def new_net(code, d, h, c, reg, params):
    """A TwoLayerNet (student's or reference) with the given parameters."""
    net = code.new(MOD, "TwoLayerNet", input_dim=d, hidden_dim=h, num_classes=c, weight_scale=1e-2, reg=reg)
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net


def get_params(net, d, h, c):
    """The net's params, checked to be a dict with the four arrays of the right shapes."""
    params = net.get("params")
    if not isinstance(params, dict):
        raise CheckFailed(f"TwoLayerNet.params should be a dict; it is {describe(params)}")
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    for name, shape in shapes.items():
        if name not in params:
            raise CheckFailed(f"TwoLayerNet.params has no entry {name!r}; it has {sorted(params)}")
        assert_array(params[name], f"params[{name!r}]", shape)
    return params


def call_loss(net, X, y):
    """net.loss(X, y): check the form of (loss, grads) and return it."""
    loss, grads = unpack(net.call("loss", X, y), ["loss", "grads"], "TwoLayerNet.loss(X, y)")
    if not isinstance(grads, dict):
        raise CheckFailed(f"the grads returned by TwoLayerNet.loss should be a dict; got {describe(grads)}")
    for name in PARAMS:
        if name not in grads:
            raise CheckFailed(f"the grads returned by TwoLayerNet.loss have no entry {name!r}")
    return loss, grads


def problem(rng, n, example_shape, h, c):
    """(X, y, params) with X of shape (n, *example_shape)."""
    d = int(np.prod(example_shape))
    X = rng.standard_normal((n, *example_shape))
    y = rng.integers(0, c, size=n)
    return X, y, random_params(rng, d, h, c)


# (N, example shape, H, C); N, D, H and C differ so that a misplaced axis shows.
SHAPES = [
    (1, (6,), 4, 3),
    (5, (7,), 9, 2),
    (8, (3, 2, 2), 6, 5),
    (20, (3, 4, 4), 15, 10),
]


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_init_shapes_and_zero_biases(student):
    d, h, c = 15, 8, 4
    net = student.new(MOD, "TwoLayerNet", input_dim=d, hidden_dim=h, num_classes=c, weight_scale=0.1)
    params = get_params(net, d, h, c)
    assert_close(params["b1"], np.zeros(h), "params['b1'] (biases start at zero)")
    assert_close(params["b2"], np.zeros(c), "params['b2'] (biases start at zero)")
    for name in ("W1", "W2"):
        if np.all(params[name] == 0):
            raise CheckFailed(f"params[{name!r}] is all zeros; draw the weights from "
                              "weight_scale * np.random.randn(...)")


@pytest.mark.public
@pytest.mark.points(1)
def test_scores_shape_and_initial_loss(student, rng):
    """With tiny weights every score is about 0, so the softmax loss is about log(C)."""
    n, d, h, c = 6, 20, 10, 7
    net = student.new(MOD, "TwoLayerNet", input_dim=d, hidden_dim=h, num_classes=c, weight_scale=1e-4)
    X = rng.standard_normal((n, d))
    scores = net.call("loss", X)
    assert_array(scores, "TwoLayerNet.loss(X) (the scores)", (n, c))
    loss, _ = call_loss(net, X, rng.integers(0, c, size=n))
    assert_scalar_close(loss, np.log(c), f"the loss of a net with tiny weights and {c} classes "
                        "(it should be close to log(C))", tol=1e-4)


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_gradients_match_numerical_gradient(student, rng, reg):
    n, shape, h, c = 4, (2, 3), 5, 3
    X, y, params = problem(rng, n, shape, h, c)
    net = new_net(student, 6, h, c, reg, params)
    _, grads = call_loss(net, X, y)
    for name in PARAMS:
        def f(value, name=name):
            net.set("params", {**params, name: value})
            return float(call_loss(net, X, y)[0])
        num_grad = numerical_gradient(f, params[name])
        with case(f"TwoLayerNet.loss with reg={reg}, gradient of {name} vs the numerical gradient"):
            assert_close(grads[name], num_grad, f"grads[{name!r}]", GRAD_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_regularization_convention(student, rng):
    """The loss grows by 0.5 * reg * (sum(W1**2) + sum(W2**2)); the gradients by reg * W."""
    X, y, params = problem(rng, 5, (4,), 6, 3)
    reg = 0.9
    loss0, grads0 = call_loss(new_net(student, 4, 6, 3, 0.0, params), X, y)
    loss1, grads1 = call_loss(new_net(student, 4, 6, 3, reg, params), X, y)
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert_scalar_close(float(loss1) - float(loss0), penalty,
                        "loss(reg=0.9) - loss(reg=0) (it should be 0.5 * reg * (sum(W1**2) + sum(W2**2)))")
    for name in PARAMS:
        extra = reg * params[name] if name.startswith("W") else np.zeros_like(params[name])
        assert_close(grads1[name] - grads0[name], extra,
                     f"grads[{name!r}] with reg=0.9 minus grads[{name!r}] with reg=0", tol=1e-5)


# ------------------------------------------------------------------ hidden: initialization

@pytest.mark.points(2)
def test_init_statistics(student):
    """Weights ~ N(0, weight_scale**2), estimated on large layers; biases exactly zero."""
    for d, h, c, scale in [(1200, 300, 150, 0.037), (300, 900, 60, 2.5e-3)]:
        net = student.new(MOD, "TwoLayerNet", input_dim=d, hidden_dim=h, num_classes=c, weight_scale=scale)
        params = get_params(net, d, h, c)
        for name in ("W1", "W2"):
            w = params[name]
            # With >= 18000 samples the estimates are within a few percent (mean: 5 standard errors).
            if not (abs(np.std(w) / scale - 1) <= 0.04 and abs(np.mean(w)) <= 5 * scale / np.sqrt(w.size)):
                raise CheckFailed(
                    f"params[{name!r}] of shape {w.shape} with weight_scale={scale} has mean "
                    f"{np.mean(w):.3g} and standard deviation {np.std(w):.3g}; draw it from a normal "
                    "distribution with mean 0 and standard deviation weight_scale")
        assert_close(params["b1"], np.zeros(h), "params['b1']")
        assert_close(params["b2"], np.zeros(c), "params['b2']")


@pytest.mark.points(1)
def test_init_defaults(student, reference, rng):
    """TwoLayerNet() is a CIFAR-10 net: D = 3072, H = 100, C = 10, weight_scale 1e-3, reg 0."""
    net = student.new(MOD, "TwoLayerNet")
    params = get_params(net, 3072, 100, 10)
    for name, tol in [("W1", 0.02), ("W2", 0.1)]:
        if not abs(np.std(params[name]) / 1e-3 - 1) <= tol:
            raise CheckFailed(f"params[{name!r}] of TwoLayerNet() has standard deviation "
                              f"{np.std(params[name]):.3g}; the default weight_scale is 1e-3")
    X, y, new_params = problem(rng, 4, (3, 32, 32), 100, 10)
    net.set("params", new_params)
    ref = reference.new(MOD, "TwoLayerNet", reg=0.0)
    ref.set("params", new_params)
    loss, _ = call_loss(net, X, y)
    with case("TwoLayerNet() (default reg 0)"):
        assert_scalar_close(loss, ref.call("loss", X, y)[0], "loss")


# ------------------------------------------------------------------ hidden: loss

@pytest.mark.points(1)
def test_scores_match_reference(student, reference, rng):
    for n, shape, h, c in SHAPES:
        X, _, params = problem(rng, n, shape, h, c)
        d = int(np.prod(shape))
        scores = new_net(student, d, h, c, 0.3, params).call("loss", X)
        ref_scores = new_net(reference, d, h, c, 0.3, params).call("loss", X)
        with case(f"TwoLayerNet.loss(X) (no labels) with X of shape {X.shape}"):
            assert_close(scores, ref_scores, "scores")


@pytest.mark.points(3)
@pytest.mark.parametrize("reg", [0.0, 0.25, 3.0])
def test_loss_and_gradients_match_reference(student, reference, rng, reg):
    for n, shape, h, c in SHAPES:
        X, y, params = problem(rng, n, shape, h, c)
        d = int(np.prod(shape))
        loss, grads = call_loss(new_net(student, d, h, c, reg, params), X, y)
        ref_loss, ref_grads = new_net(reference, d, h, c, reg, params).call("loss", X, y)
        with case(f"TwoLayerNet.loss(X, y) with reg={reg} and X of shape {X.shape}"):
            assert_scalar_close(loss, ref_loss, "loss")
            for name in PARAMS:
                assert_close(grads[name], ref_grads[name], f"grads[{name!r}]")


@pytest.mark.points(1)
def test_loss_with_large_scores(student, reference, rng):
    """Scores in the hundreds: the softmax inside the net must be stable too."""
    X, y, _ = problem(rng, 10, (12,), 8, 4)
    params = random_params(rng, 12, 8, 4, scale=400.0)
    loss, grads = call_loss(new_net(student, 12, 8, 4, 0.1, params), X, y)
    ref_loss, ref_grads = new_net(reference, 12, 8, 4, 0.1, params).call("loss", X, y)
    with case("TwoLayerNet.loss(X, y) with scores in the hundreds"):
        assert_scalar_close(loss, ref_loss, "loss")
        for name in PARAMS:
            assert_close(grads[name], ref_grads[name], f"grads[{name!r}]")


# ------------------------------------------------------------------ the saved net

def load_saved_net(path):
    """The four parameter arrays from the saved file, checked; CheckFailed says what is wrong."""
    params = load_saved_arrays(path, ARTIFACT, PARAMS, NOTEBOOK, MAX_ARTIFACT_BYTES,
                               hint="Save it with np.savez(path, **best_model.params)",
                               model="a two-layer net for CIFAR-10")
    W1 = params["W1"]
    if W1.ndim != 2 or W1.shape[0] != CIFAR10_DIM or W1.shape[1] == 0:
        raise CheckFailed(f"W1 in {ARTIFACT} has shape {W1.shape}; expected ({CIFAR10_DIM}, H): one row "
                          "per input value of a CIFAR-10 image, one column per hidden unit")
    hidden = W1.shape[1]
    expected = {"W1": W1.shape, "b1": (hidden,), "W2": (hidden, CIFAR10_CLASSES), "b2": (CIFAR10_CLASSES,)}
    for name in PARAMS:
        with case(f"the saved net in {ARTIFACT} (with H = {hidden} hidden units, from the shape of W1)"):
            assert_array(params[name], name, expected[name])
        if params[name].dtype.kind != "f" or not np.all(np.isfinite(params[name])):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite floating-point numbers")
    return params


@pytest.fixture(scope="module")
def heldout_images(cifar10_heldout):
    """(X (N, 3, 32, 32) float32, y (N,)): the held-out images preprocessed as
    get_CIFAR10_data() preprocesses the notebook's data (minus the mean training image,
    channels first)."""
    X = cifar10_heldout.X.astype(np.float32) - cifar10_heldout.train_mean.astype(np.float32)
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2)), cifar10_heldout.y


def saved_net_accuracy(artifact_path, reference, heldout_images):
    """Test accuracy of the saved net, computed with the reference forward pass."""
    params = load_saved_net(artifact_path(ARTIFACT))
    X_test, y_test = heldout_images
    hidden = params["W1"].shape[1]
    net = reference.new(MOD, "TwoLayerNet", input_dim=CIFAR10_DIM, hidden_dim=hidden,
                        num_classes=CIFAR10_CLASSES)
    net.set("params", params)
    scores = net.call("loss", X_test)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


def check_accuracy(artifact_path, reference, heldout_images, once, threshold):
    accuracy = once(ARTIFACT, lambda: saved_net_accuracy(artifact_path, reference, heldout_images))
    if not accuracy >= threshold:
        raise CheckFailed(f"the net saved in {ARTIFACT} classifies {accuracy:.1%} of the grader's held-out "
                          f"images correctly; this test needs at least {threshold:.0%}")


# The reference notebook's net scores 49% on the held-out images (52% on the test split).
@pytest.mark.points(1)
def test_saved_net_reaches_44_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.44)


@pytest.mark.points(2)
def test_saved_net_reaches_47_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.47)
