"""Recurrent layers for sequences of vectors, each a forward and a backward function.

    out, cache = layer_forward(x, ...)    # cache: what backward will need
    dx, ... = layer_backward(dout, cache) # dout: gradient of the loss wrt out

Shapes: N sequences in a minibatch, T time steps, D input size, H hidden size,
V vocabulary size, M output size. A backward function returns the gradient
with respect to every array input of its forward function, each with the
shape of that input. A cache is yours to design (arrays, numbers, tuples,
lists or dicts of them): the grader hands it back to your backward function.

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
    # TODO: Compute next_h = tanh(x Wx + prev_h Wh + b) and keep in cache what
    # the backward pass needs.
    raise NotImplementedError('Complete rnn_step_forward (see the TODO above)')
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
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO: Backpropagate through the tanh (its derivative is 1 - tanh**2,
    # which you can get from next_h) and then through the affine parts.
    raise NotImplementedError('Complete rnn_step_backward (see the TODO above)')
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
    h, cache = None, None
    # TODO: Loop over the time steps with rnn_step_forward, storing every
    # hidden state in h and every step's cache.
    raise NotImplementedError('Complete rnn_forward (see the TODO above)')
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
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: Walk the steps backwards with rnn_step_backward; at each step the
    # hidden state receives dh[:, t] plus the gradient from step t + 1. The
    # weights' gradients are the sums over the steps.
    raise NotImplementedError('Complete rnn_backward (see the TODO above)')
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
    out, cache = None, None
    # TODO: Look up the rows of W (one line of indexing, no loop).
    raise NotImplementedError('Complete word_embedding_forward (see the TODO above)')
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
    dW = None
    # TODO: Add each dout[n, t] to the row of its word. The same word may occur
    # several times: np.add.at adds every occurrence (dW[x] += dout does not).
    raise NotImplementedError('Complete word_embedding_backward (see the TODO above)')
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
    next_h, next_c, cache = None, None, None
    # TODO: Compute the gates (use the sigmoid of this module), next_c and
    # next_h, and keep in cache what the backward pass needs.
    raise NotImplementedError('Complete lstm_step_forward (see the TODO above)')
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
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    # TODO: next_c reaches the loss directly (dnext_c) and through next_h.
    # Backpropagate to the four gates, then through their nonlinearities to
    # the pre-activations a (keep the order i, f, o, g), then through the
    # affine part.
    raise NotImplementedError('Complete lstm_step_backward (see the TODO above)')
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
    h, cache = None, None
    # TODO: Start from c = 0 and loop over the time steps with
    # lstm_step_forward, storing every hidden state in h and every step's cache.
    raise NotImplementedError('Complete lstm_forward (see the TODO above)')
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
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: Walk the steps backwards with lstm_step_backward, carrying the
    # gradients of both the hidden and the cell state from step t + 1 to
    # step t. The weights' gradients are the sums over the steps.
    raise NotImplementedError('Complete lstm_backward (see the TODO above)')
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
