"""Sample submissions built from the repository itself, for the demo and tests.

    python -m autograder.samples --assignment assignment1 --out build/sample_submissions

writes one folder per sample, each laid out as a student's submission:

    reference/  the reference solution: source notebooks, solved modules, the
                artifacts the executed reference notebooks saved
    blank/      the student release as downloaded, nothing filled in
    partial/    the release with only the modules named in PARTIAL solved
                (for assignment1: kNN and the SVM loss), with no artifacts

`reference` must get full marks, `blank` 0 on every code test, and `partial`
exactly the points of the suites for the solved modules.
"""
import argparse
import shutil
from pathlib import Path

from autograder.grading.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]

PARTIAL = {
    "assignment1": ["cs231n/classifiers/k_nearest_neighbor.py", "cs231n/classifiers/linear_svm.py"],
}


def _copy(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def build_reference(assignment, dest, source_root=REPO / "source"):
    manifest = load_manifest(assignment, source_root)
    for name in manifest.notebooks + manifest.submit_artifacts:
        src = Path(source_root) / assignment / name
        if src.exists():
            _copy(src, dest / name)
    for module in manifest.submit_modules:
        _copy(Path(source_root) / module, dest / module)
    return dest


def build_blank(assignment, dest, release_root=REPO / "assignments", source_root=REPO / "source"):
    manifest = load_manifest(assignment, source_root)
    for name in manifest.notebooks + manifest.submit_modules:
        _copy(Path(release_root) / assignment / name, dest / name)
    return dest


def build_partial(assignment, dest, release_root=REPO / "assignments", source_root=REPO / "source"):
    build_blank(assignment, dest, release_root, source_root)
    for module in PARTIAL[assignment]:
        _copy(Path(source_root) / module, dest / module)
    return dest


def build_all(assignment, out, release_root=REPO / "assignments", source_root=REPO / "source"):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    build_reference(assignment, out / "reference", source_root)
    build_blank(assignment, out / "blank", release_root, source_root)
    if assignment in PARTIAL:
        build_partial(assignment, out / "partial", release_root, source_root)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="assignment1")
    parser.add_argument("--out", default=str(REPO / "build" / "sample_submissions"))
    args = parser.parse_args(argv)
    out = build_all(args.assignment, args.out)
    print(f"sample submissions for {args.assignment} in {out}: "
          + ", ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main()
