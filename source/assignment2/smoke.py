# Smoke run of assignment2's notebooks (tests/test_notebooks.py, `make notebooks-smoke`):
# run before each notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name.
# It keeps every cell running top to bottom and saving what the grader reads, but
# every Solver trains one epoch on at most 400 images, and PyTorch.ipynb trains on 64
# images in minibatches of 8 (below), so the figures printed mean nothing. The real run
# is `make notebooks` (docs/ASSIGNMENT2.md and docs/ASSIGNMENT2_PYTORCH.md have its figures).
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

if SMOKE_NOTEBOOK == "PyTorch.ipynb":  # noqa: F821 (set by release.execute before this code)
    # Every training loop of PyTorch.ipynb counts iterations or epochs over a DataLoader
    # of a Subset: each Subset keeps its first 64 images and each DataLoader draws
    # minibatches of at most 8, so the loops keep their shape and their counts at a
    # fraction of the cost; the test set keeps its first 64 images.
    import cs231n.pytorch_models as _models
    import torch.utils.data as _torch_data

    _subset_init = _torch_data.Subset.__init__

    def _first_images(self, dataset, indices):
        _subset_init(self, dataset, list(indices)[:64])

    _torch_data.Subset.__init__ = _first_images

    _loader_init = _torch_data.DataLoader.__init__

    def _small_batches(self, dataset, batch_size=1, *args, **kwargs):
        _loader_init(self, dataset, min(batch_size, 8), *args, **kwargs)

    _torch_data.DataLoader.__init__ = _small_batches

    _dataset = _models.cifar10_dataset

    def _small_test_set(train, transform=None):
        data = _dataset(train, transform)
        if not train:
            data.data, data.targets = data.data[:64], data.targets[:64]
        return data

    _models.cifar10_dataset = _small_test_set
