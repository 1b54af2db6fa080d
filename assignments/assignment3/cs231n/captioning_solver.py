"""Trains a captioning model (CaptioningRNN) with minibatch gradient descent (given code).

    solver = CaptioningSolver(model, data, update_rule="adam", num_epochs=50, batch_size=25,
                              learning_rate=5e-3, lr_decay=0.95, print_every=10, seed=231)
    solver.train()
    plt.plot(solver.loss_history)

The model follows the course's interface: a `params` dict and
`loss(features, captions) -> (loss, grads)` with grads keyed like params.
The update rules live in this file, so this assignment needs no optim.py.
"""
import numpy as np

from .coco_utils import sample_coco_minibatch


def sgd(w, dw, config):
    """Plain gradient descent: w - learning_rate * dw. config: learning_rate (default 1e-2)."""
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def adam(w, dw, config):
    """Adam (Kingma and Ba, 2015) with bias-corrected moment estimates.

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8),
    and the state kept between calls: m, v (arrays of the shape of w) and t
    (the number of updates so far).
    """
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw ** 2
    m_hat = config["m"] / (1 - beta1 ** config["t"])
    v_hat = config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


UPDATE_RULES = {"sgd": sgd, "adam": adam}


class CaptioningSolver:
    """Minibatch training of a captioning model on data["train_captions"].

    Each step draws a minibatch with sample_coco_minibatch (np.random), takes
    the model's loss and gradients on it, and updates every parameter with
    the update rule. loss_history holds every step's loss.
    """

    def __init__(self, model, data, **kwargs):
        """
        Inputs:
        - model: an object with `params` and `loss(features, captions)`.
        - data: a dict as load_coco_data returns (train_captions,
          train_image_idxs, train_features, train_urls, ...).

        Optional keyword arguments:
        - update_rule: "adam" (default) or "sgd".
        - learning_rate: the update rule's learning rate (default 1e-3);
          it is multiplied by lr_decay after every epoch.
        - optim_config: dict of further hyperparameters of the update rule
          (beta1, beta2, epsilon for adam); a learning_rate in it is used when
          the learning_rate argument is not given.
        - lr_decay: factor applied to the learning rate after every epoch
          (default 1.0, no decay).
        - batch_size: captions per minibatch (default 100).
        - num_epochs: passes over the training captions (default 10).
        - print_every: print the loss every this many steps (default 10).
        - verbose: print progress at all (default True).
        - seed: when given, np.random is seeded with it as train() starts, so
          the minibatches (and so the run) repeat exactly; None (the default)
          uses np.random as it is.
        """
        self.model = model
        self.data = data

        self.update_rule_name = kwargs.pop("update_rule", "adam")
        self.optim_config = dict(kwargs.pop("optim_config", {}))
        learning_rate = kwargs.pop("learning_rate", None)
        if learning_rate is not None:
            self.optim_config["learning_rate"] = learning_rate
        self.optim_config.setdefault("learning_rate", 1e-3)
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.seed = kwargs.pop("seed", None)

        # A misspelled option would otherwise be ignored without a word.
        if kwargs:
            raise ValueError(f"Unrecognized arguments: {', '.join(sorted(kwargs))}")
        if self.update_rule_name not in UPDATE_RULES:
            raise ValueError(f'Invalid update_rule "{self.update_rule_name}": use one of {sorted(UPDATE_RULES)}')
        self.update_rule = UPDATE_RULES[self.update_rule_name]

        self._reset()

    def _reset(self):
        """Set up the bookkeeping; called by __init__, not meant to be called directly."""
        self.epoch = 0
        self.loss_history = []
        # Each parameter gets its own config: Adam keeps moments per parameter.
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One update of every parameter on a random minibatch."""
        captions, features, _ = sample_coco_minibatch(self.data, batch_size=self.batch_size, split="train")
        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(float(loss))
        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def train(self):
        """Runs num_epochs epochs of len(train_captions) / batch_size steps each."""
        if self.seed is not None:
            np.random.seed(self.seed)
        num_train = self.data["train_captions"].shape[0]
        steps_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * steps_per_epoch

        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            if (t + 1) % steps_per_epoch == 0:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay
