"""Captioning data in the layout of CS231n's COCO captioning files, as NumPy arrays.

The course's dataset, captioning_scenes (scenes of coloured MNIST digits with
five captions each, built by `make data` or `python -m data.prepare
captioning_scenes`), lives in captioning_scenes/ inside the data folder: the
folder named by CS231N_DATA_DIR, else datasets/ beside cs231n/. It uses COCO's
file names and keys, so a folder holding the real COCO captioning files
(coco_captioning/ from CS231n) loads through the same `load_coco_data`.

Captions are rows of word indices: <START> first, <END> after the last word,
<NULL> (index 0) as padding after it.
"""
import json
import os
import urllib.request

import numpy as np

from .data_utils import data_dir

CAPTIONING_FOLDER = "captioning_scenes"
IMAGES_FILE = "scenes_images.h5"
SCENE_URL_PREFIX = "scenes/"


def captioning_dir():
    """The folder captioning_scenes (a str), after checking that it is there.

    Raises FileNotFoundError, saying how to get the data, when it is missing.
    """
    path = os.path.join(data_dir(), CAPTIONING_FOLDER)
    if not os.path.isfile(os.path.join(path, "coco2014_captions.h5")):
        raise FileNotFoundError(
            f"The captioning dataset was not found in {path}. Build it with `python -m data.prepare "
            f"captioning_scenes` (or `make data`), or set CS231N_DATA_DIR to the folder that holds "
            f"{CAPTIONING_FOLDER}/.")
    return path


def load_coco_data(base_dir=None, max_train=None, pca_features=True):
    """Captions, image features, vocabulary and image references of a COCO-layout folder.

    Inputs:
    - base_dir: folder with coco2014_captions.h5, coco2014_vocab.json,
      {train,val}2014_vgg16_fc7[_pca].h5 and {train,val}2014_urls.txt
      (default: captioning_dir()).
    - max_train: keep only this many training captions, drawn at random with
      np.random (seed it for the same draw), and their image indices as they are.
    - pca_features: the PCA-reduced features (D = 512) instead of the raw ones.

    Returns a dict with:
    - train_captions: int32 (N_train, T) word indices; val_captions likewise.
    - train_image_idxs: int32 (N_train,), the row of train_features each caption
      describes; val_image_idxs likewise.
    - train_features: float32 (M_train, D); val_features: float32 (M_val, D).
    - idx_to_word: list of V words; word_to_idx: dict word -> index.
    - train_urls, val_urls: str arrays (M,), one image reference per feature row.
    """
    import h5py

    base_dir = captioning_dir() if base_dir is None else os.fspath(base_dir)
    data = {}
    with h5py.File(os.path.join(base_dir, "coco2014_captions.h5"), "r") as f:
        for key, value in f.items():
            data[key] = np.asarray(value)
    suffix = "_pca" if pca_features else ""
    for split in ("train", "val"):
        with h5py.File(os.path.join(base_dir, f"{split}2014_vgg16_fc7{suffix}.h5"), "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])
    with open(os.path.join(base_dir, "coco2014_vocab.json")) as f:
        data.update(json.load(f))
    for split in ("train", "val"):
        with open(os.path.join(base_dir, f"{split}2014_urls.txt")) as f:
            data[f"{split}_urls"] = np.array([line.strip() for line in f if line.strip()])
    if max_train is not None and max_train < len(data["train_captions"]):
        mask = np.random.randint(len(data["train_captions"]), size=max_train)
        data["train_captions"] = data["train_captions"][mask]
        data["train_image_idxs"] = data["train_image_idxs"][mask]
    return data


def decode_captions(captions, idx_to_word):
    """Words of captions: a str for one caption (T,), a list of str for a batch (N, T).

    <START> and <NULL> are left out, and a caption ends at its first <END>.
    """
    captions = np.asarray(captions)
    single = captions.ndim == 1
    decoded = []
    for row in np.atleast_2d(captions):
        words = []
        for index in row:
            word = idx_to_word[int(index)]
            if word == "<END>":
                break
            if word not in ("<NULL>", "<START>"):
                words.append(word)
        decoded.append(" ".join(words))
    return decoded[0] if single else decoded


def sample_coco_minibatch(data, batch_size=100, split="train"):
    """A random minibatch (np.random) of captions with their image features and references.

    Returns (captions int32 (B, T), image_features float32 (B, D), urls str (B,)).
    """
    split_size = data[f"{split}_captions"].shape[0]
    mask = np.random.choice(split_size, batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    return captions, data[f"{split}_features"][image_idxs], data[f"{split}_urls"][image_idxs]


def load_images(split, image_idxs, base_dir=None):
    """uint8 (B, 64, 64, 3) images of the captioning scenes with these indices in `split` ("train"/"val")."""
    import h5py

    base_dir = captioning_dir() if base_dir is None else os.fspath(base_dir)
    image_idxs = np.asarray(image_idxs, dtype=np.int64)
    # h5py reads rows in increasing order only: read the sorted unique rows, then put them back in order
    rows, inverse = np.unique(image_idxs, return_inverse=True)
    with h5py.File(os.path.join(base_dir, IMAGES_FILE), "r") as f:
        images = f[f"{split}_images"][rows]
    return images[inverse.reshape(image_idxs.shape)]


def image_from_url(url, base_dir=None):
    """uint8 (H, W, 3) image of one reference from *_urls: a scene ("scenes/val/17") or a web URL (COCO).

    A web image needs internet access and Pillow; None when it cannot be read.
    """
    if url.startswith(SCENE_URL_PREFIX):
        split, index = url[len(SCENE_URL_PREFIX):].split("/")
        return load_images(split, [int(index)], base_dir)[0]
    try:
        from io import BytesIO

        from PIL import Image
        with urllib.request.urlopen(url, timeout=10) as response:
            return np.asarray(Image.open(BytesIO(response.read())).convert("RGB"))
    except (OSError, ImportError, ValueError) as exc:
        print(f"could not read {url}: {exc}")
        return None

