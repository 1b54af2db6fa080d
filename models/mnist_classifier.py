"""The judge of generated digits (Generative_Adversarial_Networks.ipynb): a small MNIST CNN.

Architecture: cs231n/mnist_classifier.py. Trained with Adam on the 60,000
training digits for two epochs, on one CPU thread (a few minutes); the figures
are its accuracy on the 10,000 test digits and the training time.
"""
import sys
import time
from pathlib import Path

import numpy as np

ASSIGNMENT = "assignment3"
WEIGHTS = "models/mnist_classifier.npz"
SEED = 0
EPOCHS = 2
BATCH_SIZE = 128
LEARNING_RATE = 1e-3


def train(out_path, seed):
    import torch
    import torch.nn.functional as F

    source = str(Path(__file__).resolve().parents[1] / "source")
    if source not in sys.path:  # the architecture is course code in source/cs231n/
        sys.path.insert(0, source)
    from cs231n.mnist_classifier import MNISTClassifier, judge, state_arrays
    from cs231n.mnist_data import mnist_arrays

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x_train, y_train = mnist_arrays(train=True)
    x_test, y_test = mnist_arrays(train=False)
    model = MNISTClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x_train), generator=generator)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    labels, _, _ = judge(model, x_test)
    np.savez(out_path, **state_arrays(model))
    return {"test_accuracy": round(float(np.mean(labels == y_test.numpy())), 4), "epochs": EPOCHS,
            "train_seconds": round(seconds, 1)}
