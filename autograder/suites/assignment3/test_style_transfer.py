"""The losses of cs231n/style_transfer_pytorch.py (Style_Transfer.ipynb).

Every loss is checked against an independent formulation in NumPy float64
(Gram matrices by einsum, differences by np.diff, gradients written out by
hand), by value and by the gradient autograd takes through the student's
loss (`grad`), on inputs of several shapes: N > 1 and both settings of
`normalize` for gram_matrix, several layers and weights for style_loss. The
style loss's gradient is also taken through a small CNN built on the
student's side (the given image_losses, which the notebook's loop uses).
A loss may be written in any way that gives the same value and gradient; it
must return a scalar tensor and leave its inputs as they were.

style_loss is built on the student's gram_matrix: a style loss that matches
what the student's own Gram matrices give is right here (a wrong gram_matrix
is charged by its own tests, once).
"""
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_close, assert_scalar_close, case, describe, own
from autograder.testkit.own_parts import agrees

MOD = "cs231n.style_transfer_pytorch"
TOL = 1e-6          # the tolerance; float64 losses agree to about 1e-15
FD_STEP = 1e-6      # central differences of the student's own style loss (float64)


# ------------------------------------------------------------------ independent formulations (float64)

def expected_content_loss(weight, current, original):
    """(loss, d/d current, d/d original)."""
    diff = (current - original).ravel()
    grad = 2 * weight * (current - original)
    return weight * float(diff @ diff), grad, -grad


def expected_gram(features, normalize=True):
    n, c, h, w = features.shape
    gram = np.einsum("nchw,ndhw->ncd", features, features)
    return gram / (c * h * w) if normalize else gram


def expected_gram_grad(features, upstream, normalize=True):
    """d sum(upstream * gram) / d features: (U + U^T) F for each image, F of shape (C, H*W)."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    grad = np.matmul(upstream + upstream.transpose(0, 2, 1), flat).reshape(features.shape)
    return grad / (c * h * w) if normalize else grad


def expected_style_loss(feats, layers, targets, weights):
    return sum(w * float(np.sum((expected_gram(feats[layer]) - t) ** 2))
               for layer, t, w in zip(layers, targets, weights))


def expected_tv_loss(img, weight):
    """(loss, d/d img): squared differences of vertical and horizontal neighbours."""
    down, right = np.diff(img, axis=2), np.diff(img, axis=3)
    grad = np.zeros_like(img)
    grad[:, :, 1:, :] += 2 * down
    grad[:, :, :-1, :] -= 2 * down
    grad[:, :, :, 1:] += 2 * right
    grad[:, :, :, :-1] -= 2 * right
    return weight * (float(np.sum(down ** 2)) + float(np.sum(right ** 2))), weight * grad


def torch_gram(features):
    """A normalized Gram matrix for the trusted side's autograd (einsum, not bmm)."""
    _, c, h, w = features.shape
    return torch.einsum("nchw,ndhw->ncd", features, features) / (c * h * w)


# ------------------------------------------------------------------ helpers

def tensor(values):
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float64))


def scalar(value, name):
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise CheckFailed(f"{name} should return a scalar tensor; it returned {describe(value)}")
    if value.dim() != 0:
        raise CheckFailed(f"{name} returned a tensor of shape {tuple(value.shape)}; it should be a scalar "
                          "(shape ()): sum over every entry")
    return value


def gram_of(student, features, normalize=True):
    gram = student.function(MOD, "gram_matrix")(tensor(features), normalize=normalize)
    n, c = features.shape[:2]
    if not isinstance(gram, torch.Tensor):
        raise CheckFailed(f"gram_matrix should return a torch tensor; it returned {describe(gram)}")
    if tuple(gram.shape) != (n, c, c):
        raise CheckFailed(f"gram_matrix of features of shape {features.shape} returned shape {tuple(gram.shape)}; "
                          f"expected (N, C, C) = {(n, c, c)}")
    return gram


def style_inputs(rng, shapes, weight_scale=1.0):
    """Features of the current and of the style image at every layer, the style layers' targets and weights.

    shapes: list of (C, H, W), one per layer of a pretend CNN; the style layers are a subset of them.
    """
    feats = [rng.standard_normal((1, *shape)) for shape in shapes]
    style_feats = [rng.standard_normal((1, *shape)) for shape in shapes]
    layers = sorted(rng.choice(len(shapes), size=max(1, len(shapes) - 1), replace=False).tolist())
    targets = [expected_gram(style_feats[layer]) for layer in layers]
    weights = [float(w) for w in weight_scale * 10.0 ** rng.uniform(-1, 3, len(layers))]
    return feats, layers, targets, weights


def not_modified(call, name):
    if call.modified:
        raise CheckFailed(f"{name} modified its input ({', '.join(call.modified)}) in place; compute the loss "
                          "without changing its arguments (use out-of-place operations: a - b, not a -= b)")


# ------------------------------------------------------------------ public: hand-worked cases

@pytest.mark.public
@pytest.mark.points(1)
def test_content_loss_on_simple_features(student):
    current = torch.full((1, 2, 3, 3), 2.0, dtype=torch.float64)
    original = torch.ones((1, 2, 3, 3), dtype=torch.float64)
    with case("content_loss(0.5, features of 2s, features of 1s), 18 entries (expected 0.5 * 18 * 1 = 9)"):
        loss = student.function(MOD, "content_loss")(0.5, current, original)
        assert_scalar_close(scalar(loss, "content_loss"), 9.0, "the content loss", TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_gram_matrix_on_simple_features(student):
    # Two images, two channels, 1 x 2 pixels: image 0 has channels [1, 2] and [3, 4].
    features = np.array([[[[1.0, 2.0]], [[3.0, 4.0]]], [[[0.0, 1.0]], [[1.0, 0.0]]]])
    unnormalized = np.array([[[5.0, 11.0], [11.0, 25.0]], [[1.0, 0.0], [0.0, 1.0]]])
    with case("gram_matrix(features of shape (2, 2, 1, 2), normalize=False)"):
        assert_close(gram_of(student, features, normalize=False), tensor(unnormalized), "the Gram matrices", TOL)
    with case("gram_matrix(features of shape (2, 2, 1, 2)) (normalize=True divides by H * W * C = 4)"):
        assert_close(gram_of(student, features), tensor(unnormalized / 4), "the Gram matrices", TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_style_loss_on_one_simple_layer(student):
    # Layer 1 has features [1, 2] and [3, 4]: normalized Gram [[5, 11], [11, 25]] / 4; the target
    # is 0, so the loss is 2 * (25 + 121 + 121 + 625) / 16 = 111.5.
    feats = [torch.zeros((1, 3, 2, 2), dtype=torch.float64),
             tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])]
    target = torch.zeros((1, 2, 2), dtype=torch.float64)
    with case("style_loss with one style layer (layer 1) of weight 2 and a target of zeros (expected 111.5)"):
        loss = scalar(student.function(MOD, "style_loss")(feats, [1], [target], [2.0]), "style_loss")
        # A wrong gram_matrix is charged by its own test: 2 * sum(your Gram ** 2) counts as right here.
        mine = own(lambda: 2.0 * float(np.sum(gram_of(student, feats[1].numpy()).numpy() ** 2)))
        if mine is None or not agrees(float(loss), mine, TOL):
            assert_scalar_close(loss, 111.5, "the style loss", TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_tv_loss_on_simple_image(student):
    # [[0, 1], [2, 4]]: vertical differences 2 and 3, horizontal 1 and 2: 4 + 9 + 1 + 4 = 18.
    img = tensor([[[[0.0, 1.0], [2.0, 4.0]]]])
    with case("tv_loss(image [[0, 1], [2, 4]], 0.5) (expected 0.5 * 18 = 9)"):
        loss = student.function(MOD, "tv_loss")(img, 0.5)
        assert_scalar_close(scalar(loss, "tv_loss"), 9.0, "the total-variation loss", TOL)
    constant = torch.full((1, 3, 4, 5), 0.7, dtype=torch.float64)
    with case("tv_loss of a constant image (expected 0)"):
        loss = student.function(MOD, "tv_loss")(constant, 3.0)
        assert_scalar_close(scalar(loss, "tv_loss"), 0.0, "the total-variation loss", TOL)


# ------------------------------------------------------------------ hidden: values and gradients

CONTENT_SHAPES = [(1, 3, 4, 4), (1, 16, 7, 5), (1, 64, 3, 3), (1, 1, 1, 1)]
GRAM_SHAPES = [(1, 3, 4, 4), (2, 5, 3, 7), (4, 16, 2, 2), (3, 1, 5, 5), (2, 8, 1, 1)]
TV_SHAPES = [(1, 3, 8, 8), (1, 3, 5, 9), (1, 3, 1, 6), (2, 2, 4, 3)]


@pytest.mark.points(2)
def test_content_loss_values_and_gradients(student, rng):
    f = student.function(MOD, "content_loss")
    for shape in CONTENT_SHAPES:
        for weight in (1.0, 6e-2, 37.5):
            current, original = rng.standard_normal(shape), rng.standard_normal(shape)
            loss, g_current, g_original = expected_content_loss(weight, current, original)
            with case(f"content_loss({weight:g}, features of shape {shape}, ...)"):
                value, (got_current, got_original) = f.grad(weight, tensor(current), tensor(original), wrt=(1, 2))
                assert_scalar_close(scalar(value, "content_loss"), loss, "the content loss", TOL)
                assert_close(got_current, tensor(g_current), "the gradient with respect to content_current", TOL)
                assert_close(got_original, tensor(g_original), "the gradient with respect to content_original", TOL)


@pytest.mark.points(2)
def test_gram_matrix_values(student, rng):
    for shape in GRAM_SHAPES:
        features = rng.standard_normal(shape)
        for normalize in (True, False):
            with case(f"gram_matrix(features of shape {shape}, normalize={normalize})"):
                assert_close(gram_of(student, features, normalize), tensor(expected_gram(features, normalize)),
                             "the Gram matrices", TOL)


@pytest.mark.points(1)
def test_gram_matrix_gradients(student, rng):
    f = student.function(MOD, "gram_matrix")
    for shape in GRAM_SHAPES[:4]:
        features = rng.standard_normal(shape)
        upstream = rng.standard_normal((shape[0], shape[1], shape[1]))
        for normalize in (True, False):
            with case(f"gram_matrix(features of shape {shape}, normalize={normalize}), the gradient of "
                      "sum(upstream * gram) for a random upstream"):
                _, (grad,) = f.grad(tensor(features), normalize=normalize, wrt=(0,), upstream=tensor(upstream))
                assert_close(grad, tensor(expected_gram_grad(features, upstream, normalize)),
                             "the gradient with respect to features", TOL)


STYLE_CASES = [  # description, per-layer (C, H, W)
    ("two layers", [(3, 6, 6), (8, 3, 3)]),
    ("four layers of several sizes", [(4, 8, 8), (8, 4, 4), (16, 2, 2), (16, 2, 2)]),
    ("five layers, one of a single pixel", [(3, 5, 4), (6, 5, 4), (6, 3, 2), (12, 1, 1), (12, 2, 3)]),
]


@pytest.mark.points(2)
def test_style_loss_values(student, rng):
    f = student.function(MOD, "style_loss")
    for description, shapes in STYLE_CASES:
        feats, layers, targets, weights = style_inputs(rng, shapes)
        correct = expected_style_loss(feats, layers, targets, weights)
        with case(f"style_loss on {description}, {len(layers)} of them style layers with weights between 0.1 and "
                  "1000"):
            got = scalar(f([tensor(x) for x in feats], layers, [tensor(t) for t in targets], weights), "style_loss")
            # What the student's own gram_matrix gives, composed as the docstring says.
            mine = own(lambda: sum(w * float(np.sum((gram_of(student, feats[layer]).numpy() - t) ** 2))
                                   for layer, t, w in zip(layers, targets, weights)))
            if mine is None or not agrees(float(got), mine, TOL):
                assert_scalar_close(got, correct, "the style loss", TOL)


# A small CNN for the style loss's gradient: its layers are the children extract_features walks.
CNN_LAYERS = [("Conv2d", (3, 6, 3), {"padding": 1}), ("ReLU", (), {}), ("Conv2d", (6, 8, 3), {"stride": 2}),
              ("Tanh", (), {}), ("Conv2d", (8, 5, 1), {})]


def build_cnn(rng):
    """(trusted nn.Sequential in float64, its state dict): the CNN_LAYERS with random weights."""
    net = torch.nn.Sequential(*[getattr(torch.nn, kind)(*args, **kwargs) for kind, args, kwargs in CNN_LAYERS]).double()
    state = {k: torch.from_numpy(rng.standard_normal(tuple(v.shape)) / np.sqrt(max(1, v[0].numel())))
             for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    return net.requires_grad_(False), state


def student_cnn(student, state):
    layers = [student.new("torch.nn", kind, *args, **kwargs) for kind, args, kwargs in CNN_LAYERS]
    net = student.new("torch.nn", "Sequential", *layers)
    net.call("double")
    net.call("load_state_dict", state)
    net.call("requires_grad_", False)
    return net


def own_numerical_style_gradient(losses, img, args):
    """Central differences of the style loss (entry 1 of image_losses) the student's code computes."""
    grad = np.zeros_like(img)
    for index in np.ndindex(img.shape):
        values = []
        for step in (FD_STEP, -FD_STEP):
            moved = img.copy()
            moved[index] += step
            values.append(float(losses(tensor(moved), *args)[1]))
        grad[index] = (values[0] - values[1]) / (2 * FD_STEP)
    return grad


def own_gram_explains(student, losses, img, args, feats, layers, targets, weights):
    """Whether the student's gram_matrix is wrong on these features and their style loss is what it gives."""
    def check():
        grams = [gram_of(student, feats[i].detach().numpy()).numpy() for i in layers]
        if all(agrees(g, torch_gram(feats[i]).detach().numpy(), TOL) for g, i in zip(grams, layers)):
            return False
        mine = sum(w * float(np.sum((g - t.detach().numpy()) ** 2)) for g, t, w in zip(grams, targets, weights))
        return agrees(float(losses(tensor(img), *args)[1]), mine, TOL)
    return bool(own(check))


@pytest.mark.points(2)
def test_style_loss_gradients_through_a_cnn(student, rng):
    """The gradient of the style loss with respect to the image, through a CNN, as the notebook's loop takes it."""
    losses = student.function(MOD, "image_losses")
    for size, layers, weights in [((5, 6), [0, 2], [1e3, 10.0]), ((7, 7), [1, 3, 4], [50.0, 200.0, 1.0]),
                                  ((6, 9), [4], [1e4])]:
        trusted, state = build_cnn(rng)
        net = student_cnn(student, state)
        style_img = torch.from_numpy(rng.standard_normal((1, 3, *size)))
        img = rng.standard_normal((1, 3, *size))
        with torch.no_grad():
            style_feats = [style_img]
            for layer in trusted:
                style_feats.append(layer(style_feats[-1]))
            style_feats = style_feats[1:]
        targets = [torch_gram(style_feats[i]) for i in layers]
        x = tensor(img).requires_grad_(True)
        feats, h = [], x
        for layer in trusted:
            h = layer(h)
            feats.append(h)
        loss = sum(w * torch.sum((torch_gram(feats[i]) - t) ** 2) for i, t, w in zip(layers, targets, weights))
        (expected,) = torch.autograd.grad(loss, x)
        # content_layer 0 with weight 0 and tv weight 0: only the style loss has a gradient.
        args = (net, 0, torch.zeros_like(feats[0]).detach(), 0.0, layers, [t.detach() for t in targets], weights, 0.0)
        with case(f"image_losses on an image of shape {tuple(img.shape)} through a 5-layer CNN, style layers "
                  f"{layers} with weights {weights}: the gradient of the style loss with respect to the image"):
            value, (got,) = losses.grad(tensor(img), *args, wrt=(0,), upstream=tensor([0.0, 1.0, 0.0]))
            if not isinstance(value, torch.Tensor) or tuple(value.shape) != (3,):
                raise CheckFailed(f"image_losses returned {describe(value)}; it should return the three losses "
                                  "(is style_loss returning a scalar tensor?)")
            if not agrees(got, expected.detach(), TOL):
                # A wrong gram_matrix is charged by its own tests: where the style loss is what the
                # student's own Gram matrices give, its gradient need only be that loss's gradient.
                if not own_gram_explains(student, losses, img, args, feats, layers, targets, weights):
                    assert_close(got, expected.detach(), "the gradient of style_loss with respect to the image", TOL)
                mine = own(lambda: own_numerical_style_gradient(losses, img, args))
                if mine is None or not agrees(got, tensor(mine), 1e-5):
                    assert_close(got, expected.detach(), "the gradient of style_loss with respect to the image", TOL)


@pytest.mark.points(2)
def test_tv_loss_values_and_gradients(student, rng):
    f = student.function(MOD, "tv_loss")
    for shape in TV_SHAPES:
        for weight in (2e-2, 1.0, 250.0):
            img = rng.standard_normal(shape)
            loss, grad = expected_tv_loss(img, weight)
            with case(f"tv_loss(image of shape {shape}, {weight:g})"):
                value, (got,) = f.grad(tensor(img), weight, wrt=(0,))
                assert_scalar_close(scalar(value, "tv_loss"), loss, "the total-variation loss", TOL)
                assert_close(got, tensor(grad), "the gradient with respect to img", TOL)


@pytest.mark.points(1)
def test_losses_leave_their_inputs_unchanged(student, rng):
    """The loop passes the features of the image being optimized: changing them in place would corrupt it."""
    a, b = tensor(rng.standard_normal((1, 4, 3, 3))), tensor(rng.standard_normal((1, 4, 3, 3)))
    with case("content_loss(2.0, content_current, content_original)"):
        not_modified(student.function(MOD, "content_loss").inspect(2.0, a, b), "content_loss")
    with case("gram_matrix(features)"):
        not_modified(student.function(MOD, "gram_matrix").inspect(a), "gram_matrix")
    feats, layers, targets, weights = style_inputs(rng, [(3, 4, 4), (5, 2, 2), (5, 2, 2)])
    with case(f"style_loss(feats, {layers}, style_targets, style_weights)"):
        not_modified(student.function(MOD, "style_loss").inspect([tensor(x) for x in feats], layers,
                                                                  [tensor(t) for t in targets], weights), "style_loss")
    with case("tv_loss(img, 0.5)"):
        not_modified(student.function(MOD, "tv_loss").inspect(tensor(rng.standard_normal((1, 3, 5, 5))), 0.5),
                     "tv_loss")
