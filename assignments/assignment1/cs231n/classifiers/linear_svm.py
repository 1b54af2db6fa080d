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
    raise NotImplementedError('Complete svm_loss_naive (see the TODO above)')
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
    raise NotImplementedError('Complete svm_loss_vectorized (see the TODO above)')

    # TODO: Compute the gradient dW without loops. Hint: record, per example
    # and class, how much that score's gradient is (1 for each positive margin,
    # minus their count for the correct class); then one matrix product with X
    # gives dW.
    raise NotImplementedError('Complete svm_loss_vectorized (see the TODO above)')
    return loss, dW
