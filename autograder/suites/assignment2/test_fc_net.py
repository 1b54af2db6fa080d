"""FullyConnectedNet (cs231n/classifiers/fc_net.py) and the net FullyConnectedNets.ipynb saves.

Students write FullyConnectedNet.__init__ (weights ~ N(0, weight_scale**2),
zero biases, gamma ones and beta zeros for the hidden layers with
normalization) and FullyConnectedNet.loss (the forward pass through
{affine - [norm] - relu - [dropout]} x (L - 1) - affine, the softmax loss
plus 0.5 * reg * sum(W_i**2), and the backward pass). Each test checks one
thing:

* initialization: the parameter names and shapes (public), the weights'
  statistics, the starting values of biases, gamma and beta, and the net
  without hidden layers;
* the net is a composition of layers: its scores, loss and gradients must be
  the correct ones or what the student's OWN layers (layers.py, chained here
  as the class docstring says) give, so a wrong layer costs that layer's
  tests, not these; with batchnorm, the composition with batchnorm_backward
  or with batchnorm_backward_alt counts;
* regularization is checked alone, by loss(reg) - loss(0) (every other loss
  test has reg = 0), with and without normalization (gamma and beta are not
  regularized);
* with batchnorm: test mode uses each layer's running averages in
  net.bn_params, and a training pass stores them there; with dropout: masks
  drawn with the net's seed, and test mode.

Tests set the parameters themselves with net.set("params", ...), keeping the
keys in the order the student's own __init__ made them, so after the
initialization tests nothing depends on the student's random numbers.

The last tests score the parameters the notebook saves
(artifacts/FullyConnectedNets_best.npz: W1, b1, ..., WL, bL, and gamma{i},
beta{i} with normalization, plus running_mean{i} and running_var{i} with
batchnorm) on the grader's held-out images (data/heldout.py: CIFAR-10 test
images moved and mirrored, which students do not have), preprocessed as
get_CIFAR10_data() does, with the reference forward pass in test mode, in
the grader's process.
"""
import re
import zipfile

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close, assert_l2_regularization,
                                assert_matches, assert_scalar_close, case, describe, load_saved_arrays,
                                numerical_gradient, unpack)

MOD = "cs231n.classifiers.fc_net"
LAYERS = "cs231n.layers"
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries

ARTIFACT, NOTEBOOK = "artifacts/FullyConnectedNets_best.npz", "FullyConnectedNets.ipynb"
CIFAR10_DIM, CIFAR10_CLASSES = 3 * 32 * 32, 10
MAX_ARTIFACT_BYTES = 256 * 2**20


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
    """A float64 FullyConnectedNet (student's or reference) with the given parameters, set in the
    key order the net's own __init__ made (code may rely on it)."""
    net = code.new(MOD, "FullyConnectedNet", list(hidden_dims), input_dim=d, num_classes=c,
                   dtype="float64", **options)
    own = net.get("params")
    order = [k for k in own if k in params] if isinstance(own, dict) else []
    net.set("params", {k: params[k].copy() for k in order + [k for k in params if k not in order]})
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
    return loss, {name: grads[name] for name in names}


def problem(rng, n, d, hidden_dims, c, normalization=None):
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    return X, y, random_params(rng, d, hidden_dims, c, normalization)


def composed(code, params, X, y, reg=0.0, normalization=None, norm_params=None, dropout_param=None,
             batchnorm_backward="batchnorm_backward"):
    """What FullyConnectedNet.loss computes, built from `code`'s own layers.

    Returns the scores when y is None, else (loss, grads).
    norm_params: one bn_param/ln_param dict per hidden layer; dropout_param:
    the dropout layers' dict, or None without dropout; batchnorm_backward: the
    name of the batchnorm backward pass to use.
    """
    def layer(name):
        return code.function(LAYERS, name)

    def pair(value, name):
        return unpack(value, ["out", "cache"], name)

    num_layers = sum(1 for name in params if re.fullmatch(r"W\d+", name))
    hidden, caches = X, []
    for i in range(1, num_layers):
        hidden, fc_cache = pair(layer("affine_forward")(hidden, params[f"W{i}"], params[f"b{i}"]), "affine_forward")
        norm_cache = None
        if normalization:
            hidden, norm_cache = pair(layer(f"{normalization}_forward")(hidden, params[f"gamma{i}"],
                                                                        params[f"beta{i}"], norm_params[i - 1]),
                                      f"{normalization}_forward")
        hidden, relu_cache = pair(layer("relu_forward")(hidden), "relu_forward")
        mask_cache = None
        if dropout_param is not None:
            hidden, mask_cache = pair(layer("dropout_forward")(hidden, dropout_param), "dropout_forward")
        caches.append((fc_cache, norm_cache, relu_cache, mask_cache))
    scores, scores_cache = pair(layer("affine_forward")(hidden, params[f"W{num_layers}"], params[f"b{num_layers}"]),
                                "affine_forward")
    if y is None:
        return scores

    loss, dscores = layer("softmax_loss")(scores, y)
    loss += 0.5 * reg * sum(np.sum(params[f"W{i}"] ** 2) for i in range(1, num_layers + 1))
    grads = {}
    dhidden, grads[f"W{num_layers}"], grads[f"b{num_layers}"] = layer("affine_backward")(dscores, scores_cache)
    norm_backward = batchnorm_backward if normalization == "batchnorm" else f"{normalization}_backward"
    for i in range(num_layers - 1, 0, -1):
        fc_cache, norm_cache, relu_cache, mask_cache = caches[i - 1]
        if dropout_param is not None:
            dhidden = layer("dropout_backward")(dhidden, mask_cache)
        dhidden = layer("relu_backward")(dhidden, relu_cache)
        if normalization:
            dhidden, grads[f"gamma{i}"], grads[f"beta{i}"] = layer(norm_backward)(dhidden, norm_cache)
        dhidden, grads[f"W{i}"], grads[f"b{i}"] = layer("affine_backward")(dhidden, fc_cache)
    for i in range(1, num_layers + 1):
        grads[f"W{i}"] = grads[f"W{i}"] + reg * params[f"W{i}"]
    return loss, grads


def own_compositions(student, params, X, y, **options):
    """What the student's own layers give, chained as the net does (with batchnorm: with
    batchnorm_backward, and with batchnorm_backward_alt); compositions whose layers raise or
    return malformed values are left out."""
    backwards = ["batchnorm_backward", "batchnorm_backward_alt"] if options.get("normalization") == "batchnorm" \
        else ["batchnorm_backward"]
    found = []
    for backward in backwards:
        try:
            found.append(composed(student, params, X, y, batchnorm_backward=backward, **options))
        except (StudentCodeError, CheckFailed, TypeError, ValueError, IndexError, KeyError):
            continue
    return found


def named(value):
    """{name for messages: value} of scores or of (loss, grads)."""
    if isinstance(value, tuple):
        return {"loss": value[0], **{f"grads[{k!r}]": v for k, v in sorted(value[1].items())}}
    return {"scores": value}


def _mismatch(got, expected):
    try:
        for name, want in expected.items():
            if name not in got:
                raise CheckFailed(f"{name} is missing")
            assert_matches(got[name], want, name)
    except CheckFailed as exc:
        return exc
    return None


def net_matches(got, expected, candidates):
    """Whether `got` matches the correct value or one of `candidates`, without failing."""
    got = named(got)
    return any(_mismatch(got, named(value)) is None for value in [expected, *candidates])


def assert_net_matches(got, expected, candidates, description, excused=None):
    """`got` (scores or (loss, grads)) must match `expected` (the correct value) or one of
    `candidates` (what the student's own layers give); the message is the comparison with the
    correct value. excused(): called on a mismatch; True means another test charges what is wrong
    (for example the plain net, wrong already), and the mismatch is not counted here."""
    got = named(got)
    if any(_mismatch(got, named(candidate)) is None for candidate in candidates):
        return
    problem = _mismatch(got, named(expected))
    if problem is not None and excused is not None and excused():
        return
    if problem is not None:
        own = " (nor what your own layers give, chained as the class docstring says)" if candidates else ""
        raise CheckFailed(f"{description}: {problem}{own}")


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
def test_init_shapes(student):
    """The parameter names and shapes of the class docstring, with and without normalization."""
    d, hidden_dims, c = 9, [7, 5], 4
    for normalization in (None, "batchnorm", "layernorm"):
        net = student.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=d, num_classes=c,
                          normalization=normalization, weight_scale=0.1)
        with case(f"FullyConnectedNet({hidden_dims}, normalization={normalization!r})"):
            get_params(net, param_shapes(d, hidden_dims, c, normalization))


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
def test_gradients_match_numerical_gradient(student, rng):
    """Two hidden layers, reg = 0: the gradients against a numerical gradient of the net's own loss,
    or, where your layers' backward passes do not match their forward passes, what those layers give."""
    n, d, hidden_dims, c = 4, 5, [6, 4], 3
    X, y, params = problem(rng, n, d, hidden_dims, c)
    net = new_net(student, d, hidden_dims, c, params)
    order = list(net.get("params"))
    _, grads = call_loss(net, X, y, list(params))
    numerical = {}
    for name in sorted(params):
        def f(value, name=name):
            net.set("params", {k: (value if k == name else params[k]) for k in order})
            return call_loss(net, X, y, [])[0]
        numerical[name] = numerical_gradient(f, params[name], name="FullyConnectedNet.loss")
    for candidate in own_compositions(student, params, X, y):
        if _mismatch(named((0.0, grads)), named((0.0, candidate[1]))) is None:
            return  # what your own layers give; whether they are right is their tests' business
    with case("FullyConnectedNet.loss with two hidden layers and reg=0, vs the numerical gradient"):
        for name in sorted(params):
            assert_matches_numerical(grads[name], numerical[name], f"grads[{name!r}]")


@pytest.mark.public
@pytest.mark.points(1)
def test_regularization_convention(student, rng):
    """The docstring's convention: the loss grows by 0.5 * reg * sum of every W_i**2, the weights'
    gradients by reg * W_i; biases (and gamma and beta, with normalization) are not regularized."""
    d, hidden_dims, c = 5, [6, 4], 3
    for normalization in (None, "layernorm"):
        X, y, params = problem(rng, 6, d, hidden_dims, c, normalization)
        if normalization and not own_compositions(student, params, X, y, normalization=normalization,
                                                  norm_params=[{} for _ in hidden_dims]):
            continue  # your layernorm does not run yet: its own tests count that

        def loss_at(reg):
            net = new_net(student, d, hidden_dims, c, params, reg=reg, normalization=normalization)
            loss, grads = call_loss(net, X, y, [f"W{i}" for i in range(1, len(hidden_dims) + 2)])
            every = net.call("loss", X, y)[1]  # the other gradients too, where the net has them
            return loss, {f"grads[{k!r}]": v for k, v in {**every, **grads}.items() if k in params}

        weights = {f"grads['W{i}']": params[f"W{i}"] for i in range(1, len(hidden_dims) + 2)}
        assert_l2_regularization(loss_at, weights, reg=0.9, factor=0.5, penalty="sum of W_i**2 over the layers",
                                 what=f"FullyConnectedNet.loss with normalization={normalization!r}")


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
def test_init_biases_gamma_and_beta(student):
    """Biases and beta start at zero, gamma at one (where the shapes are right: the shapes test
    counts them otherwise)."""
    d, hidden_dims, c = 5, [4, 6, 3], 2
    for normalization in (None, "batchnorm", "layernorm"):
        net = student.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=d, num_classes=c,
                          normalization=normalization)
        params = net.get("params")
        shapes = param_shapes(d, hidden_dims, c, normalization)
        for name, shape in shapes.items():
            value = params.get(name) if isinstance(params, dict) else None
            if name.startswith("W") or not isinstance(value, np.ndarray) or value.shape != shape:
                continue
            start = np.ones(shape) if name.startswith("gamma") else np.zeros(shape)
            with case(f"FullyConnectedNet with normalization={normalization!r}"):
                assert_close(value, start, f"params[{name!r}] (it starts at {'one' if name.startswith('gamma') else 'zero'})")


@pytest.mark.points(1)
def test_init_without_hidden_layers(student):
    net = student.new(MOD, "FullyConnectedNet", [], input_dim=6, num_classes=3)
    with case("FullyConnectedNet([]) (no hidden layer: one affine layer)"):
        get_params(net, param_shapes(6, [], 3, None))


# ------------------------------------------------------------------ hidden: the plain net

@pytest.mark.points(1)
def test_scores_match(student, reference, rng):
    for n, d, hidden_dims, c in SHAPES:
        X, _, params = problem(rng, n, d, hidden_dims, c)
        scores = new_net(student, d, hidden_dims, c, params).call("loss", X)
        expected = new_net(reference, d, hidden_dims, c, params).call("loss", X)
        assert_net_matches(scores, expected, own_compositions(student, params, X, None),
                           f"FullyConnectedNet.loss(X) (no labels) with hidden_dims={hidden_dims}")


@pytest.mark.points(3)
def test_loss_and_gradients_match(student, reference, rng):
    for n, d, hidden_dims, c in SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c)
        got = call_loss(new_net(student, d, hidden_dims, c, params), X, y, list(params))
        expected = new_net(reference, d, hidden_dims, c, params).call("loss", X, y)
        assert_net_matches(got, expected, own_compositions(student, params, X, y),
                           f"FullyConnectedNet.loss(X, y) with reg=0 and hidden_dims={hidden_dims}")


@pytest.mark.points(1)
def test_inputs_with_several_dimensions(student, reference, rng):
    """Images of shape (3, 4, 4) are flattened by the first affine layer."""
    X = rng.standard_normal((5, 3, 4, 4))
    y = rng.integers(0, 6, size=5)
    params = random_params(rng, 48, [10, 8], 6)
    got = call_loss(new_net(student, 48, [10, 8], 6, params), X, y, list(params))
    expected = new_net(reference, 48, [10, 8], 6, params).call("loss", X, y)
    assert_net_matches(got, expected, own_compositions(student, params, X, y),
                       "FullyConnectedNet.loss(X, y) with X of shape (5, 3, 4, 4)",
                           excused=lambda: plain_net_is_wrong(student, reference))


# ------------------------------------------------------------------ hidden: normalization and dropout
# These check how the net adds normalization and dropout; where the plain net is wrong already
# (its own tests count that), a mismatch here is not counted again.

def net_is_wrong(student, reference, **options):
    """Whether the net (two hidden layers, with `options`: normalization, dropout) gives wrong scores or
    a wrong loss and gradients in training mode, with neither matching what the student's own layers
    give. A net that raises or returns malformed values counts as wrong, too."""
    rng = np.random.default_rng(2024)
    n, d, hidden_dims, c = 6, 7, [5, 4], 3
    normalization = options.get("normalization")
    X, y, params = problem(rng, n, d, hidden_dims, c, normalization)
    layers = {}
    if normalization:
        layers.update(normalization=normalization, norm_params=norm_params_for(normalization, hidden_dims))
    if "dropout_keep_ratio" in options:
        layers.update(dropout_param={"mode": "train", "p": options["dropout_keep_ratio"], "seed": options["seed"]})
    try:
        got = call_loss(new_net(student, d, hidden_dims, c, params, **options), X, y, list(params))
    except (StudentCodeError, CheckFailed):
        return True
    expected = new_net(reference, d, hidden_dims, c, params, **options).call("loss", X, y)
    if not net_matches(got, expected, own_compositions(student, params, X, y, **layers)):
        return True
    if options:
        return False
    try:
        scores = new_net(student, d, hidden_dims, c, params).call("loss", X)
    except (StudentCodeError, CheckFailed):
        return True
    expected_scores = new_net(reference, d, hidden_dims, c, params).call("loss", X)
    return not net_matches(scores, expected_scores, own_compositions(student, params, X, None))


def plain_net_is_wrong(student, reference):
    return net_is_wrong(student, reference)


def norm_params_for(normalization, hidden_dims):
    return [{"mode": "train"} if normalization == "batchnorm" else {} for _ in hidden_dims]


NORM_SHAPES = [(6, 5, [7], 3), (9, 8, [6, 5], 4), (12, 7, [8, 6, 5], 3)]


@pytest.mark.points(3)
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_normalized_net_matches(student, reference, rng, normalization):
    """Training mode: the loss and every gradient, the correct ones or those of your layers chained
    as {affine - norm - relu} x (L - 1) - affine - softmax."""
    for n, d, hidden_dims, c in NORM_SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c, normalization)
        got = call_loss(new_net(student, d, hidden_dims, c, params, normalization=normalization), X, y, list(params))
        expected = new_net(reference, d, hidden_dims, c, params, normalization=normalization).call("loss", X, y)
        assert_net_matches(got, expected, own_compositions(student, params, X, y, normalization=normalization,
                                                           norm_params=norm_params_for(normalization, hidden_dims)),
                           f"FullyConnectedNet with normalization={normalization!r} and hidden_dims={hidden_dims}",
                           excused=lambda: plain_net_is_wrong(student, reference))


@pytest.mark.points(2)
def test_batchnorm_net_test_mode_uses_running_averages(student, reference, rng):
    """Without labels every batchnorm layer runs in test mode with its own bn_params entry."""
    n, d, hidden_dims, c = 5, 6, [7, 4], 3
    X, _, params = problem(rng, n, d, hidden_dims, c, "batchnorm")
    bn_params = [{"mode": "train", "running_mean": rng.standard_normal(h), "running_var": rng.uniform(0.5, 2, size=h)}
                 for h in hidden_dims]
    nets = [new_net(code, d, hidden_dims, c, params, normalization="batchnorm") for code in (student, reference)]
    for net in nets:
        net.set("bn_params", bn_params)
    scores, expected = (net.call("loss", X) for net in nets)
    own = own_compositions(student, params, X, None, normalization="batchnorm",
                           norm_params=[{**p, "mode": "test"} for p in bn_params])
    assert_net_matches(scores, expected, own, "FullyConnectedNet.loss(X) with batchnorm (test mode, the running "
                       "averages in net.bn_params)",
                           excused=lambda: plain_net_is_wrong(student, reference))


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
def test_dropout_net_matches(student, reference, rng):
    """Training mode with a seed: the correct loss and gradients, or those of your layers with your
    dropout_forward's masks (the net's dropout_param)."""
    for n, d, hidden_dims, c in NORM_SHAPES:
        X, y, params = problem(rng, n, d, hidden_dims, c)
        options = dict(dropout_keep_ratio=0.6, seed=11)
        got = call_loss(new_net(student, d, hidden_dims, c, params, **options), X, y, list(params))
        expected = new_net(reference, d, hidden_dims, c, params, **options).call("loss", X, y)
        assert_net_matches(got, expected, own_compositions(student, params, X, y,
                                                           dropout_param={"mode": "train", "p": 0.6, "seed": 11}),
                           f"FullyConnectedNet with dropout_keep_ratio=0.6 and hidden_dims={hidden_dims}",
                           excused=lambda: plain_net_is_wrong(student, reference))


@pytest.mark.points(1)
def test_dropout_net_test_mode(student, reference, rng):
    """Without labels the dropout layers run in test mode."""
    n, d, hidden_dims, c = 6, 5, [8, 7], 4
    X, _, params = problem(rng, n, d, hidden_dims, c)
    options = dict(dropout_keep_ratio=0.5, seed=2)
    scores = new_net(student, d, hidden_dims, c, params, **options).call("loss", X)
    expected = new_net(reference, d, hidden_dims, c, params, **options).call("loss", X)
    assert_net_matches(scores, expected, own_compositions(student, params, X, None,
                                                          dropout_param={"mode": "test", "p": 0.5}),
                       "FullyConnectedNet.loss(X) with dropout (test mode)",
                           excused=lambda: plain_net_is_wrong(student, reference))


@pytest.mark.points(1)
def test_dropout_and_batchnorm_together(student, reference, rng):
    """Both in one net; checked where the net is right with each of them alone."""
    n, d, hidden_dims, c = 10, 6, [8, 5], 3
    X, y, params = problem(rng, n, d, hidden_dims, c, "batchnorm")
    options = dict(normalization="batchnorm", dropout_keep_ratio=0.75, seed=4)
    got = call_loss(new_net(student, d, hidden_dims, c, params, **options), X, y, list(params))
    expected = new_net(reference, d, hidden_dims, c, params, **options).call("loss", X, y)
    own = own_compositions(student, params, X, y, normalization="batchnorm",
                           norm_params=norm_params_for("batchnorm", hidden_dims),
                           dropout_param={"mode": "train", "p": 0.75, "seed": 4})
    assert_net_matches(got, expected, own, "FullyConnectedNet with batchnorm and dropout",
                       excused=lambda: (net_is_wrong(student, reference, normalization="batchnorm")
                                        or net_is_wrong(student, reference, dropout_keep_ratio=0.75, seed=4)))


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
def heldout_images(cifar10_heldout):
    """(X (N, 3, 32, 32) float64, y (N,)): the held-out images preprocessed as get_CIFAR10_data()
    preprocesses the notebook's data (minus the mean training image, channels first)."""
    X = cifar10_heldout.X.astype(np.float32) - cifar10_heldout.train_mean.astype(np.float32)
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2)).astype(np.float64), cifar10_heldout.y


def saved_net_accuracy(artifact_path, reference, heldout_images):
    """Held-out accuracy of the saved net, computed with the reference forward pass in test mode."""
    params, hidden_dims, normalization, bn_params = load_saved_net(artifact_path(ARTIFACT))
    X, y = heldout_images
    net = reference.new(MOD, "FullyConnectedNet", hidden_dims, input_dim=CIFAR10_DIM,
                        num_classes=CIFAR10_CLASSES, normalization=normalization, dtype="float64")
    net.set("params", {k: v.astype(np.float64) for k, v in params.items()})
    if bn_params is not None:
        net.set("bn_params", bn_params)
    scores = net.call("loss", X)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def check_accuracy(artifact_path, reference, heldout_images, once, threshold):
    accuracy = once(ARTIFACT, lambda: saved_net_accuracy(artifact_path, reference, heldout_images))
    if not accuracy >= threshold:
        raise CheckFailed(f"the net saved in {ARTIFACT} classifies {accuracy:.1%} of the grader's held-out "
                          f"images correctly; this test needs at least {threshold:.0%}")


# The reference notebook's net (two hidden layers with batchnorm) scores 50.4% on the held-out
# images (53.3% on the test split, 52.0% on the validation split).
@pytest.mark.points(1)
def test_saved_net_reaches_45_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.45)


@pytest.mark.points(2)
def test_saved_net_reaches_48_percent(artifact_path, reference, heldout_images, once):
    check_accuracy(artifact_path, reference, heldout_images, once, 0.48)
