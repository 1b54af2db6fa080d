"""data/fetch.py (students' get_datasets.py) and cs231n/data_utils.py.

Most tests fetch a small dataset the test builds itself, served three ways:
from a mirror folder, from a file:// URL and from an HTTP server on
127.0.0.1 that this file starts (and stops). The last tests use the real
CIFAR-10 from $CS231N_MIRROR and are skipped when it is not set.
"""
import hashlib
import http.server
import io
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from data import fetch
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]
FETCH_SCRIPT = REPO / "data" / "fetch.py"
ARCHIVE = "fake.tar.gz"
TOP = "fakeset"


def load_data_utils():
    """cs231n/data_utils.py as a module of its own, without importing a cs231n package."""
    return load_module_file(REPO / "source" / "cs231n" / "data_utils.py", "data_utils_under_test")


def make_tar(path, members):
    """Write a .tar.gz at `path` from [(name, bytes or None for a folder, tarfile type)]."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE or kind == tarfile.LNKTYPE:
                info.linkname = data
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def content():
    """The files of the fake dataset: {relative path: bytes}; big enough to resume halfway."""
    rng = np.random.default_rng(7)
    return {f"{TOP}/data.bin": rng.integers(0, 256, size=600_000, dtype=np.uint8).tobytes(),
            f"{TOP}/sub/labels.txt": b"0 1 2 3\n"}


@pytest.fixture
def mirror(tmp_path, content):
    """A mirror folder holding fake.tar.gz (no SHA256SUMS: the registry's md5 applies)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    make_tar(folder / ARCHIVE, [(TOP, None, tarfile.DIRTYPE)] +
             [(name, data, tarfile.REGTYPE) for name, data in content.items()])
    return folder


def register(monkeypatch, archive, url="http://127.0.0.1:9/fake.tar.gz", md5=None):
    """Add the dataset "fake" to the registry, with the md5 of `archive` unless given."""
    md5 = md5 or hashlib.md5(Path(archive).read_bytes()).hexdigest()
    dataset = fetch.Dataset("fake", "a test dataset", (fetch.RemoteFile(ARCHIVE, url, md5),),
                            unpack="tar", target=TOP, max_unpacked_bytes=10 * 2**20)
    monkeypatch.setitem(fetch.DATASETS, "fake", dataset)
    return dataset


def write_sums(folder, sums):
    (folder / "SHA256SUMS").write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves the server's folder; honours "Range: bytes=N-" unless told not to."""

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        path = server.folder / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and server.honour_range:
            start = int(wanted[len("bytes="):].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if server.cut_after is not None and path.name == ARCHIVE:
            body, server.cut_after = body[:server.cut_after], None  # only the first download breaks off
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(mirror):
    """An HTTP server on 127.0.0.1 serving the mirror folder; stops after the test (or 60 s)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    server.folder, server.requests, server.honour_range, server.cut_after = mirror, [], True, None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(params=["folder", "file_url", "http"])
def source(request, mirror):
    """(mirror setting, mirror folder, http server or None) for each kind of mirror."""
    if request.param == "folder":
        return str(mirror), mirror, None
    if request.param == "file_url":
        return mirror.as_uri(), mirror, None
    server = request.getfixturevalue("http_mirror")
    return server.url, mirror, server


def unreachable_url():
    """An http:// URL on 127.0.0.1 where nothing listens (a port just freed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_fetched(data_dir, content):
    for name, data in content.items():
        assert (data_dir / name).read_bytes() == data, name
    assert (data_dir / ".verified" / "fake.json").is_file()
    assert not (data_dir / ARCHIVE).exists() and not (data_dir / (ARCHIVE + ".part")).exists()
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".unpack-")]


# ------------------------------------------------------------------ fetching

def test_fresh_fetch(monkeypatch, tmp_path, content, source):
    setting, folder, _ = source
    register(monkeypatch, folder / ARCHIVE)
    messages = []
    target = fetch.fetch("fake", tmp_path / "data", setting, progress=False, log=messages.append)
    assert target == tmp_path / "data" / TOP
    assert_fetched(tmp_path / "data", content)
    assert any("official md5" in m for m in messages)


def test_resume_from_partial_file(monkeypatch, tmp_path, content, source, capsys):
    setting, folder, server = source
    register(monkeypatch, folder / ARCHIVE)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    whole = (folder / ARCHIVE).read_bytes()
    half = len(whole) // 2
    (data_dir / (ARCHIVE + ".part")).write_bytes(whole[:half])
    fetch.fetch("fake", data_dir, setting, progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)
    assert f"resuming {ARCHIVE}" in capsys.readouterr().err
    if server is not None:
        assert server.requests[-1] == (f"/{ARCHIVE}", f"bytes={half}-")


def test_http_download_that_breaks_off_resumes_on_the_next_run(monkeypatch, tmp_path, content, http_mirror):
    register(monkeypatch, http_mirror.folder / ARCHIVE)
    http_mirror.cut_after = 100_000
    data_dir = tmp_path / "data"
    with pytest.raises(fetch.FetchError, match="broke off.*run this again to resume"):
        fetch.fetch("fake", data_dir, http_mirror.url, progress=False, log=lambda m: None)
    assert (data_dir / (ARCHIVE + ".part")).stat().st_size == 100_000
    fetch.fetch("fake", data_dir, http_mirror.url, progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)
    assert http_mirror.requests[-1] == (f"/{ARCHIVE}", "bytes=100000-")


def test_server_without_range_support_restarts_the_download(monkeypatch, tmp_path, content, http_mirror):
    register(monkeypatch, http_mirror.folder / ARCHIVE)
    http_mirror.honour_range = False
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / (ARCHIVE + ".part")).write_bytes(b"stale bytes that must not survive")
    fetch.fetch("fake", data_dir, http_mirror.url, progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)


def test_checksum_mismatch_deletes_the_download(monkeypatch, tmp_path, source):
    setting, folder, _ = source
    register(monkeypatch, folder / ARCHIVE, md5="0" * 32)
    data_dir = tmp_path / "data"
    with pytest.raises(fetch.FetchError) as error:
        fetch.fetch("fake", data_dir, setting, progress=False, log=lambda m: None)
    message = str(error.value)
    assert "corrupt" in message and "official md5" in message and "partial file was deleted" in message
    assert not (data_dir / (ARCHIVE + ".part")).exists() and not (data_dir / ARCHIVE).exists()
    assert not (data_dir / TOP).exists() and not (data_dir / ".verified").exists()


def test_mirror_sha256sums_replace_the_official_md5(monkeypatch, tmp_path, content, source):
    """A mirror whose copy differs from the official bytes publishes its own sha256."""
    setting, folder, _ = source
    register(monkeypatch, folder / ARCHIVE, md5="0" * 32)
    write_sums(folder, {ARCHIVE: sha256(folder / ARCHIVE), "other.bin": "1" * 64})
    messages = []
    fetch.fetch("fake", tmp_path / "data", setting, progress=False, log=messages.append)
    assert_fetched(tmp_path / "data", content)
    assert any("SHA256SUMS of the mirror" in m for m in messages)
    write_sums(folder, {ARCHIVE: "2" * 64})  # and a wrong one is caught
    with pytest.raises(fetch.FetchError, match="corrupt.*SHA256SUMS"):
        fetch.fetch("fake", tmp_path / "again", setting, progress=False, log=lambda m: None)


def test_offline_error_says_what_to_do(monkeypatch, tmp_path, mirror):
    url = unreachable_url()
    register(monkeypatch, mirror / ARCHIVE, url=f"{url}/{ARCHIVE}")
    data_dir = tmp_path / "data"
    for setting in ("", url):  # the official URL, then an unreachable mirror
        with pytest.raises(fetch.FetchError) as error:
            fetch.fetch("fake", data_dir, setting, progress=False, log=lambda m: None)
        message = str(error.value)
        assert message.startswith(f"could not reach {url}/")
        assert f"set CS231N_MIRROR to a folder holding {ARCHIVE}" in message
        assert f"by hand to {data_dir / ARCHIVE}" in message


def test_command_line_reports_errors_and_exit_status(monkeypatch, tmp_path, mirror, capsys):
    register(monkeypatch, mirror / ARCHIVE)
    monkeypatch.delenv("CS231N_MIRROR", raising=False)
    assert fetch.main(["fake", "--data-dir", str(tmp_path / "a"), "--mirror", unreachable_url()]) == 1
    assert capsys.readouterr().err.startswith("error: could not reach")
    monkeypatch.setenv("CS231N_MIRROR", str(mirror))
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "b"))
    assert fetch.main(["fake", "--no-progress"]) == 0
    assert (tmp_path / "b" / TOP / "sub" / "labels.txt").is_file()
    assert fetch.main(["nosuchset"]) == 1
    assert "unknown dataset 'nosuchset'" in capsys.readouterr().err
    assert fetch.main(["--list"]) == 0
    assert "cifar10" in capsys.readouterr().out


def test_second_run_is_a_no_op_until_files_change(monkeypatch, tmp_path, content, mirror):
    register(monkeypatch, mirror / ARCHIVE)
    data_dir = tmp_path / "data"
    fetch.fetch("fake", data_dir, str(mirror), progress=False, log=lambda m: None)
    messages = []
    # The source is unreachable now: an idempotent run must not need it.
    fetch.fetch("fake", data_dir, unreachable_url(), progress=False, log=messages.append)
    assert messages == [f"fake: already present in {data_dir / TOP}"]
    # Same size, different bytes: only a re-hash (--verify) notices, and repairs it.
    data_file = data_dir / TOP / "data.bin"
    data_file.write_bytes(bytes(len(content[f"{TOP}/data.bin"])))
    fetch.fetch("fake", data_dir, unreachable_url(), progress=False, log=lambda m: None)
    fetch.fetch("fake", data_dir, str(mirror), recheck=True, progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)
    # A missing file is noticed without --verify.
    (data_dir / TOP / "sub" / "labels.txt").unlink()
    fetch.fetch("fake", data_dir, str(mirror), progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)


def test_folder_unpacked_by_hand_is_checked_file_by_file(monkeypatch, tmp_path, content, mirror):
    register(monkeypatch, mirror / ARCHIVE)
    data_dir = tmp_path / "data"
    (data_dir / TOP / "sub").mkdir(parents=True)
    (data_dir / TOP / "data.bin").write_bytes(content[f"{TOP}/data.bin"])
    (data_dir / TOP / "sub" / "labels.txt").write_bytes(b"damaged")
    (data_dir / TOP / "notes.txt").write_bytes(b"the student's own file")
    untouched = (data_dir / TOP / "data.bin").stat().st_ino
    messages = []
    fetch.fetch("fake", data_dir, str(mirror), progress=False, log=messages.append)
    assert_fetched(data_dir, content)
    assert (data_dir / TOP / "data.bin").stat().st_ino == untouched
    assert (data_dir / TOP / "notes.txt").read_bytes() == b"the student's own file"
    assert any("1 of 2 file(s) replaced" in m for m in messages)


def test_archive_downloaded_by_hand_is_used(monkeypatch, tmp_path, content, mirror):
    register(monkeypatch, mirror / ARCHIVE, url=f"{unreachable_url()}/{ARCHIVE}")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(mirror / ARCHIVE, data_dir / ARCHIVE)
    fetch.fetch("fake", data_dir, "", progress=False, log=lambda m: None)
    assert_fetched(data_dir, content)


def test_archive_downloaded_by_hand_with_wrong_checksum_is_kept_and_reported(monkeypatch, tmp_path, mirror):
    register(monkeypatch, mirror / ARCHIVE, md5="0" * 32)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(mirror / ARCHIVE, data_dir / ARCHIVE)
    with pytest.raises(fetch.FetchError, match="does not match.*--force"):
        fetch.fetch("fake", data_dir, str(mirror), progress=False, log=lambda m: None)
    assert (data_dir / ARCHIVE).is_file()


@pytest.mark.parametrize("name, data, kind, complaint", [
    ("../evil.txt", b"x", tarfile.REGTYPE, "outside the data folder"),
    (f"{TOP}/../../evil.txt", b"x", tarfile.REGTYPE, "outside the data folder"),
    ("/tmp/evil.txt", b"x", tarfile.REGTYPE, "outside the data folder"),
    (f"{TOP}/link", "../../evil.txt", tarfile.SYMTYPE, "is a link"),
    (f"{TOP}/hard", f"{TOP}/data.bin", tarfile.LNKTYPE, "is a link"),
    (f"{TOP}/fifo", b"", tarfile.FIFOTYPE, "not a plain file"),
    ("elsewhere.txt", b"x", tarfile.REGTYPE, "everything should be inside fakeset/"),
])
def test_unsafe_archives_are_rejected(monkeypatch, tmp_path, name, data, kind, complaint):
    folder = tmp_path / "mirror"
    folder.mkdir()
    make_tar(folder / ARCHIVE, [(TOP, None, tarfile.DIRTYPE), (f"{TOP}/data.bin", b"ok", tarfile.REGTYPE),
                                (name, data, kind)])
    register(monkeypatch, folder / ARCHIVE)
    data_dir = tmp_path / "deep" / "data"
    with pytest.raises(fetch.FetchError, match=complaint):
        fetch.fetch("fake", data_dir, str(folder), progress=False, log=lambda m: None)
    assert not (tmp_path / "deep" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not (data_dir / TOP).exists() and not (data_dir / ".verified").exists()
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".unpack-")]


def test_progress_line_shows_size_percent_speed_and_eta():
    line = fetch.progress_line("x.tar.gz", 50 * 2**20, 100 * 2**20, 5.0)
    assert line == "x.tar.gz: 50.0 MiB / 100.0 MiB  50.0%  10.0 MiB/s  ETA 0:05"
    assert fetch.progress_line("x", 512, None, 0.0) == "x: 512 B  0 B/s"


def test_sha256sums_parser():
    text = "# comment\n" + "a" * 64 + "  cifar-10-python.tar.gz\n" + "B" * 64 + " *mnist/t10k.gz\n\nbad line\n"
    assert fetch.parse_sha256sums(text) == {"cifar-10-python.tar.gz": "a" * 64, "mnist/t10k.gz": "b" * 64}


def test_default_data_dir_is_beside_the_script(monkeypatch, tmp_path):
    monkeypatch.delenv("CS231N_DATA_DIR", raising=False)
    assert fetch.default_data_dir() == FETCH_SCRIPT.parent / "datasets"
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path))
    assert fetch.default_data_dir() == tmp_path


def test_script_runs_standalone(tmp_path):
    """As students get it: one file, get_datasets.py, outside the repository."""
    script = tmp_path / "get_datasets.py"
    shutil.copyfile(FETCH_SCRIPT, script)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CS231N_DATA_DIR", "CS231N_MIRROR")}
    done = subprocess.run([sys.executable, str(script), "--list"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cifar10" in done.stdout and "imagenet_val_25" in done.stdout and "mnist" in done.stdout


# ------------------------------------------------------------------ data_utils

def write_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({"data": data, "labels": labels, "batch_label": "test"}, f)


def fake_cifar(folder, per_batch=4):
    """A cifar-10-batches-py folder with tiny batches; pixel value = image index in its batch + channel * 50."""
    folder.mkdir(parents=True)
    for name in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
        data = np.zeros((per_batch, 3, 32, 32), dtype=np.uint8)
        for i in range(per_batch):
            for c in range(3):
                data[i, c] = i + 50 * c
        labels = [(i + len(name)) % 10 for i in range(per_batch)]
        write_batch(folder / name, data.reshape(per_batch, 3072), labels)
    return folder


def test_load_cifar_batch_shapes_channels_and_types(tmp_path):
    du = load_data_utils()
    folder = fake_cifar(tmp_path / "cifar-10-batches-py")
    X, y = du.load_CIFAR_batch(str(folder / "data_batch_1"))
    assert X.shape == (4, 32, 32, 3) and X.dtype == np.float64
    assert y.shape == (4,) and y.dtype == np.int64
    assert X[2, 5, 7].tolist() == [2.0, 52.0, 102.0]  # R, G, B planes become the last axis
    X32, _ = du.load_CIFAR_batch(str(folder / "data_batch_1"), dtype=np.float32)
    assert X32.dtype == np.float32
    Xtr, ytr, Xte, yte = du.load_CIFAR10(str(folder))
    assert Xtr.shape == (20, 32, 32, 3) and ytr.shape == (20,)
    assert Xte.shape == (4, 32, 32, 3) and yte.shape == (4,)


def test_get_cifar10_data_splits_centers_and_goes_channels_first(monkeypatch, tmp_path):
    du = load_data_utils()
    fake_cifar(tmp_path / "cifar-10-batches-py")
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path))
    data = du.get_CIFAR10_data(num_training=15, num_validation=5, num_test=3)
    shapes = {k: v.shape for k, v in data.items()}
    assert shapes == {"X_train": (15, 3, 32, 32), "y_train": (15,), "X_val": (5, 3, 32, 32), "y_val": (5,),
                      "X_test": (3, 3, 32, 32), "y_test": (3,)}
    assert all(data[k].dtype == np.float32 for k in ("X_train", "X_val", "X_test"))
    assert np.allclose(data["X_train"].mean(axis=0), 0, atol=1e-4)
    raw = du.get_CIFAR10_data(num_training=15, num_validation=5, num_test=3, subtract_mean=False)
    assert raw["X_val"][0, :, 0, 0].tolist() == [3.0, 53.0, 103.0]  # image 15 = batch 4's image 3
    with pytest.raises(ValueError, match="num_training"):
        du.get_CIFAR10_data(num_training=49001)


def test_missing_and_damaged_data_give_clear_errors(monkeypatch, tmp_path):
    du = load_data_utils()
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="python get_datasets.py.*CS231N_DATA_DIR"):
        du.cifar10_dir()
    monkeypatch.delenv("CS231N_DATA_DIR")
    assert du.data_dir() == str(REPO / "source" / "datasets")  # datasets/ beside cs231n/
    with pytest.raises(FileNotFoundError, match="get_datasets.py"):
        du.load_CIFAR_batch(str(tmp_path / "nothing"))
    (tmp_path / "truncated").write_bytes(b"\x80\x04\x95")
    (tmp_path / "text").write_text("not a pickle")
    write_batch(tmp_path / "wrong_shape", np.zeros((2, 100), dtype=np.uint8), [0, 1])
    write_batch(tmp_path / "wrong_labels", np.zeros((2, 3072), dtype=np.uint8), [0, 10])
    with open(tmp_path / "not_a_dict", "wb") as f:
        pickle.dump([1, 2], f)
    for name, why in [("truncated", "not a readable"), ("text", "not a readable"), ("wrong_shape", "'data'"),
                      ("wrong_labels", "'labels'"), ("not_a_dict", "no 'data'")]:
        with pytest.raises(ValueError, match=why):
            du.load_CIFAR_batch(str(tmp_path / name))


# ------------------------------------------------------------------ the real data

def real_mirror():
    mirror = os.environ.get("CS231N_MIRROR", "").strip()
    if not mirror:
        pytest.skip("CS231N_MIRROR is not set")
    return mirror


@pytest.mark.slow
def test_real_cifar10_from_the_mirror(tmp_path):
    """get_datasets.py as students run it, into its default datasets/ folder, then loaded."""
    mirror = real_mirror()
    script = tmp_path / "assignment" / "get_datasets.py"
    script.parent.mkdir()
    shutil.copyfile(FETCH_SCRIPT, script)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CS231N_DATA_DIR")}
    env["CS231N_MIRROR"] = os.path.abspath(mirror) if "://" not in mirror else mirror
    done = subprocess.run([sys.executable, str(script), "cifar10", "--no-progress"], cwd=script.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    root = script.parent / "datasets" / "cifar-10-batches-py"
    du = load_data_utils()
    for name in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
        X, y = du.load_CIFAR_batch(str(root / name), dtype=np.float32)
        assert X.shape == (10000, 32, 32, 3) and y.shape == (10000,)
        assert 0 <= X.min() and X.max() <= 255 and set(np.unique(y)) == set(range(10))
    again = subprocess.run([sys.executable, str(script)], cwd=script.parent, env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already present" in again.stdout
