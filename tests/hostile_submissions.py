"""Hostile submissions, derived from a correct one, for grading tests.

    from tests.hostile_submissions import HOSTILE_KINDS, make_hostile
    for hostile in HOSTILE_KINDS:
        path = make_hostile(hostile.kind, good_submission_dir, tmp_path)
        ...grade `path` with the good submission and compare with hostile.outcome

A code kind copies the good submission folder and rewrites
`cs231n/classifiers/k_nearest_neighbor.py` (the staging step only takes the
graded files, so the attack must live in a graded module). Most kinds append
a block that replaces every public function and method the module defines;
they make no assumption about the module beyond its path. Archive kinds
return a crafted .zip instead of a folder.

Outcomes, relative to grading the good submission in the same batch:
    knn_zero      every test of the kNN module scores 0 and its feedback matches
                  `message`; every other test scores as for the good submission
    same_as_good  the attack fails silently and every test scores as for the
                  good submission (had it worked, the kNN tests would fail:
                  the submission raises "HOSTILE ... LEAKED" when it succeeds)
    same_as:KIND  every test scores as for the submission of kind KIND
    control       no expectation of its own: the reference for a same_as kind
    rejected      nothing is graded (every test 0); feedback matches `message`
    notebook_dropped  code tests score as for the good submission; the broken
                  notebook is left out with a message matching `message`

Every kind also expects: the grader finishes, and after grading no process
of a worker uid survives (`surviving_worker_processes()` is empty).

Grade these only with isolation "bwrap" (or "rlimits", which is expected to
leak to read_hidden_tests and network): unconfined, write_outside really
writes marker files (never overwriting anything) and the daemons really run.
"""
import dataclasses
import os
import shutil
import stat
import zipfile
from pathlib import Path

KNN = "cs231n/classifiers/k_nearest_neighbor.py"
MARKER = "HOSTILE_MARKER"  # name part of any file an attack manages to write
FIRST_WORKER_UID, WORKER_UIDS = 61000, 512  # autograder.sandbox.slots


@dataclasses.dataclass(frozen=True)
class Hostile:
    kind: str
    does: str       # what the submission tries
    outcome: str    # knn_zero | same_as_good | rejected | notebook_dropped
    message: str    # regex expected in the feedback ("" when nothing is to be said)


HOSTILE_KINDS = [
    Hostile("syntax_error", "a syntax error in the kNN module", "knn_zero", r"SyntaxError|syntax error"),
    Hostile("import_error", "imports a module that does not exist", "knn_zero", r"ModuleNotFoundError"),
    Hostile("missing_class", "deletes everything the module defines", "knn_zero", r"has no attribute"),
    Hostile("wrong_signature", "methods take no arguments", "knn_zero", r"TypeError"),
    Hostile("sys_exit_at_import", "sys.exit(0) while being imported", "knn_zero", r"tried to exit"),
    Hostile("os_exit_at_import", "os._exit(0) while being imported", "knn_zero", r"crashed the worker"),
    Hostile("sys_exit_in_method", "sys.exit(0) in every method", "knn_zero", r"tried to exit"),
    Hostile("os_exit_in_method", "os._exit(0) in every method", "knn_zero", r"crashed the worker"),
    Hostile("infinite_loop", "every method loops forever", "knn_zero", r"did not finish within|time budget"),
    Hostile("huge_allocation", "allocates 50 GB in every method", "knn_zero", r"MemoryError|Unable to allocate|crashed"),
    Hostile("segfault", "reads address 0 (SIGSEGV) in every method", "knn_zero", r"crashed the worker"),
    Hostile("protocol_garbage", "writes garbage on the grader's response pipe", "knn_zero",
            r"broke the connection|crashed the worker"),
    Hostile("eq_always_true", "returns an object equal to everything", "knn_zero", r"should be a NumPy array"),
    Hostile("ndarray_subclass", "returns zeros of the right shape as an ndarray subclass whose == is "
            "always True (the wire sends its plain values, so it scores as the zeros it holds)",
            "same_as:returns_zeros", ""),
    Hostile("returns_zeros", "honest but wrong: every array result is zeros of the right shape",
            "control", ""),
    Hostile("monkeypatch_checks", "returns zeros and, at import, patches the numpy functions the "
            "grader's checks use (abs, max, isfinite...) and builtins.abs to lie to grader code, "
            "and replaces pytest and autograder in sys.modules",
            "same_as:returns_zeros", ""),
    Hostile("read_hidden_tests", "looks for the hidden suites, the reference solution and the grader",
            "same_as_good", ""),
    Hostile("write_outside", "writes marker files into the submission, the repo and results paths",
            "same_as_good", ""),
    Hostile("network", "connects to local services and the internet", "same_as_good", ""),
    Hostile("background_process", "leaves a daemon (double fork + setsid) running", "same_as_good", ""),
    Hostile("fork_bomb", "forks until refused (at most 1000), the children idle forever", "same_as_good", ""),
    Hostile("print_flood", "prints 1 GiB on its first call", "same_as_good", ""),
    Hostile("symlink_to_reference", "the kNN module is a symlink to the reference solution",
            "rejected", r"symbolic link"),
    Hostile("zip_dotdot", "a .zip entry named ../../escaped.py", "rejected", r"outside the folder"),
    Hostile("zip_absolute", "a .zip entry with an absolute path", "rejected", r"absolute path"),
    Hostile("zip_symlink", "a .zip entry that is a symlink to the reference solution", "rejected",
            r"symbolic link"),
    Hostile("zip_bomb", "a .zip entry of 300 MiB of zeros", "rejected", r"zip bomb"),
    Hostile("invalid_notebook", "a notebook that is not JSON", "notebook_dropped", r"is not valid JSON"),
]

KINDS = {hostile.kind: hostile for hostile in HOSTILE_KINDS}


def make_hostile(kind, good_submission_dir, dest_dir):
    """Build the hostile submission `kind` from a correct one; returns its path.

    Code kinds give a folder `dest_dir/kind`, archive kinds a `dest_dir/kind.zip`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown hostile kind {kind!r}; see HOSTILE_KINDS")
    good, dest_dir = Path(good_submission_dir), Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    if kind.startswith("zip_"):
        return _make_zip(kind, good, dest_dir / f"{kind}.zip")
    dest = dest_dir / kind
    shutil.copytree(good, dest)
    knn = dest / KNN
    if kind == "symlink_to_reference":
        knn.unlink()
        knn.symlink_to(_reference_knn())
    elif kind == "invalid_notebook":
        notebook = sorted(dest.rglob("*.ipynb"))[0]
        notebook.write_text('{"cells": [ this is not JSON')
    elif kind == "syntax_error":
        knn.write_text(knn.read_text() + "\n\ndef knn_helper(:\n    return 1\n")
    elif kind == "import_error":
        knn.write_text("import not_a_real_module_for_hostile_tests\n" + knn.read_text())
    else:
        knn.write_text(knn.read_text() + _appended_block(kind))
    return dest


def surviving_worker_processes():
    """Pids of live processes running as any sandbox worker uid.

    Empty after grading, as long as no other grading runs on this machine.
    """
    pids = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        uid = int(fields.get("Uid", "-1").split()[0])
        if FIRST_WORKER_UID <= uid < FIRST_WORKER_UID + WORKER_UIDS and not fields.get("State", "").strip().startswith("Z"):
            pids.append(int(name))
    return pids


def _reference_knn():
    return Path(__file__).resolve().parents[1] / "source" / KNN


# ---- code appended to the kNN module ------------------------------------------

# Replaces every public function and public method the module defines with
# make(original). Names start with "_hostile" so the replacement skips them.
_REPLACE_ALL = '''

# ---- appended by tests/hostile_submissions.py: {kind} ----
def _hostile_replace_all(make):
    import inspect
    namespace = globals()
    for name, value in list(namespace.items()):
        if name.startswith("_") or getattr(value, "__module__", None) != __name__:
            continue
        if inspect.isfunction(value):
            namespace[name] = make(value)
        elif inspect.isclass(value):
            for attribute, member in list(vars(value).items()):
                if inspect.isfunction(member) and not attribute.startswith("_"):
                    setattr(value, attribute, make(member))
'''

# Attacks that succeed make every method raise, so a leak costs the kNN points.
_RAISE_IF_LEAKED = '''
def _hostile_guard(original):
    def guarded(*args, **kwargs):
        if _HOSTILE_LEAKS:
            raise RuntimeError("HOSTILE attack succeeded, LEAKED: " + "; ".join(_HOSTILE_LEAKS[:5]))
        return original(*args, **kwargs)
    return guarded

_hostile_replace_all(_hostile_guard)
'''

_ATTACKS = {
    "missing_class": '''
for _hostile_name in [n for n, v in list(globals().items())
                      if not n.startswith("_") and getattr(v, "__module__", None) == __name__]:
    del globals()[_hostile_name]
''',
    "wrong_signature": '''
def _hostile_no_arguments(original):
    def no_arguments(self):
        return None
    return no_arguments

_hostile_replace_all(_hostile_no_arguments)
''',
    "sys_exit_at_import": "\nimport sys as _hostile_sys\n_hostile_sys.exit(0)\n",
    "os_exit_at_import": "\nimport os as _hostile_os\n_hostile_os._exit(0)\n",
    "sys_exit_in_method": '''
def _hostile_exit(original):
    def exits(*args, **kwargs):
        import sys
        sys.exit(0)
    return exits

_hostile_replace_all(_hostile_exit)
''',
    "os_exit_in_method": '''
def _hostile_exit(original):
    def exits(*args, **kwargs):
        import os
        os._exit(0)
    return exits

_hostile_replace_all(_hostile_exit)
''',
    "infinite_loop": '''
def _hostile_loop(original):
    def loops(*args, **kwargs):
        while True:
            pass
    return loops

_hostile_replace_all(_hostile_loop)
''',
    "huge_allocation": '''
def _hostile_allocate(original):
    def allocates(*args, **kwargs):
        import numpy
        return numpy.ones(50 * 10**9 // 8).sum()
    return allocates

_hostile_replace_all(_hostile_allocate)
''',
    "segfault": '''
def _hostile_segfault(original):
    def crashes(*args, **kwargs):
        import ctypes
        return ctypes.string_at(0)  # reads address 0: SIGSEGV
    return crashes

_hostile_replace_all(_hostile_segfault)
''',
    "protocol_garbage": '''
def _hostile_garbage(original):
    def garbage(*args, **kwargs):
        import os
        for fd in range(3, 64):
            try:
                os.write(fd, b"\\xff" * 64)
            except OSError:
                pass
        return original(*args, **kwargs)
    return garbage

_hostile_replace_all(_hostile_garbage)
''',
    "eq_always_true": '''
class _HostileEqualToEverything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

def _hostile_liar(original):
    def lies(*args, **kwargs):
        original(*args, **kwargs)
        return _HostileEqualToEverything()
    return lies

_hostile_replace_all(_hostile_liar)
''',
    "ndarray_subclass": '''
import numpy as _hostile_np

class _HostileArray(_hostile_np.ndarray):
    def __eq__(self, other):
        return _hostile_np.ones(_hostile_np.shape(other), dtype=bool)

def _hostile_subclass(original):
    def disguised(*args, **kwargs):
        result = original(*args, **kwargs)
        if isinstance(result, _hostile_np.ndarray):
            return _hostile_np.zeros_like(result).view(_HostileArray)
        return result
    return disguised

_hostile_replace_all(_hostile_subclass)
''',
    "returns_zeros": '''
import numpy as _hostile_np

def _hostile_zeros(original):
    def zeros(*args, **kwargs):
        result = original(*args, **kwargs)
        return _hostile_np.zeros_like(result) if isinstance(result, _hostile_np.ndarray) else result
    return zeros

_hostile_replace_all(_hostile_zeros)
''',
    # The patched functions lie only when called from the grader's modules
    # (as autograder.testkit.checks would be, were it in this process), so the
    # student's own code keeps working and the grade must equal the control's.
    "monkeypatch_checks": '''
import builtins as _hostile_builtins, sys as _hostile_sys, types as _hostile_types
import numpy as _hostile_np

def _hostile_lie(real, lie):
    def patched(*args, **kwargs):
        caller = _hostile_sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith(("autograder", "testkit", "pytest", "_pytest")):
            return lie(*args, **kwargs)
        return real(*args, **kwargs)
    return patched

_hostile_zeros_like_shape = lambda x, *a, **k: _hostile_np.zeros(_hostile_np.shape(x))
_hostile_np.abs = _hostile_np.absolute = _hostile_lie(_hostile_np.abs, _hostile_zeros_like_shape)
_hostile_np.max = _hostile_np.amax = _hostile_lie(_hostile_np.max, lambda *a, **k: 0.0)
_hostile_np.isfinite = _hostile_lie(_hostile_np.isfinite,
                                    lambda x, *a, **k: _hostile_np.ones(_hostile_np.shape(x), dtype=bool))
_hostile_np.isnan = _hostile_lie(_hostile_np.isnan,
                                 lambda x, *a, **k: _hostile_np.zeros(_hostile_np.shape(x), dtype=bool))
_hostile_np.all = _hostile_lie(_hostile_np.all, lambda *a, **k: True)
_hostile_np.allclose = _hostile_lie(_hostile_np.allclose, lambda *a, **k: True)
_hostile_np.array_equal = _hostile_lie(_hostile_np.array_equal, lambda *a, **k: True)
_hostile_np.testing.assert_allclose = _hostile_lie(_hostile_np.testing.assert_allclose, lambda *a, **k: None)
_hostile_builtins.abs = _hostile_lie(_hostile_builtins.abs, lambda x: 0)
_hostile_sys.modules["pytest"] = _hostile_types.ModuleType("pytest")
for _hostile_name in ("autograder", "autograder.testkit", "autograder.testkit.checks"):
    _hostile_sys.modules[_hostile_name] = _hostile_types.ModuleType(_hostile_name)

def _hostile_zeros(original):
    def zeros(*args, **kwargs):
        result = original(*args, **kwargs)
        return _hostile_np.zeros_like(result) if isinstance(result, _hostile_np.ndarray) else result
    return zeros

_hostile_replace_all(_hostile_zeros)
''',
    "read_hidden_tests": '''
def _hostile_find_secrets():
    import os
    leaks, starts = [], {"/", os.getcwd(), os.path.dirname(os.path.abspath(__file__))}
    for up in list(starts):
        while up not in ("/", ""):
            up = os.path.dirname(up)
            starts.add(up)
    wanted = ("suites", "autograder", "source", "reference", "solutions", "hidden")
    for start in sorted(starts):
        for folder, dirs, files in os.walk(start):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", "lib", "site-packages")]
            if folder.count(os.sep) > 6:
                dirs[:] = []
            if any(part in wanted for part in folder.split(os.sep)):
                for name in files:
                    if name.endswith(".py"):
                        try:
                            with open(os.path.join(folder, name)) as f:
                                f.read(1)
                            leaks.append(os.path.join(folder, name))
                        except OSError:
                            pass
            if len(leaks) > 5:
                return leaks
    try:
        import autograder  # noqa: F401
        leaks.append("import autograder")
    except ImportError:
        pass
    return leaks

_HOSTILE_LEAKS = _hostile_find_secrets()
''',
    "write_outside": '''
def _hostile_write_everywhere():
    import os
    leaks, places = [], {os.getcwd(), os.path.dirname(os.path.abspath(__file__)), "/",
                         "/autograder/results", "/work/main", "/work/main/build", "/results"}
    for start in list(places):
        while start not in ("/", ""):
            start = os.path.dirname(start)
            places.add(start)
    for place in sorted(places):
        path = os.path.join(place, "HOSTILE_MARKER_write_outside.txt")
        try:
            with open(path, "x") as f:  # never overwrite anything
                f.write("written by a hostile submission")
            leaks.append(path)
        except OSError:
            pass
    return leaks

_HOSTILE_LEAKS = _hostile_write_everywhere()
''',
    "network": '''
def _hostile_connect():
    import socket
    leaks = []
    for host, port in [("127.0.0.1", p) for p in (22, 80, 443, 5432, 6379, 8000, 8080, 8888)] + [
            ("1.1.1.1", 53), ("8.8.8.8", 53)]:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            leaks.append(f"{host}:{port}")
        except OSError:
            pass
    return leaks

_HOSTILE_LEAKS = _hostile_connect()
''',
    "background_process": '''
def _hostile_daemon():
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.closerange(0, 256)
            while True:
                time.sleep(1)
        os._exit(0)
    os.wait()
    return []

_HOSTILE_LEAKS = _hostile_daemon()
''',
    "fork_bomb": '''
def _hostile_fork_bomb():
    # Forks until the process limit refuses; bounded at 1000 so that an
    # accidental unconfined run (isolation "none") cannot take the machine down.
    import os, time
    for _ in range(1000):
        try:
            pid = os.fork()
        except OSError:
            return []
        if pid == 0:
            os.closerange(0, 256)
            while True:
                time.sleep(60)
    return ["forked 1000 processes: no process limit"]

_HOSTILE_LEAKS = _hostile_fork_bomb()
''',
    "print_flood": '''
def _hostile_flood(original):
    def floods(*args, **kwargs):
        import sys
        if not _HOSTILE_FLOODED:
            _HOSTILE_FLOODED.append(True)
            chunk = "x" * 2**20
            for _ in range(1024):
                sys.stdout.write(chunk)
            sys.stdout.flush()
        return original(*args, **kwargs)
    return floods

_HOSTILE_FLOODED = []
_hostile_replace_all(_hostile_flood)
''',
}

_LEAK_CHECKED = {"read_hidden_tests", "write_outside", "network", "background_process", "fork_bomb"}


def _appended_block(kind):
    block = _REPLACE_ALL.format(kind=kind) + _ATTACKS[kind]
    if kind in _LEAK_CHECKED:
        block += _RAISE_IF_LEAKED
    return block


# ---- archives ---------------------------------------------------------------

def _make_zip(kind, good, path):
    """A .zip of the good submission plus one crafted entry."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in good.rglob("*") if p.is_file()):
            name = file.relative_to(good).as_posix()
            if kind == "zip_symlink" and name == KNN:
                continue
            archive.write(file, name)
        if kind == "zip_dotdot":
            archive.writestr("../../escaped.py", "print('escaped')\n")
        elif kind == "zip_absolute":
            archive.writestr("/tmp/HOSTILE_MARKER_absolute.py", "print('absolute')\n")
        elif kind == "zip_symlink":
            link = zipfile.ZipInfo(KNN)
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(link, str(_reference_knn()))
        elif kind == "zip_bomb":
            with archive.open("cs231n/padding.bin", "w", force_zip64=True) as entry:
                zeros = bytes(2**20)
                for _ in range(300):
                    entry.write(zeros)
    return path
