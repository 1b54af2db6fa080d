"""The pretrained CNN of Network_Visualization.ipynb and Style_Transfer.ipynb: a small CIFAR-10 SqueezeNet.

Architecture: cs231n/squeezenet.py (SqueezeNetCIFAR). Trained on the 50,000
CIFAR-10 training images (random flips and 4-pixel-padded crops) with SGD,
Nesterov momentum and a one-cycle learning rate, in channels-last layout and,
where the CPU has bfloat16 kernels, under bfloat16 autocast (the weights stay
float32). The figures are its accuracy on the 10,000 test images and the time.
"""
import sys
import time
from pathlib import Path

import numpy as np

ASSIGNMENT = "assignment3"
WEIGHTS = "models/cifar_squeezenet.npz"
SEED = 0
EPOCHS = 6
THREADS = 1   # the machine is shared: one thread wastes nothing on waiting for a busy second core
BATCH_SIZE = 256
MAX_LR = 0.2
WEIGHT_DECAY = 5e-4
LABEL_SMOOTHING = 0.1


def _augment(x, generator):
    """Random horizontal flips and 4-pixel-padded random crops of a batch (N, 3, 32, 32)."""
    import torch
    import torch.nn.functional as F
    n = x.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    # One crop offset per group of a quarter of the batch: varied, and cheap to cut.
    out = torch.empty_like(x)
    offsets = torch.randint(0, 9, (4, 2), generator=generator).tolist()
    for g, (dy, dx) in enumerate(offsets):
        out[g::4] = padded[g::4, :, dy:dy + 32, dx:dx + 32]
    return out


def train(out_path, seed):
    import torch
    import torch.nn.functional as F

    source = str(Path(__file__).resolve().parents[1] / "source")
    if source not in sys.path:  # the architecture is course code in source/cs231n/
        sys.path.insert(0, source)
    from cs231n.data_utils import cifar10_dir, load_CIFAR10
    from cs231n.squeezenet import CIFAR_MEAN, CIFAR_STD, SqueezeNetCIFAR, state_arrays

    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir(), dtype=np.float32)
    mean = np.array(CIFAR_MEAN, dtype=np.float32) * 255
    std = np.array(CIFAR_STD, dtype=np.float32) * 255

    def to_tensor(X):
        return torch.from_numpy(((X - mean) / std).transpose(0, 3, 1, 2).copy())

    x_train, x_test = to_tensor(X_train), to_tensor(X_test)
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
    del X_train, X_test

    bf16 = bool(getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)())
    model = SqueezeNetCIFAR().to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": WEIGHT_DECAY},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=MAX_LR, momentum=0.9, nesterov=True)
    steps_per_epoch = (len(x_train) + BATCH_SIZE - 1) // BATCH_SIZE
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=MAX_LR, epochs=EPOCHS,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.25)
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x_train), generator=generator)
        total, count = 0.0, 0
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            x = _augment(x_train[batch], generator).contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                scores = model(x)
            loss = F.cross_entropy(scores.float(), y_train[batch], label_smoothing=LABEL_SMOOTHING)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(batch)
            count += len(batch)
            if (start // BATCH_SIZE) % 50 == 49:
                print(f"  epoch {epoch + 1} step {start // BATCH_SIZE + 1}/{steps_per_epoch}: loss {total / count:.3f}, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / count:.3f}, "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    model = model.to(memory_format=torch.contiguous_format).eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x_test), 1000):
            correct += int((model(x_test[start:start + 1000]).argmax(1) == y_test[start:start + 1000]).sum())
    np.savez(out_path, **state_arrays(model))
    return {"test_accuracy": round(correct / len(x_test), 4), "epochs": EPOCHS, "bfloat16_autocast": bf16,
            "train_seconds": round(seconds, 1),
            "parameters": int(sum(p.numel() for p in model.parameters()))}
