"""The Transformer captioner Transformer_Captioning.ipynb trains, scored without training in the grader.

The notebook's last cell saves artifacts/transformer_captioning.npz with
np.savez: the model's sizes as integer arrays (input_dim, wordvec_dim,
num_heads, num_layers, max_length) and its state_dict, one array per name
("embedding.weight", "transformer.layers.0.self_attn.key.weight", ...).
Here, in the grader's own process, the arrays are read with
load_saved_arrays, the sizes checked against limits and the dataset, every
parameter's name, shape, dtype and finiteness checked, and only then loaded
into the REFERENCE CaptioningTransformer built with those sizes (the student's
code is never run). The positional code ("positional_encoding.pe") is not
read: the reference's own is used. The model greedily captions every val
image (16 words) and points come in tiers of corpus BLEU-4 against all
references (cs231n.captioning_metrics.evaluate_captioner, the notebook's own
measure). A missing or malformed file fails every test of this file with the
same message.
"""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, load_saved_arrays

MOD = "cs231n.classifiers.transformer"
METRICS = "cs231n.captioning_metrics"
ARTIFACT = "artifacts/transformer_captioning.npz"
NOTEBOOK = "Transformer_Captioning.ipynb"
DATASET = "captioning_scenes"
SIZES = ("input_dim", "wordvec_dim", "num_heads", "num_layers", "max_length")
# The largest model accepted: far above what trains on a laptop in minutes.
LIMITS = {"wordvec_dim": 1024, "num_heads": 32, "num_layers": 8, "max_length": 512}
MAX_BYTES = 160 * 2**20
SAMPLE_LENGTH = 16
HINT = ("Save it with the notebook's last cell: np.savez(path, **sizes, **{name: value.numpy() for name, value "
        "in model.state_dict().items()})")
# Val BLEU-4 earning one point each; the reference notebook's model reaches more
# (docs/ASSIGNMENT3_CAPTIONING.md), the frequency baseline 37.7.
BLEU_TIERS = [45.0, 55.0, 60.0]


def parameter_shapes(D, W, V, num_layers):
    """{name: shape} of CaptioningTransformer's parameters (its state_dict without the positional code)."""
    def linear(prefix, fan_in, fan_out):
        return {f"{prefix}.weight": (fan_out, fan_in), f"{prefix}.bias": (fan_out,)}

    shapes = {**linear("visual_projection", D, W), "embedding.weight": (V, W)}
    for layer in range(num_layers):
        prefix = f"transformer.layers.{layer}"
        for attention in ("self_attn", "multihead_attn"):
            for part in ("key", "query", "value", "proj"):
                shapes.update(linear(f"{prefix}.{attention}.{part}", W, W))
        shapes.update({**linear(f"{prefix}.linear1", W, 4 * W), **linear(f"{prefix}.linear2", 4 * W, W)})
        for norm in ("norm1", "norm2", "norm3"):
            shapes.update({f"{prefix}.{norm}.weight": (W,), f"{prefix}.{norm}.bias": (W,)})
    shapes.update(linear("output", W, V))
    return shapes


def checked_sizes(path, feature_dim):
    """The five sizes saved in the file, as ints, checked against LIMITS and the dataset."""
    arrays = load_saved_arrays(path, ARTIFACT, SIZES, NOTEBOOK, MAX_BYTES, hint=HINT,
                               model="a captioning Transformer")
    sizes = {}
    for name in SIZES:
        value = arrays[name]
        if value.shape not in ((), (1,)) or value.dtype.kind not in "iu":
            raise CheckFailed(f"{name} in {ARTIFACT} should be one integer (np.array({name})); it is an array of "
                              f"shape {value.shape} and dtype {value.dtype}")
        sizes[name] = int(value.reshape(()))
    if sizes["input_dim"] != feature_dim:
        raise CheckFailed(f"input_dim in {ARTIFACT} is {sizes['input_dim']}; the images of {DATASET} have "
                          f"{feature_dim} features (load_coco_data's PCA features)")
    for name, limit in LIMITS.items():
        if not 1 <= sizes[name] <= limit:
            raise CheckFailed(f"{name} in {ARTIFACT} is {sizes[name]}; it should be between 1 and {limit}")
    W, H = sizes["wordvec_dim"], sizes["num_heads"]
    if W % 2 or W % H:
        raise CheckFailed(f"wordvec_dim {W} in {ARTIFACT} should be even and a multiple of num_heads ({H})")
    if sizes["max_length"] < SAMPLE_LENGTH:
        raise CheckFailed(f"max_length in {ARTIFACT} is {sizes['max_length']}; the grader samples captions of "
                          f"{SAMPLE_LENGTH} words, so it must be at least {SAMPLE_LENGTH}")
    return sizes


def checked_parameters(path, sizes, vocab_size):
    """{name: float32 array} of every parameter, each of the shape the sizes give, finite."""
    shapes = parameter_shapes(sizes["input_dim"], sizes["wordvec_dim"], vocab_size, sizes["num_layers"])
    arrays = load_saved_arrays(path, ARTIFACT, list(shapes), NOTEBOOK, MAX_BYTES, hint=HINT,
                               model="a captioning Transformer")
    checked = {}
    for name, shape in shapes.items():
        value = arrays[name]
        if value.shape != shape:
            raise CheckFailed(f"{name} in {ARTIFACT} has shape {value.shape}; the sizes saved with it "
                              f"(wordvec_dim {sizes['wordvec_dim']}, num_layers {sizes['num_layers']}, "
                              f"a vocabulary of {vocab_size} words) give {shape}")
        if value.dtype.kind != "f" or not np.all(np.isfinite(value)):
            raise CheckFailed(f"{name} in {ARTIFACT} should hold finite floating-point numbers")
        checked[name] = value.astype(np.float32)
    return checked


def checked_file(path, reference):
    """(sizes, parameters, word_to_idx) of the saved model, everything checked (CheckFailed if malformed)."""
    dataset = reference.function(METRICS, "vocabulary_and_feature_size")()
    sizes = checked_sizes(path, dataset["feature_dim"])
    return sizes, checked_parameters(path, sizes, len(dataset["word_to_idx"])), dataset["word_to_idx"]


def captioner_bleu(path, reference):
    """Val BLEU-4 of the reference CaptioningTransformer with the file's weights (CheckFailed if malformed)."""
    import torch

    sizes, weights, word_to_idx = checked_file(path, reference)
    model = reference.function(MOD, "CaptioningTransformer")(
        word_to_idx, sizes["input_dim"], sizes["wordvec_dim"], sizes["num_heads"], sizes["num_layers"],
        sizes["max_length"])
    model.call("load_state_dict", {name: torch.from_numpy(value) for name, value in weights.items()},
               strict=False)
    model.call("eval")
    return reference.function(METRICS, "evaluate_captioner")(model, "val", SAMPLE_LENGTH)["bleu4"]


@pytest.fixture
def bleu(reference, once, artifact_path):
    """The saved captioner's val BLEU-4, computed once per submission."""
    from data.prepare import missing_reason
    reason = missing_reason(DATASET)
    if reason:
        pytest.skip(reason)
    return once(("assignment3", ARTIFACT), lambda: captioner_bleu(artifact_path(ARTIFACT), reference))


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", BLEU_TIERS)
def test_trained_transformer_val_bleu4(bleu, threshold):
    if not bleu >= threshold:
        raise CheckFailed(f"the Transformer saved in {ARTIFACT}, captioning every val image greedily "
                          f"({SAMPLE_LENGTH} words), has a corpus BLEU-4 of {bleu:.1f}; this test needs "
                          f"{threshold:g} (always saying the most frequent training caption gives 37.7)")
