"""The grading pipeline (autograder/grading) on a toy assignment.

Each test builds a toy world under tmp_path, independent of the real
assignment content:

    suites/conftest.py          toy fixtures: `student` runs the code in process
    suites/toy/test_ops.py      public + hidden tests (15 points over two files)
    suites/toy/test_more.py
    reference/toy/assignment.toml, reference/toypkg/   manifest and solution
    release/toy/toypkg/         the stubs a blank submission holds

`test_real_conftest_and_sandbox` swaps in the real suites conftest, so the
student code runs in `autograder.sandbox.RemoteCode`.
"""
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from autograder import cli
from autograder.grading import grade_batch, grade_submission
from autograder.grading.fingerprint import grading_context
from autograder.grading.gradebook import Gradebook
from course import REPO, Roots, load_manifest
from autograder.grading.plugin import INTERNAL_ERROR
from autograder.grading.results import load_schema
from autograder.grading.submission import find_prefix, stage_submission
from autograder.grading.zipsafe import Limits

# ---- the toy world ---------------------------------------------------------------

TOY_CONFTEST = '''
import contextlib
import io
from pathlib import Path
import pytest
from autograder.testkit import InProcessCode

class CapturingCode(InProcessCode):
    """In process, keeping what the code printed, like the sandbox's RemoteCode.output()."""
    printed = ""

    def _request(self, *args):
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                return super()._request(*args)
        finally:
            self.printed += buffer.getvalue()

    def output(self):
        return self.printed

def pytest_addoption(parser):
    from autograder.grading.options import add_grading_options
    add_grading_options(parser)

def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points")
    config.addinivalue_line("markers", "public: shipped to students")

@pytest.fixture(scope="session")
def student(request):
    return CapturingCode(Path(request.config.getoption("--student-root")))
'''

SECRET = "987654.321"
HIDDEN_EXPECTED = "13579.2468"

TEST_OPS = f'''
import numpy as np
import pytest
from autograder.testkit import assert_close

SECRET = {SECRET}

@pytest.mark.public
@pytest.mark.points(2)
def test_double_public(student):
    assert_close(student.function("toypkg.ops", "double")(np.arange(3.0)), np.arange(3.0) * 2, "double(x)")

@pytest.mark.points(3)
def test_double_hidden(student):
    out = student.function("toypkg.ops", "double")(np.array([SECRET]))
    assert out[0] == SECRET * 2

@pytest.mark.points(5)
def test_square_hidden(student):
    assert_close(student.function("toypkg.ops", "square")(np.arange(4.0)), np.arange(4.0) ** 2, "square(x)")
'''

TEST_MORE = f'''
import numpy as np
import pytest
from autograder.testkit import assert_close

HIDDEN_EXPECTED = {HIDDEN_EXPECTED}

@pytest.mark.public
@pytest.mark.points(1)
def test_negate_public(student):
    assert_close(student.function("toypkg.ops", "negate")(np.ones(2)), -np.ones(2), "negate(x)")

@pytest.mark.points(4)
def test_negate_hidden(student):
    out = student.function("toypkg.ops", "negate")(np.array([-HIDDEN_EXPECTED]))
    if not np.allclose(out, HIDDEN_EXPECTED):
        raise ValueError(f"negate gave {{out}}; expected {{HIDDEN_EXPECTED}}")
'''

MANIFEST = '''
name = "toy"
title = "Toy assignment"
notebooks = ["toy.ipynb"]
modules = ["toypkg/__init__.py", "toypkg/ops.py", "toypkg/util.py"]
submit_modules = ["toypkg/ops.py"]
submit_artifacts = ["params.json"]
suites = ["test_ops.py", "test_more.py"]

[grading]
timeout_s = 60
'''

# In the suite folder but not in the manifest's list: never run, never counted.
TEST_UNLISTED = '''
import pytest

@pytest.mark.points(100)
def test_not_part_of_this_assignment(student):
    raise AssertionError("unlisted suites must not run")
'''

MAX_SCORE = 15.0
NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
SOLVED = {"double": "return 2 * x", "square": "return x ** 2", "negate": "return -x"}
STUB = 'raise NotImplementedError("write this function")'


def ops_source(**bodies):
    """toypkg/ops.py with the solution for each function unless a body is given."""
    return "".join(f"def {name}(x):\n    {bodies.get(name, body)}\n\n\n" for name, body in SOLVED.items())


def reference_ops():
    """The reference toypkg/ops.py: each solution inside a solution region."""
    return "".join(f"def {name}(x):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION\n\n\n"
                   for name, body in SOLVED.items())


def write_release(roots, assignment="toy"):
    """The release's modules, generated from the reference exactly as `make release` does."""
    from course import load_manifest
    from course.stubs import release_module
    manifest = load_manifest(roots, assignment)
    for module in manifest.modules:
        write(roots.release / assignment / module, release_module(module, manifest, roots).text)


def write(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class World:
    """A toy suite, reference and release under `root`, and helpers to grade against them."""

    def __init__(self, root, conftest=TOY_CONFTEST):
        self.root = Path(root)
        self.suites, self.reference, self.release = (self.root / n for n in ("suites", "reference", "release"))
        write(self.suites / "conftest.py", conftest)
        write(self.suites / "toy" / "test_ops.py", TEST_OPS)
        write(self.suites / "toy" / "test_more.py", TEST_MORE)
        write(self.suites / "toy" / "test_unlisted.py", TEST_UNLISTED)
        write(self.reference / "toy" / "assignment.toml", MANIFEST)
        write(self.reference / "toypkg" / "__init__.py", "")
        write(self.reference / "toypkg" / "ops.py", reference_ops())
        write(self.reference / "toypkg" / "util.py", "HELPER = 1\n")
        write_release(Roots.of(suites=self.suites, source=self.reference, release=self.release))
        self.submissions = self.root / "submissions"
        self.submissions.mkdir()

    @property
    def roots(self):
        return dict(suites_root=self.suites, reference_root=self.reference, release_root=self.release)

    def submission(self, name, ops=None, notebook=NOTEBOOK, params=True, where=None):
        """A folder submission laid out like the release; ops=None: the release stub."""
        folder = (where or self.submissions) / name
        write(folder / "toypkg" / "ops.py", ops if ops is not None else ops_source(**{n: STUB for n in SOLVED}))
        if notebook is not None:
            write(folder / "toy.ipynb", notebook)
        if params:
            write(folder / "params.json", "{}")
        return folder

    def batch(self, out, **kwargs):
        kwargs = {"jobs": 2, "isolation": "none", "progress": False,
                  "gradebook_path": self.root / "gradebook.sqlite", **kwargs}
        return {row.name: row for row in grade_batch("toy", self.submissions, out, **self.roots, **kwargs)}

    def grade(self, submission, out, **kwargs):
        return grade_submission("toy", submission, out, isolation="none", **self.roots, **kwargs)


def zip_folder(folder, archive, prefix=""):
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def by_name(results):
    return {t["name"].split("::")[1]: t for t in results["tests"]}


def all_output_text(out_dir):
    """Everything the grader wrote for students (not the instructor logs)."""
    return "\n".join(p.read_text() for p in Path(out_dir).rglob("*")
                     if p.is_file() and "_logs" not in p.parts)


# ---- one batch over typical submissions, shared by the tests below ------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("toy"))
    world.submission("correct", ops_source())
    world.submission("blank")
    # partial: a zip with a wrapper folder, macOS junk and a broken notebook
    staging = tmp_path_factory.mktemp("partial")
    world.submission("partial", ops_source(square=STUB), notebook='{"cells": [', where=staging)
    archive = zip_folder(staging / "partial", world.submissions / "partial.zip", prefix="partial-hw/")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("__MACOSX/partial-hw/._ops.py", "junk")
    # wrong: double is wrong, and prints its input (the hidden test's input too)
    world.submission("wrong", ops_source(double='print("double got", x.tolist()); return 3 * x'))
    write(world.submissions / "missing" / "notes.txt", "I ran out of time")
    out = world.root / "out"
    rows = world.batch(out)
    results = {name: json.loads((out / name / "results.json").read_text()) for name in rows}
    return world, out, rows, results


def test_scores_full_zero_partial(graded):
    _, out, rows, results = graded
    assert {n: (r.score, r.max_score, r.status) for n, r in rows.items()} == {
        "correct": (15.0, MAX_SCORE, "graded"), "blank": (0.0, MAX_SCORE, "graded"),
        "partial": (10.0, MAX_SCORE, "graded"), "wrong": (10.0, MAX_SCORE, "graded"),
        "missing": (0.0, MAX_SCORE, "graded")}
    assert by_name(results["partial"])["test_square_hidden"]["status"] == "failed"
    assert by_name(results["partial"])["test_double_hidden"]["status"] == "passed"
    assert (out / "grades.csv").read_text().splitlines() == [
        "submission,score,max_score,status,test_ops.py (/10),test_more.py (/5)",
        "blank,0,15,graded,0,0", "correct,15,15,graded,10,5", "missing,0,15,graded,0,0",
        "partial,10,15,graded,5,5", "wrong,10,15,graded,5,5"]


def test_results_validate_against_gradescope_schema(graded):
    _, _, _, results = graded
    validator = jsonschema.Draft202012Validator(load_schema())
    for name, doc in results.items():
        validator.validate(doc)
        assert doc["score"] == sum(t["score"] for t in doc["tests"]), name
    doc = results["correct"]
    # The schema does reject what Gradescope would not understand.
    broken = [dict(doc, visiblity="visible"),
              dict(doc, tests=[dict(doc["tests"][0], status="ok")]),
              dict({k: v for k, v in doc.items() if k != "score"},
                   tests=[{k: v for k, v in t.items() if k != "score"} for t in doc["tests"]])]
    for bad in broken:
        assert not validator.is_valid(bad)


def test_visibility_public_visible_hidden_after_published(graded):
    tests = by_name(graded[3]["wrong"])
    assert tests["test_double_public"]["visibility"] == "visible"
    assert tests["test_negate_public"]["visibility"] == "visible"
    assert tests["test_double_hidden"]["visibility"] == "after_published"
    assert graded[3]["wrong"]["stdout_visibility"] == "hidden"


def test_hidden_failures_do_not_leak_test_source_or_secrets(graded):
    _, out, _, results = graded
    tests = by_name(results["wrong"])
    # The public failure explains itself (a CheckFailed message) ...
    assert "double(x)" in tests["test_double_public"]["output"]
    assert "relative error" in tests["test_double_public"]["output"]
    assert tests["test_double_public"]["output"].endswith("Your code printed (last lines):\ndouble got [0.0, 1.0, 2.0]")
    # ... the hidden plain assert says nothing about the test.
    assert tests["test_double_hidden"]["output"] == INTERNAL_ERROR
    assert by_name(results["blank"])["test_negate_hidden"]["output"].startswith("negate() raised NotImplementedError")
    text = all_output_text(out)
    hidden_source = [line.strip() for src in (TEST_OPS, TEST_MORE) for line in src.splitlines()
                     if len(line.strip()) > 12 and not line.strip().startswith(("@pytest", "import", "from", "def"))]
    for needle in [SECRET, HIDDEN_EXPECTED, "SECRET", "HIDDEN_EXPECTED", "Traceback"] + hidden_source:
        assert needle not in text, needle
    # The secret was there to leak: pytest's own report (the instructor's log) has it.
    assert SECRET in (out / "_logs" / "wrong.log").read_text()


def test_submission_problems_become_messages(graded):
    _, out, _, results = graded
    partial = results["partial"]["extra_data"]["problems"]
    assert any("toy.ipynb is not valid JSON" in p for p in partial)
    assert results["partial"]["extra_data"]["submitted_files"] == ["toypkg/ops.py", "params.json"]
    missing = "\n".join(results["missing"]["extra_data"]["problems"])
    assert "toypkg/ops.py is missing" in missing and "toy.ipynb is missing" in missing
    assert "params.json is missing" in missing
    assert results["correct"]["extra_data"]["problems"] == []
    feedback = (out / "partial" / "feedback.md").read_text()
    assert "**Score: 10 / 15**" in feedback
    assert "toy.ipynb is not valid JSON" in feedback
    assert "- ✓ `test_double_public` (2 / 2)" in feedback
    assert "- ✗ `test_square_hidden` (0 / 5) *(hidden test)*" in feedback


# ---- resuming -----------------------------------------------------------------

def test_resume_skips_unchanged_and_regrades_what_changed(tmp_path, capsys):
    world = World(tmp_path)
    for name, ops in [("a", ops_source()), ("b", None), ("c", ops_source(square=STUB))]:
        world.submission(name, ops)
    out = tmp_path / "out"
    assert {n: r.status for n, r in world.batch(out).items()} == {"a": "graded", "b": "graded", "c": "graded"}
    stamps = {n: (out / n / "results.json").stat().st_mtime_ns for n in "abc"}

    assert {n: r.status for n, r in world.batch(out).items()} == {"a": "cached", "b": "cached", "c": "cached"}
    assert stamps == {n: (out / n / "results.json").stat().st_mtime_ns for n in "abc"}

    write(world.submissions / "b" / "toypkg" / "ops.py", ops_source())
    rows = world.batch(out)
    assert {n: r.status for n, r in rows.items()} == {"a": "cached", "b": "graded", "c": "cached"}
    assert rows["b"].score == MAX_SCORE

    with open(world.suites / "toy" / "test_more.py", "a") as f:
        f.write("\n# a changed suite regrades everyone\n")
    assert {n: r.status for n, r in world.batch(out).items()} == {"a": "graded", "b": "graded", "c": "graded"}

    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        assert [run[0] for run in book.runs()] == [1, 2, 3, 4]
        assert book.compare(1, 2) == []
        (name, before, after, flipped), = book.compare(2, 3)
        assert (name, before, after) == ("b", 0.0, MAX_SCORE) and "test_ops.py::test_square_hidden" in flipped
        assert book.export_csv(3, tmp_path / "run3.csv") == 3
    lines = (tmp_path / "run3.csv").read_text().splitlines()
    assert lines[0].startswith("submission,score,max_score,status,test_more.py::test_negate_hidden")
    assert lines[2].startswith("b,15,15,graded,")

    book = ["--gradebook", str(tmp_path / "gradebook.sqlite")]
    assert cli.main(["runs"] + book) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert cli.main(["compare", "2", "3"] + book) == 0
    assert capsys.readouterr().out.splitlines() == [
        "b: 0 -> 15  (test_more.py::test_negate_hidden, test_more.py::test_negate_public, "
        "test_ops.py::test_double_hidden, test_ops.py::test_double_public, test_ops.py::test_square_hidden)",
        "1 submission(s) changed between run 2 and run 3"]
    assert cli.main(["compare", "2", "99"] + book) == 1
    assert "no run 99" in capsys.readouterr().err


def test_grading_context_tracks_reference_and_suite(tmp_path):
    world = World(tmp_path)
    roots = Roots.of(suites=world.suites, source=world.reference, release=world.release)
    manifest = load_manifest(roots, "toy")
    before = grading_context(roots, manifest, "none")
    with open(world.reference / "toypkg" / "ops.py", "a") as f:
        f.write("# reference edited\n")
    after = grading_context(roots, manifest, "none")
    assert after["reference_hash"] != before["reference_hash"] and after["suite_hash"] == before["suite_hash"]
    write(world.suites / "toy" / "test_unlisted.py", "# not graded: does not change the suite hash\n")
    assert grading_context(roots, manifest, "none") == after
    write(world.suites / "toy" / "helpers.py", "# helpers beside the suites do\n")
    assert grading_context(roots, manifest, "none")["suite_hash"] != after["suite_hash"]
    assert grading_context(roots, manifest, "bwrap") != after


# ---- processes that die, hang or are killed ---------------------------------------------

def test_time_limit_and_crash_keep_finished_tests(tmp_path):
    world = World(tmp_path)
    schema = jsonschema.Draft202012Validator(load_schema())
    # Public tests run first: test_double_public passes, then test_negate_public hangs or
    # kills the pytest process, so the hidden tests never start.
    for name, negate, message in [("hangs", "while True: pass", "time limit of 10 s"),
                                  ("dies", "import os; os._exit(3)", "stopped unexpectedly")]:
        started = time.monotonic()
        results = world.grade(world.submission(name, ops_source(negate=negate)), tmp_path / "out" / name,
                              timeout_s=10)
        assert time.monotonic() - started < 60
        schema.validate(results)
        tests = by_name(results)
        assert results["score"] == 2.0 and results["extra_data"]["complete"] is False
        assert results["extra_data"]["cache_key"] is None  # retried on the next run
        assert tests["test_double_public"]["status"] == "passed"
        assert tests["test_negate_public"]["status"] == tests["test_double_hidden"]["status"] == "failed"
        assert message in tests["test_negate_public"]["output"] and message in results["output"]
        assert message in tests["test_double_hidden"]["output"]


def test_grader_failure_costs_only_that_submission(tmp_path):
    world = World(tmp_path)
    # A grader bug that one submission triggers: pytest ends with an internal error.
    with open(world.suites / "toy" / "test_more.py", "a") as f:
        f.write("\n@pytest.mark.points(0)\ndef test_trips_the_grader(student):\n"
                "    if student.function('toypkg.ops', 'double')(np.ones(1))[0] == 42:\n"
                "        pytest.exit('grader bug', returncode=3)\n")
    world.submission("fine", ops_source())
    world.submission("trips", ops_source(double="return x * 0 + 42"))
    rows = world.batch(tmp_path / "out")
    assert (rows["fine"].score, rows["fine"].status) == (MAX_SCORE, "graded")
    assert (rows["trips"].score, rows["trips"].status) == (0.0, "failed")
    results = json.loads((tmp_path / "out" / "trips" / "results.json").read_text())
    jsonschema.validate(results, load_schema())
    assert results["extra_data"]["cache_key"] is None and "not your fault" in results["output"]
    assert "internal or usage error" in (tmp_path / "out" / "_logs" / "trips.log").read_text()
    assert world.batch(tmp_path / "out")["trips"].status == "failed"  # retried, not cached


def _processes_mentioning(text):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def test_killed_batch_leaves_only_complete_files_and_resumes(tmp_path):
    world = World(tmp_path)
    for i in range(6):
        world.submission(f"s{i}", ops_source(square="import time; time.sleep(0.5); return x ** 2"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "toy",
               "--submissions", str(world.submissions), "--out", str(out), "--jobs", "2", "--isolation", "none",
               "--suites-root", str(world.suites), "--reference-root", str(world.reference),
               "--release-root", str(world.release), "--gradebook", str(tmp_path / "gb.sqlite"), "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(out.glob("s*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    # Orphaned children notice within a second and stop; meanwhile every result file is whole.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for path in out.glob("s*/results.json"):
            json.loads(path.read_text())
        if not _processes_mentioning(str(tmp_path)):
            break
        time.sleep(0.1)
    assert not _processes_mentioning(str(tmp_path))
    done = len(list(out.glob("s*/results.json")))
    assert 1 <= done < 6
    assert not (out / "grades.csv").exists()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"6 submissions: {6 - done} graded, {done} unchanged" in rerun.stdout
    grades = (out / "grades.csv").read_text()
    assert len(grades.splitlines()) == 7
    (out / "grades.csv").unlink()
    report = subprocess.run([sys.executable, "-m", "autograder", "report", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert "s5 15 / 15 graded" in [" ".join(line.split()) for line in report.stdout.splitlines()]
    assert (out / "grades.csv").read_text() == grades


# ---- hostile archives -------------------------------------------------------------------

def _deflated_zeros(size, chunk=16 * 2**20):
    """(deflate stream, crc) of `size` zero bytes, fast: after a full flush every chunk
    compresses to the same bytes, so the stream is built by repetition."""
    assert size % chunk == 0
    zeros = bytes(chunk)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    return block * (size // chunk) + compressor.flush(zlib.Z_FINISH), crc


def write_zip64(path, entries):
    """A zip of (name, deflate stream, crc, size, unix mode) entries with Zip64 sizes."""
    local, central = bytearray(), bytearray()
    for name, data, crc, size, mode in entries:
        name = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, size, len(data))
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                             len(name), len(extra)) + name + extra + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 | (3 << 8), 45, 0, 8, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, mode << 16, offset
                               ) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    Path(path).write_bytes(bytes(local + central + end))


def _deflate(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def attack_zips(world, folder):
    """{name: expected words in the message} after writing each hostile archive."""
    good = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def archive(name, extra):
        with zipfile.ZipFile(world.submissions / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for rel, data in good.items():
                zf.writestr(rel, data)
            for info, data in extra:
                zf.writestr(info, data)

    archive("traversal", [("../../evil_traversal.py", "print('escaped')")])
    archive("absolute", [(str(world.root / "evil_absolute.py"), "print('escaped')")])
    link = zipfile.ZipInfo("toypkg/util.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive("symlink", [(link, "/etc/passwd")])
    device = zipfile.ZipInfo("dev_null")
    device.external_attr = (stat.S_IFCHR | 0o666) << 16
    archive("device", [(device, "")])
    zeros, crc = _deflated_zeros(2 * 2**30)
    write_zip64(world.submissions / "bomb.zip",
                [(rel, *_deflate(data), 0o100644) for rel, data in good.items()]
                + [("toy.ipynb.bak", zeros, crc, 2 * 2**30, 0o100644)])
    return {"traversal": "outside the folder", "absolute": "absolute path", "symlink": "symbolic link",
            "device": "device or special file", "bomb": "zip bomb"}


def test_hostile_archives_score_zero_and_spare_the_batch(tmp_path):
    world = World(tmp_path)
    good = world.submission("good", ops_source(), where=tmp_path / "template")
    zip_folder(good, world.submissions / "good.zip")
    expected = attack_zips(world, good)
    with zipfile.ZipFile(world.submissions / "bomb.zip") as zf:  # the bomb is real: 2 GiB declared
        assert sum(i.file_size for i in zf.infolist()) > 2 * 2**30
    out = tmp_path / "out"
    rows = world.batch(out)
    assert rows["good"].score == MAX_SCORE
    for name, words in expected.items():
        results = json.loads((out / name / "results.json").read_text())
        assert rows[name].score == 0.0 and results["score"] == 0.0, name
        (problem,) = results["extra_data"]["problems"]
        assert problem.startswith("Your submission was not graded:") and words in problem, (name, problem)
        assert all(t["output"].startswith("not graded") for t in results["tests"])
        assert words in (out / name / "feedback.md").read_text()
    assert not list(tmp_path.rglob("evil_*.py"))
    assert not list(Path("/tmp").glob("evil_*.py"))


def test_extraction_stops_at_the_per_file_limit(tmp_path):
    world = World(tmp_path)
    manifest = load_manifest(Roots.of(source=world.reference, suites=world.suites), "toy")
    folder = world.submission("big", ops_source() + "#" * 5000)
    archive = zip_folder(folder, tmp_path / "big.zip")
    staged = stage_submission(archive, manifest, world.release / "toy", tmp_path / "staged",
                              Limits(max_file_bytes=4096))
    assert staged.rejected and "limit per file" in staged.problems[0]
    assert list((tmp_path / "staged").iterdir()) == []


def test_folder_with_symlink_is_refused(tmp_path):
    world = World(tmp_path)
    folder = world.submission("linked", ops_source())
    (folder / "toypkg" / "ops.py").unlink()
    (folder / "toypkg" / "ops.py").symlink_to(world.reference / "toypkg" / "ops.py")
    staged = stage_submission(folder, load_manifest(Roots.of(source=world.reference, suites=world.suites), "toy"), world.release / "toy",
                              tmp_path / "staged")
    assert staged.rejected and "symbolic link (toypkg/ops.py)" in staged.problems[0]


def test_syntax_error_and_release_stubs(tmp_path):
    world = World(tmp_path)
    folder = world.submission("typo", "def double(x):\n    return 2 *\n")
    staged = stage_submission(folder, load_manifest(Roots.of(source=world.reference, suites=world.suites), "toy"), world.release / "toy",
                              tmp_path / "staged")
    assert staged.problems == ["toypkg/ops.py has a syntax error at line 2: invalid syntax; tests that import it fail."]
    # The modules the student does not submit come from the release, not from the submission.
    assert (tmp_path / "staged" / "toypkg" / "util.py").read_text() == "HELPER = 1\n"


@pytest.mark.parametrize("names, prefix", [
    (["toy.ipynb", "toypkg/ops.py"], ""),
    (["hw/toy.ipynb", "hw/toypkg/ops.py", "hw/notes.txt"], "hw/"),
    (["toypkg/ops.py"], ""),                       # no notebook: the package folder is not a wrapper
    (["a/b/toy.ipynb", "a/b/toypkg/ops.py", "old/toypkg/ops.py"], "a/b/"),
    (["unrelated.txt"], ""),
])
def test_find_prefix(names, prefix):
    assert find_prefix(names, ("toy.ipynb", "toypkg/ops.py", "params.json")) == prefix


# ---- the real suites conftest with the sandbox -----------------------------------------

def test_real_conftest_and_sandbox(tmp_path):
    pytest.importorskip("autograder.sandbox")
    world = World(tmp_path, conftest=(REPO / "autograder" / "suites" / "conftest.py").read_text())
    # The student's code prints its input: fine to show for a public test, never for a hidden one.
    printing = ops_source(double='print("double got", x.tolist(), flush=True); return 3 * x')
    results = world.grade(world.submission("prints", printing), tmp_path / "out")
    tests = by_name(results)
    assert results["score"] == 10.0
    assert "double got [0.0, 1.0, 2.0]" in tests["test_double_public"]["output"]
    assert tests["test_double_hidden"]["output"] == INTERNAL_ERROR
    assert SECRET not in all_output_text(tmp_path / "out")
    assert world.grade(world.submission("blank"), tmp_path / "out_blank")["score"] == 0.0


# ---- what must hold before anyone is graded (course-core issue, defects 1, 2, 4) ----------

def test_missing_dataset_fails_loudly_before_anyone_is_graded(tmp_path, monkeypatch, capsys):
    world = World(tmp_path)
    manifest = world.reference / "toy" / "assignment.toml"
    manifest.write_text(manifest.read_text().replace("[grading]", '[grading]\ndatasets = ["cifar10"]'))
    world.submission("alice", ops_source())
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "empty-data"))
    from autograder.grading.preconditions import GradingPrecondition
    with pytest.raises(GradingPrecondition, match=r"the dataset cifar10 .* is not installed in .*empty-data: "
                                                   r"run `make data`"):
        world.batch(tmp_path / "out")
    assert not (tmp_path / "out" / "alice").exists()
    code = cli.main(["grade", "--assignment", "toy", "--submissions", str(world.submissions),
                     "--out", str(tmp_path / "out"), "--isolation", "none", "--no-gradebook", "--quiet",
                     "--suites-root", str(world.suites), "--reference-root", str(world.reference),
                     "--release-root", str(world.release)])
    assert code == 1 and "run `make data`" in capsys.readouterr().err


def test_a_test_that_skips_is_the_graders_failure_not_a_zero(tmp_path):
    world = World(tmp_path)
    write(world.suites / "toy" / "test_more.py", TEST_MORE + '''
@pytest.mark.points(1)
def test_needs_something_missing(student):
    pytest.skip("the grader's held-out images are not built")
''')
    from autograder.grading.run_suite import SuiteError
    with pytest.raises(SuiteError, match="test_needs_something_missing did not run .*held-out images are not built"
                                         ".* never scores as their zero"):
        world.grade(world.submission("alice", ops_source()), tmp_path / "out")


def test_a_hand_edited_release_is_refused(tmp_path):
    world = World(tmp_path)
    stub = world.release / "toy" / "toypkg" / "ops.py"
    stub.write_text(ops_source())  # "fixed" in place: every stub now holds the solution
    world.submission("alice")
    from autograder.grading.preconditions import GradingPrecondition
    with pytest.raises(GradingPrecondition, match=r"release/toy/toypkg/ops.py is not what source/ generates"):
        world.batch(tmp_path / "out")
    with pytest.raises(GradingPrecondition, match="make release"):
        world.grade(world.submissions / "alice", tmp_path / "out_one")


def test_bad_submissions_folders_get_a_message_not_a_traceback(tmp_path, capsys):
    world = World(tmp_path)
    archive = zip_folder(world.submission("alice", ops_source()), tmp_path / "alice.zip")
    (tmp_path / "empty").mkdir()
    common = ["--assignment", "toy", "--out", str(tmp_path / "out"), "--isolation", "none", "--no-gradebook",
              "--quiet", "--suites-root", str(world.suites), "--reference-root", str(world.reference),
              "--release-root", str(world.release)]
    for folder, message in [(archive, "alice.zip is a file; SUBMISSIONS must be a folder"),
                            (tmp_path / "empty", "no submissions in .*empty: it holds no folders or .zip files"),
                            (tmp_path / "nowhere", "nowhere does not exist")]:
        assert cli.main(["grade", "--submissions", str(folder)] + common) == 1
        err = capsys.readouterr().err
        assert re.search(message, err) and "Traceback" not in err, err
    unknown = ["grade", "--submissions", str(world.submissions)] + common
    unknown[unknown.index("toy")] = "toyy"
    assert cli.main(unknown) == 1
    err = capsys.readouterr().err
    assert "no assignment 'toyy'" in err and "(the course's assignments: toy)" in err


def test_long_and_colliding_names_are_all_graded_with_a_warning(tmp_path):
    world = World(tmp_path)
    for name in ["x y", "x_y", "n" * 251]:
        world.submission(name, ops_source())
    warnings = []
    rows = {row.name: row for row in grade_batch("toy", world.submissions, tmp_path / "out", jobs=2,
                                                  isolation="none", gradebook_path=None, progress=False,
                                                  warnings=warnings, **world.roots)}
    assert len(rows) == 3 and all(row.score == MAX_SCORE for row in rows.values())
    assert all(len(name) <= 80 for name in rows)
    assert any("x y and x_y map to the same result name x_y" in w or "x_y and x y map" in w for w in warnings)


def test_runs_show_the_folders_and_export_writes_to_standard_output(tmp_path, capsys):
    world = World(tmp_path)
    world.submission("alice", ops_source())
    book = tmp_path / "gradebook.sqlite"
    grade_batch("toy", world.submissions, tmp_path / "out", isolation="none", gradebook_path=book,
                progress=False, **world.roots)
    assert cli.main(["runs", "--gradebook", str(book)]) == 0
    assert f"{world.submissions} -> {tmp_path / 'out'}" in capsys.readouterr().out
    assert cli.main(["export", "1", "--csv", "-", "--gradebook", str(book)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("submission,score,max_score,status") and "alice,15,15,graded" in captured.out
    assert not (Path.cwd() / "-").exists() and "standard output" in captured.err
