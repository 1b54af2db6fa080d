"""Mutation testing of the grading suites: would they catch wrong student code?

    python -m autograder.mutation --assignment assignment1 \
        [--module cs231n/classifiers/linear_svm.py] [--jobs N] [--record docs/MUTATION.md]

A mutant is the reference solution with one small change inside a solution
region (`### BEGIN SOLUTION` ... `### END SOLUTION`), the kind of slip a
student makes: a flipped sign, a dropped term, the wrong axis, an off-by-one
range, a missing transpose, a swapped comparison, a changed constant, max for
min, a forgotten regularization term, the wrong variable. Each mutant is written into a copy of the
source tree and the module's suites are run against that copy as if it were a
submission (`--student-root=<copy> --isolation=none`). A mutant is killed when
any test fails or the run times out; it survives when every test passes.
Survivors, listed with file:line and the change, show where a suite needs a
sharper test. Some survivors may be equivalent to the reference (no test could
tell them apart); those the tool can recognise are marked "equivalent?" and
left out of the kill rate.

The suites of a module are the suite files that name its dotted module name
(the `MOD = "cs231n.classifiers.linear_svm"` convention). Only tests that use
the `student` fixture run: the others cannot see a mutant.

This module is also a pytest plugin (`-p autograder.mutation`), which is how
the runs deselect those tests.
"""
import argparse
import ast
import concurrent.futures
import dataclasses
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course import Roots, load_course, load_manifest
from course.regions import block_of, find_blocks, find_regions
from course.stubs import module_owner

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CAP = 60
DEFAULT_SEED = 231
WRONG_VARIABLES = 1   # replacements tried per variable use (more would crowd out the other operators)
STUDENT_FIXTURE = "student"

OPERATORS = {
    "flip-op": "swap a binary or augmented operator (+/-, * and /, // and **, @ to *)",
    "flip-sign": "drop a unary minus or not",
    "drop-term": "keep one operand of a binary operation, or delete an augmented assignment",
    "drop-reg": "drop-term where the dropped part is a regularization term",
    "axis": "change an axis argument, drop it, or toggle/drop keepdims",
    "off-by-one": "shift a range() bound, a slice bound or an index by one",
    "transpose": "remove a .T, or transpose the left operand of a matrix product",
    "compare": "swap a comparison operator (< <= > >= == !=)",
    "constant": "replace a numeric or boolean constant",
    "max-min": "swap max/min, maximum/minimum, argmax/argmin",
    "sum-mean": "swap sum and mean",
    "wrong-variable": "use another local variable of the function (the one defined nearest before)",
}

_BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
                ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.MatMult: ast.Mult}
_COMPARE_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt], ast.Gt: [ast.GtE, ast.Lt],
                  ast.GtE: [ast.Gt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
                  ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
# Comparisons whose mutants differ only when the two sides are exactly equal.
_BOUNDARY_SWAPS = {(ast.Lt, ast.LtE), (ast.LtE, ast.Lt), (ast.Gt, ast.GtE), (ast.GtE, ast.Gt)}
_FUNC_SWAPS = {"max": ("min", "max-min"), "min": ("max", "max-min"),
               "maximum": ("minimum", "max-min"), "minimum": ("maximum", "max-min"),
               "amax": ("amin", "max-min"), "amin": ("amax", "max-min"),
               "argmax": ("argmin", "max-min"), "argmin": ("argmax", "max-min"),
               "nanmax": ("nanmin", "max-min"), "nanmin": ("nanmax", "max-min"),
               "sum": ("mean", "sum-mean"), "mean": ("sum", "sum-mean")}


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One changed copy of a module.

    path: the module, relative to the source root; line: 1-based line of the
    change; operator: a key of OPERATORS; before/after: the changed code;
    source: the whole mutated file; suspect: why it may be equivalent, or "".
    """
    path: str
    line: int
    col: int
    operator: str
    before: str
    after: str
    source: str
    suspect: str = ""

    def describe(self):
        return f"{self.path}:{self.line} [{self.operator}] {_short(self.before)} -> {_short(self.after)}"


@dataclasses.dataclass
class Outcome:
    """What the suites made of a mutant: status is killed, timeout, survived or error."""
    mutant: Mutant
    status: str
    detail: str = ""
    seconds: float = 0.0


@dataclasses.dataclass
class ModuleReport:
    path: str
    suites: list
    outcomes: list = dataclasses.field(default_factory=list)
    candidates: int = 0          # distinct mutants before sampling
    error: str = ""
    seconds: float = 0.0

    def count(self, *statuses):
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def killed(self):
        return self.count("killed", "timeout")

    @property
    def survivors(self):
        return [o for o in self.outcomes if o.status == "survived" and not o.mutant.suspect]

    @property
    def suspects(self):
        return [o for o in self.outcomes if o.status == "survived" and o.mutant.suspect]

    @property
    def kill_rate(self):
        """Killed over mutants that are not suspected equivalent (errors excluded)."""
        scored = self.killed + len(self.survivors)
        return self.killed / scored if scored else float("nan")


def _short(text, width=70):
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


# ------------------------------------------------------------------ finding mutants

def solution_regions(text, where="<module>", assignment=None, default_owner=None):
    """Line ranges (first, last), 1-based and inclusive, strictly inside solution regions.

    Regions are read exactly as the release reads them (course.regions), so a
    mutant changes only what students write; malformed markers raise a
    CourseError. With `assignment`, only the regions that assignment owns
    (inside its assignment block, or outside blocks when it is the module's
    `default_owner`): another assignment's suites grade the others.
    """
    lines = text.splitlines()
    regions, blocks = find_regions(lines, where), find_blocks(lines, where)
    owned = []
    for region in regions:
        block = block_of(region, blocks, where)
        owner = block.assignment if block else default_owner
        if assignment is None or owner == assignment:
            owned.append((region.begin + 2, region.end))
    return owned


class _Points(ast.NodeVisitor):
    """Collects (node, replacement node or None for `pass`, operator, suspect) tuples."""

    def __init__(self, regions):
        self.regions = regions
        self.points = []
        self.stack = []

    def inside(self, node):
        return any(first <= node.lineno and node.end_lineno <= last for first, last in self.regions)

    def add(self, node, replacement, operator, suspect=""):
        if self.inside(node):
            if not suspect and self.output_only():
                suspect = "only changes printed output"
            self.points.append((node, replacement, operator, suspect))

    def output_only(self):
        for parent in self.stack:
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "print":
                return True
            if isinstance(parent, ast.If) and ast.unparse(parent.test) in ("verbose", "self.verbose"):
                return True
        return False

    def generic_visit(self, node):
        self.stack.append(node)
        super().generic_visit(node)
        self.stack.pop()

    def visit(self, node):
        method = getattr(self, "mutate_" + type(node).__name__, None)
        if method is not None and hasattr(node, "lineno"):
            method(node)
        self.generic_visit(node)

    # --- expressions

    def mutate_BinOp(self, node):
        swap = _BINOP_SWAPS.get(type(node.op))
        if swap is not None:
            self.add(node, ast.BinOp(node.left, swap(), node.right), "flip-op")
        if isinstance(node.op, ast.MatMult) and not _is_transposed(node.left):
            self.add(node, ast.BinOp(_transposed(node.left), node.op, node.right), "transpose",
                     _row_suspect(node.left))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv)):
            self.add(node, node.left, _drop_kind(node.right), _constant_suspect(node.right))
        if isinstance(node.op, (ast.Add, ast.Mult)):
            self.add(node, node.right, _drop_kind(node.left), _constant_suspect(node.left))

    def mutate_UnaryOp(self, node):
        if isinstance(node.op, (ast.USub, ast.Not)):
            self.add(node, node.operand, "flip-sign")

    def mutate_Compare(self, node):
        for index, op in enumerate(node.ops):
            for swap in _COMPARE_SWAPS.get(type(op), []):
                ops = list(node.ops)
                ops[index] = swap()
                suspect = "differs only on ties" if (type(op), swap) in _BOUNDARY_SWAPS else ""
                self.add(node, ast.Compare(node.left, ops, node.comparators), "compare", suspect)

    def mutate_Attribute(self, node):
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            self.add(node, node.value, "transpose")

    def mutate_Constant(self, node):
        parent = self.stack[-1] if self.stack else None
        if isinstance(parent, ast.keyword) and parent.arg in ("axis", "keepdims"):
            return  # the axis operator covers these
        value = node.value
        if isinstance(value, bool):
            self.add(node, ast.Constant(not value), "constant")
        elif isinstance(value, int):
            self.add(node, ast.Constant({0: 1, 1: 0}.get(value, value + 1)), "constant")
        elif isinstance(value, float):
            if 0 < abs(value) < 1e-4:
                self.add(node, ast.Constant(0.0), "constant", "removes a small stabilizing constant")
            else:
                self.add(node, ast.Constant({0.0: 1.0, 1.0: 0.0, 0.5: 1.0}.get(value, value * 2)), "constant")

    def mutate_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in _FUNC_SWAPS:
            new_name, operator = _FUNC_SWAPS[name]
            new_func = (ast.Attribute(func.value, new_name, ast.Load()) if isinstance(func, ast.Attribute)
                        else ast.Name(new_name, ast.Load()))
            self.add(node, ast.Call(new_func, node.args, node.keywords), operator)
        if name == "range" and isinstance(func, ast.Name) and node.args:
            stop = 0 if len(node.args) == 1 else 1
            for index in sorted({0, stop}):
                for delta in (1, -1):
                    args = list(node.args)
                    args[index] = _shifted(args[index], delta)
                    self.add(node, ast.Call(func, args, node.keywords), "off-by-one")
        if name == "dot" and isinstance(func, ast.Attribute):
            if _is_numpy(func.value) and len(node.args) == 2 and not _is_transposed(node.args[0]):
                self.add(node, ast.Call(func, [_transposed(node.args[0]), node.args[1]], node.keywords),
                         "transpose", _row_suspect(node.args[0]))
            elif not _is_numpy(func.value) and not _is_transposed(func.value):
                self.add(node, ast.Call(ast.Attribute(_transposed(func.value), "dot", ast.Load()),
                                        node.args, node.keywords), "transpose", _row_suspect(func.value))
        for index, keyword in enumerate(node.keywords):
            rest = node.keywords[:index] + node.keywords[index + 1:]
            if keyword.arg == "axis":
                for axis in _other_axes(keyword.value):
                    self.add(node, ast.Call(func, node.args, rest[:index] + [ast.keyword("axis", axis)] + rest[index:]),
                             "axis")
                self.add(node, ast.Call(func, node.args, rest), "axis")
            elif keyword.arg == "keepdims":
                flipped = ast.UnaryOp(ast.Not(), keyword.value)
                if isinstance(keyword.value, ast.Constant):
                    flipped = ast.Constant(not keyword.value.value)
                self.add(node, ast.Call(func, node.args, rest[:index] + [ast.keyword("keepdims", flipped)] + rest[index:]),
                         "axis")

    def mutate_Subscript(self, node):
        if not isinstance(node.ctx, (ast.Load, ast.Store)):
            return
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for index, part in enumerate(parts):
            for replacement in _index_shifts(part):
                new_parts = parts[:index] + [replacement] + parts[index + 1:]
                new_slice = ast.Tuple(new_parts, ast.Load()) if isinstance(node.slice, ast.Tuple) else new_parts[0]
                self.add(node, ast.Subscript(node.value, new_slice, node.ctx), "off-by-one")

    def mutate_Name(self, node):
        """A slip of the pen: another local variable of the function in place of this one."""
        scope = next((n for n in reversed(self.stack) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if not isinstance(node.ctx, ast.Load) or scope is None:
            return
        defined, called = _locals(scope)
        if node.id not in defined or node.id in called:
            return
        # The nearest earlier definitions first: the likeliest to be confused.
        others = sorted((node.lineno - line, name) for name, line in defined.items()
                        if name != node.id and name not in called and line < node.lineno)
        parent = self.stack[-1] if self.stack else None
        suspect = ""
        if (isinstance(parent, ast.Attribute) and parent.attr in ("shape", "dtype", "ndim", "size")) or (
                isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "len"):
            suspect = "reads only the shape or dtype, which the two may share"
        for _, name in others[:WRONG_VARIABLES]:
            self.add(node, ast.Name(name, ast.Load()), "wrong-variable", suspect)

    # --- statements

    def mutate_AugAssign(self, node):
        swap = _BINOP_SWAPS.get(type(node.op))
        if swap is not None and not isinstance(node.op, ast.MatMult):
            self.add(node, ast.AugAssign(node.target, swap(), node.value), "flip-op")
        self.add(node, None, _drop_kind(node.value))


def _locals(function):
    """(name -> line of its first definition, names called as functions) of a function.

    Parameters count as defined on the def line; `self` and `_` are left out.
    """
    args = function.args
    defined = {a.arg: function.lineno for a in args.posonlyargs + args.args + args.kwonlyargs}
    defined.update({a.arg: function.lineno for a in (args.vararg, args.kwarg) if a is not None})
    called = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined[node.id] = min(defined.get(node.id, node.lineno), node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(node.func.id)
    defined.pop("self", None)
    defined.pop("_", None)
    return defined, called


def _drop_kind(dropped):
    """drop-reg when the dropped code mentions a regularization strength."""
    names = {n.id for n in ast.walk(dropped) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(dropped) if isinstance(n, ast.Attribute)}
    return "drop-reg" if any(re.fullmatch(r"reg|.*_reg|reg_.*", n) for n in names) else "drop-term"


def _constant_suspect(dropped):
    if isinstance(dropped, ast.Constant) and isinstance(dropped.value, float) and 0 < abs(dropped.value) < 1e-4:
        return "removes a small stabilizing constant"
    return ""


def _is_numpy(node):
    return isinstance(node, ast.Name) and node.id in ("np", "numpy")


def _transposed(node):
    return ast.Attribute(node, "T", ast.Load())


def _is_transposed(node):
    return isinstance(node, ast.Attribute) and node.attr == "T"


def _row_suspect(node):
    """Transposing x[i] (one integer index: usually a 1-D row) changes nothing."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, (ast.Name, ast.Constant)):
        return "transposes what is probably a 1-D row"
    return ""


def _shifted(node, delta):
    return ast.BinOp(node, ast.Add() if delta > 0 else ast.Sub(), ast.Constant(1))


def _other_axes(value):
    """Axis values a slip could produce instead of `value`."""
    if isinstance(value, ast.Constant) and isinstance(value.value, int):
        axis = value.value
        return [ast.Constant(a) for a in ({0: [1], 1: [0], -1: [0]}.get(axis, [axis - 1]))]
    if isinstance(value, ast.Tuple) and all(isinstance(e, ast.Constant) for e in value.elts):
        # (1, 2) -> (0, 1): the same number of axes, one place earlier
        axes = [e.value for e in value.elts]
        shifted = [a - 1 if a > 0 else a + 1 for a in axes]
        return [ast.Tuple([ast.Constant(a) for a in shifted], ast.Load())]
    return []


def _index_shifts(part):
    if isinstance(part, ast.Slice):
        out = []
        for field in ("lower", "upper"):
            bound = getattr(part, field)
            if bound is None:
                continue
            for delta in (1, -1):
                if isinstance(bound, ast.Constant) or (isinstance(bound, ast.UnaryOp) and isinstance(bound.operand, ast.Constant)):
                    continue  # constant bounds are mutated by the constant operator
                out.append(ast.Slice(**{**{f: getattr(part, f) for f in ("lower", "upper", "step")},
                                        field: _shifted(bound, delta)}))
        return out
    if isinstance(part, ast.Name):
        return [_shifted(part, 1)]
    return []


def _line_offsets(text):
    """Byte offset of the start of each line (ast columns count UTF-8 bytes)."""
    offsets, total = [0], 0
    for line in text.encode().splitlines(keepends=True):
        total += len(line)
        offsets.append(total)
    return offsets


def _splice(text, offsets, node, replacement):
    data = text.encode()
    start = offsets[node.lineno - 1] + node.col_offset
    end = offsets[node.end_lineno - 1] + node.end_col_offset
    if replacement is None:
        new = "pass"
    elif isinstance(node, ast.stmt):
        new = ast.unparse(ast.fix_missing_locations(replacement))
    else:
        new = "(" + ast.unparse(ast.fix_missing_locations(replacement)) + ")"
    return (data[:start] + new.encode() + data[end:]).decode(), new


def find_mutants(text, path, regions=None):
    """Every distinct, compilable mutant of module `text`, in source order.

    Inputs: text: the module's source; path: its path, for the report;
    regions: the line ranges to mutate (default: every solution region).
    Returns: a list of Mutant, sorted by (line, col, operator, after).
    """
    tree = ast.parse(text)
    visitor = _Points(solution_regions(text, path) if regions is None else regions)
    visitor.visit(tree)
    offsets = _line_offsets(text)
    seen, mutants = {text}, []
    for node, replacement, operator, suspect in visitor.points:
        source, after = _splice(text, offsets, node, replacement)
        if source in seen:
            continue
        try:
            compile(source, path, "exec")
        except SyntaxError:
            continue
        seen.add(source)
        mutants.append(Mutant(path, node.lineno, node.col_offset, operator, ast.unparse(node), after, source, suspect))
    mutants.sort(key=lambda m: (m.line, m.col, m.operator, m.after))
    return mutants


def sample(mutants, cap, seed, path):
    """At most `cap` mutants: all of them, or a sample fixed by (seed, path), in source order."""
    if cap is None or len(mutants) <= cap:
        return list(mutants)
    chosen = random.Random(f"{seed}:{path}").sample(range(len(mutants)), cap)
    return [mutants[i] for i in sorted(chosen)]


# ------------------------------------------------------------------ running suites

def dotted_name(path):
    return path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def suites_for(path, suite_files):
    """The suite files that name module `path` (as a dotted name)."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(dotted_name(path)) + r"(?![\w.])")
    return [s for s in suite_files if pattern.search(Path(s).read_text())]


def pytest_collection_modifyitems(config, items):
    """Plugin hook: keep only the tests that run student code."""
    if not config.getoption("--student-root", default=None):
        return
    keep = [item for item in items if STUDENT_FIXTURE in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if STUDENT_FIXTURE not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


class Runner:
    """Runs suites against copies of a source tree, one copy per parallel job."""

    def __init__(self, source_root, reference_root=None, jobs=1, python=sys.executable, extra_args=()):
        self.source_root = Path(source_root).resolve()
        self.reference_root = Path(reference_root or source_root).resolve()
        self.python = python
        self.extra_args = list(extra_args)
        self.tmp = Path(tempfile.mkdtemp(prefix="mutation-"))
        self.workspaces = queue.Queue()
        ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
        for job in range(max(1, jobs)):
            workspace = self.tmp / f"job{job}"
            shutil.copytree(self.source_root, workspace, ignore=ignore)
            self.workspaces.put(workspace)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, suites, path=None, source=None, timeout=None):
        """Run `suites` against a copy with module `path` replaced by `source`.

        Returns (status, detail, seconds): status is "passed", "failed",
        "timeout" or "error" (the suites could not run: collection or usage errors).
        """
        workspace = self.workspaces.get()
        target = workspace / path if path else None
        original = target.read_bytes() if target else None
        try:
            if target:
                target.write_text(source)
                # Stale bytecode could hide a same-size mutant written in the same second.
                shutil.rmtree(target.parent / "__pycache__", ignore_errors=True)
            return self._pytest(workspace, suites, timeout)
        finally:
            if target:
                target.write_bytes(original)
                shutil.rmtree(target.parent / "__pycache__", ignore_errors=True)
            self.workspaces.put(workspace)

    def _pytest(self, workspace, suites, timeout):
        command = [self.python, "-m", "pytest", *map(str, suites), "-x", "-q", "-rfE", "--no-header",
                   "-p", "no:cacheprovider", "-p", "autograder.mutation",
                   f"--student-root={workspace}", f"--reference-root={self.reference_root}",
                   "--isolation=none", *self.extra_args]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        # Parallel jobs replace BLAS threads; both at once oversubscribe the cores.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The suite's worker processes are in the same session: end them all.
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return "timeout", f"no result after {timeout:.0f} s", time.monotonic() - start
        seconds = time.monotonic() - start
        if process.returncode == 0:
            return "passed", "", seconds
        if process.returncode == 1:
            failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
            return "failed", (failed[0].split("::")[-1] if failed else "a test failed"), seconds
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return "error", f"pytest exit {process.returncode}: {lines[-1] if lines else ''}", seconds


def mutate_module(runner, path, suites, cap=DEFAULT_CAP, seed=DEFAULT_SEED, jobs=1, timeout=None, log=print,
                  regions=None):
    """Run the sampled mutants of module `path` (relative to the runner's source root), inside
    `regions` (line ranges; default: every solution region).

    Returns a ModuleReport; report.error is set when the suites fail on the
    unmutated module (their results would mean nothing).
    """
    report = ModuleReport(path, [str(s) for s in suites])
    start = time.monotonic()
    if not suites:
        report.error = "no suite names this module"
        return report
    text = (runner.source_root / path).read_text()
    candidates = find_mutants(text, path, regions)
    report.candidates = len(candidates)
    chosen = sample(candidates, cap, seed, path)
    status, detail, baseline = runner.run(suites)
    if status != "passed":
        report.error = f"suites do not pass on the reference: {status} {detail}"
        return report
    limit = timeout or max(60.0, 5 * baseline)
    log(f"{path}: {len(chosen)} of {len(candidates)} mutants, suites {', '.join(Path(s).name for s in suites)}, "
        f"baseline {baseline:.1f} s, timeout {limit:.0f} s")

    def one(mutant):
        status, detail, seconds = runner.run(suites, path, mutant.source, limit)
        status = {"passed": "survived", "failed": "killed"}.get(status, status)
        return Outcome(mutant, status, detail, seconds)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        report.outcomes = list(pool.map(one, chosen))
    report.seconds = time.monotonic() - start
    return report


# ------------------------------------------------------------------ reporting

def summary_row(report):
    if report.error:
        return f"| `{report.path}` | - | - | - | - | - | {report.error} |"
    rate = report.kill_rate
    return (f"| `{report.path}` | {len(report.outcomes)} of {report.candidates} | {report.killed} | "
            f"{len(report.survivors)} | {len(report.suspects)} | "
            f"{'n/a' if rate != rate else f'{100 * rate:.0f}%'} | {report.seconds:.0f} s |")


def survivor_section(report):
    lines = [f"### `{report.path}`", ""]
    if report.error:
        lines.append(f"Not measured: {report.error}.")
    for outcome in report.survivors:
        m = outcome.mutant
        lines.append(f"- line {m.line} [{m.operator}]: `{_short(m.before)}` -> `{_short(m.after)}`")
    for outcome in report.suspects:
        m = outcome.mutant
        lines.append(f"- line {m.line} [{m.operator}, equivalent? {m.suspect}]: "
                     f"`{_short(m.before)}` -> `{_short(m.after)}`")
    for outcome in (o for o in report.outcomes if o.status == "error"):
        lines.append(f"- line {outcome.mutant.line} [{outcome.mutant.operator}]: run error: {outcome.detail}")
    if len(lines) == 2:
        lines.append("No survivors.")
    return "\n".join(lines)


TABLE_HEADER = ("| module | mutants run (of distinct) | killed | survived | equivalent? | kill rate | time |\n"
                "| --- | --- | --- | --- | --- | --- | --- |")


INTRO = """# Mutation testing of the grading suites

Generated by `autograder/mutation.py`; do not edit by hand. Each mutant is the
reference solution with one change inside a solution region of the
assignment; it is killed when a test of the module's suites fails. Kill rate
= killed / (killed + survived), leaving out survivors marked equivalent?
(changes no test could see, such as `<` for `<=` on real-valued data). Goal:
90% per module. One section per assignment: a module such as `cs231n/layers.py`
holds regions of several assignments, each mutated and graded by its own."""

_ROW = re.compile(r"^\| `([^`]+)` \|.*$", re.M)
_SECTION = re.compile(r"^#{3,4} `([^`]+)`\n.*?(?=^#{2,4} |\Z)", re.M | re.S)


def _assignment_blocks(text):
    """{assignment: its section's text} of a record. Rows before the first section (a record
    from before the sections: one table, its command naming the assignment) become that
    assignment's section."""
    heading = re.compile(r"^## (?!Surviving )(\S+)\n", re.M)
    first = heading.search(text)
    prefix = text[:first.start()] if first else text
    blocks = {}
    if _ROW.search(prefix):
        legacy = re.search(r"--assignment (\S+)", prefix)
        blocks[legacy.group(1) if legacy else ""] = prefix
    starts = [m for m in heading.finditer(text)]
    for m, after in zip(starts, starts[1:] + [None]):
        blocks[m.group(1)] = text[m.start():after.start() if after else len(text)].rstrip()
    return blocks


def record(path, reports, command, assignment=""):
    """Write the reports into markdown file `path` as `assignment`'s section, keeping the
    other assignments' sections and the rows of this assignment's modules not run now."""
    path = Path(path)
    blocks = _assignment_blocks(path.read_text()) if path.exists() else {}
    for name, text in list(blocks.items()):
        if not text.startswith("## "):  # from before the sections: rewritten as one, with its command
            last = re.search(r"Last run: `([^`]*)`", text)
            blocks[name] = _section(name, last.group(1) if last else "unknown", *_rows_and_sections(text))
    old = blocks.pop(assignment, "") or blocks.pop("", "")
    rows, sections = _rows_and_sections(old)
    for report in reports:
        rows[report.path] = summary_row(report)
        sections[report.path] = "#" + survivor_section(report)
    blocks[assignment] = _section(assignment, command, rows, sections)
    path.write_text(INTRO + "\n\n" + "\n\n".join(blocks[a] for a in sorted(blocks)) + "\n")


def _rows_and_sections(text):
    rows = {m.group(1): m.group(0) for m in _ROW.finditer(text)}
    # Module headings sit one level below the assignment's: "#### `cs231n/layers.py`".
    sections = {m.group(1): "#### " + m.group(0).rstrip().lstrip("#").lstrip() for m in _SECTION.finditer(text)}
    return rows, sections


def _section(assignment, command, rows, sections):
    order = sorted(rows)
    return "\n".join([
        f"## {assignment or 'the assignment'}",
        "",
        f"Last run: `{command}`",
        "",
        TABLE_HEADER,
        *(rows[m] for m in order),
        "",
        "### Surviving mutants",
        "",
        "\n\n".join(sections[m] for m in order if m in sections),
    ])


def print_report(report, out=print):
    out(summary_row(report))
    if report.error or report.survivors or report.suspects:
        for line in survivor_section(report).splitlines()[2:]:
            out("    " + line)


# ------------------------------------------------------------------ command line

def owned_regions(roots, assignment, module):
    """The line ranges of `module`'s solution regions that `assignment` owns."""
    text = (roots.source / module).read_text()
    return solution_regions(text, module, assignment, module_owner(module, roots, load_course(roots)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--module", action="append", default=[],
                        help="module path relative to source/ (repeatable; default: every module with solution regions)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP,
                        help="most mutants per module, a seeded sample (0: every mutant)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per mutant (default: 5x the clean run, at least 60)")
    parser.add_argument("--source-root", default=str(REPO / "source"))
    parser.add_argument("--suites-root", default=str(REPO / "autograder" / "suites"),
                        help="folder holding <assignment>/test_*.py (default: autograder/suites)")
    parser.add_argument("--record", default=None, help="markdown file to write or update with the results")
    parser.add_argument("--fail-under", type=float, default=None, help="exit 1 if a module's kill rate (%%) is lower")
    args = parser.parse_args(argv)

    source_root = Path(args.source_root).resolve()
    roots = Roots.of(source=source_root, suites=args.suites_root)
    manifest = load_manifest(roots, args.assignment)
    suites_dir = roots.suites / args.assignment
    suite_files = [suites_dir / s for s in manifest.suites if (suites_dir / s).exists()]
    regions = {m: owned_regions(roots, args.assignment, m) for m in args.module or manifest.modules}
    modules = args.module or [m for m in manifest.modules if regions[m]]

    runner = Runner(source_root, jobs=args.jobs)
    reports = []
    try:
        for path in modules:
            report = mutate_module(runner, path, suites_for(path, suite_files), args.cap or None, args.seed,
                                   args.jobs, args.timeout, regions=regions[path])
            print_report(report)
            reports.append(report)
    finally:
        runner.close()
    if args.record:
        shown = ["python -m autograder.mutation", f"--assignment {args.assignment}",
                 *(f"--module {m}" for m in args.module), f"--jobs {args.jobs}", f"--cap {args.cap}",
                 f"--seed {args.seed}", f"--record {args.record}"]
        record(args.record, reports, " ".join(shown), args.assignment)
    failing = [r for r in reports if r.error or (args.fail_under is not None and r.kill_rate * 100 < args.fail_under)]
    return 1 if failing and args.fail_under is not None else 0


if __name__ == "__main__":
    sys.exit(main())
