# Mistake: __init__ draws the weights from np.random.randn without weight_scale.
# Rewrites: TwoLayerNet.__init__
# Fails: test_fc_net.py::test_init_statistics
"""Fully connected networks built from the layers in layers.py and layer_utils.py."""
import numpy as np

from ..layer_utils import affine_relu_backward, affine_relu_forward
from ..layers import affine_backward, affine_forward, softmax_loss


class TwoLayerNet:
    """A two-layer fully connected network with a ReLU and a softmax loss.

        input - affine - relu - affine - softmax

    The network takes inputs of dimension D, has a hidden layer of H units
    and scores C classes.

    Regularization convention: the loss includes 0.5 * reg * (sum(W1**2) +
    sum(W2**2)), so the gradient of that term is simply reg * W. (The linear
    classifiers use reg * sum(W**2) without the 0.5; reg values do not
    transfer between the two without a factor of 2.) Biases are not
    regularized.

    Attributes:
    - params: dict with
        W1: array of shape (D, H), first-layer weights
        b1: array of shape (H,), first-layer biases (1-D, not (1, H))
        W2: array of shape (H, C), second-layer weights
        b2: array of shape (C,), second-layer biases (1-D, not (1, C))
      in any order of keys.
    - reg: float, the L2 regularization strength.
    """

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0):
        """
        Inputs:
        - input_dim: D, the size of one flattened input.
        - hidden_dim: H, the number of hidden units.
        - num_classes: C, the number of classes.
        - weight_scale: standard deviation of the initial weights, which are
          drawn from a normal distribution centered on 0 (np.random.randn, so
          np.random.seed makes the draw repeatable). The biases start at zero.
        - reg: L2 regularization strength (see the class docstring).
        """
        self.params = {}
        self.reg = reg
        # TODO: Initialize W1, b1, W2 and b2 in self.params: weights from a
        # normal distribution with mean 0 and standard deviation weight_scale,
        # biases zero.
        self.params["W1"] = np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        """Scores, or the loss and its gradients, for a minibatch.

        Inputs:
        - X: array of shape (N, d_1, ..., d_k) with d_1 * ... * d_k = D.
        - y: integer array of shape (N,) with 0 <= y[i] < C, or None.

        Returns:
        - If y is None: scores, array of shape (N, C).
        - Otherwise a tuple:
          - loss: float, the mean softmax loss plus the regularization term.
          - grads: dict with the keys of self.params; grads[k] is the gradient
            of loss with respect to self.params[k] and has its shape.
        """
        scores = None
        # TODO: Compute the class scores with the forward pass.
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        hidden, hidden_cache = affine_relu_forward(X, W1, b1)
        scores, scores_cache = affine_forward(hidden, W2, b2)

        if y is None:
            return scores

        loss, grads = 0.0, {}
        # TODO: Compute the loss (softmax plus 0.5 * reg * sum of squared
        # weights) and the gradient of every parameter with the backward pass.
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, scores_cache)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, hidden_cache)
        grads["W2"] += self.reg * W2
        grads["W1"] += self.reg * W1
        return loss, grads
