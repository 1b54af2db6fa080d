#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image for
# @ASSIGNMENT@ (the bundle is unpacked in $ROOT/source). It installs what
# grading needs: bubblewrap (the sandbox for student code), a Python >= 3.11
# venv with the course's pinned packages, and the datasets the suites read.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
DATASETS="@DATASETS@"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap python3 python3-venv >/dev/null

# numpy 2.4 needs Python >= 3.11; Ubuntu 22.04's python3 is 3.10, and its
# universe archive carries python3.11.
PYTHON_BASE=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
  PYTHON_BASE=python3.11
fi

"$PYTHON_BASE" -m venv "$VENV"
"$VENV/bin/pip" install --quiet -r "$SOURCE/requirements.txt" -c "$SOURCE/constraints.txt"

if [ -n "$DATASETS" ]; then
  (cd "$SOURCE" && CS231N_DATA_DIR="$SOURCE/data/datasets" PYTHONPATH="$SOURCE" \
     "$VENV/bin/python" -m data.prepare $DATASETS)
fi

# Student code runs as an unprivileged user (at isolation rlimits, where
# namespaces are unavailable, as in Gradescope's containers, it shares this
# file system). That user needs the venv and its Python, and nothing of
# $SOURCE: the reference, the hidden suites and the datasets are root's only.
# (The sandbox's start-up probe refuses to grade where it can read them.)
chmod -R a+rX,go-w "$VENV"
chmod -R go-rwx "$SOURCE"
chmod 0711 "$ROOT"
