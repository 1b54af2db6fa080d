"""Softmax (cross-entropy) loss for a linear classifier, in two versions.

Both functions compute the same thing:

    loss = (1/N) * sum_i -log(exp(s_iy_i) / sum_j exp(s_ij)) + reg * sum(W * W)

where s = X.dot(W) are the class scores. exp() overflows for scores above
about 709, so both versions must first subtract each example's largest score;
this leaves the probabilities unchanged. A label's probability can still be
too small for a float (below about 1e-308) and round to 0, whose log is
-inf: compute the log-probabilities as shifted - log(sum(exp(shifted)))
rather than the log of a probability.

Regularization: reg * sum(W * W), without a factor 0.5, so its gradient is
2 * reg * W (the grader checks it).
"""
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss and its gradient, computed with loops over the examples.

    Inputs:
    - W: array of shape (D, C), the weights; one column per class.
    - X: array of shape (N, D), a minibatch of N examples, one per row.
    - y: integer array of shape (N,); y[i] = c means X[i] has label c, 0 <= c < C.
    - reg: float, regularization strength.

    Returns a tuple:
    - loss: float (a Python or NumPy float), the mean cross-entropy loss plus reg * sum(W * W).
    - dW: array of shape (D, C), the gradient of loss with respect to W.
    """
    loss = 0.0
    dW = np.zeros_like(W, dtype=float)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    # TODO: Loop over the examples: compute each example's scores, shift them
    # so the largest is 0 (for numerical stability), and add the example's
    # cross-entropy loss to `loss`. Loop over the classes to add the
    # example's gradient to the columns of `dW` (the score of class j has
    # gradient p_j - 1 if j is the correct class, p_j otherwise). Then average
    # over the examples and add the regularization term and its gradient.
    ### BEGIN SOLUTION
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        exp_scores = np.exp(scores)
        total = np.sum(exp_scores)
        loss += np.log(total) - scores[y[i]]
        for j in range(num_classes):
            p = exp_scores[j] / total
            if j == y[i]:
                p -= 1
            dW[:, j] += p * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss and its gradient, without explicit loops.

    Inputs and returns are the same as for softmax_loss_naive:
    - W: array of shape (D, C); X: array of shape (N, D); y: array of shape (N,)
    - reg: float, regularization strength.

    Returns a tuple (loss, dW): a float and an array of shape (D, C).
    """
    num_train = X.shape[0]
    rows = np.arange(num_train)
    # TODO: Compute the loss and its gradient without loops, with the same
    # max-subtraction as in softmax_loss_naive.
    ### BEGIN SOLUTION
    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / num_train + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    ### END SOLUTION
    return loss, dW
