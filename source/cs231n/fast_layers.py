"""Fast convolution and max-pooling layers, in plain NumPy (given: nothing to write here).

They compute what conv_forward_naive / max_pool_forward_naive and their
backward passes in layers.py compute, with the same inputs, outputs and
caches' roles, but without Python loops over the examples or the pixels:

- Convolution is turned into one matrix product ("im2col"). A strided view
  of the padded input (np.lib.stride_tricks.as_strided, no copy) holds every
  HH x WW window; reshaped to columns, the whole layer is
  w.reshape(F, -1) @ columns. The backward pass is two more products, and
  the column gradient is added back into the image with one vectorized add
  per filter offset (HH * WW of them), which handles overlapping windows.
- Max pooling with square windows that tile the input (pool size == stride,
  dividing H and W; the 2x2, stride 2 pooling of most networks) is a reshape
  to (N, C, H/p, p, W/p, p) and a max over the two window axes. Other
  windows use the same strided view as the convolution.

Use them in networks (layer_utils.py, classifiers/cnn.py); use the naive
versions to understand the layers and to check these.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided


def _windows(x, height, width, stride):
    """A read-only view of every height x width window of x, without copying.

    Inputs:
    - x: array of shape (N, C, H, W).
    - height, width: window size.
    - stride: pixels between neighbouring windows.

    Returns:
    - view: array of shape (N, C, H', W', height, width) with
      H' = 1 + (H - height) // stride, W' = 1 + (W - width) // stride;
      view[n, c, i, j] is the window whose top-left pixel is
      x[n, c, i * stride, j * stride].
    """
    N, C, H, W = x.shape
    H_out = 1 + (H - height) // stride
    W_out = 1 + (W - width) // stride
    sn, sc, sh, sw = x.strides
    return as_strided(x, shape=(N, C, H_out, W_out, height, width),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def _add_windows(dx, dwindows, stride):
    """Add the gradient of every window back into dx, in place.

    Inputs:
    - dx: array of shape (N, C, H, W), the gradient to add into.
    - dwindows: array of shape (N, C, H', W', height, width), the gradient of
      each window (as laid out by _windows).
    - stride: pixels between neighbouring windows.

    One vectorized add per offset (k, l) inside the window: offset (k, l) of
    window (i, j) is pixel (i * stride + k, j * stride + l), and for a fixed
    offset these pixels never collide, so overlapping windows add up right.
    """
    _, _, H_out, W_out, height, width = dwindows.shape
    for k in range(height):
        for l in range(width):
            dx[:, :, k:k + stride * H_out:stride, l:l + stride * W_out:stride] += dwindows[:, :, :, :, k, l]


def conv_forward_fast(x, w, b, conv_param):
    """Forward pass of a convolutional layer, vectorized (im2col).

    Inputs and outputs as conv_forward_naive:
    - x: array of shape (N, C, H, W).
    - w: array of shape (F, C, HH, WW).
    - b: array of shape (F,).
    - conv_param: dict with stride and pad.

    Returns a tuple:
    - out: array of shape (N, F, H', W'), H' = 1 + (H + 2 * pad - HH) // stride
      and W' likewise.
    - cache: (x.shape, w, the im2col columns, conv_param), for conv_backward_fast.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = _windows(x_pad, HH, WW, stride)                 # (N, C, H', W', HH, WW)
    H_out, W_out = windows.shape[2], windows.shape[3]
    # Rows: (c, k, l) in the order of w's last three axes; columns: (n, i, j).
    columns = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * HH * WW, N * H_out * W_out)
    out = w.reshape(F, -1) @ columns + b.reshape(F, 1)       # (F, N * H' * W')
    out = np.ascontiguousarray(out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3))
    cache = (x.shape, w, columns, conv_param)
    return out, cache


def conv_backward_fast(dout, cache):
    """Backward pass of conv_forward_fast.

    Inputs:
    - dout: upstream gradient, array of shape (N, F, H', W').
    - cache: as returned by conv_forward_fast.

    Returns a tuple (as conv_backward_naive):
    - dx: array of shape (N, C, H, W).
    - dw: array of shape (F, C, HH, WW).
    - db: array of shape (F,).
    """
    x_shape, w, columns, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)    # (F, N * H' * W')
    db = dout_rows.sum(axis=1)
    dw = (dout_rows @ columns.T).reshape(w.shape)
    dcolumns = w.reshape(F, -1).T @ dout_rows                 # (C * HH * WW, N * H' * W')
    dwindows = dcolumns.reshape(C, HH, WW, N, H_out, W_out).transpose(3, 0, 4, 5, 1, 2)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcolumns.dtype)
    _add_windows(dx_pad, dwindows, stride)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def _tiles(x, pool_param):
    """Whether the pooling windows tile x exactly (square, size == stride, dividing H and W)."""
    height, width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H, W = x.shape
    return height == width == stride and H % height == 0 and W % width == 0


def max_pool_forward_fast(x, pool_param):
    """Forward pass of a max-pooling layer, vectorized.

    Inputs and outputs as max_pool_forward_naive:
    - x: array of shape (N, C, H, W).
    - pool_param: dict with pool_height, pool_width and stride.

    Returns a tuple:
    - out: array of shape (N, C, H', W'), H' = 1 + (H - pool_height) // stride
      and W' likewise.
    - cache: for max_pool_backward_fast.
    """
    height, width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    if _tiles(x, pool_param):
        blocks = x.reshape(N, C, H // height, height, W // width, width)
        out = blocks.max(axis=(3, 5))
        return out, ("reshape", x, out)
    windows = _windows(x, height, width, stride)
    flat = windows.reshape(*windows.shape[:4], height * width)
    # argmax picks the first maximum, like the naive backward pass.
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, ("windows", x, argmax, pool_param)


def max_pool_backward_fast(dout, cache):
    """Backward pass of max_pool_forward_fast.

    Inputs:
    - dout: upstream gradient, array of shape (N, C, H', W').
    - cache: as returned by max_pool_forward_fast.

    Returns:
    - dx: gradient with respect to x, array of shape (N, C, H, W). Each
      window's gradient goes to its maximum (with tiling windows, to every
      entry equal to the maximum; ties have probability 0 for real-valued
      inputs).
    """
    if cache[0] == "reshape":
        _, x, out = cache
        N, C, H, W = x.shape
        H_out, W_out = out.shape[2], out.shape[3]
        blocks = x.reshape(N, C, H_out, H // H_out, W_out, W // W_out)
        is_max = blocks == out[:, :, :, None, :, None]
        dx = is_max * dout[:, :, :, None, :, None]
        return dx.reshape(x.shape)
    _, x, argmax, pool_param = cache
    height, width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    one_hot = argmax[..., None] == np.arange(height * width)
    dwindows = (one_hot * dout[..., None]).reshape(*dout.shape, height, width)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    _add_windows(dx, dwindows, stride)
    return dx
