# Correct: the inputs' products x Wx of every step computed at once before the loop, the
#   pre-activations cached, and the weights' gradients computed once after the backward loop
#   (np.tensordot, einsum); the sigmoid as 0.5 * (1 + tanh(z / 2)) and recomputed from the cached
#   pre-activations in the step's backward pass; the RNN step one example at a time, its dWx as a
#   sum of outer products; the embeddings' gradient one distinct word at a time.
# Rewrites: rnn_step_forward, rnn_step_backward, rnn_forward, rnn_backward, word_embedding_forward,
#   word_embedding_backward, lstm_step_forward, lstm_step_backward, lstm_forward, lstm_backward
"""Recurrent layers for sequences of vectors, each a forward and a backward function.

    out, cache = layer_forward(x, ...)    # cache: what backward will need
    dx, ... = layer_backward(dout, cache) # dout: gradient of the loss wrt out

Shapes: N sequences in a minibatch, T time steps, D input size, H hidden size,
V vocabulary size, M output size. A backward function returns the gradient
with respect to every array input of its forward function, each with the
shape of that input. A cache is yours to design: arrays, numbers, and tuples,
lists and dicts of them (dicts with str keys: the grader hands a cache back to
your backward function by value, and cannot send a dict keyed by int; use a
list indexed by t instead).

Vanilla RNN (tanh):  h_t = tanh(x_t Wx + h_{t-1} Wh + b)
LSTM: a = x_t Wx + h_{t-1} Wh + b of shape (N, 4H), cut into four blocks of H
columns in the order i, f, o, g:
    i = sigmoid(a_i), f = sigmoid(a_f), o = sigmoid(a_o), g = tanh(a_g)
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
"""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla RNN with a tanh activation.

    Inputs:
    - x: input of this step, array of shape (N, D).
    - prev_h: hidden state of the previous step, array of shape (N, H).
    - Wx: input-to-hidden weights, array of shape (D, H).
    - Wh: hidden-to-hidden weights, array of shape (H, H).
    - b: biases, array of shape (H,).

    Returns a tuple:
    - next_h: next hidden state, array of shape (N, H).
    - cache: what rnn_step_backward needs.
    """
    N, H = prev_h.shape
    next_h = np.empty((N, H))
    for n in range(N):
        next_h[n] = np.tanh(x[n] @ Wx + prev_h[n] @ Wh + b)
    cache = [x, prev_h, Wx, Wh, b, next_h]
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN step.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, array of shape (N, H).
    - cache: as returned by rnn_step_forward.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, D).
    - dprev_h: gradient with respect to prev_h, array of shape (N, H).
    - dWx: gradient with respect to Wx, array of shape (D, H).
    - dWh: gradient with respect to Wh, array of shape (H, H).
    - db: gradient with respect to b, array of shape (H,).
    """
    x, prev_h, Wx, Wh, b, next_h = cache
    da = (1 + next_h) * (1 - next_h) * dnext_h
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = np.outer(x[0], da[0])
    for n in range(1, x.shape[0]):
        dWx = dWx + np.outer(x[n], da[n])
    dWh = prev_h.T @ da
    db = da.sum(0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over whole sequences: rnn_step_forward at each of the T steps.

    Inputs:
    - x: input sequences, array of shape (N, T, D).
    - h0: initial hidden state, array of shape (N, H).
    - Wx: array of shape (D, H).
    - Wh: array of shape (H, H).
    - b: array of shape (H,).

    Returns a tuple:
    - h: hidden states of every step, array of shape (N, T, H); h[:, t] is the
      state after reading x[:, t] (h0 itself is not included).
    - cache: what rnn_backward needs.
    """
    N, T, D = x.shape
    H = h0.shape[1]
    inputs = (x.reshape(N * T, D) @ Wx + b).reshape(N, T, H)
    h = np.empty((N, T, H))
    prev = h0
    for t in range(T):
        prev = np.tanh(inputs[:, t] + prev @ Wh)
        h[:, t] = prev
    cache = (x, h0, h, Wx, Wh)
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass of rnn_forward over whole sequences.

    Inputs:
    - dh: upstream gradients of every hidden state, array of shape (N, T, H).
      It holds only the gradient that reaches h[:, t] from outside the RNN
      (for example from a layer on top); the gradient through the next step
      is yours to add.
    - cache: as returned by rnn_forward.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, T, D).
    - dh0: gradient with respect to h0, array of shape (N, H).
    - dWx: array of shape (D, H).
    - dWh: array of shape (H, H).
    - db: array of shape (H,).
    """
    x, h0, h, Wx, Wh = cache
    N, T, D = x.shape
    H = h0.shape[1]
    da = np.zeros((N, T, H))
    running = np.zeros((N, H))
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + running) * (1 - h[:, t] ** 2)
        running = da[:, t] @ Wh.T
    previous = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    dx = da @ Wx.T
    dWx = np.tensordot(x, da, axes=([0, 1], [0, 1]))
    dWh = np.tensordot(previous, da, axes=([0, 1], [0, 1]))
    db = da.sum(axis=(0, 1))
    dh0 = running
    return dx, dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    """Word embeddings: the vector of each word index.

    Inputs:
    - x: integer array of shape (N, T), word indices in [0, V).
    - W: word vectors, array of shape (V, D); row i is the vector of word i.

    Returns a tuple:
    - out: array of shape (N, T, D); out[n, t] = W[x[n, t]].
    - cache: what word_embedding_backward needs.
    """
    N, T = x.shape
    out = W[x.ravel()].reshape(N, T, -1)
    cache = {"words": x, "V": W.shape[0]}
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass of word_embedding_forward.

    Inputs:
    - dout: upstream gradients, array of shape (N, T, D).
    - cache: as returned by word_embedding_forward.

    Returns:
    - dW: gradient with respect to the word vectors, array of shape (V, D).
      A word that occurs several times receives the sum of its gradients;
      a word that does not occur receives zeros.
    """
    words, V = cache["words"], cache["V"]
    dW = np.zeros((V, dout.shape[-1]))
    for word in np.unique(words):
        dW[word] = dout[words == word].sum(axis=0)
    return dW


def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), elementwise, without overflow for large |x|."""
    x = np.asarray(x)
    positive = x >= 0
    negative = ~positive
    z = np.zeros_like(x, dtype=np.result_type(x, np.float32))
    z[positive] = np.exp(-x[positive])
    z[negative] = np.exp(x[negative])
    top = np.ones_like(z)
    top[negative] = z[negative]
    return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM.

    The gate pre-activations a = x Wx + prev_h Wh + b (shape (N, 4H)) are cut
    into four blocks of H columns, in this order: input gate i, forget gate f,
    output gate o, candidate g.

    Inputs:
    - x: input of this step, array of shape (N, D).
    - prev_h: previous hidden state, array of shape (N, H).
    - prev_c: previous cell state, array of shape (N, H).
    - Wx: input-to-hidden weights, array of shape (D, 4H).
    - Wh: hidden-to-hidden weights, array of shape (H, 4H).
    - b: biases, array of shape (4H,).

    Returns a tuple:
    - next_h: next hidden state, array of shape (N, H).
    - next_c: next cell state, array of shape (N, H).
    - cache: what lstm_step_backward needs.
    """
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    s = 0.5 * (1 + np.tanh(0.5 * a[:, :3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = s[:, H:2 * H] * prev_c + s[:, :H] * g
    next_h = s[:, 2 * H:] * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, a)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Inputs:
    - dnext_h: gradient with respect to next_h, array of shape (N, H).
    - dnext_c: gradient with respect to next_c, array of shape (N, H).
    - cache: as returned by lstm_step_forward.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, D).
    - dprev_h: gradient with respect to prev_h, array of shape (N, H).
    - dprev_c: gradient with respect to prev_c, array of shape (N, H).
    - dWx: gradient with respect to Wx, array of shape (D, 4H).
    - dWh: gradient with respect to Wh, array of shape (H, 4H).
    - db: gradient with respect to b, array of shape (4H,).
    """
    x, prev_h, prev_c, Wx, Wh, a = cache
    H = prev_h.shape[1]
    i = 0.5 * (1 + np.tanh(0.5 * a[:, :H]))
    f = 0.5 * (1 + np.tanh(0.5 * a[:, H:2 * H]))
    o = 0.5 * (1 + np.tanh(0.5 * a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    c = f * prev_c + i * g
    dc = dnext_c + dnext_h * o / np.cosh(c) ** 2
    da = np.empty_like(a)
    da[:, :H] = dc * g * i * (1 - i)
    da[:, H:2 * H] = dc * prev_c * f * (1 - f)
    da[:, 2 * H:3 * H] = dnext_h * np.tanh(c) * o * (1 - o)
    da[:, 3 * H:] = dc * i / np.cosh(a[:, 3 * H:]) ** 2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dprev_c = f * dc
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM over whole sequences: lstm_step_forward at each of the T steps.

    The initial cell state is zero; the cell states are not returned.

    Inputs:
    - x: input sequences, array of shape (N, T, D).
    - h0: initial hidden state, array of shape (N, H).
    - Wx: array of shape (D, 4H).
    - Wh: array of shape (H, 4H).
    - b: array of shape (4H,).

    Returns a tuple:
    - h: hidden states of every step, array of shape (N, T, H) (h0 not included).
    - cache: what lstm_backward needs.
    """
    N, T, D = x.shape
    H = h0.shape[1]
    inputs = np.einsum("ntd,dg->ntg", x, Wx) + b
    h = np.zeros((N, T, H))
    c = np.zeros((N, T, H))
    pre = np.zeros((N, T, 4 * H))
    prev_h, prev_c = h0, np.zeros((N, H))
    for t in range(T):
        pre[:, t] = inputs[:, t] + prev_h @ Wh
        i, f, o = (0.5 * (1 + np.tanh(0.5 * pre[:, t, k * H:(k + 1) * H])) for k in range(3))
        c[:, t] = f * prev_c + i * np.tanh(pre[:, t, 3 * H:])
        h[:, t] = o * np.tanh(c[:, t])
        prev_h, prev_c = h[:, t], c[:, t]
    cache = {"x": x, "h0": h0, "h": h, "c": c, "pre": pre, "Wx": Wx, "Wh": Wh}
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass of lstm_forward over whole sequences.

    Inputs:
    - dh: upstream gradients of every hidden state, array of shape (N, T, H)
      (only what reaches h[:, t] from outside the LSTM, as in rnn_backward).
    - cache: as returned by lstm_forward.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, T, D).
    - dh0: gradient with respect to h0, array of shape (N, H).
    - dWx: array of shape (D, 4H).
    - dWh: array of shape (H, 4H).
    - db: array of shape (4H,).
    """
    x, h0, h, c, pre = cache["x"], cache["h0"], cache["h"], cache["c"], cache["pre"]
    Wx, Wh = cache["Wx"], cache["Wh"]
    N, T, H = h.shape
    da = np.zeros_like(pre)
    dh_carry = np.zeros((N, H))
    dc_carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        i, f, o = (0.5 * (1 + np.tanh(0.5 * pre[:, t, k * H:(k + 1) * H])) for k in range(3))
        g = np.tanh(pre[:, t, 3 * H:])
        prev_c = c[:, t - 1] if t > 0 else np.zeros((N, H))
        total_h = dh[:, t] + dh_carry
        dc = dc_carry + total_h * o * (1 - np.tanh(c[:, t]) ** 2)
        da[:, t] = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                              total_h * np.tanh(c[:, t]) * o * (1 - o), dc * i * (1 - g ** 2)])
        dh_carry = da[:, t] @ Wh.T
        dc_carry = dc * f
    previous_h = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    dx = np.einsum("ntg,dg->ntd", da, Wx)
    dWx = np.einsum("ntd,ntg->dg", x, da)
    dWh = np.einsum("nth,ntg->hg", previous_h, da)
    db = da.sum(axis=(0, 1))
    dh0 = dh_carry
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    """An affine layer applied at every time step: out[:, t] = x[:, t] w + b.

    Inputs:
    - x: array of shape (N, T, D).
    - w: array of shape (D, M).
    - b: array of shape (M,).

    Returns a tuple:
    - out: array of shape (N, T, M).
    - cache: (x, w, b), for temporal_affine_backward.
    """
    out = x.dot(w) + b
    cache = (x, w, b)
    return out, cache


def temporal_affine_backward(dout, cache):
    """Backward pass of temporal_affine_forward.

    Inputs:
    - dout: upstream gradients, array of shape (N, T, M).
    - cache: (x, w, b) as returned by temporal_affine_forward.

    Returns a tuple:
    - dx: array of shape (N, T, D).
    - dw: array of shape (D, M).
    - db: array of shape (M,).
    """
    x, w, b = cache
    D, M = w.shape
    dx = dout.dot(w.T)
    dw = x.reshape(-1, D).T.dot(dout.reshape(-1, M))
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax cross-entropy at every time step where mask is true.

    loss = -(1 / N) * sum over n, t with mask[n, t] of log softmax(x[n, t])[y[n, t]]

    That is, the losses of the counted steps are summed over the time steps and
    averaged over the N sequences (a padded caption is not penalised for its
    <NULL> words).

    Inputs:
    - x: scores, array of shape (N, T, V).
    - y: correct word indices, integer array of shape (N, T), each in [0, V).
    - mask: boolean array of shape (N, T); False where a step is not counted.
    - verbose: print the shape of the gradient.

    Returns a tuple:
    - loss: float.
    - dx: gradient of loss with respect to x, array of shape (N, T, V).
    """
    N, T, V = x.shape
    scores = x.reshape(N * T, V)
    targets = y.reshape(N * T)
    counted = mask.reshape(N * T)

    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N * T)
    loss = -np.sum(counted * log_probs[rows, targets]) / N

    dx_flat = np.exp(log_probs)
    dx_flat[rows, targets] -= 1
    dx_flat *= counted[:, None] / N
    if verbose:
        print("dx_flat:", dx_flat.shape)
    dx = dx_flat.reshape(N, T, V)
    return loss, dx
