"""Grade a folder of submissions: in parallel, resumable, with a progress bar.

    rows = grade_batch("assignment1", "submissions/", "out/", jobs=os.cpu_count())

`submissions/` holds one folder or .zip per student; the name (without .zip)
names the result folder `out/<name>/` (results.json, feedback.md). Each
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
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from autograder.sandbox.isolation import protected_env
from autograder.sandbox.summary import limits_summary

from .atomic import read_json_or_none, write_json_atomic, write_text_atomic
from .feedback import render_feedback
from .fingerprint import grading_context
from .gradebook import DEFAULT_PATH, Gradebook
from .manifest import Roots, load_manifest
from .results import build_results, file_subtotals
from .run_suite import TestResult, collect_tests, grader_environment
from .submission import ReleaseMissing

LOGS = "_logs"   # per-submission pytest logs for the instructor (hold hidden tracebacks)
CHILD_MARGIN_S = 300  # staging, collection and start-up on top of the suite's own limit
GRADER_FAILED = ("The autograder failed on this submission for a reason that is not your fault; "
                 "the course staff will look into it and regrade.")


@dataclass
class Row:
    name: str
    score: float
    max_score: float
    status: str        # "graded", "cached" (unchanged since the last run) or "failed" (grader failure)


def safe_name(raw):
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", raw)
    return name if name and name[0] not in "._" else "submission" + name


def find_submissions(submissions_dir):
    """{result name: path} for every folder and .zip in `submissions_dir` (hidden entries skipped)."""
    found = {}
    for path in sorted(Path(submissions_dir).iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix.lower() == ".zip"):
            continue
        name = safe_name(path.stem if path.suffix.lower() == ".zip" and path.is_file() else path.name)
        if name in found:  # alice/ and alice.zip: keep both, distinctly named
            name = safe_name(path.name)
        found[name] = path
    return found


def _check_release(manifest, roots, assignment):
    for module in manifest.modules:
        if not (roots.release / assignment / module).is_file():
            raise ReleaseMissing(f"{roots.release / assignment / module} is missing: build the release first")


class Children:
    """The running child processes, so an interrupted batch can stop them all."""

    def __init__(self, env=None):
        self.env = env
        self.lock = threading.Lock()
        self.running = set()
        self.stopping = threading.Event()

    def run(self, command, timeout_s, log_path):
        if self.stopping.is_set():
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
            procs = list(self.running)
        for proc in procs:
            self._stop(proc)


def _child_command(assignment, path, out, isolation, roots, timeout_s, log_path, force):
    command = [sys.executable, "-m", "autograder", "grade-one", "--assignment", assignment,
               "--submission", str(path), "--out", str(out), "--isolation", isolation,
               "--suites-root", str(roots.suites), "--reference-root", str(roots.reference),
               "--release-root", str(roots.release), "--log", str(log_path)]
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
    for test in tests:
        test.passed, test.message = False, "not graded: the autograder failed (see above)"
    extra = {"cache_key": None, "assignment": manifest.name, "submission": name, "complete": False,
             "suite_hash": context["suite_hash"], "grader_version": context["grader_version"]}
    results = build_results(tests, [GRADER_FAILED], "", 0.0, extra)
    write_text_atomic(out / "feedback.md", render_feedback(results, manifest.title, name))
    write_json_atomic(out / "results.json", results)
    return results


def grades_csv(results_by_name):
    """grades.csv text: submission, score, max_score, then one subtotal column per suite file."""
    files = sorted({f for r in results_by_name.values() for f in file_subtotals(r)})
    maxima = {}
    for results in results_by_name.values():
        for file, (_, maximum) in file_subtotals(results).items():
            maxima[file] = max(maxima.get(file, 0.0), maximum)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score"] + [f"{f} (/{maxima[f]:g})" for f in files])
    for name in sorted(results_by_name):
        results = results_by_name[name]
        subtotals = file_subtotals(results)
        writer.writerow([name, f"{results['score']:g}", f"{results['extra_data']['max_score']:g}"]
                        + [f"{subtotals.get(f, (0.0, 0.0))[0]:g}" for f in files])
    return buffer.getvalue()


def grade_batch(assignment, submissions_dir, out_dir, jobs=None, isolation="auto", *, suites_root=None,
                reference_root=None, release_root=None, timeout_s=None, gradebook_path=DEFAULT_PATH,
                force=False, progress=True):
    """Grade every submission in `submissions_dir` into `out_dir`; return a list of `Row`s.

    jobs            submissions graded at once (default: os.cpu_count())
    gradebook_path  SQLite gradebook recording this run (None: do not record)
    force           regrade everything, ignoring cache keys
    Other arguments as for `grade_submission`. Raises ManifestError,
    ReleaseMissing or SuiteError (course-material problems) before grading
    anyone; KeyboardInterrupt after stopping every child.
    """
    roots = Roots.of(suites_root, reference_root, release_root)
    out_dir = Path(out_dir)
    manifest = load_manifest(assignment, roots.reference)
    _check_release(manifest, roots, assignment)
    (out_dir / LOGS).mkdir(parents=True, exist_ok=True)
    collected = collect_tests(roots, assignment, isolation, out_dir / LOGS / "_collect.log")
    context = grading_context(roots, assignment, isolation)
    submissions = find_submissions(submissions_dir)
    child_timeout = (timeout_s or manifest.timeout_s) + CHILD_MARGIN_S
    if isolation != "none":
        print(limits_summary(isolation), file=sys.stderr, flush=True)   # once per batch: what protects it
    # OUT holds every submission's feedback and log: the workers' probe checks it is unreadable.
    children = Children(protected_env([out_dir.resolve()], grader_environment()))

    def grade_one(name, path):
        out, log = out_dir / name, out_dir / LOGS / f"{name}.log"
        command = _child_command(assignment, path, out, isolation, roots, timeout_s, log, force)
        returncode, stdout = children.run(command, child_timeout, log)
        if children.stopping.is_set():
            return None
        status = _child_status(returncode, stdout)
        results = read_json_or_none(out / "results.json")
        if status in ("graded", "cached") and results is not None:
            return name, results, status
        tests = [TestResult(t.id, t.file, t.points, t.public) for t in collected]
        return name, _failure_results(tests, manifest, name, out, context), "failed"

    book = Gradebook(gradebook_path) if gradebook_path else None
    run_id = book.start_run(assignment, context, str(out_dir), isolation) if book else None
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
        if book:
            book.close()
        raise
    pool.shutdown()
    write_text_atomic(out_dir / "grades.csv", grades_csv(results_by_name))
    if book:
        book.finish_run(run_id)
        book.close()
    return sorted(rows, key=lambda r: r.name)
