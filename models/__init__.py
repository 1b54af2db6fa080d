"""Models the course trains itself and ships with a release (no download, no pickle).

Some notebooks need a trained network before students write anything: a CNN to
visualize, a classifier that judges generated digits. The course trains them
itself, on the datasets `make data` fetches, and ships the weights with the
assignment (the manifest's `shipped_files`). Each model is a module here:

    ASSIGNMENT = "assignment3"               # whose source folder holds the weights
    WEIGHTS = "models/mnist_classifier.npz"  # relative to source/<ASSIGNMENT>/
    SEED = 0                                 # optional; the seed `train` gets
    def train(out_path, seed) -> dict        # writes the weights with np.savez (arrays
                                             # only) and returns the figures to record

The architecture itself lives in source/cs231n/, where students build it and
load the shipped weights. `python -m models train [name...]` (`make models`)
retrains and writes, beside the weights, `<weights>.sha256` (sha256sum's
format) and `<weights>.json` (the figures, the seed, the versions, the time);
`python -m models check` verifies every shipped file against its checksum.
"""
import importlib
from pathlib import Path

# name -> module: add one line per model.
MODELS = {
    "mnist_classifier": "models.mnist_classifier",
    "cifar_squeezenet": "models.cifar_squeezenet",
}


class ModelError(Exception):
    """A model is unknown, missing or does not match its checksum; str() says what to do."""


def module_of(name):
    if name not in MODELS:
        raise ModelError(f"no model {name!r} (known: {', '.join(MODELS) or 'none'})")
    return importlib.import_module(MODELS[name])


def weights_path(name, source):
    """Where model `name`'s shipped weights live under the course's source/ folder."""
    module = module_of(name)
    return Path(source) / module.ASSIGNMENT / module.WEIGHTS
