"""Generative adversarial networks on MNIST, in PyTorch.

Generative_Adversarial_Networks.ipynb works through this file from top to bottom:

- random noise, the generator's input: `sample_noise`;
- a fully connected discriminator and generator: `discriminator`, `generator`;
- the GAN losses (binary cross-entropy on logits) and their optimizer:
  `discriminator_loss`, `generator_loss`, `get_optimizer`;
- the least-squares GAN losses: `ls_discriminator_loss`, `ls_generator_loss`;
- a deep convolutional GAN (DCGAN): `build_dc_classifier`, `build_dc_generator`.

Images are MNIST digits flattened to rows: float tensors of shape (N, 784).
Real images are scaled to [-1, 1] (`preprocess_img`), the range of the
generator's tanh output. A discriminator returns one logit (an unnormalized
score: large means "real") per image, a tensor of shape (N, 1).

The training loop `run_a_gan`, the layers `Flatten` and `Unflatten`,
`initialize_weights` and `show_images` are given.

The grader checks each network by its outputs for given weights: it loads
them in the order your network creates its parameters, so create the layers
in the order the docstring lists them (any modules will do: nn.Sequential,
a class of your own, torch's nn.Flatten).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NOISE_DIM = 96
IMAGE_SIZE = 784  # 28 x 28, flattened


def sample_noise(batch_size, dim, seed=None):
    """Random noise, uniform in [-1, 1).

    Inputs:
    - batch_size: int, the number of noise vectors N.
    - dim: int, the dimension D of each vector.
    - seed: int or None; if not None, seed PyTorch's random number generator
      with torch.manual_seed(seed) first, so that the same seed gives the same noise.

    Returns a float32 tensor of shape (batch_size, dim), values uniform in [-1, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    # TODO: Draw uniform random numbers in [-1, 1) with torch.rand (which gives [0, 1)).
    ### BEGIN SOLUTION
    return 2 * torch.rand(batch_size, dim) - 1
    ### END SOLUTION


class Flatten(nn.Module):
    """(N, C, H, W) -> (N, C * H * W)."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Unflatten(nn.Module):
    """(N, C * H * W) -> (N, C, H, W); N = -1 takes N from the input."""

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N, self.C, self.H, self.W = N, C, H, W

    def forward(self, x):
        return x.view(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights and zero biases for linear and (transposed) convolution layers.

    Use it as model.apply(initialize_weights).
    """
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)
        if m.bias is not None:
            nn.init.zeros_(m.bias.data)


def preprocess_img(x):
    """Pixels in [0, 1] -> [-1, 1]."""
    return 2 * x - 1.0


def deprocess_img(x):
    """Pixels in [-1, 1] -> [0, 1]."""
    return (x + 1.0) / 2.0


def discriminator(seed=None):
    """The fully connected discriminator: 784 -> 256 -> 256 -> 1.

    Architecture: Linear(784, 256), LeakyReLU(0.01), Linear(256, 256),
    LeakyReLU(0.01), Linear(256, 1); 267,009 parameters.

    Inputs:
    - seed: int or None; if not None, call torch.manual_seed(seed) before creating
      the layers, so that the same seed gives the same initial weights.

    Returns an nn.Module mapping images (N, 784) to logits (N, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    # TODO: Build the discriminator with nn.Sequential.
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(IMAGE_SIZE, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
    ### END SOLUTION
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """The fully connected generator: noise_dim -> 1024 -> 1024 -> 784.

    Architecture: Linear(noise_dim, 1024), ReLU, Linear(1024, 1024), ReLU,
    Linear(1024, 784), Tanh; 1,858,320 parameters for noise_dim = 4.

    Inputs:
    - noise_dim: int, the dimension D of the noise.
    - seed: int or None; as for `discriminator`.

    Returns an nn.Module mapping noise (N, noise_dim) to images (N, 784) in [-1, 1].
    """
    if seed is not None:
        torch.manual_seed(seed)
    # TODO: Build the generator with nn.Sequential.
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, IMAGE_SIZE),
        nn.Tanh(),
    )
    ### END SOLUTION
    return model


def discriminator_loss(logits_real, logits_fake):
    """The discriminator's loss: binary cross-entropy, real images labelled 1, fake ones 0.

    loss = mean over real images of -log(sigmoid(s)) + mean over fake images of -log(1 - sigmoid(s)),
    for logits s. Compute it from the logits in a numerically stable way
    (e.g. F.binary_cross_entropy_with_logits): logits of any size, 1e3 included,
    must give a finite loss.

    Inputs:
    - logits_real: float tensor of shape (N,) or (N, 1), the discriminator's logits for real images.
    - logits_fake: float tensor of the same kind (M entries), its logits for generated images.

    Returns a scalar tensor (shape ()), differentiable with respect to both inputs.
    """
    # TODO: Implement the discriminator loss.
    ### BEGIN SOLUTION
    loss_real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    loss_fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    loss = loss_real + loss_fake
    ### END SOLUTION
    return loss


def generator_loss(logits_fake):
    """The generator's loss: binary cross-entropy of the fake images labelled 1.

    loss = mean over fake images of -log(sigmoid(s)), computed stably as for
    `discriminator_loss`.

    Inputs:
    - logits_fake: float tensor of shape (N,) or (N, 1), the discriminator's logits for generated images.

    Returns a scalar tensor (shape ()).
    """
    # TODO: Implement the generator loss.
    ### BEGIN SOLUTION
    loss = F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))
    ### END SOLUTION
    return loss


def get_optimizer(model):
    """An Adam optimizer for all of `model`'s parameters: learning rate 1e-3, betas (0.5, 0.999),
    no weight decay.

    Inputs:
    - model: an nn.Module.

    Returns a torch.optim.Adam.
    """
    # TODO: Construct the optimizer.
    ### BEGIN SOLUTION
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    ### END SOLUTION
    return optimizer


def ls_discriminator_loss(scores_real, scores_fake):
    """The least-squares GAN discriminator loss.

    loss = 1/2 * mean((scores_real - 1)^2) + 1/2 * mean(scores_fake^2)

    Inputs:
    - scores_real: float tensor of shape (N,) or (N, 1), the discriminator's scores for real images.
    - scores_fake: float tensor of the same kind (M entries), its scores for generated images.

    Returns a scalar tensor (shape ()).
    """
    # TODO: Implement the LSGAN discriminator loss.
    ### BEGIN SOLUTION
    loss = 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)
    ### END SOLUTION
    return loss


def ls_generator_loss(scores_fake):
    """The least-squares GAN generator loss: 1/2 * mean((scores_fake - 1)^2).

    Inputs:
    - scores_fake: float tensor of shape (N,) or (N, 1), the discriminator's scores for generated images.

    Returns a scalar tensor (shape ()).
    """
    # TODO: Implement the LSGAN generator loss.
    ### BEGIN SOLUTION
    loss = 0.5 * torch.mean((scores_fake - 1) ** 2)
    ### END SOLUTION
    return loss


def build_dc_classifier(batch_size):
    """The DCGAN discriminator, a small CNN on 28x28 images.

    Architecture (1,102,721 parameters):
      Unflatten(batch_size, 1, 28, 28)            (N, 784) -> (N, 1, 28, 28)
      Conv2d(1, 32, kernel_size=5, stride=1), LeakyReLU(0.01), MaxPool2d(2, stride=2)
      Conv2d(32, 64, kernel_size=5, stride=1), LeakyReLU(0.01), MaxPool2d(2, stride=2)
      Flatten()                                   -> (N, 4 * 4 * 64)
      Linear(1024, 1024), LeakyReLU(0.01), Linear(1024, 1)

    Inputs:
    - batch_size: int N, the number of images per call (Unflatten's N; -1 accepts any N).

    Returns an nn.Module mapping images (N, 784) to logits (N, 1).
    """
    # TODO: Build the DCGAN discriminator with nn.Sequential, Unflatten and Flatten.
    ### BEGIN SOLUTION
    return nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 32, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, stride=2),
        nn.Conv2d(32, 64, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, stride=2),
        Flatten(),
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
    ### END SOLUTION


def build_dc_generator(noise_dim=NOISE_DIM):
    """The DCGAN generator: noise to 28x28 images through two transposed convolutions.

    Architecture (6,580,801 parameters for noise_dim = 4):
      Linear(noise_dim, 1024), ReLU, BatchNorm1d(1024)
      Linear(1024, 7 * 7 * 128), ReLU, BatchNorm1d(7 * 7 * 128)
      Unflatten(-1, 128, 7, 7)                    -> (N, 128, 7, 7)
      ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1), ReLU, BatchNorm2d(64)
                                                  -> (N, 64, 14, 14)
      ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1), Tanh
                                                  -> (N, 1, 28, 28)
      Flatten()                                   -> (N, 784)

    Inputs:
    - noise_dim: int, the dimension D of the noise.

    Returns an nn.Module mapping noise (N, noise_dim) to images (N, 784) in [-1, 1].
    Create its layers in this order: the grader reads the generator the notebook
    saves entry by entry of its state_dict, whatever the entries are named.
    """
    # TODO: Build the DCGAN generator with nn.Sequential, Unflatten and Flatten.
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),
        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1),
        nn.Tanh(),
        Flatten(),
    )
    ### END SOLUTION


def count_params(model):
    """The number of parameters (weights and biases; not BatchNorm's running statistics) of `model`."""
    return sum(p.numel() for p in model.parameters())


def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader, show_every=250,
              batch_size=128, noise_dim=NOISE_DIM, num_epochs=10, max_iters=None, seed=None, show=None):
    """Train a GAN: alternately one step of the discriminator and one of the generator.

    Inputs:
    - D, G: the discriminator and the generator (nn.Modules).
    - D_solver, G_solver: their optimizers.
    - discriminator_loss, generator_loss: the loss functions, (logits_real, logits_fake) -> loss
      and (logits_fake) -> loss.
    - loader: yields (images, labels) with images of shape (N, 1, 28, 28) in [0, 1].
    - show_every: every this many iterations, print the losses and call `show` with samples.
    - batch_size, noise_dim: the noise drawn per step.
    - num_epochs: passes over `loader`; max_iters: stop after this many steps (None: no limit).
    - seed: int or None, seeds PyTorch's random numbers before training.
    - show: None, or a function called with a tensor (16, 784) of samples in [-1, 1] and the iteration.

    Returns a list of images (numpy arrays of shape (16, 784), pixels in [-1, 1]) shown along the way,
    the last one made after the last step.
    """
    if seed is not None:
        torch.manual_seed(seed)
    images = []
    iter_count = 0
    fixed_noise = sample_noise(16, noise_dim)
    for _ in range(num_epochs):
        for x, _ in loader:
            if len(x) != batch_size:
                continue
            D_solver.zero_grad()
            real_data = x.view(batch_size, -1)
            logits_real = D(preprocess_img(real_data))

            g_fake_seed = sample_noise(batch_size, noise_dim)
            fake_images = G(g_fake_seed).detach()
            logits_fake = D(fake_images.view(batch_size, -1))

            d_total_error = discriminator_loss(logits_real, logits_fake)
            d_total_error.backward()
            D_solver.step()

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_dim)
            fake_images = G(g_fake_seed)
            gen_logits_fake = D(fake_images.view(batch_size, -1))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()

            iter_count += 1
            done = max_iters is not None and iter_count >= max_iters
            if iter_count % show_every == 0 or done:
                print(f"Iter: {iter_count}, D: {d_total_error.item():.4f}, G: {g_error.item():.4f}")
                G.eval()
                with torch.no_grad():
                    samples = G(fixed_noise).view(16, -1)
                G.train()
                images.append(samples.numpy())
                if show is not None:
                    show(samples, iter_count)
            if done:
                return images
    return images


def show_images(images, title=None):
    """Show a square grid of images, each a row of 784 pixels (any range; shown as gray levels).

    Inputs:
    - images: array or tensor of shape (N, 784) (or (N, 1, 28, 28)).
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images)
    images = images.reshape(images.shape[0], -1)
    side = int(np.ceil(np.sqrt(images.shape[0])))
    size = int(np.sqrt(images.shape[1]))
    fig = plt.figure(figsize=(side, side))
    for i, img in enumerate(images):
        ax = fig.add_subplot(side, side, i + 1)
        ax.axis("off")
        ax.imshow(img.reshape(size, size), cmap="gray")
    if title:
        fig.suptitle(title)
    plt.show()
