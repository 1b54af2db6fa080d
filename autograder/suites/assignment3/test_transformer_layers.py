"""The Transformer layers (cs231n/transformer_layers.py): PositionalEncoding and MultiHeadAttention.

Students' modules are built in their code with the same sizes as the
reference's; the reference's random weights are then loaded into both by
value (load_state_dict), so results compare without depending on the
student's random numbers. Comparisons run in eval mode (dropout off), except
the test that dropout acts on the attention weights in train mode.
"""
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_close, case

MOD = "cs231n.transformer_layers"
TOL = 1e-5   # float32 results of the same weights: only the summation order differs


def tensor(rng, *shape):
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32))


def attention_weights(rng, E):
    """A state_dict for MultiHeadAttention(E, ...): random weights and biases of its four projections."""
    scale = 1 / np.sqrt(E)
    return {f"{layer}.{kind}": tensor(rng, *((E, E) if kind == "weight" else (E,))) * scale
            for layer in ("key", "query", "value", "proj") for kind in ("weight", "bias")}


def twin(student, reference, name, *args, weights=None):
    """(student module, reference module) of class `name`, with the same `weights` loaded, in eval mode."""
    modules = student.function(MOD, name)(*args), reference.function(MOD, name)(*args)
    for module in modules:
        if weights is not None:
            module.call("load_state_dict", weights)
        module.call("eval")
    return modules


def causal(size):
    return torch.tril(torch.ones(size, size))


def padding_mask(rng, S, T):
    """(S, T) of 0/1 with at least one allowed key per query and a masked key in the middle."""
    mask = torch.from_numpy((rng.random((S, T)) < 0.6).astype(np.float32))
    mask[:, 0] = 1
    if T > 2:
        mask[:, T // 2] = 0
    return mask


@pytest.mark.points(2)
def test_positional_encoding_values(student, reference, rng):
    for E, S, max_len in [(6, 5, 10), (32, 17, 50), (64, 1, 5000)]:
        with case(f"PositionalEncoding({E}, dropout=0.0, max_len={max_len}) on zeros of shape (2, {S}, {E})"):
            theirs, ours = twin(student, reference, "PositionalEncoding", E, 0.0, max_len)
            x = torch.zeros(2, S, E)
            assert_close(theirs.call("forward", x), ours.call("forward", x), "the output", tol=TOL)


@pytest.mark.points(1)
def test_positional_encoding_adds_to_the_input(student, reference, rng):
    E, S = 16, 7
    with case(f"PositionalEncoding({E}, dropout=0.0) on random x of shape (3, {S}, {E})"):
        theirs, ours = twin(student, reference, "PositionalEncoding", E, 0.0, 20)
        x = tensor(rng, 3, S, E)
        assert_close(theirs.call("forward", x), ours.call("forward", x), "the output", tol=TOL)


@pytest.mark.points(3)
def test_attention_matches_reference_without_mask(student, reference, rng):
    for N, S, T, E, H in [(2, 4, 6, 8, 2), (1, 1, 1, 4, 1), (3, 5, 3, 12, 4)]:
        with case(f"MultiHeadAttention({E}, {H}) with query (N={N}, S={S}), key and value (T={T})"):
            theirs, ours = twin(student, reference, "MultiHeadAttention", E, H, 0.1,
                                weights=attention_weights(rng, E))
            q, k, v = tensor(rng, N, S, E), tensor(rng, N, T, E), tensor(rng, N, T, E)
            assert_close(theirs.call("forward", q, k, v), ours.call("forward", q, k, v), "the output", tol=TOL)


@pytest.mark.points(2)
def test_attention_applies_the_mask(student, reference, rng):
    for N, S, T, E, H, kind in [(2, 5, 5, 8, 2, "causal"), (2, 4, 7, 16, 4, "padding")]:
        mask = causal(S) if kind == "causal" else padding_mask(rng, S, T)
        with case(f"MultiHeadAttention({E}, {H}) with a {kind} attn_mask of shape ({S}, {T})"):
            theirs, ours = twin(student, reference, "MultiHeadAttention", E, H, 0.1,
                                weights=attention_weights(rng, E))
            q, k, v = tensor(rng, N, S, E), tensor(rng, N, T, E), tensor(rng, N, T, E)
            assert_close(theirs.call("forward", q, k, v, mask), ours.call("forward", q, k, v, mask), "the output",
                         tol=TOL)


@pytest.mark.points(2)
def test_attention_gradients_match_reference(student, reference, rng):
    N, S, E, H = 2, 4, 8, 2
    with case(f"gradients of the sum of MultiHeadAttention({E}, {H}) self-attention with a causal mask"):
        theirs, ours = twin(student, reference, "MultiHeadAttention", E, H, 0.1,
                                weights=attention_weights(rng, E))
        x = tensor(rng, N, S, E)
        _, got = theirs.grad("forward", x, x, x, causal(S), wrt=(0, "parameters"))
        _, expected = ours.grad("forward", x, x, x, causal(S), wrt=(0, "parameters"))
        assert_close(got[0], expected[0], "the gradient with respect to the input", tol=1e-4)
        for name in expected[1]:
            assert_close(got[1][name], expected[1][name], f"the gradient with respect to {name}", tol=1e-4)


@pytest.mark.points(1)
def test_attention_dropout_acts_in_train_mode_only(student, reference, rng):
    N, S, E, H = 4, 6, 8, 2
    with case(f"MultiHeadAttention({E}, {H}, dropout=0.5) in train mode, two calls on the same input"):
        theirs, _ = twin(student, reference, "MultiHeadAttention", E, H, 0.5,
                             weights=attention_weights(rng, E))
        x = tensor(rng, N, S, E)
        evaluated = theirs.call("forward", x, x, x)
        theirs.call("train")
        first, second = theirs.call("forward", x, x, x), theirs.call("forward", x, x, x)
        if torch.allclose(first, second):
            raise CheckFailed("in train mode two calls gave the same output: dropout (self.attn_drop) is not "
                              "applied to the attention weights")
        if torch.allclose(first, evaluated):
            raise CheckFailed("train mode gave the eval-mode output: dropout is not applied")
