"""ThreeLayerConvNet (cs231n/classifiers/cnn.py) and the net ConvolutionalNetworks.ipynb saves.

Students write ThreeLayerConvNet.__init__ (weights ~ N(0, weight_scale**2),
zero biases, the shapes of the class docstring) and ThreeLayerConvNet.loss
(conv - relu - 2x2 max pool - affine - relu - affine - softmax, with
0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)), and the backward pass).
The sandwich layers it uses (conv_relu_pool_forward, ...) and the fast
layers are given; the affine and ReLU layers and the softmax loss are the
student's from assignment 1. Each test checks one thing:

* initialization: shapes and zero biases (public), the weights' statistics,
  an odd image size;
* the net's scores, loss and gradients (reg = 0) must be the correct ones or
  what the student's own layers give, chained as the class docstring says
  (conv_relu_pool, affine_relu, affine, softmax_loss), so a wrong layer is
  not charged again here;
* regularization alone, by loss(reg) - loss(0).

Tests set the parameters themselves with net.set("params", ...), keeping the
keys in the order the student's own __init__ made them.

The last tests score the parameters the notebook saves
(artifacts/ConvolutionalNetworks_best.npz: W1, b1, W2, b2, W3, b3) on the
grader's held-out images (data/heldout.py), preprocessed as
get_CIFAR10_data() does, with the reference forward pass, in the grader's
process.
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_l2_regularization,
                                assert_matches, assert_scalar_close, case, describe, load_saved_arrays,
                                numerical_gradient, unpack)

MOD = "cs231n.classifiers.cnn"
LAYERS, UTILS = "cs231n.layers", "cs231n.layer_utils"
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries

ARTIFACT, NOTEBOOK = "artifacts/ConvolutionalNetworks_best.npz", "ConvolutionalNetworks.ipynb"
CIFAR10_SHAPE, CIFAR10_CLASSES = (3, 32, 32), 10
MAX_ARTIFACT_BYTES = 256 * 2**20
SCORING_BATCH = 250  # held-out images per forward pass: bounds the memory of the im2col columns


def assert_matches_numerical(got, numerical, name, tol=GRAD_TOL):
    """An analytic gradient against a numerical one, the error measured relative to the
    gradient's largest entries: an entry near 0 carries the numerical estimate's rounding
    error, which is small in absolute terms but has no meaningful relative error."""
    assert_array(got, name, numerical.shape)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{name} contains nan or inf values")
    scale = max(1e-8, float(np.max(np.abs(got), initial=0) + np.max(np.abs(numerical), initial=0)))
    error = float(np.max(np.abs(got - numerical), initial=0)) / scale
    if not error <= tol:
        raise CheckFailed(f"{name} differs from the numerical gradient: largest difference {error:.2g} "
                          f"relative to the largest entries (allowed {tol:.0e})")


def param_shapes(input_dim, num_filters, filter_size, hidden_dim, num_classes):
    c, h, w = input_dim
    return {"W1": (num_filters, c, filter_size, filter_size), "b1": (num_filters,),
            "W2": (num_filters * (h // 2) * (w // 2), hidden_dim), "b2": (hidden_dim,),
            "W3": (hidden_dim, num_classes), "b3": (num_classes,)}


def random_params(rng, shapes):
    """Weights that keep the activations of order 1 and non-zero biases."""
    params = {}
    for name, shape in shapes.items():
        if name.startswith("W"):
            params[name] = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:] if name == "W1" else shape[:1]))
        else:
            params[name] = 0.2 * rng.standard_normal(shape)
    return params


def new_net(code, config, params, reg=0.0):
    """A float64 ThreeLayerConvNet (student's or reference) with the given parameters, set in the key
    order the net's own __init__ made (code may rely on it)."""
    input_dim, num_filters, filter_size, hidden_dim, num_classes = config
    net = code.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                   filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, reg=reg,
                   dtype="float64")
    own = net.get("params")
    order = [k for k in own if k in params] if isinstance(own, dict) else []
    net.set("params", {k: params[k].copy() for k in order + [k for k in params if k not in order]})
    return net


def get_params(net, shapes):
    params = net.get("params")
    if not isinstance(params, dict):
        raise CheckFailed(f"ThreeLayerConvNet.params should be a dict; it is {describe(params)}")
    for name, shape in shapes.items():
        if name not in params:
            raise CheckFailed(f"ThreeLayerConvNet.params has no entry {name!r}; it has {sorted(params)}")
        assert_array(params[name], f"params[{name!r}]", shape)
    return params


def call_loss(net, X, y):
    loss, grads = unpack(net.call("loss", X, y), ["loss", "grads"], "ThreeLayerConvNet.loss(X, y)")
    if not isinstance(grads, dict):
        raise CheckFailed(f"the grads returned by ThreeLayerConvNet.loss should be a dict; got {describe(grads)}")
    for name in PARAMS:
        if name not in grads:
            raise CheckFailed(f"the grads returned by ThreeLayerConvNet.loss have no entry {name!r}")
    return loss, {name: grads[name] for name in PARAMS}


def problem(rng, n, config):
    X = rng.standard_normal((n, *config[0]))
    y = rng.integers(0, config[4], size=n)
    return X, y, random_params(rng, param_shapes(*config))


# (input_dim, num_filters, filter_size, hidden_dim, num_classes): square and
# not, an odd size (the pool leaves the last row and column out), filter
# sizes 1 to 5, channels 1 to 3.
CONFIGS = [
    ((3, 8, 8), 4, 3, 6, 5),
    ((1, 6, 10), 3, 5, 4, 3),
    ((2, 7, 7), 2, 3, 5, 4),
    ((3, 4, 4), 5, 1, 3, 2),
]


def composed(student, params, X, y):
    """Scores, or (loss, grads) with reg = 0, from the student's own layers chained as the class
    docstring says: conv_relu_pool, affine_relu, affine, softmax_loss."""
    def pair(value, name):
        return unpack(value, ["out", "cache"], name)

    filter_size = params["W1"].shape[2]
    conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    pooled, pool_cache = pair(student.function(UTILS, "conv_relu_pool_forward")(X, params["W1"], params["b1"],
                                                                              conv_param, pool_param),
                              "conv_relu_pool_forward")
    hidden, hidden_cache = pair(student.function(UTILS, "affine_relu_forward")(pooled, params["W2"], params["b2"]),
                                "affine_relu_forward")
    scores, scores_cache = pair(student.function(LAYERS, "affine_forward")(hidden, params["W3"], params["b3"]),
                                "affine_forward")
    if y is None:
        return scores
    loss, dscores = student.function(LAYERS, "softmax_loss")(scores, y)
    grads = {}
    dhidden, grads["W3"], grads["b3"] = student.function(LAYERS, "affine_backward")(dscores, scores_cache)
    dpooled, grads["W2"], grads["b2"] = student.function(UTILS, "affine_relu_backward")(dhidden, hidden_cache)
    _, grads["W1"], grads["b1"] = student.function(UTILS, "conv_relu_pool_backward")(dpooled, pool_cache)
    return loss, grads


def own_composition(student, params, X, y):
    """[what the student's own layers give], or [] where they raise or return malformed values."""
    try:
        return [composed(student, params, X, y)]
    except (StudentCodeError, CheckFailed, TypeError, ValueError, IndexError, KeyError):
        return []


def named(value):
    if isinstance(value, tuple):
        return {"loss": value[0], **{f"grads[{k!r}]": value[1][k] for k in PARAMS}}
    return {"scores": value}


def _mismatch(got, expected):
    try:
        for name, want in expected.items():
            assert_matches(got[name], want, name)
    except CheckFailed as exc:
        return exc
    return None


def assert_net_matches(got, expected, candidates, description):
    """`got` must match `expected` (the correct value) or one of `candidates` (what the student's own
    layers give); the message is the comparison with the correct value."""
    got = named(got)
    if any(_mismatch(got, named(candidate)) is None for candidate in candidates):
        return
    problem = _mismatch(got, named(expected))
    if problem is not None:
        own = " (nor what your own layers give, chained as the class docstring says)" if candidates else ""
        raise CheckFailed(f"{description}: {problem}{own}")


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_init_shapes_and_zero_biases(student):
    config = ((3, 8, 6), 4, 3, 7, 5)
    input_dim, num_filters, filter_size, hidden_dim, num_classes = config
    net = student.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                      filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, weight_scale=0.1)
    params = get_params(net, param_shapes(*config))
    for name, value in params.items():
        if name.startswith("b"):
            assert_close(value, np.zeros_like(value), f"params[{name!r}] (biases start at zero)")
        elif np.all(value == 0):
            raise CheckFailed(f"params[{name!r}] is all zeros; draw the weights from "
                              "weight_scale * np.random.randn(...)")


@pytest.mark.public
@pytest.mark.points(1)
def test_initial_loss_is_log_of_the_number_of_classes(student, rng):
    """With tiny weights every score is about 0, so the softmax loss is about log(C)."""
    net = student.new(MOD, "ThreeLayerConvNet", input_dim=(3, 8, 8), num_filters=4, filter_size=3,
                      hidden_dim=10, num_classes=7, weight_scale=1e-3, dtype="float64")
    X = rng.standard_normal((6, 3, 8, 8))
    assert_array(net.call("loss", X), "ThreeLayerConvNet.loss(X) (the scores)", (6, 7))
    loss, _ = call_loss(net, X, rng.integers(0, 7, size=6))
    assert_scalar_close(loss, np.log(7), "the loss of a net with tiny weights and 7 classes "
                        "(it should be close to log(C))", tol=1e-4)


@pytest.mark.public
@pytest.mark.points(2)
def test_gradients_match_numerical_gradient(student, rng):
    """reg = 0: the gradients against a numerical gradient of the net's own loss, or, where your
    layers' backward passes do not match their forward passes, what those layers give."""
    config = ((3, 6, 6), 2, 3, 4, 3)
    X, y, params = problem(rng, 2, config)
    net = new_net(student, config, params)
    order = list(net.get("params"))
    _, grads = call_loss(net, X, y)
    for candidate in own_composition(student, params, X, y):
        if _mismatch(named((0.0, grads)), named((0.0, candidate[1]))) is None:
            return  # what your own layers give; whether they are right is their tests' business
    for name in PARAMS:
        def f(value, name=name):
            net.set("params", {k: (value if k == name else params[k]) for k in order})
            return call_loss(net, X, y)[0]
        num_grad = numerical_gradient(f, params[name], name="ThreeLayerConvNet.loss")
        with case(f"ThreeLayerConvNet.loss with reg=0, gradient of {name} vs the numerical gradient"):
            assert_matches_numerical(grads[name], num_grad, f"grads[{name!r}]")


@pytest.mark.public
@pytest.mark.points(1)
def test_regularization_convention(student, rng):
    """The docstring's convention: the loss grows by 0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)),
    the weights' gradients by reg * W; biases are not regularized."""
    config = ((2, 6, 6), 3, 3, 5, 4)
    X, y, params = problem(rng, 4, config)

    def loss_at(reg):
        loss, grads = call_loss(new_net(student, config, params, reg), X, y)
        return loss, {f"grads[{k!r}]": v for k, v in grads.items()}

    assert_l2_regularization(loss_at, {f"grads['W{i}']": params[f"W{i}"] for i in (1, 2, 3)}, reg=0.7,
                             factor=0.5, penalty="(sum(W1**2) + sum(W2**2) + sum(W3**2))",
                             what="ThreeLayerConvNet.loss")


# ------------------------------------------------------------------ hidden: initialization

@pytest.mark.points(1)
def test_init_statistics(student):
    """Weights ~ N(0, weight_scale**2), estimated on large layers."""
    config = ((3, 16, 16), 20, 5, 60, 30)
    input_dim, num_filters, filter_size, hidden_dim, num_classes = config
    scale = 0.037
    net = student.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                      filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, weight_scale=scale)
    params = get_params(net, param_shapes(*config))
    for name in ("W1", "W2", "W3"):
        w = params[name]
        # With >= 1500 samples the estimates are within 10% (mean: 5 standard errors).
        if not (abs(np.std(w) / scale - 1) <= 0.1 and abs(np.mean(w)) <= 5 * scale / np.sqrt(w.size)):
            raise CheckFailed(f"params[{name!r}] of shape {w.shape} with weight_scale={scale} has mean "
                              f"{np.mean(w):.3g} and standard deviation {np.std(w):.3g}; draw it from a normal "
                              "distribution with mean 0 and standard deviation weight_scale")


@pytest.mark.points(1)
def test_init_with_odd_image_size(student):
    """The pool halves the height and width rounding down: W2 has F * (H // 2) * (W // 2) rows."""
    config = ((2, 7, 9), 3, 3, 5, 4)
    input_dim, num_filters, filter_size, hidden_dim, num_classes = config
    net = student.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                      filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes)
    with case("ThreeLayerConvNet with input_dim=(2, 7, 9)"):
        get_params(net, param_shapes(*config))


# ------------------------------------------------------------------ hidden: loss

@pytest.mark.points(1)
def test_scores_match(student, reference, rng):
    for config in CONFIGS:
        X, _, params = problem(rng, 3, config)
        scores = new_net(student, config, params).call("loss", X)
        expected = new_net(reference, config, params).call("loss", X)
        assert_net_matches(scores, expected, own_composition(student, params, X, None),
                           f"ThreeLayerConvNet.loss(X) (no labels) with input_dim={config[0]} and "
                           f"filter_size={config[2]}")


@pytest.mark.points(3)
def test_loss_and_gradients_match(student, reference, rng):
    for n, config in zip([1, 4, 2, 3], CONFIGS):
        X, y, params = problem(rng, n, config)
        got = call_loss(new_net(student, config, params), X, y)
        expected = new_net(reference, config, params).call("loss", X, y)
        assert_net_matches(got, expected, own_composition(student, params, X, y),
                           f"ThreeLayerConvNet.loss(X, y) with reg=0, {n} images, input_dim={config[0]} "
                           f"and filter_size={config[2]}")


# ------------------------------------------------------------------ the saved net

def load_saved_net(path):
    """The six parameter arrays and the net's configuration; CheckFailed says what is wrong."""
    params = load_saved_arrays(path, ARTIFACT, PARAMS, NOTEBOOK, MAX_ARTIFACT_BYTES,
                               hint="Save it with np.savez(path, **model.params)",
                               model="a three-layer convolutional net for CIFAR-10")
    W1 = params["W1"]
    if W1.ndim != 4 or W1.shape[1] != CIFAR10_SHAPE[0] or W1.shape[2] != W1.shape[3] or W1.shape[2] % 2 == 0:
        raise CheckFailed(f"W1 in {ARTIFACT} has shape {W1.shape}; expected (F, 3, S, S) with an odd filter "
                          "size S: F filters over the 3 color channels")
    W3 = params["W3"]
    hidden_dim = W3.shape[0] if W3.ndim == 2 else 0
    config = (CIFAR10_SHAPE, W1.shape[0], W1.shape[2], hidden_dim, CIFAR10_CLASSES)
    for name, shape in param_shapes(*config).items():
        with case(f"the saved net in {ARTIFACT} ({W1.shape[0]} filters of size {W1.shape[2]} and "
                  f"{hidden_dim} hidden units, read from the shapes of W1 and W3)"):
            assert_array(params[name], name, shape)
        if params[name].dtype.kind != "f" or not np.all(np.isfinite(params[name])):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite floating-point numbers")
    return params, config


@pytest.fixture(scope="module")
def heldout_images(cifar10_heldout):
    """(X (N, 3, 32, 32) float32, y (N,)): the held-out images preprocessed as get_CIFAR10_data()
    preprocesses the notebook's data (minus the mean training image, channels first)."""
    X = cifar10_heldout.X.astype(np.float32) - cifar10_heldout.train_mean.astype(np.float32)
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2)), cifar10_heldout.y


def saved_net_accuracy(artifact_path, reference, heldout_images):
    """Held-out accuracy of the saved net, computed with the reference forward pass (float32)."""
    params, (input_dim, num_filters, filter_size, hidden_dim, num_classes) = load_saved_net(artifact_path(ARTIFACT))
    net = reference.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                        filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, dtype="float32")
    net.set("params", {k: v.astype(np.float32) for k, v in params.items()})
    X, y = heldout_images
    predictions = [np.argmax(net.call("loss", X[i:i + SCORING_BATCH]), axis=1)
                   for i in range(0, len(X), SCORING_BATCH)]
    return float(np.mean(np.concatenate(predictions) == y))


def check_accuracy(artifact_path, reference, heldout_images, once, threshold):
    accuracy = once(ARTIFACT, lambda: saved_net_accuracy(artifact_path, reference, heldout_images))
    if not accuracy >= threshold:
        raise CheckFailed(f"the net saved in {ARTIFACT} classifies {accuracy:.1%} of the grader's held-out "
                          f"images correctly; this test needs at least {threshold:.0%}")


# The reference notebook's net (16 filters of 5x5, 100 hidden units, one epoch) scores 50.2% on the
# held-out images (49.9% on the test split, 49.6% on the validation split).
@pytest.mark.points(1)
def test_saved_net_reaches_42_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.42)


@pytest.mark.points(2)
def test_saved_net_reaches_47_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.47)
