"""Execute the source notebooks with the reference solution.

    python -m release.execute assignment1 [--notebook knn.ipynb ...] [--budget-s 300]

Each notebook runs top to bottom in a fresh kernel, in its own folder
(`source/<assignment>/`, so saved artifacts land in `artifacts/` there), with
`source/` on the kernel's PYTHONPATH so `import cs231n` finds the reference.
The executed notebook replaces the source notebook: its outputs are the
reference figures students are told about (the release clears them).
Prints the wall time per notebook and fails when one exceeds its budget.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course import Roots, load_manifest


def execute_notebook(path, source_root, timeout_per_cell_s=900, smoke=None):
    """Run `path` in place; returns the wall time in seconds.

    smoke: Python code run first, in the kernel, with SMOKE_NOTEBOOK set to the
    notebook's file name (the assignment's `[execution] smoke` file): it makes the
    notebook a quick check of itself (fewer iterations, smaller data), for CI. Run
    smoke runs on copies: a smoke run's figures mean nothing. The injected cell is
    removed before the notebook is written.
    """
    notebook = nbformat.read(path, as_version=4)
    if smoke is not None:
        preamble = f"SMOKE_NOTEBOOK = {Path(path).name!r}\n{smoke}"
        notebook.cells.insert(0, nbformat.v4.new_code_cell(preamble))
    env_path = os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    os.environ["PYTHONPATH"] = env_path  # inherited by the kernel
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(notebook, timeout=timeout_per_cell_s, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    if smoke is not None:
        notebook.cells.pop(0)
    nbformat.write(notebook, path)
    return elapsed


def smoke_code(manifest):
    """The assignment's smoke preamble (see execute_notebook), or None if it has none."""
    return (manifest.folder / manifest.smoke).read_text() if manifest.smoke else None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m release.execute", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--notebook", action="append", help="only these notebooks (default: all in the manifest)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="wall-time budget per notebook (default: the manifest's [execution] budgets)")
    parser.add_argument("--smoke", action="store_true", help="a quick run with the assignment's smoke preamble; "
                        "the notebooks are not written back")
    args = parser.parse_args(argv)
    roots = Roots.of_repo()
    manifest = load_manifest(roots, args.assignment)
    names = args.notebook or list(manifest.notebooks)
    total, over = 0.0, []
    scratch = tempfile.mkdtemp(prefix="smoke-") if args.smoke else None
    for name in names:
        path = roots.source / args.assignment / name
        print(f"executing {path.relative_to(roots.source.parent)}{' (smoke run, on a copy)' if scratch else ''} ...",
              flush=True)
        if scratch:
            path = Path(shutil.copy(path, Path(scratch) / name))
        elapsed = execute_notebook(path, roots.source, smoke=smoke_code(manifest) if args.smoke else None)
        total += elapsed
        budget = args.budget_s if args.budget_s is not None else manifest.budget_for(name)
        print(f"  {name}: {elapsed:.1f} s (budget {budget:.0f} s)", flush=True)
        if elapsed > budget and not args.smoke:
            over.append(name)
    print(f"total: {total:.1f} s for {len(names)} notebook(s)")
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
