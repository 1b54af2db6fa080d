# Smoke run of Generative_Adversarial_Networks.ipynb (make notebooks-smoke): run before
# the notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name. Every GAN
# trains 3 iterations, so the figures printed mean nothing; the real run's figures
# are in docs/ASSIGNMENT3_GAN.md.
if SMOKE_NOTEBOOK == "Generative_Adversarial_Networks.ipynb":  # noqa: F821 (set by release.execute)
    import cs231n.gan_pytorch as _gan

    _run_a_gan = _gan.run_a_gan

    def _three_iterations(*args, **kwargs):
        return _run_a_gan(*args, **dict(kwargs, max_iters=3, show_every=3))

    _gan.run_a_gan = _three_iterations

    # A smoke run executes a copy of the notebook in a scratch folder: the judge's
    # weights are where the course keeps them, source/assignment3/models/.
    import os as _os
    import cs231n as _cs231n
    import cs231n.mnist_classifier as _judge

    _judge.WEIGHTS = _os.path.join(_os.path.dirname(_os.path.dirname(_cs231n.__file__)), "assignment3",
                                   "models", "mnist_classifier.npz")
