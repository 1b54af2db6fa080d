"""Hand-designed image features: a histogram of oriented gradients (HOG) and a
histogram of hue in HSV colour space.

Each feature function maps one image to a 1-D vector; `extract_features`
applies a list of them to a batch. `hog_hsv_features` is the feature set the
features notebook uses, and the one the grader recomputes, so both see
exactly the same features.
"""
import time

import numpy as np

HOG_ORIENTATIONS = 9  # unsigned orientation bins over [0, 180) degrees
HOG_CELL = 8          # cells are HOG_CELL x HOG_CELL pixels


def extract_features(imgs, feature_fns, verbose=False):
    """Apply every feature function to every image and concatenate the results.

    Inputs:
    - imgs: array of shape (N, H, W, C) (or (N, H, W) for grayscale).
    - feature_fns: list of k functions; function i maps one image of shape
      (H, W, C) to a 1-D array of shape (F_i,). The length F_i must not depend
      on the image.
    - verbose: print progress every 1000 images.

    Returns:
    - features: array of shape (N, F_1 + ... + F_k); row n holds the outputs
      of feature_fns[0], ..., feature_fns[k-1] on imgs[n], side by side.
    """
    num_images = imgs.shape[0]
    if num_images == 0:
        return np.zeros((0, 0))

    # The first image tells us how long each function's output is.
    first = [np.asarray(fn(imgs[0])).ravel() for fn in feature_fns]
    bounds = np.cumsum([0] + [f.size for f in first])
    features = np.empty((num_images, bounds[-1]))
    features[0] = np.concatenate([np.zeros(0)] + first)

    start = time.time()
    for n in range(1, num_images):
        for fn, lo, hi in zip(feature_fns, bounds[:-1], bounds[1:]):
            features[n, lo:hi] = np.asarray(fn(imgs[n])).ravel()
        if verbose and (n + 1) % 1000 == 0:
            print(f"Done extracting features for {n + 1} / {num_images} images "
                  f"({time.time() - start:.1f} s)")
    return features


def rgb2gray(rgb):
    """Convert an RGB image to grayscale with the ITU-R 601 luma weights.

    Inputs:
    - rgb: array of shape (H, W, C) with C >= 3; channels beyond the third
      (alpha) are ignored.

    Returns:
    - gray: float array of shape (H, W).
    """
    return np.asarray(rgb, dtype=np.float64)[..., :3] @ np.array([0.299, 0.587, 0.114])


def rgb2hsv(rgb):
    """Convert RGB to HSV; every channel of input and output lies in [0, 1].

    Hue is the angle around the colour hexagon divided by 360 degrees: red is
    0, green 1/3, blue 2/3. Gray pixels (all channels equal) have hue 0 and
    saturation 0.

    Inputs:
    - rgb: array of shape (..., 3) with values in [0, 1].

    Returns:
    - hsv: float array of shape (..., 3): hue, saturation, value.
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    chroma = value - rgb.min(axis=-1)
    # Divide only where the result is defined; gray pixels keep hue 0 and
    # black pixels saturation 0.
    safe_chroma = np.where(chroma > 0, chroma, 1.0)
    saturation = np.where(value > 0, chroma / np.where(value > 0, value, 1.0), 0.0)

    # Sector of the hexagon, in units of 60 degrees. When two channels tie for
    # the maximum the formulas agree, so the order of the np.select cases only
    # picks one of equal answers.
    hue = np.select(
        [chroma == 0, value == r, value == g],
        [0.0, (g - b) / safe_chroma, 2.0 + (b - r) / safe_chroma],
        default=4.0 + (r - g) / safe_chroma)
    hue = (hue / 6.0) % 1.0
    return np.stack([hue, saturation, value], axis=-1)


def cell_average(maps, cell):
    """Average per-pixel maps over non-overlapping cell x cell blocks.

    Rows and columns that do not fill a whole cell (at the bottom and right
    edges) are dropped.

    Inputs:
    - maps: array of shape (H, W, K).
    - cell: side of a cell in pixels.

    Returns:
    - averages: array of shape (H // cell, W // cell, K).
    """
    rows, cols = maps.shape[0] // cell, maps.shape[1] // cell
    cropped = maps[:rows * cell, :cols * cell]
    # Split each spatial axis into (cell index, offset in cell) and average
    # over the offsets: one vectorized pass instead of a loop over cells.
    blocks = cropped.reshape(rows, cell, cols, cell, maps.shape[2])
    return blocks.mean(axis=(1, 3))


def hog_feature(im):
    """Histogram of oriented gradients (HOG) of one image.

    The image is converted to grayscale; gradients are forward differences
    (zero on the last row and column). Each pixel votes with its gradient
    magnitude for one of HOG_ORIENTATIONS unsigned orientation bins of
    180 / HOG_ORIENTATIONS degrees each (an orientation that rounds to exactly
    180.0 degrees goes in the last bin); votes are averaged over
    HOG_CELL x HOG_CELL cells.

    Inputs:
    - im: array of shape (H, W, C) (RGB) or (H, W) (grayscale).

    Returns:
    - feature: array of shape (H // HOG_CELL * (W // HOG_CELL) * HOG_ORIENTATIONS,):
      the (H // HOG_CELL, W // HOG_CELL, HOG_ORIENTATIONS) cell histograms
      flattened in C order (cell row, cell column, orientation bin).
    """
    im = np.asarray(im, dtype=np.float64)
    image = rgb2gray(im) if im.ndim == 3 else im

    gx = np.zeros_like(image)
    gy = np.zeros_like(image)
    gx[:, :-1] = np.diff(image, axis=1)
    gy[:-1, :] = np.diff(image, axis=0)
    magnitude = np.hypot(gx, gy)
    # Unsigned orientation: a gradient and its opposite count as the same
    # edge, so angles are folded into [0, 180).
    orientation = np.rad2deg(np.arctan2(gy, gx)) % 180.0

    # TODO: Bin the orientations. Pixel (i, j) falls into bin
    # floor(orientation[i, j] / (180 / HOG_ORIENTATIONS)) (clamped to
    # HOG_ORIENTATIONS - 1 against rounding at 180) and votes with its gradient
    # magnitude. Store the votes in `votes`, an array of shape
    # (H, W, HOG_ORIENTATIONS) that is magnitude[i, j] at [i, j, bin] and zero
    # elsewhere. Use no loop over pixels.
    ### BEGIN SOLUTION
    bin_width = 180.0 / HOG_ORIENTATIONS
    # Orientations are >= 0, so truncating to int is the floor.
    bins = np.minimum((orientation / bin_width).astype(np.intp), HOG_ORIENTATIONS - 1)
    votes = np.zeros(image.shape + (HOG_ORIENTATIONS,))
    np.put_along_axis(votes, bins[..., None], magnitude[..., None], axis=2)
    ### END SOLUTION

    return cell_average(votes, HOG_CELL).ravel()


def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """Histogram of the hue of one image.

    The image is converted to HSV and its hue (in [0, 1)) is scaled to
    [0, xmax], the image's own value range, then counted in `nbin` equal-width
    bins spanning [xmin, xmax] (the last bin includes xmax, as in np.histogram;
    hues outside [xmin, xmax] are not counted).

    Inputs:
    - im: array of shape (H, W, 3), RGB with values in [0, xmax].
    - nbin: number of histogram bins.
    - xmin, xmax: range the bins span; xmax is also the image's maximum value.
    - normalized: if True, divide the counts by the number of pixels, so each
      bin holds a fraction of the image; otherwise return raw counts.

    Returns:
    - hist: float array of shape (nbin,).
    """
    hue = rgb2hsv(np.asarray(im, dtype=np.float64) / xmax)[..., 0] * xmax

    # TODO: Count the hues in `nbin` equal-width bins from xmin to xmax
    # (np.histogram does this) and store the result as a float array `hist`
    # of shape (nbin,); if `normalized`, divide by the number of pixels.
    ### BEGIN SOLUTION
    counts, _ = np.histogram(hue, bins=nbin, range=(xmin, xmax))
    hist = counts.astype(np.float64)
    if normalized:
        hist /= hue.size
    ### END SOLUTION
    return hist


def hog_hsv_features(imgs, nbin=10, verbose=False):
    """The features notebook's feature set: HOG, then a hue histogram.

    Inputs:
    - imgs: array of shape (N, H, W, 3), RGB with values in [0, 255].
    - nbin: number of hue bins.
    - verbose: print progress.

    Returns:
    - features: array of shape (N, H // HOG_CELL * (W // HOG_CELL) * HOG_ORIENTATIONS + nbin);
      for 32 x 32 CIFAR-10 images and nbin=10 that is (N, 154).
    """
    def hue_histogram(im):
        return color_histogram_hsv(im, nbin=nbin)

    return extract_features(imgs, [hog_feature, hue_histogram], verbose=verbose)
