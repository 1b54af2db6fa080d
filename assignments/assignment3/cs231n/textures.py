"""Style images the course draws itself: seeded, procedural, no artwork copied.

Each function returns a uint8 image of shape (size, size, 3), the layout of
the content images (height, width, RGB). The same arguments give the same
image on every machine.

- `stripes`: diagonal bands of a few colours with soft edges;
- `mosaic`: a coloured Voronoi tiling with dark grout between the tiles;
- `waves`: interfering sine waves mapped through a colour ramp.
"""
import numpy as np

# Palettes (RGB in [0, 1]); any list of colours works.
WARM = [(0.85, 0.25, 0.15), (0.95, 0.75, 0.20), (0.30, 0.10, 0.35), (0.95, 0.55, 0.35)]
COOL = [(0.10, 0.30, 0.60), (0.20, 0.65, 0.70), (0.90, 0.90, 0.80), (0.15, 0.15, 0.30), (0.45, 0.70, 0.30)]


def _grid(size):
    """Pixel coordinates in [0, 1): two arrays of shape (size, size), rows then columns."""
    ticks = (np.arange(size) + 0.5) / size
    return np.meshgrid(ticks, ticks, indexing="ij")


def _to_uint8(rgb):
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)


def stripes(size=128, bands=9, angle_deg=30.0, palette=WARM, softness=0.15, seed=0):
    """Diagonal stripes of the palette's colours, in a seeded order, with a little noise.

    Inputs:
    - size: int, the image is (size, size, 3).
    - bands: how many stripes cross the image.
    - angle_deg: the stripes' direction, degrees from horizontal.
    - palette: list of RGB colours in [0, 1].
    - softness: width of the blend between stripes, as a fraction of a stripe.
    - seed: int, decides the colour order and the noise.

    Returns uint8 array of shape (size, size, 3).
    """
    rng = np.random.default_rng(seed)
    rows, cols = _grid(size)
    angle = np.deg2rad(angle_deg)
    position = (cols * np.cos(angle) + rows * np.sin(angle)) * bands
    colours = np.asarray(palette, dtype=np.float64)[rng.integers(0, len(palette), bands + 3)]
    index = np.floor(position).astype(int) % len(colours)
    frac = position - np.floor(position)
    blend = np.clip((frac - (1 - softness)) / max(softness, 1e-6), 0, 1)[..., None]
    rgb = (1 - blend) * colours[index] + blend * colours[(index + 1) % len(colours)]
    rgb += 0.03 * rng.standard_normal(rgb.shape)
    return _to_uint8(rgb)


def mosaic(size=128, tiles=60, palette=COOL, grout=0.012, seed=0):
    """A Voronoi mosaic: each pixel takes the colour of its nearest seed point, dark lines between.

    Inputs:
    - size: int, the image is (size, size, 3).
    - tiles: the number of tiles (seed points).
    - palette: list of RGB colours in [0, 1]; each tile gets one, slightly varied.
    - grout: the width of the dark lines between tiles, in image widths.
    - seed: int, decides the points and the colours.

    Returns uint8 array of shape (size, size, 3).
    """
    rng = np.random.default_rng(seed)
    rows, cols = _grid(size)
    points = rng.random((tiles, 2))
    # Distances from every pixel to every point: (size, size, tiles).
    dist = np.sqrt((rows[..., None] - points[:, 0]) ** 2 + (cols[..., None] - points[:, 1]) ** 2)
    nearest = np.sort(dist, axis=-1)[..., :2]
    owner = np.argmin(dist, axis=-1)
    colours = np.asarray(palette, dtype=np.float64)[rng.integers(0, len(palette), tiles)]
    colours = np.clip(colours + 0.08 * rng.standard_normal(colours.shape), 0, 1)
    rgb = colours[owner]
    edge = (nearest[..., 1] - nearest[..., 0]) < grout
    rgb[edge] = 0.08
    return _to_uint8(rgb)


def waves(size=128, components=4, palette=WARM, seed=0):
    """Interfering sine waves of seeded directions and frequencies, coloured by a palette ramp.

    Inputs:
    - size: int, the image is (size, size, 3).
    - components: the number of plane waves added together.
    - palette: list of RGB colours in [0, 1], the ramp from low to high.
    - seed: int, decides the waves.

    Returns uint8 array of shape (size, size, 3).
    """
    rng = np.random.default_rng(seed)
    rows, cols = _grid(size)
    field = np.zeros_like(rows)
    for _ in range(components):
        angle = rng.uniform(0, np.pi)
        frequency = rng.uniform(3, 9)
        phase = rng.uniform(0, 2 * np.pi)
        field += np.sin(2 * np.pi * frequency * (cols * np.cos(angle) + rows * np.sin(angle)) + phase)
    level = (field - field.min()) / (field.max() - field.min() + 1e-12) * (len(palette) - 1)
    low = np.floor(level).astype(int).clip(0, len(palette) - 2)
    frac = (level - low)[..., None]
    ramp = np.asarray(palette, dtype=np.float64)
    return _to_uint8((1 - frac) * ramp[low] + frac * ramp[low + 1])
