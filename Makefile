# The course kit's commands. Everything runs inside .venv, which `make venv`
# builds from the pinned requirements; every target that needs it depends on it.
#
# Configuration (make variables or environment variables):
#   CS231N_MIRROR    where `make data` fetches datasets from instead of the
#                    internet (a folder or a file:// / http(s):// base URL)
#   CS231N_DATA_DIR  where datasets are stored (default: data/datasets)
#   ASSIGNMENT, SUBMISSIONS, OUT, JOBS   for `make grade`

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)
export CS231N_DATA_DIR ?= $(CURDIR)/data/datasets
export CS231N_MIRROR ?=

ASSIGNMENT ?= assignment1
SUBMISSIONS ?= build/sample_submissions
OUT ?= build/graded
JOBS ?= $(shell nproc)

.PHONY: help venv system-deps data release new-assignment check-release notebooks grade gradescope \
        demo test bench mutate clean notebooks-smoke

help:
	@echo "make demo    release, grade the reference and the blank release, print scores"
	@echo "make test    the project's own test suite"
	@echo "make data | release | notebooks | grade | gradescope | bench | mutate"

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON_BASE) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed system-deps

# bubblewrap is the sandbox for student code; installed when we are root on Debian.
system-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "WARNING: bubblewrap (bwrap) is missing; grading falls back to weaker isolation." >&2; \
	  fi; }

# CIFAR-10 (fetched) and everything grading needs (fetched or built, e.g. the held-out images).
data: venv
	$(PY) -m data.prepare --all

release: venv
	$(PY) -m release build --all

# A new assignment's folders and manifest: make new-assignment NAME=assignment2 TITLE="..."
new-assignment: venv
	$(PY) -m release new $(NAME) --title "$(TITLE)"

check-release: venv
	$(PY) -m release check --all

ISOLATION ?= auto
grade: venv
	$(PY) -m autograder grade --assignment $(ASSIGNMENT) --submissions $(SUBMISSIONS) \
	    --out $(OUT) --jobs $(JOBS) --isolation $(ISOLATION)

# The main job: a fresh release, then the reference solution, the blank release
# and a partly solved submission graded as one batch, and the score table.
DEMO_OUT ?= build/demo
demo: venv data
	$(PY) -m release build $(ASSIGNMENT)
	$(PY) -m autograder.samples --assignment $(ASSIGNMENT) --out $(DEMO_OUT)/submissions
	$(PY) -m autograder grade --assignment $(ASSIGNMENT) --submissions $(DEMO_OUT)/submissions \
	    --out $(DEMO_OUT)/graded --jobs $(JOBS) --isolation $(ISOLATION) --gradebook $(DEMO_OUT)/gradebook.sqlite

notebooks: venv data
	$(PY) -m release.execute $(ASSIGNMENT)

# Every notebook of ASSIGNMENT in a smoke run (few steps, little data; what CI checks).
notebooks-smoke: venv data
	$(PY) -m release.execute $(ASSIGNMENT) --smoke

gradescope: venv
	$(PY) -m autograder.gradescope build --assignment $(ASSIGNMENT) --out build/gradescope/$(ASSIGNMENT).zip

BENCH_BATCH ?= 100
bench: venv data
	$(PY) -m autograder.bench --per-suite --batch-size $(BENCH_BATCH)

mutate: venv
	$(PY) -m autograder.mutation --assignment $(ASSIGNMENT) --jobs $(JOBS) --record docs/MUTATION.md

test: venv data
	$(PY) -m pytest tests -q

clean:
	rm -rf build
