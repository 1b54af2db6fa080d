"""Every hostile submission of tests/hostile_submissions.py, graded in ONE batch
with a correct submission, on the real assignment1 material.

The world (built once per batch in a folder anyone may read, as Gradescope's
setup leaves its source tree: the sandbox, not file modes, must keep the
reference, the suites, OUT and the other submissions from the worker):

    release/assignment1/    the release's modules, stubbed by the release
                            pipeline's own step (release.stub_modules): the
                            files the grader copies for modules not submitted
                            (built fresh: assignments/ may lag behind source/,
                            and the notebook steps are slow and not read here)
    reference/              a copy of source/cs231n (the reference solution)
                            and of source/assignment1/assignment.toml with
                            `suites` cut to SUITES (see below)
    suites/                 a copy of autograder/suites (conftest.py and
                            assignment1/): the real hidden and public tests
    submissions/good/       autograder.samples.build_reference: full marks
    submissions/<kind>[.zip]  tests/hostile_submissions.make_hostile(kind, good)
    out/                    what grade_batch writes

Why a cut manifest: the whole assignment takes about 9 s per submission here
(and the saved-model tests need CIFAR-10, so the reference cannot get full
marks without the dataset), the kNN and SVM suites about 3.5 s. The hostile
code lives in k_nearest_neighbor.py, so test_knn.py is where it must cost
points; test_linear_svm.py is the control suite, whose points must survive
whatever the kNN module does. Copies, not the repository's own folders, so
that "unchanged" can be checked exactly while other work edits the tree.

One `grade_batch` over all submissions at isolation "bwrap" (the real path:
grade-one children, pytest, the suites' `student` fixture, RemoteCode); a
second, smaller batch at "rlimits" with the kinds whose containment depends on
the sandbox's mechanisms (uid, cgroup, rlimits, seccomp, Landlock, process
sweep). tmp_inodes is bwrap's only: rlimits has no private /tmp to limit (see
docs/SECURITY.md). Without Landlock, write_outside may write where any local
user can, /tmp, and nowhere else (WORLD_WRITABLE_ONLY), and the probe refuses
rlimits for this world-readable tree, so that batch is skipped with the reason,
as is each batch where its level is unavailable.

The torch batch (fixture `torch_batch`, batch id "torch") is the same
machinery on assignment 2's PyTorch part (world A2_TORCH): the good
submission and tests/hostile_submissions.TORCH_HOSTILE_KINDS, graded at
"bwrap" with `suites` cut to test_pytorch.py (where the attacks must cost
points: their own tests only) and test_optim.py (the control suite), the
cut manifest's call timeout shortened to 10 s (the sleeping forward costs
two). The caption batch (fixture `caption_batch`, world A3_CAPTION) attacks assignment 3's
saved Transformer, which the grader reads and loads into the reference in its own process
(tests/hostile_submissions.CAPTION_HOSTILE_KINDS: pickles, absurd sizes, a NaN, an .npz bomb),
with test_transformer_layers.py as the control suite; it needs the captioning scenes. The
generator batch (world A3_GENERATOR) does the same to the saved DCGAN generator
(GENERATOR_HOSTILE_KINDS, plus a forged copy of the judge), with test_gan.py as the control
suite; it needs MNIST. The ddpm batch (world A3_DDPM) attacks the saved DDPM U-Net the same
way, with test_diffusion.py as the control. Every world's reference holds course.toml and the other assignments'
manifests: shared modules hold later assignments' blocks. It needs CIFAR-10 and the held-out images.

Time: the infinite loop costs one call timeout (RemoteCode's 30 s default; the
suites' `student` fixture offers no way to shorten it), in parallel with the
rest; the memory attacks (4 GiB written, then the OOM kill) take 15-25 s each
on this machine, state_steal looks for 8 s. Measured on the shared 2-core
machine: see the report in docs/SECURITY.md ("Running the hostile batch"). Run:

    .venv/bin/python -m pytest tests/test_hostile_batch.py -v
"""
import contextlib
import hashlib
import io
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from autograder.grading import grade_batch, grade_submission
from autograder.grading.results import load_schema
from autograder.grading.scoped_reference import write_scoped_reference
from autograder.samples import build_reference
from autograder.sandbox import isolation as levels
from tests.hostile_submissions import (CAPTION_HOSTILE_KINDS, CAPTION_MODULE, DDPM_HOSTILE_KINDS, DDPM_MODULE,
                                       FIRST_WORKER_UID, GENERATOR_HOSTILE_KINDS, GENERATOR_MODULE, HOSTILE_KINDS, KINDS, KNN, MARKER,
                                       TORCH_HOSTILE_KINDS, TORCH_MODULE, WORKER_UIDS, make_hostile,
                                       surviving_worker_processes)

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class World:
    """The assignment a batch grades: its suites cut to (target, control), the module the
    hostile code lives in, and optionally a shorter call timeout for the cut manifest."""
    assignment: str
    suites: tuple            # (the suite the attacks must cost points in, the control suite)
    module: str
    call_timeout_s: float = None
    datasets: tuple = ()     # what the batch needs beyond the repository (skipped without)
    suite_timeout_s: float = None   # per submission, if not SUITE_TIMEOUT_S

    @property
    def target_suite(self):
        return self.suites[0]

    @property
    def control_suite(self):
        return self.suites[1]


A1 = World("assignment1", ("test_knn.py", "test_linear_svm.py"), KNN)
A2_TORCH = World("assignment2", ("test_pytorch.py", "test_optim.py"), TORCH_MODULE, call_timeout_s=10,
                 datasets=("cifar10", "cifar10_heldout"))
# Assignment 3's saved Transformer, which the grader loads into the reference in its own
# process: test_trained_transformer.py must charge the attacks, the layers suite is the control.
A3_CAPTION = World("assignment3", ("test_trained_transformer.py", "test_transformer_layers.py"), CAPTION_MODULE,
                   datasets=("captioning_scenes",))
# Assignment 3's saved DCGAN generator, loaded into the reference the same way and judged by the
# course's classifier: test_trained_generators.py must charge the attacks, test_gan.py is the control.
A3_GENERATOR = World("assignment3", ("test_trained_generators.py", "test_gan.py"), GENERATOR_MODULE,
                     datasets=("mnist",))
# Assignment 3's saved DDPM U-Net, sampled with the reference diffusion and judged the same way:
# test_trained_ddpm.py must charge the attacks, test_diffusion.py is the control.
# Sampling 100 digits of 200 steps in the grader's process takes 20-25 s alone and more than the
# default backstop of 150 s on a loaded 2-core machine with the second job beside it.
A3_DDPM = World("assignment3", ("test_trained_ddpm.py", "test_diffusion.py"), DDPM_MODULE, datasets=("mnist",),
                suite_timeout_s=600)
ASSIGNMENT = A1.assignment
KNN_SUITE, CONTROL_SUITE = SUITES = A1.suites
GOOD = "good"
JOBS = 2
SUITE_TIMEOUT_S = 150   # per submission; a backstop: the slowest (infinite_loop) needs about 35 s

# Kinds graded again at "rlimits": those its uid, resource limits and process
# sweep must contain. Not read_hidden_tests and network (rlimits shares the
# host's file system and network by design), nor kinds the grader itself
# handles the same way at every level (syntax errors, archives, lies...).
RLIMITS_KINDS = ("huge_allocation", "fork_bomb", "background_process", "write_outside", "print_flood",
                 "read_hidden_tests", "network", "proc_snoop", "state_plant", "state_steal",
                 "children_memory", "memfd_hoard", "spinners")
# write_outside at rlimits without Landlock: the worker's uid can write where
# any local user can (/tmp, its work dir's parent), and nowhere else: not the
# repository, OUT, the suites, the reference or the submission. Where it did
# write, the attack's guard fails every kNN test ("LEAKED"); the marker files
# are removed. With Landlock it writes nowhere but its home.
WORLD_WRITABLE_ONLY = set() if levels.landlock_abi() else {("rlimits", "write_outside")}

# Stricter than the factory's own `message` for some kinds: the student must
# be told what happened and where.
EXTRA_MESSAGES = {
    "syntax_error": r"k_nearest_neighbor\.py has a syntax error at line \d+",
    "import_error": r"No module named 'not_a_real_module_for_hostile_tests'",
    "wrong_signature": r"TypeError: .*takes 1 positional argument but \d+ were given",
    "sys_exit_at_import": r"importing cs231n\.classifiers\.k_nearest_neighbor tried to exit",
    "os_exit_at_import": r"crashed the worker process: it exited with status 0",
    "segfault": r"crashed the worker process: it was killed by SIGSEGV",
    "infinite_loop": r"did not finish within 30 s",
    "huge_allocation": r"MemoryError",
    "zip_dotdot": r"Your submission was not graded: .*points outside the folder \('\.\./\.\./escaped\.py'\)",
    "zip_absolute": r"Your submission was not graded: .*absolute path",
    "zip_symlink": r"Your submission was not graded: .*symbolic link",
    "zip_bomb": r"Your submission was not graded: .*zip bomb",
    "symlink_to_reference": r"Your submission was not graded: .*symbolic link",
    "invalid_notebook": r"\w+\.ipynb is not valid JSON \(line \d+, column \d+",
    "proc_snoop": r"NotImplementedError: HOSTILE_BLANK: nothing to steal",
    "state_steal": r"NotImplementedError: HOSTILE_BLANK: nothing to steal",
}

# Places an escaping write would land (write_outside aims at these and their parents).
MARKER_PLACES = [Path(p) for p in ("/", "/tmp", "/work", "/autograder", "/autograder/results", "/results")] + [
    REPO, REPO / "build", REPO / "source", REPO / "autograder", REPO / "autograder" / "suites",
    REPO / "autograder" / "suites" / A1.assignment, REPO / "autograder" / "suites" / A2_TORCH.assignment,
    REPO / "autograder" / "suites" / A3_CAPTION.assignment]


# ---- the world ------------------------------------------------------------------------

def _write_release(dest, assignment=ASSIGNMENT):
    """The release's modules, stubbed by the release pipeline (fresh: the committed
    assignments/ may lag behind source/)."""
    from course import Roots as ReleaseRoots
    from course import load_manifest as load_release_manifest
    from release.pipeline import Job
    from release.stub_modules import stub_modules
    job = Job(load_release_manifest(ReleaseRoots.of_repo(), assignment), ReleaseRoots.of_repo())
    stub_modules(job)
    job.tree.write(dest / assignment)


def _write_reference(dest, world=A1):
    """The reference with world.assignment's suites cut to world.suites (and its call
    timeout, if the world sets one)."""
    write_scoped_reference(dest, world.assignment, world.suites, world.call_timeout_s)


def _write_suites(dest, assignment=ASSIGNMENT):
    source = REPO / "autograder" / "suites"
    dest.mkdir(parents=True)
    shutil.copy2(source / "conftest.py", dest / "conftest.py")
    shutil.copytree(source / assignment, dest / assignment, ignore=shutil.ignore_patterns("__pycache__"))


def tree_digest(root, skip=()):
    """{relative path: sha256 or 'link -> target' or 'dir'} of everything under root."""
    root, digest = Path(root), {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs + files:
            path = Path(folder, name)
            if path in skip:
                continue
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                digest[rel] = "link -> " + os.readlink(path)
            elif path.is_dir():
                digest[rel] = "dir"
            else:
                digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else None


def markers_in(places, trees):
    """Files an attack would have left: MARKER names in `places`, and anywhere under `trees`."""
    found = []
    for place in places:
        try:
            found += [str(p) for p in Path(place).iterdir() if MARKER in p.name or p.name == "escaped.py"]
        except OSError:
            pass
    for tree in trees:
        found += [str(p) for p in Path(tree).rglob("*") if MARKER in p.name or p.name == "escaped.py"]
    return sorted(found)


def world_writable(folder):
    return bool(os.stat(folder).st_mode & 0o002)


def _is_worker_uid(uid):
    return FIRST_WORKER_UID <= uid < FIRST_WORKER_UID + WORKER_UIDS


def _proc(pid):
    """(ppid, uid, cmdline bytes) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return int(fields["PPid"]), int(fields["Uid"].split()[0]), cmdline


def _ancestry(pid):
    """[pid, its parent, ...] up to init, of live processes."""
    chain = []
    while pid > 1 and pid not in chain:
        info = _proc(pid)
        if info is None:
            break
        chain.append(pid)
        pid = info[0]
    return chain


def _served_by_another_grader(pid):
    """Whether a worker process belongs to a grading that is running now (another
    test or helper on this machine): one of its ancestors is a live pytest or
    autograder process outside this process's own line (which holds this test's
    pytest and whatever started it). A process left behind by a finished grading
    has no such ancestor: its grader and sandbox parents are gone, it hangs off
    init or a reaper."""
    ours = set(_ancestry(os.getpid()))
    for ancestor in _ancestry(pid):
        if ancestor in ours:
            return False
        _, uid, cmdline = _proc(ancestor) or (0, -1, b"")
        if not _is_worker_uid(uid) and (b"pytest" in cmdline or b"autograder" in cmdline):
            return True
    return False


def leaked_worker_processes(before, wait_s=10.0):
    """Worker-uid processes that outlived this module's grading (after up to wait_s
    for kills in flight): surviving_worker_processes() less those that were there
    before and those another running grading serves."""
    deadline = time.monotonic() + wait_s
    while True:
        leaked = [pid for pid in surviving_worker_processes()
                  if pid not in before and not _served_by_another_grader(pid)]
        if not leaked or time.monotonic() > deadline:
            return leaked
        time.sleep(0.2)


def own_children():
    me, children = os.getpid(), []
    for name in filter(str.isdigit, os.listdir("/proc")):
        info = _proc(int(name))
        if info and info[0] == me:
            children.append(int(name))
    return children


def process_health():
    """What a submission must not be able to change in the grader's own process."""
    import builtins
    return {
        "np.abs": float(np.abs(-2.0)), "np.max": float(np.max(np.array([1.0, 3.0]))),
        "np.allclose": bool(np.allclose(np.zeros(2), np.ones(2))), "abs": abs(-3),
        "builtins.abs is the builtin": type(builtins.abs).__name__ == "builtin_function_or_method",
        "pytest module": sys.modules.get("pytest") is pytest,
        "open fds": len(os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
        "children": own_children(),
    }


@dataclass
class Batch:
    isolation: str
    root: Path
    kinds: tuple
    world: World = A1
    out: Path = None
    rows: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)
    alone: dict = None              # the good submission graded on its own, after the batch
    seconds: float = 0.0
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    new_markers: list = field(default_factory=list)   # marker files the batch left (then removed)
    summary: str = ""               # what grade_batch printed (the limits in force)

    @property
    def gradebook(self):
        return self.root / "gradebook"   # the folder: sqlite may add a journal beside its file

    @property
    def submissions(self):
        return self.root / "submissions"

    def roots(self):
        return dict(suites_root=self.root / "suites", reference_root=self.root / "reference",
                    release_root=self.root / "release")


def _snapshot(batch):
    trusted = [batch.root / d for d in ("suites", "reference", "release")]
    return {
        "inputs": tree_digest(batch.root, skip={batch.out, batch.gradebook, batch.root / "alone"}),
        "trusted": {str(t): tree_digest(t) for t in trusted},
        "repo files": {str(p): file_digest(REPO / p) for p in (
            f"source/{batch.world.module}", *(f"autograder/suites/{batch.world.assignment}/{suite}"
                                              for suite in batch.world.suites), "autograder/suites/conftest.py")},
        "markers": markers_in(MARKER_PLACES, [batch.root]),
        "tmp escaped.py": os.path.lexists("/tmp/escaped.py"),
        "workers": set(surviving_worker_processes()),
        "health": process_health(),
        "children maxrss KiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def open_world(prefix):
    """A folder anyone may read and enter, like Gradescope's /autograder/source
    after its setup (pytest's own temporary folders are closed to other users)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)
    return root


def run_batch(isolation, kinds, root, world=A1):
    batch = Batch(isolation, root, tuple(kinds), world)
    assignment = world.assignment
    _write_release(root / "release", assignment)
    _write_reference(root / "reference", world)
    _write_suites(root / "suites", assignment)
    good = build_reference(assignment, batch.submissions / GOOD)
    for kind in kinds:
        make_hostile(kind, good, batch.submissions)
    batch.out = root / "out"
    batch.gradebook.mkdir()
    # The grading run's own paths must be unreadable to workers: this checks
    # the copies (the probe checks them too, through $AUTOGRADER_PROTECTED_PATHS).
    problem = levels.probe(isolation, sys.executable, tuple(str(root / d) for d in (
        "suites", "reference", "submissions")))[0]
    if problem:
        pytest.skip(f"isolation {isolation!r} is unavailable for this world-readable tree: {problem}")
    batch.before = _snapshot(batch)
    started = time.monotonic()
    summary = io.StringIO()
    with contextlib.redirect_stderr(summary):
        rows = grade_batch(assignment, batch.submissions, batch.out, jobs=JOBS, isolation=isolation,
                           timeout_s=world.suite_timeout_s or SUITE_TIMEOUT_S,
                           gradebook_path=batch.gradebook / "gradebook.sqlite",
                           progress=False, **batch.roots())
    batch.summary = summary.getvalue()
    batch.seconds = time.monotonic() - started
    batch.after = _snapshot(batch)
    batch.new_markers = sorted(set(batch.after["markers"]) - set(batch.before["markers"]))
    for marker in batch.new_markers:   # only a worker's files in world-writable folders; others stay
        path = Path(marker)
        if world_writable(path.parent) and _is_worker_uid(path.lstat().st_uid):
            path.unlink()
    batch.rows = {row.name: row for row in rows}
    for name in batch.rows:
        batch.results[name] = json.loads((batch.out / name / "results.json").read_text())
        batch.feedback[name] = (batch.out / name / "feedback.md").read_text()
    # The grader still grades: the good submission on its own, after the hostile batch.
    batch.alone = grade_submission(assignment, good, root / "alone", isolation=isolation,
                                   timeout_s=world.suite_timeout_s or SUITE_TIMEOUT_S, force=True, **batch.roots())
    print(f"\n{isolation} batch of {len(rows)} submissions ({JOBS} jobs): {batch.seconds:.1f} s; slowest: "
          + ", ".join(f"{n} {r['execution_time']} s" for n, r in
                      sorted(batch.results.items(), key=lambda i: -i[1]["execution_time"])[:3]))
    return batch


def batch_fixture(isolation, kinds, world=A1):
    problem = {"bwrap": levels.bwrap_problem, "rlimits": levels.rlimits_problem}[isolation]()
    if problem:
        pytest.skip(f"isolation {isolation!r} is unavailable here: {problem}")
    from data.prepare import missing_reason
    for dataset in world.datasets:
        reason = missing_reason(dataset)
        if reason:
            pytest.skip(f"the {world.assignment} batch needs {dataset}: {reason}")
    root = open_world(f"hostile-{isolation}-{world.assignment}-")
    try:
        yield run_batch(isolation, kinds, root, world)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def bwrap_batch():
    yield from batch_fixture("bwrap", [h.kind for h in HOSTILE_KINDS])


@pytest.fixture(scope="module")
def rlimits_batch():
    yield from batch_fixture("rlimits", RLIMITS_KINDS)


@pytest.fixture(scope="module")
def torch_batch():
    yield from batch_fixture("bwrap", [h.kind for h in TORCH_HOSTILE_KINDS], A2_TORCH)


@pytest.fixture(scope="module")
def caption_batch():
    yield from batch_fixture("bwrap", [h.kind for h in CAPTION_HOSTILE_KINDS], A3_CAPTION)


@pytest.fixture(scope="module")
def generator_batch():
    yield from batch_fixture("bwrap", [h.kind for h in GENERATOR_HOSTILE_KINDS], A3_GENERATOR)


@pytest.fixture(scope="module")
def ddpm_batch():
    yield from batch_fixture("bwrap", [h.kind for h in DDPM_HOSTILE_KINDS], A3_DDPM)


@pytest.fixture(params=["bwrap", "rlimits", "torch", "caption", "generator", "ddpm"])
def batch(request):
    return request.getfixturevalue(f"{request.param}_batch")


# ---- helpers on results ------------------------------------------------------------------

def by_test(results):
    return {t["name"]: t for t in results["tests"]}


def suite_of(test_name):
    return test_name.split("::", 1)[0]


def outcome_table(results):
    return {name: (t["status"], t["score"]) for name, t in by_test(results).items()}


def subtotal(results, suite):
    return sum(t["score"] for t in results["tests"] if suite_of(t["name"]) == suite)


def student_text(batch, name):
    """Everything the student gets: feedback.md and results.json."""
    return batch.feedback[name] + "\n" + json.dumps(batch.results[name], ensure_ascii=False)


# ---- the correct submission --------------------------------------------------------------

def test_every_submission_was_graded_without_grader_failure(batch):
    expected = {GOOD} | set(batch.kinds)
    assert set(batch.rows) == expected
    assert {n: r.status for n, r in batch.rows.items() if r.status != "graded"} == {}
    lines = (batch.out / "grades.csv").read_text().splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(expected)


def test_correct_submission_scores_as_when_graded_alone(batch):
    good, alone = batch.results[GOOD], batch.alone
    assert good["score"] == alone["score"] == good["extra_data"]["max_score"] > 0
    assert outcome_table(good) == outcome_table(alone)
    assert {suite_of(n) for n in by_test(good)} == set(batch.world.suites)
    assert good["extra_data"]["complete"] is True
    # Problems are about the submission, not the company it kept (an artifact the
    # reference notebooks have not saved yet may be missing from both).
    assert good["extra_data"]["problems"] == alone["extra_data"]["problems"]
    module = Path(batch.world.module).stem
    assert not [p for p in good["extra_data"]["problems"] if module in p or "knn" in p]


# ---- each hostile kind ---------------------------------------------------------------------

CASES = ([("bwrap", h.kind) for h in HOSTILE_KINDS] + [("rlimits", kind) for kind in RLIMITS_KINDS]
         + [("torch", h.kind) for h in TORCH_HOSTILE_KINDS] + [("caption", h.kind) for h in CAPTION_HOSTILE_KINDS]
         + [("generator", h.kind) for h in GENERATOR_HOSTILE_KINDS] + [("ddpm", h.kind) for h in DDPM_HOSTILE_KINDS])


@pytest.mark.parametrize("isolation, kind", CASES, ids=[f"{i}-{k}" for i, k in CASES])
def test_hostile_kind_has_its_expected_outcome(request, isolation, kind):
    batch = request.getfixturevalue(f"{isolation}_batch")
    hostile, results, good = KINDS[kind], batch.results[kind], batch.results[GOOD]
    KNN_SUITE, CONTROL_SUITE = batch.world.suites   # noqa: N806 (the target suite, the control suite)
    text = student_text(batch, kind)
    jsonschema.validate(results, load_schema())
    assert batch.rows[kind].status == "graded"
    assert results["score"] == sum(t["score"] for t in results["tests"])
    mine, goods = by_test(results), by_test(good)
    assert set(mine) == set(goods), "the same tests as for the correct submission"
    leaked = [m for m in batch.new_markers if kind in Path(m).name]
    if (isolation, kind) in WORLD_WRITABLE_ONLY and leaked:
        assert all(world_writable(Path(m).parent) for m in leaked), leaked
        knn = [t for n, t in mine.items() if suite_of(n) == KNN_SUITE]
        # The kNN calls raise "LEAKED ...": public tests show the student's text, hidden ones never do.
        assert all(t["status"] == "failed" for t in knn)
        assert all("LEAKED" in t["output"] for t in knn if t["visibility"] == "visible")
        assert not any("LEAKED" in t["output"] for t in knn if t["visibility"] != "visible")
        said = {path.split(" (at ")[0].strip()  # the message ends "(at k_nearest_neighbor.py, line N)"
                for found in re.findall(r"LEAKED: ([^\n\"\\]+)", text) for path in found.split(";")}
        assert said == set(leaked)
        assert results["score"] == subtotal(good, CONTROL_SUITE)
        return
    assert leaked == []
    assert "LEAKED" not in text, "the attack worked and said so"

    if hostile.outcome == "knn_zero":
        knn = {n: t for n, t in mine.items() if suite_of(n) == KNN_SUITE}
        assert knn and all(t["status"] == "failed" and t["score"] == 0 for t in knn.values()), \
            {n: t["status"] for n, t in knn.items()}
        control = {n: (t["status"], t["score"]) for n, t in mine.items() if suite_of(n) != KNN_SUITE}
        assert control == {n: (t["status"], t["score"]) for n, t in goods.items() if suite_of(n) != KNN_SUITE}
        assert results["score"] == subtotal(good, CONTROL_SUITE) > 0
        # Each failed kNN test says why, with the kind's message somewhere.
        assert all(t["output"].strip() for t in knn.values())
    elif hostile.outcome.startswith("fails:"):
        # Exactly the named tests of the target suite fail, each saying why; nothing else changes.
        pattern = re.compile(hostile.outcome.split(":", 1)[1])
        named = {n for n in mine if suite_of(n) == KNN_SUITE and pattern.search(n.split("::", 1)[1])}
        assert named, f"{hostile.outcome} names no test of {KNN_SUITE}"
        assert {n: (t["status"], t["score"]) for n, t in mine.items() if n in named} == \
            {n: ("failed", 0) for n in named}
        assert all(goods[n]["score"] > 0 for n in named), "the good submission earns these tests"
        assert {n: (t["status"], t["score"]) for n, t in mine.items() if n not in named} == \
            {n: (t["status"], t["score"]) for n, t in goods.items() if n not in named}
        assert all(mine[n]["output"].strip() for n in named)
    elif hostile.outcome == "same_as_good" or hostile.outcome == "notebook_dropped":
        assert outcome_table(results) == outcome_table(good)
        assert results["score"] == good["score"]
    elif hostile.outcome.startswith("same_as:"):
        other = hostile.outcome.split(":", 1)[1]
        assert other in batch.results, f"{kind} is compared with {other}, which this batch did not grade"
        assert outcome_table(results) == outcome_table(batch.results[other])
        assert results["score"] == batch.results[other]["score"] < good["score"]
    elif hostile.outcome == "control":
        # Honest but wrong: it must lose kNN points, or comparing with it proves nothing.
        assert subtotal(results, KNN_SUITE) < subtotal(good, KNN_SUITE)
        assert subtotal(results, CONTROL_SUITE) == subtotal(good, CONTROL_SUITE)
    elif hostile.outcome == "rejected":
        assert results["score"] == 0
        assert all(t["score"] == 0 and t["output"].startswith("not graded") for t in results["tests"])
        (problem,) = results["extra_data"]["problems"]
        assert problem.startswith("Your submission was not graded:"), problem
        assert re.search(hostile.message, problem), problem
    else:
        pytest.fail(f"unknown outcome {hostile.outcome!r} for {kind}: teach this test about it")

    if hostile.message:
        assert re.search(hostile.message, batch.feedback[kind]), batch.feedback[kind][-3000:]
        assert re.search(hostile.message, json.dumps(results, ensure_ascii=False))
    if kind in EXTRA_MESSAGES:
        assert re.search(EXTRA_MESSAGES[kind], batch.feedback[kind]), batch.feedback[kind][-3000:]
    if hostile.outcome == "notebook_dropped":
        (dropped,) = [m.group(1) for p in results["extra_data"]["problems"]
                      if (m := re.match(r"(\S+\.ipynb) " + hostile.message, p))]
        assert dropped not in results["extra_data"]["submitted_files"]
        assert dropped in batch.results[GOOD]["extra_data"]["submitted_files"]


# ---- the batch as a whole -----------------------------------------------------------------

def test_results_validate_against_the_gradescope_schema(batch):
    validator = jsonschema.Draft202012Validator(load_schema())
    for name, results in list(batch.results.items()) + [("alone", batch.alone)]:
        errors = [e.message for e in validator.iter_errors(results)]
        assert errors == [], name


def test_inputs_unchanged_and_nothing_written_outside_out(batch):
    before, after = batch.before, batch.after
    # The submissions, the suites, the reference and the release copies: byte for byte.
    changed = sorted(set(before["inputs"].items()) ^ set(after["inputs"].items()))
    assert changed == []
    assert after["trusted"] == before["trusted"]
    # Marker files an attack left (removed since): none, or at rlimits only where
    # any local user may write.
    new = batch.new_markers
    if (batch.isolation, "write_outside") in WORLD_WRITABLE_ONLY:
        assert all(world_writable(Path(m).parent) and "write_outside" in m for m in new), new
    else:
        assert new == []
    assert after["tmp escaped.py"] == before["tmp escaped.py"]
    # What grading wrote: results and logs under OUT, nothing else.
    written = {p.relative_to(batch.out).parts[0] for p in batch.out.rglob("*")}
    assert written == {GOOD, *batch.kinds, "_logs", "grades.csv"}


def test_repository_suites_and_reference_unchanged(batch):
    # The files the symlink kinds point at and the real hidden tests. (Another
    # person editing one of these during the batch would trip this too.)
    assert batch.after["repo files"] == batch.before["repo files"]
    assert all(batch.before["repo files"].values())


def test_no_worker_process_survives(batch):
    assert leaked_worker_processes(batch.before["workers"]) == []


def test_grader_process_is_healthy_after(batch):
    before, after = batch.before["health"], batch.after["health"]
    for key in ("np.abs", "np.max", "np.allclose", "abs", "builtins.abs is the builtin", "pytest module"):
        assert after[key] == before[key], key
    assert (after["np.abs"], after["np.max"], after["np.allclose"], after["abs"]) == (2.0, 3.0, False, 3)
    assert after["children"] == [], "grading left child processes of this process"
    assert after["open fds"] <= before["open fds"] + 2
    assert after["threads"] <= before["threads"] + 1
    # No grading process ballooned (a 1 GiB print kept in memory, an extracted bomb).
    peak_kib = batch.after["children maxrss KiB"]
    assert peak_kib <= max(batch.before["children maxrss KiB"], 2 * 2**20), f"a grading child reached {peak_kib} KiB"


def test_the_batch_printed_the_limits_in_force(batch):
    from autograder.sandbox.isolation import cgroup_support
    summary = batch.summary
    assert f"sandbox: isolation {batch.isolation}" in summary
    assert cgroup_support().describe() in summary
    for line in ("memory:", "processes:", "cpu:", "files:", "seccomp:    on", "landlock:", "trusted pytest:"):
        assert line in summary, line
    if batch.isolation == "bwrap":
        assert "inodes" in summary


def test_nothing_planted_outlived_the_batch(batch):
    # state_plant's files in the places every uid shares (removed with the
    # slot where a worker could write them; never writable with Landlock).
    assert [p for p in ("/tmp", "/var/tmp", "/dev/shm") if (Path(p) / "ag_hostile_state").exists()] == []
    if Path("/proc/sysvipc/shm").exists():
        keys = [line.split()[0] for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
        assert str(0x41470001) not in keys
    assert "ag_hostile_state" not in Path("/proc/keys").read_text()
