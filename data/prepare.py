"""Make the datasets a command needs present: fetched (fetch.py) or built (heldout.py, captioning.py).

    python -m data.prepare cifar10 cifar10_heldout    # these
    python -m data.prepare --for assignment1          # what grading assignment1 needs
    python -m data.prepare --all                      # what `make data` runs: CIFAR-10 and
                                                      # everything any assignment's grading or
                                                      # notebooks ([execution] datasets) need

One name space for both kinds, so an assignment's manifest ([grading]
datasets) names either, and the grader's precondition check and Gradescope's
setup.sh ask one place whether each is there.
"""
import argparse
import sys

from . import captioning, fetch, heldout

BUILT = {heldout.NAME: heldout, captioning.NAME: captioning}


def known():
    return list(fetch.DATASETS) + list(BUILT)


def missing_reason(name):
    """None when dataset `name` is ready where CS231N_DATA_DIR points, else what to do."""
    if name in BUILT:
        return BUILT[name].missing_reason()
    return fetch.missing_reason(name)


def prepare(name):
    if name in BUILT:
        if BUILT[name].missing_reason() is not None:
            for needed in BUILT[name].REQUIRES:   # what the build reads, fetched or built first
                prepare(needed)
            BUILT[name].build()
        else:
            print(f"{name}: already built")
    else:
        fetch.fetch(name)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="dataset", help=f"known: {', '.join(known())}")
    parser.add_argument("--for", dest="assignment", help="every dataset this assignment's grading needs")
    parser.add_argument("--all", action="store_true", help="CIFAR-10 and every dataset any assignment's grading or notebooks need")
    args = parser.parse_args(argv)
    names = list(args.names)
    from course import Roots, assignment_names, load_manifest
    roots = Roots.of_repo()
    wanted = [args.assignment] if args.assignment else assignment_names(roots) if args.all else []
    if args.all and "cifar10" not in names:
        names.append("cifar10")
    for assignment in wanted:
        manifest = load_manifest(roots, assignment)
        # --all is `make data`: what the notebooks read too; --for is the grader's setup.
        needed = manifest.datasets + (manifest.notebook_datasets if args.all else ())
        names += [n for n in needed if n not in names]
    unknown = [n for n in names if n not in known()]
    if unknown or not names:
        parser.error(f"name datasets to prepare (known: {', '.join(known())})" if not names
                     else f"unknown dataset {unknown[0]!r} (known: {', '.join(known())})")
    try:
        for name in names:
            prepare(name)
    except (fetch.FetchError, heldout.HeldoutError, captioning.CaptioningDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
