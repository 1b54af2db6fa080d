"""Reading a file of arrays that a student's notebook saved with np.savez.

The grader reads these files in its own (trusted) process, so the file is
checked before NumPy parses it: no links, a real zip archive, a bounded total
size, only the arrays asked for, and never a pickle (allow_pickle=False).
Every refusal is a `CheckFailed` that names the file and says what to do.

    arrays = load_saved_arrays(path, "artifacts/svm_best.npz", ["W"], "svm.ipynb",
                               max_bytes=16 * 2**20, hint="Save it with np.savez(path, W=best_model.W)")

What the arrays must look like (shape, dtype, finite values) is the suite's
own check, made on the returned dict.
"""
import zipfile
from pathlib import Path

import numpy as np

from .checks import CheckFailed


def load_saved_arrays(path, name, keys, notebook, max_bytes, hint=None, model="the saved model"):
    """The arrays `keys` of the .npz file at `path`; CheckFailed says what is wrong.

    Inputs:
        path: the file (a Path).
        name: its path inside the submission (e.g. "artifacts/svm_best.npz"),
            the name every message uses.
        keys: the array names the file must hold; only these are read.
        notebook: the notebook whose last cell saves the file (e.g. "svm.ipynb").
        max_bytes: the limit on the total uncompressed size of the file's arrays.
        hint: what to do when an array is missing (default: save it with the
            notebook's last cell).
        model: what the file holds, for the too-large message (e.g. "a
            two-layer net for CIFAR-10").

    Returns: dict key -> np.ndarray, in the order of `keys`.
    """
    path = Path(path)
    depth = len(Path(name).parts)
    if any(part.is_symlink() for part in [path, *path.parents][:depth]):
        raise CheckFailed(f"{name} is a link; submit the file that {notebook} saves itself")
    if not path.is_file():
        raise CheckFailed(f"{name} is missing from your submission; run the cell at the end of "
                          f"{notebook} that saves it and submit the file")
    not_npz = f"{name} is not a file written by np.savez; save it with the last cell of {notebook}"
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise CheckFailed(not_npz) from None
    if size > max_bytes:
        raise CheckFailed(f"{name} holds {size / 2**20:.0f} MiB of arrays; {model} needs far less "
                          f"(the limit is {max_bytes / 2**20:.0f} MiB)")
    try:
        with np.load(path, allow_pickle=False) as saved:
            missing = [key for key in keys if key not in saved.files]
            if missing:
                raise CheckFailed(f"{name} has no array {missing[0]!r}; it holds {sorted(saved.files)}. "
                                  f"{hint or f'Save it with the last cell of {notebook}'}")
            return {key: saved[key] for key in keys}
    except CheckFailed:
        raise
    except Exception:  # object arrays (refused without pickle), damaged members
        raise CheckFailed(not_npz) from None
