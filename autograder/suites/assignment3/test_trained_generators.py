"""The DCGAN generator Generative_Adversarial_Networks.ipynb trains, judged without training in the grader.

The notebook's last cell saves artifacts/dc_generator.npz with np.savez: the
noise size as an integer array (noise_dim) and the generator's state_dict,
one array per entry in the order the layers were created ("0.weight",
"0.bias", "2.weight", "2.running_mean", ...). Here, in the grader's own
process, the file is read with load_saved_arrays, noise_dim checked against a
limit, and every entry's shape, dtype and values checked against the
REFERENCE build_dc_generator(noise_dim) before the arrays are loaded into it
(the student's code is never run). Entries are matched by name when the
file has the reference's names (an nn.Sequential in the docstring's order),
else by position: a generator written as an own nn.Module, whose layers are
created in the docstring's order, saves the same arrays under other names.

In eval mode (BatchNorm's running statistics), the generator turns 2,000
noise vectors, drawn with a seed the student does not know, into digits,
which the course's judge (models/mnist_classifier.npz, the grader's own copy)
classifies. Points come in tiers of the share of confident samples
(softmax above 0.9), for all ten digits among them, and for the FID-style
distance of the judge's features to 2,000 real test digits: the notebook's
own verdict. A missing or malformed file fails every test of this file with
the same message.
"""
import hashlib
import zipfile

import numpy as np
import pytest

from autograder.testkit import CheckFailed, load_saved_arrays, seed_for

GAN = "cs231n.gan_pytorch"
JUDGE = "cs231n.mnist_classifier"
ARTIFACT = "artifacts/dc_generator.npz"
NOTEBOOK = "Generative_Adversarial_Networks.ipynb"
JUDGE_WEIGHTS = "models/mnist_classifier.npz"
DATASET = "mnist"
MAX_NOISE_DIM = 1024
# build_dc_generator(1024) holds 7.6 M parameters (30 MiB): far above the 96 the notebook uses.
MAX_BYTES = 64 * 2**20
NUM_SAMPLES = 2000
CONFIDENT = 0.9
HINT = ("Save it with the notebook's last cell: np.savez(path, noise_dim=np.array(NOISE_DIM), "
        "**{name: value.numpy() for name, value in G_dc.state_dict().items()})")
# The share of confident samples earning one point each. The reference notebook's
# DCGAN (400 iterations of 64) reaches about 59% (docs/ASSIGNMENT3_GAN.md); its
# vanilla GAN 0% and its LSGAN 5%.
CONFIDENT_TIERS = [0.25, 0.40, 0.50]
# The reference DCGAN's distance is about 32, real training digits' 17; the
# LSGAN's and vanilla GAN's are above 800.
MAX_DISTANCE = 80.0


def checked_noise_dim(path):
    arrays = load_saved_arrays(path, ARTIFACT, ["noise_dim"], NOTEBOOK, MAX_BYTES, hint=HINT,
                               model="a DCGAN generator")
    value = arrays["noise_dim"]
    if value.shape not in ((), (1,)) or value.dtype.kind not in "iu":
        raise CheckFailed(f"noise_dim in {ARTIFACT} should be one integer (np.array(NOISE_DIM)); it is an array of "
                          f"shape {value.shape} and dtype {value.dtype}")
    noise_dim = int(value.reshape(()))
    if not 1 <= noise_dim <= MAX_NOISE_DIM:
        raise CheckFailed(f"noise_dim in {ARTIFACT} is {noise_dim}; it should be between 1 and {MAX_NOISE_DIM}")
    return noise_dim


def saved_names(path):
    """The names of the file's arrays other than noise_dim, in the order they were saved
    (load_saved_arrays has already checked that it is an .npz of bounded size)."""
    with zipfile.ZipFile(path) as archive:
        names = [info.filename[:-len(".npy")] for info in archive.infolist() if info.filename.endswith(".npy")]
    return [name for name in names if name != "noise_dim"]


def matched_entries(path, expected):
    """{reference name: saved name}, by name if the file has every reference name, else by position."""
    names = saved_names(path)
    if set(expected) <= set(names):
        return {name: name for name in expected}
    if len(names) != len(expected):
        raise CheckFailed(f"{ARTIFACT} holds {len(names)} arrays besides noise_dim; the generator of the docstring's "
                          f"architecture has {len(expected)} in its state_dict (weights, biases and BatchNorm's "
                          f"running statistics). {HINT}")
    return dict(zip(expected, names))


def checked_state(path, expected):
    """{reference name: array}, every entry of the reference's shape and finite (CheckFailed otherwise).

    expected: {name: (shape, is_float)} of the reference generator's state_dict.
    """
    matched = matched_entries(path, expected)
    arrays = load_saved_arrays(path, ARTIFACT, list(matched.values()), NOTEBOOK, MAX_BYTES, hint=HINT,
                               model="a DCGAN generator")
    state = {}
    for (name, (shape, is_float)), saved in zip(expected.items(), matched.values()):
        value = arrays[saved]
        if value.shape != shape:
            where = f"{saved!r}" if saved == name else f"{saved!r} (entry {len(state) + 1} of the state_dict)"
            raise CheckFailed(f"{where} in {ARTIFACT} has shape {value.shape}; build_dc_generator's layer there has "
                              f"{shape}: the layers should be created in the docstring's order")
        if is_float and (value.dtype.kind != "f" or not np.all(np.isfinite(value))):
            raise CheckFailed(f"{saved!r} in {ARTIFACT} should hold finite floating-point numbers")
        if not is_float and value.dtype.kind not in "iu":
            raise CheckFailed(f"{saved!r} in {ARTIFACT} should be an integer (BatchNorm's num_batches_tracked)")
        if name.endswith("running_var") and np.any(value < 0):
            raise CheckFailed(f"{saved!r} in {ARTIFACT} is a variance (BatchNorm's running_var): it cannot be negative")
        state[name] = value.astype(np.float32) if is_float else value.astype(np.int64)
    return state


def checked_file(path, reference):
    """(noise_dim, state, generator): the file's noise size and {reference name: array}, everything
    checked (CheckFailed if malformed), and the reference generator built for that noise size."""
    noise_dim = checked_noise_dim(path)
    generator = reference.function(GAN, "build_dc_generator")(noise_dim)
    # The reference's state_dict as arrays: float32, and BatchNorm's num_batches_tracked an integer.
    expected = {name: (value.shape, value.dtype.kind == "f")
                for name, value in reference.function(JUDGE, "state_arrays")(generator).items()}
    return noise_dim, checked_state(path, expected), generator


def judged_samples(path, reference, judge_path, seed):
    """(labels, confidences, features) of the judge on NUM_SAMPLES digits of the saved generator."""
    import torch

    noise_dim, state, generator = checked_file(path, reference)
    generator.call("load_state_dict", {name: torch.from_numpy(value) for name, value in state.items()})
    generator.call("eval")
    noise = torch.rand(NUM_SAMPLES, noise_dim, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    with torch.no_grad():
        images = (generator.call("forward", noise) + 1) / 2
    judge = reference.function(JUDGE, "load_classifier")(str(judge_path))
    return reference.function(JUDGE, "judge")(judge, images)


@pytest.fixture
def verdict(request, reference, once, artifact_path, shipped_path, trusted_cache):
    """{"confident": share, "digits": sorted confident digits, "distance": FID-style}, once per submission."""
    from data.prepare import missing_reason
    reason = missing_reason(DATASET)
    if reason:
        pytest.skip(reason)
    judge_path = shipped_path(JUDGE_WEIGHTS)
    seed = seed_for("assignment3/dc_generator", request.config.getoption("--hidden-seed-salt"))

    def real_features():
        images, _ = reference.function("cs231n.mnist_data", "mnist_arrays")(train=False)
        judge = reference.function(JUDGE, "load_classifier")(str(judge_path))
        return {"features": reference.function(JUDGE, "judge")(judge, images[:NUM_SAMPLES])[2]}

    def compute():
        judge_digest = hashlib.sha256(judge_path.read_bytes()).hexdigest()
        real = trusted_cache("mnist_test_judge_features", [judge_digest, NUM_SAMPLES], real_features)["features"]
        return generator_verdict(artifact_path(ARTIFACT), reference, judge_path, seed, real)

    return once(("assignment3", ARTIFACT), compute)


def generator_verdict(path, reference, judge_path, seed, real_features):
    """{"confident": share, "digits": sorted confident digits, "distance": FID-style} of the saved
    generator's samples; real_features: the judge's features (NUM_SAMPLES, 128) of real digits."""
    labels, confidences, features = judged_samples(path, reference, judge_path, seed)
    confident = confidences > CONFIDENT
    distance = (reference.function(JUDGE, "frechet_distance")(features, real_features)
                if np.all(np.isfinite(features)) else float("inf"))
    return {"confident": float(confident.mean()), "digits": sorted(set(labels[confident].tolist())),
            "distance": distance}


def summary(verdict):
    return (f"the generator saved in {ARTIFACT}, on {NUM_SAMPLES} noise vectors the grader draws, made "
            f"{verdict['confident']:.1%} digits the judge recognizes with confidence above {CONFIDENT}")


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", CONFIDENT_TIERS)
def test_trained_dcgan_confident_share(verdict, threshold):
    if not verdict["confident"] >= threshold:
        raise CheckFailed(f"{summary(verdict)}; this test needs {threshold:.0%} (the notebook's DCGAN, trained "
                          f"400 iterations, reaches about 59%; a vanilla GAN 0%)")


@pytest.mark.points(1)
def test_trained_dcgan_draws_every_digit(verdict):
    missing = sorted(set(range(10)) - set(verdict["digits"]))
    if missing:
        raise CheckFailed(f"{summary(verdict)}, but none of them is a {', '.join(map(str, missing))}: the generator "
                          f"draws only some digits (mode collapse)")


@pytest.mark.points(1)
def test_trained_dcgan_distance_to_real_digits(verdict):
    if not verdict["distance"] <= MAX_DISTANCE:
        raise CheckFailed(f"the FID-style distance between the judge's features of {NUM_SAMPLES} digits of the "
                          f"generator saved in {ARTIFACT} and of {NUM_SAMPLES} real test digits is "
                          f"{verdict['distance']:.1f}; this test needs at most {MAX_DISTANCE:g} (the notebook's "
                          f"DCGAN gives about 32, real training digits 17)")
