"""The U-Net DDPM.ipynb trains, scored without training in the grader.

The notebook's last cell saves artifacts/ddpm_unet.npz with np.savez: the
given UNet's state_dict, one array per name ("inp.weight", "down1.conv1.weight",
...). Here, in the grader's own process, the arrays are read with
load_saved_arrays, every name, shape, dtype and value checked against the
REFERENCE UNet (the student's code is never run), and only then loaded into
it. The reference GaussianDiffusion (T = 200, x_0's estimates clipped) draws
NUM_SAMPLES digits from fixed noise, and the course's judge
(cs231n/mnist_classifier.py, the weights shipped in models/) counts the
samples it classifies with confidence above 0.9. Points come in tiers of that
share. A missing or malformed file fails every test of this file with the
same message.
"""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, load_saved_arrays

ARTIFACT = "artifacts/ddpm_unet.npz"
NOTEBOOK = "DDPM.ipynb"
JUDGE = "models/mnist_classifier.npz"   # shipped with the assignment; the grader reads its own copy
MAX_BYTES = 16 * 2**20   # the given U-Net's arrays take about 1 MB
NUM_SAMPLES, SEED = 100, 20261207
HINT = ("Save it with the notebook's last cell: np.savez(path, **{name: value.detach().numpy() for name, value "
        "in model.state_dict().items()}) for the given UNet()")
# Shares of confident samples earning one point each; the reference notebook's model reaches
# more (25% of these 100 samples; docs/ASSIGNMENT3_DDPM.md), an untrained U-Net none; 100 samples
# give a share within about 4.5 points of its mean, so the top tier sits 10 points below.
CONFIDENT_TIERS = [0.10, 0.15]


def expected_shapes(reference):
    """{name: shape} of the reference UNet's state_dict."""
    state = reference.function("cs231n.mnist_classifier", "state_arrays")(reference.new("cs231n.unet", "UNet"))
    return {name: tuple(value.shape) for name, value in state.items()}


def checked_weights(path, reference):
    """{name: float32 array} of every entry of the reference UNet's state_dict, checked (CheckFailed if not)."""
    shapes = expected_shapes(reference)
    arrays = load_saved_arrays(path, ARTIFACT, list(shapes), NOTEBOOK, MAX_BYTES, hint=HINT,
                               model="the given U-Net")
    checked = {}
    for name, shape in shapes.items():
        value = arrays[name]
        if value.shape != shape:
            raise CheckFailed(f"{name} in {ARTIFACT} has shape {value.shape}; the given UNet() has {shape} (keep "
                              "the given architecture and its defaults)")
        if value.dtype.kind != "f" or not np.all(np.isfinite(value)):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite floating-point numbers")
        checked[name] = value.astype(np.float32)
    return checked


def confident_share(path, reference, judge_path):
    """The share of NUM_SAMPLES digits drawn by the reference with the file's weights that the judge
    (the weights at judge_path) classifies with confidence above 0.9 (CheckFailed if the file is malformed)."""
    import torch

    weights = checked_weights(path, reference)
    model = reference.new("cs231n.unet", "UNet")
    model.call("load_state_dict", {name: torch.from_numpy(value) for name, value in weights.items()})
    diffusion = reference.new("cs231n.gaussian_diffusion", "GaussianDiffusion", 200)
    generator = reference.new("torch", "Generator")
    generator.call("manual_seed", SEED)
    samples = diffusion.call("sample", model, (NUM_SAMPLES, 1, 28, 28), generator=generator)
    pixels = ((samples + 1) / 2).nan_to_num(0.0).clamp(0, 1)
    judge = reference.function("cs231n.mnist_classifier", "load_classifier")(str(judge_path))
    _, confidence, _ = reference.function("cs231n.mnist_classifier", "judge")(judge, pixels)
    return float(np.mean(confidence > 0.9))


@pytest.fixture
def share(reference, once, artifact_path, shipped_path):
    """The saved U-Net's share of confidently recognized samples, computed once per submission."""
    return once(("assignment3", ARTIFACT),
                lambda: confident_share(artifact_path(ARTIFACT), reference, shipped_path(JUDGE)))


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", CONFIDENT_TIERS)
def test_trained_ddpm_samples_recognized(share, threshold):
    if not share >= threshold:
        raise CheckFailed(f"of {NUM_SAMPLES} digits drawn with the U-Net saved in {ARTIFACT} (T = 200, the grader's "
                          f"own sampling), the judge recognizes {share:.0%} with confidence above 0.9; this test "
                          f"needs {threshold:.0%} (an untrained U-Net gives about 0%)")
