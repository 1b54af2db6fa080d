"""What run_autograder runs on Gradescope, once per submission.

    python -m autograder.gradescope.run --assignment assignment1 \
        --submission /autograder/submission --results /autograder/results

1. copy the submission into a private staging folder (a lone .zip in it is
   the submission itself);
2. pick the sandbox: bubblewrap where it works, else the rlimits fallback
   (an unprivileged uid, cgroup, Landlock and seccomp of its own); if neither
   works, refuse to grade rather than run student code as root. The results
   folder and Gradescope's copy of the submission are closed to the worker's
   uid first, and the sandbox's probe checks that (with the suites and the
   reference); the limits in force go to the log;
3. grade with `grade_submission`, exactly as `make grade` does;
4. write results/results.json. The pytest log (hidden tests' tracebacks)
   goes to stdout, which results.json marks hidden from students.

If grading itself fails, results.json still says so (score 0, "not your
fault"), so the student never sees Gradescope's bare error page.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from autograder.grading import grade_submission
from autograder.grading.atomic import write_json_atomic
from autograder.grading.results import not_graded_results
from autograder.sandbox.isolation import PROTECTED_ENV
from autograder.sandbox.summary import limits_summary, worker_limits
from course import Roots, load_manifest

ISOLATION_ENV = "GRADESCOPE_ISOLATION"  # force "bwrap" or "rlimits" (tests, debugging)


class NoSandbox(RuntimeError):
    """Neither bubblewrap nor the rlimits fallback works on this image."""


def choose_isolation():
    """ "bwrap" or "rlimits": never a level that runs student code as the grader's user."""
    from autograder.sandbox.isolation import BwrapLaunch, RlimitsLaunch, choose

    requested = os.environ.get(ISOLATION_ENV, "auto")
    if requested not in ("auto", "bwrap", "rlimits"):
        raise NoSandbox(f"{ISOLATION_ENV}={requested!r}: only auto, bwrap or rlimits grade on Gradescope")
    level = {BwrapLaunch: "bwrap", RlimitsLaunch: "rlimits"}.get(choose(requested))
    if level is None:
        raise NoSandbox("no sandbox works here (see the warning above): run setup.sh as root, "
                        "which installs bubblewrap")
    return level


def stage(submission_dir, staging):
    """Copy Gradescope's submission folder; return what to grade (the folder, or its lone .zip)."""
    target = Path(staging) / "submission"
    shutil.copytree(submission_dir, target, symlinks=True)  # links stay links; grading rejects them
    entries = [p for p in target.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].suffix.lower() == ".zip" and entries[0].is_file():
        return entries[0]
    return target


def failure_results(assignment):
    """The result when grading itself failed: score 0, saying it is not the student's fault."""
    return not_graded_results([], "", [], "grader_failed", {"assignment": assignment})


def close_to_workers(*folders):
    """Only root may enter these (Gradescope makes them world-readable), and the
    sandbox's probe checks they stay unreadable to the worker's uid."""
    for folder in folders:
        if Path(folder).is_dir():
            os.chmod(folder, 0o700)
    os.environ[PROTECTED_ENV] = os.pathsep.join(
        [p for p in os.environ.get(PROTECTED_ENV, "").split(os.pathsep) if p] + [str(f) for f in folders])


def run(assignment, submission_dir, results_dir):
    """Grade one Gradescope submission; return the exit status (0 graded, 1 grader failure)."""
    results_path = Path(results_dir) / "results.json"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as staging:
        log = Path(staging) / "pytest.log"
        try:
            close_to_workers(results_dir, submission_dir)
            isolation = choose_isolation()
            print(f"grading {assignment} with isolation={isolation}", flush=True)
            print(limits_summary(isolation, worker_limits(load_manifest(Roots.of_repo(), assignment).sandbox)),
                  flush=True)
            results = grade_submission(assignment, stage(submission_dir, staging), Path(staging) / "out",
                                       isolation=isolation, log_path=log)
        except Exception:
            traceback.print_exc(file=sys.stdout)
            write_json_atomic(results_path, failure_results(assignment))
            return 1
        finally:
            if log.is_file():
                print(log.read_text(errors="replace"), flush=True)
    write_json_atomic(results_path, results)
    print(f"score {results['score']:g}: {json.dumps(results['extra_data'].get('submitted_files', []))}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submission", required=True, help="Gradescope's submission folder")
    parser.add_argument("--results", required=True, help="folder for results.json")
    args = parser.parse_args(argv)
    return run(args.assignment, args.submission, args.results)


if __name__ == "__main__":
    sys.exit(main())
