"""Turn a submission (a folder or a .zip) into a clean staging folder.

    staged = stage_submission(path, manifest, release_dir, dest)

`dest` then holds exactly what grading reads, laid out like the release:

* every module of the release, taken from `release_dir` (the stubs), with the
  student's version of each `submit_modules` entry on top;
* the notebooks that parse as notebooks, and the `submit_artifacts` found.

Anything else the student sent is ignored. Where the files sit in the
submission does not matter as long as their paths relative to one folder
match the release (a wrapper folder such as `assignment1/` is found and
stripped). `__MACOSX`, `.ipynb_checkpoints` and `__pycache__` are ignored.

Problems never raise: they become `staged.problems`, messages for the
student. A submission that cannot be read safely at all (`../` entries,
links, a zip bomb...) is `staged.rejected`; nothing of it is staged and
every test scores 0.
"""
import io
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from course import CourseError

from .zipsafe import Limits, UnsafeSubmission, extract_member, inspect_archive

IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store", ".git"}


@dataclass
class Staged:
    root: Path
    problems: list = field(default_factory=list)   # messages for the student
    rejected: bool = False                          # True: nothing could be graded
    submitted: list = field(default_factory=list)   # graded paths taken from the submission


class ReleaseMissing(CourseError):
    """The release the grader copies stubs from is incomplete (an instructor problem)."""


def _ignored(name):
    return any(part in IGNORED_PARTS or part.startswith("._") for part in name.split("/"))


MAX_DEPTH = 32   # folders inside folders; a release is 3 deep


def _folder_files(folder, limits):
    """{relative posix path: Path} of the regular files under `folder`; links are refused.

    Walked without recursion and at most MAX_DEPTH folders deep, so a tree of
    thousands of nested folders is a message, not a crash.
    """
    files, todo = {}, [(Path(folder), 0)]
    while todo:
        current, depth = todo.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            raise UnsafeSubmission(f"part of the submission cannot be read ({exc.strerror})") from None
        for entry in entries:
            full = Path(entry.path)
            rel = full.relative_to(folder).as_posix()
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                raise UnsafeSubmission(f"{rel[:200]} cannot be read ({exc.strerror})") from None
            if stat.S_ISLNK(mode):
                raise UnsafeSubmission(f"the submission contains a symbolic link ({rel}); "
                                       "submit regular files only")
            if stat.S_ISDIR(mode):
                if depth + 1 > MAX_DEPTH:
                    raise UnsafeSubmission(f"the submission has folders nested more than {MAX_DEPTH} deep")
                todo.append((full, depth + 1))
            elif not stat.S_ISREG(mode):
                raise UnsafeSubmission(f"the submission contains a device or special file ({rel})")
            elif not _ignored(rel):
                files[rel] = full
                if len(files) > limits.max_entries:
                    raise UnsafeSubmission(f"the submission has more than {limits.max_entries} files")
    return files


def find_prefix(names, wanted):
    """The folder prefix ('' or 'wrapper/...') under which most `wanted` paths exist.

    Ties go to the shortest prefix, so a submission laid out like the release
    is read as is; a zip of the assignment folder is read inside it.
    """
    counts = {}
    for name in names:
        for path in wanted:
            if name == path or name.endswith("/" + path):
                prefix = name[: len(name) - len(path)]
                counts[prefix] = counts.get(prefix, 0) + 1
    if not counts:
        return ""
    return min(counts, key=lambda p: (-counts[p], len(p)))


def notebook_problem(path):
    """None if `path` holds a Jupyter notebook, else a message saying why it does not."""
    try:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
    except UnicodeDecodeError:
        return "is not a text file"
    except json.JSONDecodeError as exc:
        return f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except (RecursionError, MemoryError):
        return "is nested too deeply to be read as a notebook"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or not isinstance(nb.get("nbformat"), int):
        return "is valid JSON but not a Jupyter notebook (no cells / nbformat)"
    return None


MAX_MODULE_BYTES = 512 * 1024      # the course's modules are about 10 KB
COMPILE_MEMORY_BYTES = 1 << 30     # the limited process that parses a submitted module
UTF8 = {"utf-8", "utf-8-sig"}


def module_problem(path):
    """None if `path` is a Python module the grader can read as Python runs it, else what is wrong.

    Bounded in size; encoded in UTF-8 (a coding line naming another encoding would let
    checks that read the source see another program than the one that runs); parsed in a
    child process with a memory and CPU limit, so deep nesting or a huge file costs that
    process only. Nothing of the student's code runs here: compile() only parses.
    """
    import tokenize

    data = Path(path).read_bytes()
    if len(data) > MAX_MODULE_BYTES:
        return (f"is {len(data) / 1024:.0f} KB; a module of this course is far smaller (the limit is "
                f"{MAX_MODULE_BYTES // 1024} KB)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return f"declares an encoding Python does not know ({exc.msg}); save it as UTF-8 without a coding line"
    if encoding.lower().replace("_", "-") not in UTF8:
        return f"declares the encoding {encoding}; remove the coding line and save the file as UTF-8"
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
    return _compile_in_limited_child(data, str(path))


def _compile_in_limited_child(data, where):
    """compile(data) in a forked child under RLIMIT_AS and RLIMIT_CPU; None or what is wrong."""
    import resource

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        message = b""
        try:
            os.close(read)
            resource.setrlimit(resource.RLIMIT_AS, (COMPILE_MEMORY_BYTES, COMPILE_MEMORY_BYTES))
            resource.setrlimit(resource.RLIMIT_CPU, (10, 10))
            try:
                compile(data, where, "exec", dont_inherit=True)
            except SyntaxError as exc:
                message = f"has a syntax error at line {exc.lineno}: {exc.msg}".encode()
            except (RecursionError, MemoryError):
                message = b"is nested too deeply (or is too large) for Python to parse"
            except ValueError as exc:  # e.g. NUL bytes
                message = f"cannot be read as Python source ({exc})".encode()
            os.write(write, message[:2000] or b"OK")
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    answer = b"".join(chunks).decode("utf-8", "replace")
    if answer == "OK":
        return None
    return answer or "is too large or too deeply nested for Python to parse within the grader's limits"


def _copy_release(manifest, release_dir, dest):
    for module in manifest.modules:
        src = Path(release_dir) / module
        if not src.is_file():
            raise ReleaseMissing(f"{src} is missing: build the release first (make release)")
        (dest / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / module)


def _make_readable(root):
    """The sandbox worker may run as another uid: staged files must be world-readable."""
    for dirpath, _, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(Path(dirpath) / name, 0o644)


def stage_submission(path, manifest, release_dir, dest, limits=Limits()):
    """Stage `path` (folder or .zip) into the empty or new folder `dest`; return a `Staged`."""
    path, dest = Path(path), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    staged = Staged(root=dest)
    _copy_release(manifest, release_dir, dest)
    archive = None
    try:
        if path.is_dir():
            files = _folder_files(path, limits)
        elif path.suffix.lower() == ".zip":
            archive, infos = inspect_archive(path, limits)
            files = {name: info for name, info in infos.items() if not _ignored(name)}
        else:
            raise UnsafeSubmission(f"{path.name} is neither a folder nor a .zip archive")
        prefix = find_prefix(files, manifest.graded_paths)
        for rel in manifest.graded_paths:
            source = files.get(prefix + rel)
            if source is None:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if archive is not None:
                extract_member(archive, source, target, limits)
            else:
                size = source.stat().st_size
                if size > limits.max_file_bytes:
                    raise UnsafeSubmission(f"{rel} is {size / 2**20:.0f} MiB; the limit per file is "
                                           f"{limits.max_file_bytes / 2**20:.0f} MiB")
                shutil.copyfile(source, target)
            staged.submitted.append(rel)
    except UnsafeSubmission as exc:
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        return Staged(root=dest, problems=[f"Your submission was not graded: {exc}."], rejected=True)
    finally:
        if archive is not None:
            archive.close()
    _check_contents(staged, manifest, release_dir)
    _make_readable(dest)
    return staged


def _check_contents(staged, manifest, release_dir):
    """Add a message for each missing or malformed graded file (invalid notebooks are dropped)."""
    for rel in manifest.submit_modules:
        if rel not in staged.submitted:
            staged.problems.append(f"{rel} is missing from your submission; its tests ran on the "
                                   "unmodified release file.")
        elif problem := module_problem(staged.root / rel):
            if problem.startswith("has a syntax error"):
                staged.problems.append(f"{rel} {problem}; tests that import it fail.")
            else:  # a file the checks could not read as Python runs it is not graded at all
                shutil.copyfile(Path(release_dir) / rel, staged.root / rel)
                staged.submitted.remove(rel)
                staged.problems.append(f"{rel} {problem}. It was not graded: its tests ran on the "
                                       "unmodified release file.")
    for rel in manifest.notebooks:
        if rel not in staged.submitted:
            staged.problems.append(f"{rel} is missing from your submission; its written answers cannot be graded.")
        elif problem := notebook_problem(staged.root / rel):
            staged.problems.append(f"{rel} {problem}; it was left out, so its written answers cannot "
                                   "be graded (the code tests are not affected).")
            (staged.root / rel).unlink()
            staged.submitted.remove(rel)
    for rel in manifest.submit_artifacts:
        if rel not in staged.submitted:
            staged.problems.append(f"{rel} is missing from your submission; run the notebook cell "
                                   "that saves it. Tests that need it fail.")
