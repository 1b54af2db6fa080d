"""FullyConnectedNet (cs231n/classifiers/fc_net.py) and the net FullyConnectedNets.ipynb saves.

Students write FullyConnectedNet.__init__ (weights ~ N(0, weight_scale**2),
zero biases, gamma ones and beta zeros for the hidden layers with
normalization) and FullyConnectedNet.loss (the forward pass through
{affine - [norm] - relu - [dropout]} x (L - 1) - affine, the softmax loss
plus 0.5 * reg * sum(W_i**2), and the backward pass).

The net without normalization or dropout is compared with the reference.
The net with batchnorm, layernorm or dropout is compared with the same
composition of the student's OWN layers (affine, batchnorm/layernorm,
relu, dropout, softmax_loss and their backward passes), computed here: a
wrong layer costs that layer's tests, not these, which check only how the
net puts its layers together. Tests set the parameters themselves with
net.set("params", ...), so after the initialization tests nothing depends on
the student's random numbers.

The last tests score the parameters the notebook saves
(artifacts/FullyConnectedNets_best.npz: W1, b1, ..., WL, bL, and gamma{i},
beta{i} with normalization, plus running_mean{i} and running_var{i} with
batchnorm) on the CIFAR-10 test split of get_CIFAR10_data(), with the
reference forward pass in test mode, in the grader's process.
"""
import contextlib
import re
import zipfile

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_scalar_close,
                                describe, load_saved_arrays, numerical_gradient, unpack)

MOD = "cs231n.classifiers.fc_net"
LAYERS = "cs231n.layers"
DATA = "cs231n.data_utils"
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries

ARTIFACT, NOTEBOOK = "artifacts/FullyConnectedNets_best.npz", "FullyConnectedNets.ipynb"
CIFAR10_DIM, CIFAR10_CLASSES = 3 * 32 * 32, 10
MAX_ARTIFACT_BYTES = 256 * 2**20


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


def layer_dims(d, hidden_dims, c):
    return [d, *hidden_dims, c]


def param_shapes(d, hidden_dims, c, normalization):
    """{name: shape} of every parameter of the net, as the class docstring lists them."""
    dims = layer_dims(d, hidden_dims, c)
    shapes = {}
    for i in range(1, len(dims)):
        shapes[f"W{i}"] = (dims[i - 1], dims[i])
        shapes[f"b{i}"] = (dims[i],)
        if normalization is not None and i < len(dims) - 1:
            shapes[f"gamma{i}"] = (dims[i],)
            shapes[f"beta{i}"] = (dims[i],)
    return shapes


def random_params(rng, d, hidden_dims, c, normalization=None):
    """Parameters that keep every layer's activations of order 1, with non-trivial biases,
    gamma and beta (so that their use and their gradients show)."""
    params = {}
    for name, shape in param_shapes(d, hidden_dims, c, normalization).items():
        if name.startswith("W"):
            params[name] = rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])
        elif name.startswith("gamma"):
            params[name] = rng.uniform(0.5, 1.5, size=shape)
        else:
            params[name] = 0.3 * rng.standard_normal(shape)
    return params


def new_net(code, d, hidden_dims, c, params, **options):
    """A float64 FullyConnectedNet (student's or reference) with the given parameters."""
    net = code.new(MOD, "FullyConnectedNet", list(hidden_dims), input_dim=d, num_classes=c,
                   dtype="float64", **options)
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net


def get_params(net, shapes):
    params = net.get("params")
    if not isinstance(params, dict):
        raise CheckFailed(f"FullyConnectedNet.params should be a dict; it is {describe(params)}")
    extra = sorted(set(params) - set(shapes))
    if extra:
        raise CheckFailed(f"FullyConnectedNet.params has unexpected entries {extra}; expected exactly "
                          f"{sorted(shapes)}")
    for name, shape in shapes.items():
        if name not in params:
            raise CheckFailed(f"FullyConnectedNet.params has no entry {name!r}; it has {sorted(params)}")
        assert_array(params[name], f"params[{name!r}]", shape)
    return params


def call_loss(net, X, y, names):
    """net.loss(X, y): check the form of (loss, grads) and return it."""
    loss, grads = unpack(net.call("loss", X, y), ["loss", "grads"], "FullyConnectedNet.loss(X, y)")
    if not isinstance(grads, dict):
        raise CheckFailed(f"the grads returned by FullyConnectedNet.loss should be a dict; got {describe(grads)}")
    for name in names:
        if name not in grads:
            raise CheckFailed(f"the grads returned by FullyConnectedNet.loss have no entry {name!r}")
    return loss, grads


def problem(rng, n, d, hidden_dims, c, normalization=None):
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    return X, y, random_params(rng, d, hidden_dims, c, normalization)


def composed(code, params, X, y, reg, normalization=None, norm_params=None, dropout_param=None):
    """What FullyConnectedNet.loss computes, built from `code`'s own layers.

    Returns the scores when y is None, else (loss, grads).
    norm_params: one bn_param/ln_param dict per hidden layer; dropout_param:
    the dropout layers' dict, or None without dropout.
    """
    def layer(name):
        return code.function(LAYERS, name)

    num_layers = sum(1 for name in params if re.fullmatch(r"W\d+", name))
    norm = {"batchnorm": "batchnorm", "layernorm": "layernorm"}.get(normalization)
    hidden, caches = X, []
    for i in range(1, num_layers):
        hidden, fc_cache = layer("affine_forward")(hidden, params[f"W{i}"], params[f"b{i}"])
        norm_cache = None
        if norm:
            hidden, norm_cache = layer(f"{norm}_forward")(hidden, params[f"gamma{i}"], params[f"beta{i}"],
                                                          norm_params[i - 1])
        hidden, relu_cache = layer("relu_forward")(hidden)
        dropout_cache = None
        if dropout_param is not None:
            hidden, dropout_cache = layer("dropout_forward")(hidden, dropout_param)
        caches.append((fc_cache, norm_cache, relu_cache, dropout_cache))
    scores, scores_cache = layer("affine_forward")(hidden, params[f"W{num_layers}"], params[f"b{num_layers}"])
    if y is None:
        return scores

    loss, dscores = layer("softmax_loss")(scores, y)
    loss += 0.5 * reg * sum(np.sum(params[f"W{i}"] ** 2) for i in range(1, num_layers + 1))
    grads = {}
    dhidden, grads[f"W{num_layers}"], grads[f"b{num_layers}"] = layer("affine_backward")(dscores, scores_cache)
    for i in range(num_layers - 1, 0, -1):
        fc_cache, norm_cache, relu_cache, dropout_cache = caches[i - 1]
        if dropout_param is not None:
            dhidden = layer("dropout_backward")(dhidden, dropout_cache)
        dhidden = layer("relu_backward")(dhidden, relu_cache)
        if norm:
            dhidden, grads[f"gamma{i}"], grads[f"beta{i}"] = layer(f"{norm}_backward")(dhidden, norm_cache)
        dhidden, grads[f"W{i}"], grads[f"b{i}"] = layer("affine_backward")(dhidden, fc_cache)
    for i in range(1, num_layers + 1):
        grads[f"W{i}"] = grads[f"W{i}"] + reg * params[f"W{i}"]
    return loss, grads


def check_loss_and_grads(got, expected, description):
    loss, grads = got
    ref_loss, ref_grads = expected
    with case(description):
        assert_scalar_close(loss, ref_loss, "loss")
        for name in sorted(ref_grads):
            assert_close(grads[name], ref_grads[name], f"grads[{name!r}]")


# (N, D, hidden_dims, C): no hidden layer, one, two and three; N, D and the
# layer sizes differ so that a misplaced axis shows.
SHAPES = [
    (3, 5, [], 4),
    (1, 6, [4], 3),
    (7, 8, [6, 5], 4),
    (10, 12, [9, 7, 6], 5),
]


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("normalization", [None, "batchnorm"])
def test_init_shapes(student, normalization):
    d, hidden_dims, c = 9, [7, 5], 4
    net = student.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=d, num_classes=c,
                      normalization=normalization, weight_scale=0.1)
    params = get_params(net, param_shapes(d, hidden_dims, c, normalization))
    for name, value in params.items():
        if name.startswith("W") and np.all(value == 0):
            raise CheckFailed(f"params[{name!r}] is all zeros; draw the weights from "
                              "weight_scale * np.random.randn(...)")
        if name.startswith(("b", "beta")):
            assert_close(value, np.zeros_like(value), f"params[{name!r}] (it starts at zero)")
        if name.startswith("gamma"):
            assert_close(value, np.ones_like(value), f"params[{name!r}] (it starts at one)")


@pytest.mark.public
@pytest.mark.points(1)
def test_initial_loss_is_log_of_the_number_of_classes(student, rng):
    """With tiny weights every score is about 0, so the softmax loss is about log(C)."""
    n, d, c = 8, 15, 7
    net = student.new(MOD, "FullyConnectedNet", [10, 12], input_dim=d, num_classes=c, weight_scale=1e-4,
                      dtype="float64")
    X = rng.standard_normal((n, d))
    assert_array(net.call("loss", X), "FullyConnectedNet.loss(X) (the scores)", (n, c))
    loss, _ = call_loss(net, X, rng.integers(0, c, size=n), [])
    assert_scalar_close(loss, np.log(c), f"the loss of a net with tiny weights and {c} classes "
                        "(it should be close to log(C))", tol=1e-4)


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("reg", [0.0, 3.14])
def test_gradients_match_numerical_gradient(student, rng, reg):
    n, d, hidden_dims, c = 4, 5, [6, 4], 3
    X, y, params = problem(rng, n, d, hidden_dims, c)
    net = new_net(student, d, hidden_dims, c, params, reg=reg)
    _, grads = call_loss(net, X, y, list(params))
    for name in sorted(params):
        def f(value, name=name):
            net.set("params", {**params, name: value})
            return float(call_loss(net, X, y, [])[0])
        num_grad = numerical_gradient(f, params[name])
        with case(f"FullyConnectedNet.loss with two hidden layers and reg={reg}, gradient of {name} "
                  "vs the numerical gradient"):
            assert_matches_numerical(grads[name], num_grad, f"grads[{name!r}]")


# ------------------------------------------------------------------ hidden: initialization

@pytest.mark.points(2)
def test_init_statistics(student):
    """Weights ~ N(0, weight_scale**2) in every layer, estimated on large layers."""
    d, hidden_dims, c, scale = 600, [120, 150], 200, 0.037
    net = student.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=d, num_classes=c, weight_scale=scale)
    params = get_params(net, param_shapes(d, hidden_dims, c, None))
    for name in ("W1", "W2", "W3"):
        w = params[name]
        # With >= 18000 samples the estimates are within a few percent (mean: 5 standard errors).
        if not (abs(np.std(w) / scale - 1) <= 0.04 and abs(np.mean(w)) <= 5 * scale / np.sqrt(w.size)):
            raise CheckFailed(
                f"params[{name!r}] of shape {w.shape} with weight_scale={scale} has mean {np.mean(w):.3g} "
                f"and standard deviation {np.std(w):.3g}; draw it from a normal distribution with mean 0 "
                "and standard deviation weight_scale")


@pytest.mark.points(1)
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_init_parameter_names(student, normalization):
    """gamma and beta for the hidden layers only, and only with normalization; no other entries."""
    d, hidden_dims, c = 5, [4, 6, 3], 2
    net = student.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=d, num_classes=c,
                      normalization=normalization)
    with case(f"FullyConnectedNet with three hidden layers and normalization={normalization!r}"):
        params = get_params(net, param_shapes(d, hidden_dims, c, normalization))
    for name, value in params.items():
        if name.startswith("gamma"):
            assert_close(value, np.ones_like(value), f"params[{name!r}] (it starts at one)")
        elif not name.startswith("W"):
            assert_close(value, np.zeros_like(value), f"params[{name!r}] (it starts at zero)")


@pytest.mark.points(1)
def test_init_without_hidden_layers(student):
    net = student.new(MOD, "FullyConnectedNet", [], input_dim=6, num_classes=3)
    with case("FullyConnectedNet([]) (no hidden layer: one affine layer)"):
        get_params(net, param_shapes(6, [], 3, None))


@pytest.mark.points(1)
def test_init_defaults(student):
    """FullyConnectedNet([50]) is a CIFAR-10 net: D = 3072, C = 10, weight_scale 1e-2, float32."""
    net = student.new(MOD, "FullyConnectedNet", [50])
    params = get_params(net, param_shapes(3072, [50], 10, None))
    if not abs(np.std(params["W1"]) / 1e-2 - 1) <= 0.03:
        raise CheckFailed(f"params['W1'] of FullyConnectedNet([50]) has standard deviation "
                          f"{np.std(params['W1']):.3g}; the default weight_scale is 1e-2")


# ------------------------------------------------------------------ hidden: the plain net against the reference

@pytest.mark.points(1)
def test_scores_match_reference(student, reference, rng):
    for n, d, hidden_dims, c in SHAPES:
        X, _, params = problem(rng, n, d, hidden_dims, c)
        scores = new_net(student, d, hidden_dims, c, params).call("loss", X)
        ref_scores = new_net(reference, d, hidden_dims, c, params).call("loss", X)
        with case(f"FullyConnectedNet.loss(X) (no labels) with hidden_dims={hidden_dims}"):
            assert_close(scores, ref_scores, "scores")


@pytest.mark.points(3)
@pytest.mark.parametrize("reg", [0.0, 0.25, 3.0])
def test_loss_and_gradients_match_reference(student, reference, rng, reg):
    for n, d, hidden_dims, c in SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c)
        got = call_loss(new_net(student, d, hidden_dims, c, params, reg=reg), X, y, list(params))
        expected = new_net(reference, d, hidden_dims, c, params, reg=reg).call("loss", X, y)
        check_loss_and_grads(got, expected, f"FullyConnectedNet.loss(X, y) with reg={reg} and "
                             f"hidden_dims={hidden_dims}")


@pytest.mark.points(1)
def test_inputs_with_several_dimensions(student, reference, rng):
    """Images of shape (3, 4, 4) are flattened by the first affine layer."""
    X = rng.standard_normal((5, 3, 4, 4))
    y = rng.integers(0, 6, size=5)
    params = random_params(rng, 48, [10, 8], 6)
    got = call_loss(new_net(student, 48, [10, 8], 6, params, reg=0.1), X, y, list(params))
    expected = new_net(reference, 48, [10, 8], 6, params, reg=0.1).call("loss", X, y)
    check_loss_and_grads(got, expected, "FullyConnectedNet.loss(X, y) with X of shape (5, 3, 4, 4)")


# ------------------------------------------------------------------ hidden: composition with the student's layers

NORM_SHAPES = [(6, 5, [7], 3), (9, 8, [6, 5], 4), (12, 7, [8, 6, 5], 3)]


@pytest.mark.points(3)
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_normalized_net_uses_your_layers(student, rng, normalization):
    """Training mode: the loss and every gradient (gamma and beta unregularized) equal those
    of your layers chained by hand."""
    for n, d, hidden_dims, c in NORM_SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c, normalization)
        net = new_net(student, d, hidden_dims, c, params, reg=0.7, normalization=normalization)
        got = call_loss(net, X, y, list(params))
        norm_params = [{"mode": "train"} if normalization == "batchnorm" else {} for _ in hidden_dims]
        expected = composed(student, params, X, y, 0.7, normalization, norm_params)
        check_loss_and_grads(got, expected, f"FullyConnectedNet with normalization={normalization!r} and "
                             f"hidden_dims={hidden_dims}, against your own layers chained as "
                             "{affine - norm - relu} x (L - 1) - affine - softmax")


@pytest.mark.points(2)
def test_batchnorm_net_test_mode_uses_running_averages(student, rng):
    """Without labels every batchnorm layer runs in test mode with its own bn_params entry."""
    n, d, hidden_dims, c = 5, 6, [7, 4], 3
    X, _, params = problem(rng, n, d, hidden_dims, c, "batchnorm")
    bn_params = [{"mode": "train", "running_mean": rng.standard_normal(h), "running_var": rng.uniform(0.5, 2, size=h)}
                 for h in hidden_dims]
    net = new_net(student, d, hidden_dims, c, params, normalization="batchnorm")
    net.set("bn_params", bn_params)
    scores = net.call("loss", X)
    expected = composed(student, params, X, None, 0.0, "batchnorm", [{**p, "mode": "test"} for p in bn_params])
    with case("FullyConnectedNet.loss(X) with batchnorm (test mode, the running averages in net.bn_params) "
              "against your own layers"):
        assert_close(scores, expected, "scores")


@pytest.mark.points(1)
def test_batchnorm_net_keeps_running_averages(student, rng):
    """A training pass stores every layer's running averages in its own net.bn_params entry."""
    n, d, hidden_dims, c = 8, 5, [6, 4], 3
    X, y, params = problem(rng, n, d, hidden_dims, c, "batchnorm")
    net = new_net(student, d, hidden_dims, c, params, normalization="batchnorm")
    call_loss(net, X, y, [])
    bn_params = net.get("bn_params")
    if not isinstance(bn_params, list) or len(bn_params) != len(hidden_dims):
        raise CheckFailed(f"net.bn_params should stay a list of {len(hidden_dims)} dicts; it is "
                          f"{describe(bn_params)}")
    for i, (param, h) in enumerate(zip(bn_params, hidden_dims), start=1):
        mean = param.get("running_mean") if isinstance(param, dict) else None
        if not isinstance(mean, np.ndarray) or mean.shape != (h,) or np.all(mean == 0):
            raise CheckFailed(f"after a training pass net.bn_params[{i - 1}] has no updated running_mean of "
                              f"shape ({h},); pass self.bn_params[{i - 1}] to layer {i}'s batchnorm_forward")


@pytest.mark.points(2)
def test_dropout_net_uses_your_layers(student, rng):
    """Training mode with a seed: the same masks as your dropout_forward with the net's dropout_param."""
    for n, d, hidden_dims, c in NORM_SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c)
        net = new_net(student, d, hidden_dims, c, params, reg=0.3, dropout_keep_ratio=0.6, seed=11)
        got = call_loss(net, X, y, list(params))
        expected = composed(student, params, X, y, 0.3, dropout_param={"mode": "train", "p": 0.6, "seed": 11})
        check_loss_and_grads(got, expected, f"FullyConnectedNet with dropout_keep_ratio=0.6 and "
                             f"hidden_dims={hidden_dims}, against your own layers chained as "
                             "{affine - relu - dropout} x (L - 1) - affine - softmax")


@pytest.mark.points(1)
def test_dropout_net_test_mode(student, rng):
    """Without labels the dropout layers run in test mode."""
    n, d, hidden_dims, c = 6, 5, [8, 7], 4
    X, _, params = problem(rng, n, d, hidden_dims, c)
    scores = new_net(student, d, hidden_dims, c, params, dropout_keep_ratio=0.5, seed=2).call("loss", X)
    expected = composed(student, params, X, None, 0.0, dropout_param={"mode": "test", "p": 0.5})
    with case("FullyConnectedNet.loss(X) with dropout (test mode) against your own layers"):
        assert_close(scores, expected, "scores")


@pytest.mark.points(1)
def test_dropout_and_batchnorm_together(student, rng):
    n, d, hidden_dims, c = 10, 6, [8, 5], 3
    X, y, params = problem(rng, n, d, hidden_dims, c, "batchnorm")
    net = new_net(student, d, hidden_dims, c, params, reg=0.2, normalization="batchnorm",
                  dropout_keep_ratio=0.75, seed=4)
    got = call_loss(net, X, y, list(params))
    expected = composed(student, params, X, y, 0.2, "batchnorm", [{"mode": "train"} for _ in hidden_dims],
                        {"mode": "train", "p": 0.75, "seed": 4})
    check_loss_and_grads(got, expected, "FullyConnectedNet with batchnorm and dropout, against your own "
                         "layers chained as {affine - batchnorm - relu - dropout} x (L - 1) - affine - softmax")


# ------------------------------------------------------------------ the saved net

def saved_names(path):
    """The array names in the .npz at `path` (already checked by load_saved_arrays)."""
    with zipfile.ZipFile(path) as archive:
        return {name.removesuffix(".npy") for name in archive.namelist()}


def load_saved_net(path):
    """(params, hidden_dims, normalization, bn_params) from the saved file; CheckFailed says what is wrong."""
    load_saved_arrays(path, ARTIFACT, ["W1"], NOTEBOOK, MAX_ARTIFACT_BYTES, model="a fully connected net")
    names = saved_names(path)
    num_layers = 0
    while f"W{num_layers + 1}" in names:
        num_layers += 1
    normalization = None
    if "gamma1" in names:
        normalization = "batchnorm" if "running_mean1" in names else "layernorm"
    keys = list(param_shapes(1, [1] * (num_layers - 1), 1, normalization))
    if normalization == "batchnorm":
        keys += [f"running_{stat}{i}" for i in range(1, num_layers) for stat in ("mean", "var")]
    hint = ("Save it with the notebook's last cell: np.savez(path, **best_model.params) plus, with "
            "batchnorm, running_mean{i} and running_var{i} from best_model.bn_params")
    arrays = load_saved_arrays(path, ARTIFACT, keys, NOTEBOOK, MAX_ARTIFACT_BYTES, hint=hint,
                               model="a fully connected net")
    for name, value in arrays.items():
        if value.dtype.kind != "f" or not np.all(np.isfinite(value)):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite floating-point numbers")
    if arrays["W1"].ndim != 2 or arrays["W1"].shape[0] != CIFAR10_DIM:
        raise CheckFailed(f"W1 in {ARTIFACT} has shape {arrays['W1'].shape}; expected ({CIFAR10_DIM}, D1): one "
                          "row per input value of a CIFAR-10 image")
    hidden_dims = [arrays[f"W{i}"].shape[1] if arrays[f"W{i}"].ndim == 2 else 0 for i in range(1, num_layers)]
    expected = param_shapes(CIFAR10_DIM, hidden_dims, CIFAR10_CLASSES, normalization)
    for i, h in enumerate(hidden_dims, start=1):
        expected[f"running_mean{i}"] = expected[f"running_var{i}"] = (h,)
    for name in keys:
        with case(f"the saved net in {ARTIFACT} (layer sizes {hidden_dims} read from the shapes of W1 ... "
                  f"W{num_layers - 1})"):
            assert_array(arrays[name], name, expected[name])
    params = {k: arrays[k] for k in expected if k in arrays and not k.startswith("running_")}
    bn_params = [{"mode": "test", "running_mean": arrays[f"running_mean{i}"], "running_var": arrays[f"running_var{i}"]}
                 for i in range(1, num_layers)] if normalization == "batchnorm" else None
    return params, hidden_dims, normalization, bn_params


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


_accuracies = {}  # saved file -> its accuracy or CheckFailed, computed once per file


@pytest.fixture
def saved_net_accuracy(artifact_path, reference, cifar10_test):
    """Test accuracy of the saved net (reference forward pass in test mode), or the
    CheckFailed that says why it cannot be scored."""
    path = artifact_path(ARTIFACT)
    if str(path) not in _accuracies:
        _accuracies[str(path)] = score_saved_net(path, reference, cifar10_test)
    return _accuracies[str(path)]


def score_saved_net(path, reference, cifar10_test):
    try:
        params, hidden_dims, normalization, bn_params = load_saved_net(path)
    except CheckFailed as exc:
        return exc
    X_test, y_test = cifar10_test
    net = reference.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=CIFAR10_DIM,
                        num_classes=CIFAR10_CLASSES, normalization=normalization, dtype="float64")
    net.set("params", {k: v.astype(np.float64) for k, v in params.items()})
    if bn_params is not None:
        net.set("bn_params", bn_params)
    scores = net.call("loss", X_test)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


def check_accuracy(accuracy, threshold):
    if isinstance(accuracy, CheckFailed):
        raise accuracy
    if not accuracy >= threshold:
        raise CheckFailed(f"the net saved in {ARTIFACT} classifies {accuracy:.1%} of the test images "
                          f"correctly; this test needs at least {threshold:.0%}")


@pytest.mark.points(1)
def test_saved_net_reaches_45_percent(saved_net_accuracy):
    check_accuracy(saved_net_accuracy, 0.45)


@pytest.mark.points(2)
def test_saved_net_reaches_50_percent(saved_net_accuracy):
    check_accuracy(saved_net_accuracy, 0.50)
