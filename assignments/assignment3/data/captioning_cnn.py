"""Image features for the captioning scenes: a small CNN trained in the build, the stand-in for VGG-16 fc7.

COCO's captioning data ships each image's fc7 activations of an ImageNet VGG-16
(4096 numbers) and a 512-dimensional PCA copy. No pretrained network is
available here, so the build trains its own: four stride-2 convolutions and a
1024-unit fully connected layer, trained to say, for each quadrant of a scene,
which digit is there (or none), its colour and its size. The fully connected
layer's ReLU output is the raw feature (1024 numbers); PCA fitted on the train
features gives the 512-dimensional copy. Training on the train scenes only,
so val features are features of unseen images, as COCO's are.
"""
import time

import numpy as np

from . import captioning as scenes

FEATURE_DIM = 1024
PCA_DIM = 512
EPOCHS = 4
BATCH = 128
LEARNING_RATE = 4e-3
HEADS = (("digit", len(scenes.DIGITS)), ("colour", len(scenes.COLOURS)), ("size", len(scenes.SIZES)))


def make_net():
    """The feature CNN: (N, 3, 64, 64) floats in [0, 1] -> (features (N, 1024), logits (N, 4 * 21))."""
    import torch
    from torch import nn

    class SceneNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(3, 16, 5, stride=2, padding=2), nn.BatchNorm2d(16), nn.ReLU(),
                nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU())
            self.fc = nn.Linear(64 * 4 * 4, FEATURE_DIM)
            # one class more per head than there are values: "no digit in this quadrant"
            self.heads = nn.Linear(FEATURE_DIM, scenes.MAX_OBJECTS * sum(n + 1 for _, n in HEADS))

        def forward(self, x):
            features = torch.relu(self.fc(self.conv(x).flatten(1)))
            return features, self.heads(features)

    return SceneNet()


def targets(objects):
    """int64 (N, 4, 3): per quadrant the class of each head, the last class of a head meaning empty."""
    out = np.empty(objects.shape[:2] + (len(HEADS),), dtype=np.int64)
    empty = objects[:, :, 3] < 0
    for h, (_, n) in enumerate(HEADS):
        out[:, :, h] = np.where(empty, n, objects[:, :, h])
    return out


def _split_logits(logits):
    """[(N, 4, n + 1) logits of each head] from the network's (N, 4 * 21) output."""
    per_cell = logits.reshape(len(logits), scenes.MAX_OBJECTS, -1)
    out, start = [], 0
    for _, n in HEADS:
        out.append(per_cell[:, :, start:start + n + 1])
        start += n + 1
    return out


def _as_input(images):
    import torch
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)


def run_net(net, images, batch=500):
    """(features float32 (N, 1024), predicted classes int64 (N, 4, 3)) of uint8 images (N, 64, 64, 3)."""
    import torch

    features, predicted = [], []
    net.eval()
    with torch.no_grad():
        for start in range(0, len(images), batch):
            f, logits = net(_as_input(images[start:start + batch]))
            features.append(f.numpy())
            predicted.append(np.stack([part.argmax(-1).numpy() for part in _split_logits(logits)], axis=-1))
    return np.concatenate(features).astype(np.float32), np.concatenate(predicted)


def train(images, objects, seed, epochs=EPOCHS, log=print):
    """The trained CNN and its last epoch's mean loss."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = make_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    y = torch.from_numpy(targets(objects))
    order_rng = np.random.default_rng(seed)
    steps = epochs * ((len(images) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=steps)
    for epoch in range(epochs):
        net.train()
        order, total, started = order_rng.permutation(len(images)), 0.0, time.monotonic()
        for start in range(0, len(images), BATCH):
            idx = order[start:start + BATCH]
            _, logits = net(_as_input(images[idx]))
            loss = sum(F.cross_entropy(part.reshape(-1, part.shape[-1]), y[idx, :, h].reshape(-1))
                       for h, part in enumerate(_split_logits(logits)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(idx)
        log(f"  feature CNN epoch {epoch + 1}/{epochs}: loss {total / len(images):.4f} "
            f"({time.monotonic() - started:.0f} s)")
    return net, total / len(images)


def accuracy(predicted, objects):
    """Per head, the share of occupied quadrants predicted right; and of empty ones predicted empty."""
    truth = targets(objects)
    occupied = objects[:, :, 3] >= 0
    out = {f"val_{name}_accuracy": float((predicted[..., h] == truth[..., h])[occupied].mean())
           for h, (name, _) in enumerate(HEADS)}
    out["val_empty_accuracy"] = float((predicted[..., 0] == truth[..., 0])[~occupied].mean())
    return out


def fit_pca(features, dim=PCA_DIM):
    """(mean (D,), components (dim, D), explained variance share): PCA of train features, in float64.

    Each component's sign is fixed (its largest entry positive) so the copy does
    not depend on the eigen-solver's choice of sign.
    """
    x = features.astype(np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    values, vectors = np.linalg.eigh(centred.T @ centred / (len(x) - 1))
    top = np.argsort(values)[::-1][:dim]
    components = vectors[:, top].T
    signs = np.sign(components[np.arange(dim), np.abs(components).argmax(axis=1)])
    components *= signs[:, None]
    return mean, components, float(values[top].sum() / max(values.sum(), 1e-12))


def make_features(train_images, train_objects, val_images, val_objects, seed, epochs=None, log=print):
    """({"train", "val", "train_pca", "val_pca"} float32 features, a record of how they were made)."""
    import torch

    epochs = EPOCHS if epochs is None else epochs
    started = time.monotonic()
    net, loss = train(train_images, train_objects, seed, epochs, log)
    train_features, _ = run_net(net, train_images)
    val_features, predicted = run_net(net, val_images)
    dim = min(PCA_DIM, FEATURE_DIM, len(train_images) - 1)
    mean, components, explained = fit_pca(train_features, dim)
    features = {"train": train_features, "val": val_features}
    for split in ("train", "val"):
        features[f"{split}_pca"] = ((features[split] - mean) @ components.T).astype(np.float32)
    record = {"cnn": {
        "architecture": "conv5x5/2(16)-conv3x3/2(32)-conv3x3/2(64)-conv3x3/2(64), each with batchnorm and ReLU, then fc(1024)+ReLU; "
                        "heads per quadrant: digit (10+empty), colour (6+empty), size (2+empty)",
        "input": "uint8 RGB 64x64 / 255", "epochs": epochs, "batch": BATCH, "optimizer": "Adam, one-cycle lr",
        "max_learning_rate": LEARNING_RATE, "final_train_loss": round(loss, 4),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "seconds": round(time.monotonic() - started, 1), **accuracy(predicted, val_objects)},
        "features": {"raw": f"ReLU output of fc, float32 ({FEATURE_DIM})",
                     "pca": f"train-fitted PCA of the raw features, float32 ({dim}); "
                            f"explained variance share {explained:.4f}"}}
    record["cnn"]["val_digit_accuracy"] = round(record["cnn"]["val_digit_accuracy"], 4)
    return features, record
