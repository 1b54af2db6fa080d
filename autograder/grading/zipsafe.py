"""Reading a student's .zip without trusting it.

`inspect_archive` looks at the central directory only (nothing is
decompressed) and rejects the whole archive, with a message for the student,
when any entry:

* has an absolute path, a drive letter, a `..` component or a NUL byte;
* is a symbolic link, a device, a FIFO or a socket (Unix mode bits in
  `external_attr`), or is encrypted;
* pushes the archive past the limits on entry count or declared uncompressed
  size, or compresses suspiciously well (a zip bomb).

`extract_member` then decompresses one accepted entry as a stream and stops
at the per-file limit. Python's zipfile never yields more than an entry's
declared size (and then checks the CRC), so the declared sizes checked up
front are binding; the byte counter here is a second, independent guard.
"""
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 512 * MiB   # the .zip file itself
    max_entries: int = 10_000
    max_total_bytes: int = 512 * MiB     # declared uncompressed size of all entries
    max_file_bytes: int = 64 * MiB       # any single file taken into grading
    max_ratio: float = 200.0             # uncompressed / compressed, for entries over ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MiB


class UnsafeSubmission(Exception):
    """The submission cannot be graded as sent; str(error) is for the student."""


_DRIVE = re.compile(r"^[A-Za-z]:")


def normalized_name(raw):
    """The entry's path with '/' separators, or raise UnsafeSubmission if it escapes."""
    name = raw.replace("\\", "/")
    if "\x00" in name:
        raise UnsafeSubmission(f"the archive has an entry with a NUL byte in its name ({raw!r})")
    if name.startswith("/") or _DRIVE.match(name):
        raise UnsafeSubmission(f"the archive has an entry with an absolute path ({raw!r}); "
                               "zip the assignment folder itself, with relative paths")
    if ".." in name.split("/"):
        raise UnsafeSubmission(f"the archive has an entry that points outside the folder ({raw!r}); "
                               "entries may not contain '..'")
    return "/".join(part for part in name.split("/") if part not in ("", "."))


def _check_type(info, name):
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise UnsafeSubmission(f"the archive contains a symbolic link ({name}); "
                               "submit regular files only")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeSubmission(f"the archive contains a device or special file ({name}); "
                               "submit regular files only")
    if info.flag_bits & 0x1:
        raise UnsafeSubmission(f"the archive has an encrypted entry ({name}); "
                               "submit an archive without a password")


def inspect_archive(path, limits=Limits()):
    """Open `path` and check every entry; return (ZipFile, {name: ZipInfo} of files).

    Directory entries are dropped. Raises UnsafeSubmission for anything that
    is not a well-formed, reasonably sized archive of plain files.
    """
    size = path.stat().st_size
    if size > limits.max_archive_bytes:
        raise UnsafeSubmission(f"the archive is {size / MiB:.0f} MiB; the limit is "
                               f"{limits.max_archive_bytes / MiB:.0f} MiB (did you include the datasets?)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsafeSubmission(f"the file is not a readable .zip archive ({exc})") from None
    try:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise UnsafeSubmission(f"the archive has {len(infos)} entries; the limit is {limits.max_entries}")
        files, total = {}, 0
        for info in infos:
            name = normalized_name(info.filename)
            _check_type(info, name or info.filename)
            total += info.file_size
            if total > limits.max_total_bytes:
                raise UnsafeSubmission(
                    f"the archive expands to more than {limits.max_total_bytes / MiB:.0f} MiB; "
                    "submit only the files the assignment asks for (it may be a zip bomb)")
            if (info.file_size > limits.ratio_floor_bytes
                    and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                raise UnsafeSubmission(
                    f"{name} compresses {info.file_size / max(info.compress_size, 1):.0f} to 1, "
                    "far more than real work does; the archive looks like a zip bomb")
            if name and not info.is_dir():
                files[name] = info
        return archive, files
    except BaseException:
        archive.close()
        raise


def extract_member(archive, info, dest, limits=Limits()):
    """Decompress one checked entry to the file `dest`, streaming, within the per-file limit."""
    if info.file_size > limits.max_file_bytes:
        raise UnsafeSubmission(f"{info.filename} is {info.file_size / MiB:.0f} MiB; "
                               f"the limit per file is {limits.max_file_bytes / MiB:.0f} MiB")
    written = 0
    try:
        with archive.open(info) as source, open(dest, "wb") as target:
            while chunk := source.read(MiB):
                written += len(chunk)
                if written > limits.max_file_bytes:
                    raise UnsafeSubmission(f"{info.filename} expands past the limit of "
                                           f"{limits.max_file_bytes / MiB:.0f} MiB per file")
                target.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise UnsafeSubmission(f"{info.filename} could not be read from the archive; it is "
                               f"corrupt or uses an unsupported compression ({exc})") from None
