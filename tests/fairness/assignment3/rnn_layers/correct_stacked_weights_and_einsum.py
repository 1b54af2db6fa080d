# Correct: einsum for every product of the RNN step and a dict as its cache; the sequences as
#   the steps composed over np.moveaxis, their gradients summed with sum(); the LSTM step as one
#   product of [x, prev_h] with [Wx; Wh] (np.hstack / np.vstack) and one sigmoid over the i, f, o
#   blocks, its cache a list; embeddings with np.take and a one-hot matrix product.
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
    next_h = np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", prev_h, Wh) + b)
    cache = {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "next_h": next_h}
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
    da = dnext_h * (1 - np.square(cache["next_h"]))
    dx = np.einsum("nh,dh->nd", da, cache["Wx"])
    dprev_h = np.einsum("nh,kh->nk", da, cache["Wh"])
    dWx = np.einsum("nd,nh->dh", cache["x"], da)
    dWh = np.einsum("nk,nh->kh", cache["prev_h"], da)
    db = np.einsum("nh->h", da)
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
    steps = []
    h_t = h0
    for x_t in np.moveaxis(x, 1, 0):
        h_t, step_cache = rnn_step_forward(x_t, h_t, Wx, Wh, b)
        steps.append((h_t, step_cache))
    h = np.stack([state for state, _ in steps], axis=1)
    cache = [step_cache for _, step_cache in steps]
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
    per_step = []
    dcarry = 0
    for t in range(dh.shape[1] - 1, -1, -1):
        dx_t, dcarry, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dcarry, cache[t])
        per_step.append((dx_t, dWx_t, dWh_t, db_t))
    per_step.reverse()
    dx = np.stack([item[0] for item in per_step], axis=1)
    dWx = sum(item[1] for item in per_step)
    dWh = sum(item[2] for item in per_step)
    db = sum(item[3] for item in per_step)
    dh0 = dcarry
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
    out = np.take(W, x, axis=0)
    cache = (x, W)
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
    x, W = cache
    V, D = W.shape
    onehot = (x.reshape(-1, 1) == np.arange(V)).astype(dout.dtype)
    dW = onehot.T.dot(dout.reshape(-1, D))
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
    xh = np.hstack([x, prev_h])
    a = xh.dot(np.vstack([Wx, Wh])) + b
    ifo = sigmoid(a[:, :3 * H])
    g = np.tanh(a[:, 3 * H:])
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    next_c = i * g + f * prev_c
    next_h = np.tanh(next_c) * o
    cache = [xh, Wx, Wh, prev_c, ifo, g, next_c]
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
    xh, Wx, Wh, prev_c, ifo, g, next_c = cache
    H = g.shape[1]
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    t = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - t ** 2)
    difo = np.concatenate([dc * g, dc * prev_c, dnext_h * t], axis=1) * ifo * (1 - ifo)
    da = np.concatenate([difo, dc * i * (1 - g ** 2)], axis=1)
    dW = xh.T.dot(da)
    dxh = da.dot(np.vstack([Wx, Wh]).T)
    D = Wx.shape[0]
    dx, dprev_h = dxh[:, :D], dxh[:, D:]
    dWx, dWh = dW[:D], dW[D:]
    dprev_c = dc * f
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
    outputs, cache = [], []
    h_t, c_t = h0, np.zeros(h0.shape)
    for t in range(x.shape[1]):
        h_t, c_t, step_cache = lstm_step_forward(x[:, t], h_t, c_t, Wx, Wh, b)
        outputs.append(h_t)
        cache.append(step_cache)
    h = np.stack(outputs, axis=1)
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
    N, T, H = dh.shape
    dx_steps = [None] * T
    dWx, dWh, db = 0, 0, 0
    dh_t, dc_t = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx_steps[t], dh_t, dc_t, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_t, dc_t, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dx = np.stack(dx_steps, axis=1)
    dh0 = dh_t
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
