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
        demo test test-browser bench mutate clean notebooks-smoke models

help:
	@echo "make demo    release, grade the reference and the blank release, print scores"
	@echo "make test    the project's own test suite"
	@echo "make test-browser   the student's path in a real browser (CI runs it after make test)"
	@echo "make data | models | release | notebooks | grade | gradescope | bench | mutate"

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON_BASE) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed system-deps

# System packages, installed with apt when we are root on Debian:
#   bubblewrap (bwrap)       the sandbox for student code
#   chromium, chromium-driver the browser of `make test-browser` (never downloaded at run time)
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium chromedriver:chromium-driver
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "WARNING: missing system packages:$$missing (without bubblewrap grading falls back to" \
	         "weaker isolation; without chromium and chromium-driver the browser test skips)" >&2; \
	  fi; fi

# CIFAR-10 (fetched) and everything grading needs (fetched or built, e.g. the held-out images).
data: venv
	$(PY) -m data.prepare --all

# Retrain the models the course ships (models/), then rewrite their checksums and records.
models: venv data
	$(PY) -m models train

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

# One BLAS thread per kernel: on a loaded 2-core machine the default threads made one LSTM loss
# take 7.5 s instead of 1.0 s (docs/ASSIGNMENT3_RNN.md); the smoke test sets the same.
notebooks: venv data
	OPENBLAS_NUM_THREADS=1 $(PY) -m release.execute $(ASSIGNMENT)

# Every notebook of ASSIGNMENT in a smoke run (few steps, little data; what CI checks).
notebooks-smoke: venv data
	$(PY) -m release.execute $(ASSIGNMENT) --smoke

gradescope: venv
	$(PY) -m autograder.gradescope build --assignment $(ASSIGNMENT) --out build/gradescope/$(ASSIGNMENT).zip

BENCH_BATCH ?= 100
bench: venv data
	$(PY) -m autograder.bench --per-suite --batch-size $(BENCH_BATCH)
	$(PY) -m autograder.bench --assignment assignment2 --per-suite --batch-size 0
	@mkdir -p build
	$(PY) -m autograder.sandbox.bench --torch | tee build/sandbox_bench.txt
	$(PY) -m autograder.bench_layers | tee build/layers_bench.txt

mutate: venv
	$(PY) -m autograder.mutation --assignment $(ASSIGNMENT) --jobs $(JOBS) --record docs/MUTATION.md

# The browser test has its own target: it took 6.4 minutes on the shared 2-core
# development machine, over the 4 minutes `make test` may add (.ci/run runs both).
test: venv data
	$(PY) -m pytest tests -q --ignore=tests/test_browser.py

# The student's path in headless Chromium (tests/test_browser.py): the release's
# environment from the package index, JupyterLab, the blank and the solved notebook.
# Screenshots and logs: build/test-browser/.
test-browser: venv data
	CS231N_REQUIRE_BROWSER=1 $(PY) -m pytest tests/test_browser.py -q -rA

clean:
	rm -rf build
