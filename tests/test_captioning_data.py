"""The captioning dataset (data/captioning.py) and its loader (source/cs231n/coco_utils.py).

Builds run on a small fake MNIST made here (random strokes in the idx format),
so these tests need no download and take seconds.
"""
import gzip
import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from data import captioning, prepare

REPO = Path(__file__).resolve().parent.parent
EXACT_FILES = ("coco2014_captions.h5", "coco2014_vocab.json", "scenes_images.h5", "scenes_objects.h5",
               "train2014_urls.txt", "val2014_urls.txt")


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0))


def fake_mnist(folder, count=120, seed=0):
    rng = np.random.default_rng(seed)
    mnist = Path(folder) / "mnist"
    mnist.mkdir(parents=True)
    for split, (images, labels) in captioning.MNIST_FILES.items():
        write_idx(mnist / images, rng.integers(0, 256, size=(count, 28, 28)))
        write_idx(mnist / labels, rng.integers(0, 10, size=count))
    return Path(folder)


def small_build(folder):
    return captioning.build(fake_mnist(folder), num_train=40, num_val=12, cnn_epochs=1, progress=False,
                            log=lambda *_: None)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    return small_build(tmp_path_factory.mktemp("a")), small_build(tmp_path_factory.mktemp("b"))


@pytest.fixture
def coco_utils(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "source"))
    sys.modules.pop("cs231n.coco_utils", None)
    import cs231n.coco_utils
    return cs231n.coco_utils


def test_small_build_is_byte_identical_run_to_run(two_builds):
    first, second = two_builds
    for name in EXACT_FILES:
        if (first / name).read_bytes() != (second / name).read_bytes():
            pytest.fail(f"{name} differs between two builds with the same seed")


def test_small_build_features_are_the_same_on_one_machine(two_builds):
    first, second = two_builds
    for name in ("train2014_vgg16_fc7.h5", "val2014_vgg16_fc7_pca.h5"):
        with h5py.File(first / name) as a, h5py.File(second / name) as b:
            np.testing.assert_allclose(a["features"][:], b["features"][:], rtol=0, atol=1e-5, err_msg=name)


def test_captions_follow_coco_conventions(two_builds, coco_utils):
    data = coco_utils.load_coco_data(two_builds[0])
    word_to_idx = data["word_to_idx"]
    assert data["idx_to_word"][0] == "<NULL>" and {"<START>", "<END>", "<UNK>"} <= set(word_to_idx)
    captions = data["train_captions"]
    assert captions.shape == (40 * captioning.CAPTIONS_PER_IMAGE, captioning.MAX_LENGTH)
    assert (captions[:, 0] == word_to_idx["<START>"]).all()
    ends = (captions == word_to_idx["<END>"]).argmax(axis=1)
    assert (captions[np.arange(len(captions)), ends] == word_to_idx["<END>"]).all()
    after_end = np.arange(captioning.MAX_LENGTH)[None, :] > ends[:, None]
    assert (captions[after_end] == 0).all() and (captions[~after_end] != 0).all()
    assert data["train_features"].shape == (40, 39) and data["val_features"].shape == (12, 39)
    assert coco_utils.load_coco_data(two_builds[0], pca_features=False)["train_features"].shape == (40, 1024)
    assert np.bincount(data["train_image_idxs"]).tolist() == [captioning.CAPTIONS_PER_IMAGE] * 40


def test_captions_name_only_the_digits_in_the_scene(two_builds, coco_utils):
    data = coco_utils.load_coco_data(two_builds[0])
    with h5py.File(two_builds[0] / "scenes_objects.h5") as f:
        objects = f["train_objects"][:]
    for caption, image in zip(data["train_captions"], data["train_image_idxs"]):
        words = coco_utils.decode_captions(caption, data["idx_to_word"]).split()
        named = {w for k, w in enumerate(words) if w in captioning.DIGITS
                 and (k + 1 == len(words) or words[k + 1] not in ("digit", "digits", "coloured"))}
        present = {captioning.DIGITS[d] for d in objects[image, :, 0] if d >= 0}
        if not named <= present:
            pytest.fail(f"caption {' '.join(words)!r} names {named - present}, not in the scene ({present})")


def test_relations_are_true(coco_utils):
    rng = np.random.default_rng(0)
    scene = np.full((4, 4), -1, dtype=np.int32)
    scene[0] = (3, 0, 1, 0)    # top left: a big red three
    scene[3] = (7, 2, 0, 1)    # bottom right: a small blue seven
    for _ in range(20):
        words = " ".join(captioning._phrase(scene[0], 0) + captioning._relation(0, 3, rng))
        assert words in ("a three to the left of", "a three above")


def test_images_load_for_display(two_builds, coco_utils):
    data = coco_utils.load_coco_data(two_builds[0])
    with h5py.File(two_builds[0] / "scenes_images.h5") as f:
        stored = f["val_images"][:]
    images = coco_utils.load_images("val", [5, 2, 5], base_dir=two_builds[0])
    assert images.dtype == np.uint8 and images.shape == (3, 64, 64, 3)
    np.testing.assert_array_equal(images, stored[[5, 2, 5]])
    np.testing.assert_array_equal(coco_utils.image_from_url(data["val_urls"][2], two_builds[0]), stored[2])


def write_official_layout(folder):
    """A tiny dataset in COCO's own layout (CS231n's coco_captioning/): web URLs, 4096-d fc7."""
    idx_to_word = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "on", "mat"]
    word_to_idx = {w: i for i, w in enumerate(idx_to_word)}
    rng = np.random.default_rng(1)
    row = [1, 4, 5, 6, 4, 7, 2] + [0] * 10
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        f["train_captions"] = np.array([row] * 6, dtype=np.int32)
        f["train_image_idxs"] = np.array([0, 0, 1, 1, 2, 2], dtype=np.int32)
        f["val_captions"] = np.array([row] * 2, dtype=np.int32)
        f["val_image_idxs"] = np.array([0, 1], dtype=np.int32)
    for split, count in (("train", 3), ("val", 2)):
        for suffix, dim in (("", 4096), ("_pca", 512)):
            with h5py.File(folder / f"{split}2014_vgg16_fc7{suffix}.h5", "w") as f:
                f["features"] = rng.standard_normal((count, dim)).astype(np.float32)
        (folder / f"{split}2014_urls.txt").write_text(
            "".join(f"http://images.cocodataset.org/{split}2014/COCO_{split}2014_{i:012d}.jpg\n"
                    for i in range(count)))
    (folder / "coco2014_vocab.json").write_text(json.dumps({"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}))


def test_official_coco_layout_loads_through_the_same_function(tmp_path, coco_utils):
    write_official_layout(tmp_path)
    data = coco_utils.load_coco_data(tmp_path)
    assert data["train_captions"].shape == (6, 17) and data["val_image_idxs"].tolist() == [0, 1]
    assert data["train_features"].shape == (3, 512) and data["val_features"].shape == (2, 512)
    assert coco_utils.load_coco_data(tmp_path, pca_features=False)["val_features"].shape == (2, 4096)
    assert data["val_urls"][1].startswith("http://images.cocodataset.org/val2014/")
    assert coco_utils.decode_captions(data["train_captions"][0], data["idx_to_word"]) == "a cat on a mat"
    assert coco_utils.decode_captions(data["train_captions"][:2], data["idx_to_word"]) == ["a cat on a mat"] * 2
    np.random.seed(0)
    small = coco_utils.load_coco_data(tmp_path, max_train=4)
    assert small["train_captions"].shape == (4, 17) and small["train_image_idxs"].shape == (4,)
    captions, features, urls = coco_utils.sample_coco_minibatch(data, batch_size=5, split="val")
    assert captions.shape == (5, 17) and features.shape == (5, 512) and urls.shape == (5,)
    for caption, feature, url in zip(captions, features, urls):
        row = int(url.rsplit("_", 1)[1].split(".")[0])
        np.testing.assert_array_equal(feature, data["val_features"][row])


def test_missing_mnist_names_the_command(tmp_path):
    with pytest.raises(captioning.CaptioningDataError, match=r"python -m data\.fetch mnist"):
        captioning.build(tmp_path, num_train=4, num_val=2, progress=False)


def test_missing_dataset_names_the_command(tmp_path, monkeypatch, coco_utils):
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path))
    assert "captioning_scenes" in prepare.known()
    assert "python -m data.prepare captioning_scenes" in prepare.missing_reason("captioning_scenes")
    with pytest.raises(FileNotFoundError, match="python -m data.prepare captioning_scenes"):
        coco_utils.load_coco_data()


def test_checksums_catch_a_changed_file_and_a_small_build(tmp_path, monkeypatch):
    folder = small_build(tmp_path).parent
    assert "small test build" in captioning.missing_reason(folder)
    stamp_file = captioning.stamp_path(folder)
    stamp = json.loads(stamp_file.read_text())
    stamp.update(sizes=[captioning.NUM_TRAIN, captioning.NUM_VAL])
    stamp_file.write_text(json.dumps(stamp))
    assert captioning.missing_reason(folder) is None
    with open(folder / captioning.FOLDER / "val2014_urls.txt", "a") as f:
        f.write("scenes/val/999\n")
    assert "differs" in captioning.missing_reason(folder)


@pytest.fixture
def metrics(coco_utils):
    import cs231n.captioning_metrics
    return cs231n.captioning_metrics


def test_digits_named_leaves_out_counts(metrics):
    assert metrics.digits_named("two digits a red seven and a two") == {"seven", "two"}
    assert metrics.digits_named("a picture of four coloured digits") == set()
    assert metrics.digits_named("one digit a small one") == {"one"}


def test_names_right_digits_needs_one_digit_and_no_absent_one(metrics):
    present = [{"seven"}, {"seven", "two"}, {"three"}, {"one"}]
    captions = ["a seven", "a two and a seven", "a three and a five", "a picture of one coloured digit"]
    assert metrics.names_right_digits(captions, present) == 0.5


def test_bleu4_takes_every_reference_of_an_image(metrics):
    references = [["a big red seven", "a red seven above a blue two"], ["a small green one"]]
    assert metrics.bleu4(["a red seven above a blue two", "a small green one"], references) == pytest.approx(100)
    assert metrics.bleu4(["a small green one", "a big red seven"], references) < 10
    with pytest.raises(ValueError):
        metrics.bleu4(["a small green one"], references)


def test_prepare_makes_what_a_build_reads_present_first(monkeypatch):
    # make data on a fresh machine: captioning_scenes reads MNIST, which nothing had fetched.
    assert captioning.REQUIRES == ("mnist",)
    done = []
    monkeypatch.setattr(captioning, "missing_reason", lambda *a: "not built")
    monkeypatch.setattr(captioning, "build", lambda *a, **k: done.append("captioning_scenes"))
    monkeypatch.setattr(prepare.fetch, "fetch", lambda name: done.append(name))
    prepare.prepare("captioning_scenes")
    assert done == ["mnist", "captioning_scenes"]
    for module in prepare.BUILT.values():
        assert all(name in prepare.known() for name in module.REQUIRES), module.NAME
