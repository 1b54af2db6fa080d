"""Neural style transfer (Gatys et al., 2016) in PyTorch.

Style_Transfer.ipynb works through this file from top to bottom:

- the content loss, how far an image's features are from the content image's:
  `content_loss`;
- the Gram matrix of a layer's features, the statistics style is made of:
  `gram_matrix`;
- the style loss, how far an image's Gram matrices are from the style image's,
  over several layers: `style_loss`;
- the total-variation loss, which keeps the image smooth: `tv_loss`.

Features are what one layer of a pretrained CNN computes: float tensors of
shape (N, C, H, W) (N = 1 for the one image being optimized). Images fed to
the CNN are normalized tensors of shape (1, 3, H, W) (`preprocess`).

Given: `extract_features` (every layer's activations), `image_losses` (the
three losses of one image), `preprocess` and `deprocess` (uint8 images <->
normalized tensors), and the optimization loop
`style_transfer`, which also does feature inversion (content loss only) and
texture synthesis (style loss only) from a random image.

Every loss returns a scalar tensor (shape ()) that autograd can differentiate:
write it with torch operations, and do not modify the inputs in place.
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import squeezenet
from .squeezenet import IMAGENET_MEAN, IMAGENET_STD


def content_loss(content_weight, content_current, content_original):
    """The content loss: content_weight times the sum of squared feature differences.

    Inputs:
    - content_weight: float, the weight w_c of the content loss.
    - content_current: tensor of shape (1, C, H, W), the features of the current image at the
      content layer.
    - content_original: tensor of shape (1, C, H, W), the features of the content image at the
      same layer.

    Returns a scalar tensor: w_c * sum over every c, h, w of (current - original) ** 2.
    """
    # TODO: Compute the content loss (no loops; a few torch operations).
    raise NotImplementedError('Complete content_loss (see the TODO above)')


def gram_matrix(features, normalize=True):
    """The Gram matrix of each image's features: the inner products of every pair of channels.

    Inputs:
    - features: tensor of shape (N, C, H, W), the features of N images.
    - normalize: bool; if True, divide the Gram matrix by the number of values per image,
      H * W * C.

    Returns a tensor of shape (N, C, C): gram[n, i, j] = sum over h, w of
    features[n, i, h, w] * features[n, j, h, w] (divided by H * W * C if normalize).
    """
    # TODO: Compute the Gram matrices of all N images at once (reshape, then a batched
    # matrix product).
    raise NotImplementedError('Complete gram_matrix (see the TODO above)')


def style_loss(feats, style_layers, style_targets, style_weights):
    """The style loss: a weighted sum, over the style layers, of squared Gram matrix differences.

    Inputs:
    - feats: list of the current image's features at every layer, as extract_features
      returns them; feats[i] has shape (1, C_i, H_i, W_i).
    - style_layers: list of L layer indices into feats.
    - style_targets: list of L tensors; style_targets[l] has shape (1, C, C), the Gram matrix
      (gram_matrix with normalize=True) of the style image's features at layer style_layers[l].
    - style_weights: list of L floats; style_weights[l] weighs layer style_layers[l].

    Returns a scalar tensor: the sum over l of
    style_weights[l] * sum over i, j of (G_l[i, j] - style_targets[l][i, j]) ** 2,
    where G_l = gram_matrix(feats[style_layers[l]]).
    """
    # TODO: Compute the style loss, using your gram_matrix (one loop over the style layers).
    raise NotImplementedError('Complete style_loss (see the TODO above)')


def tv_loss(img, tv_weight):
    """The total-variation loss: tv_weight times the sum of squared differences of neighbours.

    Inputs:
    - img: tensor of shape (N, C, H, W) (for style transfer (1, 3, H, W)), the image.
    - tv_weight: float, the weight w_t of the loss.

    Returns a scalar tensor: w_t * (the sum over every pixel and channel of the squared difference
    with the pixel below it + the sum of the squared difference with the pixel to its right).
    """
    # TODO: Compute the total-variation loss without loops (slice the image).
    raise NotImplementedError('Complete tv_loss (see the TODO above)')


# ------------------------------------------------------------------ given

def extract_features(x, cnn):
    """The activations of every layer of a CNN for the input x.

    Inputs:
    - x: tensor of shape (N, 3, H, W), preprocessed images.
    - cnn: a model whose `.features` is an nn.Sequential (SqueezeNet's layout), or an
      nn.Sequential itself.

    Returns a list: element i is the output of the i-th child of the Sequential, a tensor of
    shape (N, C_i, H_i, W_i). A layer that works in place (nn.ReLU(inplace=True)) overwrites
    the entry before it, so that entry holds the layer's output too.
    """
    layers = cnn.features if hasattr(cnn, "features") else cnn
    features = []
    for layer in layers.children():
        x = layer(x)
        features.append(x)
    return features


def image_losses(img, cnn, content_layer, content_target, content_weight, style_layers, style_targets,
                 style_weights, tv_weight):
    """The three losses of an image, with your content_loss, style_loss and tv_loss.

    Inputs:
    - img: tensor of shape (1, 3, H, W), the preprocessed image being optimized.
    - cnn: see extract_features.
    - content_layer, content_weight, style_layers, style_weights, tv_weight: see style_transfer.
    - content_target: tensor of shape (1, C, H_c, W_c), the content image's features at content_layer.
    - style_targets: list of tensors of shape (1, C_l, C_l), the style image's Gram matrices at
      style_layers.

    Returns a tensor of shape (3,): the content, the style and the total-variation loss.
    """
    feats = extract_features(img, cnn)
    losses = (content_loss(content_weight, feats[content_layer], content_target),
              style_loss(feats, style_layers, style_targets, style_weights),
              tv_loss(img, tv_weight))
    return torch.stack([torch.as_tensor(loss, dtype=img.dtype).reshape(()) for loss in losses])


def image_statistics(cnn):
    """(mean, std) the CNN expects its inputs normalized with: the `mean` and `std` attributes
    load_pretrained_cnn gives it, ImageNet's for a network without them."""
    mean = getattr(cnn, "mean", IMAGENET_MEAN)
    std = getattr(cnn, "std", IMAGENET_STD)
    return tuple(float(m) for m in np.ravel(mean)), tuple(float(s) for s in np.ravel(std))


def preprocess(img, size=None, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """A uint8 image as the CNN's input, resized.

    Inputs:
    - img: uint8 array of shape (H, W, 3), RGB.
    - size: int or None; if given, the shorter side is resized to `size` pixels (bilinear,
      antialiased) and the aspect ratio kept.
    - mean, std: three floats each, the normalization of pixels in [0, 1] (the CNN's
      model.mean and model.std).

    Returns a float32 tensor of shape (1, 3, H', W').
    """
    if size is not None:
        x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float()
        height, width = x.shape[2:]
        scale = size / min(height, width)
        x = F.interpolate(x, size=(round(height * scale), round(width * scale)), mode="bilinear",
                          align_corners=False, antialias=True)
        img = x.clamp(0, 255).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
    return squeezenet.preprocess(img, mean, std)


def deprocess(x, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """The inverse of preprocess: a tensor of shape (1, 3, H, W) as a uint8 array (H, W, 3)."""
    return squeezenet.deprocess(x[0], mean, std)


def style_transfer(cnn, content_img, style_img, image_size, style_size, content_layer, content_weight,
                   style_layers, style_weights, tv_weight, init_random=False, num_iters=200,
                   initial_lr=3.0, decayed_lr=0.1, seed=0):
    """Optimize an image to have the content of one image and the style of another.

    Inputs:
    - cnn: the pretrained CNN (eval mode, parameters not requiring gradients); see extract_features.
    - content_img, style_img: uint8 arrays of shape (H, W, 3), RGB.
    - image_size: int, the shorter side of the content (and generated) image.
    - style_size: int, the shorter side of the style image.
    - content_layer: int, the layer (index into extract_features' list) of the content loss.
    - content_weight: float, its weight (0 for texture synthesis).
    - style_layers: list of ints, the layers of the style loss.
    - style_weights: list of floats, one per style layer (all 0 for feature inversion).
    - tv_weight: float, the weight of the total-variation loss.
    - init_random: bool; start from random noise instead of the content image.
    - num_iters: int, Adam steps on the image; the learning rate drops from initial_lr to
      decayed_lr for the last tenth of them, and for the last twentieth the pixels are no
      longer clamped to the valid range.
    - seed: int, seeds the random initial image.

    Returns (image, losses): image a uint8 array (H', W', 3); losses a dict of lists, one value
    per iteration, under "content", "style", "tv" and "total".
    """
    mean, std = image_statistics(cnn)
    content = preprocess(content_img, image_size, mean, std)
    style = preprocess(style_img, style_size, mean, std)
    with torch.no_grad():
        content_target = extract_features(content, cnn)[content_layer].clone()
        style_feats = extract_features(style, cnn)
        style_targets = [gram_matrix(style_feats[i]).clone() for i in style_layers]

    # The valid pixel range [0, 1], in normalized units, channel by channel.
    low = ((0 - torch.tensor(mean)) / torch.tensor(std)).view(1, 3, 1, 1)
    high = ((1 - torch.tensor(mean)) / torch.tensor(std)).view(1, 3, 1, 1)
    if init_random:
        generator = torch.Generator().manual_seed(seed)
        img = low + (high - low) * torch.rand(content.shape, generator=generator)
    else:
        img = content.clone()
    img.requires_grad_(True)

    optimizer = torch.optim.Adam([img], lr=initial_lr)
    decay_at, stop_clamping_at = int(0.9 * num_iters), int(0.95 * num_iters)
    losses = {"content": [], "style": [], "tv": [], "total": []}
    for t in range(num_iters):
        if t < stop_clamping_at:
            with torch.no_grad():
                img.copy_(torch.maximum(torch.minimum(img, high), low))
        if t == decay_at:
            for group in optimizer.param_groups:
                group["lr"] = decayed_lr
        optimizer.zero_grad()
        parts = image_losses(img, cnn, content_layer, content_target, content_weight, style_layers,
                             style_targets, style_weights, tv_weight)
        loss = parts.sum()
        loss.backward()
        optimizer.step()
        for key, value in zip(("content", "style", "tv", "total"), (*parts.detach(), loss.detach())):
            losses[key].append(float(value))
    return deprocess(img, mean, std), losses
