# Correct: written without the step functions: loops over the time steps with every state in one
#   array (h0 in it), caches as dicts and tuples of whole sequences, the tanh's derivative as
#   1 / cosh**2, the LSTM's gates one block of columns at a time with 1 / (1 + exp(-z)), their
#   gradients stacked with np.hstack; word embeddings with two loops.
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
    next_h, cache = None, None
    pre = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    next_h = np.tanh(pre)
    cache = (x, prev_h, Wx, Wh, pre)
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
    x, prev_h, Wx, Wh, pre = cache
    dpre = dnext_h / np.cosh(pre) ** 2
    dx = np.dot(dpre, Wx.T)
    dprev_h = np.dot(dpre, Wh.T)
    dWx = np.dot(x.T, dpre)
    dWh = np.dot(prev_h.T, dpre)
    db = np.sum(dpre, axis=0)
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
    states = np.zeros((N, T + 1, H))
    states[:, 0] = h0
    for t in range(T):
        states[:, t + 1] = np.tanh(x[:, t].dot(Wx) + states[:, t].dot(Wh) + b)
    h = states[:, 1:].copy()
    cache = {"x": x, "states": states, "Wx": Wx, "Wh": Wh}
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
    x, states, Wx, Wh = cache["x"], cache["states"], cache["Wx"], cache["Wh"]
    N, T, D = x.shape
    H = Wh.shape[0]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dnext = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dpre = (dh[:, t] + dnext) * (1 - states[:, t + 1] ** 2)
        dx[:, t] = dpre.dot(Wx.T)
        dWx += x[:, t].T.dot(dpre)
        dWh += states[:, t].T.dot(dpre)
        db += dpre.sum(axis=0)
        dnext = dpre.dot(Wh.T)
    dh0 = dnext
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
    out = np.zeros((N, T, W.shape[1]), dtype=W.dtype)
    for n in range(N):
        for t in range(T):
            out[n, t] = W[x[n, t]]
    cache = (x, W.shape[0])
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
    x, V = cache
    N, T, D = dout.shape
    dW = np.zeros((V, D))
    for n in range(N):
        for t in range(T):
            dW[x[n, t]] += dout[n, t]
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
    def gate(k):
        cols = slice(k * H, (k + 1) * H)
        return x.dot(Wx[:, cols]) + prev_h.dot(Wh[:, cols]) + b[cols]
    i = 1 / (1 + np.exp(-gate(0)))
    f = 1 / (1 + np.exp(-gate(1)))
    o = 1 / (1 + np.exp(-gate(2)))
    g = np.tanh(gate(3))
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = {"x": x, "prev_h": prev_h, "prev_c": prev_c, "Wx": Wx, "Wh": Wh, "gates": (i, f, o, g), "next_c": next_c}
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
    i, f, o, g = cache["gates"]
    tanh_c = np.tanh(cache["next_c"])
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
    dpre_i = dc * g * i * (1 - i)
    dpre_f = dc * cache["prev_c"] * f * (1 - f)
    dpre_o = dnext_h * tanh_c * o * (1 - o)
    dpre_g = dc * i * (1 - g * g)
    dprev_c = dc * f
    dpre = np.hstack([dpre_i, dpre_f, dpre_o, dpre_g])
    dx = dpre.dot(cache["Wx"].T)
    dprev_h = dpre.dot(cache["Wh"].T)
    dWx = np.hstack([cache["x"].T.dot(d) for d in (dpre_i, dpre_f, dpre_o, dpre_g)])
    dWh = np.hstack([cache["prev_h"].T.dot(d) for d in (dpre_i, dpre_f, dpre_o, dpre_g)])
    db = np.concatenate([d.sum(axis=0) for d in (dpre_i, dpre_f, dpre_o, dpre_g)])
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
    hs = np.zeros((N, T + 1, H))
    cs = np.zeros((N, T + 1, H))
    gates = np.zeros((N, T, 4 * H))
    hs[:, 0] = h0
    for t in range(T):
        a = x[:, t].dot(Wx) + hs[:, t].dot(Wh) + b
        s = 1 / (1 + np.exp(-a[:, :3 * H]))
        gates[:, t, :3 * H] = s
        gates[:, t, 3 * H:] = np.tanh(a[:, 3 * H:])
        i, f, o, g = np.split(gates[:, t], 4, axis=1)
        cs[:, t + 1] = f * cs[:, t] + i * g
        hs[:, t + 1] = o * np.tanh(cs[:, t + 1])
    h = hs[:, 1:]
    cache = (x, hs, cs, gates, Wx, Wh)
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
    x, hs, cs, gates, Wx, Wh = cache
    N, T, D = x.shape
    H = hs.shape[2]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, 4 * H))
    dWh = np.zeros((H, 4 * H))
    db = np.zeros(4 * H)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, o, g = np.split(gates[:, t], 4, axis=1)
        tanh_c = np.tanh(cs[:, t + 1])
        dh_t = dh[:, t] + dh_next
        dc = dc_next + dh_t * o * (1 - tanh_c ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * cs[:, t] * f * (1 - f), dh_t * tanh_c * o * (1 - o),
                             dc * i * (1 - g ** 2)], axis=1)
        dx[:, t] = da.dot(Wx.T)
        dWx += x[:, t].T.dot(da)
        dWh += hs[:, t].T.dot(da)
        db += da.sum(axis=0)
        dh_next = da.dot(Wh.T)
        dc_next = dc * f
    dh0 = dh_next
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
