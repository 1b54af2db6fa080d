# Smoke run of Transformer_Captioning.ipynb (tests/test_notebooks.py, `make notebooks-smoke`):
# run before the notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name. Every
# cell still runs top to bottom and the last one saves the model the grader reads, but
# load_coco_data keeps at most 1,000 training captions and every solver trains at most two
# epochs, so the figures printed mean nothing. The real run is `make notebooks`
# (docs/ASSIGNMENT3_CAPTIONING.md has its figures).
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
