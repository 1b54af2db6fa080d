"""Grade a folder of submissions: in parallel, resumable, with a progress bar.

    rows = grade_batch("assignment1", "submissions/", "out/", jobs=os.cpu_count())

`submissions/` holds one folder or .zip per student; the name (without .zip)
names the result folder `out/<name>/` (results.json, feedback.md): made
safe for the file system, at most 80 characters, and unique (names that
would collide, like `x y` and `x_y`, both get graded, the second under a
suffixed name, with a warning). Each
submission is graded by its own child process tree
(`python -m autograder grade-one ...`), so a submission that crashes or
hangs its grader costs only its own result: the batch writes a zero result
saying the grader failed, without a cache key, so the next run retries it.
Each child's sandbox worker claims its own uid slot (autograder.sandbox.slots).

Resuming: a child whose cache key (see fingerprint.py) matches the key in the
existing out/<name>/results.json returns at once. Results are written
atomically, so killing the batch at any point (Ctrl-C, SIGKILL) leaves only
complete results; children notice a dead parent within a second and stop.
At the end `out/grades.csv` is written (atomically) and the run is recorded
in the gradebook.
"""
import csv
import hashlib
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from autograder.sandbox.isolation import protected_env
from autograder.sandbox.summary import limits_summary, worker_limits
from course import CourseError

from .atomic import read_json_or_none, write_json_atomic, write_text_atomic
from .feedback import render_feedback
from .fingerprint import grading_context
from .gradebook import DEFAULT_PATH, Gradebook
from .grade import grading_roots
from .preconditions import checked_manifest
from .results import file_subtotals, not_graded_results
from .run_suite import TestResult, collect_tests, grader_environment

LOGS = "_logs"   # per-submission pytest logs for the instructor (hold hidden tracebacks)
CHILD_MARGIN_S = 300  # staging, collection and start-up on top of the suite's own limit
MAX_NAME_CHARS = 80
NOT_GRADED = "not graded: the autograder failed (see above)"


class BatchInputError(CourseError):
    """The folder of submissions cannot be graded as given; the message says what to pass instead."""


@dataclass
class Row:
    name: str
    score: float
    max_score: float
    status: str        # "graded", "cached" (unchanged since the last run) or "failed" (grader failure)


def safe_name(raw):
    """A result folder name for a submission called `raw`: safe characters, bounded length."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", raw)
    name = name if name and name[0] not in "._" else "submission" + name
    if len(name) > MAX_NAME_CHARS:  # long names keep a hash of the whole, so they stay distinct
        name = name[:MAX_NAME_CHARS - 9] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return name


def find_submissions(submissions_dir):
    """({result name: path}, [warnings]) for every folder and .zip in `submissions_dir`.

    Hidden entries are skipped. Raises BatchInputError when `submissions_dir`
    is not a folder or holds nothing to grade.
    """
    folder = Path(submissions_dir)
    if folder.is_file():
        raise BatchInputError(f"{folder} is a file; SUBMISSIONS must be a folder holding one folder or .zip "
                              "per student (to grade one archive alone: python -m autograder grade-one "
                              f"--submission {folder} ...)")
    if not folder.is_dir():
        raise BatchInputError(f"{folder} does not exist; SUBMISSIONS must be a folder holding one folder or "
                              ".zip per student")
    found, warnings = {}, []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix.lower() == ".zip"):
            continue
        raw = path.stem if path.suffix.lower() == ".zip" and path.is_file() else path.name
        name = safe_name(raw)
        if name in found:  # alice/ and alice.zip, or "x y" and "x_y": keep both, distinctly named
            base, number = safe_name(path.name), 2
            candidate = base
            while candidate in found:
                candidate, number = f"{base[:MAX_NAME_CHARS - 4]}-{number}", number + 1
            warnings.append(f"{path.name} and {found[name].name} map to the same result name {name}; "
                            f"{path.name} is graded as {candidate}")
            name = candidate
        found[name] = path
    if not found:
        raise BatchInputError(f"no submissions in {folder}: it holds no folders or .zip files to grade")
    return found, warnings


class Zygote:
    """One grading zygote (zygote.py) serving one batch thread: jobs in, results out."""

    def __init__(self, log, out_dir, env=None):
        # The out folder on its command line (inherited by its forks) says which batch a process serves.
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.grading.zygote", "--for", str(out_dir)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log, env=env or grader_environment(),
                                     start_new_session=True)
        self.child = None   # the pid (and process group) of the job running now

    def run(self, argv, timeout_s):
        """(returncode, stdout) of grade-one with `argv`; (None, "") when it ran past timeout_s."""
        self.proc.stdin.write((json.dumps({"argv": argv}) + "\n").encode())
        self.proc.stdin.flush()
        started = self._read(None)
        self.child = started.get("started")
        deadline = time.monotonic() + timeout_s
        try:
            done = self._read(deadline)
        except TimeoutError:
            self.stop_child()
            self._read(None)
            return None, ""
        finally:
            self.child = None
        return done.get("returncode"), done.get("stdout", "")

    def _read(self, deadline):
        fd = self.proc.stdout.fileno()
        while deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if select.select([fd], [], [], remaining)[0]:
                break
        line = self.proc.stdout.readline()
        if not line:
            raise EOFError("the grading zygote ended")
        return json.loads(line)

    def stop_child(self, grace_s=10):
        """SIGTERM lets the job kill its pytest tree and clean up; SIGKILL if it does not."""
        child = self.child
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if child is None:
                return
            try:
                os.killpg(child, sig)
            except ProcessLookupError:
                return
            end = time.monotonic() + grace_s
            while time.monotonic() < end:
                try:
                    os.killpg(child, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def close(self):
        self.stop_child(grace_s=2)
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Children:
    """The running child processes, so an interrupted batch can stop them all.

    With zygotes (the default), each batch thread grades through its own zygote,
    forking per submission; without, each submission is a new `grade-one` process.
    `env`: the children's environment (default: grader_environment()).
    """

    def __init__(self, zygotes=True, log_path=None, env=None):
        self.env = env
        self.lock = threading.Lock()
        self.running = set()
        self.stopping = threading.Event()
        self.use_zygotes, self.zygote_log = zygotes, log_path
        self.local = threading.local()
        self.zygotes = []

    def _zygote(self):
        zygote = getattr(self.local, "zygote", None)
        if zygote is None or zygote.proc.poll() is not None:
            with open(self.zygote_log or os.devnull, "ab") as log:
                zygote = Zygote(log, Path(self.zygote_log).parent.parent if self.zygote_log else "", self.env)
            self.local.zygote = zygote
            with self.lock:
                self.zygotes.append(zygote)
        return zygote

    def run(self, command, timeout_s, log_path):
        if self.stopping.is_set():
            return None, ""
        if self.use_zygotes:
            try:
                return self._zygote().run(command[4:], timeout_s)  # command: python -m autograder grade-one ...
            except (EOFError, OSError, ValueError):
                self.local.zygote = None
                return None, ""
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                    env=self.env or grader_environment(), start_new_session=True)
            with self.lock:
                self.running.add(proc)
            try:
                stdout, _ = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._stop(proc)
                return None, ""
            finally:
                with self.lock:
                    self.running.discard(proc)
        return proc.returncode, stdout.decode("utf-8", "replace")

    @staticmethod
    def _stop(proc, grace_s=10):
        """SIGTERM lets the child kill its pytest tree and clean up; SIGKILL if it does not."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=grace_s)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self):
        self.stopping.set()
        with self.lock:
            procs, zygotes = list(self.running), list(self.zygotes)
        for proc in procs:
            self._stop(proc)
        for zygote in zygotes:
            zygote.stop_child()

    def close(self):
        with self.lock:
            zygotes, self.zygotes = list(self.zygotes), []
        for zygote in zygotes:
            zygote.close()


def _child_command(assignment, path, out, isolation, roots, timeout_s, log_path, force):
    command = [sys.executable, "-m", "autograder", "grade-one", "--assignment", assignment,
               "--submission", str(path), "--out", str(out), "--isolation", isolation,
               "--suites-root", str(roots.suites), "--reference-root", str(roots.source),
               "--release-root", str(roots.release), "--log", str(log_path), "--prechecked"]
    if timeout_s:
        command += ["--timeout", str(timeout_s)]
    return command + (["--force"] if force else [])


def _child_status(returncode, stdout):
    """"graded" or "cached" from a grade-one child's last line of output; None if it failed."""
    if returncode != 0:
        return None
    try:
        return json.loads(stdout.strip().splitlines()[-1]).get("status")
    except (IndexError, ValueError, AttributeError):
        return None


def _failure_results(tests, manifest, name, out, context):
    """A zero result for a submission whose grader failed; no cache key, so it is retried."""
    extra = {"assignment": manifest.name, "submission": name,
             "suite_hash": context["suite_hash"], "grader_version": context["grader_version"]}
    results = not_graded_results(tests, NOT_GRADED, [], "grader_failed", extra)
    try:
        write_text_atomic(out / "feedback.md", render_feedback(results, manifest.title, name))
        write_json_atomic(out / "results.json", results)
    except OSError:
        pass  # the row still says the grader failed; nothing else may stop the batch
    return results


def grades_csv(results_by_name, order=None):
    """grades.csv text: submission, score, max_score, status, then one subtotal column per suite
    file (in `order`, the manifest's suite order, when given)."""
    if order is None:  # the suite order the results themselves list their tests in
        order = list(dict.fromkeys(t["name"].split("::", 1)[0] for r in results_by_name.values()
                                   for t in r["tests"]))
    files = sorted({f for r in results_by_name.values() for f in file_subtotals(r)},
                   key=lambda f: (order.index(f) if f in order else len(order), f))
    maxima = {}
    for results in results_by_name.values():
        for file, (_, maximum) in file_subtotals(results).items():
            maxima[file] = max(maxima.get(file, 0.0), maximum)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", "status"] + [f"{f} (/{maxima[f]:g})" for f in files])
    for name in sorted(results_by_name):
        results = results_by_name[name]
        subtotals = file_subtotals(results)
        writer.writerow([name, f"{results['score']:g}", f"{results['extra_data']['max_score']:g}",
                         results["extra_data"].get("status", "graded")]
                        + [f"{subtotals.get(f, (0.0, 0.0))[0]:g}" for f in files])
    return buffer.getvalue()


def grade_batch(assignment, submissions_dir, out_dir, jobs=None, isolation="auto", *, suites_root=None,
                reference_root=None, release_root=None, timeout_s=None, gradebook_path=DEFAULT_PATH,
                force=False, progress=True, warnings=None, zygotes=True):
    """Grade every submission in `submissions_dir` into `out_dir`; return a list of `Row`s.

    jobs            submissions graded at once (default: os.cpu_count())
    gradebook_path  SQLite gradebook recording this run (None: do not record)
    force           regrade everything, ignoring cache keys
    Other arguments as for `grade_submission`. Raises a CourseError
    (ManifestError, GradingPrecondition, SuiteError, BatchInputError) before
    grading anyone; KeyboardInterrupt after stopping every child.
    `warnings` (a list), if given, receives notes for the instructor.
    zygotes         grade through forking zygotes (zygote.py; the default), or start a
                    new `grade-one` process per submission
    """
    roots = grading_roots(suites_root, reference_root, release_root)
    out_dir = Path(out_dir)
    manifest = checked_manifest(assignment, roots)
    submissions, found_warnings = find_submissions(submissions_dir)
    if warnings is not None:
        warnings.extend(found_warnings)
    (out_dir / LOGS).mkdir(parents=True, exist_ok=True)
    collected = collect_tests(roots, manifest, isolation, out_dir / LOGS / "_collect.log")
    context = grading_context(roots, manifest, isolation)
    child_timeout = (timeout_s or manifest.timeout_s) + CHILD_MARGIN_S
    if isolation != "none":
        # Once per batch: what protects it.
        print(limits_summary(isolation, worker_limits(manifest.sandbox)), file=sys.stderr, flush=True)
    # OUT holds every submission's feedback and log: the workers' probe checks it is unreadable.
    children = Children(zygotes=zygotes, log_path=out_dir / LOGS / "_zygotes.log",
                        env=protected_env([out_dir.resolve()], grader_environment()))

    def grade_one(name, path):
        out, log = out_dir / name, out_dir / LOGS / f"{name}.log"
        try:
            command = _child_command(assignment, path, out, isolation, roots, timeout_s, log, force)
            returncode, stdout = children.run(command, child_timeout, log)
            if children.stopping.is_set():
                return None
            status = _child_status(returncode, stdout)
            results = read_json_or_none(out / "results.json")
            if status in ("graded", "cached") and results is not None:
                return name, results, status
        except OSError:
            pass  # e.g. a log that cannot be written: this submission's grader failed, no other's
        tests = [TestResult(t.id, t.file, t.points, t.public) for t in collected]
        return name, _failure_results(tests, manifest, name, out, context), "failed"

    book = Gradebook(gradebook_path) if gradebook_path else None
    run_id = book.start_run(assignment, context, str(out_dir), isolation, str(submissions_dir)) if book else None
    rows, results_by_name = [], {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1))
    try:
        futures = [pool.submit(grade_one, name, path) for name, path in submissions.items()]
        bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="sub", file=sys.stderr,
                   disable=not progress, dynamic_ncols=True)
        for future in as_completed(futures):
            name, results, status = future.result()
            results_by_name[name] = results
            rows.append(Row(name, results["score"], results["extra_data"]["max_score"], status))
            if book:
                book.record(run_id, name, results, status)
            bar.set_postfix_str(f"{sum(r.status == 'cached' for r in rows)} unchanged, "
                                f"{sum(r.status == 'failed' for r in rows)} grader failures")
            bar.update()
        bar.close()
    except BaseException:
        children.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        children.close()
        if book:
            book.close()
        raise
    pool.shutdown()
    children.close()
    write_text_atomic(out_dir / "grades.csv", grades_csv(results_by_name, list(manifest.suites)))
    if book:
        book.finish_run(run_id)
        book.close()
    return sorted(rows, key=lambda r: r.name)
