"""Command line: `python -m autograder.gradescope build --assignment NAME --out ZIP`."""
import argparse
import sys

from .bundle import BundleError, build_bundle


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope",
                                     description="Build a Gradescope autograder zip.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write the autograder zip for one assignment")
    build.add_argument("--assignment", required=True, help="e.g. assignment1")
    build.add_argument("--out", required=True, help="zip to write, e.g. build/gradescope/assignment1.zip")
    args = parser.parse_args(argv)

    try:
        summary = build_bundle(args.assignment, args.out)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{summary.path}: {summary.files} files, {summary.bytes} bytes, sha256 {summary.sha256}")
    if summary.datasets:
        print(f"setup.sh will fetch: {', '.join(summary.datasets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
