# Smoke run of assignment2's notebooks (tests/test_notebooks.py, `make notebooks-smoke`):
# run before each notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name.
# It keeps every cell running top to bottom and saving what the grader reads, but
# every Solver trains one epoch on at most 400 images, so the figures printed mean
# nothing. The real run is `make notebooks` (docs/ASSIGNMENT2.md has its figures).
import cs231n.data_utils as _data
import cs231n.solver as _solver

_get_data = _data.get_CIFAR10_data


def _less_data(num_training=49000, *args, **kwargs):
    """2000 training images instead of 49000: the notebooks index into them, never count them."""
    return _get_data(min(num_training, 2000), *args, **kwargs)


_data.get_CIFAR10_data = _less_data

_solver_init = _solver.Solver.__init__


def _one_small_epoch(self, model, data, **kwargs):
    data = dict(data, X_train=data["X_train"][:400], y_train=data["y_train"][:400])
    _solver_init(self, model, data, **dict(kwargs, num_epochs=1))


_solver.Solver.__init__ = _one_small_epoch
