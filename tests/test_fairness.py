"""The fairness corpus (tests/fairness/, see docs/FAIRNESS.md), graded by the real grader.

Each variant is a whole student module: the reference module with only the
functions its header names rewritten, either correctly (in another way than
the reference: loops for broadcasting, another numerical route, another
convention the docstrings allow) or with one classic mistake. Its header:

    # Correct: what is different, in words
    # Rewrites: KNearestNeighbor.compute_distances_no_loops, KNearestNeighbor.predict_labels

    # Mistake: what is wrong, in words   (or "Mistake (of convention): ...")
    # Rewrites: KNearestNeighbor.compute_distances_no_loops
    # Fails: test_knn.py::test_no_loops_with_duplicated_points
    #        (one test per line; parametrized tests with their [id])

A submission is the reference submission (autograder.samples.build_reference)
with that one module replaced. Submissions are graded with `grade_batch`
(isolation "auto": bwrap where available), one batch per scope, two jobs,
each scope being the suites that name the module's dotted name and run
student code (as mutation testing scopes them). A saved-model suite that asks
for no `student` (the reference scores the saved file) is left out: on the
reference submission's artifacts it gives every variant the same score, and
sampling from a saved model costs 10-60 s per submission. Then:

* every correct variant gets full marks on its suites;
* every mistake fails exactly the tests its header lists, nothing else: a new
  test that charges a mistake again shows up here (the charge-once check);
* every graded function (one that holds a solution region of the assignment)
  has at least three correct variants and at least one mistake, and every
  variant rewrites exactly the functions it declares.

Run (about 3-4 minutes on the shared 2-core machine; `-k assignment3` grades only the
variants it selects):

    .venv/bin/python -m pytest tests/test_fairness.py -v
"""
import ast
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grading import grade_batch
from autograder.grading.scoped_reference import write_scoped_reference
from autograder.samples import build_reference
from course import Roots, load_course, load_manifest
from course.regions import find_regions
from course.stubs import release_module, solved_module

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fairness"
ROOTS = Roots.of_repo()
JOBS = 2
SUITE_TIMEOUT_S = 300
MIN_CORRECT = 3
HEADER_KEYS = ("Correct", "Mistake", "Rewrites", "Fails")


@dataclass(frozen=True)
class Variant:
    assignment: str
    module: str          # the submitted module's path, e.g. cs231n/classifiers/k_nearest_neighbor.py
    path: Path
    kind: str            # "correct" or "mistake"
    what: str
    rewrites: frozenset  # qualified names: "KNearestNeighbor.predict_labels", "hog_feature"
    fails: frozenset     # test names as results.json has them: "test_knn.py::test_x[param]"

    @property
    def name(self):
        return f"{self.path.parent.name}--{self.path.stem}"

    def __str__(self):
        return f"{self.assignment}/{self.name}"


def parse_header(path):
    """{key: [values]} from the comment lines at the top of a variant file."""
    fields, key = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line[1:].strip()
        match = re.match(r"(\w+)(?: \([^)]*\))?:\s*(.*)", text)   # "Mistake (of convention): ..." too
        if match and match.group(1) in HEADER_KEYS:
            key = match.group(1)
            fields.setdefault(key, [])
            text = match.group(2)
        if key is not None and text:
            fields[key].append(text)
    return fields


def load_variant(assignment, manifest, path):
    fields = parse_header(path)
    kind = path.stem.split("_", 1)[0]
    modules = [m for m in manifest.submit_modules if Path(m).stem == path.parent.name]
    problems = []
    if kind not in ("correct", "mistake"):
        problems.append("its name must start with correct_ or mistake_")
    if len(modules) != 1:
        problems.append(f"its folder {path.parent.name} names no submitted module of {assignment}")
    if not fields.get(kind.capitalize()):
        problems.append(f"its header has no '# {kind.capitalize()}: ...' line")
    if not fields.get("Rewrites"):
        problems.append("its header has no '# Rewrites: ...' line")
    if (kind == "mistake") != bool(fields.get("Fails")):
        problems.append("a mistake lists the tests it fails ('# Fails: ...'), a correct variant none")
    if problems:
        raise AssertionError(f"{path.relative_to(REPO)}: " + "; ".join(problems))
    names = lambda key: frozenset(n.strip() for v in fields.get(key, []) for n in v.split(",") if n.strip())
    return Variant(assignment, modules[0], path, kind, " ".join(fields[kind.capitalize()]),
                   names("Rewrites"), names("Fails"))


def corpus():
    variants = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []:
        manifest = load_manifest(ROOTS, folder.name)
        for path in sorted(folder.glob("*/*.py")):
            variants.append(load_variant(folder.name, manifest, path))
    return variants


VARIANTS = corpus()


# ---- reading modules ---------------------------------------------------------------------------

def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def code_of(node):
    """ast.dump of a function without its docstring: a docstring edited in source/ later does not
    make a variant look rewritten."""
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    return ast.dump(ast.Module(body=body, type_ignores=[])) + ast.dump(node.args)


def functions_of(text):
    """{qualified name: ast node} of the module's functions and its classes' methods."""
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found.update({f"{node.name}.{item.name}": item for item in node.body
                          if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))})
    return found


def other_statements(text):
    """ast dumps of the module's top-level statements that are neither definitions, imports nor
    docstrings, and of each class's statements that are not methods or its docstring."""
    kept = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef):
            kept += [ast.dump(item) for item in node.body
                     if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_docstring(item)]
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom)) \
                and not _is_docstring(node):
            kept.append(ast.dump(node))
    return kept


def reference_in_scope(module, assignment):
    """source/<module> as the assignment sees it: without the blocks of later assignments (an
    assignment-1 variant of layers.py has no batchnorm_forward), solutions kept."""
    return solved_module(module, load_manifest(ROOTS, assignment), ROOTS)


def graded_functions(module, assignment):
    """Qualified names of the functions holding the assignment's solution regions in `module`."""
    text = (ROOTS.source / module).read_text(encoding="utf-8")
    lines = text.split("\n")
    regions = find_regions(lines, module)
    owners = {}
    for name, node in functions_of(text).items():
        for line in range(node.lineno, node.end_lineno + 1):
            owners[line] = name
    # The assignment's own regions are the ones its release stubs as "Complete <function>"
    # (an earlier assignment's are copied or given solved, a later one's left out).
    released = release_module(module, load_manifest(ROOTS, assignment), ROOTS).text
    return {owners[r.begin + 1] for r in regions if r.begin + 1 in owners
            and f"Complete {owners[r.begin + 1]} " in released}


def suites_naming(manifest, module):
    """The manifest's suites whose source names the module's dotted name and that run student code
    (as mutation testing scopes them)."""
    dotted = module[:-3].replace("/", ".")
    return tuple(s for s in manifest.suites
                 if f'"{dotted}"' in (ROOTS.suites / manifest.name / s).read_text(encoding="utf-8")
                 and runs_student_code(ROOTS.suites / manifest.name / s))


def runs_student_code(suite):
    """Whether a test or fixture of the suite file asks for the `student` fixture. One that does not
    (a saved-model suite: the reference scores the file a notebook saved) grades every variant's
    submission the same, from the reference submission's artifacts, so it is left out of the scope."""
    tree = ast.parse(suite.read_text(encoding="utf-8"))
    return any(arg.arg == "student" for node in ast.walk(tree)
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) for arg in node.args.args)


# ---- cheap checks of the corpus itself -----------------------------------------------------------

def test_corpus_is_not_empty():
    assert VARIANTS, f"no variants under {CORPUS}"


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_variant_rewrites_exactly_what_it_declares(variant):
    reference = reference_in_scope(variant.module, variant.assignment)
    text = variant.path.read_text(encoding="utf-8")
    ours, theirs = functions_of(reference), functions_of(text)
    assert set(theirs) == set(ours), "a variant defines the same functions as the reference module"
    changed = {name for name in ours if code_of(ours[name]) != code_of(theirs[name])}
    assert changed == set(variant.rewrites), f"declared Rewrites {sorted(variant.rewrites)}, changed {sorted(changed)}"
    assert other_statements(text) == other_statements(reference), "only functions (and imports) may differ"
    graded = graded_functions(variant.module, variant.assignment)
    assert variant.rewrites <= graded, f"{sorted(variant.rewrites - graded)} are not graded functions"


@pytest.mark.parametrize("assignment", sorted({v.assignment for v in VARIANTS}))
def test_every_graded_function_has_variants(assignment):
    manifest = load_manifest(ROOTS, assignment)
    missing = []
    for module in manifest.submit_modules:
        for function in sorted(graded_functions(module, assignment)):
            rewriting = [v for v in VARIANTS if v.module == module and function in v.rewrites]
            correct = sum(v.kind == "correct" for v in rewriting)
            mistakes = sum(v.kind == "mistake" for v in rewriting)
            if correct < MIN_CORRECT or mistakes < 1:
                missing.append(f"{module}: {function} has {correct} correct variants and {mistakes} mistakes")
    assert not missing, "\n".join(missing)


# ---- grading -------------------------------------------------------------------------------------

def write_release(assignment, dest):
    """The release's modules as the release pipeline stubs them (fresh: the committed release may
    lag behind source/ while suites and skeletons change)."""
    manifest = load_manifest(ROOTS, assignment)
    course = load_course(ROOTS)
    for module in manifest.modules:
        target = dest / assignment / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(release_module(module, manifest, ROOTS, course).text, encoding="utf-8")


def data_missing(assignment):
    from data.prepare import missing_reason
    return next((reason for name in load_manifest(ROOTS, assignment).datasets
                 if (reason := missing_reason(name))), None)


def selected_variants(session):
    """The variants whose tests this run selected (all of them without -k): `-k assignment3`
    grades assignment 3's corpus only, not every assignment's."""
    names = {item.callspec.params["variant"].name for item in session.items
             if hasattr(item, "callspec") and isinstance(item.callspec.params.get("variant"), Variant)}
    return [v for v in VARIANTS if v.name in names]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    """{variant name: results.json} for every selected variant, and the suites it was graded on."""
    if not VARIANTS:
        pytest.skip("the corpus is empty")
    wanted = selected_variants(request.session)
    root = tmp_path_factory.mktemp("fairness")
    results, scopes, started = {}, {}, time.monotonic()
    for assignment in sorted({v.assignment for v in wanted}):
        reason = data_missing(assignment)
        if reason:
            pytest.skip(reason)
        manifest = load_manifest(ROOTS, assignment)
        write_release(assignment, root / "release")
        good = build_reference(assignment, root / "good" / assignment)
        batches = {}
        for variant in (v for v in wanted if v.assignment == assignment):
            scopes[variant.name] = suites_naming(manifest, variant.module)
            batches.setdefault(scopes[variant.name], []).append(variant)
        for number, (suites, variants) in enumerate(sorted(batches.items())):
            work = root / f"{assignment}-{number}"
            reference = write_scoped_reference(work / "reference", assignment, suites)
            for variant in variants:
                submission = work / "submissions" / variant.name
                shutil.copytree(good, submission)
                shutil.copyfile(variant.path, submission / variant.module)
            batch_started = time.monotonic()
            grade_batch(assignment, work / "submissions", work / "out", jobs=JOBS, isolation="auto",
                        suites_root=ROOTS.suites, reference_root=reference, release_root=root / "release",
                        timeout_s=SUITE_TIMEOUT_S, gradebook_path=None, progress=False)
            for variant in variants:
                results[variant.name] = json.loads((work / "out" / variant.name / "results.json").read_text())
            print(f"\n{assignment} {', '.join(suites)}: {len(variants)} variants in "
                  f"{time.monotonic() - batch_started:.0f} s")
    print(f"\nfairness corpus: {len(results)} variants graded in {time.monotonic() - started:.0f} s ({JOBS} jobs)")
    return results, scopes


def failed_tests(results):
    return {t["name"] for t in results["tests"] if t["status"] != "passed"}


def messages(results, names):
    return "\n".join(f"  {t['name']}: {t['output'][:300]}" for t in results["tests"] if t["name"] in names)


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.kind == "correct"], ids=str)
def test_correct_variant_gets_full_marks(graded, variant):
    results, scopes = graded
    result = results[variant.name]
    assert result["extra_data"]["status"] == "graded", result["output"]
    failed = failed_tests(result)
    assert not failed, (f"{variant.path.name} ({variant.what}) lost points on {', '.join(scopes[variant.name])}:\n"
                        + messages(result, failed))
    assert result["score"] == result["extra_data"]["max_score"] > 0


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.kind == "mistake"], ids=str)
def test_mistake_fails_exactly_its_declared_tests(graded, variant):
    results, scopes = graded
    result = results[variant.name]
    assert result["extra_data"]["status"] == "graded", result["output"]
    names = {t["name"] for t in result["tests"]}
    unknown = variant.fails - names
    assert not unknown, f"declared tests that are not in {', '.join(scopes[variant.name])}: {sorted(unknown)}"
    failed = failed_tests(result)
    extra, missed = failed - variant.fails, variant.fails - failed
    assert not extra and not missed, (
        f"{variant.path.name} ({variant.what}):\n"
        + (f" charged again by tests it does not declare:\n{messages(result, extra)}\n" if extra else "")
        + (f" not charged by declared tests: {sorted(missed)}" if missed else ""))
    lost = sum(t["max_score"] for t in result["tests"] if t["name"] in variant.fails)
    assert result["score"] == result["extra_data"]["max_score"] - lost
