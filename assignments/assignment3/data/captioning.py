"""A captioning dataset the course builds itself, in the file layout of CS231n's COCO captioning data.

    python -m data.captioning                 build it in CS231N_DATA_DIR (part of `make data`)
    python -m data.prepare captioning_scenes  the same, by name

CS231n's captioning notebooks read COCO 2014 captions with VGG-16 fc7 features
(`coco_captioning`), which cannot be downloaded here and which a course may not
redistribute. This module makes a stand-in from MNIST (fetched by
`python -m data.fetch mnist`): 64x64 RGB scenes of 1 to 4 coloured digits, each
in its own quadrant, big (28 px) or small (14 px), with 5 captions per image from
a grammar that names digits, colours, sizes, counts, corners and the relations
left of / right of / above / below. Train scenes use MNIST training digits, val
scenes MNIST test digits. The image features come from a small CNN trained here
on the train scenes (data/captioning_cnn.py), the stand-in for VGG-16 fc7, with a
512-dimensional PCA copy as COCO ships both.

The folder `captioning_scenes/` in the data folder holds, under COCO's names:

    coco2014_captions.h5        train_captions int32 (100000, 17), train_image_idxs int32 (100000,),
                                val_captions int32 (10000, 17), val_image_idxs int32 (10000,)
    coco2014_vocab.json         idx_to_word (list), word_to_idx (dict)
    train2014_vgg16_fc7.h5      features float32 (20000, 1024)  (the CNN's penultimate layer, ReLU)
    train2014_vgg16_fc7_pca.h5  features float32 (20000, 512)   (PCA fitted on train)
    val2014_vgg16_fc7.h5, val2014_vgg16_fc7_pca.h5   the same for val (2000 images)
    train2014_urls.txt, val2014_urls.txt             one reference per image: scenes/<split>/<index>
    scenes_images.h5            train_images, val_images uint8 (N, 64, 64, 3)
    scenes_objects.h5           train_objects, val_objects int32 (N, 4, 4): per quadrant
                                (digit or -1, colour, size, MNIST index); quadrants TL, TR, BL, BR
    features.json               how the features were made (CNN, training, accuracy, PCA)

Captions and images depend only on MNIST and the seeds and are the same byte
for byte on every machine. Features come from a CPU training: the same on one
machine run to run, but other CPUs (other BLAS kernels) may differ in the last
bits; they are checked through their effect (features.json records the CNN's
accuracy on val), not bit for bit across machines. The sha256 of every file is
recorded in `.verified/captioning_scenes.json`; `missing_reason()` compares
them, so a changed or truncated file is rebuilt by `make data`.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NAME = "captioning_scenes"
# The datasets the build reads: data.prepare makes them present first.
REQUIRES = ("mnist",)
FOLDER = NAME
STAMP_FOLDER = ".verified"
FORMAT_VERSION = 1

CANVAS = 64
CELL = CANVAS // 2
MAX_OBJECTS = 4
CAPTIONS_PER_IMAGE = 5
MAX_LENGTH = 17          # tokens per caption row, <START> and <END> included (COCO in CS231n)
NUM_TRAIN = 20000
NUM_VAL = 2000
SEED = 231

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COLOURS = ("red", "green", "blue", "yellow", "white", "purple")
RGB = np.array([(235, 50, 45), (50, 205, 60), (60, 100, 255), (245, 225, 40), (235, 235, 235),
                (180, 70, 225)], dtype=np.float32)
SIZES = ("small", "big")
COUNTS = ("one", "two", "three", "four")
CORNERS = ("top left", "top right", "bottom left", "bottom right")
SPECIAL = ("<NULL>", "<START>", "<END>", "<UNK>")

MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "val": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


class CaptioningDataError(Exception):
    """The captioning dataset cannot be built or read; the message says what to do."""


def data_dir():
    configured = os.environ.get("CS231N_DATA_DIR", "").strip()
    if not configured:
        raise CaptioningDataError("CS231N_DATA_DIR is not set; it names the folder that holds the datasets "
                                  "(`make data` sets it to data/datasets)")
    return Path(configured).expanduser()


# ------------------------------------------------------------------ MNIST

def read_idx(path):
    """The array in one gzipped idx file (MNIST's format): uint8 images (N, 28, 28) or labels (N,)."""
    raw = gzip.decompress(Path(path).read_bytes())
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(folder, split):
    """(uint8 images (N, 28, 28), uint8 labels (N,)) of MNIST's train ("train") or test ("val") set."""
    mnist = Path(folder) / "mnist"
    paths = [mnist / name for name in MNIST_FILES[split]]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise CaptioningDataError(f"MNIST is not in {folder} (missing {', '.join(missing)}); fetch it first: "
                                  "`python -m data.fetch mnist` (or `make data`)")
    return read_idx(paths[0]), read_idx(paths[1])


# ------------------------------------------------------------------ scenes

def sample_objects(rng, count, num_digits):
    """int32 (count, 4, 4): per quadrant (TL, TR, BL, BR) digit (-1 empty), colour, size, MNIST index.

    Each scene has 1 to 4 digits, one per quadrant, so relations between two
    digits are never ambiguous and digits never overlap.
    """
    objects = np.full((count, MAX_OBJECTS, 4), -1, dtype=np.int32)
    for i in range(count):
        n = rng.integers(1, MAX_OBJECTS + 1)
        cells = rng.choice(MAX_OBJECTS, size=n, replace=False)
        for cell in cells:
            objects[i, cell, 1] = rng.integers(len(COLOURS))
            objects[i, cell, 2] = rng.integers(len(SIZES))
            objects[i, cell, 3] = rng.integers(num_digits)
    return objects


def render(objects, digits, labels, rng):
    """uint8 (N, 64, 64, 3) scenes of `objects` (filled in place with each digit's label).

    A digit's grey levels scale its colour on a black canvas; a small digit is the
    28x28 MNIST image averaged over 2x2 blocks. Its place in the quadrant is jittered.
    """
    images = np.zeros((len(objects), CANVAS, CANVAS, 3), dtype=np.uint8)
    for i, scene in enumerate(objects):
        canvas = np.zeros((CANVAS, CANVAS, 3), dtype=np.float32)
        for cell, (_, colour, size, index) in enumerate(scene):
            if index < 0:
                continue
            scene[cell, 0] = labels[index]
            glyph = digits[index].astype(np.float32) / 255.0
            if size == 0:
                glyph = glyph.reshape(14, 2, 14, 2).mean(axis=(1, 3))
            side = glyph.shape[0]
            dy, dx = rng.integers(0, CELL - side + 1, size=2)
            top, left = (cell // 2) * CELL + dy, (cell % 2) * CELL + dx
            canvas[top:top + side, left:left + side] += glyph[:, :, None] * RGB[colour]
        images[i] = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    return images


# ------------------------------------------------------------------ captions

def _phrase(obj, detail):
    """Words naming one digit: detail 2 'a big red seven', 1 'a red seven', 0 'a seven'."""
    digit, colour, size, _ = obj
    words = ["a"]
    if detail >= 2:
        words.append(SIZES[size])
    if detail >= 1:
        words.append(COLOURS[colour])
    return words + [DIGITS[digit]]


def _join(phrases):
    out = []
    for k, phrase in enumerate(phrases):
        if k and k == len(phrases) - 1:
            out.append("and")
        out += phrase
    return out


def _relation(a_cell, b_cell, rng):
    """Words saying where the digit in a_cell is relative to the one in b_cell (one true relation)."""
    options = []
    if a_cell % 2 < b_cell % 2:
        options.append(["to", "the", "left", "of"])
    if a_cell % 2 > b_cell % 2:
        options.append(["to", "the", "right", "of"])
    if a_cell // 2 < b_cell // 2:
        options.append(["above"])
    if a_cell // 2 > b_cell // 2:
        options.append(["below"])
    return options[rng.integers(len(options))]


def _templates(scene, rng):
    """The five caption templates of a scene: functions from a detail level to a list of words."""
    cells = [c for c in range(MAX_OBJECTS) if scene[c, 3] >= 0]
    n = len(cells)
    order = [cells[k] for k in rng.permutation(n)]
    noun = "digit" if n == 1 else "digits"

    def listing(detail):
        return _join([_phrase(scene[c], detail) for c in order])

    def counted(detail):
        return ["there", "is" if n == 1 else "are", COUNTS[n - 1], noun, "on", "the", "black",
                "background"] if detail < 0 else [COUNTS[n - 1], noun] + listing(detail)

    def relation(detail):
        if n == 1:
            c = cells[0]
            return _phrase(scene[c], max(detail, 0)) + ["in", "the"] + CORNERS[c].split()
        a, b = order[0], order[1]
        return _phrase(scene[a], detail) + _relation(a, b, rng) + _phrase(scene[b], detail)

    def corner(detail):
        c = order[-1]
        return ["the", "digit", "in", "the"] + CORNERS[c].split() + ["is"] + _phrase(scene[c], max(detail, 0))

    def picture(detail):
        return ["a", "picture", "of"] + (["a", "single"] if n == 1 else [COUNTS[n - 1]]) + [
            "coloured", noun] + (["with"] + listing(detail) if detail >= 0 else [])

    return [listing, counted, relation, corner, picture]


def caption_words(scene, rng, max_words=MAX_LENGTH - 2):
    """CAPTIONS_PER_IMAGE captions (lists of words) of one scene, each at most `max_words` words.

    Each template is tried with the most detail first (size, colour, digit) and
    with less until it fits, so captions of busy scenes leave out attributes.
    """
    captions = []
    for template in _templates(scene, rng):
        for detail in (2, 1, 0, -1):
            words = template(detail)
            if len(words) <= max_words:
                captions.append(words)
                break
    return captions


def vocabulary():
    """(idx_to_word, word_to_idx): COCO's special tokens first (<NULL> is 0), then every word the grammar uses."""
    words = set(DIGITS + COLOURS + SIZES + COUNTS)
    words |= {w for corner in CORNERS for w in corner.split()}
    words |= set("a and to the left right of above below there is are digit digits on black background "
                 "in picture single coloured with".split())
    idx_to_word = list(SPECIAL) + sorted(words)
    return idx_to_word, {w: i for i, w in enumerate(idx_to_word)}


def encode(captions, word_to_idx):
    """int32 (len(captions), MAX_LENGTH): <START> words <END>, padded with <NULL> (0)."""
    out = np.zeros((len(captions), MAX_LENGTH), dtype=np.int32)
    for row, words in enumerate(captions):
        tokens = ["<START>"] + words + ["<END>"]
        out[row, :len(tokens)] = [word_to_idx.get(w, word_to_idx["<UNK>"]) for w in tokens]
    return out


def make_split(digits, labels, count, seed, progress=None):
    """(images uint8 (count, 64, 64, 3), objects int32 (count, 4, 4), caption word lists, image index per caption)."""
    rng = np.random.default_rng(seed)
    objects = sample_objects(rng, count, len(digits))
    images = np.empty((count, CANVAS, CANVAS, 3), dtype=np.uint8)
    captions, image_idxs = [], []
    step = 1000
    for start in range(0, count, step):
        stop = min(start + step, count)
        images[start:stop] = render(objects[start:stop], digits, labels, rng)
        for i in range(start, stop):
            for words in caption_words(objects[i], rng):
                captions.append(words)
                image_idxs.append(i)
        if progress is not None:
            progress(stop - start)
    return images, objects, captions, np.array(image_idxs, dtype=np.int32)


# ------------------------------------------------------------------ files

def _write_h5(path, arrays, compress=()):
    """An HDF5 file of `arrays` whose bytes depend only on the arrays (no object times)."""
    import h5py

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    with h5py.File(tmp, "w", libver="v108") as f:
        for key in sorted(arrays):
            chunk = (min(256, len(arrays[key])),) + arrays[key].shape[1:]
            extra = dict(compression="gzip", compression_opts=4, chunks=chunk) if key in compress else {}
            f.create_dataset(key, data=arrays[key], track_times=False, **extra)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _write_text(path, text):
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stamp_path(folder):
    return Path(folder) / STAMP_FOLDER / f"{NAME}.json"


class _Progress:
    """Scenes made so far, on stderr (tqdm's bar when installed)."""

    def __init__(self, total, enabled):
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=f"{NAME}: scenes", unit="img", file=sys.stderr)
            except ImportError:
                pass

    def __call__(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def build(folder=None, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=SEED, cnn_epochs=None, progress=True,
          log=print):
    """Build captioning_scenes/ in the data `folder` (default: CS231N_DATA_DIR); returns the folder.

    Small `num_train`/`num_val` make a quick copy for tests; the record in
    .verified/ says which sizes and seed were built, and `missing_reason`
    accepts only the defaults.
    """
    from . import captioning_cnn

    folder = Path(folder) if folder is not None else data_dir()
    splits = {name: load_mnist(folder, name) for name in ("train", "val")}
    started = time.monotonic()
    target = folder / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    idx_to_word, word_to_idx = vocabulary()
    bar = _Progress(num_train + num_val, progress)
    made = {}
    for k, (split, count) in enumerate((("train", num_train), ("val", num_val))):
        digits, labels = splits[split]
        made[split] = make_split(digits, labels, count, seed * 10 + k, bar)
    bar.close()
    scene_s = time.monotonic() - started

    caption_arrays, urls = {}, {}
    for split, (images, objects, captions, image_idxs) in made.items():
        caption_arrays[f"{split}_captions"] = encode(captions, word_to_idx)
        caption_arrays[f"{split}_image_idxs"] = image_idxs
        urls[split] = "".join(f"scenes/{split}/{i}\n" for i in range(len(images)))
    _write_h5(target / "coco2014_captions.h5", caption_arrays)
    _write_h5(target / "scenes_images.h5", {f"{s}_images": made[s][0] for s in made},
              compress={f"{s}_images" for s in made})
    _write_h5(target / "scenes_objects.h5", {f"{s}_objects": made[s][1] for s in made})
    _write_text(target / "coco2014_vocab.json",
                json.dumps({"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}, indent=1) + "\n")
    for split in made:
        _write_text(target / f"{split}2014_urls.txt", urls[split])

    features, record = captioning_cnn.make_features(made["train"][0], made["train"][1], made["val"][0],
                                                    made["val"][1], seed=seed, epochs=cnn_epochs, log=log)
    for split in made:
        _write_h5(target / f"{split}2014_vgg16_fc7.h5", {"features": features[split]})
        _write_h5(target / f"{split}2014_vgg16_fc7_pca.h5", {"features": features[f"{split}_pca"]})
    record.update({"dataset": NAME, "format_version": FORMAT_VERSION, "seed": seed,
                   "num_train": num_train, "num_val": num_val,
                   "scene_seconds": round(scene_s, 1), "total_seconds": round(time.monotonic() - started, 1)})
    _write_text(target / "features.json", json.dumps(record, indent=1, sort_keys=True) + "\n")

    files = sorted(p.name for p in target.iterdir() if not p.name.startswith("."))
    stamp = {"dataset": NAME, "format_version": FORMAT_VERSION, "sizes": [num_train, num_val], "seed": seed,
             "files": {name: {"size": (target / name).stat().st_size, "sha256": sha256_of(target / name)}
                       for name in files},
             "mnist_sha256": {name: sha256_of(folder / "mnist" / name)
                              for pair in MNIST_FILES.values() for name in pair}}
    stamp_path(folder).parent.mkdir(parents=True, exist_ok=True)
    _write_text(stamp_path(folder), json.dumps(stamp, indent=1, sort_keys=True) + "\n")
    log(f"{NAME}: {num_train} train and {num_val} val scenes, {len(caption_arrays['train_captions'])} + "
        f"{len(caption_arrays['val_captions'])} captions, in {target} ({time.monotonic() - started:.0f} s; "
        f"CNN val digit accuracy {record['cnn']['val_digit_accuracy']:.3f})")
    return target


def missing_reason(folder=None):
    """None when the dataset is built and every file matches its record; else what is wrong and the fix."""
    try:
        folder = Path(folder) if folder is not None else data_dir()
    except CaptioningDataError as exc:
        return str(exc)
    fix = f"run `make data` (or `python -m data.prepare {NAME}`)"
    try:
        stamp = json.loads(stamp_path(folder).read_text())
    except (OSError, ValueError):
        return f"the captioning dataset ({NAME}) is not built in {folder}: {fix}"
    if stamp.get("format_version") != FORMAT_VERSION:
        return f"the captioning dataset in {folder} was made by an older generator: {fix}"
    if stamp.get("sizes") != [NUM_TRAIN, NUM_VAL] or stamp.get("seed") != SEED:
        return f"the captioning dataset in {folder} is a small test build, not the course's: {fix}"
    for name, entry in sorted(stamp.get("files", {}).items()):
        path = folder / FOLDER / name
        if not path.is_file() or path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            return f"{path} is missing or differs from the one recorded when it was built: {fix}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data.captioning", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="default: CS231N_DATA_DIR")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        build(args.data_dir, progress=not args.no_progress)
    except CaptioningDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
