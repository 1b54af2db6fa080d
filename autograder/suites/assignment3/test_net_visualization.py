"""cs231n/net_visualization_pytorch.py (Network_Visualization.ipynb): saliency, fooling, class visualization.

Every model is built on the student's side (torch's own layers, or the
course's given SqueezeNetCIFAR), gets weights drawn here by value
(load_state_dict), and is switched to float64, eval mode and no parameter
gradients, as load_pretrained_cnn gives it. The expected values come from an
independent formulation run on that same model through the testkit's
gradient call: the gradient of the chosen class scores with respect to the
image is d(scores)/dX applied to a one-hot upstream gradient, computed by the
testkit, not by the student's or the reference's code. So nothing depends on
the reference, and any formulation of the same mathematics passes:

- saliency: |d s_{y_i} / d X_i|, maximized over channels;
- fooling: the steps X <- X + lr g / ||g|| of the target score's gradient,
  replayed here one by one, stopping when the model predicts the target
  (every correct formulation gives the replay's image up to rounding; a
  wrong one is told whether it missed the target or moved too far);
- the class visualization step: img + lr g / ||g|| with g = d s_y / d img - 2 l2_reg img,
  done in place.
"""
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, Remote, assert_close, case, describe

MOD = "cs231n.net_visualization_pytorch"
VALUE_TOL = 1e-8      # float64: only the order of the sums differs
STEP_SLACK = 1e-6     # relative slack on the distance a fooling image moved (for the message)


# ------------------------------------------------------------------ models, built on the student's side

def tiny_cnn(code, rng, classes, channels=3):
    """conv 3x3 (6) - relu - maxpool 2 - conv 3x3 (8) - tanh - avgpool to 2x2 - flatten - linear."""
    nn = "torch.nn"
    layers = [code.new(nn, "Conv2d", channels, 6, 3, padding=1), code.new(nn, "ReLU"), code.new(nn, "MaxPool2d", 2),
              code.new(nn, "Conv2d", 6, 8, 3, padding=1), code.new(nn, "Tanh"), code.new(nn, "AdaptiveAvgPool2d", 2),
              code.new(nn, "Flatten"), code.new(nn, "Linear", 32, classes)]
    model = code.new(nn, "Sequential", *layers)
    shapes = {"0.weight": (6, channels, 3, 3), "0.bias": (6,), "3.weight": (8, 6, 3, 3), "3.bias": (8,),
              "7.weight": (classes, 32), "7.bias": (classes,)}
    weights = {}
    for key, shape in shapes.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        weights[key] = rng.standard_normal(shape) * (np.sqrt(2 / fan_in) if len(shape) > 1 else 0.1)
    return prepared(model, weights, "a small CNN")


def squeezenet(code, rng, classes):
    """The course's SqueezeNetCIFAR (given code) with random weights and batch-norm statistics."""
    model = code.new("cs231n.squeezenet", "SqueezeNetCIFAR", classes)
    if not isinstance(model, Remote):
        raise CheckFailed(f"cs231n.squeezenet.SqueezeNetCIFAR({classes}) gave {describe(model)}; restore the "
                          "given cs231n/squeezenet.py")
    # The parameter names and shapes, by value (a gradient call returns them as a dict).
    _, (grads,) = model.grad("__call__", torch.zeros(1, 3, 32, 32), wrt=("parameters",))
    weights = {}
    for key, value in grads.items():
        shape = tuple(value.shape)
        if key.endswith("bias"):
            weights[key] = 0.1 * rng.standard_normal(shape)
        elif len(shape) == 1:          # a batch-norm scale, with the running statistics beside it
            weights[key] = 1 + 0.1 * rng.standard_normal(shape)
            prefix = key[:-len("weight")]
            weights[prefix + "running_mean"] = 0.1 * rng.standard_normal(shape)
            weights[prefix + "running_var"] = rng.uniform(0.5, 1.5, shape)
        else:
            weights[key] = rng.standard_normal(shape) * np.sqrt(2 / np.prod(shape[1:]))
    return prepared(model, weights, "the course's SqueezeNetCIFAR")


def prepared(model, weights, name):
    model.call("double")
    # strict=False: the batch-norm counters (num_batches_tracked) are not sent; eval mode ignores them.
    model.call("load_state_dict", {k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    model.call("eval")
    model.call("requires_grad_", False)
    model.name = name
    return model


# ------------------------------------------------------------------ the independent formulation

def one_hot(labels, classes):
    out = torch.zeros(len(labels), classes, dtype=torch.float64)
    out[torch.arange(len(labels)), torch.as_tensor(labels)] = 1.0
    return out


def scores_and_gradient(model, x, labels, classes):
    """(scores (N, C), d(sum_i s_{i, labels_i}) / dx) of the model at x, computed by the testkit."""
    scores, (grad,) = model.grad("__call__", x, wrt=(0,), upstream=one_hot(labels, classes))
    return scores, grad


def expected_saliency(model, X, y, classes):
    _, grad = scores_and_gradient(model, X, y, classes)
    return grad.abs().amax(dim=1)


def replay_fooling(model, X, target, classes, learning_rate=1.0, max_steps=100):
    """(the fooling image, the number of steps) by normalized gradient ascent on the target score."""
    x, steps = X.clone(), 0
    while steps < max_steps:
        scores, grad = scores_and_gradient(model, x, [target], classes)
        if int(scores[0].argmax()) == target:
            break
        x = x + learning_rate * grad / grad.norm()
        steps += 1
    return x, steps


def predicted(model, x):
    return int(model.call("__call__", x)[0].argmax())


def expected_update(model, img, target, l2_reg, learning_rate, classes):
    _, grad = scores_and_gradient(model, img, [target], classes)
    grad = grad - 2 * l2_reg * img
    return img + learning_rate * grad / grad.norm()


def images(rng, n, height, width):
    return torch.from_numpy(rng.standard_normal((n, 3, height, width)))


def as_tensor(value, name, shape):
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{name} should be a torch tensor of shape {shape}; it is {describe(value)}")
    return value


# ------------------------------------------------------------------ saliency maps

def check_saliency(student, model, X, y, classes):
    call = student.function(MOD, "compute_saliency_maps").inspect(X, torch.as_tensor(y), model)
    shape = (X.shape[0], X.shape[2], X.shape[3])
    saliency = as_tensor(call.value, "the saliency maps", shape)
    assert_close(saliency, expected_saliency(model, X, y, classes), "the saliency maps", VALUE_TOL,
                 check_dtype=True)
    if "argument 1" in call.modified:
        raise CheckFailed("compute_saliency_maps changed the images X it was given; work on a copy "
                          "(X.clone().requires_grad_())")


@pytest.mark.public
@pytest.mark.points(1)
def test_saliency_maps_of_a_small_cnn(student, rng):
    classes = 4
    model = tiny_cnn(student, rng, classes)
    X = images(rng, 3, 8, 8)
    y = [0, 3, 1]
    with case("compute_saliency_maps on a small CNN with 3 images of 8x8 and labels [0, 3, 1] (the saliency is "
              "|d score of the correct class / d pixel|, the largest over the 3 channels)"):
        check_saliency(student, model, X, y, classes)


@pytest.mark.points(2)
def test_saliency_maps_match_the_score_gradient(student, rng):
    for build, classes, n, height, width in [(tiny_cnn, 10, 1, 16, 16), (tiny_cnn, 5, 6, 12, 20),
                                             (squeezenet, 10, 4, 32, 32), (squeezenet, 7, 2, 40, 36)]:
        model = build(student, rng, classes)
        X = images(rng, n, height, width)
        y = rng.integers(0, classes, n).tolist()
        with case(f"compute_saliency_maps on {model.name} with {classes} classes and {n} images of "
                  f"{height}x{width}"):
            check_saliency(student, model, X, y, classes)


# ------------------------------------------------------------------ fooling images

def reachable_target(model, X, classes, rank):
    """(target, replayed image, steps) for the class of score rank `rank` (1: the runner-up) if the
    replay reaches it within 100 steps, else None."""
    scores = model.call("__call__", X)[0]
    target = int(torch.argsort(scores, descending=True)[rank])
    fooled, steps = replay_fooling(model, X, target, classes)
    return (target, fooled, steps) if predicted(model, fooled) == target else None


def check_fooling(student, model, X, target, expected, steps, learning_rate=None, max_steps=None):
    kwargs = {k: v for k, v in (("learning_rate", learning_rate), ("max_steps", max_steps)) if v is not None}
    call = student.function(MOD, "make_fooling_image").inspect(X, target, model, **kwargs)
    fooled = as_tensor(call.value, "X_fooling", tuple(X.shape))
    if "argument 1" in call.modified:
        raise CheckFailed("make_fooling_image changed the image X it was given; work on a copy (X.clone())")
    try:
        assert_close(fooled, expected, "X_fooling", 1e-6, check_dtype=True)
        return
    except CheckFailed as exc:
        mismatch = exc
    # Not the replay's image: say what is wrong in the student's terms where it is clear.
    if tuple(fooled.shape) != tuple(X.shape) or fooled.dtype != X.dtype or not torch.isfinite(fooled).all():
        raise mismatch
    lr = 1.0 if learning_rate is None else learning_rate
    moved = float((fooled - X).norm())
    if predicted(model, expected) == target and predicted(model, fooled) != target:
        raise CheckFailed(f"the model does not classify X_fooling as the target class; {steps} steps of "
                          "learning_rate * g / ||g|| on the target score reach it")
    if moved > steps * lr * (1 + STEP_SLACK) + 1e-9:
        raise CheckFailed(f"X_fooling is {moved:.3g} away from X (L2 norm); {steps} steps of length {lr:g} "
                          f"(learning_rate * g / ||g||) reach the target, so it should be at most {steps * lr:.3g} "
                          "away: normalize each step by the gradient's L2 norm and stop as soon as the model "
                          "predicts the target")
    raise mismatch


def fooling_cases(rng, model, classes, height, width, ranks, count):
    """`count` (image, target, replayed image, steps) whose targets the replay reaches (a few draws)."""
    found = []
    for _ in range(4 * count):
        X = images(rng, 1, height, width)
        hit = reachable_target(model, X, classes, ranks[len(found) % len(ranks)])
        if hit is not None:
            found.append((X, *hit))
        if len(found) == count:
            return found
    raise CheckFailed(f"internal: too few reachable fooling targets on {model.name}; report this to the course "
                      "staff")


@pytest.mark.public
@pytest.mark.points(1)
def test_fooling_image_of_a_small_cnn(student, rng):
    classes = 4
    model = tiny_cnn(student, rng, classes)
    for X, target, expected, steps in fooling_cases(rng, model, classes, 8, 8, [1], 1):
        with case(f"make_fooling_image on a small CNN with one 8x8 image and target {target} (the replay of "
                  f"normalized steps reaches it in {steps} steps)"):
            check_fooling(student, model, X, target, expected, steps)


@pytest.mark.points(2)
def test_fooling_images_match_normalized_gradient_ascent(student, rng):
    """Small CNNs only: a SqueezeNet with random weights is rarely fooled within 100 steps."""
    for classes, height, width, ranks in [(10, 16, 16, [1, 2]), (6, 12, 18, [1, 3]), (3, 32, 32, [2])]:
        model = tiny_cnn(student, rng, classes)
        for X, target, expected, steps in fooling_cases(rng, model, classes, height, width, ranks, 2):
            with case(f"make_fooling_image on {model.name} with {classes} classes, one {height}x{width} image "
                      f"and a target the replay reaches in {steps} steps"):
                check_fooling(student, model, X, target, expected, steps)


@pytest.mark.points(1)
def test_fooling_image_already_classified_and_step_limit(student, rng):
    classes = 5
    model = tiny_cnn(student, rng, classes)
    X = images(rng, 1, 10, 10)
    start = predicted(model, X)
    with case("make_fooling_image with the target the model already predicts (no step: X_fooling equals X)"):
        check_fooling(student, model, X, start, X.clone(), 0)
    target = (start + 1) % classes
    expected, steps = replay_fooling(model, X, target, classes, learning_rate=0.05, max_steps=3)
    with case(f"make_fooling_image with learning_rate=0.05 and max_steps=3 (at most 3 steps of length 0.05; "
              f"the replay takes {steps})"):
        check_fooling(student, model, X, target, expected, steps, learning_rate=0.05, max_steps=3)


# ------------------------------------------------------------------ class visualization step

def check_update(student, model, img, target, l2_reg, learning_rate, classes):
    expected = expected_update(model, img, target, l2_reg, learning_rate, classes)
    call = student.function(MOD, "class_visualization_update_step").inspect(img, model, target, l2_reg,
                                                                             learning_rate)
    after = call.args_after[0]
    if "argument 1" not in call.modified:
        if isinstance(call.value, torch.Tensor) and tuple(call.value.shape) == tuple(img.shape):
            raise CheckFailed("class_visualization_update_step returned a new image and left img as it was; "
                              "update img in place (img += ..., under torch.no_grad(), or img.data += ...)")
        raise CheckFailed("class_visualization_update_step did not change img; update it in place")
    assert_close(as_tensor(after, "img after the step", tuple(img.shape)), expected, "img after the step",
                 VALUE_TOL, check_dtype=True)


@pytest.mark.public
@pytest.mark.points(1)
def test_class_visualization_step_of_a_small_cnn(student, rng):
    classes = 4
    model = tiny_cnn(student, rng, classes)
    img = images(rng, 1, 8, 8)
    with case("class_visualization_update_step on a small CNN, one 8x8 image, target 2, l2_reg 0.1, learning_rate "
              "1.5 (img += learning_rate * g / ||g||, g the gradient of score - l2_reg * ||img||^2)"):
        check_update(student, model, img, 2, 0.1, 1.5, classes)


@pytest.mark.points(2)
def test_class_visualization_step_matches_regularized_ascent(student, rng):
    for build, classes, height, width, l2_reg, learning_rate in [
            (tiny_cnn, 10, 16, 16, 0.0, 1.0), (tiny_cnn, 6, 12, 20, 0.5, 25.0),
            (squeezenet, 10, 32, 32, 1e-3, 5.0), (squeezenet, 3, 36, 44, 0.02, 0.3)]:
        model = build(student, rng, classes)
        img = images(rng, 1, height, width)
        target = int(rng.integers(classes))
        with case(f"class_visualization_update_step on {model.name} with {classes} classes, one {height}x{width} "
                  f"image, l2_reg {l2_reg:g}, learning_rate {learning_rate:g}"):
            check_update(student, model, img, target, l2_reg, learning_rate, classes)
