"""Every source notebook executes top to bottom with the reference solution, in a smoke run.

Each assignment's `[execution] smoke` preamble (e.g. source/assignment1/smoke.py)
runs first in the kernel and makes the notebook train for a few steps on
little data: CI checks that every cell runs and that the notebook saves what
the grader reads, in minutes. The full executions, with the figures, are
`make notebooks` (recorded in the notebooks' outputs and docs/).

Run on copies in a temp folder, so the committed notebooks and artifacts stay
as they are. Timing is not asserted here.
"""
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course import Roots, assignment_names, load_manifest
from release.execute import execute_notebook, smoke_code

REPO = Path(__file__).resolve().parents[1]
ROOTS = Roots.of_repo()
NOTEBOOKS = [(load_manifest(ROOTS, name), notebook) for name in assignment_names(ROOTS)
             for notebook in load_manifest(ROOTS, name).notebooks]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (Path(os.environ.get("CS231N_DATA_DIR", "/nonexistent"))
                            / "cifar-10-batches-py" / "test_batch").is_file(),
                       reason="CIFAR-10 not found under $CS231N_DATA_DIR (run `make data`)"),
]


@pytest.mark.parametrize("manifest, notebook", NOTEBOOKS, ids=[f"{m.name}/{n}" for m, n in NOTEBOOKS])
def test_notebook_executes_with_the_reference(manifest, notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))  # execute_notebook extends it
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # steady on a shared 2-core machine
    copy = tmp_path / notebook
    shutil.copy(manifest.folder / notebook, copy)
    execute_notebook(copy, ROOTS.source, smoke=smoke_code(manifest))
    executed = nbformat.read(copy, as_version=4)
    errors = [o for cell in executed.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    for artifact in artifacts_named_by(manifest, notebook):
        assert (tmp_path / artifact).is_file(), f"{notebook} did not save {artifact}"


def artifacts_named_by(manifest, notebook):
    """The submit_artifacts whose file names the notebook's code cells spell out (the ones it saves)."""
    code = "\n".join(cell.source for cell in nbformat.read(manifest.folder / notebook, as_version=4).cells
                     if cell.cell_type == "code")
    return [a for a in manifest.submit_artifacts   # whole names: svm_best.npz is not in features_svm_best.npz
            if re.search(r"(?<![\w.-])" + re.escape(Path(a).name), code)]


@pytest.mark.parametrize("manifest", sorted({m.name: m for m, _ in NOTEBOOKS}.values(), key=lambda m: m.name),
                         ids=lambda m: m.name)
def test_every_artifact_is_saved_by_a_notebook(manifest):
    # The executions above check only what a notebook names: an artifact no notebook names
    # would go unchecked (it did, while this matched artifacts by the notebook's name).
    unnamed = [a for a in manifest.submit_artifacts
               if not any(a in artifacts_named_by(manifest, notebook) for notebook in manifest.notebooks)]
    assert unnamed == [], f"no notebook of {manifest.name} names {unnamed}"


def test_make_data_prepares_what_the_notebooks_read_and_the_grader_setup_does_not(monkeypatch):
    # Style_Transfer.ipynb reads imagenet_val_25, which no grading needs: `make data`
    # (--all) must fetch the manifests' [execution] datasets; --for (the grader) need not.
    import data.prepare as prepare
    prepared = []
    monkeypatch.setattr(prepare, "prepare", prepared.append)
    assert prepare.main(["--all"]) == 0
    manifests = [load_manifest(ROOTS, name) for name in assignment_names(ROOTS)]
    needed = {n for m in manifests for n in m.datasets + m.notebook_datasets}
    assert "imagenet_val_25" in needed and needed <= set(prepared)
    for manifest in (m for m in manifests if m.datasets):
        prepared.clear()
        assert prepare.main(["--for", manifest.name]) == 0
        assert prepared == list(manifest.datasets), manifest.name
