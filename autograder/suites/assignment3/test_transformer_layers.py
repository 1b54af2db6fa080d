"""The Transformer layers (cs231n/transformer_layers.py): PositionalEncoding and MultiHeadAttention.

Students' modules are built in their code with the same sizes as the
reference's; the reference's random weights are then loaded into both by
value (load_state_dict), so results compare without depending on the
student's random numbers. Comparisons run in eval mode (dropout off), except
the tests of dropout in train mode. The public tests check the docstrings'
formulas and properties without the reference: the code's first positions,
shapes, one key (whose weight must be 1), and a causal mask.
"""
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_array, assert_close, case

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


def numpy_linear(weights, name, x):
    return x @ weights[f"{name}.weight"].numpy().T + weights[f"{name}.bias"].numpy()


@pytest.mark.public
@pytest.mark.points(1)
def test_positional_encoding_first_positions(student):
    E, S = 8, 3
    with case(f"PositionalEncoding({E}, dropout=0.0) on zeros of shape (1, {S}, {E})"):
        module = student.function(MOD, "PositionalEncoding")(E, 0.0, 10)
        module.call("eval")
        out = module.call("forward", torch.zeros(1, S, E))
        assert_array(out, "the output", (1, S, E), tensor=True)
        i, j = np.arange(S)[:, None], np.arange(E)[None, :]
        even = j - j % 2
        expected = np.where(j % 2 == 0, np.sin(i * 10000.0 ** (-even / E)), np.cos(i * 10000.0 ** (-even / E)))
        assert_close(out[0], torch.from_numpy(expected.astype(np.float32)),
                     "the code of positions 0, 1, 2 (sin on even features, cos on odd ones; position 0 is "
                     "0, 1, 0, 1, ...)", tol=TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_attention_output_shape(student, rng):
    N, S, T, E, H = 2, 3, 5, 8, 2
    with case(f"MultiHeadAttention({E}, {H}) with query ({N}, {S}, {E}), key and value ({N}, {T}, {E})"):
        module = student.function(MOD, "MultiHeadAttention")(E, H, 0.1)
        module.call("eval")
        out = module.call("forward", tensor(rng, N, S, E), tensor(rng, N, T, E), tensor(rng, N, T, E))
        assert_array(out, "the output", (N, S, E), tensor=True)


@pytest.mark.public
@pytest.mark.points(1)
def test_attention_to_one_key_returns_its_value(student, rng):
    """With one key its weight is 1 for every query: the output is proj(value(v)), whatever the query."""
    N, S, E, H = 2, 4, 8, 2
    with case(f"MultiHeadAttention({E}, {H}) with query ({N}, {S}, {E}) and one key and value ({N}, 1, {E})"):
        weights = attention_weights(rng, E)
        module = student.function(MOD, "MultiHeadAttention")(E, H, 0.1)
        module.call("load_state_dict", weights)
        module.call("eval")
        q, kv = tensor(rng, N, S, E), tensor(rng, N, 1, E)
        expected = numpy_linear(weights, "proj", numpy_linear(weights, "value", kv.numpy()))
        expected = torch.from_numpy(np.broadcast_to(expected, (N, S, E)).astype(np.float32))
        assert_close(module.call("forward", q, kv, kv), expected, "the output (self.proj(self.value(value)) at "
                     "every query: one key gets all the weight)", tol=TOL)


@pytest.mark.public
@pytest.mark.points(1)
def test_attention_causal_mask_hides_later_positions(student, rng):
    N, S, E, H = 2, 6, 8, 2
    module = student.function(MOD, "MultiHeadAttention")(E, H, 0.1)
    module.call("load_state_dict", attention_weights(rng, E))
    module.call("eval")
    x = tensor(rng, N, S, E)
    out = module.call("forward", x, x, x, causal(S))
    for s in (0, 3):
        changed = x.clone()
        changed[:, s + 1:] = tensor(rng, N, S - s - 1, E)
        with case(f"self-attention with a causal mask ({S}, {S}), then with the inputs after position {s} "
                  "changed"):
            other = module.call("forward", changed, changed, changed, causal(S))
            assert_close(other[:, :s + 1], out[:, :s + 1], f"the output at positions 0..{s} (attn_mask[i, j] "
                         "== 0 forbids query i to attend to key j)", tol=TOL)


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


@pytest.mark.points(1)
def test_positional_encoding_dropout_acts_on_the_sum(student, rng):
    """In train mode every output entry is 0 or (x + code) / (1 - p): dropout follows the sum."""
    E, S, p = 16, 9, 0.5
    with case(f"PositionalEncoding({E}, dropout={p}) in train mode on random x of shape (4, {S}, {E})"):
        theirs = student.function(MOD, "PositionalEncoding")(E, p, 20)
        theirs.call("eval")
        x = tensor(rng, 4, S, E)
        summed = theirs.call("forward", x)
        theirs.call("train")
        out = theirs.call("forward", x)
        assert_array(out, "the output", (4, S, E), tensor=True)
        kept = out != 0
        if not 0.2 < kept.float().mean().item() < 0.8:
            raise CheckFailed(f"in train mode with dropout={p}, {kept.float().mean().item():.0%} of the outputs "
                              "are nonzero; dropout (self.dropout) should zero about half of x + code")
        assert_close(out[kept], summed[kept] / (1 - p), "the outputs dropout kept (x + code, scaled by "
                     "1 / (1 - p))", tol=TOL)


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
