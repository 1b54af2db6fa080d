"""How good sampled captions are: corpus BLEU-4 against every reference, a baseline, and object naming.

Given code: nothing here is for students to write.

- `bleu4(hypotheses, references)`: corpus BLEU-4 (sacrebleu's, with its
  standard 13a tokenizer), each hypothesis scored against all captions of its
  image, as COCO captioning is evaluated.
- `frequency_baseline(data)`: the one caption a model that ignores the image
  would do best to say, the most frequent training caption, for every image.
- `names_right_digits(captions, digits_present)`: the share of images whose
  caption names at least one digit and only digits that are in the image.
- `evaluate_captioner(model, split)`: all of the above for a model's greedy
  captions; the grader scores saved captioners with it.
"""
from collections import Counter

import numpy as np

from .coco_utils import captioning_dir, decode_captions

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# A digit word followed by one of these counts digits ("three digits", "four coloured digits")
COUNT_FOLLOWERS = ("digit", "digits", "coloured")


def references_by_image(data, split="val"):
    """One list of reference caption strings per image of `split`, in image order (list of M lists of str)."""
    references = [[] for _ in range(len(data[f"{split}_features"]))]
    texts = decode_captions(data[f"{split}_captions"], data["idx_to_word"])
    for text, image in zip(texts, data[f"{split}_image_idxs"]):
        references[int(image)].append(text)
    return references


def bleu4(hypotheses, references):
    """Corpus BLEU-4 in [0, 100] of `hypotheses` (list of M str) against `references` (M lists of str).

    Images may have different numbers of references; sacrebleu takes them as
    reference streams, so the shorter lists are padded with None (no reference).
    """
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} captions for {len(references)} images")
    most = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(most)]
    return float(sacrebleu.corpus_bleu(list(hypotheses), streams).score)


def most_frequent_caption(data):
    """The most frequent training caption (str); ties go to the one met first."""
    return Counter(decode_captions(data["train_captions"], data["idx_to_word"])).most_common(1)[0][0]


def frequency_baseline(data, split="val"):
    """The most frequent training caption for every image of `split` (list of M str)."""
    return [most_frequent_caption(data)] * len(data[f"{split}_features"])


def digits_named(caption):
    """The digit names a caption (str) uses as objects, not as counts: a set of str."""
    words = caption.split()
    return {w for k, w in enumerate(words)
            if w in DIGIT_WORDS and (k + 1 == len(words) or words[k + 1] not in COUNT_FOLLOWERS)}


def load_digits_present(split="val", base_dir=None):
    """The digit names in each scene of `split` of captioning_scenes (list of M sets of str)."""
    import os

    import h5py

    base_dir = captioning_dir() if base_dir is None else os.fspath(base_dir)
    with h5py.File(os.path.join(base_dir, "scenes_objects.h5"), "r") as f:
        objects = np.asarray(f[f"{split}_objects"])
    return [{DIGIT_WORDS[d] for d in scene[:, 0] if d >= 0} for scene in objects]


def names_right_digits(captions, digits_present):
    """Share in [0, 1] of images whose caption names at least one digit and none absent from the image.

    Inputs: captions, list of M str; digits_present, list of M sets of digit names.
    """
    right = [bool(named) and named <= present
             for named, present in ((digits_named(c), p) for c, p in zip(captions, digits_present))]
    return float(np.mean(right))


def evaluate_captioner(model, split="val", max_length=16, data=None):
    """Greedy captions of every image of `split` by `model`, scored.

    Inputs:
    - model: anything with sample(features (M, D), max_length) -> (M, max_length)
      word indices (CaptioningRNN, CaptioningTransformer)
    - split: "train" or "val"
    - max_length: words sampled per image
    - data: load_coco_data()'s dict (default: read here from captioning_dir(),
      only the val split when split is "val")

    Returns a dict: "bleu4" (float in [0, 100]), "names_right_digits" (float in
    [0, 1]; None for data without captioning_scenes' object lists, as COCO) and
    "captions" (list of M str).
    """
    import os

    if data is None:
        from .coco_utils import load_coco_data
        data = load_val_split() if split == "val" else load_coco_data()
    captions = decode_captions(model.sample(data[f"{split}_features"], max_length=max_length), data["idx_to_word"])
    return {"bleu4": bleu4(captions, references_by_image(data, split)),
            "names_right_digits": (names_right_digits(captions, load_digits_present(split))
                                   if os.path.isfile(os.path.join(captioning_dir(), "scenes_objects.h5")) else None),
            "captions": captions}


def vocabulary_and_feature_size():
    """What a captioning model of the dataset in captioning_dir() is built with (for the grader).

    Returns a dict: "word_to_idx" (dict str -> int, V words) and "feature_dim"
    (int D, the size of load_coco_data's PCA features).
    """
    data = load_val_split()
    return {"word_to_idx": data["word_to_idx"], "feature_dim": int(data["val_features"].shape[1])}


_VAL_SPLITS = {}


def load_val_split(base_dir=None):
    """The part of load_coco_data(base_dir) that scoring on val needs, read once per folder.

    Returns a dict with val_captions (int32 (N, T)), val_image_idxs (int32 (N,)),
    val_features (float32 (M, D), PCA), idx_to_word (list of V str) and
    word_to_idx (dict str -> int). Later calls return the same dict: treat it as
    read-only. The grader scores several saved captioners of one submission with
    it, without reading the training split (the larger part) each time.
    """
    import json
    import os

    import h5py

    base_dir = os.path.realpath(captioning_dir() if base_dir is None else os.fspath(base_dir))
    if base_dir not in _VAL_SPLITS:
        with h5py.File(os.path.join(base_dir, "coco2014_captions.h5"), "r") as f:
            data = {key: np.asarray(f[key]) for key in ("val_captions", "val_image_idxs")}
        with h5py.File(os.path.join(base_dir, "val2014_vgg16_fc7_pca.h5"), "r") as f:
            data["val_features"] = np.asarray(f["features"])
        with open(os.path.join(base_dir, "coco2014_vocab.json")) as f:
            vocabulary = json.load(f)
        data.update(idx_to_word=vocabulary["idx_to_word"], word_to_idx=vocabulary["word_to_idx"])
        _VAL_SPLITS[base_dir] = data
    return _VAL_SPLITS[base_dir]
