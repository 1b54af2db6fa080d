# Correct: distances from dot products (a difference with itself, einsum for
#   the squared norms, np.clip before the square root); predict_labels counts
#   votes in a dict and takes the smallest label among the most frequent.
# Rewrites: KNearestNeighbor.compute_distances_two_loops, KNearestNeighbor.compute_distances_one_loop, KNearestNeighbor.compute_distances_no_loops, KNearestNeighbor.predict_labels
"""A k-nearest-neighbor classifier with the L2 (Euclidean) distance.

Training only memorizes the data. To classify a test point, find the k
training points closest to it and let them vote with their labels. The
distance between every test and every training point is computed three ways
(two loops, one loop, no loops); all three must give the same matrix, and the
last must be fast enough for thousands of points.
"""
import numpy as np


class KNearestNeighbor:
    """k-nearest-neighbor classifier with the L2 distance.

    After train(X, y) the instance holds:
    - X_train: array of shape (num_train, D), the training points, one per row.
    - y_train: integer array of shape (num_train,), their labels in 0..C-1.
    """

    def __init__(self):
        self.X_train = None
        self.y_train = None

    def train(self, X, y):
        """Memorize the training data.

        Inputs:
        - X: array of shape (num_train, D), one training point per row.
        - y: integer array of shape (num_train,); y[i] is the label of X[i], in 0..C-1.
        """
        self.X_train = X
        self.y_train = y

    def predict(self, X, k=1, num_loops=0):
        """Predict a label for each test point.

        Inputs:
        - X: array of shape (num_test, D), one test point per row.
        - k: int >= 1, the number of nearest neighbors that vote.
        - num_loops: 0, 1 or 2, which distance implementation to use.

        Returns:
        - y_pred: int64 array of shape (num_test,); y_pred[i] is the label predicted for X[i].
        """
        if num_loops == 0:
            dists = self.compute_distances_no_loops(X)
        elif num_loops == 1:
            dists = self.compute_distances_one_loop(X)
        elif num_loops == 2:
            dists = self.compute_distances_two_loops(X)
        else:
            raise ValueError(f"num_loops must be 0, 1 or 2; got {num_loops!r}")
        return self.predict_labels(dists, k=k)

    def compute_distances_two_loops(self, X):
        """L2 distances between test and training points, one pair at a time.

        Inputs:
        - X: array of shape (num_test, D), one test point per row.

        Returns:
        - dists: array of shape (num_test, num_train); dists[i, j] is the
          Euclidean distance between X[i] and self.X_train[j].
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                # TODO: Store in dists[i, j] the L2 distance between test point
                # X[i] and training point self.X_train[j]: the square root of
                # the sum of squared differences. No loop over the dimensions.
                diff = X[i] - self.X_train[j]
                dists[i, j] = np.sqrt(diff.dot(diff))
        return dists

    def compute_distances_one_loop(self, X):
        """L2 distances between test and training points, one test point at a time.

        Inputs:
        - X: array of shape (num_test, D), one test point per row.

        Returns:
        - dists: array of shape (num_test, num_train), as for compute_distances_two_loops.
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        # TODO: Loop over the test points (and nothing else). In step i, store
        # in dists[i, :] the distances from X[i] to all training points at
        # once: broadcasting X[i] against self.X_train gives all the
        # differences in one expression.
        for i in range(num_test):
            diffs = self.X_train - X[i]
            dists[i] = np.sqrt(np.einsum("ij,ij->i", diffs, diffs))
        return dists

    def compute_distances_no_loops(self, X):
        """L2 distances between test and training points, with no Python loop at all.

        Inputs:
        - X: array of shape (num_test, D), one test point per row.

        Returns:
        - dists: array of shape (num_test, num_train), as for compute_distances_two_loops.
        """
        # TODO: Compute all distances with array operations only: no for or
        # while loop, no comprehension, and no call to the other two versions.
        # Expand the squared distance, ||x - t||^2 = ||x||^2 - 2 x.t + ||t||^2:
        # the middle term for every pair is one matrix product, and the two
        # squared norms broadcast against it. (Broadcasting X[:, None, :]
        # against self.X_train also works but needs num_test * num_train * D
        # numbers of memory.) Rounding can make a squared distance that
        # should be 0 slightly negative; clamp at 0 before the square root.
        squared = (np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", self.X_train, self.X_train)[None, :]
                   - 2.0 * X @ self.X_train.T)
        dists = np.sqrt(np.clip(squared, 0.0, None))
        return dists

    def predict_labels(self, dists, k=1):
        """Predict a label for each test point from its distances to the training points.

        Inputs:
        - dists: array of shape (num_test, num_train); dists[i, j] is the
          distance between test point i and training point j. (When several
          training points are equally far, any of them may count as nearer.)
        - k: int >= 1, the number of nearest training points that vote (all of
          them when k > num_train).

        Returns:
        - y_pred: int64 array of shape (num_test,); y_pred[i] is the label
          that occurs most often among the k training points nearest to test
          point i. When several labels occur equally often, the smallest wins.
        """
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        for i in range(num_test):
            # TODO: Find the labels of the k training points nearest to test
            # point i (np.argsort helps), then store the most common of them
            # in y_pred[i], breaking ties towards the smaller label
            # (np.bincount and np.argmax do exactly that).
            order = np.argsort(dists[i])
            counts = {}
            for label in self.y_train[order[:k]]:
                counts[label] = counts.get(label, 0) + 1
            top = max(counts.values())
            y_pred[i] = min(label for label, count in counts.items() if count == top)
        return y_pred
