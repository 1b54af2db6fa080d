"""The captioners the RNN and LSTM notebooks train, scored without training in the grader.

The last cell of each notebook saves the model as .npz arrays (never a pickle):

    artifacts/rnn_captioning.npz    RNN_Captioning.ipynb    CaptioningRNN, cell_type 'rnn'
    artifacts/lstm_captioning.npz   LSTM_Captioning.ipynb   CaptioningRNN, cell_type 'lstm'

Each file holds the model's params (W_proj (D, H), b_proj (H,), W_embed (V, W),
Wx (W, G), Wh (H, G), b (G,), W_vocab (H, V), b_vocab (V,), with G = H for an
RNN and 4H for an LSTM) and its description: cell_type (a str array),
input_dim, wordvec_dim, hidden_dim (integer arrays). Here, in the grader's own
process, the arrays are read with load_saved_arrays, their shapes, sizes and
values checked against the description and the dataset (D = 512 features, V
words of its vocabulary), and only then loaded into the reference
CaptioningRNN, which greedily samples a caption for every val image of
captioning_scenes. Points come in tiers of corpus BLEU-4 against all five
references of each image (the caption-frequency baseline scores 37.70; the
reference notebooks' figures are in docs/ASSIGNMENT3_RNN.md). A missing or
malformed file fails only the tests of that file.
"""
import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, load_saved_arrays

MOD = "cs231n.classifiers.rnn"
METRICS = "cs231n.captioning_metrics"
SAMPLE_LENGTH = 16   # words sampled per image, as the notebooks and the Transformer's suite do
PARAMS = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")
DESCRIPTION = ("cell_type", "input_dim", "wordvec_dim", "hidden_dim")
MAX_DIM = 1024
MAX_BYTES = 64 * 2**20
GATES = {"rnn": 1, "lstm": 4}
SAVE_HINT = ("Save it with np.savez(path, cell_type=np.array(model.cell_type), input_dim=np.array(D), "
             "wordvec_dim=np.array(W), hidden_dim=np.array(H), **model.params)")

# name: (notebook, cell_type, what it is)
CAPTIONERS = {
    "artifacts/rnn_captioning.npz": ("RNN_Captioning.ipynb", "rnn", "the vanilla-RNN captioner"),
    "artifacts/lstm_captioning.npz": ("LSTM_Captioning.ipynb", "lstm", "the LSTM captioner"),
}


def _scalar(arrays, name, artifact, kind):
    value = arrays[name]
    if value.shape not in ((), (1,)) or value.dtype.kind not in kind:
        what = "a str" if kind == "U" else "an integer"
        raise CheckFailed(f"{name} in {artifact} should be {what} saved as a one-value array "
                          f"(np.array(...)); it has dtype {value.dtype} and shape {value.shape}")
    return value.reshape(()).item()


def checked_captioner(path, artifact, vocab_size, input_dim):
    """The description and params of the captioner saved at `path`, checked before any use.

    vocab_size, input_dim: V and D of the dataset the model is scored on.
    Returns (cell_type, wordvec_dim, hidden_dim, params dict of float64 arrays).
    """
    notebook, cell_type, what = CAPTIONERS[artifact]
    arrays = load_saved_arrays(path, artifact, DESCRIPTION + PARAMS, notebook, MAX_BYTES, hint=SAVE_HINT,
                               model=what)
    saved_cell = _scalar(arrays, "cell_type", artifact, "U")
    if saved_cell != cell_type:
        raise CheckFailed(f"{artifact} holds a captioner with cell_type {saved_cell!r}; {notebook} saves "
                          f"{what} (cell_type {cell_type!r}) there")
    dims = {name: _scalar(arrays, name, artifact, "iu") for name in DESCRIPTION[1:]}
    if dims["input_dim"] != input_dim:
        raise CheckFailed(f"input_dim in {artifact} is {dims['input_dim']}; the captioning features have "
                          f"{input_dim} dimensions")
    for name in ("wordvec_dim", "hidden_dim"):
        if not 1 <= dims[name] <= MAX_DIM:
            raise CheckFailed(f"{name} in {artifact} is {dims[name]}; it should be between 1 and {MAX_DIM}")
    D, W, H, G = input_dim, dims["wordvec_dim"], dims["hidden_dim"], GATES[cell_type] * dims["hidden_dim"]
    shapes = {"W_proj": (D, H), "b_proj": (H,), "W_embed": (vocab_size, W), "Wx": (W, G), "Wh": (H, G),
              "b": (G,), "W_vocab": (H, vocab_size), "b_vocab": (vocab_size,)}
    params = {}
    for name in PARAMS:
        try:
            assert_array(arrays[name], name, shapes[name])
        except CheckFailed as exc:
            raise CheckFailed(f"{what} in {artifact} (wordvec_dim {W}, hidden_dim {H}, {vocab_size} words): "
                              f"{exc}") from None
        if arrays[name].dtype.kind != "f" or not np.all(np.isfinite(arrays[name])):
            raise CheckFailed(f"{name} in {artifact} should hold finite floating-point numbers")
        params[name] = arrays[name].astype(np.float64)
    return cell_type, W, H, params


@pytest.fixture(scope="session")
def captioning_val(reference):
    """The vocabulary and feature size of the val split the captioners are scored on. Grading
    checks the dataset is built before it starts; if it is missing anyway the test skips, which
    the grader reports as its own failure."""
    from data import captioning
    reason = captioning.missing_reason()
    if reason:
        pytest.skip(reason)
    return reference.function(METRICS, "vocabulary_and_feature_size")()


def val_bleu(reference, captioning_val, path, artifact):
    """Corpus BLEU-4 on val of the saved captioner's greedy captions (the notebooks' own measure)."""
    cell_type, W, H, params = checked_captioner(path, artifact, len(captioning_val["word_to_idx"]),
                                                captioning_val["feature_dim"])
    model = reference.new(MOD, "CaptioningRNN", captioning_val["word_to_idx"], input_dim=params["W_proj"].shape[0],
                          wordvec_dim=W, hidden_dim=H, cell_type=cell_type)
    model.set("params", params)
    return float(reference.function(METRICS, "evaluate_captioner")(model, "val", SAMPLE_LENGTH)["bleu4"])


@pytest.fixture
def scores(reference, once, captioning_val):
    """score(artifact_path, artifact) -> val BLEU-4, computed once per
    submission; a CheckFailed (missing or malformed file) is raised to each test of that file."""
    return lambda artifact_path, artifact: once(
        ("assignment3", artifact), lambda: val_bleu(reference, captioning_val, artifact_path(artifact), artifact))


def check_tier(scores, artifact_path, artifact, threshold):
    bleu = scores(artifact_path, artifact)
    what = CAPTIONERS[artifact][2]
    if not bleu >= threshold:
        raise CheckFailed(f"{what} saved in {artifact}, sampling greedily, scores a BLEU-4 of {bleu:.2f} on the "
                          f"val images; this test needs "
                          f"{threshold:g} (always saying the most frequent training caption scores 37.70)")


# BLEU-4 on val earning one point each: above the frequency baseline (37.70), below what the
# reference notebooks reach (docs/ASSIGNMENT3_RNN.md).
RNN_TIERS = [45.0, 50.0, 55.0]
LSTM_TIERS = [45.0, 52.0, 58.0]


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", RNN_TIERS)
def test_rnn_captioner_bleu(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/rnn_captioning.npz", threshold)


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold", LSTM_TIERS)
def test_lstm_captioner_bleu(scores, artifact_path, threshold):
    check_tier(scores, artifact_path, "artifacts/lstm_captioning.npz", threshold)
