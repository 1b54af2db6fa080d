"""Every source notebook executes top to bottom with the reference solution.

Run on copies in a temp folder, so the committed notebooks and artifacts stay
as they are. Timing is not asserted here (benchmarks and `make notebooks`
report it); this checks that the notebooks run and save what the grader reads.
"""
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from course import Roots, assignment_names, load_manifest
from release.execute import execute_notebook

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
    execute_notebook(copy, ROOTS.source)
    executed = nbformat.read(copy, as_version=4)
    errors = [o for cell in executed.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    stem = notebook.removesuffix(".ipynb")
    saved = [a for a in manifest.submit_artifacts if Path(a).name.startswith(stem)]
    for artifact in saved:
        assert (tmp_path / artifact).is_file(), f"{notebook} did not save {artifact}"
