#!/usr/bin/env python3
"""Download the course datasets, check them and unpack them.

    python get_datasets.py                  CIFAR-10 (what assignment 1 needs)
    python get_datasets.py cifar10 mnist    several datasets
    python get_datasets.py --list           what can be fetched
    python -m data.fetch cifar10            the same, from the course repository

This file runs on its own (standard library only; tqdm draws the progress bar
when it is installed). Students get it as get_datasets.py in their assignment
folder; the course repository keeps it as data/fetch.py.

Where the data goes: the folder named by --data-dir, else by the environment
variable CS231N_DATA_DIR, else datasets/ beside this script (so
assignment1/datasets for students, data/datasets in the course repository).
cs231n.data_utils looks in the same places.

Where the data comes from: the official URLs, or a mirror named by --mirror or
CS231N_MIRROR: a local folder, a file:// URL or an http(s):// base URL that
holds the official file names (mnist files under mnist/). Downloads are
checked against the official md5; a mirror whose files are not byte-identical
to the official ones may publish a SHA256SUMS file beside them
(`sha256sum`'s format), and then the mirror's sha256 is checked instead.
That guards against broken or truncated copies, not against a mirror you do
not trust: only use mirrors you trust.

Running it again is cheap: a dataset recorded as verified (in
<data dir>/.verified/<name>.json) and still present is left alone ("already
present"); --verify re-checks every file's sha256. An interrupted download
resumes from its .part file. A folder unpacked by hand, without a record, is
checked file by file against a verified archive and only what differs is
replaced.
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CHUNK = 1 << 20
TIMEOUT_S = 30
STAMP_FOLDER = ".verified"
MIRROR_SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class RemoteFile:
    """One file as published: `path` is its name relative to a mirror's base."""

    path: str
    url: str
    md5: str


@dataclass(frozen=True)
class Dataset:
    """A dataset: the files to download and what ends up in the data folder.

    unpack="tar": each file is an archive holding exactly the folder `target`.
    unpack="none": the files are kept as downloaded, at their `path`, and
    `target` is the file or folder they make up.
    """

    name: str
    description: str
    files: tuple
    unpack: str
    target: str
    max_unpacked_bytes: int = 2**30


MNIST_BASE = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # the original host often refuses downloads

DATASETS = {
    "cifar10": Dataset(
        "cifar10", "CIFAR-10, python version (163 MiB download, 178 MiB unpacked)",
        (RemoteFile("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    "c58f30108f718f92721af3b95e74349a"),),
        unpack="tar", target="cifar-10-batches-py"),
    "mnist": Dataset(
        "mnist", "MNIST digits, the four original idx .gz files (11 MiB)",
        tuple(RemoteFile(f"mnist/{name}", MNIST_BASE + name, md5) for name, md5 in [
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]),
        unpack="none", target="mnist"),
    "imagenet_val_25": Dataset(
        "imagenet_val_25", "25 ImageNet validation images at 224x224, for the visualization notebooks (4 MiB)",
        (RemoteFile("imagenet_val_25.npz", "http://cs231n.stanford.edu/imagenet_val_25.npz",
                    "6ac63c0258b84b7eaca6d83a2b35001c"),),
        unpack="none", target="imagenet_val_25.npz"),
}


class FetchError(Exception):
    """Something the person running the script has to fix; str() says what."""


def default_data_dir():
    """CS231N_DATA_DIR if set, else datasets/ beside this script."""
    configured = os.environ.get("CS231N_DATA_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parent / "datasets"


# ------------------------------------------------------------------ checksums

def file_digests(path, algorithms=("sha256",)):
    """{algorithm: hex digest} of the file at `path`, read once."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            for h in hashes.values():
                h.update(block)
    return {name: h.hexdigest() for name, h in hashes.items()}


@dataclass(frozen=True)
class Checksum:
    algorithm: str   # "md5" or "sha256"
    digest: str
    origin: str      # where the expected value comes from, for messages and the stamp

    def __str__(self):
        return f"{self.algorithm} {self.digest} ({self.origin})"


def parse_sha256sums(text):
    """{relative path: sha256} from `sha256sum` output ("<hex>  <path>" or "<hex> *<path>")."""
    sums = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) == 64 and name:
            sums[str(PurePosixPath(name))] = digest.lower()
    return sums


# ------------------------------------------------------------------ sources

class Source:
    """Where files come from. Subclasses open a file from a byte offset."""

    def expected(self, remote):
        return Checksum("md5", remote.md5, "official md5")

    def where(self, remote):
        raise NotImplementedError

    def open(self, remote, offset):
        """(readable binary stream, total size or None, offset the stream starts at)."""
        raise NotImplementedError


class OfficialSource(Source):
    def where(self, remote):
        return remote.url

    def open(self, remote, offset):
        return open_http(remote.url, offset, remote, mirror=None)


class MirrorSource(Source):
    """A mirror; may publish SHA256SUMS for files that differ from the official bytes."""

    def __init__(self, base):
        self.base = base
        self._sums = None

    def sums(self):
        if self._sums is None:
            text = self.read_sums()
            self._sums = parse_sha256sums(text) if text is not None else {}
        return self._sums

    def expected(self, remote):
        digest = self.sums().get(remote.path)
        if digest:
            return Checksum("sha256", digest, f"{MIRROR_SUMS} of the mirror {self.base}")
        return super().expected(remote)


class FolderMirror(MirrorSource):
    """A mirror on a file system path (also what a file:// URL names)."""

    def __init__(self, base, folder):
        super().__init__(base)
        self.folder = Path(folder).expanduser()

    def where(self, remote):
        return str(self.folder / remote.path)

    def read_sums(self):
        path = self.folder / MIRROR_SUMS
        try:
            return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        except OSError as exc:
            raise FetchError(f"cannot read {path} ({exc.strerror})") from None

    def open(self, remote, offset):
        path = self.folder / remote.path
        if not self.folder.is_dir():
            raise FetchError(f"the mirror folder {self.folder} does not exist; check CS231N_MIRROR "
                             "(or --mirror)")
        if not path.is_file():
            raise FetchError(f"the mirror folder {self.folder} has no {remote.path}; check CS231N_MIRROR "
                             "(or --mirror)")
        try:
            size = path.stat().st_size
            stream = open(path, "rb")
        except OSError as exc:
            raise FetchError(f"cannot read {path} ({exc.strerror})") from None
        start = offset if offset <= size else 0
        stream.seek(start)
        return stream, size, start


class HttpMirror(MirrorSource):
    def where(self, remote):
        return self.url(remote.path)

    def url(self, relative):
        return self.base.rstrip("/") + "/" + urllib.parse.quote(relative)

    def read_sums(self):
        try:
            with urllib.request.urlopen(self.url(MIRROR_SUMS), timeout=TIMEOUT_S) as response:
                return response.read(2**20).decode("utf-8", errors="replace")
        except urllib.error.HTTPError:
            return None  # no SHA256SUMS: the official md5 applies
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise Offline(self.url(MIRROR_SUMS), reason(exc), self.base) from None

    def open(self, remote, offset):
        return open_http(self.url(remote.path), offset, remote, mirror=self.base)


def make_source(mirror):
    """The Source for a mirror setting (None or "" means the official URLs)."""
    if not mirror:
        return OfficialSource()
    parsed = urllib.parse.urlparse(mirror)
    if parsed.scheme in ("http", "https"):
        return HttpMirror(mirror)
    if parsed.scheme == "file":
        return FolderMirror(mirror, urllib.request.url2pathname(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive, so a path
        raise FetchError(f"CS231N_MIRROR={mirror!r}: use a folder, a file:// URL or an http(s):// URL")
    return FolderMirror(mirror, mirror)


def reason(exc):
    inner = getattr(exc, "reason", None)
    return str(inner if inner is not None else exc) or type(exc).__name__


def open_http(url, offset, remote, mirror):
    """GET `url`, asking for bytes from `offset` on when resuming."""
    request = urllib.request.Request(url, headers={"User-Agent": "cs231n-get-datasets"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # The partial file already holds everything: let the checksum decide.
            return _Empty(), offset, offset
        where = f"the mirror {mirror}" if mirror else url
        raise FetchError(f"{where} answered HTTP {exc.code} ({exc.reason}) for {remote.path}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise Offline(url, reason(exc), mirror) from None
    if response.status == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        return response, int(total) if total.isdigit() else None, offset
    length = response.headers.get("Content-Length")
    return response, int(length) if length and length.isdigit() else None, 0


class _Empty:
    def read(self, n=-1):
        return b""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Offline(FetchError):
    """A host could not be reached; `obtain` turns it into advice naming the file."""

    def __init__(self, url, why, mirror):
        super().__init__(f"could not reach {url} ({why})")
        self.url, self.why, self.mirror = url, why, mirror


# ------------------------------------------------------------------ progress

def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def progress_line(label, done, total, elapsed, start=0):
    """One line: size so far and in all, percent, speed and time left."""
    rate = (done - start) / elapsed if elapsed > 0 else 0.0
    text = f"{label}: {human_bytes(done)}"
    if total:
        text += f" / {human_bytes(total)} {100.0 * done / total:5.1f}%"
    text += f"  {human_bytes(rate)}/s"
    if total and rate > 0:
        left = int((total - done) / rate)
        text += f"  ETA {left // 60}:{left % 60:02d}"
    return text


class Progress:
    """A progress bar on stderr: tqdm's when installed, else a plain line."""

    def __init__(self, label, total, start, enabled):
        self.label, self.total, self.start, self.done = label, total, start, start
        self.enabled, self.began, self.shown = enabled, time.monotonic(), 0.0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                                desc=label, file=sys.stderr, leave=True)
            except ImportError:
                pass

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and sys.stderr.isatty() and time.monotonic() - self.shown > 0.2:
            self.shown = time.monotonic()
            print("\r" + self.line(), end="", file=sys.stderr, flush=True)

    def line(self):
        return progress_line(self.label, self.done, self.total, time.monotonic() - self.began, self.start)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            print(("\r" if sys.stderr.isatty() else "") + self.line(), file=sys.stderr, flush=True)


# ------------------------------------------------------------------ download

def download(source, remote, dest, progress=True):
    """Download `remote` to `dest`, resuming from dest.part when it exists."""
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    stream, total, start = source.open(remote, offset)
    with stream, open(part, "r+b" if part.is_file() else "wb") as out:
        out.seek(start)
        out.truncate()
        if start:
            print(f"resuming {remote.path} at {human_bytes(start)}", file=sys.stderr)
        bar = Progress(remote.path, total, start, progress)
        try:
            for block in iter(lambda: stream.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"the download of {remote.path} broke off after {human_bytes(bar.done)} "
                             f"({reason(exc)}); run this again to resume it") from None
        finally:
            bar.close()
        # A connection closed early can look like a normal end of the data.
        if total is not None and bar.done < total:
            raise FetchError(f"the download of {remote.path} broke off after {human_bytes(bar.done)} of "
                             f"{human_bytes(total)}; run this again to resume it")
    return part


def verify(path, expected):
    """True when the file at `path` has the expected checksum."""
    return file_digests(path, (expected.algorithm,))[expected.algorithm] == expected.digest


def obtain(source, remote, dest, progress):
    """Make `dest` a verified copy of `remote`: check it if present, else download it.

    Returns the Checksum it was verified against.
    """
    try:
        expected = source.expected(remote)
        if dest.is_file():
            if verify(dest, expected):
                return expected
            raise FetchError(f"{dest} is there but its checksum does not match the expected {expected}. "
                             "Delete it (or run with --force) to download it again. If it came from a mirror, "
                             f"set CS231N_MIRROR to that mirror so that its {MIRROR_SUMS} is used.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = download(source, remote, dest, progress)
    except Offline as exc:
        hint = (f"check that the mirror {exc.mirror} is up, or set CS231N_MIRROR to a folder holding "
                f"{remote.path}" if exc.mirror else
                f"set CS231N_MIRROR to a folder holding {remote.path}")
        raise FetchError(f"could not reach {exc.url} ({exc.why}); {hint}, or download {remote.url} by hand "
                         f"to {dest} and run this again") from None
    if not verify(part, expected):
        part.unlink()
        raise FetchError(f"the download of {remote.path} from {source.where(remote)} is corrupt: its checksum "
                         f"does not match the expected {expected}. The partial file was deleted; run this "
                         "again to retry. A mirror whose copy differs from the official file needs a "
                         f"{MIRROR_SUMS} file beside it.")
    os.replace(part, dest)
    return expected


# ------------------------------------------------------------------ unpacking

def checked_members(tar, top, where, max_bytes):
    """The archive's members, refusing anything that could land outside `top`/."""
    total = 0
    for member in tar:
        name = member.name
        parts = PurePosixPath(name).parts
        if (not parts or name.startswith(("/", "\\")) or ".." in parts or "\\" in name
                or ":" in parts[0]):
            raise FetchError(f"{where}: refusing to unpack {name!r}, which points outside the data folder; "
                             "the archive is not the expected one")
        if member.issym() or member.islnk():
            raise FetchError(f"{where}: refusing to unpack {name!r}, which is a link; the archive is not "
                             "the expected one")
        if not (member.isfile() or member.isdir()):
            raise FetchError(f"{where}: refusing to unpack {name!r}, which is not a plain file or folder")
        if parts[0] != top:
            raise FetchError(f"{where}: unexpected entry {name!r}; everything should be inside {top}/")
        total += member.size
        if total > max_bytes:
            raise FetchError(f"{where}: unpacks to more than {human_bytes(max_bytes)}; not the expected archive")
        yield member


def unpack_tar(archive, top, into, max_bytes):
    """Unpack `archive` (holding folder `top`) into the folder `into`.

    Returns {path relative to `into`: (size, sha256)} of the files written.
    Only plain files and folders are created, with ordinary permissions.
    """
    written = {}
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise FetchError(f"{archive} is not a readable archive ({exc})") from None
    with tar:
        try:
            for member in checked_members(tar, top, str(archive), max_bytes):
                path = into.joinpath(*PurePosixPath(member.name).parts)
                if member.isdir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with tar.extractfile(member) as src, open(path, "wb") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
                written[PurePosixPath(member.name).as_posix()] = (size, digest.hexdigest())
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise FetchError(f"{archive} could not be unpacked ({exc})") from None
    if not written:
        raise FetchError(f"{archive} holds no files")
    return written


def install(unpacked, files, data_dir, top):
    """Move the unpacked folder unpacked/`top` to data_dir/`top`.

    `files` is unpack_tar's {relative path: (size, sha256)}. When `top` is
    already there (unpacked by hand, or an older copy), each file is compared
    with the archive's and replaced only when it differs, so that programs
    reading the data meanwhile keep working; other files there are left alone.
    Returns the number of files replaced or added, or None when the whole
    folder was moved in.
    """
    target = data_dir / top
    if not target.exists():
        os.replace(unpacked / top, target)
        return None
    if not target.is_dir():
        raise FetchError(f"{target} exists but is not a folder; move it away and run this again")
    changed = 0
    for name, (size, sha256) in sorted(files.items()):
        existing = data_dir.joinpath(*PurePosixPath(name).parts)
        if existing.is_file() and existing.stat().st_size == size and file_digests(existing)["sha256"] == sha256:
            continue
        existing.parent.mkdir(parents=True, exist_ok=True)
        os.replace(unpacked.joinpath(*PurePosixPath(name).parts), existing)
        changed += 1
    return changed


# ------------------------------------------------------------------ stamps

def stamp_path(data_dir, dataset):
    return data_dir / STAMP_FOLDER / f"{dataset.name}.json"


def read_stamp(data_dir, dataset):
    try:
        stamp = json.loads(stamp_path(data_dir, dataset).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and isinstance(stamp.get("files"), dict) else None


def stamp_holds(stamp, data_dir, rehash):
    """True when every file the stamp lists is present with its size (and sha256 if `rehash`)."""
    if not stamp or not stamp["files"]:
        return False
    for name, info in stamp["files"].items():
        path = data_dir.joinpath(*PurePosixPath(name).parts)
        try:
            if not path.is_file() or path.stat().st_size != info["size"]:
                return False
            if rehash and file_digests(path)["sha256"] != info["sha256"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


def write_stamp(data_dir, dataset, checksums, source_names, files):
    path = stamp_path(data_dir, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {
        "dataset": dataset.name,
        "downloaded": [{"file": remote.path, "from": where, "checksum": f"{c.algorithm}:{c.digest}",
                        "checksum_from": c.origin}
                       for remote, where, c in zip(dataset.files, source_names, checksums)],
        "verified_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": {name: {"size": size, "sha256": sha256} for name, (size, sha256) in sorted(files.items())},
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def missing_reason(name, data_dir=None):
    """None when dataset `name` is installed and verified in `data_dir`, else a sentence saying
    what is missing and the command that fetches it (for tools that need the data to run)."""
    dataset = DATASETS[name]
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if stamp_holds(read_stamp(data_dir, dataset), data_dir, rehash=False):
        return None
    return (f"the dataset {name} ({dataset.description.split(' (')[0]}) is not installed in {data_dir}: "
            f"run `make data` (or `python -m data.fetch {name}`), with CS231N_DATA_DIR pointing where it "
            "should live")


# ------------------------------------------------------------------ fetch

def fetch(name, data_dir=None, mirror=None, force=False, recheck=False, keep_archive=False,
          progress=True, log=print):
    """Make dataset `name` present and verified in `data_dir`; returns the path of its target.

    data_dir: folder for the data (default: default_data_dir()).
    mirror: a mirror setting as for CS231N_MIRROR (default: that variable; "" means official URLs).
    force: download and unpack again even when a verified copy is present.
    recheck: re-hash the present files instead of trusting their sizes.
    keep_archive: keep a downloaded .tar.gz after unpacking it.
    Raises FetchError with a message for the person running it.
    """
    if name not in DATASETS:
        raise FetchError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    dataset = DATASETS[name]
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if mirror is None:
        mirror = os.environ.get("CS231N_MIRROR", "").strip()
    target = data_dir / dataset.target
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the data folder {data_dir} ({exc.strerror}); set CS231N_DATA_DIR "
                         "(or --data-dir) to a folder you can write to") from None
    if not force and stamp_holds(read_stamp(data_dir, dataset), data_dir, recheck):
        log(f"{name}: already present in {target}")
        return target

    source = make_source(mirror)
    if force:
        for remote in dataset.files:
            for stale in (data_dir / remote.path, data_dir / (remote.path + ".part")):
                if stale.is_file():
                    stale.unlink()
    checksums, where = [], []
    for remote in dataset.files:
        log(f"{name}: fetching {remote.path} from {source.where(remote)}")
        checksums.append(obtain(source, remote, data_dir / remote.path, progress))
        where.append(source.where(remote))
        log(f"{name}: {remote.path} verified ({checksums[-1].algorithm} from {checksums[-1].origin})")

    if dataset.unpack == "tar":
        files = {}
        for remote in dataset.files:
            archive = data_dir / remote.path
            scratch = Path(tempfile.mkdtemp(prefix=f".unpack-{name}-", dir=data_dir))
            try:
                unpacked = unpack_tar(archive, dataset.target, scratch, dataset.max_unpacked_bytes)
                changed = install(scratch, unpacked, data_dir, dataset.target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            if changed is not None:
                log(f"{name}: {target} was already there; checked it file by file against the archive: "
                    f"{changed} of {len(unpacked)} file(s) replaced")
            files.update(unpacked)
            if not keep_archive:
                archive.unlink()
    else:
        files = {remote.path: (p.stat().st_size, file_digests(p)["sha256"])
                 for remote in dataset.files for p in [data_dir / remote.path]}
    write_stamp(data_dir, dataset, checksums, where, files)
    log(f"{name}: ready in {target}")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Download, verify and unpack the course datasets.",
        epilog="Environment: CS231N_DATA_DIR (where data goes; default: datasets/ beside this script), "
               "CS231N_MIRROR (a folder, file:// or http(s):// URL holding the official file names).")
    parser.add_argument("names", nargs="*", default=["cifar10"], metavar="dataset",
                        help=f"datasets to fetch (default: cifar10; known: {', '.join(DATASETS)})")
    parser.add_argument("--list", action="store_true", help="list the datasets and exit")
    parser.add_argument("--data-dir", help="where to put the data (overrides CS231N_DATA_DIR)")
    parser.add_argument("--mirror", help="where to download from (overrides CS231N_MIRROR)")
    parser.add_argument("--force", action="store_true", help="download and unpack again")
    parser.add_argument("--verify", action="store_true",
                        help="re-check the sha256 of present files instead of trusting their sizes")
    parser.add_argument("--keep-archive", action="store_true", help="keep .tar.gz files after unpacking")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.list:
        for dataset in DATASETS.values():
            print(f"{dataset.name:16} {dataset.description}")
        return 0
    try:
        for name in args.names:
            fetch(name, args.data_dir, args.mirror, force=args.force, recheck=args.verify,
                  keep_archive=args.keep_archive, progress=not args.no_progress)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; run this again to resume the download", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
