"""CaptioningTransformer.forward (cs231n/classifiers/transformer.py).

The constructor, the decoder layers and sample are given; the student writes
forward. Every model here gets random weights drawn by the test (the same
for the student's and the reference's model, loaded by value with
load_state_dict) and the positional code of the class docstring of
PositionalEncoding, computed here, so these tests judge forward and not the
student's PositionalEncoding (test_transformer_layers.py does that). All
calls are in eval mode: dropout off.

forward is a composition of the student's own parts (their PositionalEncoding
and MultiHeadAttention inside the given layers), so a mistake in those parts
is not charged here again: the scores pass when they match the reference's or
what the student's own parts give when composed as the docstring says
(own_parts_scores), and the causal-mask test accepts the latter too.
"""
import re

import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, as_numpy, assert_array, assert_close, case, numerical_gradient

MOD = "cs231n.classifiers.transformer"
TOL = 1e-4   # float32 through two decoder layers; only the summation order may differ


def vocabulary(V):
    """word_to_idx with the three special words and V - 3 others."""
    words = ["<NULL>", "<START>", "<END>"] + [f"w{i}" for i in range(V - 3)]
    return {word: i for i, word in enumerate(words)}


def positional_code(max_len, W):
    """(1, max_len, W): sin(i * 10000 ** (-j / W)) on even j, cos(i * 10000 ** (-(j - 1) / W)) on odd j."""
    i = np.arange(max_len)[:, None]
    j = np.arange(0, W, 2)[None, :]
    code = np.zeros((1, max_len, W))
    code[0, :, 0::2] = np.sin(i * 10000.0 ** (-j / W))
    code[0, :, 1::2] = np.cos(i * 10000.0 ** (-j / W))
    return torch.from_numpy(code.astype(np.float32))


def random_weights(rng, D, W, V, num_layers, max_length):
    """A state_dict for CaptioningTransformer(vocabulary(V), D, W, H, num_layers, max_length)."""
    def linear(prefix, fan_in, fan_out):
        return {f"{prefix}.weight": rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in),
                f"{prefix}.bias": 0.1 * rng.standard_normal(fan_out)}

    def norm(prefix):
        return {f"{prefix}.weight": 1 + 0.1 * rng.standard_normal(W), f"{prefix}.bias": 0.1 * rng.standard_normal(W)}

    weights = {**linear("visual_projection", D, W), "embedding.weight": rng.standard_normal((V, W)),
               **linear("output", W, V)}
    for layer in range(num_layers):
        prefix = f"transformer.layers.{layer}"
        for attention in ("self_attn", "multihead_attn"):
            for part in ("key", "query", "value", "proj"):
                weights.update(linear(f"{prefix}.{attention}.{part}", W, W))
        weights.update({**linear(f"{prefix}.linear1", W, 4 * W), **linear(f"{prefix}.linear2", 4 * W, W),
                        **norm(f"{prefix}.norm1"), **norm(f"{prefix}.norm2"), **norm(f"{prefix}.norm3")})
    weights = {name: torch.from_numpy(np.asarray(value, dtype=np.float32)) for name, value in weights.items()}
    weights["positional_encoding.pe"] = positional_code(max_length, W)
    return weights


def built(code, rng, D, W, V, H, num_layers, max_length=20, weights=None):
    """A CaptioningTransformer of `code` with random weights (or `weights`), in eval mode; and the weights."""
    weights = random_weights(rng, D, W, V, num_layers, max_length) if weights is None else weights
    model = code.function(MOD, "CaptioningTransformer")(vocabulary(V), D, W, H, num_layers, max_length)
    model.call("load_state_dict", weights)
    model.call("eval")
    return model, weights


def inputs(rng, N, T, D, V):
    """Features (N, D) float32 and captions (N, T) int64 starting with <START>, some ending in <NULL> padding."""
    features = torch.from_numpy(rng.standard_normal((N, D)).astype(np.float32))
    captions = rng.integers(3, V, size=(N, T))
    captions[:, 0] = 1
    if T > 3:
        captions[0, -2:] = [2, 0]
    return features, torch.from_numpy(captions.astype(np.int64))


def scores_of(model, features, captions, N, T, V):
    scores = model.call("forward", features, captions)
    assert_array(scores, "forward(features, captions)", (N, T, V), tensor=True)
    if scores.dtype != torch.float32:
        raise CheckFailed(f"forward returned {scores.dtype} scores for float32 features; keep float32 (the "
                          "model's weights are float32)")
    return scores


def own_parts_scores(model, features, captions):
    """The scores the docstring's recipe gives with the model's own parts (its embedding, positional
    encoding, projection, decoder and output layer), composed here."""
    T = captions.shape[1]
    words = model.get("positional_encoding").call("forward", model.get("embedding").call("forward", captions))
    memory = model.get("visual_projection").call("forward", features).unsqueeze(1)
    decoded = model.get("transformer").call("forward", words, memory, tgt_mask=torch.tril(torch.ones(T, T)))
    return model.get("output").call("forward", decoded)


def assert_scores(got, model, features, captions, expected=None):
    """got matches `expected` (the reference's scores), or else what the model's own parts give."""
    own = own_parts_scores(model, features, captions)
    if expected is not None:
        try:
            assert_close(got, expected, "the scores", tol=TOL)
            return
        except CheckFailed:
            pass
    assert_close(got, own, "the scores (compared with your own embedding, positional encoding, visual projection, "
                 "decoder layers and output layer composed as forward's docstring says)", tol=TOL)


# ---- public: shapes and the causal mask, without the reference ------------------------------

@pytest.mark.public
@pytest.mark.points(1)
def test_forward_shape(student, rng):
    N, T, D, W, V, H = 3, 6, 10, 8, 12, 2
    with case(f"CaptioningTransformer(V={V}, D={D}, W={W}, num_heads={H}, num_layers=2).forward "
              f"on features ({N}, {D}) and captions ({N}, {T})"):
        model, _ = built(student, rng, D, W, V, H, 2)
        features, captions = inputs(rng, N, T, D, V)
        scores = scores_of(model, features, captions, N, T, V)
        if not torch.all(torch.isfinite(scores)):
            raise CheckFailed("forward returned scores that are not all finite (nan or inf): a mask that "
                              "forbids every key of a row, or -inf scores that reach the output?")


@pytest.mark.public
@pytest.mark.points(2)
def test_forward_word_t_sees_only_words_up_to_t(student, rng):
    N, T, D, W, V, H = 2, 7, 6, 8, 15, 2
    model, _ = built(student, rng, D, W, V, H, 2)
    features, captions = inputs(rng, N, T, D, V)
    scores = as_numpy(scores_of(model, features, captions, N, T, V))
    if np.allclose(scores, as_numpy(own_parts_scores(model, features, captions)), rtol=TOL, atol=TOL):
        return  # forward composes the parts as documented: causality is then up to MultiHeadAttention
    for t in (1, 3, T - 1):
        changed = captions.clone()
        changed[:, t:] = (changed[:, t:] - 3 + 1) % (V - 3) + 3
        with case(f"forward on captions ({N}, {T}), then on the same captions with the words from position "
                  f"{t} on replaced"):
            other = as_numpy(scores_of(model, features, changed, N, T, V))
            assert_close(other[:, :t], scores[:, :t], f"scores[:, :{t}] (they may not depend on later words: "
                         "the causal mask lets word t attend to words 0..t only)", tol=TOL)
            if np.allclose(other[:, t], scores[:, t], atol=1e-6):
                raise CheckFailed(f"scores[:, {t}] did not change when word {t} did: the score after word t "
                                  "should depend on word t itself")


@pytest.mark.public
@pytest.mark.points(1)
def test_forward_depends_on_the_image(student, rng):
    N, T, D, W, V, H = 2, 5, 6, 8, 10, 2
    with case(f"forward on the same captions ({N}, {T}) with two different sets of features ({N}, {D})"):
        model, _ = built(student, rng, D, W, V, H, 1)
        features, captions = inputs(rng, N, T, D, V)
        first = as_numpy(scores_of(model, features, captions, N, T, V))
        second = as_numpy(scores_of(model, features + 1.0, captions, N, T, V))
        unchanged = np.all(np.isclose(first, second, atol=1e-6), axis=(0, 2))
        if unchanged.any():
            raise CheckFailed(f"the scores at positions {np.flatnonzero(unchanged).tolist()} did not change with "
                              "the image: every position should attend to the projected image "
                              "(self.visual_projection, as a memory of length one)")


# ---- hidden: values and gradients against the reference --------------------------------------

# (N, T, D, W, V, H, num_layers): one caption, one word, heads of one feature, one layer and three.
SHAPES = [(2, 6, 10, 8, 12, 2, 2), (1, 1, 4, 4, 5, 1, 1), (3, 9, 7, 12, 20, 4, 3), (4, 4, 16, 16, 9, 16, 2)]


@pytest.mark.points(3)
def test_forward_matches_reference(student, reference, rng):
    for N, T, D, W, V, H, L in SHAPES:
        with case(f"CaptioningTransformer(V={V}, D={D}, W={W}, num_heads={H}, num_layers={L}).forward on "
                  f"features ({N}, {D}) and captions ({N}, {T})"):
            theirs, weights = built(student, rng, D, W, V, H, L)
            ours, _ = built(reference, rng, D, W, V, H, L, weights=weights)
            features, captions = inputs(rng, N, T, D, V)
            expected = ours.call("forward", features, captions)
            assert_scores(scores_of(theirs, features, captions, N, T, V), theirs, features, captions, expected)


@pytest.mark.points(1)
def test_forward_with_a_longer_model_than_caption(student, reference, rng):
    """max_length 30 and captions of 16 words: the code of the first T positions only."""
    N, T, D, W, V, H, L = 3, 16, 8, 8, 11, 2, 2
    with case(f"CaptioningTransformer(..., max_length=30).forward on captions ({N}, {T})"):
        theirs, weights = built(student, rng, D, W, V, H, L, max_length=30)
        ours, _ = built(reference, rng, D, W, V, H, L, max_length=30, weights=weights)
        features, captions = inputs(rng, N, T, D, V)
        assert_scores(scores_of(theirs, features, captions, N, T, V), theirs, features, captions,
                      ours.call("forward", features, captions))


@pytest.mark.points(2)
def test_forward_gradients(student, rng):
    """Autograd through forward: the features' gradient against a numerical one (float64), and a
    gradient for every parameter (nothing detached, every part used)."""
    N, T, D, W, V, H, L = 2, 5, 6, 8, 10, 2, 2
    with case(f"gradients of sum(upstream * scores) of CaptioningTransformer(V={V}, D={D}, W={W}, "
              f"num_heads={H}, num_layers={L}).forward, in float64 (model.double())"):
        model, _ = built(student, rng, D, W, V, H, L)
        model.call("double")
        features, captions = inputs(rng, N, T, D, V)
        features = features.double()
        upstream = torch.from_numpy(rng.standard_normal((N, T, V)))
        _, (d_features, d_parameters) = model.grad("forward", features, captions, wrt=(0, "parameters"),
                                                   upstream=upstream)

        def f(x):
            return float((model.call("forward", torch.from_numpy(x), captions) * upstream).sum())

        assert_close(d_features, torch.from_numpy(numerical_gradient(f, features.numpy(), name="the scores")),
                     "the gradient with respect to the features", tol=1e-5)
        # The cross-attention's query and key get none: with a memory of length one its softmax is always 1.
        unused = sorted(name for name, grad in d_parameters.items()
                        if not re.search(r"multihead_attn\.(query|key)\.", name)
                        and (grad is None or not np.any(as_numpy(grad))))
        if unused:
            raise CheckFailed(f"these parameters got no gradient: {', '.join(unused[:4])}"
                              f"{' ...' if len(unused) > 4 else ''}; forward should use every part of the model "
                              "and keep the scores connected to them (no .detach(), no torch.no_grad())")
