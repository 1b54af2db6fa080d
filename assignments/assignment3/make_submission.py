"""Build <assignment>_submission.zip: exactly the files the grader reads.

    python make_submission.py        writes the zip in this folder
    python make_submission.py -h     this help; writes nothing

What goes in is listed in submission.json (written by the release): your
notebooks, the cs231n modules you completed, and files your notebooks save.
Before zipping it warns about common mistakes: notebooks with unsaved changes,
never run, or not run top to bottom, and files your notebooks have not
written yet. A notebook that is not valid JSON, or a missing notebook or
module, is an error: no zip is written.
"""
import argparse
import json
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Fixed timestamp inside the zip: the same files always give the same zip.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# JupyterLab 4's menu entry that runs a notebook top to bottom in a fresh kernel.
RUN_ALL = "Kernel > Restart Kernel and Run All Cells"


def notebook_problems(path):
    """(errors, warnings) about one notebook, as messages for the student."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return [f"{path.name} is not a valid notebook ({exc}); re-download it or restore a checkpoint"], []
    warnings = []
    checkpoint = path.parent / ".ipynb_checkpoints" / f"{path.stem}-checkpoint.ipynb"
    if checkpoint.is_file() and checkpoint.stat().st_mtime > path.stat().st_mtime \
            and checkpoint.read_bytes() != path.read_bytes():
        warnings.append(f"{path.name} may have unsaved changes (its checkpoint is newer); "
                        "save it in Jupyter first")
    code = [(i, c.get("execution_count")) for i, c in enumerate(cells)
            if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()]
    counts = [n for _, n in code if n is not None]
    if code and not counts:
        warnings.append(f"{path.name} was never run; run all cells ({RUN_ALL}) and save")
    elif counts:
        not_run = [i for i, n in code if n is None]
        if counts[0] != 1 or any(b <= a for a, b in zip(counts, counts[1:])):
            warnings.append(f"{path.name} was not run top to bottom in one go (execution counts "
                            f"{_summary(counts)}); use {RUN_ALL} and save")
        elif not_run:
            warnings.append(f"{path.name}: {len(not_run)} code cell(s) were never run "
                            f"(cells {', '.join(str(i) for i in not_run[:5])}{', ...' if len(not_run) > 5 else ''})")
    return [], warnings


def _summary(counts):
    shown = ", ".join(str(n) for n in counts[:8])
    return shown + (", ..." if len(counts) > 8 else "")


def collect(folder=HERE):
    """(assignment name, files to zip, errors, warnings) for the assignment in `folder`."""
    manifest = json.loads((folder / "submission.json").read_text(encoding="utf-8"))
    files, errors, warnings = [], [], []
    for name in manifest["notebooks"]:
        path = folder / name
        if not path.is_file():
            errors.append(f"notebook {name} is missing")
            continue
        nb_errors, nb_warnings = notebook_problems(path)
        errors += nb_errors
        warnings += nb_warnings
        files.append(name)
    for name in manifest["modules"]:
        if (folder / name).is_file():
            files.append(name)
        else:
            errors.append(f"module {name} is missing")
    for name in manifest["artifacts"]:
        if (folder / name).is_file():
            files.append(name)
        else:
            warnings.append(f"{name} does not exist yet; run the notebook cell that saves it")
    return manifest["assignment"], files, errors, warnings


def write_zip(folder, assignment, files):
    target = folder / f"{assignment}_submission.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (folder / name).read_bytes())
    return target


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="make_submission.py",
        description="Build <assignment>_submission.zip in this folder: the notebooks, the cs231n files you "
                    "completed and the files your notebooks save (as listed in submission.json), after "
                    "warning about notebooks that were not saved or not run top to bottom.",
        epilog="Upload the zip it writes. The exit status is 1 when an error kept it from writing one.")
    return parser.parse_args(argv)


def main(argv=None, folder=HERE):
    parse_args(argv)
    assignment, files, errors, warnings = collect(folder)
    for message in warnings:
        print(f"WARNING: {message}")
    for message in errors:
        print(f"ERROR: {message}")
    if errors:
        print("No submission was written; fix the errors above and run this again.")
        return 1
    target = write_zip(folder, assignment, files)
    print(f"Wrote {target.name}, holding:")
    with zipfile.ZipFile(target) as archive:
        for info in archive.infolist():
            print(f"  {info.filename}  ({info.file_size:,} bytes)")
    print(f"Size: {target.stat().st_size:,} bytes. Upload this file to be graded.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
