"""MNIST through torchvision's dataset class, on the files get_datasets.py fetched.

`python get_datasets.py mnist` puts the four original idx files, gzipped, in
mnist/ inside the data folder (CS231N_DATA_DIR, or datasets/ beside cs231n/).
torchvision.datasets.MNIST expects them unpacked under <root>/MNIST/raw/ and
downloads them otherwise; `mnist_dataset` reads the fetched files where they
are and never downloads.
"""
import gzip
import os

import numpy as np

from .data_utils import data_dir

MNIST_FOLDER = "mnist"
MNIST_FILES = {
    True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_IMAGE_SHAPE = (1, 28, 28)
MNIST_NUM_CLASSES = 10


def mnist_dir():
    """The folder holding MNIST's idx files (a str); FileNotFoundError says how to fetch them."""
    folder = os.path.join(data_dir(), MNIST_FOLDER)
    missing = [name for names in MNIST_FILES.values() for name in names
               if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise FileNotFoundError(f"MNIST is not in {folder} ({missing[0]} is missing); "
                                "run `python get_datasets.py mnist` in your assignment folder")
    return folder


def read_idx(path):
    """The array stored in a gzipped idx file (uint8 images (N, 28, 28) or labels (N,))."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_dataset(train, transform=None):
    """torchvision's MNIST dataset on the fetched files.

    Inputs:
    - train: True for the 60,000 training digits, False for the 10,000 test digits.
    - transform: applied to every image (a PIL image of 28x28 pixels, grayscale),
      e.g. torchvision.transforms.ToTensor(), which gives a float32 tensor of
      shape (1, 28, 28) with values in [0, 1]; None keeps the PIL image.

    Returns a torchvision.datasets.MNIST; item i is (image, label), label an int in 0..9.
    """
    import torch
    import torchvision  # imported here: the networks do not need it

    folder = mnist_dir()

    class FetchedMNIST(torchvision.datasets.MNIST):
        def _check_exists(self):
            return True  # mnist_dir() checked every file

        def _load_data(self):
            images, labels = (read_idx(os.path.join(folder, name)) for name in MNIST_FILES[self.train])
            return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))

    return FetchedMNIST(folder, train=train, transform=transform, download=False)


def mnist_arrays(train):
    """MNIST as float32 tensors: images (N, 1, 28, 28) in [0, 1] and int64 labels (N,)."""
    import torch

    folder = mnist_dir()
    images, labels = (read_idx(os.path.join(folder, name)) for name in MNIST_FILES[train])
    images = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return images, torch.from_numpy(labels.astype(np.int64))
