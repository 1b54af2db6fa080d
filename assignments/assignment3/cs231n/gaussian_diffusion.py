"""A denoising diffusion probabilistic model (DDPM, Ho et al., 2020), in PyTorch.

DDPM.ipynb works through this file from top to bottom. The forward process
adds Gaussian noise to an image x_0 in T small steps,

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),   t = 1, ..., T,

so that x_T is almost pure noise. A network eps_theta(x_t, t) learns to tell
the noise in x_t; the reverse process then starts from noise and removes it
step by step. You write:

- `GaussianDiffusion.q_sample`: x_t drawn from q(x_t | x_0) in one step (closed form);
- `GaussianDiffusion.predict_start_from_noise`: x_0 from x_t and the noise in it;
- `GaussianDiffusion.p_sample`: one step of the reverse process, x_t -> x_{t-1};
- `GaussianDiffusion.p_losses`: the training loss, the MSE between the true and the predicted noise.

Given: the noise schedule and the quantities derived from it (the buffers
below), `extract`, the reverse loop `sample` (which clips the estimates of x_0
to [-1, 1], `clipped_noise_model`), and the training loop `train`.

Conventions. Images are float tensors of shape (N, ...) (MNIST: (N, 1, 28, 28))
scaled to [-1, 1]. Timesteps are int64 tensors t of shape (N,), one per image,
indexed from 0: t = 0 is the first noising step (beta_1 in the paper's
numbering), t = T - 1 the last. Every buffer is a float64 tensor of shape (T,);
`extract(a, t, x.shape)` picks a[t] per image, shaped to broadcast against x,
and in x's dtype, so float64 inputs give float64 results.

Timesteps: T = 200 by default. Sampling runs the network once per step on the
whole batch, so its cost grows with T; on one CPU core 200 steps of 100
MNIST samples take about a minute with the course's U-Net. The betas of Ho et
al. (linear from 1e-4 to 0.02 for T = 1000) are scaled by 1000 / T, so that the
last x_T is as close to pure noise (alpha_bar_T about 5e-5) with 200 steps.
"""
import numpy as np
import torch
import torch.nn.functional as F

NUM_TIMESTEPS = 200


def linear_beta_schedule(num_timesteps):
    """Ho et al.'s linear schedule, scaled to T steps: float64 array (T,) from 1e-4 * 1000/T to 0.02 * 1000/T.

    The last beta is 20 / T, so T must be more than 20 (at least about 40 for a gentle last step).
    """
    scale = 1000.0 / num_timesteps
    return np.linspace(scale * 1e-4, scale * 0.02, num_timesteps, dtype=np.float64)


def extract(a, t, x_shape):
    """a[t] for each image, shaped (N, 1, ..., 1) to broadcast against images of shape x_shape = (N, ...).

    Inputs:
    - a: float64 tensor (T,), a buffer of GaussianDiffusion.
    - t: int64 tensor (N,) of timesteps in 0..T-1.
    - x_shape: the shape (N, ...) of the images.

    Returns a float64 tensor of shape (N,) + (1,) * (len(x_shape) - 1).
    """
    return a[t].reshape((t.shape[0],) + (1,) * (len(x_shape) - 1))


class GaussianDiffusion:
    """The forward (noising) and reverse (denoising) processes of a DDPM with T steps.

    Buffers (float64 tensors of shape (T,), index t = step t + 1 of the paper):
    - betas: beta_t, the variance of the noise added at step t.
    - alphas: alpha_t = 1 - beta_t.
    - alphas_cumprod: alpha_bar_t = alpha_0 * alpha_1 * ... * alpha_t.
    - alphas_cumprod_prev: alpha_bar_{t-1}, with alpha_bar_{-1} = 1.
    - sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod: sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t).
    - sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod: sqrt(1 / alpha_bar_t), sqrt(1 / alpha_bar_t - 1).
    - posterior_variance: beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t), the variance of
      q(x_{t-1} | x_t, x_0) (0 at t = 0).
    - posterior_mean_coef1, posterior_mean_coef2: the mean of q(x_{t-1} | x_t, x_0) is
      posterior_mean_coef1 * x_0 + posterior_mean_coef2 * x_t.
    """

    def __init__(self, num_timesteps=NUM_TIMESTEPS):
        self.num_timesteps = int(num_timesteps)
        betas = linear_beta_schedule(self.num_timesteps)
        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas)
        alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
        buffers = {
            "betas": betas,
            "alphas": alphas,
            "alphas_cumprod": alphas_cumprod,
            "alphas_cumprod_prev": alphas_cumprod_prev,
            "sqrt_alphas_cumprod": np.sqrt(alphas_cumprod),
            "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - alphas_cumprod),
            "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod),
            "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod - 1.0),
            "posterior_variance": betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod),
            "posterior_mean_coef1": betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod),
            "posterior_mean_coef2": (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod),
        }
        for name, values in buffers.items():
            setattr(self, name, torch.from_numpy(values))

    def _coef(self, a, t, x):
        """extract(a, t, x.shape) in x's dtype."""
        return extract(a, t, x.shape).to(x.dtype)

    def q_sample(self, x_start, t, noise):
        """Draw x_t from q(x_t | x_0) in one step: sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise.

        Inputs:
        - x_start: float tensor (N, ...), clean images x_0.
        - t: int64 tensor (N,), a timestep per image in 0..T-1.
        - noise: float tensor of x_start's shape, standard normal noise eps.

        Returns x_t, a tensor of x_start's shape and dtype.
        """
        # TODO: Combine x_start and noise with the buffers sqrt_alphas_cumprod and
        # sqrt_one_minus_alphas_cumprod at each image's own t (use self._coef or extract).
        raise NotImplementedError('Complete GaussianDiffusion.q_sample (see the TODO above)')

    def predict_start_from_noise(self, x_t, t, noise):
        """x_0 from x_t and the noise in it: q_sample solved for x_start.

        x_0 = sqrt(1 / alpha_bar_t) x_t - sqrt(1 / alpha_bar_t - 1) noise.

        Inputs:
        - x_t: float tensor (N, ...), noisy images.
        - t: int64 tensor (N,), their timesteps in 0..T-1.
        - noise: float tensor of x_t's shape, the noise in x_t (true or predicted).

        Returns x_0, a tensor of x_t's shape and dtype.
        """
        # TODO: Invert q_sample (the buffers sqrt_recip_alphas_cumprod and sqrt_recipm1_alphas_cumprod).
        raise NotImplementedError('Complete GaussianDiffusion.predict_start_from_noise (see the TODO above)')

    def p_sample(self, model, x_t, t, noise=None, generator=None):
        """One step of the reverse process: x_{t-1} drawn from p_theta(x_{t-1} | x_t).

        With eps = model(x_t, t) the predicted noise and x_0_hat = predict_start_from_noise(x_t, t, eps)
        (not clipped), the mean is that of the posterior q(x_{t-1} | x_t, x_0_hat),

            mu = posterior_mean_coef1 * x_0_hat + posterior_mean_coef2 * x_t
               = (x_t - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t),

        and the sample is mu + sigma_t z with sigma_t^2 = posterior_variance (beta_tilde_t) and z standard
        normal; images with t = 0 get no noise (their sample is mu).

        Inputs:
        - model: a module taking (x_t, t) and returning the predicted noise, of x_t's shape.
        - x_t: float tensor (N, ...), the current images.
        - t: int64 tensor (N,), their timesteps in 0..T-1 (they may differ between images).
        - noise: None, or a float tensor of x_t's shape to use as z (for tests).
        - generator: None, or a torch.Generator that torch.randn draws z with (when noise is None).

        Returns x_{t-1}, a tensor of x_t's shape and dtype.
        """
        # TODO: Predict the noise, compute the mean, draw z (unless noise is given), and add
        # sigma_t z except where t == 0.
        raise NotImplementedError('Complete GaussianDiffusion.p_sample (see the TODO above)')

    def p_losses(self, model, x_start, t, noise=None):
        """The training loss: mean squared error between the noise and the model's prediction of it.

        x_t = q_sample(x_start, t, noise); loss = mean over every entry of (model(x_t, t) - noise)^2.

        Inputs:
        - model: a module taking (x_t, t) and returning the predicted noise, of x_t's shape.
        - x_start: float tensor (N, ...), clean images.
        - t: int64 tensor (N,), a timestep per image.
        - noise: None (draw standard normal noise with torch.randn_like) or a tensor of x_start's shape.

        Returns the loss, a scalar tensor (shape ()).
        """
        # TODO: Draw the noise if none is given, noise the images with q_sample, and compare the
        # model's prediction with the noise (F.mse_loss averages over every entry).
        raise NotImplementedError('Complete GaussianDiffusion.p_losses (see the TODO above)')

    def clipped_noise_model(self, model):
        """model, with its predicted noise replaced by the noise that a clipped x_0 estimate implies.

        x_0_hat = predict_start_from_noise(x_t, t, eps) is clipped to [-1, 1], the images' range, and
        the noise is solved back from it. The reverse step's mean from that noise is the posterior mean
        of the clipped x_0_hat (Ho et al.'s code clips x_0_hat the same way): a small network's early
        estimates at large t overshoot, and unclipped they leave bright blobs in the samples.
        """
        def predict(x_t, t):
            recip = self._coef(self.sqrt_recip_alphas_cumprod, t, x_t)
            recipm1 = self._coef(self.sqrt_recipm1_alphas_cumprod, t, x_t)
            x_start = (recip * x_t - recipm1 * model(x_t, t)).clamp(-1, 1)
            return (recip * x_t - x_start) / recipm1
        return predict

    @torch.no_grad()
    def sample(self, model, shape, generator=None, keep_every=None, clip_denoised=True):
        """The reverse process: start from pure noise x_T and apply p_sample for t = T-1, ..., 0.

        Inputs:
        - model: the noise-predicting network, called as model(x_t, t).
        - shape: the shape (N, ...) of the batch of images to generate.
        - generator: None, or a torch.Generator for x_T and every step's noise (reproducible samples).
        - keep_every: None, or an int k: also return the images after every k-th step.
        - clip_denoised: if True, each step uses clipped_noise_model(model): x_0_hat clipped to [-1, 1].

        Returns x_0, a float32 tensor of `shape` (values about in [-1, 1]); with keep_every, also a list
        of (t, images) pairs from t = T-1 down to 0, the last one x_0.
        """
        was_training = model.training
        model.eval()
        predict = self.clipped_noise_model(model) if clip_denoised else model
        x = torch.randn(shape, generator=generator)
        kept = []
        for step in reversed(range(self.num_timesteps)):
            t = torch.full((shape[0],), step, dtype=torch.int64)
            x = self.p_sample(predict, x, t, generator=generator)
            if keep_every is not None and (step % keep_every == 0 or step == self.num_timesteps - 1):
                kept.append((step, x.clone()))
        model.train(was_training)
        return (x, kept) if keep_every is not None else x


def train(model, diffusion, loader, optimizer, num_epochs=1, max_steps=None, generator=None, after_epoch=None):
    """Train `model` to predict the noise: p_losses at uniformly drawn timesteps, one step per batch.

    Inputs:
    - model, diffusion: the network eps_theta and a GaussianDiffusion.
    - loader: batches (images, labels), images (N, 1, 28, 28) in [0, 1] (mapped here to [-1, 1]).
    - optimizer: a torch optimizer on model.parameters().
    - num_epochs: passes over the loader; max_steps: None, or stop each epoch after this many batches.
    - generator: a torch.Generator for the timesteps and the noise (reproducible training).
    - after_epoch: None, or a function f(epoch, model, losses) called after each epoch (epoch from 0, the
      losses so far), for samples and scores.

    Returns the list of training losses, one float per step.
    """
    losses = []
    model.train()
    for epoch in range(num_epochs):
        for step, (images, _) in enumerate(loader):
            if max_steps is not None and step >= max_steps:
                break
            x_start = 2 * images - 1
            t = torch.randint(0, diffusion.num_timesteps, (x_start.shape[0],), generator=generator)
            noise = torch.randn(x_start.shape, generator=generator)
            loss = diffusion.p_losses(model, x_start, t, noise)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if after_epoch is not None:
            after_epoch(epoch, model, losses)
    return losses
