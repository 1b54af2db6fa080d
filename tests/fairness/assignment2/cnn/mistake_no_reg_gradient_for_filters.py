# Mistake: ThreeLayerConvNet.loss regularizes W1 in the loss but leaves reg * W1 out of its gradient.
# Rewrites: ThreeLayerConvNet.loss
# Fails: test_cnn.py::test_regularization_convention
"""A small convolutional network built from the layers in layer_utils.py."""
import numpy as np

from ..layer_utils import affine_relu_backward, affine_relu_forward, conv_relu_pool_backward, conv_relu_pool_forward
from ..layers import affine_backward, affine_forward, softmax_loss


class ThreeLayerConvNet:
    """A three-layer convolutional network:

        conv - relu - 2x2 max pool - affine - relu - affine - softmax

    The convolution has F filters of size filter_size x filter_size, stride 1
    and pad (filter_size - 1) // 2, so for an odd filter_size it keeps the
    height and width of the input; the pool (2x2, stride 2) halves them.

    Regularization convention (as the fully connected nets): the loss
    includes 0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)); biases are
    not regularized.

    Attributes:
    - params: dict with (C, H, W = input_dim, F = num_filters,
      HH = filter_size, M = hidden_dim)
        W1: array of shape (F, C, HH, HH), the filters; b1: (F,)
        W2: array of shape (F * (H // 2) * (W // 2), M); b2: (M,)
        W3: array of shape (M, num_classes); b3: (num_classes,)
      all of dtype `dtype`.
    - reg, dtype: as given to __init__.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float32):
        """
        Inputs:
        - input_dim: (C, H, W), the shape of one input image.
        - num_filters: F, the number of filters of the convolution.
        - filter_size: the height and width of each filter (odd).
        - hidden_dim: M, the number of units of the hidden affine layer.
        - num_classes: the number of classes.
        - weight_scale: standard deviation of the initial weights, drawn from
          a normal distribution centered on 0 (np.random.randn).
        - reg: L2 regularization strength (see the class docstring).
        - dtype: NumPy dtype of the parameters and of the computation, or its
          name (np.float64 or "float64"; the grader passes names).
        """
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # TODO: Initialize W1, b1, W2, b2, W3 and b3 in self.params: weights
        # from a normal distribution with mean 0 and standard deviation
        # weight_scale, biases zero. The shapes are in the class docstring.
        C, H, W = input_dim
        pooled = num_filters * (H // 2) * (W // 2)
        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = weight_scale * np.random.randn(pooled, hidden_dim)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b3"] = np.zeros(num_classes)

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """Scores, or the loss and its gradients, for a minibatch.

        Inputs:
        - X: array of shape (N, C, H, W).
        - y: integer array of shape (N,) with 0 <= y[i] < num_classes, or None.

        Returns:
        - If y is None: scores, array of shape (N, num_classes).
        - Otherwise a tuple:
          - loss: float, the mean softmax loss plus the regularization term.
          - grads: dict with the keys of self.params; grads[k] is the gradient
            of loss with respect to self.params[k] and has its shape.
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # These keep the height and width through the convolution and halve
        # them in the pool (see the class docstring).
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        scores = None
        # TODO: Compute the class scores with the forward pass. The fast
        # sandwich layers of layer_utils.py (conv_relu_pool_forward,
        # affine_relu_forward) do most of the work.
        pooled, pool_cache = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)
        scores, scores_cache = affine_forward(hidden, W3, b3)

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: Compute the loss (softmax plus 0.5 * reg * sum of squared
        # weights) and the gradient of every parameter with the backward pass.
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, scores_cache)
        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, hidden_cache)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dpooled, pool_cache)
        grads["W2"] += self.reg * W2
        grads["W3"] += self.reg * W3
        return loss, grads
