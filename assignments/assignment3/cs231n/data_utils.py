"""CIFAR-10 as NumPy arrays.

The data lives in cifar-10-batches-py/ inside the data folder: the folder
named by the environment variable CS231N_DATA_DIR, or else datasets/ in your
assignment folder (beside cs231n/). `python get_datasets.py` puts it there.

The batches are stored as Python pickles, the format CIFAR-10 is published
in. Unpickling can run code, so only load files from a data folder that
get_datasets.py downloaded and verified.
"""
import os
import pickle
from pathlib import Path

import numpy as np

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
NUM_TRAIN_BATCHES = 5
IMAGE_SHAPE = (32, 32, 3)


def data_dir():
    """The folder that holds the datasets (a str): CS231N_DATA_DIR, else datasets/ beside cs231n/."""
    configured = os.environ.get("CS231N_DATA_DIR", "").strip()
    if configured:
        return os.path.expanduser(configured)
    return str(Path(__file__).resolve().parent.parent / "datasets")


def cifar10_dir():
    """The folder cifar-10-batches-py (a str), after checking that it is there.

    Raises FileNotFoundError, saying how to get the data, when it is missing.
    """
    path = os.path.join(data_dir(), CIFAR10_FOLDER)
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"CIFAR-10 was not found in {path}. Run `python get_datasets.py` in your assignment folder "
            f"to download it there, or set the environment variable CS231N_DATA_DIR to the folder "
            f"that holds {CIFAR10_FOLDER}/.")
    return path


def load_CIFAR_batch(filename, dtype=np.float64):
    """Load one CIFAR-10 batch file.

    Inputs:
    - filename: path of a batch file (data_batch_1 ... data_batch_5 or test_batch).
    - dtype: type of the returned images.

    Returns a tuple (X, y):
    - X: array of shape (N, 32, 32, 3) and type `dtype`, pixel values 0..255,
      channels last (height, width, RGB); N = 10000 for the official batches.
    - y: int64 array of shape (N,), labels in 0..9 (see CIFAR10_CLASSES).

    Raises FileNotFoundError for a missing file and ValueError for a file
    that is not a CIFAR-10 batch.
    """
    images, labels = _read_batch(filename)
    return images.astype(dtype), labels


def _read_batch(filename):
    """(uint8 images of shape (N, 32, 32, 3), int64 labels of shape (N,)) from one batch file."""
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"CIFAR-10 batch {filename} does not exist; run `python get_datasets.py` "
                                "to download the dataset")
    damaged = (f"{filename} is not a readable CIFAR-10 batch; run `python get_datasets.py --force` "
               "to download it again")
    try:
        with open(filename, "rb") as f:
            # latin1: the batches were pickled by Python 2, with byte strings.
            batch = pickle.load(f, encoding="latin1")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError) as exc:
        raise ValueError(f"{damaged} ({type(exc).__name__})") from None
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise ValueError(f"{damaged} (it has no 'data' and 'labels')")
    data, labels = batch["data"], np.asarray(batch["labels"])
    pixels = int(np.prod(IMAGE_SHAPE))
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != pixels or data.dtype != np.uint8:
        raise ValueError(f"{damaged} ('data' should be a uint8 array of shape (N, {pixels}))")
    if labels.shape != (data.shape[0],) or labels.dtype.kind not in "iu" or (
            labels.size and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES))):
        raise ValueError(f"{damaged} ('labels' should hold one label in 0..9 per image)")
    # Rows are stored as 1024 red, then 1024 green, then 1024 blue values. Reordering
    # the bytes before any conversion to float is several times faster than after.
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels.astype(np.int64)


def load_CIFAR10(root, dtype=np.float64):
    """Load all of CIFAR-10 from the folder `root` (as given by cifar10_dir()).

    Inputs:
    - root: path of the cifar-10-batches-py folder.
    - dtype: type of the images; float64 by default, float32 halves the
      memory (about 0.7 GB instead of 1.5 GB).

    Returns a tuple (X_train, y_train, X_test, y_test):
    - X_train: array of shape (50000, 32, 32, 3), pixel values 0..255.
    - y_train: int64 array of shape (50000,), labels in 0..9.
    - X_test: array of shape (10000, 32, 32, 3).
    - y_test: int64 array of shape (10000,).
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root} is not a folder; pass cifar10_dir() (run `python get_datasets.py` "
                                "first if the data is missing)")
    parts = [_read_batch(os.path.join(root, f"data_batch_{b}")) for b in range(1, NUM_TRAIN_BATCHES + 1)]
    # Joined as bytes, then converted once: the float copy is the big one.
    X_train = np.concatenate([X for X, _ in parts]).astype(dtype)
    y_train = np.concatenate([y for _, y in parts])
    X_test, y_test = load_CIFAR_batch(os.path.join(root, "test_batch"), dtype)
    return X_train, y_train, X_test, y_test


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True):
    """CIFAR-10 split into train/validation/test, ready for a neural network.

    The validation images are the num_validation training images after the
    first num_training; the test images are the first num_test of the test
    batch. With subtract_mean, the mean training image is subtracted from all
    three splits.

    Inputs:
    - num_training, num_validation: sizes of the splits taken from the 50000
      training images (their sum at most 50000).
    - num_test: size of the test split (at most 10000).
    - subtract_mean: whether to center the data with the mean training image.

    Returns a dict of arrays, images channels first (N, 3, 32, 32) float32 and
    labels int64:
    - X_train: (num_training, 3, 32, 32); y_train: (num_training,)
    - X_val: (num_validation, 3, 32, 32); y_val: (num_validation,)
    - X_test: (num_test, 3, 32, 32); y_test: (num_test,)
    """
    if (min(num_training, num_validation, num_test) < 0 or num_training + num_validation > 50000
            or num_test > 10000):
        raise ValueError("need 0 <= num_training + num_validation <= 50000 and 0 <= num_test <= 10000; got "
                         f"num_training={num_training}, num_validation={num_validation}, num_test={num_test}")
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir(), dtype=np.float32)
    X_val = X_train[num_training:num_training + num_validation]
    y_val = y_train[num_training:num_training + num_validation]
    X_train, y_train = X_train[:num_training], y_train[:num_training]
    X_test, y_test = X_test[:num_test], y_test[:num_test]
    if subtract_mean and num_training:
        mean_image = X_train.mean(axis=0)
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    return {
        "X_train": np.ascontiguousarray(X_train.transpose(0, 3, 1, 2)), "y_train": y_train,
        "X_val": np.ascontiguousarray(X_val.transpose(0, 3, 1, 2)), "y_val": y_val,
        "X_test": np.ascontiguousarray(X_test.transpose(0, 3, 1, 2)), "y_test": y_test,
    }
