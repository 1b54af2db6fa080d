"""Command line of the grader: `python -m autograder <command>`.

    grade      --assignment A --submissions DIR --out OUT [--jobs N] [--isolation auto]
               grade every submission (folder or .zip) in DIR; print the score table
    grade-one  --assignment A --submission PATH --out DIR
               grade one submission (what `grade` runs per submission)
    report     --out OUT       score table and grades.csv again from OUT's results
    runs                       the runs in the gradebook
    compare    RUN_A RUN_B     submissions whose score changed between two runs
    export     RUN --csv FILE  one run's scores per submission and test, as CSV

Exit status: 0 done, 1 a problem with the course materials (manifest,
release or suite) or the gradebook, 130 interrupted.
"""
import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from autograder.grading.atomic import read_json_or_none, write_text_atomic
from autograder.grading.gradebook import DEFAULT_PATH, Gradebook, GradebookError
from autograder.grading.grade import grading_roots
from autograder.grading.manual import ManualGradingError, add_commands as add_manual_commands
from course import CourseError, load_manifest

ISOLATION = ["auto", "bwrap", "rlimits", "none"]
COURSE_ERRORS = (CourseError, GradebookError, FileNotFoundError, ManualGradingError)


def _interrupt_on_sigterm():
    """SIGTERM behaves like Ctrl-C, so `finally` blocks stop child processes and clean up."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def _exit_when_orphaned():
    """A grade-one child stops when the batch that started it dies (even by SIGKILL)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def score_table(rows):
    width = max([len("submission")] + [len(r.name) for r in rows])
    lines = [f"{'submission':<{width}}  {'score':>13}  status"]
    lines += [f"{r.name:<{width}}  {r.score:>6g} / {r.max_score:<4g}  {r.status}" for r in rows]
    counts = {s: sum(r.status == s for r in rows) for s in ("graded", "cached", "failed")}
    lines.append(f"{len(rows)} submissions: {counts['graded']} graded, {counts['cached']} unchanged "
                 f"since the last run, {counts['failed']} grader failures")
    return "\n".join(lines)


def add_roots(parser):
    parser.add_argument("--suites-root", help="folder with <assignment>/test_*.py (default: autograder/suites)")
    parser.add_argument("--reference-root", help="folder with the reference and <assignment>/assignment.toml "
                                                 "(default: source)")
    parser.add_argument("--release-root", help="folder with the student release <assignment>/ (default: assignments)")


def cmd_grade(args):
    from autograder.grading.batch import grade_batch
    warnings = []
    rows = grade_batch(args.assignment, args.submissions, args.out, jobs=args.jobs, isolation=args.isolation,
                       suites_root=args.suites_root, reference_root=args.reference_root,
                       release_root=args.release_root, timeout_s=args.timeout,
                       gradebook_path=None if args.no_gradebook else args.gradebook, force=args.force,
                       progress=not args.quiet, warnings=warnings)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(score_table(rows))
    print(f"results: {Path(args.out) / '<submission>'}/results.json, feedback.md; grades: "
          f"{Path(args.out) / 'grades.csv'}")


def cmd_grade_one(args):
    from autograder.grading import run_suite
    from autograder.grading.grade import grade
    _exit_when_orphaned()
    # This process exists only to grade: pytest can run in a fork of it, already imported.
    run_suite.FORK_PYTEST = True
    roots = grading_roots(args.suites_root, args.reference_root, args.release_root)
    # A batch checks the preconditions (release, datasets) once, before it starts its children.
    manifest = load_manifest(roots, args.assignment) if args.prechecked else None
    outcome = grade(args.assignment, args.submission, args.out, args.isolation, roots,
                    timeout_s=args.timeout, log_path=args.log, force=args.force, manifest=manifest)
    results = outcome.results
    print(json.dumps({"status": "cached" if outcome.cached else "graded", "score": results["score"],
                      "max_score": results["extra_data"]["max_score"]}))


def cmd_report(args):
    from autograder.grading.batch import LOGS, Row, grades_csv
    out = Path(args.out)
    results_by_name = {}
    for path in sorted(out.glob("*/results.json")):
        if path.parent.name != LOGS and (results := read_json_or_none(path)) is not None:
            results_by_name[path.parent.name] = results
    write_text_atomic(out / "grades.csv", grades_csv(results_by_name))
    print(score_table([Row(n, r["score"], r["extra_data"]["max_score"],
                           "failed" if r["extra_data"].get("status") == "grader_failed" else "graded")
                       for n, r in sorted(results_by_name.items())]))


def cmd_runs(args):
    with Gradebook(args.gradebook) as book:
        print(f"{'run':>4}  {'assignment':<12}  {'started':<25}  {'finished':<25}  {'subs':>5}  {'mean':>9}  "
              "suite         submissions -> out")
        for run_id, assignment, started, finished, count, mean, maximum, suite, subs, out in book.runs():
            mean_text = f"{mean:.1f}/{maximum:g}" if mean is not None else "-"
            print(f"{run_id:>4}  {assignment:<12}  {started:<25}  {finished or 'interrupted':<25}  "
                  f"{count:>5}  {mean_text:>9}  {suite[:12]}  {subs or '?'} -> {out or '?'}")


def cmd_compare(args):
    with Gradebook(args.gradebook) as book:
        changed = book.compare(args.run_a, args.run_b)
    def fmt(score):
        return "-" if score is None else f"{score:g}"
    for name, a, b, tests in changed:
        print(f"{name}: {fmt(a)} -> {fmt(b)}" + (f"  ({', '.join(tests)})" if tests else ""))
    print(f"{len(changed)} submission(s) changed between run {args.run_a} and run {args.run_b}")


def cmd_export(args):
    with Gradebook(args.gradebook) as book:
        count = book.export_csv(args.run, args.csv)
    where = "standard output" if args.csv == "-" else args.csv
    print(f"run {args.run}: {count} submissions written to {where}", file=sys.stderr if args.csv == "-" else sys.stdout)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("--assignment", required=True)
    grade.add_argument("--submissions", required=True, help="folder with one folder or .zip per student")
    grade.add_argument("--out", required=True)
    grade.add_argument("--jobs", type=int, default=os.cpu_count())
    grade.add_argument("--gradebook", default=str(DEFAULT_PATH))
    grade.add_argument("--no-gradebook", action="store_true", help="do not record the run")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(handler=cmd_grade)

    one = commands.add_parser("grade-one", help="grade one submission")
    one.add_argument("--assignment", required=True)
    one.add_argument("--submission", required=True)
    one.add_argument("--out", required=True)
    one.add_argument("--log", help="pytest log (instructor only)")
    one.add_argument("--prechecked", action="store_true", help=argparse.SUPPRESS)  # set by `grade`
    one.set_defaults(handler=cmd_grade_one)

    for sub in (grade, one):
        sub.add_argument("--isolation", choices=ISOLATION, default="auto")
        sub.add_argument("--timeout", type=float, help="seconds per submission (default: from the manifest)")
        sub.add_argument("--force", action="store_true", help="regrade even when nothing changed")
        add_roots(sub)

    report = commands.add_parser("report", help="score table and grades.csv from existing results")
    report.add_argument("--out", required=True)
    report.set_defaults(handler=cmd_report)

    runs = commands.add_parser("runs", help="list the gradebook's runs")
    runs.set_defaults(handler=cmd_runs)
    compare = commands.add_parser("compare", help="submissions whose score changed between two runs")
    compare.add_argument("run_a", type=int)
    compare.add_argument("run_b", type=int)
    compare.set_defaults(handler=cmd_compare)
    export = commands.add_parser("export", help="export a run as CSV")
    export.add_argument("run", type=int, help="run id (see: runs)")
    export.add_argument("--csv", required=True, help="file to write, or - for standard output")
    export.set_defaults(handler=cmd_export)
    for sub in (runs, compare, export):
        sub.add_argument("--gradebook", default=str(DEFAULT_PATH))
    add_manual_commands(commands)  # nbgrader-import, total
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    _interrupt_on_sigterm()
    try:
        args.handler(args)
    except KeyboardInterrupt:
        print("interrupted: finished results are kept; run the same command again to resume",
              file=sys.stderr)
        return 130
    except COURSE_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
