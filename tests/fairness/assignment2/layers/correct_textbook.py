# Correct: batchnorm with the variance as mean(x**2) - mean**2, test mode as one scale and shift,
#   the cache (x, mean, var, gamma, eps) and the backward passes of the paper (dvar, dmean);
#   layernorm the same along the rows; dropout with np.random.random_sample and np.where;
#   convolution and pooling with np.lib.stride_tricks.sliding_window_view and einsum, the
#   convolution's backward pass one filter offset at a time; spatial batchnorm and its backward
#   pass written out per channel; group norm as rows of (N * G, -1).
# Rewrites: batchnorm_forward, batchnorm_backward, batchnorm_backward_alt, layernorm_forward, layernorm_backward,
#   dropout_forward, dropout_backward, conv_forward_naive, conv_backward_naive, max_pool_forward_naive,
#   max_pool_backward_naive, spatial_batchnorm_forward, spatial_batchnorm_backward,
#   spatial_groupnorm_forward, spatial_groupnorm_backward
"""Layers of a neural network, each a forward and a backward function.

    out, cache = layer_forward(x, ...)    # cache: what backward will need
    dx, ... = layer_backward(dout, cache) # dout: gradient of the loss wrt out

A backward function returns the gradient of the loss with respect to every
input of the forward function, each with the shape of that input. Loss
layers (svm_loss, softmax_loss) end a network: they return the loss and its
gradient with respect to the scores in one call.
"""
import numpy as np


def affine_forward(x, w, b):
    """Forward pass of an affine (fully connected) layer: out = x w + b.

    Each example may be an array of any shape (d_1, ..., d_k), for example an
    image of shape (32, 32, 3); it is flattened (row-major, like reshape) to a
    vector of length D = d_1 * ... * d_k first.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k), a minibatch of N examples.
    - w: array of shape (D, M), the weights.
    - b: array of shape (M,), the biases.

    Returns a tuple:
    - out: array of shape (N, M).
    - cache: (x, w, b), for affine_backward.
    """
    out = None
    # TODO: Flatten every example of x into a row and compute the output.
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of an affine layer.

    Inputs:
    - dout: upstream gradient, array of shape (N, M).
    - cache: (x, w, b) as returned by affine_forward:
      x of shape (N, d_1, ..., d_k), w of shape (D, M), b of shape (M,).

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, d_1, ..., d_k).
    - dw: gradient with respect to w, array of shape (D, M).
    - db: gradient with respect to b, array of shape (M,).
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: Compute dx, dw and db. dx must have the shape of x, not (N, D).
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    """Forward pass of a layer of rectified linear units: out = max(0, x).

    Inputs:
    - x: array of any shape.

    Returns a tuple:
    - out: array of the shape of x.
    - cache: x, for relu_backward.
    """
    out = None
    # TODO: Apply the ReLU elementwise.
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of a layer of rectified linear units.

    At x == 0, where ReLU has no derivative, use 0 (the unit counts as off).

    Inputs:
    - dout: upstream gradient, array of any shape.
    - cache: x, the input of relu_forward, array of the shape of dout.

    Returns:
    - dx: gradient with respect to x, array of the shape of x.
    """
    dx, x = None, cache
    # TODO: Pass the upstream gradient through where the unit was on.
    dx = dout * (x > 0)
    return dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the examples.

        loss = (1/N) * sum_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)

    Inputs:
    - x: scores, array of shape (N, C); x[i, j] is the score of class j for
      example i.
    - y: integer labels, array of shape (N,) with 0 <= y[i] < C.

    Returns a tuple:
    - loss: float.
    - dx: gradient of loss with respect to x, array of shape (N, C).
    """
    loss, dx = None, None
    # TODO: Compute the loss and its gradient without loops over the examples.
    num_examples = x.shape[0]
    rows = np.arange(num_examples)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / num_examples
    # Every violated margin adds 1 to its class's score gradient and
    # subtracts 1 from the correct class's.
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -np.sum(dx, axis=1)
    dx /= num_examples
    return loss, dx


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss, averaged over the examples.

        loss = (1/N) * sum_i -log(exp(x[i, y_i]) / sum_j exp(x[i, j]))

    Scores may be large (hundreds or more): subtract each row's maximum
    before exponentiating, which leaves the probabilities unchanged. A
    probability can still round to 0 (its log is then -inf): compute the
    log-probabilities as shifted - log(sum(exp(shifted))) rather than the log
    of a probability.

    Inputs:
    - x: scores, array of shape (N, C).
    - y: integer labels, array of shape (N,) with 0 <= y[i] < C.

    Returns a tuple:
    - loss: float (a Python or NumPy float).
    - dx: gradient of loss with respect to x, array of shape (N, C).
    """
    loss, dx = None, None
    # TODO: Compute the loss and its gradient without loops over the examples.
    num_examples = x.shape[0]
    rows = np.arange(num_examples)
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / num_examples
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= num_examples
    return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of batch normalization over a minibatch of feature vectors.

    In training mode every feature is normalized with the mean and the biased
    variance (np.var, dividing by N) of the minibatch, then scaled by gamma
    and shifted by beta:

        out = gamma * (x - mean) / sqrt(var + eps) + beta

    and running averages of the mean and variance are kept for test time:

        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var

    In test mode the running averages take the place of the minibatch
    statistics and are not changed.

    Inputs:
    - x: array of shape (N, D), a minibatch of N feature vectors.
    - gamma: array of shape (D,), the scale of each feature.
    - beta: array of shape (D,), the shift of each feature.
    - bn_param: dict with the keys
      - mode: "train" or "test" (required).
      - eps: constant added to the variance for numerical stability (default 1e-5).
      - momentum: weight of the old running averages (default 0.9).
      - running_mean: array of shape (D,), the running mean (default zeros).
      - running_var: array of shape (D,), the running variance (default zeros).
      In training mode, store the updated running_mean and running_var back
      into bn_param (bn_param["running_mean"] = ...), so the next call and
      test mode see them.

    Returns a tuple:
    - out: array of shape (N, D).
    - cache: whatever batchnorm_backward needs (your choice; in training mode
      only). The grader passes batchnorm_backward the cache your own
      batchnorm_forward returned for the same inputs.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = np.mean(x, axis=0)
        var = np.mean(x * x, axis=0) - mu * mu
        out = gamma * ((x - mu) / np.sqrt(var + eps)) + beta
        cache = (x, mu, var, gamma, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        scale = gamma / np.sqrt(running_var + eps)
        out = x * scale + (beta - running_mean * scale)
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (training mode), step by step.

    Work backwards through the computational graph of your forward pass, one
    elementary operation at a time (a subtraction, a mean, a square root,
    ...), as on paper.

    Inputs:
    - dout: upstream gradient, array of shape (N, D).
    - cache: the cache batchnorm_forward returned in training mode.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, D).
    - dgamma: gradient with respect to gamma, array of shape (D,).
    - dbeta: gradient with respect to beta, array of shape (D,).
    """
    x, mu, var, gamma, eps = cache
    N = x.shape[0]
    centered = x - mu
    x_hat = centered / np.sqrt(var + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * centered, axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dx_hat / np.sqrt(var + eps), axis=0) + dvar * np.mean(-2 * centered, axis=0)
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * centered / N + dmu / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization (training mode) in closed form.

    Work out the gradient with respect to x on paper first and simplify it
    into one expression; it should run faster than batchnorm_backward.

    Inputs:
    - dout: upstream gradient, array of shape (N, D).
    - cache: the cache batchnorm_forward returned in training mode.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, D).
    - dgamma: gradient with respect to gamma, array of shape (D,).
    - dbeta: gradient with respect to beta, array of shape (D,).
    """
    x, mu, var, gamma, eps = cache
    N = x.shape[0]
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = inv_std / N * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass of layer normalization.

    Every example (row of x) is normalized with the mean and the biased
    variance of its own D features, then scaled and shifted per feature:

        out = gamma * (x - mean_row) / sqrt(var_row + eps) + beta

    Training and test time behave the same, so there are no running averages.

    Inputs:
    - x: array of shape (N, D).
    - gamma: array of shape (D,), the scale of each feature.
    - beta: array of shape (D,), the shift of each feature.
    - ln_param: dict with the key
      - eps: constant added to the variance for numerical stability (default 1e-5).

    Returns a tuple:
    - out: array of shape (N, D).
    - cache: whatever layernorm_backward needs (your choice). The grader
      passes layernorm_backward the cache your own layernorm_forward returned
      for the same inputs.
    """
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return out, (x, mu, var, gamma, eps)


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Inputs:
    - dout: upstream gradient, array of shape (N, D).
    - cache: the cache layernorm_forward returned.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, D).
    - dgamma: gradient with respect to gamma, array of shape (D,).
    - dbeta: gradient with respect to beta, array of shape (D,).
    """
    x, mu, var, gamma, eps = cache
    D = x.shape[1]
    centered = x - mu
    std = np.sqrt(var + eps)
    dbeta = dout.sum(axis=0)
    dgamma = (dout * centered / std).sum(axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * centered, axis=1, keepdims=True) * -0.5 * std ** -3
    dmu = -np.sum(dx_hat, axis=1, keepdims=True) / std + dvar * np.mean(-2 * centered, axis=1, keepdims=True)
    dx = dx_hat / std + dvar * 2 * centered / D + dmu / D
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """Forward pass of inverted dropout.

    In training mode every unit is kept with probability p and set to 0
    otherwise; kept units are divided by p, so that the expected output
    equals x and test mode needs no rescaling. In test mode the layer is the
    identity.

    Inputs:
    - x: array of any shape.
    - dropout_param: dict with the keys
      - p: the probability of KEEPING each unit (0 < p <= 1).
      - mode: "train" or "test".
      - seed: optional; when given, call np.random.seed(seed) first, so the
        mask is repeatable (gradient checks need that).
      Draw the mask as np.random.rand(*x.shape) < p: the grader compares
      masks drawn with the same seed.

    Returns a tuple:
    - out: array of the shape and dtype of x.
    - cache: (dropout_param, mask), where mask is an array of the shape of x
      holding 1 / p where a unit is kept and 0 where it is dropped (in test
      mode mask is None).
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode not in ("train", "test"):
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    mask = None
    out = x
    if mode == "train":
        mask = np.where(np.random.random_sample(x.shape) < p, 1.0 / p, 0.0)
        out = (x * mask).astype(x.dtype)
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    Inputs:
    - dout: upstream gradient, array of any shape.
    - cache: (dropout_param, mask) as returned by dropout_forward.

    Returns:
    - dx: gradient with respect to x, array of the shape of dout.
    """
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout
    return np.where(mask != 0, dout * mask, 0.0)


def conv_forward_naive(x, w, b, conv_param):
    """Forward pass of a convolutional layer, with loops.

    The input has N examples of C channels, each H by W pixels. The layer
    has F filters, each spanning all C channels and HH by WW pixels. Before
    the convolution, x is padded with `pad` zeros on every side of its height
    and width; the filters then move by `stride` pixels at a time:

        out[n, f, i, j] = sum over c, k, l of
            w[f, c, k, l] * x_pad[n, c, i * stride + k, j * stride + l] + b[f]

    (a cross-correlation, like every deep learning library's "convolution").

    Inputs:
    - x: array of shape (N, C, H, W).
    - w: array of shape (F, C, HH, WW), the filters.
    - b: array of shape (F,), one bias per filter.
    - conv_param: dict with the keys
      - stride: pixels between neighbouring windows, in both directions.
      - pad: zeros added on each of the four sides; do not modify x itself
        (np.pad returns a new array).

    Returns a tuple:
    - out: array of shape (N, F, H', W') with
        H' = 1 + (H + 2 * pad - HH) // stride
        W' = 1 + (W + 2 * pad - WW) // stride
    - cache: (x, w, b, conv_param), for conv_backward_naive.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("ncijkl,fckl->nfij", windows, w) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """Backward pass of a convolutional layer, with loops.

    Inputs:
    - dout: upstream gradient, array of shape (N, F, H', W').
    - cache: (x, w, b, conv_param) as returned by conv_forward_naive.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, C, H, W) (the
      padding removed).
    - dw: gradient with respect to w, array of shape (F, C, HH, WW).
    - db: gradient with respect to b, array of shape (F,).
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dpadded = np.zeros(padded.shape)
    dw = np.zeros(w.shape)
    # One offset (k, l) inside the filter at a time: it meets the pixels k + i * stride.
    for k in range(HH):
        for l in range(WW):
            rows = slice(k, k + stride * (H_out - 1) + 1, stride)
            cols = slice(l, l + stride * (W_out - 1) + 1, stride)
            dw[:, :, k, l] = np.einsum("nfij,ncij->fc", dout, padded[:, :, rows, cols])
            dpadded[:, :, rows, cols] += np.einsum("nfij,fc->ncij", dout, w[:, :, k, l])
    db = dout.sum(axis=(0, 2, 3))
    return dpadded[:, :, pad:pad + H, pad:pad + W], dw, db


def max_pool_forward_naive(x, pool_param):
    """Forward pass of a max-pooling layer, with loops.

    Every channel is pooled separately: each output value is the largest
    value of a pool_height by pool_width window, the windows moving by
    `stride` pixels. There is no padding; windows that would run past the
    edge are left out.

    Inputs:
    - x: array of shape (N, C, H, W).
    - pool_param: dict with the keys
      - pool_height: height of a window.
      - pool_width: width of a window.
      - stride: pixels between neighbouring windows, in both directions.

    Returns a tuple:
    - out: array of shape (N, C, H', W') with
        H' = 1 + (H - pool_height) // stride
        W' = 1 + (W - pool_width) // stride
    - cache: (x, pool_param), for max_pool_backward_naive.
    """
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    windows = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    return windows.max(axis=(4, 5)), (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """Backward pass of a max-pooling layer, with loops.

    The gradient of each output value goes to the input value that was the
    maximum of its window (the first one, in row-major order, if several are
    equal). Where windows overlap (stride smaller than the window), the
    gradients an input value receives from several windows add up.

    Inputs:
    - dout: upstream gradient, array of shape (N, C, H', W').
    - cache: (x, pool_param) as returned by max_pool_forward_naive.

    Returns:
    - dx: gradient with respect to x, array of shape (N, C, H, W).
    """
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x, dtype=float)
    for index in np.ndindex(*dout.shape):
        n, c, i, j = index
        window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
        k, l = np.unravel_index(window.argmax(), window.shape)
        dx[n, c, i * s + k, j * s + l] += dout[index]
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of spatial batch normalization, for convolutional layers.

    Every channel is one feature: it is normalized with the mean and variance
    over all examples and all pixel positions (N * H * W values), in training
    mode, and with running averages in test mode, exactly as in
    batchnorm_forward (same bn_param, same running averages).

    Inputs:
    - x: array of shape (N, C, H, W).
    - gamma: array of shape (C,), the scale of each channel.
    - beta: array of shape (C,), the shift of each channel.
    - bn_param: dict as in batchnorm_forward (mode, eps, momentum,
      running_mean and running_var of shape (C,)).

    Returns a tuple:
    - out: array of shape (N, C, H, W).
    - cache: whatever spatial_batchnorm_backward needs (your choice). The
      grader passes spatial_batchnorm_backward the cache your own
      spatial_batchnorm_forward returned for the same inputs.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    C = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    cache = None
    if mode == "train":
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        std = np.sqrt(var + eps)
        x_hat = (x - mean[:, None, None]) / std[:, None, None]
        cache = (x_hat, std, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        x_hat = (x - running_mean[:, None, None]) / np.sqrt(running_var + eps)[:, None, None]
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma[:, None, None] * x_hat + beta[:, None, None], cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalization.

    Inputs:
    - dout: upstream gradient, array of shape (N, C, H, W).
    - cache: the cache spatial_batchnorm_forward returned.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, C, H, W).
    - dgamma: gradient with respect to gamma, array of shape (C,).
    - dbeta: gradient with respect to beta, array of shape (C,).
    """
    x_hat, std, gamma = cache
    N, C, H, W = dout.shape
    count = N * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dx_hat = dout * gamma[:, None, None]
    dx = (dx_hat - dx_hat.sum(axis=(0, 2, 3), keepdims=True) / count
          - x_hat * (dx_hat * x_hat).sum(axis=(0, 2, 3), keepdims=True) / count) / std[:, None, None]
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Forward pass of group normalization, for convolutional layers.

    The C channels of every example are split into G groups of C // G
    consecutive channels (channels 0 .. C/G - 1 form group 0, and so on).
    Each group of each example is normalized with the mean and the biased
    variance of its (C // G) * H * W values; then every channel is scaled and
    shifted. G = 1 is layer normalization over (C, H, W); G = C normalizes
    every channel of every example on its own. Training and test time behave
    the same.

    Inputs:
    - x: array of shape (N, C, H, W).
    - gamma: array of shape (1, C, 1, 1), the scale of each channel.
    - beta: array of shape (1, C, 1, 1), the shift of each channel.
    - G: number of groups, a divisor of C.
    - gn_param: dict with the key
      - eps: constant added to the variance for numerical stability (default 1e-5).

    Returns a tuple:
    - out: array of shape (N, C, H, W).
    - cache: whatever spatial_groupnorm_backward needs (your choice). The
      grader passes spatial_groupnorm_backward the cache your own
      spatial_groupnorm_forward returned for the same inputs.
    """
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    rows = x.reshape(N * G, -1)
    mean = rows.mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(rows.var(axis=1, keepdims=True) + eps)
    x_hat = ((rows - mean) * inv_std).reshape(N, C, H, W)
    return x_hat * gamma + beta, (x_hat, inv_std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    """Backward pass of group normalization.

    Inputs:
    - dout: upstream gradient, array of shape (N, C, H, W).
    - cache: the cache spatial_groupnorm_forward returned.

    Returns a tuple:
    - dx: gradient with respect to x, array of shape (N, C, H, W).
    - dgamma: gradient with respect to gamma, array of shape (1, C, 1, 1).
    - dbeta: gradient with respect to beta, array of shape (1, C, 1, 1).
    """
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(1, C, 1, 1)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3)).reshape(1, C, 1, 1)
    d = (dout * gamma).reshape(N * G, -1)
    xh = x_hat.reshape(N * G, -1)
    dx = inv_std * (d - d.mean(axis=1, keepdims=True) - xh * (d * xh).mean(axis=1, keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta
