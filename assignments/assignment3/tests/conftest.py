"""Fixtures for the public tests in this folder.

Shipped by `make release` as tests/conftest.py of every assignment. The tests
call your code through the `student` fixture, exactly as the grader does, but
here it runs in this process, importing the cs231n package of the assignment
folder. Run the tests with `python check.py` (or `python -m pytest tests`).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
ASSIGNMENT = TESTS.parent
# The test kit is shipped next to this file, in tests/autograder/testkit.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from autograder.testkit import InProcessCode, seed_for  # noqa: E402  (needs the path above)


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points the test is worth")
    config.addinivalue_line("markers", "public: shipped to students; tests without it are hidden")


@pytest.fixture(scope="session")
def student():
    """Your code: the cs231n package in the assignment folder."""
    return InProcessCode(ASSIGNMENT)


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name, the same way the grader seeds public tests."""
    return np.random.default_rng(seed_for(request.node.nodeid))
