"""Minibatch training for any model that follows the course's model interface.

A model has
- params: dict mapping parameter names to arrays;
- loss(X, y=None): with y None, returns scores of shape (N, C); otherwise
  returns (loss, grads) where grads has the same keys and shapes as params.

The Solver draws minibatches, applies an update rule from optim.py to every
parameter, tracks the loss and the accuracies, and, when training ends,
leaves in model.params the parameters that did best on the validation set.

    solver = Solver(model, data, update_rule="sgd",
                    optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100)
    solver.train()
    best_model = solver.model
"""
import numpy as np

from . import optim


class Solver:
    """Trains a classification model with minibatch gradient descent.

    Attributes after train():
    - loss_history: list of the minibatch loss at every iteration.
    - train_acc_history: list of the training accuracy (on a sample of
      num_train_samples examples) at the start and after every epoch.
    - val_acc_history: list of the validation accuracy at the same points.
    - best_val_acc: float, the best validation accuracy seen.
    - best_params: dict, a copy of model.params when best_val_acc was seen;
      train() puts it back into model.params at the end.
    """

    def __init__(self, model, data, **kwargs):
        """
        Inputs:
        - model: an object with `params` and `loss(X, y=None)` as described above.
        - data: dict with
            X_train: array of shape (N_train, d_1, ..., d_k), training inputs
            y_train: integer array of shape (N_train,), training labels
            X_val: array of shape (N_val, d_1, ..., d_k), validation inputs
            y_val: integer array of shape (N_val,), validation labels

        Optional keyword arguments:
        - update_rule: name of a function in optim.py (default "sgd").
        - optim_config: dict of hyperparameters for the update rule, copied
          for every parameter (default {}).
        - lr_decay: float; after every epoch the learning rate is multiplied
          by it (default 1.0, no decay).
        - batch_size: examples per minibatch (default 100).
        - num_epochs: passes over the training data (default 10).
        - num_train_samples: training examples used to estimate the training
          accuracy (default 1000; None means all).
        - num_val_samples: validation examples used to estimate the
          validation accuracy (default None, all).
        - checkpoint_name: when given, the parameters and histories are saved
          after every epoch to "<checkpoint_name>_epoch_<e>.npz".
        - print_every: print the loss every this many iterations (default 10).
        - verbose: print progress at all (default True).
        """
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule_name = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)

        # A misspelled option would otherwise be ignored without a word.
        if kwargs:
            raise ValueError(f"Unrecognized arguments: {', '.join(sorted(kwargs))}")
        if not hasattr(optim, self.update_rule_name):
            raise ValueError(f'Invalid update_rule "{self.update_rule_name}"')
        self.update_rule = getattr(optim, self.update_rule_name)

        self._reset()

    def _reset(self):
        """Set up the bookkeeping; called by __init__, not meant to be called directly."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        # Each parameter gets its own config: stateful rules keep state per parameter.
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One gradient update on a random minibatch (sampled with replacement)."""
        num_train = self.X_train.shape[0]
        batch_mask = np.random.choice(num_train, self.batch_size)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(float(loss))

        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.npz"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        # Plain arrays only (no pickle), so a checkpoint can be loaded safely.
        np.savez(filename,
                 epoch=self.epoch,
                 loss_history=np.array(self.loss_history),
                 train_acc_history=np.array(self.train_acc_history),
                 val_acc_history=np.array(self.val_acc_history),
                 **{f"param_{name}": value for name, value in self.model.params.items()})

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of examples the model classifies correctly.

        Inputs:
        - X: array of shape (N, d_1, ..., d_k).
        - y: integer array of shape (N,).
        - num_samples: when given and smaller than N, use a random subset of
          this many examples.
        - batch_size: examples per call of model.loss, to bound memory.

        Returns:
        - acc: float in [0, 1].
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = np.random.choice(N, num_samples)
            N = num_samples
            X = X[mask]
            y = y[mask]

        y_pred = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start:start + batch_size])
            y_pred.append(np.argmax(scores, axis=1))
        y_pred = np.concatenate(y_pred)
        return float(np.mean(y_pred == y))

    def train(self):
        """Run the optimization, then restore the best parameters into the model."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    if "learning_rate" in config:
                        config["learning_rate"] *= self.lr_decay

            # Accuracies after the first iteration, at every epoch's end and at the end.
            first_it = t == 0
            last_it = t == num_iterations - 1
            if first_it or last_it or epoch_end:
                train_acc = self.check_accuracy(self.X_train, self.y_train,
                                                num_samples=self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val,
                                              num_samples=self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()

                if self.verbose:
                    print(f"(Epoch {self.epoch} / {self.num_epochs}) "
                          f"train acc: {train_acc:f}; val_acc: {val_acc:f}")

                if val_acc > self.best_val_acc:
                    self.best_val_acc = val_acc
                    self.best_params = {name: value.copy() for name, value in self.model.params.items()}

        # Keep the parameters that did best on the validation set.
        if self.best_params:
            self.model.params = self.best_params
