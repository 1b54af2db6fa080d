"""Grade one submission: stage it, run the suite, write results.json and feedback.md.

    from autograder.grading import grade_submission
    results = grade_submission("assignment1", "submissions/alice.zip", "out/alice",
                               isolation="auto")

The steps, each in its own module:

    checked_manifest   preconditions.py  the assignment, its release, its datasets
    stage_submission   submission.py     safe unzip, keep only graded files, messages
    cache_key          fingerprint.py    skip if out_dir/results.json has the same key
    run_suite          run_suite.py      pytest + plugin.py in a separate process, time limit
    build_results      results.py        Gradescope results.json
    render_feedback    feedback.py       feedback.md for the student

Outputs are written atomically, feedback.md first: a results.json with a
matching cache key means both files are complete.
"""
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from course import Roots

from .atomic import read_json_or_none, write_json_atomic, write_text_atomic
from .feedback import render_feedback
from .fingerprint import cache_key, grading_context
from .preconditions import checked_manifest
from .results import build_results, not_graded_results
from .run_suite import collect_tests, run_suite
from .submission import stage_submission

NOT_UNPACKED = "not graded: the submission could not be unpacked (see the problems above)"


@dataclass
class Outcome:
    results: dict
    cached: bool    # True: out_dir already held the result for the same key; nothing ran


def submission_name(path):
    """A submission's name: the folder name, or the archive name without .zip."""
    path = Path(path)
    return path.stem if path.suffix.lower() == ".zip" and path.is_file() else path.name


def grading_roots(suites_root=None, reference_root=None, release_root=None):
    """The course's Roots with the grader's three trusted inputs replaced where given."""
    return Roots.of(suites=suites_root, source=reference_root, release=release_root)


def grade_submission(assignment, submission_path, out_dir, isolation="auto", *, suites_root=None,
                     reference_root=None, release_root=None, timeout_s=None,
                     log_path=None, force=False):
    """Grade `submission_path` (folder or .zip); write out_dir/results.json and out_dir/feedback.md.

    assignment      name of the assignment (source/<assignment>/assignment.toml, suites/<assignment>/)
    isolation       how the student's worker is confined: "auto", "bwrap", "rlimits", "none"
    *_root          the suites, reference (source) and release folders (default: this repository's)
    timeout_s       wall-clock limit for the suite (default: the manifest's [grading] timeout_s)
    log_path        where the pytest log goes (instructor-only: it holds tracebacks of hidden tests)
    force           regrade even if out_dir holds a result with the same cache key

    Returns the results.json content (a dict in Gradescope's format). Problems
    with the submission never raise; they become messages and zero scores.
    Problems of the course materials raise a CourseError (ManifestError,
    GradingPrecondition, SuiteError).
    """
    return grade(assignment, submission_path, out_dir, isolation,
                 grading_roots(suites_root, reference_root, release_root),
                 timeout_s=timeout_s, log_path=log_path, force=force).results


def grade(assignment, submission_path, out_dir, isolation, roots, *, timeout_s=None, log_path=None, force=False,
          manifest=None, context=None):
    """`grade_submission` with `Roots`, returning an `Outcome` (whether it was cached, too).

    manifest, context: already checked / computed by a batch (default: done here).
    """
    started = time.monotonic()
    out_dir = Path(out_dir)
    manifest = manifest or checked_manifest(assignment, roots)
    context = context or grading_context(roots, manifest, isolation)
    name = submission_name(submission_path)
    staging = Path(tempfile.mkdtemp(prefix="grading-staged-"))
    try:
        staged = stage_submission(submission_path, manifest, roots.release / assignment, staging / "submission")
        key = cache_key(staged, context)
        existing = read_json_or_none(out_dir / "results.json")
        if (not force and existing and existing.get("extra_data", {}).get("cache_key") == key
                and (out_dir / "feedback.md").is_file()):
            return Outcome(existing, cached=True)
        extra = {"cache_key": key, "assignment": assignment, "submission": name,
                 "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "submitted_files": staged.submitted, "suite_hash": context["suite_hash"],
                 "grader_version": context["grader_version"]}
        if staged.rejected:
            tests = collect_tests(roots, manifest, isolation, log_path)
            results = not_graded_results(tests, NOT_UNPACKED, staged.problems, "rejected",
                                         dict(extra, complete=True))
        else:
            run = run_suite(roots, manifest, staged.root, isolation, timeout_s or manifest.timeout_s, log_path,
                            salt=context["salt"])
            # An incomplete run (time limit, crash) may be the machine's fault: no key, so it is retried.
            extra.update(complete=run.complete, cache_key=key if run.complete else None)
            results = build_results(run.tests, staged.problems, run.problem, time.monotonic() - started, extra,
                                    status="graded" if run.complete else "incomplete", notes=run.notes,
                                    import_problems=run.import_problems)
        write_text_atomic(out_dir / "feedback.md", render_feedback(results, manifest.title, name))
        write_json_atomic(out_dir / "results.json", results)
        return Outcome(results, cached=False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
