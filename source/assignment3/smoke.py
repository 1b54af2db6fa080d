# Smoke run of assignment3's notebooks (tests/test_notebooks.py, `make notebooks-smoke`):
# run before each notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name.
# Every cell still runs and the notebooks still save what the grader reads, but the
# figures printed mean nothing. Each notebook (or group of notebooks) adds its own
# section below, under a test of SMOKE_NOTEBOOK; the real runs are `make notebooks
# ASSIGNMENT=assignment3` (docs/ASSIGNMENT3_RNN.md, docs/ASSIGNMENT3_CAPTIONING.md).
import os as _os

import cs231n as _cs231n

# A smoke run executes a copy of the notebook in a scratch folder, without the shipped models/
# beside it: the sections below point the model loaders at the course's own copy.
_SHIPPED_MODELS = _os.path.join(_os.path.dirname(_os.path.dirname(_cs231n.__file__)), "assignment3", "models")

if SMOKE_NOTEBOOK in ("RNN_Captioning.ipynb", "LSTM_Captioning.ipynb"):  # noqa: F821 (set by release.execute)
    # Every CaptioningSolver trains one epoch of at most 10 minibatches; load_coco_data
    # keeps at most 1,000 training captions (the overfitting runs keep their 50). Val
    # BLEU-4 and the samples still run on every val image.
    import cs231n.captioning_solver as _captioning_solver
    import cs231n.coco_utils as _coco_utils

    _load_coco_data = _coco_utils.load_coco_data

    def _fewer_captions(base_dir=None, max_train=None, pca_features=True):
        return _load_coco_data(base_dir, min(max_train or 1000, 1000), pca_features)

    _coco_utils.load_coco_data = _fewer_captions

    _solver_init = _captioning_solver.CaptioningSolver.__init__

    def _one_short_epoch(self, model, data, **kwargs):
        data = dict(data, train_captions=data["train_captions"][:10 * kwargs.get("batch_size", 100)],
                    train_image_idxs=data["train_image_idxs"][:10 * kwargs.get("batch_size", 100)])
        _solver_init(self, model, data, **dict(kwargs, num_epochs=1))

    _captioning_solver.CaptioningSolver.__init__ = _one_short_epoch

# Transformer_Captioning.ipynb: at most 1,000 training captions, at most two epochs per solver.
if SMOKE_NOTEBOOK == "Transformer_Captioning.ipynb":  # noqa: F821 (set by release.execute before this code)
    import cs231n.captioning_solver_transformer as _solver
    import cs231n.coco_utils as _coco

    _load = _coco.load_coco_data

    def _few_captions(base_dir=None, max_train=None, pca_features=True):
        return _load(base_dir, min(max_train or 1000, 1000), pca_features)

    _coco.load_coco_data = _few_captions

    _solver_init = _solver.CaptioningSolverTransformer.__init__

    def _two_epochs(self, model, data, idx_to_word, num_epochs=10, **kwargs):
        _solver_init(self, model, data, idx_to_word, num_epochs=min(num_epochs, 2), **kwargs)

    _solver.CaptioningSolverTransformer.__init__ = _two_epochs

# Generative_Adversarial_Networks.ipynb: every GAN trains 3 iterations.
if SMOKE_NOTEBOOK == "Generative_Adversarial_Networks.ipynb":  # noqa: F821 (set by release.execute)
    import cs231n.gan_pytorch as _gan

    _run_a_gan = _gan.run_a_gan

    def _three_iterations(*args, **kwargs):
        return _run_a_gan(*args, **dict(kwargs, max_iters=3, show_every=3))

    _gan.run_a_gan = _three_iterations

    import cs231n.mnist_classifier as _judge

    _judge.WEIGHTS = _os.path.join(_SHIPPED_MODELS, "mnist_classifier.npz")

# Network_Visualization.ipynb: 500 CIFAR-10 test images, fooling at most 5 steps, class
# visualizations of 5 iterations.
if SMOKE_NOTEBOOK == "Network_Visualization.ipynb":  # noqa: F821 (set by release.execute)
    import cs231n.net_visualization_pytorch as _vis
    import cs231n.squeezenet as _squeezenet

    _load_test = _squeezenet.load_cifar_test_images
    _squeezenet.load_cifar_test_images = lambda num=None, seed=None: _load_test(min(num or 500, 500), seed)
    _fool = _vis.make_fooling_image
    _vis.make_fooling_image = lambda X, target_y, model, **kw: _fool(X, target_y, model, **dict(kw, max_steps=5))
    _visualize = _vis.create_class_visualization
    _vis.create_class_visualization = lambda *a, **kw: _visualize(*a, **dict(kw, num_iterations=5))
    _squeezenet.WEIGHTS = _os.path.join(_SHIPPED_MODELS, "cifar_squeezenet.npz")

# Style_Transfer.ipynb: every optimization runs 3 steps on 64-pixel images.
if SMOKE_NOTEBOOK == "Style_Transfer.ipynb":  # noqa: F821 (set by release.execute)
    import cs231n.style_transfer_pytorch as _style

    _style_transfer = _style.style_transfer

    def _three_small_steps(*args, **kwargs):
        return _style_transfer(*args, **dict(kwargs, image_size=64, style_size=64, num_iters=3))

    _style.style_transfer = _three_small_steps

    import cs231n.squeezenet as _squeezenet

    _squeezenet.WEIGHTS = _os.path.join(_SHIPPED_MODELS, "cifar_squeezenet.npz")

# DDPM.ipynb: every epoch trains 3 batches, and the diffusion has 40 timesteps instead of 200
# (the notebook builds it as GaussianDiffusion(NUM_TIMESTEPS)), so sampling is quick.
if SMOKE_NOTEBOOK == "DDPM.ipynb":  # noqa: F821 (set by release.execute)
    import cs231n.gaussian_diffusion as _diffusion

    _diffusion.NUM_TIMESTEPS = 40
    _train = _diffusion.train

    def _three_batches(*args, **kwargs):
        return _train(*args, **dict(kwargs, max_steps=3))

    _diffusion.train = _three_batches

    import cs231n.mnist_classifier as _judge

    _judge.WEIGHTS = _os.path.join(_SHIPPED_MODELS, "mnist_classifier.npz")
