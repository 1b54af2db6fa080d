"""python -m models train [name...] | check [name...]: retrain the shipped models, or verify them.

Training is deterministic for a given seed on one machine, but a CPU training
need not give the same bits on another (thread counts, BLAS kernels), so the
checksum says which file ships, not that a retraining reproduces it: `check`
verifies the shipped files; `train` replaces them and their checksums.
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from data.fetch import file_digests

from . import MODELS, ModelError, module_of, weights_path

SOURCE = Path(__file__).resolve().parents[1] / "source"


def sha256_of(path):
    return file_digests(path)["sha256"]


def sidecar(path, suffix):
    return path.with_name(path.name + suffix)


def _write_atomically(path, data):
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)   # mkstemp's 0600 would make the shipped record unreadable to others
    os.replace(tmp, path)


def train(name, source=SOURCE):
    """Train model `name`, then write its weights, checksum and record; returns the record."""
    module = module_of(name)
    target = weights_path(name, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    seed = getattr(module, "SEED", 0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".train-") as tmp:
        scratch = Path(tmp) / target.name
        figures = module.train(scratch, seed)
        if not scratch.is_file():
            raise ModelError(f"{MODELS[name]}.train wrote nothing to {scratch.name}")
        os.replace(scratch, target)
    import numpy as np
    import torch
    record = {"model": name, "module": MODELS[name], "seed": seed, "figures": figures,
              "seconds": round(time.perf_counter() - started, 1), "command": f"python -m models train {name}",
              "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
              "threads": torch.get_num_threads()}
    _write_atomically(sidecar(target, ".json"), (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    _write_atomically(sidecar(target, ".sha256"), f"{sha256_of(target)}  {target.name}\n".encode())
    return record


def problems(name, source=SOURCE):
    """What is wrong with model `name`'s shipped weights (empty: they match their checksum)."""
    target = weights_path(name, source)
    shown = target.relative_to(source.parent) if target.is_relative_to(source.parent) else target
    fix = f"run `python -m models train {name}` (or restore the file from git)"
    if not target.is_file():
        return [f"{shown} is missing: {fix}"]
    sums = sidecar(target, ".sha256")
    if not sums.is_file():
        return [f"{shown}.sha256 is missing: {fix}"]
    expected = sums.read_text().split()[0] if sums.read_text().split() else ""
    if sha256_of(target) != expected:
        return [f"{shown} does not match {sums.name} (the file changed or is damaged): {fix}"]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("train", "check"):
        p = sub.add_parser(command)
        p.add_argument("names", nargs="*", metavar="model", help=f"default: all ({', '.join(MODELS) or 'none'})")
    args = parser.parse_args(argv)
    try:
        names = args.names or list(MODELS)
        for name in names:
            module_of(name)
        if args.command == "train":
            for name in names:
                record = train(name)
                print(f"{name}: trained in {record['seconds']} s: {json.dumps(record['figures'])}")
            return 0
        found = [line for name in names for line in problems(name)]
        for line in found:
            print(line, file=sys.stderr)
        if not found:
            print(f"{len(names)} model(s) match their checksums")
        return 1 if found else 0
    except ModelError as exc:
        print(f"python -m models: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
