"""A small U-Net that predicts the noise in a noisy MNIST digit (given code, DDPM.ipynb).

The network eps_theta(x_t, t) of a denoising diffusion model: it takes a batch
of noisy images x_t, float tensors of shape (N, 1, 28, 28), and their timesteps
t, an int64 tensor of shape (N,), and returns its estimate of the noise that was
added, of the same shape as x_t.

Three resolutions, 28x28 (16 channels), 14x14 (32) and 7x7 (64): the channels
double as the images halve, so most parameters sit where the images are small
and each layer costs about the same. Every residual block is told the timestep
through a learned embedding of a sinusoidal code of t (the Transformer's
positional encoding), added to its feature maps. About 250,000 parameters: a
few minutes of CPU training give recognizable digits.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    """Sinusoidal code of the timesteps: int tensor (N,) -> float tensor (N, dim) (dim even)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm - SiLU - conv 3x3, plus the time embedding, then again; a 1x1 conv on the skip if C changes."""

    def __init__(self, in_channels, out_channels, time_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time = nn.Linear(time_dim, out_channels)
        self.norm2 = nn.GroupNorm(8, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x, emb):
        """x (N, C_in, H, W), emb (N, time_dim) -> (N, C_out, H, W)."""
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """eps_theta(x_t, t): (N, 1, 28, 28) noisy images and (N,) timesteps -> (N, 1, 28, 28) predicted noise."""

    def __init__(self, channels=(16, 32, 64), time_dim=64):
        super().__init__()
        c1, c2, c3 = channels
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        self.inp = nn.Conv2d(1, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, time_dim)                     # 28x28
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)      # -> 14x14
        self.down2 = ResBlock(c1, c2, time_dim)
        self.pool2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)      # -> 7x7
        self.mid1 = ResBlock(c2, c3, time_dim)
        self.mid2 = ResBlock(c3, c3, time_dim)
        self.up2 = ResBlock(c3 + c2, c2, time_dim)                  # 14x14, with the skip from down2
        self.up1 = ResBlock(c2 + c1, c1, time_dim)                  # 28x28, with the skip from down1
        self.out_norm = nn.GroupNorm(8, c1)
        self.out = nn.Conv2d(c1, 1, 3, padding=1)

    def forward(self, x, t):
        emb = self.time_mlp(timestep_embedding(t, self.time_dim).to(x.dtype))
        h1 = self.down1(self.inp(x), emb)
        h2 = self.down2(self.pool1(h1), emb)
        h = self.mid2(self.mid1(self.pool2(h2), emb), emb)
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.up2(torch.cat([h, h2], dim=1), emb)
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.up1(torch.cat([h, h1], dim=1), emb)
        return self.out(F.silu(self.out_norm(h)))


def count_params(model):
    """The number of parameters of a model (an int)."""
    return sum(p.numel() for p in model.parameters())
