"""How fast grading is, measured on this machine (`make bench`).

    python -m autograder.bench [--batch-size 100] [--repeat 3] [--no-write]

Three measurements, printed and written as a table to docs/BENCHMARKS.md
(with the machine, the date, the command and the load average, since the
machine may be shared):

1. one submission: wall time of `grade_submission` on the reference
   submission and on the blank release, through the real sandbox
   (isolation "auto"), median of --repeat runs; goal <= 5 s.
2. a batch: `grade_batch` on --batch-size submissions (alternating copies of
   the reference and the blank release, each under its own name) with one
   job per core; goal <= 5 min for 100 on 2 cores. Every score is checked
   (reference: full marks, blank: 0), so a fast but wrong batch fails.
3. kNN distances: the reference KNearestNeighbor's no-loop versus two-loop
   distance matrix for 500 test x 5,000 training points (a CIFAR-10 subset
   when the data is there, else random data of the same shape; the table
   says which).

Use --batch-size 4 for a quick check.
"""
import argparse
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from autograder.grading import grade_batch, grade_submission
from autograder.samples import build_all

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "docs" / "BENCHMARKS.md"
ONE_GOAL_S = 5.0
BATCH_GOAL_S = 300.0   # for 100 submissions on 2 cores
NUM_TRAIN, NUM_TEST = 5000, 500


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


# ---- 1. one submission --------------------------------------------------------------


def time_one(assignment, submission, work, repeat):
    """Median wall seconds of grade_submission (forced: no cache), and the score."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        results = grade_submission(assignment, submission, Path(work) / f"one-{submission.name}-{i}", force=True)
        times.append(time.perf_counter() - start)
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


def time_batch(assignment, samples, size, work, jobs):
    batch = Path(work) / "batch"
    batch.mkdir()
    kinds = make_batch(samples, size, batch)
    start = time.perf_counter()
    rows = grade_batch(assignment, batch, Path(work) / "batch-out", jobs=jobs, gradebook_path=None,
                       force=True, progress=False)
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
    lines += [f"| {key} | {value} |" for key, value in info]
    lines += ["", "| measurement | result | goal | load (1 min) before / after |", "| --- | --- | --- | --- |"]
    lines += [f"| {what} | {result} | {goal} | {loads} |" for what, result, goal, loads in rows]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="assignment1")
    parser.add_argument("--batch-size", type=int, default=100, help="submissions in the batch (0: skip)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="batch jobs (default: one per core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the one-submission and no-loop timings")
    parser.add_argument("--skip-knn", action="store_true", help="skip the kNN distance timing")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {BENCHMARKS.relative_to(REPO)}")
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

    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        samples = build_all(args.assignment, Path(work) / "samples")
        for kind in ("reference", "blank"):
            median, times, results = time_one(args.assignment, samples / kind, work, args.repeat)
            verdict = "met" if median <= ONE_GOAL_S else "missed"
            report(f"grade one {args.assignment} submission ({kind}, score {results['score']:g}/"
                   f"{results['extra_data']['max_score']:g})",
                   f"{median:.2f} s median of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})",
                   f"<= {ONE_GOAL_S:g} s: {verdict}")
        if args.batch_size:
            elapsed, count, wrong = time_batch(args.assignment, samples, args.batch_size, work, args.jobs)
            goal_s = BATCH_GOAL_S * args.batch_size / 100
            verdict = "met" if elapsed <= goal_s and not wrong else "missed"
            report(f"grade a batch of {count} (half reference, half blank), {args.jobs} jobs",
                   f"{elapsed:.1f} s ({elapsed / count:.2f} s per submission)"
                   + (f"; WRONG SCORES: {', '.join(wrong)}" if wrong else "; every score as expected"),
                   f"<= {goal_s:.0f} s (5 min per 100, on 2 cores): {verdict}")
    if not args.skip_knn:
        two_s, no_s, what, difference = time_knn(args.repeat)
        report(f"kNN distances {NUM_TEST} x {NUM_TRAIN:,}, reference, {what}",
               f"two loops {two_s:.2f} s, no loops {no_s:.3f} s: {two_s / no_s:.0f}x faster "
               f"(max |difference| {difference:.1e})")
    if not args.no_write:
        BENCHMARKS.write_text(markdown(rows, info))
        print(f"written to {BENCHMARKS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
