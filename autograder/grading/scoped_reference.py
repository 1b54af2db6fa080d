"""A copy of the reference root whose manifest grades with fewer suites (benchmarks, batch tests).

The grader runs the suites an assignment's manifest lists. A copy of
source/cs231n, of course.toml (the course's order and hidden-seed salt) and of
every assignment's manifest and shipped files, with the one manifest's `suites`
cut, grades with those suites and changes nothing else: shared modules hold
later assignments' blocks, whose owners the course must know, and a later
assignment's [earlier_work] names the earlier ones.
"""
import json
import re
import shutil
from pathlib import Path

from course import Roots, load_course, load_manifest
from course.manifest import COURSE_FILE, MANIFEST_FILE


def write_scoped_reference(dest, assignment, suites, call_timeout_s=None, source=None):
    """Write the copy under `dest` (created) and return it as a Path.

    `suites`: the suite files to keep, in order; `call_timeout_s`: a [sandbox]
    call_timeout_s to put in place of the manifest's (None: as it is).
    """
    source = Path(source) if source is not None else Roots.of_repo().source
    dest = Path(dest)
    shutil.copytree(source / "cs231n", dest / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(source / COURSE_FILE, dest / COURSE_FILE)
    roots = Roots.of(source=source)
    for name in load_course(roots).assignments:
        (dest / name).mkdir(parents=True)
        for rel in load_manifest(roots, name).shipped_files:
            (dest / name / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name / rel, dest / name / rel)
        text = (source / name / MANIFEST_FILE).read_text()
        if name == assignment:
            text = _cut(text, f"source/{name}/{MANIFEST_FILE}", suites, call_timeout_s)
        (dest / name / MANIFEST_FILE).write_text(text)
    return dest


def _cut(text, where, suites, call_timeout_s):
    text, count = re.subn(r"(?ms)^suites\s*=\s*\[.*?\]", lambda _: "suites = " + json.dumps(list(suites)), text)
    if count != 1:
        raise ValueError(f"{where} has no `suites = [...]`")
    # [samples] names suites the copy may no longer list.
    text = re.sub(r"(?ms)^\[samples\].*?(?=^\[|\Z)", "", text)
    if call_timeout_s is not None:
        text, count = re.subn(r"(?m)^call_timeout_s\s*=.*$", f"call_timeout_s = {call_timeout_s}", text)
        if count != 1:
            raise ValueError(f"{where} has no [sandbox] call_timeout_s")
    return text
