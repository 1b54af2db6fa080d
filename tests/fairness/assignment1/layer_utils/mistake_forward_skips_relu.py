# Mistake: affine_relu_forward forgets the ReLU.
# Rewrites: affine_relu_forward
# Fails: test_layers.py::test_affine_relu_forward_is_affine_then_relu
""""Sandwich" layers: common sequences of layers from layers.py as one pair of
forward and backward functions, so a network's loss reads layer by layer.
"""
from .layers import affine_backward, affine_forward, relu_backward, relu_forward


def affine_relu_forward(x, w, b):
    """An affine layer followed by a ReLU: out = max(0, x w + b).

    Inputs:
    - x: array of shape (N, d_1, ..., d_k), flattened to (N, D) as in affine_forward.
    - w: array of shape (D, M), the weights.
    - b: array of shape (M,), the biases.

    Returns a tuple:
    - out: array of shape (N, M), the ReLU's output.
    - cache: (fc_cache, relu_cache), the caches of the two layers, for
      affine_relu_backward.
    """
    out, fc_cache, relu_cache = None, None, None
    # TODO: Chain affine_forward and relu_forward, keeping both caches.
    out, fc_cache = affine_forward(x, w, b)
    relu_cache = out
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """Backward pass of affine_relu_forward.

    Inputs:
    - dout: upstream gradient, array of shape (N, M).
    - cache: (fc_cache, relu_cache) as returned by affine_relu_forward:
      fc_cache = (x, w, b) and relu_cache = the affine output of shape (N, M).

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, d_1, ..., d_k).
    - dw: gradient with respect to w, array of shape (D, M).
    - db: gradient with respect to b, array of shape (M,).
    """
    fc_cache, relu_cache = cache
    dx, dw, db = None, None, None
    # TODO: Backpropagate through the ReLU, then through the affine layer.
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db
