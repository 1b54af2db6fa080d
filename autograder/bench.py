"""How fast grading is, measured on this machine (`make bench`).

    python -m autograder.bench [--batch-size 100] [--repeat 3] [--no-write]

Measurements, printed and written as a table to docs/BENCHMARKS.md (with
the machine, the date, the command and the load average, since the machine
may be shared):

1. one kNN submission: wall time of `python -m autograder grade-one` on the reference
   submission and on the blank release, through the real sandbox
   (isolation "auto"), graded by the kNN suite alone (a copy of the
   manifest listing only test_knn.py), median of --repeat runs; goal <= 5 s.
   Before it, the fixed cost every grading pays: interpreter start and the
   grader's imports (`python -m autograder --help`).
2. one whole submission: the same with every suite of the assignment (the
   CIFAR-10 accuracy tests included); goal <= 3 s; --per-suite adds one row
   per suite (where the time goes).
3. a batch: `grade_batch` (with its forking zygotes) on --batch-size submissions (alternating copies of
   the reference and the blank release, each under its own name) with one
   job per core, once graded by the kNN suite alone and once by every suite
   (--batch-scope knn|all|both); goal <= 150 s for 100 on 2 cores. Every
   score is checked (reference: full marks, blank: 0), so a fast but wrong
   batch does not pass.
4. kNN distances: the reference KNearestNeighbor's no-loop versus two-loop
   distance matrix for 500 test x 5,000 training points (a CIFAR-10 subset
   when the data is there, else random data of the same shape; the table
   says which).

For an assignment without test_knn.py (--assignment assignment2) the kNN rows
(1, the kNN-only batch and 4) are left out, the whole-submission goal is that
assignment's (assignment2: <= 10 s, torch included), and the table goes to
docs/BENCHMARKS_<assignment>.md.

Use --batch-size 4 --repeat 1 for a quick check.
"""
import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from autograder.grading import grade_batch
from autograder.grading.run_suite import grader_environment
from autograder.grading.scoped_reference import write_scoped_reference
from autograder.samples import build_all
from course import Roots, load_manifest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "docs" / "BENCHMARKS.md"


def benchmarks_file(assignment):
    """docs/BENCHMARKS.md for assignment1 (the full set), docs/BENCHMARKS_<name>.md for the others."""
    return BENCHMARKS if assignment == "assignment1" else REPO / "docs" / f"BENCHMARKS_{assignment}.md"
ONE_GOAL_S = 5.0       # one kNN-only submission
WHOLE_GOAL_S = {"assignment1": 3.0,    # one whole submission (issue 6's goal)
                "assignment2": 10.0}   # with torch and the PyTorch suite (issue 7's goal)
BATCH_GOAL_S = 150.0   # for 100 submissions on 2 cores (issue 6's goal)
NUM_TRAIN, NUM_TEST = 5000, 500
KNN_SUITE = "test_knn.py"


# ---- the machine ------------------------------------------------------------------


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load():
    """The 1-minute load average, as text (the machine may be shared)."""
    return f"{os.getloadavg()[0]:.2f}"


def isolation_level():
    from autograder.sandbox.isolation import BwrapLaunch, RlimitsLaunch, choose
    return {BwrapLaunch: "bwrap", RlimitsLaunch: "rlimits"}.get(choose("auto"), "none")


# ---- which suites grade ------------------------------------------------------------


def scoped_reference(assignment, suites, dest):
    """A reference root whose manifest lists only `suites` (None: source/ as it is);
    see autograder/grading/scoped_reference.py."""
    if suites is None:
        return REPO / "source"
    return write_scoped_reference(dest, assignment, suites)


def manifest_suites(assignment):
    return list(load_manifest(Roots.of_repo(), assignment).suites)


# ---- 1, 2. one submission -------------------------------------------------------------


def time_one(assignment, submission, work, repeat, reference_root):
    """Median wall seconds of `python -m autograder grade-one` (forced: no cache; what an
    instructor or Gradescope runs, interpreter start included), the times, and the results."""
    times = []
    for i in range(repeat):
        out = Path(work) / f"one-{submission.name}-{i}"
        command = [sys.executable, "-m", "autograder", "grade-one", "--assignment", assignment,
                   "--submission", str(submission), "--out", str(out), "--force",
                   "--reference-root", str(reference_root)]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=grader_environment())
        times.append(time.perf_counter() - start)
        results = json.loads((out / "results.json").read_text())
    return statistics.median(times), times, results


# ---- 2. a batch ---------------------------------------------------------------------


def make_batch(samples, size, dest):
    """`size` submissions alternating reference/blank copies; {name: kind}."""
    kinds = {}
    for i in range(size):
        kind = "reference" if i % 2 == 0 else "blank"
        name = f"student{i:03d}_{kind}"
        shutil.copytree(samples / kind, dest / name)
        kinds[name] = kind
    return kinds


def time_batch(assignment, samples, size, work, jobs, reference_root):
    run = Path(tempfile.mkdtemp(prefix="batch-", dir=work))  # one folder per batch measured
    batch = run / "submissions"
    batch.mkdir()
    kinds = make_batch(samples, size, batch)
    start = time.perf_counter()
    rows = grade_batch(assignment, batch, run / "out", jobs=jobs, gradebook_path=None,
                       force=True, progress=False, reference_root=reference_root)
    elapsed = time.perf_counter() - start
    wrong = [r.name for r in rows
             if r.status == "failed" or r.score != (r.max_score if kinds[r.name] == "reference" else 0.0)]
    return elapsed, len(rows), wrong


# ---- 3. kNN distances -----------------------------------------------------------------


def knn_data(rng):
    """(X_train, X_test, what): a CIFAR-10 subset when available, else random data of that shape."""
    from cs231n.data_utils import cifar10_dir, load_CIFAR_batch
    try:
        folder = cifar10_dir()
        # The first training batch holds the 5,000 images needed; skip loading all 50,000.
        X_train, _ = load_CIFAR_batch(os.path.join(folder, "data_batch_1"))
        X_test, _ = load_CIFAR_batch(os.path.join(folder, "test_batch"))
    except FileNotFoundError:
        return (rng.uniform(0, 255, (NUM_TRAIN, 3072)), rng.uniform(0, 255, (NUM_TEST, 3072)),
                "random data (CIFAR-10 not found)")
    return (X_train[:NUM_TRAIN].reshape(NUM_TRAIN, -1), X_test[:NUM_TEST].reshape(NUM_TEST, -1),
            f"CIFAR-10 subset (first {NUM_TRAIN:,} train / {NUM_TEST:,} test images)")


def time_knn(repeat):
    """Seconds for the reference two-loop (once: it is slow) and no-loop (best of `repeat`) versions."""
    sys.path.insert(0, str(REPO / "source"))  # the reference; trusted code, imported here
    from cs231n.classifiers.k_nearest_neighbor import KNearestNeighbor
    X_train, X_test, what = knn_data(np.random.default_rng(0))
    knn = KNearestNeighbor()
    knn.train(X_train, np.zeros(len(X_train), dtype=np.int64))
    start = time.perf_counter()
    two = knn.compute_distances_two_loops(X_test)
    two_s = time.perf_counter() - start
    no_s = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        none = knn.compute_distances_no_loops(X_test)
        no_s = min(no_s, time.perf_counter() - start)
    difference = float(np.max(np.abs(two - none)))
    return two_s, no_s, what, difference


# ---- report ----------------------------------------------------------------------------


def markdown(rows, info):
    lines = ["# Benchmarks", "",
             "Measured by `autograder/bench.py` (`make bench`); rerun it to refresh this file.", "",
             "| | |", "| --- | --- |"]
    def cell(text):
        return str(text).replace("|", "\\|")  # a bare | would end the table cell

    lines += [f"| {key} | {cell(value)} |" for key, value in info]
    lines += ["", "| measurement | result | goal | load (1 min) before / after |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="assignment1")
    parser.add_argument("--batch-size", type=int, default=100, help="submissions in the batch (0: skip)")
    parser.add_argument("--batch-scope", choices=["knn", "all", "both"], default="both",
                        help=f"suites grading the batch: {KNN_SUITE} alone, all of the assignment's, "
                             "or one batch of each")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="batch jobs (default: one per core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the one-submission and no-loop timings")
    parser.add_argument("--per-suite", action="store_true", help="also time one submission per suite (one run each)")
    parser.add_argument("--skip-knn", action="store_true", help="skip the kNN distance timing")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/BENCHMARKS.md "
                        "(docs/BENCHMARKS_<assignment>.md for other assignments)")
    args = parser.parse_args(argv)

    rows = []
    info = [("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
            ("command", "`" + shlex.join(["python", "-m", "autograder.bench"] + (argv or sys.argv[1:])) + "`"),
            ("machine", f"{cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB"),
            ("system", f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
                       f"NumPy {np.__version__}"),
            ("sandbox", f"isolation auto = {isolation_level()}")]

    def report(what, result, goal=""):
        before = report.load
        report.load = load()
        rows.append((what, result, goal, f"{before} / {report.load}"))
        print(f"{what}: {result}" + (f"  [{goal}]" if goal else ""), flush=True)
    report.load = load()

    def one(samples, kind, suites, label, goal_s=None, repeat=args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-ref-") as scope:
            reference = scoped_reference(args.assignment, suites, Path(scope))
            median, times, results = time_one(args.assignment, samples / kind, work, repeat, reference)
        goal = f"<= {goal_s:g} s: {'met' if median <= goal_s else 'missed'}" if goal_s else ""
        report(f"grade one {label} ({kind}, score {results['score']:g}/{results['extra_data']['max_score']:g})",
               f"{median:.2f} s median of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})", goal)

    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        samples = build_all(args.assignment, Path(work) / "samples")
        startup = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "--help"], check=True, stdout=subprocess.DEVNULL,
                           env=grader_environment())
            startup.append(time.perf_counter() - start)
        report("start-up: interpreter and the grader's imports (python -m autograder --help)",
               f"{statistics.median(startup):.2f} s median of {len(startup)}")
        has_knn = KNN_SUITE in manifest_suites(args.assignment)
        for kind in ("reference", "blank") if has_knn else ():
            one(samples, kind, [KNN_SUITE], f"kNN submission ({KNN_SUITE} only)", ONE_GOAL_S)
        one(samples, "reference", None, f"whole {args.assignment} submission (every suite)",
            WHOLE_GOAL_S.get(args.assignment))
        one(samples, "blank", None, f"whole {args.assignment} submission (every suite)")
        if args.per_suite:
            for suite in manifest_suites(args.assignment):
                one(samples, "reference", [suite], f"{args.assignment} submission, {suite} only", repeat=1)
        scopes = {"knn": [[KNN_SUITE]], "all": [None], "both": [[KNN_SUITE], None]}[args.batch_scope]
        scopes = [suites for suites in scopes if suites is None or has_knn]
        for suites in scopes if args.batch_size else []:
            with tempfile.TemporaryDirectory(prefix="bench-ref-") as scope:
                reference = scoped_reference(args.assignment, suites, Path(scope))
                elapsed, count, wrong = time_batch(args.assignment, samples, args.batch_size, work, args.jobs,
                                                   reference)
            goal_s = BATCH_GOAL_S * args.batch_size / 100
            verdict = "met" if elapsed <= goal_s and not wrong else "missed"
            scope_text = f"{KNN_SUITE} only" if suites else "every suite"
            report(f"grade a batch of {count} (half reference, half blank; {scope_text}), {args.jobs} jobs",
                   f"{elapsed:.1f} s ({elapsed / count:.2f} s per submission)"
                   + (f"; WRONG SCORES: {', '.join(wrong)}" if wrong else "; every score as expected"),
                   f"<= {goal_s:.0f} s (150 s per 100, on 2 cores): {verdict}")
    if not args.skip_knn and args.assignment == "assignment1":
        two_s, no_s, what, difference = time_knn(args.repeat)
        report(f"kNN distances {NUM_TEST} x {NUM_TRAIN:,}, reference, {what}",
               f"two loops {two_s:.2f} s, no loops {no_s:.3f} s: {two_s / no_s:.0f}x faster "
               f"(max |difference| {difference:.1e})")
    if not args.no_write:
        path = benchmarks_file(args.assignment)
        path.write_text(markdown(rows, info))
        print(f"written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
