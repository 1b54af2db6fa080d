"""The gradebook: every grading run and its results, in one SQLite file.

    book = Gradebook("gradebook.sqlite")        # created with its schema on first use
    run = book.start_run("assignment1", context, out_dir, isolation)
    book.record(run, "alice", results, "graded")  # results: a results.json dict
    book.finish_run(run)

Tables: `runs` (one row per batch: assignment, times, suite hash, grader
version), `submissions` (total per submission per run) and `results` (one row
per test per submission per run). A run that was interrupted keeps what it
recorded, with `finished` NULL. Only the batch's main thread writes; WAL
lets `runs`/`compare`/`export` read while a batch is grading.
"""
import contextlib
import csv
import sqlite3
import sys
from datetime import datetime, timezone

from course import REPO

DEFAULT_PATH = REPO / "gradebook.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    suite_hash TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    reference_hash TEXT,
    isolation TEXT,
    out_dir TEXT,
    submissions_dir TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    submission TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    cache_key TEXT,
    PRIMARY KEY (run_id, submission)
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    submission TEXT NOT NULL,
    test TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    visibility TEXT NOT NULL,
    PRIMARY KEY (run_id, submission, test)
);
"""


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class GradebookError(LookupError):
    """A run that does not exist, or another request the gradebook cannot answer."""


class Gradebook:
    def __init__(self, path=DEFAULT_PATH):
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        # Gradebooks made before the submissions folder was recorded get the column.
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
        if "submissions_dir" not in columns:
            with self.db:
                self.db.execute("ALTER TABLE runs ADD COLUMN submissions_dir TEXT")

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- writing -------------------------------------------------------------

    def start_run(self, assignment, context, out_dir="", isolation="", submissions_dir=""):
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO runs (assignment, started, suite_hash, grader_version, reference_hash, isolation,"
                " out_dir, submissions_dir) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (assignment, _now(), context["suite_hash"], context["grader_version"],
                 context.get("reference_hash"), isolation, str(out_dir), str(submissions_dir)))
        return cursor.lastrowid

    def record(self, run_id, submission, results, status):
        extra = results.get("extra_data", {})
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                            (run_id, submission, results["score"], extra.get("max_score", 0.0), status,
                             extra.get("cache_key")))
            self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (run_id, submission, t["name"], t["score"], t["max_score"], t["status"], t["visibility"])
                for t in results["tests"]])

    def finish_run(self, run_id):
        with self.db:
            self.db.execute("UPDATE runs SET finished = ? WHERE id = ?", (_now(), run_id))

    # ---- reading -------------------------------------------------------------

    def runs(self):
        """[(id, assignment, started, finished, submissions, mean score, max score, suite hash,
        submissions folder, out folder)]."""
        return self.db.execute(
            "SELECT r.id, r.assignment, r.started, r.finished, COUNT(s.submission), AVG(s.score),"
            " MAX(s.max_score), r.suite_hash, r.submissions_dir, r.out_dir FROM runs r"
            " LEFT JOIN submissions s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id").fetchall()

    def _check_run(self, run_id):
        if self.db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise GradebookError(f"no run {run_id} in {self.path}")

    def compare(self, run_a, run_b):
        """Submissions whose score differs between two runs (missing in one run: None).

        Returns [(submission, score_a, score_b, [tests whose status changed])].
        """
        self._check_run(run_a)
        self._check_run(run_b)
        rows = self.db.execute(
            "SELECT name, a.score, b.score FROM"
            " (SELECT submission AS name FROM submissions WHERE run_id = ?1"
            "  UNION SELECT submission FROM submissions WHERE run_id = ?2)"
            " LEFT JOIN submissions a ON a.run_id = ?1 AND a.submission = name"
            " LEFT JOIN submissions b ON b.run_id = ?2 AND b.submission = name"
            " WHERE a.score IS NOT b.score ORDER BY name", (run_a, run_b)).fetchall()
        changed = []
        for name, score_a, score_b in rows:
            tests = [t for (t,) in self.db.execute(
                "SELECT a.test FROM results a JOIN results b ON b.test = a.test AND b.submission = a.submission"
                " WHERE a.run_id = ? AND b.run_id = ? AND a.submission = ? AND a.status != b.status"
                " ORDER BY a.test", (run_a, run_b, name))]
            changed.append((name, score_a, score_b, tests))
        return changed

    def export_csv(self, run_id, path):
        """One row per submission: total, maximum, then one score column per test.
        `path` "-" writes to standard output."""
        self._check_run(run_id)
        tests = [t for (t,) in self.db.execute(
            "SELECT DISTINCT test FROM results WHERE run_id = ? ORDER BY test", (run_id,))]
        scores = {}
        for submission, test, score in self.db.execute(
                "SELECT submission, test, score FROM results WHERE run_id = ?", (run_id,)):
            scores.setdefault(submission, {})[test] = score
        with (contextlib.nullcontext(sys.stdout) if str(path) == "-"
              else open(path, "w", newline="", encoding="utf-8")) as f:
            writer = csv.writer(f)
            writer.writerow(["submission", "score", "max_score", "status"] + tests)
            for submission, score, max_score, status in self.db.execute(
                    "SELECT submission, score, max_score, status FROM submissions WHERE run_id = ?"
                    " ORDER BY submission", (run_id,)):
                writer.writerow([submission, f"{score:g}", f"{max_score:g}", status]
                                + [f"{scores.get(submission, {}).get(t, 0.0):g}" for t in tests])
        return len(scores)
