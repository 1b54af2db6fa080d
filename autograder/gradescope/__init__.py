"""The Gradescope autograder bundle for one assignment.

    python -m autograder.gradescope build --assignment assignment1 \
        --out build/gradescope/assignment1.zip

writes a zip to upload as a Gradescope "autograder". Gradescope unpacks it
into /autograder/source, runs `setup.sh` once when it builds the image, and
runs `run_autograder` for every submission, which grades
/autograder/submission with the same `grade_submission` as `make grade` and
writes /autograder/results/results.json.

Modules:
    bundle.py          what goes into the zip, written deterministically
    run.py             what run_autograder calls: stage, grade, write results
    setup.sh           template: system packages, the pinned venv, datasets
    run_autograder     template: environment and paths, then run.py
"""
