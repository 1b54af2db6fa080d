"""The command-line options the grader passes to a suite's pytest run (run_suite.py).

One list, added by the suites' conftest (and by toy conftests in tests), so
what run_suite passes and what a conftest accepts cannot drift apart:

    def pytest_addoption(parser):
        add_grading_options(parser)
"""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def add_grading_options(parser):
    group = parser.getgroup("grading")
    group.addoption("--student-root", default=None, help="folder holding the student's cs231n package")
    group.addoption("--isolation", default="auto", choices=["auto", "bwrap", "rlimits", "none"],
                    help="how the student worker process is confined (none: trusted code only)")
    group.addoption("--reference-root", default=str(REPO / "source"), help="folder holding the reference cs231n")
    group.addoption("--call-timeout", type=float, default=30.0,
                    help="seconds one call into student code may take")
    group.addoption("--sandbox-budget", type=float, default=300.0,
                    help="seconds all calls into one submission's code may take together")
    group.addoption("--sandbox-memory-mb", type=int, default=4096, help="memory limit of the student's worker")
    group.addoption("--sandbox-processes", type=int, default=64, help="process limit of the student's worker")
    group.addoption("--sandbox-threads", type=int, default=1, help="BLAS/torch threads of the student's worker")
    group.addoption("--sandbox-preload", default="", help="comma-separated modules each worker imports first")
    group.addoption("--hidden-seed-salt", default="", help="mixed into the seeds of hidden tests (course.toml)")
