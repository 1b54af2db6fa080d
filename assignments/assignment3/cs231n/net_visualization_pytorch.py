"""Looking inside a trained CNN through the gradient of its scores with respect to the image.

Network_Visualization.ipynb works through this file from top to bottom:

- saliency maps: which pixels the correct class score is most sensitive to,
  `compute_saliency_maps`;
- fooling images: the smallest push that makes the network see another
  class, `make_fooling_image`;
- class visualization: an image synthesized to maximize a class score,
  `class_visualization_update_step`, run by the given loop
  `create_class_visualization` with the given regularizers `jitter` and
  `blur_image`.

Images are float tensors of shape (N, 3, H, W), normalized as the model
expects (cs231n.squeezenet.preprocess). The model is a trained classifier in
eval mode whose parameters do not require gradients (load_pretrained_cnn
gives one): model(X) returns class scores of shape (N, C), the unnormalized
scores before any softmax. Use them as they are; never change the model
(no .train(), no optimizer on its parameters).

The images you are given may or may not require gradients: make a tensor that
does (e.g. X.clone().requires_grad_()) before the forward pass whose gradient
you need.
"""
import numpy as np
import torch
import torch.nn.functional as F


def compute_saliency_maps(X, y, model):
    """Saliency maps of images for their correct classes.

    The saliency of a pixel is the absolute value of the gradient of the
    correct class score (the unnormalized score, not a probability or a loss)
    with respect to that pixel, maximized over the 3 color channels.

    Inputs:
    - X: float tensor of shape (N, 3, H, W), the images.
    - y: int64 tensor of shape (N,), the correct labels, in 0..C-1.
    - model: the trained classifier (eval mode; do not change it).

    Returns a tensor of shape (N, H, W) with the dtype of X: saliency[i] is the
    map of image i for the score of class y[i]. X itself is not modified.
    """
    saliency = None
    # TODO: Compute the correct class scores of all images in one forward pass,
    # backpropagate their sum to the images (each image's score depends on that
    # image only), and take the absolute value of the gradient, maximized over
    # the channel dimension.
    raise NotImplementedError('Complete compute_saliency_maps (see the TODO above)')
    return saliency


def make_fooling_image(X, target_y, model, learning_rate=1.0, max_steps=100):
    """An image close to X that the model classifies as target_y.

    Gradient ascent on the target class score (the unnormalized score) with
    respect to the image, with steps of fixed length: each step adds
    learning_rate * g / ||g||, where g is the gradient of the target score
    with respect to the image and ||g|| its L2 norm over all its entries.
    Before each step, check the model's prediction: stop as soon as it is
    target_y (no step at all if X is already classified as target_y), and
    after max_steps steps at the most.

    Inputs:
    - X: float tensor of shape (1, 3, H, W), one image.
    - target_y: int in 0..C-1, the class the model should predict.
    - model: the trained classifier (eval mode; do not change it).
    - learning_rate: float, the length of each step.
    - max_steps: int, the most steps to take.

    Returns X_fooling, a tensor of the shape and dtype of X. X itself is not modified.
    """
    X_fooling = X.detach().clone()
    # TODO: Repeat: compute the scores of X_fooling; if the predicted class is
    # target_y, stop; otherwise take the gradient of the target score with
    # respect to X_fooling and add the normalized step to X_fooling.
    raise NotImplementedError('Complete make_fooling_image (see the TODO above)')
    return X_fooling


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    """One step of gradient ascent on a class score, regularized: updates img in place.

    The objective is  s_y(img) - l2_reg * ||img||^2,  where s_y is the score
    (unnormalized) of class target_y and ||img||^2 the sum of the squares of
    all entries of img. With g the gradient of the objective with respect to
    img, the step is  img += learning_rate * g / ||g||  (||g|| the L2 norm of g).

    Inputs:
    - img: float tensor of shape (1, 3, H, W), updated in place (it may or may
      not require gradients).
    - model: the trained classifier (eval mode; do not change it).
    - target_y: int in 0..C-1.
    - l2_reg: float, the strength of the L2 regularization.
    - learning_rate: float, the length of the step.

    Returns nothing.
    """
    # TODO: Compute the objective and its gradient with respect to img (on a
    # copy of img that requires gradients), then update img in place (under
    # torch.no_grad(), or through img.data).
    raise NotImplementedError('Complete class_visualization_update_step (see the TODO above)')


def jitter(X, ox, oy):
    """X shifted cyclically by ox pixels to the right and oy pixels down.

    Inputs: X, a tensor of shape (N, C, H, W); ox, oy: ints (negative shifts left / up).
    Returns a new tensor of the same shape; jitter(jitter(X, ox, oy), -ox, -oy) is X.
    """
    return torch.roll(X, shifts=(oy, ox), dims=(2, 3))


def blur_image(X, sigma=1.0):
    """X blurred with a Gaussian of standard deviation sigma pixels, each channel on its own.

    Inputs: X, a float tensor of shape (N, C, H, W); sigma, a float (0: no blur).
    Returns a new tensor of the same shape (borders reflected).
    """
    if sigma <= 0:
        return X.clone()
    radius = max(1, int(round(3 * sigma)))
    radius = min(radius, X.shape[2] - 1, X.shape[3] - 1)
    offsets = torch.arange(-radius, radius + 1, dtype=X.dtype, device=X.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = X.shape[1]
    padded = F.pad(X, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def create_class_visualization(target_y, model, mean, std, image_size=32, l2_reg=1e-3, learning_rate=1.0,
                               num_iterations=200, blur_every=10, blur_sigma=0.5, max_jitter=2,
                               seed=0, callback=None, every=None):
    """An image that the model scores highly for class target_y (given).

    Starts from random noise and repeats class_visualization_update_step, with
    two regularizers that keep the image natural: a random jitter of the image
    before each step (undone after it) and a blur every blur_every steps; pixels
    are kept in the range of real images.

    Inputs:
    - target_y: int, the class to visualize; model: the trained classifier.
    - mean, std: per-channel normalization of the model's inputs (model.mean, model.std).
    - image_size: int, the height and width of the image.
    - l2_reg, learning_rate: passed to class_visualization_update_step.
    - num_iterations: int; blur_every: int (0: never); blur_sigma: float; max_jitter: int pixels.
    - seed: int, for the starting noise and the jitter.
    - callback: None or a function callback(t, img) called every `every` iterations and at the end.

    Returns the image, a float32 tensor of shape (1, 3, image_size, image_size), normalized.
    """
    generator = torch.Generator().manual_seed(seed)
    img = torch.randn(1, 3, image_size, image_size, generator=generator)
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    low, high = -mean / std, (1 - mean) / std
    img = torch.max(torch.min(img, high), low)
    for t in range(num_iterations):
        ox, oy = torch.randint(-max_jitter, max_jitter + 1, (2,), generator=generator).tolist()
        img = jitter(img, ox, oy)
        class_visualization_update_step(img, model, target_y, l2_reg, learning_rate)
        img = jitter(img.detach(), -ox, -oy)
        img = torch.max(torch.min(img, high), low)
        if blur_every and t % blur_every == blur_every - 1:
            img = blur_image(img, sigma=blur_sigma)
        if callback is not None and ((every and t % every == 0) or t == num_iterations - 1):
            callback(t, img)
    return img.detach()


def saliency_center_share(saliency, margin=0.25):
    """The share of each map's total saliency inside the central region (given).

    The central region leaves out `margin` of the height and of the width on
    each side (margin 0.25: the middle half in each direction, a quarter of the
    area). Input (N, H, W); returns a NumPy array (N,) of shares in [0, 1].
    """
    saliency = torch.as_tensor(saliency).detach().double()
    H, W = saliency.shape[1:]
    top, left = int(round(margin * H)), int(round(margin * W))
    inside = saliency[:, top:H - top, left:W - left].sum(dim=(1, 2))
    return (inside / saliency.sum(dim=(1, 2)).clamp_min(1e-30)).numpy()


def magnify(difference):
    """A difference of two images (1, 3, H, W) for display (given): (H, W, 3) in [0, 1], 0.5 where
    they agree, stretched so that the largest difference reaches 0 or 1."""
    d = torch.as_tensor(difference).detach().double()[0].permute(1, 2, 0)
    return (0.5 + d / (2 * d.abs().max().clamp_min(1e-12))).numpy()
