# Correct: the naive version counts each example's violated margins and moves
#   the correct class's column once by that count; the vectorized version picks
#   the correct scores with np.take_along_axis and builds the score gradient
#   from a one-hot matrix.
# Rewrites: svm_loss_naive, svm_loss_vectorized
"""Multiclass SVM (hinge) loss for a linear classifier, in two versions.

Both functions compute the same thing:

    loss = (1/N) * sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W * W)

where s = X.dot(W) are the class scores. The naive version uses explicit
loops and is the one to reason about; the vectorized version must agree with
it to rounding error and be much faster.

Conventions (the grader checks each):
- regularization: reg * sum(W * W), without a factor 0.5, so its gradient is
  2 * reg * W;
- a margin of exactly 0 (s_j = s_y_i - 1) is not a violation: it adds nothing
  to the loss or to dW (count margins > 0).
"""
import numpy as np


def svm_loss_naive(W, X, y, reg):
    """SVM loss and its gradient, computed with loops over the examples.

    Inputs:
    - W: array of shape (D, C), the weights; one column per class.
    - X: array of shape (N, D), a minibatch of N examples, one per row.
    - y: integer array of shape (N,); y[i] = c means X[i] has label c, 0 <= c < C.
    - reg: float, regularization strength.

    Returns a tuple:
    - loss: float (a Python or NumPy float), the mean hinge loss plus reg * sum(W * W).
    - dW: array of shape (D, C), the gradient of loss with respect to W.
    """
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    # TODO: Loop over the examples and, inside, over the classes. Add every
    # positive margin s_j - s_{y_i} + 1 (j != y_i) to `loss` and, at the same
    # time, its gradient to `dW` (the margin pulls column j towards X[i] and
    # pushes column y_i away from it). Then average over the examples and add
    # the regularization term and its gradient.
    for i in range(num_train):
        scores = W.T.dot(X[i])
        violated = 0
        for j in range(num_classes):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                violated += 1
        dW[:, y[i]] -= violated * X[i]
    loss = loss / num_train + reg * np.sum(W ** 2)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """SVM loss and its gradient, without explicit loops.

    Inputs and returns are the same as for svm_loss_naive:
    - W: array of shape (D, C); X: array of shape (N, D); y: array of shape (N,)
    - reg: float, regularization strength.

    Returns a tuple (loss, dW): a float and an array of shape (D, C).
    """
    num_train = X.shape[0]
    rows = np.arange(num_train)
    # TODO: Compute the scores of all examples at once, the matrix of margins
    # (zero for each example's own class) and from it the loss, as in
    # svm_loss_naive but without loops.
    scores = X @ W
    correct = np.take_along_axis(scores, y[:, None], axis=1)
    margins = np.maximum(0, scores - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * (W * W).sum()

    # TODO: Compute the gradient dW without loops. Hint: record, per example
    # and class, how much that score's gradient is (1 for each positive margin,
    # minus their count for the correct class); then one matrix product with X
    # gives dW.
    positive = (margins > 0).astype(X.dtype)
    one_hot = np.zeros_like(positive)
    one_hot[rows, y] = 1
    coeffs = positive - one_hot * positive.sum(axis=1, keepdims=True)
    dW = X.T @ coeffs / num_train + 2 * reg * W
    return loss, dW
