# Mistake: softmax_loss computes log(sum(exp(x))) - x[y] without subtracting the
#   row maximum: exp overflows for scores in the thousands.
# Rewrites: softmax_loss
# Fails: test_layers.py::test_softmax_loss_is_stable
"""Layers of a neural network, each a forward and a backward function.

    out, cache = layer_forward(x, ...)    # cache: what backward will need
    dx, ... = layer_backward(dout, cache) # dout: gradient of the loss wrt out

A backward function returns the gradient of the loss with respect to every
input of the forward function, each with the shape of that input. Loss
layers (svm_loss, softmax_loss) end a network: they return the loss and its
gradient with respect to the scores in one call.
"""
import numpy as np


def affine_forward(x, w, b):
    """Forward pass of an affine (fully connected) layer: out = x w + b.

    Each example may be an array of any shape (d_1, ..., d_k), for example an
    image of shape (32, 32, 3); it is flattened (row-major, like reshape) to a
    vector of length D = d_1 * ... * d_k first.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k), a minibatch of N examples.
    - w: array of shape (D, M), the weights.
    - b: array of shape (M,), the biases.

    Returns a tuple:
    - out: array of shape (N, M).
    - cache: (x, w, b), for affine_backward.
    """
    out = None
    # TODO: Flatten every example of x into a row and compute the output.
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of an affine layer.

    Inputs:
    - dout: upstream gradient, array of shape (N, M).
    - cache: (x, w, b) as returned by affine_forward:
      x of shape (N, d_1, ..., d_k), w of shape (D, M), b of shape (M,).

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, d_1, ..., d_k).
    - dw: gradient with respect to w, array of shape (D, M).
    - db: gradient with respect to b, array of shape (M,).
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: Compute dx, dw and db. dx must have the shape of x, not (N, D).
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    """Forward pass of a layer of rectified linear units: out = max(0, x).

    Inputs:
    - x: array of any shape.

    Returns a tuple:
    - out: array of the shape of x.
    - cache: x, for relu_backward.
    """
    out = None
    # TODO: Apply the ReLU elementwise.
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of a layer of rectified linear units.

    At x == 0, where ReLU has no derivative, use 0 (the unit counts as off).

    Inputs:
    - dout: upstream gradient, array of any shape.
    - cache: x, the input of relu_forward, array of the shape of dout.

    Returns:
    - dx: gradient with respect to x, array of the shape of x.
    """
    dx, x = None, cache
    # TODO: Pass the upstream gradient through where the unit was on.
    dx = dout * (x > 0)
    return dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the examples.

        loss = (1/N) * sum_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)

    Inputs:
    - x: scores, array of shape (N, C); x[i, j] is the score of class j for
      example i.
    - y: integer labels, array of shape (N,) with 0 <= y[i] < C.

    Returns a tuple:
    - loss: float.
    - dx: gradient of loss with respect to x, array of shape (N, C).
    """
    loss, dx = None, None
    # TODO: Compute the loss and its gradient without loops over the examples.
    num_examples = x.shape[0]
    rows = np.arange(num_examples)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / num_examples
    # Every violated margin adds 1 to its class's score gradient and
    # subtracts 1 from the correct class's.
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -np.sum(dx, axis=1)
    dx /= num_examples
    return loss, dx


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss, averaged over the examples.

        loss = (1/N) * sum_i -log(exp(x[i, y_i]) / sum_j exp(x[i, j]))

    Scores may be large (hundreds or more): subtract each row's maximum
    before exponentiating, which leaves the probabilities unchanged. A
    probability can still round to 0 (its log is then -inf): compute the
    log-probabilities as shifted - log(sum(exp(shifted))) rather than the log
    of a probability.

    Inputs:
    - x: scores, array of shape (N, C).
    - y: integer labels, array of shape (N,) with 0 <= y[i] < C.

    Returns a tuple:
    - loss: float (a Python or NumPy float).
    - dx: gradient of loss with respect to x, array of shape (N, C).
    """
    loss, dx = None, None
    # TODO: Compute the loss and its gradient without loops over the examples.
    num_examples = x.shape[0]
    rows = np.arange(num_examples)
    exp_x = np.exp(x)
    totals = np.sum(exp_x, axis=1, keepdims=True)
    loss = np.sum(np.log(totals[:, 0]) - x[rows, y]) / num_examples
    dx = exp_x / totals
    dx[rows, y] -= 1
    dx /= num_examples
    return loss, dx
