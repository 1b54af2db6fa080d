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
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course import Roots, load_manifest


def execute_notebook(path, source_root, timeout_per_cell_s=900):
    """Run `path` in place; returns the wall time in seconds."""
    notebook = nbformat.read(path, as_version=4)
    env_path = os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    os.environ["PYTHONPATH"] = env_path  # inherited by the kernel
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(notebook, timeout=timeout_per_cell_s, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(notebook, path)
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m release.execute", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--notebook", action="append", help="only these notebooks (default: all in the manifest)")
    parser.add_argument("--budget-s", type=float, default=300.0, help="wall-time budget per notebook")
    args = parser.parse_args(argv)
    roots = Roots.of_repo()
    manifest = load_manifest(roots, args.assignment)
    names = args.notebook or list(manifest.notebooks)
    total, over = 0.0, []
    for name in names:
        path = roots.source / args.assignment / name
        print(f"executing {path.relative_to(roots.source.parent)} ...", flush=True)
        elapsed = execute_notebook(path, roots.source)
        total += elapsed
        print(f"  {name}: {elapsed:.1f} s", flush=True)
        if elapsed > args.budget_s:
            over.append(name)
    print(f"total: {total:.1f} s for {len(names)} notebook(s)")
    if over:
        print(f"over the {args.budget_s:.0f} s budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
