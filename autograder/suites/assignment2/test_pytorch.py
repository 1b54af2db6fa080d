"""The PyTorch networks (cs231n/pytorch_models.py) and the network PyTorch.ipynb saves.

Students write three_layer_convnet and init_three_layer_convnet (the
barebones API), ThreeLayerConvNet (nn.Module), three_layer_convnet_sequential
(nn.Sequential) and build_model(), their own CIFAR-10 network. Tensors cross
to the student's code and back by value (autograder/testkit/wire.py): the
tests send weights with load_state_dict and compare scores with the
reference's, computed from the same weights, so nothing depends on the
student's random numbers.

The last tests score the network the notebook saves (artifacts/PyTorch_model.npz,
its state_dict as arrays, read here with allow_pickle=False and never
unpickled): the architecture is student code, so the student's build_model()
runs in the sandbox, receives the weights by value, and returns scores for
the grader's held-out images (data/heldout.py), sent by value as ToTensor()
makes images; the labels stay here and the accuracy is computed here.
"""
import zipfile

import numpy as np
import pytest
import torch

from autograder.testkit import (CheckFailed, Remote, StudentCodeError, assert_close, case, describe,
                                load_saved_arrays)

MOD = "cs231n.pytorch_models"
VALUE_TOL = 1e-8  # float64 scores of the same weights: only the summation order differs

ARTIFACT, NOTEBOOK = "artifacts/PyTorch_model.npz", "PyTorch.ipynb"
IMAGE_SHAPE, NUM_CLASSES = (3, 32, 32), 10
IMAGES_PER_CALL = 250    # one forward pass; the docstring of build_model asks for well under 10 s on one thread
MAX_ARTIFACT_BYTES = 128 * 2**20  # ResNet-18 for CIFAR-10 is about 45 MiB
MAX_SAVED_ARRAYS = 2000


def as_array(value, name, shape, dtype=None):
    """The NumPy copy of tensor `value` of `shape` (and `dtype`); CheckFailed otherwise."""
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{name} should be a torch tensor; got {describe(value)}")
    if tuple(value.shape) != tuple(shape):
        raise CheckFailed(f"{name} has shape {tuple(value.shape)}; expected {tuple(shape)}")
    if dtype is not None and value.dtype != dtype:
        raise CheckFailed(f"{name} has dtype {value.dtype}; expected {dtype}")
    if value.dtype.is_complex:
        raise CheckFailed(f"{name} has dtype {value.dtype}; expected a real-valued tensor")
    return value.detach().cpu().numpy()


def float32_error(got, expected):
    """The largest difference of float32 results from `expected`, relative to the largest expected
    value (at least 1); inf where `got` is not finite.

    (Elementwise relative errors of float32 scores near zero depend on the summation order.)
    """
    if not np.all(np.isfinite(got)):
        return float("inf")
    scale = max(1.0, float(np.max(np.abs(expected))))
    return float(np.max(np.abs(got.astype(np.float64) - expected))) / scale


def tensors(arrays):
    """NumPy arrays (a list or a dict of them) as torch tensors."""
    if isinstance(arrays, dict):
        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
    return [torch.from_numpy(np.ascontiguousarray(v)) for v in arrays]


# ------------------------------------------------------------------ barebones API

def convnet_params(rng, c_in, c_1, c_2, kernel_1, kernel_2, height, width, classes):
    """[conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b] as float64 arrays.

    Weights with the Kaiming scale, so that about half of the units are
    active; non-zero biases, so that leaving one out shows.
    """
    (kh_1, kw_1), (kh_2, kw_2) = kernel_1, kernel_2
    d = c_2 * height * width
    return [
        rng.standard_normal((c_1, c_in, kh_1, kw_1)) * np.sqrt(2 / (c_in * kh_1 * kw_1)),
        0.3 * rng.standard_normal(c_1),
        rng.standard_normal((c_2, c_1, kh_2, kw_2)) * np.sqrt(2 / (c_1 * kh_2 * kw_2)),
        0.3 * rng.standard_normal(c_2),
        rng.standard_normal((d, classes)) * np.sqrt(2 / d),
        0.3 * rng.standard_normal(classes),
    ]


def identity_filters(channels, kh, kw):
    """(channels, channels, kh, kw) filters that copy every channel unchanged (with same padding)."""
    filters = np.zeros((channels, channels, kh, kw))
    for c in range(channels):
        filters[c, c, kh // 2, kw // 2] = 1.0
    return filters


def call_convnet(code, x, params):
    """three_layer_convnet(x, params) of `code`, scores checked to be an (N, C) tensor."""
    scores = code.function(MOD, "three_layer_convnet")(*tensors([x]), tensors(params))
    return as_array(scores, "three_layer_convnet(x, params)", (x.shape[0], params[5].shape[0]),
                    torch.float64 if x.dtype == np.float64 else torch.float32)


# (N, C_in, H, W, C_1, C_2, kernel_1, kernel_2, C): N, channels and classes differ so that a
# misplaced axis shows; odd and non-square images and kernels (a second kernel 5 high, where
# KH // 2 differs from KH // 3), N = 1, one input channel.
CONVNET_SHAPES = [
    (1, 3, 8, 8, 4, 5, (5, 5), (3, 3), 10),
    (2, 1, 7, 5, 3, 2, (3, 3), (1, 1), 4),
    (4, 2, 6, 9, 5, 3, (3, 5), (5, 3), 7),
    (3, 3, 32, 32, 6, 4, (5, 5), (3, 3), 10),
]


@pytest.mark.public
@pytest.mark.points(1)
def test_three_layer_convnet_shape_and_dtype(student, rng):
    n, c_in, c_1, c_2, classes = 4, 3, 6, 5, 10
    params = [p.astype(np.float32) for p in convnet_params(rng, c_in, c_1, c_2, (5, 5), (3, 3), 32, 32, classes)]
    x = rng.random((n, c_in, 32, 32), dtype=np.float32)
    with case("three_layer_convnet with float32 images of shape (4, 3, 32, 32)"):
        call_convnet(student, x, params)


@pytest.mark.public
@pytest.mark.points(1)
def test_three_layer_convnet_with_identity_filters(student, rng):
    """Filters that copy their input make the net relu(relu(x)) -> fc: checks padding, flatten and fc."""
    n, c, height, width, classes = 3, 2, 5, 7, 4
    x = rng.standard_normal((n, c, height, width))
    d = c * height * width
    fc_w, fc_b = rng.standard_normal((d, classes)), rng.standard_normal(classes)
    for kernel_1, kernel_2 in [((5, 5), (3, 3)), ((3, 1), (1, 5))]:
        params = [identity_filters(c, *kernel_1), np.zeros(c), identity_filters(c, *kernel_2), np.zeros(c),
                  fc_w, fc_b]
        expected = np.maximum(x, 0).reshape(n, d) @ fc_w + fc_b
        with case(f"three_layer_convnet with filters of sizes {kernel_1} and {kernel_2} that copy every "
                  "channel (the scores should be flatten(relu(x)) @ fc_w + fc_b)"):
            assert_close(call_convnet(student, x, params), expected, "scores", VALUE_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_init_three_layer_convnet_shapes(student):
    params = student.function(MOD, "init_three_layer_convnet")(3, 6, 4, 10)
    names = ["conv_w1", "conv_b1", "conv_w2", "conv_b2", "fc_w", "fc_b"]
    shapes = [(6, 3, 5, 5), (6,), (4, 6, 3, 3), (4,), (4 * 32 * 32, 10), (10,)]
    if not isinstance(params, (list, tuple)) or len(params) != 6:
        raise CheckFailed("init_three_layer_convnet(3, 6, 4, 10) should return a list of 6 tensors "
                          f"({', '.join(names)}); it returned {describe(params)}")
    with case("init_three_layer_convnet(3, 6, 4, 10)"):
        arrays = [as_array(p, name, shape, torch.float32) for p, name, shape in zip(params, names, shapes)]
        for name, array in zip(names, arrays):
            if name.startswith("conv_b") or name == "fc_b":
                assert_close(array, np.zeros_like(array), f"{name} (biases start at zero)")
            elif np.all(array == 0):
                raise CheckFailed(f"{name} is all zeros; draw the weights with random_weight")


@pytest.mark.points(3)
def test_three_layer_convnet_matches_reference(student, reference, rng):
    for n, c_in, height, width, c_1, c_2, kernel_1, kernel_2, classes in CONVNET_SHAPES:
        params = convnet_params(rng, c_in, c_1, c_2, kernel_1, kernel_2, height, width, classes)
        x = rng.standard_normal((n, c_in, height, width))
        with case(f"three_layer_convnet with x of shape {x.shape} and filters of sizes {kernel_1} and "
                  f"{kernel_2}"):
            assert_close(call_convnet(student, x, params), call_convnet(reference, x, params), "scores",
                         VALUE_TOL)


def own_float64_scores(student, x, params):
    """The student's three_layer_convnet on x and params cast to float64, or None where it fails."""
    try:
        return call_convnet(student, x.astype(np.float64), [p.astype(np.float64) for p in params])
    except (StudentCodeError, CheckFailed):
        return None


@pytest.mark.points(1)
def test_three_layer_convnet_keeps_float32(student, reference, rng):
    """float32 in, float32 out, as precise as float32 allows: the scores match the reference's, or the
    student's own net on the same inputs in float64, so that a net computing something else is
    charged by the value tests above, not a second time here."""
    params = [p.astype(np.float32) for p in convnet_params(rng, 3, 4, 3, (3, 3), (3, 3), 9, 11, 5)]
    x = rng.standard_normal((6, 3, 9, 11)).astype(np.float32)
    tol = 1e-4
    with case("three_layer_convnet with float32 x of shape (6, 3, 9, 11)"):
        got = call_convnet(student, x, params)
        err = float32_error(got, call_convnet(reference, x, params))
        if err <= tol:
            return
        own = own_float64_scores(student, x, params)
        own_err = float("inf") if own is None else float32_error(got, own)
        if not own_err <= tol:
            yours = ("your own three_layer_convnet failed on the same inputs in float64" if own is None else
                     f"from your own three_layer_convnet's on the same inputs in float64 by up to {own_err:.2g}")
            raise CheckFailed(f"scores has shape {got.shape} but its values differ from the reference by up to "
                              f"{err:.2g} of the largest score, and {yours} (allowed {tol:.0e})")


@pytest.mark.points(2)
def test_init_three_layer_convnet_statistics(student):
    """Weights ~ N(0, 2 / fan_in) (Kaiming), estimated on large layers; biases exactly zero."""
    c_in, c_1, c_2, classes, height, width = 16, 64, 32, 50, 6, 10
    params = student.function(MOD, "init_three_layer_convnet")(
        in_channel=c_in, channel_1=c_1, channel_2=c_2, num_classes=classes, kernel_1=3, kernel_2=5,
        image_size=(height, width))
    if not isinstance(params, (list, tuple)) or len(params) != 6:
        raise CheckFailed(f"init_three_layer_convnet should return a list of 6 tensors; it returned "
                          f"{describe(params)}")
    d = c_2 * height * width
    expected = [("conv_w1", (c_1, c_in, 3, 3), c_in * 9), ("conv_b1", (c_1,), None),
                ("conv_w2", (c_2, c_1, 5, 5), c_1 * 25), ("conv_b2", (c_2,), None),
                ("fc_w", (d, classes), d), ("fc_b", (classes,), None)]
    with case(f"init_three_layer_convnet({c_in}, {c_1}, {c_2}, {classes}, kernel_1=3, kernel_2=5, "
              f"image_size=({height}, {width}))"):
        for value, (name, shape, fan_in) in zip(params, expected):
            array = as_array(value, name, shape, torch.float32)
            if fan_in is None:
                assert_close(array, np.zeros(shape), f"{name} (biases start at zero)")
                continue
            std = np.sqrt(2 / fan_in)
            # >= 9000 samples: the estimates are within a few percent (mean: 5 standard errors).
            if not (abs(np.std(array) / std - 1) <= 0.04 and abs(np.mean(array)) <= 5 * std / np.sqrt(array.size)):
                raise CheckFailed(f"{name} of shape {shape} has mean {np.mean(array):.3g} and standard "
                                  f"deviation {np.std(array):.3g}; draw it with random_weight (mean 0, "
                                  "standard deviation sqrt(2 / fan_in))")


# ------------------------------------------------------------------ nn.Module and nn.Sequential

MODULE_NAMES = ("ThreeLayerConvNet", "three_layer_convnet_sequential")
MODULE_KEYS = {  # the prefixes of their state_dict keys: first conv, second conv, fc
    "ThreeLayerConvNet": ("conv1", "conv2", "fc"),
    "three_layer_convnet_sequential": ("0", "2", "5"),
}


def module_weights(rng, c_in, c_1, c_2, classes, prefixes):
    """A state_dict for the three-layer net (5x5 and 3x3 filters, 32x32 images) as float64 arrays."""
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = convnet_params(rng, c_in, c_1, c_2, (5, 5), (3, 3),
                                                                    32, 32, classes)
    first, second, fc = prefixes
    # nn.Linear stores its weight as (out_features, in_features).
    return {f"{first}.weight": conv_w1, f"{first}.bias": conv_b1, f"{second}.weight": conv_w2,
            f"{second}.bias": conv_b2, f"{fc}.weight": fc_w.T.copy(), f"{fc}.bias": fc_b}


def build(code, name, c_in, c_1, c_2, classes):
    """ThreeLayerConvNet(...) or three_layer_convnet_sequential(...) of `code`, checked to be an object."""
    if name == "ThreeLayerConvNet":
        net = code.new(MOD, name, c_in, c_1, c_2, classes)
    else:
        net = code.function(MOD, name)(c_in, c_1, c_2, classes)
    if not isinstance(net, Remote):
        raise CheckFailed(f"{name}({c_in}, {c_1}, {c_2}, {classes}) should give an nn.Module; "
                          f"it gave {describe(net)}")
    return net


def load_weights(net, name, weights):
    """net.load_state_dict(weights) in float64; CheckFailed names the layers it expects."""
    net.call("double")
    try:
        net.call("load_state_dict", tensors(weights))
    except StudentCodeError as exc:
        layout = ", ".join(f"{key} {tuple(value.shape)}" for key, value in weights.items())
        raise CheckFailed(f"the {name} network does not take the weights {layout} ({exc}); name and shape "
                          "its layers as its docstring says") from None


def module_scores(net, name, x, classes):
    scores = net.call("forward", *tensors([x]))
    return as_array(scores, f"the scores of the {name} network", (x.shape[0], classes), torch.float64)


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_layers_and_identity_filters(student, rng, name):
    """The documented layer names and shapes load; filters that copy their input give relu(x) -> fc."""
    c, classes, n = 3, 10, 2
    net = build(student, name, c, c, c, classes)
    weights = module_weights(rng, c, c, c, classes, MODULE_KEYS[name])
    first, second, fc = MODULE_KEYS[name]
    weights.update({f"{first}.weight": identity_filters(c, 5, 5), f"{first}.bias": np.zeros(c),
                    f"{second}.weight": identity_filters(c, 3, 3), f"{second}.bias": np.zeros(c)})
    load_weights(net, name, weights)
    x = rng.standard_normal((n, c, 32, 32))
    expected = np.maximum(x, 0).reshape(n, -1) @ weights[f"{fc}.weight"].T + weights[f"{fc}.bias"]
    with case(f"the {name} network with filters that copy every channel (the scores should be "
              "fc(flatten(relu(x))))"):
        assert_close(module_scores(net, name, x, classes), expected, "scores", VALUE_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_sequential_is_a_sequential(student):
    net = build(student, "three_layer_convnet_sequential", 3, 8, 4, 10)
    if net.type_name != "Sequential":
        raise CheckFailed(f"three_layer_convnet_sequential should return an nn.Sequential; it returned "
                          f"{describe(net)}")


@pytest.mark.points(2)
@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_matches_reference(student, reference, rng, name):
    for n, c_in, c_1, c_2, classes in [(1, 3, 4, 5, 10), (3, 1, 2, 3, 4), (5, 3, 8, 6, 7)]:
        weights = module_weights(rng, c_in, c_1, c_2, classes, MODULE_KEYS[name])
        x = rng.standard_normal((n, c_in, 32, 32))
        net, ref = build(student, name, c_in, c_1, c_2, classes), build(reference, name, c_in, c_1, c_2, classes)
        load_weights(net, name, weights)
        load_weights(ref, name, weights)
        with case(f"the {name}({c_in}, {c_1}, {c_2}, {classes}) network with x of shape {x.shape}"):
            assert_close(module_scores(net, name, x, classes), module_scores(ref, name, x, classes),
                         "scores", VALUE_TOL)


def parameter_of(net, layer, kind):
    """net.<layer>.<kind> (a Parameter) by value: as a tensor, or detached from its handle."""
    value = net.get(layer).get(kind)
    return value.call("detach") if isinstance(value, Remote) else value


@pytest.mark.points(1)
def test_three_layer_convnet_module_initialization(student):
    """Weights from nn.init.kaiming_normal_ (standard deviation sqrt(2 / fan_in)), zero biases."""
    c_in, c_1, c_2, classes = 16, 64, 32, 10
    net = build(student, "ThreeLayerConvNet", c_in, c_1, c_2, classes)
    layers = [("conv1", (c_1, c_in, 5, 5), c_in * 25), ("conv2", (c_2, c_1, 3, 3), c_1 * 9),
              ("fc", (classes, c_2 * 32 * 32), c_2 * 32 * 32)]
    with case(f"ThreeLayerConvNet({c_in}, {c_1}, {c_2}, {classes})"):
        for layer, shape, fan_in in layers:
            weight = as_array(parameter_of(net, layer, "weight"), f"{layer}.weight", shape, torch.float32)
            bias = as_array(parameter_of(net, layer, "bias"), f"{layer}.bias", shape[:1], torch.float32)
            std = np.sqrt(2 / fan_in)
            if not (abs(np.std(weight) / std - 1) <= 0.04 and abs(np.mean(weight)) <= 5 * std / np.sqrt(weight.size)):
                raise CheckFailed(f"{layer}.weight has mean {np.mean(weight):.3g} and standard deviation "
                                  f"{np.std(weight):.3g}; initialize it with nn.init.kaiming_normal_")
            assert_close(bias, np.zeros(shape[:1]), f"{layer}.bias (biases start at zero)")


# ------------------------------------------------------------------ build_model()

def new_model(code):
    """build_model() of `code` in eval mode, checked to be an object with the methods of an nn.Module."""
    model = code.function(MOD, "build_model")()
    if not isinstance(model, Remote):
        raise CheckFailed(f"build_model() should return an nn.Module; it returned {describe(model)}")
    try:
        model.call("eval")
    except StudentCodeError as exc:
        raise CheckFailed(f"build_model() should return an nn.Module; it returned {describe(model)}, whose "
                          f"eval() failed ({exc})") from None
    return model


def model_scores(model, images, what):
    """Scores of `model` for float32 images (N, 3, 32, 32), checked: finite float32 (N, 10).

    model(images), as the notebook runs it (nn.Module.__call__, hooks included), not
    model.forward: after a call times out the sandbox refuses that method of that type
    name for the rest of the run, and the network of build_model() is often an
    nn.Sequential, like three_layer_convnet_sequential's, whose tests call forward; a
    build_model() network too slow to finish must cost only its own tests."""
    scores = model.call("__call__", *tensors([images]))
    array = as_array(scores, f"the scores of build_model() for {what}", (images.shape[0], NUM_CLASSES),
                     torch.float32)
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"the scores of build_model() for {what} should be finite numbers")
    return array


@pytest.mark.public
@pytest.mark.points(1)
def test_build_model_scores_images(student, rng):
    model = new_model(student)
    for n in (2, 1):
        model_scores(model, rng.random((n, *IMAGE_SHAPE), dtype=np.float32),
                     f"{n} random image(s) of shape {IMAGE_SHAPE}, in eval mode")


# ------------------------------------------------------------------ the saved network

def saved_array_names(path):
    """The array names in the .npz at `path` (already checked by load_saved_arrays)."""
    with zipfile.ZipFile(path) as archive:
        names = [info.filename[:-len(".npy")] for info in archive.infolist() if info.filename.endswith(".npy")]
    if not names:
        raise CheckFailed(f"{ARTIFACT} holds no arrays; save the state_dict with the last cell of {NOTEBOOK}")
    if len(names) > MAX_SAVED_ARRAYS:
        raise CheckFailed(f"{ARTIFACT} holds {len(names)} arrays; a network for CIFAR-10 needs far fewer "
                          f"(the limit is {MAX_SAVED_ARRAYS})")
    return names


def load_saved_state(path):
    """The state_dict saved by the notebook, as arrays, checked; CheckFailed says what is wrong."""
    kwargs = dict(max_bytes=MAX_ARTIFACT_BYTES, model="a network for CIFAR-10",
                  hint=f"Save the state_dict with the last cell of {NOTEBOOK}")
    load_saved_arrays(path, ARTIFACT, [], NOTEBOOK, **kwargs)  # links, size, format
    state = load_saved_arrays(path, ARTIFACT, saved_array_names(path), NOTEBOOK, **kwargs)
    for name, array in state.items():
        if array.dtype.kind not in "biuf" or (array.dtype.kind == "f" and not np.all(np.isfinite(array))):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite real numbers")
    return state


@pytest.fixture(scope="module")
def heldout_images(cifar10_heldout):
    """(images, labels): the held-out images as ToTensor() makes them, float32 (N, 3, 32, 32) in [0, 1]."""
    images = cifar10_heldout.X.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    return np.ascontiguousarray(images), cifar10_heldout.y


def saved_model_accuracy(path, student, images, labels):
    """Held-out accuracy of the saved network, run by the student's build_model() in the sandbox.

    A StudentCodeError (the student's network raised, timed out or crashed) becomes a
    CheckFailed saying which step failed, so that `once` hands it to every test that asks."""
    state = load_saved_state(path)
    step = "build_model()"
    try:
        model = new_model(student)
        step = f"loading the weights of {ARTIFACT} into the network of build_model()"
        try:
            model.call("load_state_dict", tensors(state))
        except StudentCodeError as exc:
            raise CheckFailed(f"the network of build_model() does not take the weights in {ARTIFACT} ({exc}); "
                              f"save them from that network with the last cell of {NOTEBOOK}, and do not "
                              "change build_model() after training") from None
        model.call("eval")
        predictions = []
        for start in range(0, len(images), IMAGES_PER_CALL):
            batch = images[start:start + IMAGES_PER_CALL]
            step = f"the forward pass of the saved network on {len(batch)} held-out images"
            scores = model_scores(model, batch, f"{len(batch)} held-out images, with the saved weights")
            predictions.append(np.argmax(scores, axis=1))
    except StudentCodeError as exc:
        raise CheckFailed(f"{step} failed: {exc}") from None
    return float(np.mean(np.concatenate(predictions) == labels))


def check_accuracy(artifact_path, student, heldout_images, once, threshold):
    accuracy = once(ARTIFACT, lambda: saved_model_accuracy(artifact_path(ARTIFACT), student, *heldout_images))
    if not accuracy >= threshold:
        raise CheckFailed(f"the network saved in {ARTIFACT} classifies {accuracy:.1%} of the grader's held-out "
                          f"images correctly; this test needs at least {threshold:.0%}")


@pytest.mark.points(1)
def test_saved_model_loads_and_scores_the_heldout_images(artifact_path, student, heldout_images, once):
    check_accuracy(artifact_path, student, heldout_images, once, 0.0)


# The reference notebook's network (2 epochs) scores ACC_HELDOUT on the held-out images.
@pytest.mark.points(1)
def test_saved_model_reaches_55_percent(artifact_path, student, heldout_images, once):
    check_accuracy(artifact_path, student, heldout_images, once, 0.55)


@pytest.mark.points(2)
def test_saved_model_reaches_65_percent(artifact_path, student, heldout_images, once):
    check_accuracy(artifact_path, student, heldout_images, once, 0.65)


@pytest.mark.points(2)
def test_saved_model_reaches_70_percent(artifact_path, student, heldout_images, once):
    check_accuracy(artifact_path, student, heldout_images, once, 0.70)
