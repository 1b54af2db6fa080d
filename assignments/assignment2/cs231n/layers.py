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
    raise NotImplementedError('Copy your solution of affine_forward from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of affine_backward from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of relu_forward from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of relu_backward from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of svm_loss from assignment1 (see the TODO above)')
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
    raise NotImplementedError('Copy your solution of softmax_loss from assignment1 (see the TODO above)')
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
        raise NotImplementedError('Complete batchnorm_forward (see the TODO above)')
    elif mode == "test":
        # TODO: Normalize x with the running averages, then scale and shift it.
        raise NotImplementedError('Complete batchnorm_forward (see the TODO above)')
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
    raise NotImplementedError('Complete batchnorm_backward (see the TODO above)')
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
    raise NotImplementedError('Complete batchnorm_backward_alt (see the TODO above)')
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
    raise NotImplementedError('Complete layernorm_forward (see the TODO above)')
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
    raise NotImplementedError('Complete layernorm_backward (see the TODO above)')
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
        raise NotImplementedError('Complete dropout_forward (see the TODO above)')
    elif mode == "test":
        # TODO: Implement the test-time forward pass.
        raise NotImplementedError('Complete dropout_forward (see the TODO above)')
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
        raise NotImplementedError('Complete dropout_backward (see the TODO above)')
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
    raise NotImplementedError('Complete conv_forward_naive (see the TODO above)')
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
    raise NotImplementedError('Complete conv_backward_naive (see the TODO above)')
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
    raise NotImplementedError('Complete max_pool_forward_naive (see the TODO above)')
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
    raise NotImplementedError('Complete max_pool_backward_naive (see the TODO above)')
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
    raise NotImplementedError('Complete spatial_batchnorm_forward (see the TODO above)')
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
    raise NotImplementedError('Complete spatial_batchnorm_backward (see the TODO above)')
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
    raise NotImplementedError('Complete spatial_groupnorm_forward (see the TODO above)')
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
    raise NotImplementedError('Complete spatial_groupnorm_backward (see the TODO above)')
    return dx, dgamma, dbeta
