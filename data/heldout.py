"""Held-out images for scoring the models students save: data the student release does not contain.

    python -m data.heldout                    build it in CS231N_DATA_DIR (part of `make data`)

Saved models (an SVM's W, a net's parameters) are scored by the grader on
images no student has. CIFAR-10 is all the course's image data, and students
download all of it; so the held-out images are CIFAR-10 test images,
each shifted by up to SHIFT pixels (edges reflected) and mirrored with
probability 1/2, chosen and moved by a generator seeded with the course's
secret `hidden_seed_salt` (source/course.toml). A model trained on the
training set barely notices (natural images look the same mirrored or moved
by two pixels); weights fitted to the test images themselves, which students
do have, do not carry over.

The folder `cifar10_heldout/` in the data folder holds `images.npz`:

    X           uint8 (N, 32, 32, 3)  the held-out images, channels last
    y           int64 (N,)            their labels
    train_mean  float64 (32, 32, 3)   the mean of the first 49000 training images, which
                                      the notebooks subtract before training

Building it takes seconds; the result depends only on CIFAR-10 and the salt
and is the same, byte for byte, every time (`test_data_heldout.py` checks).
Its sha256 is recorded in `.verified/cifar10_heldout.json` beside the
fetched datasets, and the grader refuses to start when the file is missing
or differs from its record.

Never shipped to students: this module is not part of any release, and it
needs the salt.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NAME = "cifar10_heldout"
# The datasets the build reads: data.prepare makes them present first.
REQUIRES = ("cifar10",)
FOLDER = NAME
FILE = "images.npz"
COUNT = 2000
SHIFT = 2
NUM_TRAINING = 49000
STAMP_FOLDER = ".verified"


class HeldoutError(Exception):
    """The held-out set cannot be built or read; the message says what to do."""


def data_dir():
    configured = os.environ.get("CS231N_DATA_DIR", "").strip()
    if not configured:
        raise HeldoutError("CS231N_DATA_DIR is not set; it names the folder that holds the datasets "
                           "(`make data` sets it to data/datasets)")
    return Path(configured).expanduser()


def _read_batch(path):
    """(uint8 images (N, 32, 32, 3), int64 labels (N,)) of one CIFAR-10 batch file.

    The batches are pickles (the format CIFAR-10 is published in); they come from
    the verified download of data/fetch.py, never from a student.
    """
    import pickle

    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), np.asarray(batch["labels"], dtype=np.int64)


def make_heldout(test_images, test_labels, salt, count=COUNT, shift=SHIFT):
    """(X, y): `count` test images, each moved and maybe mirrored, as the salt decides."""
    seed = int.from_bytes(hashlib.sha256(f"{NAME}\0{salt}".encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(test_images), size=count, replace=False))
    offsets = rng.integers(-shift, shift + 1, size=(count, 2))
    mirror = rng.random(count) < 0.5
    padded = np.pad(test_images[chosen], ((0, 0), (shift, shift), (shift, shift), (0, 0)), mode="reflect")
    X = np.empty((count, 32, 32, 3), dtype=np.uint8)
    for i, (dy, dx) in enumerate(offsets):
        image = padded[i, shift + dy:shift + dy + 32, shift + dx:shift + dx + 32]
        X[i] = image[:, ::-1] if mirror[i] else image
    return X, test_labels[chosen].copy()


def training_mean(cifar_dir):
    """The mean of the first NUM_TRAINING training images, float64 (32, 32, 3)."""
    total, count, batch = np.zeros((32, 32, 3)), 0, 1
    while count < NUM_TRAINING:
        images, _ = _read_batch(Path(cifar_dir) / f"data_batch_{batch}")
        images = images[:NUM_TRAINING - count]
        total += images.sum(axis=0, dtype=np.float64)
        count += len(images)
        batch += 1
    return total / NUM_TRAINING


def npz_bytes(arrays):
    """An .npz archive of `arrays` whose bytes depend only on the arrays (fixed zip dates)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member = io.BytesIO()
            np.save(member, arrays[name], allow_pickle=False)
            archive.writestr(entry, member.getvalue())
    return buffer.getvalue()


def stamp_path(folder):
    return Path(folder) / STAMP_FOLDER / f"{NAME}.json"


def build(folder=None, salt=None, log=print):
    """Build cifar10_heldout/images.npz in the data `folder` (default: CS231N_DATA_DIR); returns its path."""
    folder = Path(folder) if folder is not None else data_dir()
    if salt is None:
        salt = course_salt()
    cifar = folder / "cifar-10-batches-py"
    if not (cifar / "test_batch").is_file():
        raise HeldoutError(f"CIFAR-10 is not in {folder}; fetch it first (`make data`, or "
                           "`python -m data.fetch cifar10`)")
    started = time.monotonic()
    X_test, y_test = _read_batch(cifar / "test_batch")
    X, y = make_heldout(X_test, y_test, salt)
    data = npz_bytes({"X": X, "y": y, "train_mean": training_mean(cifar)})
    target = folder / FOLDER / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(target, data)
    record = {"dataset": NAME, "file": f"{FOLDER}/{FILE}", "size": len(data),
              "sha256": hashlib.sha256(data).hexdigest(), "images": int(len(y)),
              "salt_sha256": hashlib.sha256(salt.encode()).hexdigest(),
              "cifar10_test_batch_sha256": hashlib.sha256((cifar / "test_batch").read_bytes()).hexdigest()}
    stamp_path(folder).parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(stamp_path(folder), (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
    log(f"{NAME}: {len(y)} held-out images in {target} ({time.monotonic() - started:.1f} s, "
        f"sha256 {record['sha256'][:12]}...)")
    return target


def _write_atomic(path, data):
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def missing_reason(folder=None, salt=None):
    """None when the held-out set is built, matches its record and was made with the course's
    current salt; else what is wrong and the command that fixes it."""
    try:
        folder = Path(folder) if folder is not None else data_dir()
    except HeldoutError as exc:
        return str(exc)
    fix = "run `make data` (or `python -m data.heldout`)"
    try:
        record = json.loads(stamp_path(folder).read_text())
        data = (folder / FOLDER / FILE).read_bytes()
    except (OSError, ValueError):
        return f"the held-out images ({NAME}) are not built in {folder}: {fix}"
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        return f"{folder / FOLDER / FILE} differs from the one recorded when it was built: {fix}"
    salt = course_salt() if salt is None else salt
    if hashlib.sha256(salt.encode()).hexdigest() != record.get("salt_sha256"):
        return f"the held-out images in {folder} were made with another term's salt: {fix}"
    return None


@dataclass(frozen=True)
class Heldout:
    X: np.ndarray            # uint8 (N, 32, 32, 3)
    y: np.ndarray            # int64 (N,)
    train_mean: np.ndarray   # float64 (32, 32, 3)
    sha256: str              # of images.npz: what values derived from it depend on


def load(folder=None):
    """The held-out set (see the module docstring), as a `Heldout`."""
    folder = Path(folder) if folder is not None else data_dir()
    data = (folder / FOLDER / FILE).read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        return Heldout(saved["X"], saved["y"], saved["train_mean"], hashlib.sha256(data).hexdigest())


def course_salt():
    """The course's hidden_seed_salt (source/course.toml), read through the one manifest reader."""
    from course import Roots, load_course
    return load_course(Roots.of_repo()).hidden_seed_salt


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data.heldout", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="default: CS231N_DATA_DIR")
    args = parser.parse_args(argv)
    try:
        build(args.data_dir)
    except HeldoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
