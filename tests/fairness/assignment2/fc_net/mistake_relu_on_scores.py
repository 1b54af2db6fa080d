# Mistake: FullyConnectedNet.loss puts a ReLU after the last affine layer too (forward and backward).
# Rewrites: FullyConnectedNet.loss
# Fails: test_fc_net.py::test_scores_match
#        test_fc_net.py::test_loss_and_gradients_match
"""Fully connected networks built from the layers in layers.py and layer_utils.py."""
from ..layers import relu_backward, relu_forward
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
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
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


from ..layer_utils import affine_norm_relu_backward, affine_norm_relu_forward
from ..layers import dropout_backward, dropout_forward


class FullyConnectedNet:
    """A fully connected network with any number of hidden layers.

    With L - 1 hidden layers the architecture is

        {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where normalization and dropout are optional; the {...} block repeats
    L - 1 times.

    Regularization convention (as TwoLayerNet): the loss includes
    0.5 * reg * sum over layers of sum(W_i**2); biases and the normalization
    parameters gamma and beta are not regularized.

    Attributes:
    - params: dict with, for layer i = 1 ... L,
        W{i}: array of shape (D_{i-1}, D_i), weights (D_0 = input_dim, D_L = num_classes)
        b{i}: array of shape (D_i,), biases
      and, with normalization, for the hidden layers i = 1 ... L - 1 only,
        gamma{i}: array of shape (D_i,), scale (starts at ones)
        beta{i}: array of shape (D_i,), shift (starts at zeros)
      All of dtype `dtype`.
    - num_layers: L.
    - normalization, reg, dtype, use_dropout: as given to __init__.
    - dropout_param: dict passed to every dropout layer ({} without dropout).
    - bn_params: list of L - 1 dicts, one per hidden layer, passed to its
      normalization layer (it keeps batchnorm's running averages); [] without
      normalization.
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Inputs:
        - hidden_dims: list of the sizes of the hidden layers [D_1, ..., D_{L-1}].
        - input_dim: D_0, the size of one flattened input.
        - num_classes: D_L, the number of classes.
        - dropout_keep_ratio: probability of keeping a unit in the dropout
          layers; 1 means no dropout.
        - normalization: "batchnorm", "layernorm" or None.
        - reg: L2 regularization strength (see the class docstring).
        - weight_scale: standard deviation of the initial weights, drawn from
          a normal distribution centered on 0 (np.random.randn).
        - dtype: NumPy dtype of all parameters and of the computation, or its
          name (np.float64 or "float64"; the grader passes names); float32
          is faster, float64 is needed for numerical gradient checks.
        - seed: when given, the dropout layers use this seed, so they drop
          the same units every call (for gradient checks).
        """
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # TODO: Initialize W1, b1, ..., WL, bL in self.params: weights from a
        # normal distribution with mean 0 and standard deviation weight_scale,
        # biases zero. With normalization, add gamma{i} (ones) and beta{i}
        # (zeros) for every hidden layer i = 1 ... L - 1.
        dims = [input_dim, *hidden_dims, num_classes]
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(dims[i])
                self.params[f"beta{i}"] = np.zeros(dims[i])

        # Every dropout layer gets the same dict, so setting its mode once
        # switches them all.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # One dict per normalization layer: batchnorm keeps each layer's
        # running averages in its own dict.
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """Scores, or the loss and its gradients, for a minibatch.

        Without labels the network runs in test mode (dropout off, batchnorm
        with its running averages); with labels in training mode.

        Inputs:
        - X: array of shape (N, d_1, ..., d_k) with d_1 * ... * d_k = input_dim.
        - y: integer array of shape (N,) with 0 <= y[i] < num_classes, or None.

        Returns:
        - If y is None: scores, array of shape (N, num_classes).
        - Otherwise a tuple:
          - loss: float, the mean softmax loss plus the regularization term.
          - grads: dict with the keys of self.params; grads[k] is the gradient
            of loss with respect to self.params[k] and has its shape.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        scores = None
        # TODO: Compute the class scores with the forward pass, keeping every
        # layer's cache. Use affine_norm_relu_forward (layer_utils.py) for the
        # hidden layers, pass layer i its self.bn_params[i - 1], and apply
        # dropout_forward with self.dropout_param after every hidden layer
        # when self.use_dropout.
        caches = []
        hidden = X
        for i in range(1, self.num_layers):
            gamma, beta, norm_param = None, None, None
            if self.normalization is not None:
                gamma, beta = self.params[f"gamma{i}"], self.params[f"beta{i}"]
                norm_param = self.bn_params[i - 1]
            hidden, layer_cache = affine_norm_relu_forward(hidden, self.params[f"W{i}"], self.params[f"b{i}"],
                                                           gamma, beta, norm_param, self.normalization)
            dropout_cache = None
            if self.use_dropout:
                hidden, dropout_cache = dropout_forward(hidden, self.dropout_param)
            caches.append((layer_cache, dropout_cache))
        L = self.num_layers
        scores, scores_cache = affine_forward(hidden, self.params[f"W{L}"], self.params[f"b{L}"])
        scores, top_cache = relu_forward(scores)

        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        # TODO: Compute the loss (softmax plus 0.5 * reg * sum of squared
        # weights) and the gradient of every parameter with the backward pass.
        data_loss, dscores = softmax_loss(scores, y)
        weights = [self.params[f"W{i}"] for i in range(1, L + 1)]
        loss = data_loss + 0.5 * self.reg * sum(np.sum(W * W) for W in weights)
        dscores = relu_backward(dscores, top_cache)
        dhidden, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, scores_cache)
        for i in range(L - 1, 0, -1):
            layer_cache, dropout_cache = caches[i - 1]
            if self.use_dropout:
                dhidden = dropout_backward(dhidden, dropout_cache)
            dhidden, grads[f"W{i}"], grads[f"b{i}"], dgamma, dbeta = affine_norm_relu_backward(dhidden, layer_cache)
            if self.normalization is not None:
                grads[f"gamma{i}"], grads[f"beta{i}"] = dgamma, dbeta
        for i in range(1, L + 1):
            grads[f"W{i}"] += self.reg * self.params[f"W{i}"]
        return loss, grads
