"""Trains a CaptioningTransformer on captioning data (given code).

    solver = CaptioningSolverTransformer(model, data, idx_to_word, num_epochs=2, batch_size=50,
                                         learning_rate=1e-3, lr_decay=0.5)
    solver.train()
    plt.plot(solver.loss_history)
"""
import torch
from torch.nn import functional as F

from .coco_utils import sample_coco_minibatch


def temporal_cross_entropy(scores, targets, null):
    """Summed cross-entropy of every non-<NULL> target word, averaged over the N captions.

    Inputs: scores (N, T, V), targets (N, T) word indices, null the index of <NULL>.
    Returns a scalar tensor. (The loss CaptioningRNN uses, in PyTorch.)
    """
    N, T, V = scores.shape
    losses = F.cross_entropy(scores.reshape(N * T, V), targets.reshape(N * T), reduction="none")
    return (losses * (targets.reshape(N * T) != null)).sum() / N


class CaptioningSolverTransformer:
    """Minibatch Adam on the captions of data["train_captions"], with teacher forcing.

    Each step samples a minibatch with sample_coco_minibatch (np.random: seed it
    to repeat a run); the model reads caption[:, :-1] and is scored on
    caption[:, 1:]. loss_history holds every step's loss. After each epoch the
    learning rate is multiplied by lr_decay (1.0: constant).
    """

    def __init__(self, model, data, idx_to_word, num_epochs=10, batch_size=100, learning_rate=1e-3,
                 lr_decay=1.0, print_every=10, verbose=True, device="cpu"):
        self.model, self.data, self.idx_to_word = model, data, idx_to_word
        self.num_epochs, self.batch_size, self.learning_rate = num_epochs, batch_size, learning_rate
        self.lr_decay = lr_decay
        self.print_every, self.verbose, self.device = print_every, verbose, device
        self.optim = torch.optim.Adam(self.model.parameters(), learning_rate)
        self.schedule = torch.optim.lr_scheduler.ExponentialLR(self.optim, gamma=lr_decay)
        self.loss_history = []

    def _step(self):
        captions, features, _ = sample_coco_minibatch(self.data, batch_size=self.batch_size, split="train")
        captions = torch.as_tensor(captions, dtype=torch.long, device=self.device)
        features = torch.as_tensor(features, dtype=torch.float32, device=self.device)
        scores = self.model(features, captions[:, :-1])
        loss = temporal_cross_entropy(scores, captions[:, 1:], self.model._null)
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        self.loss_history.append(loss.item())

    def train(self):
        """Runs num_epochs epochs of len(train_captions) / batch_size steps each."""
        self.model.train()
        steps_per_epoch = max(len(self.data["train_captions"]) // self.batch_size, 1)
        total = self.num_epochs * steps_per_epoch
        for t in range(total):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {total}) loss: {self.loss_history[-1]:f}")
            if (t + 1) % steps_per_epoch == 0:
                self.schedule.step()
        self.model.eval()
