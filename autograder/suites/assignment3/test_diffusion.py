"""The DDPM parts of cs231n/gaussian_diffusion.py (DDPM.ipynb).

Every expected value is computed here, independently of the student's module:
the schedule from its documented formula (Ho et al.'s linear betas scaled by
1000 / T) in NumPy float64, alpha_bar by a cumulative product, the closed forms
of q(x_t | x_0), of its inverse and of the posterior mean and variance. The
noise-predicting model is a small U-Net built on the student's side
(cs231n/unet.py, given code) in float64; its predictions eps are read back by
value, so the expected p_sample and p_losses follow from the same eps whatever
its weights. p_sample and p_losses may also match what the student's own
predict_start_from_noise and q_sample give (a mistake there is charged by its
own test). Images of several shapes ((N, D), (N, 1, H, W), (N, 3, H, W)), several
T, and timesteps that differ between the images, 0 and T - 1 among them.
"""
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, Remote, assert_close, assert_one_of, case, describe, own

MOD = "cs231n.gaussian_diffusion"
TOL = 1e-9          # float64 closed forms: only the order of operations differs
FLOAT32_TOL = 1e-5  # the same in float32, an absolute difference (values of order 1)


# ------------------------------------------------------------------ independent formulations

def schedule(T):
    """(betas, alphas, alpha_bar, alpha_bar_prev) in float64, from the documented linear schedule."""
    betas = np.array([1000.0 / T * (1e-4 + (0.02 - 1e-4) * i / (T - 1)) for i in range(T)])
    alphas = 1 - betas
    alpha_bar = np.cumprod(alphas)
    return betas, alphas, alpha_bar, np.concatenate([[1.0], alpha_bar[:-1]])


def per_image(values, t, ndim):
    return values[t].reshape((-1,) + (1,) * (ndim - 1))


def expected_q_sample(T, x0, t, eps):
    _, _, ab, _ = schedule(T)
    a = per_image(ab, t, x0.ndim)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * eps


def expected_start(T, xt, t, eps):
    _, _, ab, _ = schedule(T)
    a = per_image(ab, t, xt.ndim)
    return (xt - np.sqrt(1 - a) * eps) / np.sqrt(a)


def expected_mean_and_sigma(T, xt, t, eps):
    """The reverse step's mean (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t) and sigma_t = sqrt(beta_tilde_t)."""
    b, al, ab, abp = schedule(T)
    beta, alpha, abar, abar_prev = (per_image(v, t, xt.ndim) for v in (b, al, ab, abp))
    mean = (xt - beta / np.sqrt(1 - abar) * eps) / np.sqrt(alpha)
    return mean, np.sqrt(beta * (1 - abar_prev) / (1 - abar))


def tensor(values, dtype=torch.float64):
    return torch.from_numpy(np.ascontiguousarray(values)).to(dtype)


def timesteps(rng, n, T):
    """n timesteps in 0..T-1, 0 and T - 1 among them when n > 2."""
    t = rng.integers(0, T, n)
    if n > 2:
        t[0], t[1] = 0, T - 1
    return t


# ------------------------------------------------------------------ the student's objects

def diffusion(code, T):
    d = code.new(MOD, "GaussianDiffusion", T)
    if not isinstance(d, Remote):
        raise CheckFailed(f"GaussianDiffusion({T}) should make an object; got {describe(d)}")
    return d


def unet(code):
    """A small float64 U-Net (cs231n/unet.py) on the student's side: images (N, 1, H, W), H and W multiples of 4."""
    net = code.new("cs231n.unet", "UNet", (8, 8, 8), 8)
    net.call("double")
    return net


def predicted_noise(net, x, t):
    eps = net.call("forward", tensor(x), torch.from_numpy(t))
    return eps.double().numpy()


def returned(value, name, shape, dtype=torch.float64):
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{name} should return a torch tensor; it returned {describe(value)}")
    if tuple(value.shape) != tuple(shape):
        raise CheckFailed(f"{name} returned shape {tuple(value.shape)}; expected {tuple(shape)} (the images' shape)")
    if value.dtype != dtype:
        raise CheckFailed(f"{name} returned dtype {value.dtype} for {dtype} images; keep the images' dtype")
    return value


SHAPES = [(5, 1, 28, 28), (4, 7), (3, 3, 5, 6), (1, 2, 4, 4)]
IMAGE_SHAPES = [(4, 1, 8, 8), (3, 1, 12, 12), (1, 1, 4, 8)]   # what the U-Net takes


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
def test_q_sample_matches_closed_form(student, rng):
    T = 200
    d = diffusion(student, T)
    x0, eps = rng.uniform(-1, 1, (3, 1, 6, 6)), rng.standard_normal((3, 1, 6, 6))
    t = np.array([0, 100, 199])
    with case("q_sample on images (3, 1, 6, 6) at t = [0, 100, 199] with T = 200"):
        got = returned(d.call("q_sample", tensor(x0), torch.from_numpy(t), tensor(eps)), "q_sample", x0.shape)
        assert_close(got, tensor(expected_q_sample(T, x0, t, eps)), "x_t", TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_predict_start_from_noise_inverts_q_sample(student, rng):
    T = 200
    d = diffusion(student, T)
    x0, eps = rng.uniform(-1, 1, (4, 1, 5, 5)), rng.standard_normal((4, 1, 5, 5))
    t = np.array([0, 3, 150, 199])
    with case("predict_start_from_noise(x_t, t, eps) with x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, "
              "t = [0, 3, 150, 199]"):
        xt = tensor(expected_q_sample(T, x0, t, eps))
        got = returned(d.call("predict_start_from_noise", xt, torch.from_numpy(t), tensor(eps)),
                       "predict_start_from_noise", x0.shape)
        assert_close(got, tensor(x0), "the recovered x_0", 1e-7)


@pytest.mark.public
@pytest.mark.points(1)
def test_p_sample_adds_no_noise_at_t_zero(student, rng):
    """The one test of the last step's convention: no sigma_t z where t == 0, noise everywhere else."""
    d, net = diffusion(student, 200), unet(student)
    for t in ([0, 0, 0], [0, 5, 0, 199]):
        t = np.array(t)
        xt = rng.standard_normal((len(t), 1, 8, 8))
        with case(f"p_sample at t = {t.tolist()} with two different noises (the last step, t = 0, adds none)"):
            a, b = (returned(d.call("p_sample", net, tensor(xt), torch.from_numpy(t),
                                    noise=tensor(rng.standard_normal(xt.shape))), "p_sample", xt.shape)
                    for _ in range(2))
            for i, step in enumerate(t.tolist()):
                same = torch.allclose(a[i], b[i], rtol=1e-12, atol=1e-12)
                if step == 0 and not same:
                    raise CheckFailed(f"p_sample gives image {i} (t = 0) different values for different noise; the "
                                      "last step returns the mean (no sigma_t z where t == 0)")
                if step != 0 and same:
                    raise CheckFailed(f"p_sample ignores the noise for image {i} (t = {step}); only images with "
                                      "t == 0 get no noise (check the mask per image)")


@pytest.mark.public
@pytest.mark.points(1)
def test_p_losses_is_the_noise_mse(student, rng):
    T = 200
    d, net = diffusion(student, T), unet(student)
    x0, eps = rng.uniform(-1, 1, (4, 1, 8, 8)), rng.standard_normal((4, 1, 8, 8))
    t = np.array([0, 10, 120, 199])
    with case("p_losses on images (4, 1, 8, 8) with a given noise"):
        loss = d.call("p_losses", net, tensor(x0), torch.from_numpy(t), tensor(eps))
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise CheckFailed(f"p_losses should return a scalar tensor (shape ()); it returned {describe(loss)}")
        expected = np.mean((predicted_noise(net, expected_q_sample(T, x0, t, eps), t) - eps) ** 2)
        # Or what the student's own q_sample gives (a mistake there is charged by its own tests).
        own_xt = own(lambda: d.call("q_sample", tensor(x0), torch.from_numpy(t), tensor(eps)).double().numpy())
        candidates = [np.float64(expected)]
        if own_xt is not None and own_xt.shape == x0.shape:
            candidates.append(np.float64(np.mean((predicted_noise(net, own_xt, t) - eps) ** 2)))
        assert_one_of(loss.double().numpy(), candidates, "the loss", TOL)


# ------------------------------------------------------------------ hidden: q_sample, predict_start_from_noise

def q_cases(rng):
    for T in (200, 50, 1000):
        for shape in SHAPES:
            yield T, shape, rng.uniform(-1, 1, shape), rng.standard_normal(shape), timesteps(rng, shape[0], T)


@pytest.mark.points(2)
def test_q_sample_closed_form_every_shape_and_t(student, rng):
    for T, shape, x0, eps, t in q_cases(rng):
        d = diffusion(student, T)
        with case(f"q_sample on images of shape {shape}, T = {T}, t = {t.tolist()}"):
            got = returned(d.call("q_sample", tensor(x0), torch.from_numpy(t), tensor(eps)), "q_sample", shape)
            assert_close(got, tensor(expected_q_sample(T, x0, t, eps)), "x_t", TOL)
    with case("q_sample on float32 images of shape (6, 1, 28, 28), T = 200"):
        x0, eps, t = rng.uniform(-1, 1, (6, 1, 28, 28)), rng.standard_normal((6, 1, 28, 28)), timesteps(rng, 6, 200)
        got = diffusion(student, 200).call("q_sample", tensor(x0, torch.float32), torch.from_numpy(t),
                                           tensor(eps, torch.float32))
        returned(got, "q_sample", x0.shape, torch.float32)
        # Absolute: where the two terms nearly cancel, float32 keeps no relative accuracy (whichever
        # order the square roots and the cast come in).
        error = float(np.max(np.abs(got.double().numpy() - expected_q_sample(200, x0, t, eps))))
        if not error <= FLOAT32_TOL:
            raise CheckFailed(f"x_t differs from sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps by up to {error:.2g} "
                              f"(allowed {FLOAT32_TOL:.0e} in float32)")


@pytest.mark.points(1)
def test_predict_start_from_noise_closed_form(student, rng):
    for T, shape, xt, eps, t in q_cases(rng):
        d = diffusion(student, T)
        with case(f"predict_start_from_noise on images of shape {shape}, T = {T}, t = {t.tolist()}"):
            got = returned(d.call("predict_start_from_noise", tensor(xt), torch.from_numpy(t), tensor(eps)),
                           "predict_start_from_noise", shape)
            assert_close(got, tensor(expected_start(T, xt, t, eps)), "x_0", 1e-8)


# ------------------------------------------------------------------ hidden: p_sample

def own_mean_and_sigma(d, xt, t, eps, T):
    """The mean from the student's own predict_start_from_noise (with the given posterior coefficients)."""
    _, _, ab, abp = schedule(T)
    b = schedule(T)[0]
    x0 = d.call("predict_start_from_noise", tensor(xt), torch.from_numpy(t), tensor(eps)).double().numpy()
    coef1 = per_image(b * np.sqrt(abp) / (1 - ab), t, xt.ndim)
    coef2 = per_image((1 - abp) * np.sqrt(1 - b) / (1 - ab), t, xt.ndim)
    return coef1 * x0 + coef2 * xt


@pytest.mark.points(2)
def test_p_sample_mean_and_variance_with_given_noise(student, rng):
    net = unet(student)
    for T in (200, 50):
        d = diffusion(student, T)
        for shape in IMAGE_SHAPES:
            # t >= 1: the last step's convention (t = 0) is test_p_sample_adds_no_noise_at_t_zero's.
            xt, z = rng.standard_normal(shape), rng.standard_normal(shape)
            t = np.maximum(timesteps(rng, shape[0], T), 1)
            with case(f"p_sample on images of shape {shape}, T = {T}, t = {t.tolist()}, with a given noise z "
                      "(sigma_t^2 = posterior_variance)"):
                got = returned(d.call("p_sample", net, tensor(xt), torch.from_numpy(t), noise=tensor(z)),
                               "p_sample", shape)
                eps = predicted_noise(net, xt, t)
                mean, sigma = expected_mean_and_sigma(T, xt, t, eps)
                expected = mean + sigma * z
                own_mean = own(lambda: own_mean_and_sigma(d, xt, t, eps, T))
                candidates = [tensor(expected)]
                if own_mean is not None:
                    candidates.append(tensor(own_mean + sigma * z))
                assert_one_of(got, candidates, "x_{t-1}", 1e-8)


@pytest.mark.points(1)
def test_p_sample_draws_standard_normal_noise(student, rng):
    """Without a given noise: two calls differ by sigma_t (z_1 - z_2), z standard normal (whatever the mean);
    a seeded generator repeats the draw. Timesteps from T / 2 on, where beta_t and posterior_variance agree
    to 1e-4, so this test is about the draw alone."""
    T, d, net = 200, diffusion(student, 200), unet(student)
    shape = (400, 1, 8, 8)
    xt, t = rng.standard_normal(shape), rng.integers(T // 2, T, shape[0])
    _, sigma = expected_mean_and_sigma(T, xt, t, np.zeros(shape))
    with case(f"p_sample twice on {shape[0]} images of shape {shape[1:]}, t from {T // 2} to {T - 1}, noise drawn "
              "by p_sample"):
        first, second = (returned(d.call("p_sample", net, tensor(xt), torch.from_numpy(t)), "p_sample",
                                  shape).numpy() for _ in range(2))
        z = (first - second) / (np.sqrt(2) * sigma)
        if not np.all(np.isfinite(z)) or abs(z.mean()) > 0.02 or abs(z.std() - 1) > 0.03:
            raise CheckFailed(f"two calls of p_sample differ by sigma_t (z_1 - z_2) with (z_1 - z_2) / sqrt(2) of "
                              f"mean {z.mean():.3f} and standard deviation {z.std():.3f} over {z.size} values; z "
                              "should be standard normal (torch.randn), drawn afresh on each call")
    with case("p_sample twice with generators seeded alike, then with another seed (generator=...)"):
        runs = []
        for seed in (7, 7, 8):
            g = student.new("torch", "Generator")
            g.call("manual_seed", seed)
            runs.append(d.call("p_sample", net, tensor(xt[:4]), torch.from_numpy(t[:4]), generator=g))
        if not torch.equal(runs[0], runs[1]):
            raise CheckFailed("p_sample with two generators seeded alike gives different images; draw z with "
                              "the generator (torch.randn(..., generator=generator))")
        if torch.equal(runs[0], runs[2]):
            raise CheckFailed("p_sample gives the same images for generators of different seeds; draw z with "
                              "the generator")


# ------------------------------------------------------------------ hidden: p_losses

@pytest.mark.points(2)
def test_p_losses_with_given_noise(student, rng):
    net = unet(student)
    for T in (200, 1000):
        d = diffusion(student, T)
        for shape in IMAGE_SHAPES:
            x0, eps, t = rng.uniform(-1, 1, shape), rng.standard_normal(shape), timesteps(rng, shape[0], T)
            with case(f"p_losses on images of shape {shape}, T = {T}, t = {t.tolist()}, with a given noise"):
                loss = d.call("p_losses", net, tensor(x0), torch.from_numpy(t), tensor(eps))
                if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
                    raise CheckFailed(f"p_losses should return a scalar tensor (shape ()); it returned {describe(loss)}")
                expected = np.mean((predicted_noise(net, expected_q_sample(T, x0, t, eps), t) - eps) ** 2)
                own_xt = own(lambda: d.call("q_sample", tensor(x0), torch.from_numpy(t), tensor(eps)).double().numpy())
                candidates = [expected]
                if own_xt is not None and own_xt.shape == shape:
                    candidates.append(np.mean((predicted_noise(net, own_xt, t) - eps) ** 2))
                assert_one_of(loss.double().numpy(), [np.float64(c) for c in candidates], "the loss", TOL)


@pytest.mark.points(1)
def test_p_losses_draws_its_own_noise(student, rng):
    """Without a noise: a fresh standard normal draw each call. Averaged over calls, the loss matches the
    student's own p_losses with standard normal noise given (so a mistake in the formula is not charged here)."""
    T, d, net = 200, diffusion(student, 200), unet(student)
    shape, calls = (32, 1, 8, 8), 12
    x0, t = rng.uniform(-1, 1, shape), rng.integers(0, T, shape[0])
    with case(f"p_losses on images of shape {shape} with noise=None, {calls} calls"):
        drawn = [d.call("p_losses", net, tensor(x0), torch.from_numpy(t)) for _ in range(calls)]
        for loss in drawn:
            if not isinstance(loss, torch.Tensor) or loss.dim() != 0 or not torch.isfinite(loss):
                raise CheckFailed(f"p_losses should return a finite scalar tensor; it returned {describe(loss)}")
        if torch.equal(drawn[0], drawn[1]):
            raise CheckFailed("p_losses with noise=None gave the same loss twice; draw fresh noise each call "
                              "(torch.randn_like(x_start))")
        given = [float(d.call("p_losses", net, tensor(x0), torch.from_numpy(t), tensor(rng.standard_normal(shape))))
                 for _ in range(calls)]
        ratio = np.mean([float(v) for v in drawn]) / np.mean(given)
        if not 0.8 < ratio < 1.25:
            raise CheckFailed(f"p_losses with noise=None averages {ratio:.2f} times its value with standard normal "
                              "noise given; the noise it draws should be standard normal (torch.randn_like)")
