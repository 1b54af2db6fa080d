"""Tiling many small images (or weight templates) into one picture."""
import math

import numpy as np


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Lay out N images in a square grid, each rescaled to [0, ubound].

    Every image is rescaled on its own (its minimum goes to 0, its maximum to
    ubound) because weight templates have arbitrary, per-unit scales; a
    constant image becomes all zeros. The grid has ceil(sqrt(N)) cells per
    side; unused cells and the padding between cells are zero (black).

    Inputs:
    - Xs: array of shape (N, H, W, C), for example first-layer weights
      reshaped to images.
    - ubound: the value the largest entry of each image is mapped to; 255.0
      for uint8-style display, 1.0 for plt.imshow on floats.
    - padding: pixels of empty space between neighbouring cells.

    Returns:
    - grid: float array of shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C)
      with G = ceil(sqrt(N)).
    """
    N, H, W, C = Xs.shape
    grid_size = int(math.ceil(math.sqrt(N)))
    grid_height = H * grid_size + padding * (grid_size - 1)
    grid_width = W * grid_size + padding * (grid_size - 1)
    grid = np.zeros((grid_height, grid_width, C))
    for n in range(N):
        row, col = divmod(n, grid_size)
        top = row * (H + padding)
        left = col * (W + padding)
        img = np.asarray(Xs[n], dtype=np.float64)
        low, high = img.min(), img.max()
        if high > low:
            # Divide first: x / x is exactly 1, so the maximum lands exactly on ubound.
            grid[top:top + H, left:left + W] = ubound * ((img - low) / (high - low))
    return grid
