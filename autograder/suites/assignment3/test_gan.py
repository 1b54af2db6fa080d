"""The GAN parts of cs231n/gan_pytorch.py (Generative_Adversarial_Networks.ipynb).

Losses are checked against independent NumPy formulations in float64
(softplus through np.logaddexp, so logits of 1e3 have exact expected values),
with their gradients, on logits of several scales and of both shapes the
docstrings allow ((N,) and (N, 1)), with different numbers of real and fake
images. Numerical stability (logits of order 1e3) is the concern of one test,
test_gan_losses_stable_for_large_logits; the other loss tests keep logits
moderate, so an unstable formula is charged once. Networks are checked by output shapes and parameter counts, then by
value: random weights of the reference's parameter shapes, matched to the student's parameters in
registration order by shape, are loaded into the student's network
(load_state_dict, strict=False: BatchNorm's running statistics are not
parameters) and the outputs compared in float64. The optimizer's settings are
read back by value; it is built on a plain nn.Linear made on the student's side.
"""
import math

import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, Remote, assert_close, assert_scalar_close, case, describe

MOD = "cs231n.gan_pytorch"
IMAGE_SIZE = 784
LOSS_TOL = 1e-9     # float64 losses: only the summation order differs
VALUE_TOL = 1e-6    # float64 network outputs of the same weights
PARAM_COUNTS = {    # CS231n's architectures, noise_dim = 4 for the generators
    "discriminator": 267_009,
    "generator": 1_858_320,
    "build_dc_classifier": 1_102_721,
    "build_dc_generator": 6_580_801,
}


# ------------------------------------------------------------------ independent formulations

def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return np.exp(-softplus(-x))


def expected_discriminator_loss(real, fake):
    """BCE with real labelled 1 and fake 0: mean softplus(-s_real) + mean softplus(s_fake); and its gradients."""
    loss = softplus(-real).mean() + softplus(fake).mean()
    return loss, -sigmoid(-real) / real.size, sigmoid(fake) / fake.size


def expected_generator_loss(fake):
    return softplus(-fake).mean(), -sigmoid(-fake) / fake.size


def expected_ls_discriminator_loss(real, fake):
    loss = 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2)
    return loss, (real - 1) / real.size, fake / fake.size


def expected_ls_generator_loss(fake):
    return 0.5 * np.mean((fake - 1) ** 2), (fake - 1) / fake.size


def logits(rng, n, scale, column):
    return scale * rng.standard_normal((n, 1) if column else (n,))


# (description, N real, M fake, scale, shape (N, 1)?). Logits of moderate size: large
# ones are the one concern of test_gan_losses_stable_for_large_logits.
LOSS_CASES = [
    ("small logits, shape (N,)", 5, 5, 0.1, False),
    ("logits of order 1, shape (N, 1)", 8, 3, 1.0, True),
    ("logits of order 3, shape (N, 1)", 4, 9, 3.0, True),
    ("logits of order 1, shape (N,)", 6, 7, 1.0, False),
    ("one image of each, shape (1, 1)", 1, 1, 2.0, True),
]
LARGE_SCALE = 1e3


def tensor(values):
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float64))


def scalar(value, name):
    """`value`, checked to be a scalar tensor (shape ())."""
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise CheckFailed(f"{name} should return a scalar tensor; it returned {describe(value)}")
    if value.dim() != 0:
        raise CheckFailed(f"{name} returned a tensor of shape {tuple(value.shape)}; it should be a scalar "
                          "(shape ()): average over the images")
    return value


def check_loss(student, name, inputs, expected, grads, what):
    """The student's loss `name` on float64 `inputs`: its value and its gradients."""
    f = student.function(MOD, name)
    value, got_grads = f.grad(*[tensor(x) for x in inputs], wrt=tuple(range(len(inputs))))
    scalar(value, name)
    assert_scalar_close(value, expected, f"the loss from {name}", LOSS_TOL)
    for got, want, arg in zip(got_grads, grads, what):
        assert_close(got, tensor(want), f"the gradient of {name}'s loss with respect to {arg}", 1e-7)


def loss_cases(rng):
    for description, n, m, scale, column in LOSS_CASES:
        yield description, logits(rng, n, scale, column), logits(rng, m, scale, column)


# ------------------------------------------------------------------ public: losses

@pytest.mark.public
@pytest.mark.points(1)
def test_gan_losses_at_zero_logits(student):
    """Logits 0 mean probability 1/2: each cross-entropy term is log 2. (Values only: at exactly 0 a
    formula with max(s, 0) or |s| has a kink, where autograd's gradient is a matter of convention.)"""
    real, fake = torch.zeros(4, 1, dtype=torch.float64), torch.zeros(6, 1, dtype=torch.float64)
    with case("discriminator_loss with all logits 0 (the loss should be 2 log 2)"):
        loss = student.function(MOD, "discriminator_loss")(real, fake)
        assert_scalar_close(scalar(loss, "discriminator_loss"), 2 * math.log(2), "the loss", LOSS_TOL)
    with case("generator_loss with all logits 0 (the loss should be log 2)"):
        loss = student.function(MOD, "generator_loss")(fake)
        assert_scalar_close(scalar(loss, "generator_loss"), math.log(2), "the loss", LOSS_TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_gan_losses_stable_for_large_logits(student, rng):
    """Logits of order 1000: exp overflows, so sigmoid-then-log gives inf or nan; the loss is about 1000 or 0."""
    hint = " (use a numerically stable formula, e.g. F.binary_cross_entropy_with_logits)"
    cases = [("logits of +-1000 and 2", np.array([1000.0, -1000.0, 2.0]), np.array([1000.0, -1000.0]))]
    cases.append((f"random logits of order {LARGE_SCALE:g}, shape (N, 1)", logits(rng, 6, LARGE_SCALE, True),
                  logits(rng, 5, LARGE_SCALE, True)))
    for description, real, fake in cases:
        with case(f"discriminator_loss with {description}{hint}"):
            loss, g_real, g_fake = expected_discriminator_loss(real, fake)
            check_loss(student, "discriminator_loss", (real, fake), loss, (g_real, g_fake),
                       ("logits_real", "logits_fake"))
        with case(f"generator_loss with {description}{hint}"):
            loss, grad = expected_generator_loss(fake)
            check_loss(student, "generator_loss", (fake,), loss, (grad,), ("logits_fake",))


@pytest.mark.public
@pytest.mark.points(1)
def test_ls_losses_on_simple_scores(student):
    real, fake = np.array([[1.0], [3.0]]), np.array([[0.0], [2.0], [-1.0]])
    with case("ls_discriminator_loss with scores_real [1, 3] and scores_fake [0, 2, -1] (expected 1/2 * 2 + "
              "1/2 * 5/3)"):
        check_loss(student, "ls_discriminator_loss", (real, fake), *expected_ls_discriminator_loss(real, fake)[:1],
                   expected_ls_discriminator_loss(real, fake)[1:], ("scores_real", "scores_fake"))
    with case("ls_generator_loss with scores_fake [0, 2, -1] (expected 1/2 * 6/3)"):
        loss, grad = expected_ls_generator_loss(fake)
        check_loss(student, "ls_generator_loss", (fake,), loss, (grad,), ("scores_fake",))


# ------------------------------------------------------------------ hidden: losses

@pytest.mark.points(2)
def test_discriminator_loss_values_and_gradients(student, rng):
    for description, real, fake in loss_cases(rng):
        with case(f"discriminator_loss on {description}, {real.size} real and {fake.size} fake"):
            loss, g_real, g_fake = expected_discriminator_loss(real, fake)
            check_loss(student, "discriminator_loss", (real, fake), loss, (g_real, g_fake),
                       ("logits_real", "logits_fake"))


@pytest.mark.points(2)
def test_generator_loss_values_and_gradients(student, rng):
    for description, _, fake in loss_cases(rng):
        with case(f"generator_loss on {description}, {fake.size} fake"):
            loss, grad = expected_generator_loss(fake)
            check_loss(student, "generator_loss", (fake,), loss, (grad,), ("logits_fake",))


@pytest.mark.points(1)
def test_ls_discriminator_loss_values_and_gradients(student, rng):
    for description, real, fake in loss_cases(rng):
        with case(f"ls_discriminator_loss on {description.replace('logits', 'scores')}, {real.size} real and "
                  f"{fake.size} fake"):
            loss, g_real, g_fake = expected_ls_discriminator_loss(real, fake)
            check_loss(student, "ls_discriminator_loss", (real, fake), loss, (g_real, g_fake),
                       ("scores_real", "scores_fake"))


@pytest.mark.points(1)
def test_ls_generator_loss_values_and_gradients(student, rng):
    for description, _, fake in loss_cases(rng):
        with case(f"ls_generator_loss on {description.replace('logits', 'scores')}, {fake.size} fake"):
            loss, grad = expected_ls_generator_loss(fake)
            check_loss(student, "ls_generator_loss", (fake,), loss, (grad,), ("scores_fake",))


# ------------------------------------------------------------------ sample_noise

def noise(student, *args, **kwargs):
    value = student.function(MOD, "sample_noise")(*args, **kwargs)
    shape = (args[0], args[1])
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"sample_noise({args[0]}, {args[1]}) should return a torch tensor; got {describe(value)}")
    if tuple(value.shape) != shape:
        raise CheckFailed(f"sample_noise({args[0]}, {args[1]}) has shape {tuple(value.shape)}; expected {shape}")
    if not value.is_floating_point():
        raise CheckFailed(f"sample_noise returned a tensor of dtype {value.dtype}; it should hold floats")
    return value.double().numpy()


@pytest.mark.public
@pytest.mark.points(1)
def test_sample_noise_shape_range_and_seed(student):
    for n, d in [(7, 3), (1, 96), (128, 96)]:
        values = noise(student, n, d)
        if not np.all(np.isfinite(values)) or values.min() < -1 or values.max() >= 1:
            raise CheckFailed(f"sample_noise({n}, {d}) has values from {values.min():.3g} to {values.max():.3g}; "
                              "they should lie in [-1, 1)")
    if not np.array_equal(noise(student, 5, 4, seed=11), noise(student, 5, 4, seed=11)):
        raise CheckFailed("sample_noise(5, 4, seed=11) gave different noise on two calls; the same seed should "
                          "give the same noise (call torch.manual_seed(seed) first)")


@pytest.mark.points(1)
def test_sample_noise_is_uniform_on_minus_one_to_one(student):
    values = noise(student, 20000, 5, seed=3)
    if values.min() < -1 or values.max() >= 1:
        raise CheckFailed(f"sample_noise(20000, 5) has values from {values.min():.3g} to {values.max():.3g}; "
                          "they should lie in [-1, 1)")
    # For uniform [-1, 1): mean 0 (sd of the mean 0.004), variance 1/3 (sd 0.002), both ends reached.
    mean, var = values.mean(), values.var()
    if abs(mean) > 0.03 or abs(var - 1 / 3) > 0.02 or values.min() > -0.99 or values.max() < 0.99:
        raise CheckFailed(f"100,000 values of sample_noise have mean {mean:.3f}, variance {var:.3f} and range "
                          f"[{values.min():.3f}, {values.max():.3f}]; uniform noise on [-1, 1) has mean 0, "
                          "variance 1/3 and fills the whole interval")
    if np.array_equal(values[:100], noise(student, 20000, 5, seed=4)[:100]):
        raise CheckFailed("sample_noise gave the same noise for seeds 3 and 4")


# ------------------------------------------------------------------ networks

NETWORKS = ("discriminator", "generator", "build_dc_classifier", "build_dc_generator")
BUILDERS = {  # name -> (arguments for the counted network, input (N, D) it takes, output width)
    "discriminator": ((), IMAGE_SIZE, 1),
    "generator": ((4,), 4, IMAGE_SIZE),
    "build_dc_classifier": ((-1,), IMAGE_SIZE, 1),
    "build_dc_generator": ((4,), 4, IMAGE_SIZE),
}


def build(code, name, *args):
    net = code.function(MOD, name)(*args)
    if not isinstance(net, Remote):
        raise CheckFailed(f"{name}{args} should return an nn.Module; it returned {describe(net)}")
    return net


def run_with_parameters(net, what, x):
    """(output as float64 array, {name: parameter shape}) of `net` on x, checking the output is a tensor."""
    out, (grads,) = net.grad("forward", x, wrt=("parameters",))
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(f"{what} should return a tensor; it returned {describe(out)}")
    return out.detach().double().numpy(), {k: tuple(v.shape) for k, v in grads.items()}


def input_for(rng, n, width):
    """(n, width) float32 values in [-1, 1): noise for a generator, preprocessed images for a discriminator."""
    return torch.from_numpy(rng.uniform(-1, 1, (n, width)).astype(np.float32))


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", NETWORKS)
def test_network_output_shape_and_parameter_count(student, rng, name):
    args, width, out_width = BUILDERS[name]
    n = 5
    call = f"{name}({', '.join(map(str, args))})"
    net = build(student, name, *args)
    what = f"the network from {call} on a batch of shape ({n}, {width})"
    with case(what):
        out, shapes = run_with_parameters(net, what, input_for(rng, n, width))
    if out.shape != (n, out_width):
        raise CheckFailed(f"{what} returned shape {out.shape}; expected ({n}, {out_width})")
    if out_width == IMAGE_SIZE and (out.min() < -1 or out.max() > 1):
        raise CheckFailed(f"{what} returned pixels from {out.min():.3g} to {out.max():.3g}; a generator ends "
                          "with tanh, so they should lie in [-1, 1]")
    count = sum(math.prod(s) for s in shapes.values())
    if count != PARAM_COUNTS[name]:
        raise CheckFailed(f"the network from {call} has {count:,} parameters; the architecture in the docstring "
                          f"has {PARAM_COUNTS[name]:,}")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["discriminator", "generator"])
def test_network_seed_gives_same_weights(student, rng, name):
    args, width, _ = BUILDERS[name]
    x = input_for(rng, 3, width)
    outs = [build(student, name, *args, seed).call("forward", x) for seed in (5, 5, 6)]
    for out in outs:
        if not isinstance(out, torch.Tensor):
            raise CheckFailed(f"the network from {name} should return a tensor; it returned {describe(out)}")
    if not torch.equal(outs[0], outs[1]):
        raise CheckFailed(f"two networks from {name}(seed=5) give different outputs for the same input; the same "
                          "seed should give the same initial weights (call torch.manual_seed(seed) first)")
    if torch.equal(outs[0], outs[2]):
        raise CheckFailed(f"the networks from {name}(seed=5) and {name}(seed=6) give the same outputs; the seed "
                          "should decide the initial weights")


def random_weights(rng, shapes):
    """Float64 weights of `shapes` ({name: shape}): 1/sqrt(fan-in) scaled matrices and filters,
    BatchNorm-like scales near 1, small non-zero biases (so that leaving one out shows)."""
    weights = {}
    for key, shape in shapes.items():
        if len(shape) >= 2:
            values = rng.standard_normal(shape) / np.sqrt(math.prod(shape[1:]))
        elif key.endswith("weight"):
            values = 1 + 0.2 * rng.standard_normal(shape)
        else:
            values = 0.1 * rng.standard_normal(shape)
        weights[key] = torch.from_numpy(values)
    return weights


@pytest.mark.points(2)
@pytest.mark.parametrize("name", NETWORKS)
def test_network_matches_architecture_by_value(student, reference, rng, name):
    """With the reference's weights, the student's network computes what the architecture does."""
    args, width, _ = BUILDERS[name]
    if name.endswith("generator"):
        args = (7,)
        width = 7
    call = f"{name}({', '.join(map(str, args))})"
    for n in (2, 6):
        x = input_for(rng, n, width).double()
        ref = build(reference, name, *args)
        ref.call("double")
        _, ref_shapes = run_with_parameters(ref, name, x)
        weights = random_weights(rng, ref_shapes)
        ref.call("load_state_dict", weights, strict=False)
        expected = ref.call("forward", x)
        net = build(student, name, *args)
        net.call("double")
        what = f"the network from {call} on a batch of shape ({n}, {width})"
        with case(what):
            _, shapes = run_with_parameters(net, what, x)
        ours = [tuple(w.shape) for w in weights.values()]
        theirs = list(shapes.values())
        if theirs != ours:
            raise CheckFailed(f"the parameters of the network from {call}, in the order the layers are created, have "
                              f"shapes {theirs}; the architecture in the docstring has {ours}")
        state = {key: w for key, w in zip(shapes, weights.values())}
        net.call("load_state_dict", state, strict=False)
        with case(f"{what}, with given weights loaded"):
            out = net.call("forward", x)
            assert_close(out, expected, "the output", VALUE_TOL)


# ------------------------------------------------------------------ optimizer

def optimizer_for(student, model):
    opt = student.function(MOD, "get_optimizer")(model)
    if not isinstance(opt, Remote) or opt.type_name != "Adam":
        raise CheckFailed(f"get_optimizer should return a torch.optim.Adam; it returned {describe(opt)}")
    return opt


@pytest.mark.public
@pytest.mark.points(1)
def test_get_optimizer_settings(student):
    opt = optimizer_for(student, student.new("torch.nn", "Linear", 5, 4))
    (group,) = opt.get("param_groups")
    lr, betas, decay = group.get("lr"), group.get("betas"), group.get("weight_decay")
    if not isinstance(lr, (int, float)) or not math.isclose(float(lr), 1e-3, rel_tol=1e-9):
        raise CheckFailed(f"the optimizer's learning rate is {lr!r}; it should be 1e-3")
    if not isinstance(betas, (list, tuple)) or len(betas) != 2 or not all(
            isinstance(b, (int, float)) and math.isclose(float(b), want, rel_tol=1e-9)
            for b, want in zip(betas, (0.5, 0.999))):
        raise CheckFailed(f"the optimizer's betas are {betas!r}; they should be (0.5, 0.999)")
    if decay not in (0, 0.0):
        raise CheckFailed(f"the optimizer has weight_decay {decay!r}; it should have none (0)")


@pytest.mark.points(1)
def test_get_optimizer_updates_every_parameter(student):
    opt = optimizer_for(student, student.new("torch.nn", "Sequential", student.new("torch.nn", "Linear", 3, 6),
                                             student.new("torch.nn", "Tanh"), student.new("torch.nn", "Linear", 6, 2)))
    shapes = sorted(tuple(p.shape) for group in opt.get("param_groups") for p in group["params"])
    expected = sorted([(6, 3), (6,), (2, 6), (2,)])
    if shapes != expected:
        raise CheckFailed(f"the optimizer updates parameters of shapes {shapes}; for a model of two linear layers "
                          f"it should update all of them, {expected}: pass model.parameters()")
