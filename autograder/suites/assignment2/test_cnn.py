"""ThreeLayerConvNet (cs231n/classifiers/cnn.py) and the net ConvolutionalNetworks.ipynb saves.

Students write ThreeLayerConvNet.__init__ (weights ~ N(0, weight_scale**2),
zero biases, the shapes of the class docstring) and ThreeLayerConvNet.loss
(conv - relu - 2x2 max pool - affine - relu - affine - softmax, with
0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)), and the backward pass).
The sandwich layers it uses (conv_relu_pool_forward, ...) and the fast
layers are given. Tests set the parameters themselves with
net.set("params", ...), so after the initialization tests nothing depends
on the student's random numbers.

The last tests score the parameters the notebook saves
(artifacts/ConvolutionalNetworks_best.npz: W1, b1, W2, b2, W3, b3) on the
CIFAR-10 test split of get_CIFAR10_data(), with the reference forward pass,
in the grader's process.
"""
import contextlib

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_scalar_close,
                                describe, load_saved_arrays, numerical_gradient, unpack)

MOD = "cs231n.classifiers.cnn"
DATA = "cs231n.data_utils"
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries

ARTIFACT, NOTEBOOK = "artifacts/ConvolutionalNetworks_best.npz", "ConvolutionalNetworks.ipynb"
CIFAR10_SHAPE, CIFAR10_CLASSES = (3, 32, 32), 10
MAX_ARTIFACT_BYTES = 256 * 2**20
SCORING_BATCH = 100  # test images per forward pass: bounds the memory of the im2col columns


@contextlib.contextmanager
def case(description):
    """Prefix a failure message with the kind of input it happened on."""
    try:
        yield
    except CheckFailed as exc:
        raise CheckFailed(f"{description}: {exc}") from None


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
    """A float64 ThreeLayerConvNet (student's or reference) with the given parameters."""
    input_dim, num_filters, filter_size, hidden_dim, num_classes = config
    net = code.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                   filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, reg=reg,
                   dtype="float64")
    net.set("params", {k: v.copy() for k, v in params.items()})
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
    return loss, grads


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
    config = ((3, 6, 6), 2, 3, 4, 3)
    X, y, params = problem(rng, 2, config)
    net = new_net(student, config, params, reg=0.5)
    _, grads = call_loss(net, X, y)
    for name in PARAMS:
        def f(value, name=name):
            net.set("params", {**params, name: value})
            return float(call_loss(net, X, y)[0])
        num_grad = numerical_gradient(f, params[name])
        with case(f"ThreeLayerConvNet.loss with reg=0.5, gradient of {name} vs the numerical gradient"):
            assert_matches_numerical(grads[name], num_grad, f"grads[{name!r}]")


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
def test_init_defaults(student):
    """ThreeLayerConvNet() is a CIFAR-10 net: 32 filters of 7x7, 100 hidden units, weight_scale 1e-3."""
    net = student.new(MOD, "ThreeLayerConvNet")
    params = get_params(net, param_shapes(CIFAR10_SHAPE, 32, 7, 100, CIFAR10_CLASSES))
    if not abs(np.std(params["W2"]) / 1e-3 - 1) <= 0.02:
        raise CheckFailed(f"params['W2'] of ThreeLayerConvNet() has standard deviation "
                          f"{np.std(params['W2']):.3g}; the default weight_scale is 1e-3")


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
def test_scores_match_reference(student, reference, rng):
    for config in CONFIGS:
        X, _, params = problem(rng, 3, config)
        scores = new_net(student, config, params).call("loss", X)
        ref_scores = new_net(reference, config, params).call("loss", X)
        with case(f"ThreeLayerConvNet.loss(X) (no labels) with input_dim={config[0]} and "
                  f"filter_size={config[2]}"):
            assert_close(scores, ref_scores, "scores")


@pytest.mark.points(3)
@pytest.mark.parametrize("reg", [0.0, 0.3, 2.0])
def test_loss_and_gradients_match_reference(student, reference, rng, reg):
    for n, config in zip([1, 4, 2, 3], CONFIGS):
        X, y, params = problem(rng, n, config)
        loss, grads = call_loss(new_net(student, config, params, reg), X, y)
        ref_loss, ref_grads = new_net(reference, config, params, reg).call("loss", X, y)
        with case(f"ThreeLayerConvNet.loss(X, y) with reg={reg}, {n} images, input_dim={config[0]} "
                  f"and filter_size={config[2]}"):
            assert_scalar_close(loss, ref_loss, "loss")
            for name in PARAMS:
                assert_close(grads[name], ref_grads[name], f"grads[{name!r}]")


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
def cifar10_test(reference):
    """(X_test, y_test) exactly as get_CIFAR10_data() gives them to the notebook."""
    try:
        reference.function(DATA, "cifar10_dir")()
    except StudentCodeError:
        pytest.skip("CIFAR-10 is not installed where CS231N_DATA_DIR points (run `make data`); "
                    "the saved net cannot be scored without its test split")
    data = reference.function(DATA, "get_CIFAR10_data")()
    return data["X_test"], data["y_test"]


_accuracies = {}  # saved file -> its accuracy or CheckFailed; the forward pass is the slow part


@pytest.fixture
def saved_net_accuracy(artifact_path, reference, cifar10_test):
    """Test accuracy of the saved net (reference forward pass, float32), or the CheckFailed
    that says why it cannot be scored; computed once per file."""
    path = artifact_path(ARTIFACT)
    if str(path) not in _accuracies:
        _accuracies[str(path)] = score_saved_net(path, reference, cifar10_test)
    return _accuracies[str(path)]


def score_saved_net(path, reference, cifar10_test):
    try:
        params, (input_dim, num_filters, filter_size, hidden_dim, num_classes) = load_saved_net(path)
    except CheckFailed as exc:
        return exc
    net = reference.new(MOD, "ThreeLayerConvNet", input_dim=input_dim, num_filters=num_filters,
                        filter_size=filter_size, hidden_dim=hidden_dim, num_classes=num_classes, dtype="float32")
    net.set("params", {k: v.astype(np.float32) for k, v in params.items()})
    X_test, y_test = cifar10_test
    predictions = [np.argmax(net.call("loss", X_test[i:i + SCORING_BATCH]), axis=1)
                   for i in range(0, len(X_test), SCORING_BATCH)]
    return float(np.mean(np.concatenate(predictions) == y_test))


def check_accuracy(accuracy, threshold):
    if isinstance(accuracy, CheckFailed):
        raise accuracy
    if not accuracy >= threshold:
        raise CheckFailed(f"the net saved in {ARTIFACT} classifies {accuracy:.1%} of the test images "
                          f"correctly; this test needs at least {threshold:.0%}")


@pytest.mark.points(1)
def test_saved_net_reaches_40_percent(saved_net_accuracy):
    check_accuracy(saved_net_accuracy, 0.40)


@pytest.mark.points(2)
def test_saved_net_reaches_45_percent(saved_net_accuracy):
    check_accuracy(saved_net_accuracy, 0.45)
