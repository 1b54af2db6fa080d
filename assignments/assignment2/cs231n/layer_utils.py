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
    raise NotImplementedError('Copy your solution of affine_relu_forward from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of affine_relu_backward from assignment1 (see the TODO above)')
    return dx, dw, db


from .fast_layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
from .layers import (batchnorm_backward, batchnorm_forward, layernorm_backward, layernorm_forward,
                     spatial_batchnorm_backward, spatial_batchnorm_forward)


def affine_norm_relu_forward(x, w, b, gamma, beta, norm_param, normalization):
    """An affine layer, an optional normalization, then a ReLU (given).

    Inputs:
    - x: array of shape (N, d_1, ..., d_k), flattened to (N, D) as in affine_forward.
    - w: array of shape (D, M); b: array of shape (M,).
    - gamma, beta: arrays of shape (M,), the normalization's scale and shift
      (ignored when normalization is None).
    - norm_param: the bn_param of batchnorm_forward or the ln_param of
      layernorm_forward (ignored when normalization is None).
    - normalization: "batchnorm", "layernorm" or None.

    Returns a tuple:
    - out: array of shape (N, M).
    - cache: (fc_cache, norm_cache, relu_cache, normalization), for
      affine_norm_relu_backward.
    """
    a, fc_cache = affine_forward(x, w, b)
    norm_cache = None
    if normalization == "batchnorm":
        a, norm_cache = batchnorm_forward(a, gamma, beta, norm_param)
    elif normalization == "layernorm":
        a, norm_cache = layernorm_forward(a, gamma, beta, norm_param)
    elif normalization is not None:
        raise ValueError(f'Invalid normalization "{normalization}"')
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, norm_cache, relu_cache, normalization)


def affine_norm_relu_backward(dout, cache):
    """Backward pass of affine_norm_relu_forward (given).

    Inputs:
    - dout: upstream gradient, array of shape (N, M).
    - cache: as returned by affine_norm_relu_forward.

    Returns a tuple:
    - dx: array of shape (N, d_1, ..., d_k); dw: (D, M); db: (M,).
    - dgamma, dbeta: arrays of shape (M,), or None without normalization.
    """
    fc_cache, norm_cache, relu_cache, normalization = cache
    da = relu_backward(dout, relu_cache)
    dgamma = dbeta = None
    if normalization == "batchnorm":
        da, dgamma, dbeta = batchnorm_backward(da, norm_cache)
    elif normalization == "layernorm":
        da, dgamma, dbeta = layernorm_backward(da, norm_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_forward(x, w, b, conv_param):
    """A convolution followed by a ReLU, with the fast convolution (given).

    Inputs:
    - x: array of shape (N, C, H, W); w: (F, C, HH, WW); b: (F,).
    - conv_param: dict with stride and pad, as in conv_forward_naive.

    Returns a tuple:
    - out: array of shape (N, F, H', W').
    - cache: (conv_cache, relu_cache), for conv_relu_backward.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    """Backward pass of conv_relu_forward (given).

    Inputs:
    - dout: upstream gradient, array of shape (N, F, H', W').
    - cache: (conv_cache, relu_cache) as returned by conv_relu_forward.

    Returns a tuple:
    - dx: (N, C, H, W); dw: (F, C, HH, WW); db: (F,).
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return conv_backward_fast(da, conv_cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """A convolution, a ReLU and a max pool, with the fast layers (given).

    Inputs:
    - x: array of shape (N, C, H, W); w: (F, C, HH, WW); b: (F,).
    - conv_param: dict with stride and pad.
    - pool_param: dict with pool_height, pool_width and stride.

    Returns a tuple:
    - out: array of shape (N, F, H'', W''), the pooled feature maps.
    - cache: (conv_cache, relu_cache, pool_cache), for conv_relu_pool_backward.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    """Backward pass of conv_relu_pool_forward (given).

    Inputs:
    - dout: upstream gradient, array of shape (N, F, H'', W'').
    - cache: as returned by conv_relu_pool_forward.

    Returns a tuple:
    - dx: (N, C, H, W); dw: (F, C, HH, WW); db: (F,).
    """
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    return conv_backward_fast(da, conv_cache)


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """A convolution, spatial batch normalization and a ReLU (given).

    Inputs:
    - x: array of shape (N, C, H, W); w: (F, C, HH, WW); b: (F,).
    - gamma, beta: arrays of shape (F,), the normalization's scale and shift.
    - conv_param: dict with stride and pad.
    - bn_param: dict as in spatial_batchnorm_forward.

    Returns a tuple:
    - out: array of shape (N, F, H', W').
    - cache: (conv_cache, bn_cache, relu_cache), for conv_bn_relu_backward.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (conv_cache, bn_cache, relu_cache)


def conv_bn_relu_backward(dout, cache):
    """Backward pass of conv_bn_relu_forward (given).

    Inputs:
    - dout: upstream gradient, array of shape (N, F, H', W').
    - cache: as returned by conv_bn_relu_forward.

    Returns a tuple:
    - dx: (N, C, H, W); dw: (F, C, HH, WW); db: (F,); dgamma, dbeta: (F,).
    """
    conv_cache, bn_cache, relu_cache = cache
    dan = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(dan, bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta
