"""A linear classifier trained with minibatch stochastic gradient descent.

`LinearClassifier` holds the weights and the training loop; its subclasses
only say which loss they minimize (`LinearSVM`: hinge, `Softmax`: cross-entropy).
"""
import numpy as np

from .linear_svm import svm_loss_vectorized
from .softmax import softmax_loss_vectorized


class LinearClassifier:
    """Scores are X.dot(W) with W of shape (D, C); the prediction is the best score."""

    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, verbose=False):
        """Train the classifier with minibatch stochastic gradient descent.

        Inputs:
        - X: array of shape (N, D), the training examples, one per row.
        - y: integer array of shape (N,); y[i] = c means X[i] has label c,
          0 <= c < C. There are C = max(y) + 1 classes.
        - learning_rate: float, the step size of each update.
        - reg: float, regularization strength.
        - num_iters: int, the number of update steps.
        - batch_size: int, the number of examples in each minibatch, sampled
          at random with replacement (so batch_size may exceed N).
        - verbose: bool; if true, print the loss every 100 iterations.

        Returns:
        - loss_history: list of num_iters floats, the minibatch loss at each
          iteration (computed before that iteration's update).
        """
        num_train, dim = X.shape
        num_classes = np.max(y) + 1
        if self.W is None:
            # Small random weights: scores start near zero, so no class is
            # favoured before training.
            self.W = 0.001 * np.random.randn(dim, num_classes)

        loss_history = []
        for it in range(num_iters):
            X_batch = None
            y_batch = None

            # TODO: Sample batch_size examples and their labels into X_batch
            # (shape (batch_size, D)) and y_batch (shape (batch_size,)).
            # Sample with replacement, with np.random.choice: it is faster
            # than without and batch_size may exceed N.
            raise NotImplementedError('Complete LinearClassifier.train (see the TODO above)')

            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(float(loss))

            # TODO: Update the weights self.W with one gradient descent step.
            raise NotImplementedError('Complete LinearClassifier.train (see the TODO above)')

            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")

        return loss_history

    def predict(self, X):
        """Predict labels with the trained weights.

        Inputs:
        - X: array of shape (N, D), the examples, one per row.

        Returns:
        - y_pred: integer array of shape (N,) (an integer dtype such as the
          int64 np.argmax returns, not floats), the predicted class of each
          example.
        """
        y_pred = np.zeros(X.shape[0], dtype=int)
        # TODO: Store in y_pred the class with the highest score for each example.
        raise NotImplementedError('Complete LinearClassifier.predict (see the TODO above)')
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """The loss and its gradient on a minibatch; subclasses define it.

        Inputs:
        - X_batch: array of shape (N, D), a minibatch of N examples.
        - y_batch: integer array of shape (N,), their labels.
        - reg: float, regularization strength.

        Returns a tuple:
        - loss: float
        - dW: array of shape (D, C), the gradient of loss with respect to self.W.
        """
        raise NotImplementedError("use a subclass: LinearSVM or Softmax")


class LinearSVM(LinearClassifier):
    """A linear classifier with the multiclass SVM (hinge) loss."""

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """A linear classifier with the softmax (cross-entropy) loss."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
