"""CaptioningRNN (cs231n/classifiers/rnn.py): loss(features, captions) and sample(features, max_length).

Tests build the student's model with dtype float64 and set its parameters
themselves (model.set("params", ...)), so nothing depends on the student's
random numbers. The model is a composition of the layers: its loss, its
gradients and its samples must be the correct ones or what the student's own
layers (rnn_layers.py) give composed as documented, so a mistake in a layer
is charged by the layers' tests only.

sample: only the words up to and including each caption's first <END> are
compared; what follows it (more sampled words, or <NULL>) is not checked.

Public tests: CS231n's published losses on its linspace setups (our reference
reproduces both to below 1e-11), numerical gradients of the student's own
loss, and greedy sampling written out. Hidden tests compare with the
reference on random parameters of several sizes, for both cell types, with
captions of different lengths (<NULL> padding in the middle of the batch),
T = 2 (one predicted word), N = 1 and max_length = 1.
"""
import numpy as np
import pytest

from autograder.testkit import (CheckFailed, agrees, assert_array, assert_one_of, assert_scalar_close, case,
                                describe, matches_numerical, numerical_gradient, own, unpack)

MOD = "cs231n.classifiers.rnn"
LAYERS = "cs231n.rnn_layers"
GRAD_TOL = 1e-6  # numerical vs analytic, relative to the largest entries
PARAM_ORDER = ["W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab"]


def vocabulary(words):
    """word_to_idx with COCO's special tokens first: <NULL> 0, <START> 1, <END> 2, <UNK> 3."""
    return {word: index for index, word in enumerate(["<NULL>", "<START>", "<END>", "<UNK>", *words])}


def param_shapes(V, D, W, H, cell):
    G = 4 * H if cell == "lstm" else H
    return {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, G), "Wh": (H, G), "b": (G,),
            "W_vocab": (H, V), "b_vocab": (V,)}


def random_params(rng, V, D, W, H, cell, scale=1.0):
    """Parameters of the documented shapes, scaled like CaptioningRNN's initialization (biases too)."""
    params = {}
    for name, shape in param_shapes(V, D, W, H, cell).items():
        fan_in = shape[0] if len(shape) == 2 else 4
        params[name] = scale * rng.standard_normal(shape) / np.sqrt(fan_in)
    return params


def linspace_params(V, D, W, H, cell):
    """CS231n's fixed parameters: every parameter np.linspace(-1.4, 1.3) over its entries."""
    return {name: np.linspace(-1.4, 1.3, num=int(np.prod(shape))).reshape(shape)
            for name, shape in param_shapes(V, D, W, H, cell).items()}


def build(code, word_to_idx, D, W, H, cell, params):
    """A CaptioningRNN on `code` with float64 parameters `params` (checked against its own first)."""
    model = code.new(MOD, "CaptioningRNN", word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H,
                     cell_type=cell, dtype="float64")
    theirs = model.get("params")
    if not isinstance(theirs, dict):
        raise CheckFailed(f"CaptioningRNN's params should be a dict; it is {describe(theirs)}")
    for name, value in params.items():
        if name not in theirs:
            raise CheckFailed(f"CaptioningRNN's params has no entry {name!r}")
        assert_array(theirs[name], f"CaptioningRNN's params[{name!r}] (cell_type {cell!r})", value.shape)
    model.set("params", {name: value.copy() for name, value in params.items()})
    return model


def model_loss(model, features, captions, shapes):
    loss, grads = unpack(model.call("loss", features, captions), ["loss", "grads"], "CaptioningRNN.loss")
    if not isinstance(grads, dict):
        raise CheckFailed(f"grads from CaptioningRNN.loss should be a dict; it is {describe(grads)}")
    for name, shape in shapes.items():
        if name not in grads:
            raise CheckFailed(f"grads from CaptioningRNN.loss has no entry {name!r}")
        assert_array(grads[name], f"grads[{name!r}] from CaptioningRNN.loss", shape)
    return loss, grads


def own_loss(student, params, features, captions, cell, null=0):
    """(loss, grads) of your layers composed as CaptioningRNN.loss documents (None where they do not run)."""
    def compute():
        layer = lambda name: student.function(LAYERS, name)  # noqa: E731
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        mask = captions_out != null
        h0 = features @ params["W_proj"] + params["b_proj"]
        words, embed_cache = unpack(layer("word_embedding_forward")(captions_in, params["W_embed"]),
                                    ["out", "cache"], "word_embedding_forward")
        h, recurrent_cache = unpack(layer(f"{cell}_forward")(words, h0, params["Wx"], params["Wh"], params["b"]),
                                    ["h", "cache"], f"{cell}_forward")
        scores, vocab_cache = unpack(layer("temporal_affine_forward")(h, params["W_vocab"], params["b_vocab"]),
                                     ["out", "cache"], "temporal_affine_forward")
        loss, dscores = unpack(layer("temporal_softmax_loss")(scores, captions_out, mask), ["loss", "dx"],
                               "temporal_softmax_loss")
        grads = {}
        dh, grads["W_vocab"], grads["b_vocab"] = unpack(layer("temporal_affine_backward")(dscores, vocab_cache),
                                                        ["dx", "dw", "db"], "temporal_affine_backward")
        dwords, dh0, grads["Wx"], grads["Wh"], grads["b"] = unpack(
            layer(f"{cell}_backward")(dh, recurrent_cache), ["dx", "dh0", "dWx", "dWh", "db"], f"{cell}_backward")
        grads["W_embed"] = layer("word_embedding_backward")(dwords, embed_cache)
        dh0 = np.asarray(dh0, dtype=np.float64)
        grads["W_proj"] = features.T @ dh0
        grads["b_proj"] = np.sum(dh0, axis=0)
        return float(np.asarray(loss)), grads
    return own(compute)


def greedy_by_formula(params, features, word_to_idx, cell, max_length, step):
    """Greedy sampling as documented, with `step(x, h, c) -> (h, c)` one step of the recurrent layer."""
    h = features @ params["W_proj"] + params["b_proj"]
    c = np.zeros(h.shape)
    word = np.full(features.shape[0], word_to_idx["<START>"])
    sampled = []
    for _ in range(max_length):
        h, c = step(params["W_embed"][word], h, c)
        word = np.argmax(h @ params["W_vocab"] + params["b_vocab"], axis=1)
        sampled.append(word)
    return np.stack(sampled, axis=1)


def rnn_step_by_formula(params):
    return lambda x, h, c: (np.tanh(x @ params["Wx"] + h @ params["Wh"] + params["b"]), c)


def own_sample(student, params, features, word_to_idx, cell, max_length):
    """Greedy captions with your rnn_step_forward / lstm_step_forward (None where they do not run)."""
    def step(x, h, c):
        if cell == "rnn":
            next_h, _ = unpack(student.function(LAYERS, "rnn_step_forward")(x, h, params["Wx"], params["Wh"],
                                                                           params["b"]),
                               ["next_h", "cache"], "rnn_step_forward")
            return np.asarray(next_h, dtype=np.float64), c
        next_h, next_c, _ = unpack(student.function(LAYERS, "lstm_step_forward")(x, h, c, params["Wx"],
                                                                                 params["Wh"], params["b"]),
                                   ["next_h", "next_c", "cache"], "lstm_step_forward")
        return np.asarray(next_h, dtype=np.float64), np.asarray(next_c, dtype=np.float64)
    return own(lambda: greedy_by_formula(params, features, word_to_idx, cell, max_length, step))


def sampled(model, features, max_length):
    captions = model.call("sample", features, max_length=max_length)
    assert_array(captions, f"the captions from CaptioningRNN.sample with {features.shape[0]} images and "
                 f"max_length={max_length}", (features.shape[0], max_length))
    values = np.asarray(captions)
    if values.dtype.kind == "f" and np.any(values != np.round(values)):
        raise CheckFailed("the captions from CaptioningRNN.sample should hold word indices (whole numbers)")
    return values.astype(np.int64)


def same_through_end(got, expected, end):
    """Whether every row of `got` has the words of `expected` up to and including its first <END>."""
    for row_got, row_expected in zip(got, expected):
        stops = np.flatnonzero(row_expected == end)
        length = stops[0] + 1 if stops.size else len(row_expected)
        if np.any(row_got[:length] != row_expected[:length]):
            return False
    return True


def assert_captions(got, candidates, end, what):
    """`got` agrees through each first <END> with the correct captions (candidates[0]) or with what
    your own layers give (the others, None where they do not run)."""
    if any(c is not None and same_through_end(got, c, end) for c in candidates):
        return
    expected = candidates[0]
    wrong = sum(not same_through_end(got[i:i + 1], expected[i:i + 1], end) for i in range(len(expected)))
    raise CheckFailed(f"{what}: {wrong} of {len(expected)} captions differ from the expected greedy captions "
                      "before their first <END>")


def random_captions(rng, N, T, V, start=1, end=2, null=0):
    """(N, T) captions <START> w ... w <END> <NULL> ...: lengths differ from row to row, and a row in
    the middle of the batch is padded (rows are cut before T when T allows it)."""
    captions = np.full((N, T), null, dtype=np.int64)
    for n in range(N):
        words = int(rng.integers(0, max(T - 2, 0) + 1))
        if N > 2 and n == N // 2:
            words = min(words, max(T - 4, 0))  # a short caption in the middle of the batch
        row = [start, *rng.integers(4, V, size=words), end][:T]
        captions[n, :len(row)] = row
    return captions


# ------------------------------------------------------------------ public tests' preconditions
# A public test of the model counts only where the layers it is built on are right, judged
# against their formulas (forward passes) and numerical gradients (backward passes): a layer's
# mistake is its own tests' business.

def logistic(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def step_by_formula(cell, x, h, c, Wx, Wh, b):
    """(next_h, next_c) of one documented step (next_c is c for the RNN); LSTM gates i, f, o, g."""
    if cell == "rnn":
        return np.tanh(x @ Wx + h @ Wh + b), c
    i, f, o, g = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
    next_c = logistic(f) * c + logistic(i) * np.tanh(g)
    return logistic(o) * np.tanh(next_c), next_c


def sequence_by_formula(cell, x, h0, Wx, Wh, b):
    """h (N, T, H) of the documented RNN or LSTM (from a zero cell state)."""
    h, c, states = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, c = step_by_formula(cell, x[:, t], h, c, Wx, Wh, b)
        states.append(h)
    return np.stack(states, axis=1)


def own_layers_are_wrong(student, cell, rng, uses):
    """Whether a layer of yours that `uses` needs ("loss": the forward passes of loss, "grads":
    also their backward passes, "sample": the step and the word embedding) runs and gives other
    values than its formula or the numerical gradient, on small cases (False when it cannot tell,
    for example when the layer raises: the model's own test then fails on it)."""
    backward = uses == "grads"
    layer = lambda name: student.function(LAYERS, name)  # noqa: E731
    V, N, T, D, H = 5, 2, 3, 3, 4
    G = 4 * H if cell == "lstm" else H
    words, W_embed = rng.integers(V, size=(N, T)), rng.standard_normal((V, D))
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, G)) / 2, rng.standard_normal((H, G)) / 2, rng.standard_normal(G) / 2
    dout, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))

    def step_wrong():
        if cell == "rnn":
            next_h, _ = unpack(layer("rnn_step_forward")(x[:, 0], h0, Wx, Wh, b), ["next_h", "cache"],
                               "rnn_step_forward")
            return not agrees(next_h, step_by_formula(cell, x[:, 0], h0, None, Wx, Wh, b)[0])
        next_h, next_c, _ = unpack(layer("lstm_step_forward")(x[:, 0], h0, h0 / 2, Wx, Wh, b),
                                   ["next_h", "next_c", "cache"], "lstm_step_forward")
        return not agrees((next_h, next_c), step_by_formula(cell, x[:, 0], h0, h0 / 2, Wx, Wh, b))

    def embedding_wrong():
        out, cache = unpack(layer("word_embedding_forward")(words, W_embed), ["out", "cache"],
                            "word_embedding_forward")
        if not agrees(out, W_embed[words]):
            return True
        if not backward:
            return False
        dW = layer("word_embedding_backward")(dout, cache)
        numerical = numerical_gradient(lambda w: float(np.sum(w[words] * dout)), W_embed)
        return not matches_numerical(dW, numerical)

    def sequence_wrong():
        args = [x, h0, Wx, Wh, b]
        h, cache = unpack(layer(f"{cell}_forward")(*args), ["h", "cache"], f"{cell}_forward")
        if not agrees(h, sequence_by_formula(cell, *args)):
            return True
        if not backward:
            return False
        grads = unpack(layer(f"{cell}_backward")(dh, cache), ["dx", "dh0", "dWx", "dWh", "db"], f"{cell}_backward")
        for index, got in enumerate(grads):
            def f(value, index=index):
                changed = [value if i == index else a for i, a in enumerate(args)]
                return float(np.sum(sequence_by_formula(cell, *changed) * dh))
            if not matches_numerical(got, numerical_gradient(f, args[index])):
                return True
        return False

    checks = [embedding_wrong, step_wrong if uses == "sample" else sequence_wrong]
    return any(own(check) is True for check in checks)


# ------------------------------------------------------------------ public

def published_setup(cell):
    """CS231n's setup: N, D, W, H = 10, 20, 30, 40, T = 13, words <NULL>, cat, dog."""
    N, D, W, H, T = 10, 20, 30, 40, 13
    word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
    V = len(word_to_idx)
    low, high = (-1.5, 0.3) if cell == "rnn" else (-0.5, 1.7)
    features = np.linspace(low, high, num=N * D).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    return word_to_idx, D, W, H, linspace_params(V, D, W, H, cell), features, captions


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("cell, expected", [("rnn", 9.83235591003), ("lstm", 9.82445935443)])
def test_loss_published_value(student, rng, cell, expected):
    """CS231n's check: with every parameter np.linspace(-1.4, 1.3), the loss is the published value
    (where your layers are right: a layer's mistake is its own tests' business)."""
    word_to_idx, D, W, H, params, features, captions = published_setup(cell)
    model = build(student, word_to_idx, D, W, H, cell, params)
    loss, _ = model_loss(model, features, captions, {})
    if own_layers_are_wrong(student, cell, rng, "loss"):
        return
    with case(f"CaptioningRNN.loss with cell_type {cell!r} on CS231n's linspace setup"):
        assert_scalar_close(loss, expected, "the loss", tol=1e-10)


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_loss_gradients_numerical(student, rng, cell):
    """Every gradient of your loss against numerical gradients of your loss, at 6 entries of each
    parameter (batch of 2, T = 3, D = 4, W = 5, H = 6), where your layers are right."""
    word_to_idx = vocabulary(["cat", "dog"])
    V, D, W, H = len(word_to_idx), 4, 5, 6
    params = random_params(rng, V, D, W, H, cell)
    features = rng.standard_normal((2, D))
    captions = random_captions(rng, 2, 3, V)
    shapes = param_shapes(V, D, W, H, cell)
    model = build(student, word_to_idx, D, W, H, cell, params)
    _, grads = model_loss(model, features, captions, shapes)
    if own_layers_are_wrong(student, cell, rng, "grads"):
        return  # a layer's mistake is its own tests' business
    for name in PARAM_ORDER:
        picks = [tuple(int(rng.integers(s)) for s in shapes[name]) for _ in range(6)]

        numerical = []
        for index in picks:
            def f(value, index=index, name=name):
                changed = params[name].copy()
                changed[index] = value[0]
                model.set("params", {**params, name: changed})
                return model_loss(model, features, captions, {})[0]
            numerical.append(numerical_gradient(f, np.array([params[name][index]]), h=1e-6,
                                                name="CaptioningRNN.loss")[0])
        got = np.array([np.asarray(grads[name], dtype=np.float64)[index] for index in picks])
        numerical = np.array(numerical)
        scale = max(1e-8, float(np.max(np.abs(got)) + np.max(np.abs(numerical))))
        error = float(np.max(np.abs(got - numerical))) / scale
        if not error <= GRAD_TOL:
            raise CheckFailed(f"grads[{name!r}] from CaptioningRNN.loss (cell_type {cell!r}) differs from the "
                              f"numerical gradient of your loss: largest difference {error:.2g} relative to the "
                              f"largest entries (allowed {GRAD_TOL:.0e})")
    model.set("params", params)


@pytest.mark.public
@pytest.mark.points(2)
def test_sample_greedy_rnn(student, rng):
    """sample with cell_type 'rnn': shape (N, max_length), and at every step the highest-scoring word
    after reading the previous one (from <START>), written out in this test (where your
    rnn_step_forward and word_embedding_forward are right)."""
    word_to_idx = vocabulary(["a", "cat", "dog", "on", "mat"])
    V, D, W, H, N = len(word_to_idx), 6, 5, 7, 4
    params = random_params(rng, V, D, W, H, "rnn", scale=2.0)
    features = rng.standard_normal((N, D))
    model = build(student, word_to_idx, D, W, H, "rnn", params)
    got = sampled(model, features, 8)
    if own_layers_are_wrong(student, "rnn", rng, "sample"):
        return
    expected = greedy_by_formula(params, features, word_to_idx, "rnn", 8, rnn_step_by_formula(params))
    assert_captions(got, [expected], word_to_idx["<END>"],
                    "CaptioningRNN.sample with cell_type 'rnn', 4 images, max_length=8")


# ------------------------------------------------------------------ hidden: against the reference

# (N, T, V words besides the special ones, D, W, H, cell): N = 1, T = 2 (one predicted word), H = 1.
MODEL_CASES = [
    (3, 5, 4, 6, 5, 4, "rnn"), (1, 2, 3, 4, 3, 5, "rnn"), (5, 9, 8, 7, 6, 5, "rnn"), (4, 6, 2, 3, 2, 1, "rnn"),
    (3, 5, 4, 6, 5, 4, "lstm"), (1, 2, 3, 4, 3, 5, "lstm"), (5, 9, 8, 7, 6, 5, "lstm"), (4, 6, 2, 3, 2, 1, "lstm"),
]


def model_cases(rng):
    for N, T, words, D, W, H, cell in MODEL_CASES:
        word_to_idx = vocabulary([f"w{k}" for k in range(words)])
        V = len(word_to_idx)
        params = random_params(rng, V, D, W, H, cell)
        features = rng.standard_normal((N, D))
        captions = random_captions(rng, N, T, V)
        yield (f"cell_type {cell!r}, N = {N}, T = {T}, V = {V}, D = {D}, W = {W}, H = {H}",
               word_to_idx, D, W, H, cell, params, features, captions)


@pytest.mark.points(3)
def test_loss_matches_reference(student, reference, rng):
    """Captions of different lengths: steps whose target is <NULL> do not count."""
    for description, word_to_idx, D, W, H, cell, params, features, captions in model_cases(rng):
        loss, _ = model_loss(build(student, word_to_idx, D, W, H, cell, params), features, captions, {})
        expected, _ = build(reference, word_to_idx, D, W, H, cell, params).call("loss", features, captions)
        yours = own_loss(student, params, features, captions, cell)
        with case(f"CaptioningRNN.loss with {description}"):
            assert_one_of(loss, [expected, None if yours is None else yours[0]], "the loss")


@pytest.mark.points(4)
def test_grads_match_reference(student, reference, rng):
    for description, word_to_idx, D, W, H, cell, params, features, captions in model_cases(rng):
        shapes = param_shapes(len(word_to_idx), D, W, H, cell)
        _, grads = model_loss(build(student, word_to_idx, D, W, H, cell, params), features, captions, shapes)
        _, expected = build(reference, word_to_idx, D, W, H, cell, params).call("loss", features, captions)
        yours = own_loss(student, params, features, captions, cell)
        grads = {name: grads[name] for name in PARAM_ORDER}
        with case(f"CaptioningRNN.loss with {description}"):
            assert_one_of(grads, [expected, None if yours is None else yours[1]], "grads")


@pytest.mark.points(1)
def test_loss_of_captions_without_padding(student, reference, rng):
    """Every caption as long as T (no <NULL> at all), and one batch where all but one caption is
    only <START> <END> (mostly padding)."""
    word_to_idx = vocabulary(["a", "b", "c"])
    V, D, W, H = len(word_to_idx), 4, 3, 5
    for cell in ("rnn", "lstm"):
        params = random_params(rng, V, D, W, H, cell)
        features = rng.standard_normal((3, D))
        full = rng.integers(4, V, size=(3, 6))
        full[:, 0] = word_to_idx["<START>"]
        padded = np.zeros((3, 6), dtype=np.int64)
        padded[:, :2] = [word_to_idx["<START>"], word_to_idx["<END>"]]
        padded[1] = full[1]
        for what, captions in (("no padding", full), ("mostly padding", padded)):
            loss, _ = model_loss(build(student, word_to_idx, D, W, H, cell, params), features, captions, {})
            expected, _ = build(reference, word_to_idx, D, W, H, cell, params).call("loss", features, captions)
            yours = own_loss(student, params, features, captions, cell)
            with case(f"CaptioningRNN.loss with cell_type {cell!r} and captions with {what}"):
                assert_one_of(loss, [expected, None if yours is None else yours[0]], "the loss")


# (N, max_length, V words besides the special ones, D, W, H, cell): N = 1, max_length = 1.
SAMPLE_CASES = [
    (4, 10, 3, 6, 5, 7, "rnn"), (1, 6, 5, 4, 3, 5, "rnn"), (3, 1, 4, 5, 4, 3, "rnn"), (6, 15, 8, 8, 6, 6, "rnn"),
    (4, 10, 3, 6, 5, 7, "lstm"), (1, 6, 5, 4, 3, 5, "lstm"), (3, 1, 4, 5, 4, 3, "lstm"), (6, 15, 8, 8, 6, 6, "lstm"),
]


@pytest.mark.points(3)
def test_sample_matches_reference(student, reference, rng):
    """The reference's greedy captions (or those of your own step functions) through each first <END>."""
    for N, max_length, words, D, W, H, cell in SAMPLE_CASES:
        word_to_idx = vocabulary([f"w{k}" for k in range(words)])
        params = random_params(rng, len(word_to_idx), D, W, H, cell, scale=2.0)
        features = rng.standard_normal((N, D))
        got = sampled(build(student, word_to_idx, D, W, H, cell, params), features, max_length)
        expected = np.asarray(build(reference, word_to_idx, D, W, H, cell, params).call(
            "sample", features, max_length=max_length))
        yours = own_sample(student, params, features, word_to_idx, cell, max_length)
        assert_captions(got, [expected, yours], word_to_idx["<END>"],
                        f"CaptioningRNN.sample with cell_type {cell!r}, {N} images, max_length={max_length}")
