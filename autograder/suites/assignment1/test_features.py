"""Image features (cs231n/features.py) and the models trained on them (features.ipynb).

Students write two regions of features.py: the orientation binning of
hog_feature and the hue histogram of color_histogram_hsv. Each test checks
one thing: for HOG the feature's shape, which bin ramps vote in, that the
votes add up to the gradient magnitude, the values against the reference,
and (the docstring's convention, in its own test) that an orientation of
exactly 180.0 degrees lands in the last bin; for the hue histogram which bin
plain colours land in (counts), that normalized histograms sum to 1 and
counts to the number of pixels, the values against the reference, and bins
over part of the range (xmin > 0: the docstring's conventions). The
notebook's feature set is checked against the student's own two functions.

The notebook saves the best linear SVM and two-layer net trained on those
features, each with the feature mean and standard deviation it normalized
with. The last tests compute the features of the grader's held-out images
(data/heldout.py: CIFAR-10 test images moved and mirrored, which students do
not have) with the reference features.py, in the grader's process, and score
the saved parameters on them with the reference classifiers.
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_scalar_close, case,
                                load_saved_arrays)

MOD = "cs231n.features"
NOTEBOOK = "features.ipynb"
NUM_CLASSES = 10
MAX_HUE_BINS = 360            # a hue histogram finer than one bin per degree means nothing
HOG_LENGTH = 4 * 4 * 9        # HOG of a 32 x 32 image: 4 x 4 cells of 9 bins
SVM_ARTIFACT = "artifacts/features_svm_best.npz"
NET_ARTIFACT = "artifacts/features_net_best.npz"
MAX_ARTIFACT_BYTES = 64 * 2**20


def _ramp_image(height, width, slope, axis):
    """Gray image whose value grows by `slope` per pixel along `axis` (1: columns)."""
    index = np.arange(width if axis == 1 else height, dtype=np.float64) * slope
    return np.broadcast_to(index if axis == 1 else index[:, None], (height, width)).copy()


def _images(rng):
    """Test images: RGB in [0, 255] (integer-valued and not), RGB in [0, 1], grayscale."""
    yield rng.integers(0, 256, size=(32, 32, 3)).astype(np.float64)
    yield rng.uniform(0, 255, size=(8, 8, 3))
    yield rng.uniform(0, 255, size=(24, 40, 3))
    yield rng.integers(0, 256, size=(37, 23, 3)).astype(np.float64)
    yield rng.uniform(0, 1, size=(16, 48, 3))
    yield rng.uniform(0, 255, size=(16, 16))


# ---------------------------------------------------------------- hog_feature

@pytest.mark.public
@pytest.mark.points(1)
def test_hog_feature_shape_and_range(student, rng):
    hog = student.function(MOD, "hog_feature")
    for shape, length in [((32, 32, 3), 4 * 4 * 9), ((20, 41, 3), 2 * 5 * 9), ((16, 24), 2 * 3 * 9)]:
        feature = hog(rng.uniform(0, 255, size=shape))
        assert_array(feature, f"hog_feature of a {shape} image", (length,))
        if not np.all(np.isfinite(feature)) or np.any(feature < 0):
            raise CheckFailed(f"hog_feature of a {shape} image should hold finite, non-negative "
                              "averages of gradient magnitudes")


@pytest.mark.public
@pytest.mark.points(1)
def test_hog_feature_of_ramps(student):
    """Ramps have one gradient direction everywhere, so every cell votes in one bin only.

    Only which bin is checked here (each cell's votes as fractions of its total);
    how much each pixel votes is test_hog_feature_votes_add_up_to_magnitude's business.
    """
    hog = student.function(MOD, "hog_feature")
    # Rising to the right: gradient angle 0 degrees, bin 0. Falling to the right:
    # 180 degrees, the same unsigned edge, bin 0 again. Rising downwards: 90
    # degrees, bin 4 (80 to 100 degrees).
    # Only the cells away from the last row and column are read: there a pixel has
    # no forward difference, so no gradient and no direction.
    for slope, axis, expected_bin, what in [(3.0, 1, 0, "rising to the right"), (-3.0, 1, 0, "falling to the right"),
                                            (3.0, 0, 4, "rising downwards")]:
        got = hog(_ramp_image(24, 24, slope, axis))
        assert_array(got, f"hog_feature of an image {what}", (3 * 3 * 9,))
        cells = np.asarray(got, dtype=float).reshape(3, 3, 9)[:2, :2].reshape(4, 9)
        totals = cells.sum(axis=1, keepdims=True)
        if not np.all(totals > 0):
            raise CheckFailed(f"hog_feature of an image {what} has a cell without any votes")
        expected = np.zeros((4, 9))
        expected[:, expected_bin] = 1.0
        assert_close(cells / totals, expected, f"hog_feature of an image {what}, each cell's votes as fractions "
                     f"of its total (all of them belong in bin {expected_bin})")


@pytest.mark.public
@pytest.mark.points(1)
def test_hog_feature_votes_add_up_to_magnitude(student, rng):
    """Summed over the bins, a cell's histogram is the cell's mean gradient magnitude."""
    hog = student.function(MOD, "hog_feature")
    image = rng.uniform(0, 255, size=(16, 24))
    gx = np.zeros_like(image)
    gy = np.zeros_like(image)
    gx[:, :-1] = np.diff(image, axis=1)
    gy[:-1, :] = np.diff(image, axis=0)
    magnitude = np.hypot(gx, gy).reshape(2, 8, 3, 8).mean(axis=(1, 3))
    feature = hog(image)
    assert_array(feature, "hog_feature", (2 * 3 * 9,))
    assert_close(feature.reshape(2, 3, 9).sum(axis=2), magnitude,
                 "hog_feature summed over the orientation bins of each cell")


@pytest.mark.points(3)
def test_hog_feature_matches_reference(student, reference, rng):
    hog = student.function(MOD, "hog_feature")
    ref_hog = reference.function(MOD, "hog_feature")
    for image in _images(rng):
        assert_close(hog(image), ref_hog(image), f"hog_feature of a {image.shape} image")
    # Diagonal edges sit near bin boundaries (45 degrees is inside bin 2) and
    # the last row/column vote with a single gradient component.
    diagonal = np.add.outer(np.arange(24.0), np.arange(16.0) * 2.0)
    assert_close(hog(diagonal), ref_hog(diagonal), "hog_feature of a diagonal ramp")


@pytest.mark.points(1)
def test_hog_feature_angle_rounding_to_180_degrees(student):
    """The docstring's convention: an orientation that rounds to exactly 180.0 degrees (a gradient
    a hair below 0 degrees, folded into [0, 180)) is clamped into the last bin.

    A vertical edge (column 0 at 0, the rest at 100) votes in bin 0. Raising
    pixel (0, 0) by 1e-20 tilts its gradient a hair below 0 degrees: its vote
    must move to the last bin of cell 0, compared with your own feature of the
    plain edge (so how much a pixel votes does not matter here).
    """
    edge = np.zeros((8, 16))
    edge[:, 1:] = 100.0
    tilted = edge.copy()
    tilted[0, 0] = 1e-20
    hog = student.function(MOD, "hog_feature")
    plain, got = hog(edge), hog(tilted)
    for what, value in [("a vertical edge", plain), ("a vertical edge with one orientation of 180.0 degrees", got)]:
        assert_array(value, f"hog_feature of {what}", (2 * 9,))
    moved = float(np.asarray(got, dtype=float)[8] - np.asarray(plain, dtype=float)[8])
    if not moved > 0:
        raise CheckFailed("hog_feature: a pixel whose orientation rounds to exactly 180.0 degrees did not vote "
                          "in the last bin; the docstring's convention: clamp the bin index to "
                          "HOG_ORIENTATIONS - 1 (an orientation of 180.0 is the same edge as 179.9, not as 0)")


# -------------------------------------------------------- color_histogram_hsv

@pytest.mark.public
@pytest.mark.points(1)
def test_color_histogram_hsv_of_plain_colours(student):
    histogram = student.function(MOD, "color_histogram_hsv")
    # With 10 bins over [0, 255]: red (hue 0) -> bin 0, green (hue 1/3, i.e. 85)
    # -> bin 3, blue (hue 2/3, i.e. 170) -> bin 6, gray (hue 0) -> bin 0.
    # Counts (normalized=False): which bin each pixel lands in, and nothing else,
    # is checked here; test_color_histogram_hsv_counts_every_pixel checks the normalization.
    for colour, bin_index in [((255, 0, 0), 0), ((0, 255, 0), 3), ((0, 0, 255), 6), ((90, 90, 90), 0)]:
        image = np.broadcast_to(np.array(colour, dtype=np.float64), (4, 6, 3))
        expected = np.zeros(10)
        expected[bin_index] = 24.0
        assert_close(histogram(image, normalized=False), expected,
                     f"color_histogram_hsv(normalized=False) of a plain {colour} image of 24 pixels")
    half = np.zeros((4, 6, 3))
    half[:2, :, 0] = 255.0
    half[2:, :, 2] = 255.0
    expected = np.zeros(10)
    expected[[0, 6]] = 12.0
    assert_close(histogram(half, normalized=False), expected,
                 "color_histogram_hsv(normalized=False) of a half red, half blue image")
    expected = np.zeros(5)
    expected[[0, 3]] = 12.0
    assert_close(histogram(half, nbin=5, normalized=False), expected,
                 "color_histogram_hsv(nbin=5, normalized=False) of a half red, half blue image")


@pytest.mark.public
@pytest.mark.points(1)
def test_color_histogram_hsv_counts_every_pixel(student, rng):
    histogram = student.function(MOD, "color_histogram_hsv")
    image = rng.uniform(0, 255, size=(32, 32, 3))
    for nbin in [10, 3]:
        hist = histogram(image, nbin=nbin)
        assert_array(hist, f"color_histogram_hsv(nbin={nbin})", (nbin,))
        assert_scalar_close(float(np.sum(hist)), 1.0, f"the sum of color_histogram_hsv(nbin={nbin})")
    counts = histogram(image, normalized=False)
    assert_array(counts, "color_histogram_hsv(normalized=False)", (10,))
    assert_scalar_close(float(np.sum(counts)), 32.0 * 32.0, "the sum of color_histogram_hsv(normalized=False)")


@pytest.mark.points(3)
def test_color_histogram_hsv_matches_reference(student, reference, rng):
    histogram = student.function(MOD, "color_histogram_hsv")
    ref_histogram = reference.function(MOD, "color_histogram_hsv")
    cases = [
        (rng.uniform(0, 255, size=(32, 32, 3)), {}),
        (rng.integers(0, 256, size=(17, 9, 3)).astype(np.float64), {"nbin": 7}),
        (rng.uniform(0, 255, size=(8, 8, 3)), {"nbin": 1}),
        (rng.uniform(0, 255, size=(20, 20, 3)), {"nbin": 32, "normalized": False}),
        (rng.uniform(0, 1, size=(12, 12, 3)), {"xmax": 1.0}),
        # Gray pixels (no hue) and two channels tying for the maximum.
        (np.repeat(rng.uniform(0, 255, size=(10, 10, 1)), 3, axis=2), {}),
        (np.concatenate([np.full((10, 10, 2), 200.0), rng.uniform(0, 199, (10, 10, 1))], axis=2), {}),
    ]
    for image, kwargs in cases:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        assert_close(histogram(image, **kwargs), ref_histogram(image, **kwargs),
                     f"color_histogram_hsv({args or 'default arguments'}) of a {image.shape} image")


@pytest.mark.points(1)
def test_color_histogram_hsv_over_part_of_the_range(student, reference, rng):
    """The docstring's conventions for bins spanning [xmin, xmax] with xmin > 0: hues below xmin
    are not counted, and normalized=True still divides by the number of pixels (all of them)."""
    histogram = student.function(MOD, "color_histogram_hsv")
    ref_histogram = reference.function(MOD, "color_histogram_hsv")
    image = rng.uniform(0, 255, size=(16, 16, 3))
    with case("color_histogram_hsv(xmin=60, nbin=6, normalized=False): hues below xmin are not counted"):
        assert_close(histogram(image, xmin=60, nbin=6, normalized=False),
                     ref_histogram(image, xmin=60, nbin=6, normalized=False), "hist")
    with case("color_histogram_hsv(xmin=60, nbin=6): normalized divides the counts by the number of pixels, "
              "also those whose hue is below xmin, not by the number counted"):
        assert_close(histogram(image, xmin=60, nbin=6), ref_histogram(image, xmin=60, nbin=6), "hist")


@pytest.mark.points(1)
def test_hog_hsv_features_is_hog_then_hue_histogram(student, rng):
    """The notebook's feature set from your own hog_feature and color_histogram_hsv (whether those
    are right is their own tests' business)."""
    images = rng.integers(0, 256, size=(3, 32, 32, 3)).astype(np.float64)
    got = student.function(MOD, "hog_hsv_features")(images)
    hog, histogram = student.function(MOD, "hog_feature"), student.function(MOD, "color_histogram_hsv")
    expected = np.stack([np.concatenate([hog(im), histogram(im, nbin=10)]) for im in images])
    assert_close(got, expected, "hog_hsv_features of 3 images against your hog_feature and color_histogram_hsv",
                 1e-12)


# ------------------------------------------------------- the saved classifiers

def load_artifact(path, name, keys):
    """The arrays `keys` of a saved .npz, checked; CheckFailed says what is wrong.

    Inputs: path: the file; name: its name in the submission, for messages;
    keys: the array names it must hold (feature_mean and feature_std among them).

    Returns: dict key -> finite float array; feature_mean and feature_std are
    1-D, of the same length (HOG_LENGTH + hue bins), and feature_std > 0.
    """
    arrays = load_saved_arrays(path, name, keys, NOTEBOOK, MAX_ARTIFACT_BYTES,
                               model="a classifier on these features")
    for key in keys:
        with case(f"the classifier saved in {name}"):
            assert_array(arrays[key], key)
        if arrays[key].dtype.kind != "f" or not np.all(np.isfinite(arrays[key])):
            raise CheckFailed(f"{key} in {name} should hold finite floating-point numbers")
    mean = arrays["feature_mean"]
    if mean.ndim != 1 or not HOG_LENGTH < mean.shape[0] <= HOG_LENGTH + MAX_HUE_BINS:
        raise CheckFailed(f"feature_mean in {name} has shape {mean.shape}; expected "
                          f"({HOG_LENGTH} + the number of hue bins,), with 1 to {MAX_HUE_BINS} hue bins")
    with case(f"the classifier saved in {name}"):
        assert_array(arrays["feature_std"], "feature_std", mean.shape)
    if not np.all(arrays["feature_std"] > 0):
        raise CheckFailed(f"feature_std in {name} should be positive: every feature is divided by it")
    return arrays


def normalized_features(heldout_features, arrays):
    """The held-out images' features from the reference features.py, normalized with the saved
    statistics (whose shapes load_artifact has checked)."""
    mean = arrays["feature_mean"]
    return (heldout_features(mean.shape[0] - HOG_LENGTH) - mean) / arrays["feature_std"]


@pytest.fixture(scope="module")
def heldout_features(cifar10_heldout, reference, trusted_cache):
    """nbin -> reference HOG + hue features (float64 (N, HOG_LENGTH + nbin)) of the grader's
    held-out images, computed once per machine and number of bins."""
    def features(nbin):
        def compute():
            X = cifar10_heldout.X.astype(np.float64)
            return {"features": reference.function(MOD, "hog_hsv_features")(X, nbin=nbin)}
        return trusted_cache("heldout-hog-hsv", [cifar10_heldout.sha256, nbin], compute)["features"]

    return features


def check_accuracy(predictions, labels, name, threshold):
    accuracy = float(np.mean(predictions == labels))
    if not accuracy >= threshold:
        raise CheckFailed(f"the classifier saved in {name} classifies {accuracy:.1%} of the grader's held-out "
                          "images correctly (on features the grader computes with the course's own features.py); "
                          f"this test needs at least {threshold:.0%}")


# Shapes are checked against the saved statistics before any feature is computed.
# The reference notebook's models score 48.6% (SVM) and 57.7% (net) on the
# held-out images, 50.8% and 60.3% on the test split.

@pytest.mark.points(2)
def test_saved_svm_reaches_40_percent(artifact_path, reference, cifar10_heldout, heldout_features):
    path = artifact_path(SVM_ARTIFACT)
    arrays = load_artifact(path, SVM_ARTIFACT, ["W", "feature_mean", "feature_std"])
    # The notebook appends a constant feature, the bias, after normalizing.
    with case(f"the classifier saved in {SVM_ARTIFACT}"):
        assert_array(arrays["W"], "W", (arrays["feature_mean"].shape[0] + 1, NUM_CLASSES))
    X = normalized_features(heldout_features, arrays)
    X = np.hstack([X, np.ones((X.shape[0], 1))])
    svm = reference.new("cs231n.classifiers.linear_classifier", "LinearSVM")
    svm.set("W", arrays["W"])
    check_accuracy(svm.call("predict", X), cifar10_heldout.y, SVM_ARTIFACT, 0.40)


def saved_net_predictions(artifact_path, reference, heldout_features):
    path = artifact_path(NET_ARTIFACT)
    arrays = load_artifact(path, NET_ARTIFACT, ["W1", "b1", "W2", "b2", "feature_mean", "feature_std"])
    W1, length = arrays["W1"], arrays["feature_mean"].shape[0]
    hidden = W1.shape[1] if W1.ndim == 2 else 0
    with case(f"the net saved in {NET_ARTIFACT}"):
        for key, shape in [("W1", (length, hidden)), ("b1", (hidden,)), ("W2", (hidden, NUM_CLASSES)),
                           ("b2", (NUM_CLASSES,))]:
            assert_array(arrays[key], key, shape)
    if hidden == 0:
        raise CheckFailed(f"W1 in {NET_ARTIFACT} has shape {W1.shape}; a net needs at least one hidden unit")
    X = normalized_features(heldout_features, arrays)
    net = reference.new("cs231n.classifiers.fc_net", "TwoLayerNet", input_dim=length,
                        hidden_dim=hidden, num_classes=NUM_CLASSES)
    net.set("params", {key: arrays[key] for key in ("W1", "b1", "W2", "b2")})
    return np.argmax(net.call("loss", X), axis=1)


@pytest.mark.points(1)
def test_saved_feature_net_reaches_50_percent(artifact_path, reference, cifar10_heldout, heldout_features, once):
    predictions = once(NET_ARTIFACT, lambda: saved_net_predictions(artifact_path, reference, heldout_features))
    check_accuracy(predictions, cifar10_heldout.y, NET_ARTIFACT, 0.50)


@pytest.mark.points(2)
def test_saved_feature_net_reaches_55_percent(artifact_path, reference, cifar10_heldout, heldout_features, once):
    predictions = once(NET_ARTIFACT, lambda: saved_net_predictions(artifact_path, reference, heldout_features))
    check_accuracy(predictions, cifar10_heldout.y, NET_ARTIFACT, 0.55)
