"""The course's pretrained CNN: a small SqueezeNet trained on CIFAR-10, and its loader.

Network_Visualization.ipynb and Style_Transfer.ipynb need a trained network
before you write anything. The course trains one itself
(`python -m models train cifar_squeezenet`) and ships its weights as
models/cifar_squeezenet.npz in the assignment folder: arrays only, read with
allow_pickle=False.

SqueezeNetCIFAR has torchvision's SqueezeNet layout, so the same notebook
code runs on either network:
- `model.features`: an nn.Sequential (a stem convolution, max pools and Fire
  modules); `model.features[i]` or iterating over it gives intermediate
  activations (style transfer reads them).
- `model.classifier`: dropout, a 1x1 convolution to class scores, global
  average pooling, flatten.
It is fully convolutional: images (N, 3, H, W) of any size H, W >= 32.

If you have torchvision's ImageNet SqueezeNet 1.1 weights as a state-dict
file (.pth), `load_pretrained_cnn(path)` gives torchvision.models.squeezenet1_1
with them, and the ImageNet preprocessing constants.
"""
import os
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

WEIGHTS = "models/cifar_squeezenet.npz"  # relative to the assignment folder
CIFAR10_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# Per-channel mean and standard deviation of the CIFAR-10 training images, pixels in [0, 1].
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
# torchvision's ImageNet constants (what its pretrained SqueezeNet expects).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

IMAGENET_VAL_FILE = "imagenet_val_25.npz"


class Fire(nn.Module):
    """SqueezeNet's Fire module: squeeze 1x1, then expand 1x1 and 3x3, concatenated on channels.

    Like torchvision's Fire, with batch normalization after the squeeze and after
    the concatenated expand convolutions (it makes the small network train in a
    few epochs). Input (N, inplanes, H, W), output (N, expand1x1_planes + expand3x3_planes, H, W).
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1, bias=False)
        self.squeeze_bn = nn.BatchNorm2d(squeeze_planes)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1, bias=False)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1, bias=False)
        self.expand_bn = nn.BatchNorm2d(expand1x1_planes + expand3x3_planes)
        self.expand_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze_bn(self.squeeze(x)))
        return self.expand_activation(self.expand_bn(torch.cat([self.expand1x1(x), self.expand3x3(x)], 1)))


class SqueezeNetCIFAR(nn.Module):
    """A small SqueezeNet for 32x32 images (about 0.26 M parameters, 1 MB of float32).

    features: conv 3x3 (48) - BN - ReLU - maxpool 2 - Fire(64) - maxpool 2
              - Fire(192) - Fire(192) - maxpool 2 - Fire(320) - Fire(320)
    classifier: dropout - conv 1x1 (num_classes) - adaptive avg pool 1x1 - flatten.
    The class scores are not passed through a ReLU (torchvision's are): they
    can be negative, and their gradient never vanishes because of it.

    Input (N, 3, H, W) normalized with CIFAR_MEAN / CIFAR_STD; output scores (N, num_classes).
    """

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(3, 48, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(48),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),       # 16 x 16
            Fire(48, 16, 32, 32),
            nn.MaxPool2d(kernel_size=2, stride=2),       # 8 x 8
            Fire(64, 32, 96, 96),
            Fire(192, 32, 96, 96),
            nn.MaxPool2d(kernel_size=2, stride=2),       # 4 x 4
            Fire(192, 48, 160, 160),
            Fire(320, 48, 160, 160),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.2),
            nn.Conv2d(320, num_classes, kernel_size=1),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def state_arrays(model):
    """The model's state_dict as NumPy arrays (what np.savez writes): float32, int64 counters kept."""
    arrays = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        arrays[k] = v.numpy() if not v.is_floating_point() else v.float().numpy()
    return arrays


def _assignment_dir():
    return Path(__file__).resolve().parent.parent


def _default_weights():
    """WEIGHTS in the assignment folder: beside cs231n/ (a release), else the working directory."""
    beside = _assignment_dir() / WEIGHTS
    return beside if beside.is_file() else Path(WEIGHTS)


def _load_npz(path):
    model = SqueezeNetCIFAR()
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    try:
        saved = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz file of SqueezeNetCIFAR weights ({exc}); "
                         "run `python -m models train cifar_squeezenet` or restore the file") from None
    with saved:
        try:
            found = {k: tuple(saved[k].shape) for k in saved.files}
            arrays = {k: saved[k] for k in saved.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path} is damaged ({exc}); run `python -m models train cifar_squeezenet` "
                             "or restore the file") from None
    if found != expected:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        wrong = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
        detail = "; ".join(part for part in (
            f"missing {missing[:3]}" if missing else "",
            f"unexpected {extra[:3]}" if extra else "",
            "wrong shapes " + ", ".join(f"{k} {found[k]} (expected {expected[k]})" for k in wrong[:3]) if wrong else "",
        ) if part)
        raise ValueError(f"{path} does not hold SqueezeNetCIFAR's weights: {detail}")
    state = {}
    for k, v in arrays.items():
        reference = model.state_dict()[k]
        if v.dtype.kind not in "fiu":
            raise ValueError(f"{path}: array {k} has dtype {v.dtype}, expected numbers")
        state[k] = torch.from_numpy(np.ascontiguousarray(v)).to(reference.dtype)
    model.load_state_dict(state)
    return model


def _load_torchvision(path):
    import torchvision
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged or unsafe file
        raise ValueError(f"{path} is not a readable state-dict file ({type(exc).__name__}: {exc})") from None
    model = torchvision.models.squeezenet1_1()
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} does not hold torchvision squeezenet1_1 weights: {exc}") from None
    return model


def load_pretrained_cnn(path=None):
    """The pretrained CNN, in eval mode, with every parameter's requires_grad off.

    Inputs:
    - path: None for the course's CIFAR-10 SqueezeNet (models/cifar_squeezenet.npz
      in the assignment folder), a .npz file of SqueezeNetCIFAR weights, or a .pth
      file holding torchvision's squeezenet1_1 state dict (ImageNet weights).

    Returns the model (SqueezeNetCIFAR or torchvision's SqueezeNet). It carries, as
    attributes, what you need to feed it:
    - model.mean, model.std: per-channel tuples for preprocess / deprocess
    - model.class_names: a tuple of class names (ImageNet's are numbered if unknown)
    - model.image_size: the native image size (32 for CIFAR-10, 224 for ImageNet)
    - model.dataset: "cifar10" or "imagenet"

    Raises FileNotFoundError (saying what to run) if the file is missing and
    ValueError if it does not hold the expected weights.
    """
    path = _default_weights() if path is None else Path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} does not exist: the course's CIFAR-10 SqueezeNet is trained with "
            "`python -m models train cifar_squeezenet` (it ships in models/ of the assignment folder)"
            if path.suffix != ".pth" else f"{path} does not exist: give the path of a squeezenet1_1 .pth file")
    if path.suffix in (".pth", ".pt"):
        model = _load_torchvision(path)
        meta = dict(mean=IMAGENET_MEAN, std=IMAGENET_STD, image_size=224, dataset="imagenet",
                    class_names=_imagenet_class_names())
    else:
        model = _load_npz(path)
        meta = dict(mean=CIFAR_MEAN, std=CIFAR_STD, image_size=32, dataset="cifar10",
                    class_names=CIFAR10_CLASSES)
    model.eval()
    model.requires_grad_(False)
    for k, v in meta.items():
        setattr(model, k, v)
    return model


def _imagenet_class_names():
    """ImageNet's class names from imagenet_val_25.npz if it is there, else "class 0" ... "class 999"."""
    names = {}
    try:
        from .data_utils import data_dir
        names = _read_label_map(os.path.join(data_dir(), IMAGENET_VAL_FILE))
    except (OSError, ValueError):
        pass
    return tuple(names.get(i, f"class {i}") for i in range(1000))


def preprocess(img, mean=CIFAR_MEAN, std=CIFAR_STD):
    """uint8 image(s) (H, W, 3) or (N, H, W, 3), values 0..255 -> float32 tensor (N, 3, H, W), normalized.

    Pass the model's mean and std (model.mean, model.std) for another network.
    """
    x = torch.as_tensor(np.asarray(img), dtype=torch.float32) / 255.0
    if x.ndim == 3:
        x = x[None]
    x = x.permute(0, 3, 1, 2)
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def deprocess(x, mean=CIFAR_MEAN, std=CIFAR_STD, rescale=False):
    """Normalized tensor (N, 3, H, W) or (3, H, W) -> uint8 array (N, H, W, 3) or (H, W, 3).

    rescale=True stretches each image to the full 0..255 range first (for
    images such as class visualizations that leave the data's range).
    """
    x = torch.as_tensor(x).detach().cpu().float()
    single = x.ndim == 3
    if single:
        x = x[None]
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    x = x * std + mean
    if rescale:
        low = x.amin(dim=(1, 2, 3), keepdim=True)
        high = x.amax(dim=(1, 2, 3), keepdim=True)
        x = (x - low) / (high - low).clamp_min(1e-8)
    out = (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out[0] if single else out


def load_cifar_test_images(num=None, seed=None):
    """CIFAR-10 test images: (X uint8 (N, 32, 32, 3), y int64 (N,), class_names).

    num: how many (the first num, or num drawn without replacement with `seed`); None for all 10,000.
    """
    from .data_utils import cifar10_dir, load_CIFAR_batch
    X, y = load_CIFAR_batch(os.path.join(cifar10_dir(), "test_batch"), dtype=np.uint8)
    if num is not None:
        if seed is None:
            idx = np.arange(min(num, len(X)))
        else:
            idx = np.random.default_rng(seed).choice(len(X), size=min(num, len(X)), replace=False)
        X, y = X[idx], y[idx]
    return X, y, CIFAR10_CLASSES


def load_imagenet_val(num=None):
    """The 25 ImageNet validation images of imagenet_val_25.npz (in the data folder).

    Returns (X uint8 (N, 224, 224, 3), y int64 (N,), class_names dict {label: name}).
    Raises FileNotFoundError saying how to fetch the file.
    """
    from .data_utils import data_dir
    path = os.path.join(data_dir(), IMAGENET_VAL_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist; run `python get_datasets.py imagenet_val_25` in your "
                                "assignment folder (or set CS231N_DATA_DIR to the folder that holds it)")
    with np.load(path, allow_pickle=False) as f:
        X, y = f["X"], f["y"].astype(np.int64)
    names = _read_label_map(path)
    if num is not None:
        X, y = X[:num], y[:num]
    return np.asarray(X, dtype=np.uint8), y, names


def _read_label_map(path):
    """{label: name} from the label_map entry of imagenet_val_25.npz.

    CS231n stored it as a pickled dict in an object array, which
    np.load(allow_pickle=False) refuses. It is read here with an unpickler that
    only knows the few NumPy and codec functions that rebuild an array of
    strings, so a tampered file cannot run code; anything else is refused.
    """
    import codecs
    import pickle
    multiarray = getattr(np, "_core", None) or np.core
    allowed = {("numpy.core.multiarray", "_reconstruct"): multiarray.multiarray._reconstruct,
               ("numpy._core.multiarray", "_reconstruct"): multiarray.multiarray._reconstruct,
               ("numpy.core.multiarray", "scalar"): multiarray.multiarray.scalar,
               ("numpy._core.multiarray", "scalar"): multiarray.multiarray.scalar,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): codecs.encode}

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) not in allowed:
                raise ValueError(f"{path}: label_map refers to {module}.{name}, which is not allowed")
            return allowed[module, name]

    try:
        with zipfile.ZipFile(path) as z, z.open("label_map.npy") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            _, _, dtype = read_header(f)
            if dtype.hasobject:
                label_map = Restricted(f, encoding="latin1").load()
            else:
                label_map = np.load(path, allow_pickle=False)["label_map"]
    except (KeyError, zipfile.BadZipFile, pickle.UnpicklingError, EOFError) as exc:
        raise ValueError(f"{path} has no readable label_map ({exc}); fetch it again with "
                         "`python get_datasets.py imagenet_val_25 --force`") from None
    label_map = np.asarray(label_map)
    if label_map.ndim == 0:
        label_map = label_map.item()
    if isinstance(label_map, dict):
        return {int(k): str(v) for k, v in label_map.items()}
    label_map = np.asarray(label_map)
    if label_map.ndim == 1:
        return {i: str(n) for i, n in enumerate(label_map)}
    return {int(row[0]): str(row[1]) for row in label_map}
