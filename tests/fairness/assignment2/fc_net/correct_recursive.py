# Correct: a recursive forward and backward pass (one call per layer), regularization with
#   np.linalg.norm(W) ** 2, the parameters in one loop per layer with gamma and beta first.
# Rewrites: FullyConnectedNet.__init__, FullyConnectedNet.loss
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
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        self.params = {}
        sizes = [input_dim] + list(hidden_dims)
        for i in range(1, self.num_layers + 1):
            width = num_classes if i == self.num_layers else hidden_dims[i - 1]
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(width)
                self.params[f"beta{i}"] = np.zeros(width)
            self.params[f"W{i}"] = weight_scale * np.random.standard_normal((sizes[i - 1], width))
            self.params[f"b{i}"] = np.zeros((width,))

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if normalization == "layernorm":
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
        L = self.num_layers
        p = self.params

        def run(i, h):
            """Scores and the backward function from layer i on, for input h."""
            if i == L:
                scores, cache = affine_forward(h, p[f"W{L}"], p[f"b{L}"])
                return scores, lambda d: dict(zip(("dh", f"W{L}", f"b{L}"), affine_backward(d, cache)))
            norm = (p.get(f"gamma{i}"), p.get(f"beta{i}"), self.bn_params[i - 1] if self.bn_params else None)
            out, cache = affine_norm_relu_forward(h, p[f"W{i}"], p[f"b{i}"], *norm, self.normalization)
            drop = None
            if self.use_dropout:
                out, drop = dropout_forward(out, self.dropout_param)
            scores, back_rest = run(i + 1, out)

            def back(d):
                grads = back_rest(d)
                dout = grads.pop("dh")
                if self.use_dropout:
                    dout = dropout_backward(dout, drop)
                dh, grads[f"W{i}"], grads[f"b{i}"], dgamma, dbeta = affine_norm_relu_backward(dout, cache)
                if self.normalization is not None:
                    grads[f"gamma{i}"], grads[f"beta{i}"] = dgamma, dbeta
                grads["dh"] = dh
                return grads
            return scores, back

        scores, back = run(1, X)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = back(dscores)
        grads.pop("dh")
        for i in range(1, L + 1):
            W = p[f"W{i}"]
            loss += 0.5 * self.reg * np.linalg.norm(W) ** 2
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * W
        return loss, grads
