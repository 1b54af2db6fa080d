# Smoke run of assignment1's notebooks (tests/test_notebooks.py, `make notebooks-smoke`):
# run before each notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name.
# It keeps every cell running top to bottom and saving what the grader reads, but
# trains for a few steps on little data, so the figures printed mean nothing.
# The real run is `make notebooks` (docs/ASSIGNMENT figures come from that).
import numpy as _np

import cs231n.classifiers.linear_classifier as _linear
import cs231n.data_utils as _data
import cs231n.features as _features
import cs231n.solver as _solver

_train = _linear.LinearClassifier.train


def _few_steps(self, X, y, *args, num_iters=100, **kwargs):
    return _train(self, X, y, *args, num_iters=min(num_iters, 20), **kwargs)


_linear.LinearClassifier.train = _few_steps

_solver_init = _solver.Solver.__init__


def _one_small_epoch(self, model, data, **kwargs):
    data = dict(data, X_train=data["X_train"][:400], y_train=data["y_train"][:400])
    _solver_init(self, model, data, **dict(kwargs, num_epochs=1))


_solver.Solver.__init__ = _one_small_epoch

_hog_hsv = _features.hog_hsv_features


def _features_of_a_few(images, *args, **kwargs):
    """The features of the first 50 images, repeated: the right shape, computed quickly."""
    some = _hog_hsv(images[:50], *args, **kwargs)
    return some[_np.arange(len(images)) % len(some)]


_features.hog_hsv_features = _features_of_a_few

import cs231n.classifiers.k_nearest_neighbor as _knn

_Knn = _knn.KNearestNeighbor


def _loops_on_a_few(version):
    """The looping version on the first 20 test points, the no-loop one on the rest."""
    original = getattr(_Knn, version)

    def distances(self, X):
        return _np.vstack([original(self, X[:20]), self.compute_distances_no_loops(X[20:])])
    return distances


_Knn.compute_distances_two_loops = _loops_on_a_few("compute_distances_two_loops")
_Knn.compute_distances_one_loop = _loops_on_a_few("compute_distances_one_loop")
