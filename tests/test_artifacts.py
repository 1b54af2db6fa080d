"""autograder.testkit.artifacts: reading a student's saved .npz safely.

Every malformed file is refused with a CheckFailed that names the file (as it
is called in the submission) and says what to do; a good file gives exactly
the arrays asked for.
"""
import zipfile

import numpy as np
import pytest

from autograder.testkit import CheckFailed, load_saved_arrays

NAME = "artifacts/model_best.npz"
NOTEBOOK = "model.ipynb"
LIMIT = 2**20


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "artifacts").mkdir()
    return tmp_path


def load(root, keys=("W",), **kwargs):
    return load_saved_arrays(root / NAME, NAME, list(keys), NOTEBOOK, kwargs.pop("max_bytes", LIMIT), **kwargs)


def refused(root, *phrases, **kwargs):
    with pytest.raises(CheckFailed) as info:
        load(root, **kwargs)
    message = str(info.value)
    assert message.startswith(NAME), message
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_good_file_gives_the_arrays_asked_for(folder):
    W, b = np.arange(6.0).reshape(2, 3), np.ones(3)
    np.savez(folder / NAME, W=W, b=b, extra=np.zeros(2))
    arrays = load(folder, keys=("W", "b"))
    assert list(arrays) == ["W", "b"]
    np.testing.assert_array_equal(arrays["W"], W)
    np.testing.assert_array_equal(arrays["b"], b)


def test_missing_file(folder):
    refused(folder, "is missing from your submission", NOTEBOOK)


def test_link_to_a_good_file(folder, tmp_path_factory):
    target = tmp_path_factory.mktemp("elsewhere") / "real.npz"
    np.savez(target, W=np.ones(2))
    (folder / NAME).symlink_to(target)
    refused(folder, "is a link", NOTEBOOK)


def test_dangling_link(folder):
    (folder / NAME).symlink_to(folder / "nowhere.npz")
    refused(folder, "is a link")


def test_linked_folder(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    np.savez(real / "model_best.npz", W=np.ones(2))
    root = tmp_path / "submission"
    root.mkdir()
    (root / "artifacts").symlink_to(real)
    refused(root, "is a link")


def test_folder_instead_of_a_file(folder):
    (folder / NAME).mkdir()
    refused(folder, "is missing from your submission")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated", b"\x93NUMPY"])
def test_not_a_zip(folder, content):
    (folder / NAME).write_bytes(content)
    refused(folder, "is not a file written by np.savez", f"last cell of {NOTEBOOK}")


def test_plain_npy_under_the_npz_name(folder):
    with open(folder / NAME, "wb") as f:
        np.save(f, np.ones(3))
    refused(folder, "is not a file written by np.savez")


def test_pickled_object_array(folder):
    np.savez(folder / NAME, W=np.array([{"a": 1}, None], dtype=object))
    refused(folder, "is not a file written by np.savez")


def test_damaged_member(folder):
    with zipfile.ZipFile(folder / NAME, "w") as archive:
        archive.writestr("W.npy", b"\x93NUMPY garbage")
    refused(folder, "is not a file written by np.savez")


def test_missing_key_names_the_array_and_what_the_file_holds(folder):
    np.savez(folder / NAME, b=np.ones(2), other=np.ones(2))
    message = refused(folder, "has no array 'W'", "['b', 'other']", f"Save it with the last cell of {NOTEBOOK}",
                      keys=("W", "b"))
    assert "'b'" in message


def test_missing_key_hint(folder):
    np.savez(folder / NAME, b=np.ones(2))
    refused(folder, "has no array 'W'", "Save it with np.savez(path, W=best_model.W)",
            hint="Save it with np.savez(path, W=best_model.W)")


def test_too_large(folder):
    np.savez(folder / NAME, W=np.zeros(LIMIT // 8 + 1))  # one element over the limit
    refused(folder, "MiB of arrays", "a toy model needs far less", "the limit is 1 MiB", model="a toy model")


def test_too_large_is_judged_before_reading(folder):
    # A small file that claims a huge member: refused by the size in the zip directory.
    with zipfile.ZipFile(folder / NAME, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("W.npy", b"\0" * (4 * LIMIT))
    assert (folder / NAME).stat().st_size < LIMIT
    refused(folder, "holds 4 MiB of arrays")


def test_at_the_limit_is_accepted(folder):
    np.savez(folder / NAME, W=np.zeros(1000))
    with zipfile.ZipFile(folder / NAME) as archive:
        size = sum(info.file_size for info in archive.infolist())
    assert load(folder, max_bytes=size)["W"].shape == (1000,)
    refused(folder, "MiB of arrays", max_bytes=size - 1)
