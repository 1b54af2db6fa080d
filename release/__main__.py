"""Command line: python -m release {build,check} (--all | <assignment>...) | new <assignment> --title T."""
import argparse
import sys

from course import CourseError, Roots, assignment_names

from .errors import ReleaseError
from .pipeline import build_assignment, check_assignment, label_of, orphan_releases


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["new"]:
        return new_command(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m release", description=__doc__)
    parser.add_argument("command", choices=["build", "check"],
                        help="build: regenerate assignments/<name>; check: leak check and freshness")
    parser.add_argument("assignments", nargs="*", help="assignment names (folders of source/)")
    parser.add_argument("--all", action="store_true", help="every source/<name>/assignment.toml")
    args = parser.parse_args(argv)
    roots = Roots.of_repo()
    if args.all == bool(args.assignments):
        parser.error("give either --all or assignment names")
    names = assignment_names(roots) if args.all else args.assignments
    if not names:
        parser.error(f"no assignments found (no {roots.display(roots.source)}/*/assignment.toml)")
    failed = False
    for name in names:
        try:
            if args.command == "build":
                job = build_assignment(name, roots)
                for note in job.notes:
                    print(f"note: {note}", file=sys.stderr)
                print(f"{label_of(name, roots)}: {len(job.tree.files)} files, leak check passed")
            else:
                problems = check_assignment(name, roots)
                for line in problems:
                    print(line, file=sys.stderr)
                status = f"FAILED ({len(problems)} problem(s))" if problems else "ok"
                print(f"{label_of(name, roots)}: {status}")
                failed |= bool(problems)
        except (ReleaseError, CourseError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
    if args.command == "check" and args.all:
        for orphan in orphan_releases(roots):
            print(f"{label_of(orphan, roots)}: no source/{orphan}/assignment.toml generates it", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def new_command(argv):
    from .scaffold import new_assignment
    parser = argparse.ArgumentParser(prog="python -m release new", description="start a new assignment")
    parser.add_argument("name")
    parser.add_argument("--title", required=True)
    args = parser.parse_args(argv)
    roots = Roots.of_repo()
    try:
        made = new_assignment(roots, args.name, args.title)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in made:
        print(f"created {roots.display(path)}" if not path.name == "course.toml" else f"added {args.name} to "
              f"{roots.display(path)}")
    print("next: docs/ARCHITECTURE.md, \"Adding an assignment\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
