"""The judge: a small CNN that classifies MNIST digits, trained by the course.

Generative_Adversarial_Networks.ipynb uses it to judge generated digits: how
confidently it recognizes each sample as some digit, which digits appear, and
an FID-style distance between its features of generated and of real digits.
The course trains it (`python -m models train mnist_classifier`, about 99% test
accuracy) and ships its weights as models/mnist_classifier.npz in the assignment
folder: arrays only, read with allow_pickle=False.

Images enter as float tensors of shape (N, 1, 28, 28) or (N, 784) with pixels
in [0, 1] (ToTensor's range; map a generator's [-1, 1] output with
gan_pytorch.deprocess_img first).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS = "models/mnist_classifier.npz"  # relative to the assignment folder
FEATURE_DIM = 128


class MNISTClassifier(nn.Module):
    """conv 5x5 (16) - relu - pool - conv 5x5 (32) - relu - pool - fc 128 - relu - fc 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5, padding=2)
        self.fc1 = nn.Linear(32 * 7 * 7, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, 10)

    def features(self, x):
        """Images (N, 1, 28, 28) or (N, 784) in [0, 1] -> features (N, 128), the input of the last layer."""
        x = x.reshape(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x):
        """Images (N, 1, 28, 28) or (N, 784) in [0, 1] -> class scores (N, 10)."""
        return self.fc2(self.features(x))


def state_arrays(model):
    """The model's state_dict as NumPy arrays (what np.savez writes): float32, integer entries
    (BatchNorm's num_batches_tracked) kept as they are."""
    arrays = {}
    for name, value in model.state_dict().items():
        value = value.detach().cpu().numpy()
        arrays[name] = value.astype(np.float32) if value.dtype.kind == "f" else value
    return arrays


def load_classifier(path=None):
    """The judge with the weights of the .npz file `path` (default: WEIGHTS), in eval mode.

    Raises FileNotFoundError if the file is missing, ValueError if it does not
    hold exactly the judge's arrays with their shapes.
    """
    path = WEIGHTS if path is None else path
    model = MNISTClassifier()
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    with np.load(path, allow_pickle=False) as saved:
        found = {k: tuple(saved[k].shape) for k in saved.files}
        if found != expected:
            raise ValueError(f"{path} does not hold the judge's weights: arrays {found}, expected {expected}")
        model.load_state_dict({k: torch.from_numpy(saved[k]) for k in saved.files})
    return model.eval()


@torch.no_grad()
def judge(model, images, batch_size=500):
    """The judge's verdict on images (N, 784) or (N, 1, 28, 28) in [0, 1].

    Returns (labels, confidences, features): int64 array (N,) of predicted digits,
    float array (N,) of their softmax probabilities, float64 array (N, 128) of features.
    """
    labels, confidences, features = [], [], []
    for start in range(0, len(images), batch_size):
        f = model.features(torch.as_tensor(images[start:start + batch_size], dtype=torch.float32))
        p = F.softmax(model.fc2(f), dim=1)
        confidence, label = p.max(dim=1)
        labels.append(label.numpy())
        confidences.append(confidence.numpy())
        features.append(f.double().numpy())
    return np.concatenate(labels), np.concatenate(confidences), np.concatenate(features)


def frechet_distance(features_a, features_b):
    """The Fréchet distance between Gaussians fitted to two sets of features (FID's formula).

    d = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2), features (N, D) and (M, D).
    """
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)

    def sqrt_psd(m):
        w, v = np.linalg.eigh((m + m.T) / 2)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    root_a = sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)
