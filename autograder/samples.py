"""Sample submissions built from the repository itself, for the demo and tests.

    python -m autograder.samples --assignment assignment1 --out build/sample_submissions

writes one folder per sample, each laid out as a student's submission:

    reference/  the reference solution: source notebooks, solved modules, the
                artifacts the executed reference notebooks saved
    blank/      the student release as downloaded, nothing filled in
    partial/    the release with only the modules the manifest's [samples]
                partial_modules names solved (for assignment1: kNN and the
                SVM loss), with no artifacts; only where it names some

`reference` must get full marks, `blank` 0 on every code test, and `partial`
exactly the points of the suites for the solved modules.
"""
import argparse
import shutil
from pathlib import Path

from course import REPO, Roots, assignment_names, load_manifest
from course.stubs import solved_module


def _copy(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def _manifest(assignment, source_root):
    return load_manifest(Roots.of(source=source_root), assignment)


def build_reference(assignment, dest, source_root=REPO / "source"):
    manifest = _manifest(assignment, source_root)
    for name in manifest.notebooks + manifest.submit_artifacts:
        src = Path(source_root) / assignment / name
        if src.exists():
            _copy(src, dest / name)
    roots = Roots.of(source=source_root)
    for module in manifest.submit_modules:
        # Without later assignments' blocks, as a solved submission of this assignment holds it.
        (dest / module).parent.mkdir(parents=True, exist_ok=True)
        (dest / module).write_text(solved_module(module, manifest, roots), encoding="utf-8")
    return dest


def build_blank(assignment, dest, release_root=REPO / "assignments", source_root=REPO / "source"):
    manifest = _manifest(assignment, source_root)
    for name in manifest.notebooks + manifest.submit_modules:
        _copy(Path(release_root) / assignment / name, dest / name)
    return dest


def build_partial(assignment, dest, release_root=REPO / "assignments", source_root=REPO / "source"):
    build_blank(assignment, dest, release_root, source_root)
    for module in _manifest(assignment, source_root).sample_partial_modules:
        _copy(Path(source_root) / module, dest / module)
    return dest


def build_all(assignment, out, release_root=REPO / "assignments", source_root=REPO / "source"):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    build_reference(assignment, out / "reference", source_root)
    build_blank(assignment, out / "blank", release_root, source_root)
    if _manifest(assignment, source_root).sample_partial_modules:
        build_partial(assignment, out / "partial", release_root, source_root)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="assignment1", choices=assignment_names(Roots.of_repo()))
    parser.add_argument("--out", default=str(REPO / "build" / "sample_submissions"))
    args = parser.parse_args(argv)
    out = build_all(args.assignment, args.out)
    print(f"sample submissions for {args.assignment} in {out}: "
          + ", ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main()
