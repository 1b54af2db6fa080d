# Mistake (of convention): max_pool_backward_naive sends a window's gradient to every entry equal to
#   its maximum, where the docstring says the first one.
# Rewrites: max_pool_backward_naive
# Fails: test_conv_layers.py::test_max_pool_backward_ties_go_to_the_first_maximum
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

    out, cache = None, None
    if mode == "train":
        # TODO: Normalize x with the minibatch mean and variance of every
        # feature, scale and shift it, update the running averages and keep
        # in `cache` what the backward pass needs.
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x, x_hat, mean, var, inv_std, gamma, eps)
    elif mode == "test":
        # TODO: Normalize x with the running averages, then scale and shift it.
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
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
    dx, dgamma, dbeta = None, None, None
    # TODO: Backpropagate through every step of the forward pass.
    x, x_hat, mean, var, inv_std, gamma, eps = cache
    N, D = x.shape
    # The forward pass as a graph, one node per operation:
    #   mu = mean(x);  centered = x - mu;  var = mean(centered ** 2);  std = sqrt(var + eps)
    #   x_hat = centered / std;  out = gamma * x_hat + beta
    centered = x - mean
    std = np.sqrt(var + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    # x_hat = centered / std: both inputs get a gradient.
    dcentered = dx_hat / std
    dstd = -np.sum(dx_hat * centered, axis=0) / std ** 2
    # std = sqrt(var + eps)
    dvar = 0.5 * dstd / std
    # var = mean(squares), squares = centered ** 2
    dsquares = np.ones((N, D)) * dvar / N
    dcentered += 2 * centered * dsquares
    # centered = x - mu, mu = mean(x)
    dmu = -np.sum(dcentered, axis=0)
    dx = dcentered + np.ones((N, D)) * dmu / N
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
    dx, dgamma, dbeta = None, None, None
    # TODO: Compute the gradients with one simplified expression for dx.
    x, x_hat, mean, var, inv_std, gamma, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - np.mean(dx_hat, axis=0) - x_hat * np.mean(dx_hat * x_hat, axis=0))
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
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    # TODO: Normalize each row of x, then scale and shift every feature.
    # Hint: this is batch normalization on the transpose of x.
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    return out, cache


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
    dx, dgamma, dbeta = None, None, None
    # TODO: Compute the gradients; the statistics now run along the rows.
    x_hat, inv_std, gamma = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - np.mean(dx_hat, axis=1, keepdims=True)
                    - x_hat * np.mean(dx_hat * x_hat, axis=1, keepdims=True))
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

    mask, out = None, None
    if mode == "train":
        # TODO: Draw the mask (already divided by p) and apply it to x.
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        # TODO: Implement the test-time forward pass.
        out = x
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    Inputs:
    - dout: upstream gradient, array of any shape.
    - cache: (dropout_param, mask) as returned by dropout_forward.

    Returns:
    - dx: gradient with respect to x, array of the shape of dout.
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        # TODO: Pass the gradient through the kept units only (with their 1 / p).
        dx = dout * mask
    elif mode == "test":
        dx = dout
    return dx


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
    out = None
    # TODO: Pad x, then compute every output value; loops over the examples,
    # the filters and the output positions are fine here.
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out[n, :, i, j] = np.sum(w * window, axis=(1, 2, 3)) + b
    cache = (x, w, b, conv_param)
    return out, cache


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
    dx, dw, db = None, None, None
    # TODO: Every output value received w * window + b: send its gradient
    # back to the window of the padded input, to w and to b.
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows = slice(i * stride, i * stride + HH)
                cols = slice(j * stride, j * stride + WW)
                grad = dout[n, :, i, j]
                dw += grad[:, None, None, None] * x_pad[n, :, rows, cols]
                dx_pad[n, :, rows, cols] += np.tensordot(grad, w, axes=1)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


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
    out = None
    # TODO: Compute the maximum of every window.
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + pool_height, j * stride:j * stride + pool_width]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


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
    dx = None
    # TODO: Route the gradient of every window to its maximum.
    x, pool_param = cache
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    window = x[n, c, top:top + pool_height, left:left + pool_width]
                    is_max = window == window.max()
                    dx[n, c, top:top + pool_height, left:left + pool_width] += is_max * dout[n, c, i, j]
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
    out, cache = None, None
    # TODO: Reshape x so that batchnorm_forward does the work, then reshape
    # its output back. Mind the order of the axes.
    N, C, H, W = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, cache


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
    dx, dgamma, dbeta = None, None, None
    # TODO: Reshape dout, call a batchnorm backward pass and reshape dx back.
    N, C, H, W = dout.shape
    drows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_rows, dgamma, dbeta = batchnorm_backward(drows, cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
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
    out, cache = None, None
    eps = gn_param.get("eps", 1e-5)
    # TODO: Normalize every group of every example, then scale and shift
    # every channel.
    N, C, H, W = x.shape
    groups = x.reshape(N, G, C // G, H, W)
    mean = np.mean(groups, axis=(2, 3, 4), keepdims=True)
    var = np.var(groups, axis=(2, 3, 4), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((groups - mean) * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, G)
    return out, cache


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
    dx, dgamma, dbeta = None, None, None
    # TODO: Compute the gradients; each group is normalized like one row in
    # layer normalization.
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(N, G, C // G, H, W)
    x_hat_groups = x_hat.reshape(N, G, C // G, H, W)
    dx = inv_std * (dx_hat - np.mean(dx_hat, axis=(2, 3, 4), keepdims=True)
                    - x_hat_groups * np.mean(dx_hat * x_hat_groups, axis=(2, 3, 4), keepdims=True))
    dx = dx.reshape(N, C, H, W)
    return dx, dgamma, dbeta
