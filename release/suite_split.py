"""Split a grading suite into what students may see and what they may not.

Public tests are the module-level `test*` functions marked `@pytest.mark.public`.
The public file holds them plus exactly the module-level statements they need:
the transitive closure, by name, of what they use (imports, constants, helper
functions, fixtures they request). Hidden tests, and helpers only hidden tests
use, are left out. The module docstring is replaced, since it may describe the
hidden tests. Comment lines directly above a kept statement travel with it.
"""
import ast
from dataclasses import dataclass, field

from .errors import ReleaseError

# Module-level names pytest reads without any test naming them.
PYTEST_MAGIC = {"pytestmark", "pytest_plugins"}


@dataclass
class Test:
    name: str
    public: bool
    points: float      # per case
    cases: int         # parametrized cases (collected items)
    params: tuple      # argument names (fixtures and parameters)
    text: str          # its source, decorators included


@dataclass
class SuiteSplit:
    public_source: str
    tests: list = field(default_factory=list)
    hidden_text: list = field(default_factory=list)   # source of every statement left out

    @property
    def public_tests(self):
        return [t for t in self.tests if t.public]

    @property
    def hidden_tests(self):
        return [t for t in self.tests if not t.public]


@dataclass
class _Statement:
    node: ast.stmt
    first: int          # 1-based first line, decorators and leading comments included
    last: int
    defines: set
    uses: set


def split_suite(text, where, header):
    """Analyse suite source `text`; `header` becomes the public file's docstring."""
    try:
        module = ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}, line {exc.lineno}: not valid Python: {exc.msg}") from None
    lines = text.split("\n")
    body = list(module.body)
    if body and _is_docstring(body[0]):
        body = body[1:]
    statements = [_statement(node, lines) for node in body]
    tests, roots = [], set()
    for s in statements:
        node = s.node
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            raise ReleaseError(f"{where}, line {node.lineno}: test classes are not supported; "
                               "write module-level test functions")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            test = _test(node, s, lines, where, statements)
            tests.append(test)
            if test.public:
                roots.add(id(s))
        elif _is_autouse_fixture(node) or s.defines & PYTEST_MAGIC or "*" in s.defines:
            roots.add(id(s))
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            roots.add(id(s))
    kept = _closure(statements, roots)
    for test in tests:
        if test.public and "reference" in test.params:
            raise ReleaseError(f"{where}: public test {test.name} requests the 'reference' fixture; public "
                               "tests run on students' machines, which have no reference solution")
    for s in statements:
        if id(s) in kept and _is_fixture(s.node) and "reference" in _arg_names(s.node):
            raise ReleaseError(f"{where}, line {s.node.lineno}: fixture {s.node.name} used by a public test "
                               "requests the 'reference' fixture")
    public = _join([s for s in statements if id(s) in kept], lines)
    source = f'"""{header}"""\n' + (f"{public}\n" if public else "")
    try:
        compile(source, where, "exec")
    except SyntaxError as exc:  # a bug here, not in the suite: say so plainly
        raise ReleaseError(f"{where}: the extracted public tests do not compile ({exc.msg})") from None
    hidden_text = ["\n".join(lines[s.first - 1:s.last]) for s in statements if id(s) not in kept]
    return SuiteSplit(public_source=source, tests=tests, hidden_text=hidden_text)


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _statement(node, lines):
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while first > 1 and lines[first - 2].startswith("#"):
        first -= 1
    return _Statement(node, first, node.end_lineno, _defined_names(node), _used_names(node))


def _defined_names(node):
    """Module-level names a top-level statement binds ('*' for a star import)."""
    names = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(current.name)
            continue  # its body is another scope
        if isinstance(current, (ast.Import, ast.ImportFrom)):
            for alias in current.names:
                names.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, (ast.Store, ast.Del)):
            names.add(current.id)
        if isinstance(current, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            continue
        todo.extend(ast.iter_child_nodes(current))
    return names


def _used_names(node):
    """Names a statement may read at module level: loads anywhere inside it,
    argument names (pytest fixtures are requested by argument name) and
    fixture names given as strings to usefixtures."""
    used = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            used.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            used.update(_arg_names(sub))
        elif isinstance(sub, ast.Call) and _dotted(sub.func).endswith("usefixtures"):
            used.update(a.value for a in sub.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return used


def _arg_names(function):
    args = function.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}


def _dotted(node):
    """'pytest.mark.public' for the expression pytest.mark.public; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _marker(decorator):
    """('public', None) for @pytest.mark.public, ('points', call) for @pytest.mark.points(2), else None."""
    call = decorator if isinstance(decorator, ast.Call) else None
    name = _dotted(call.func if call else decorator)
    if name.startswith("mark.") or ".mark." in name:
        return name.rsplit(".", 1)[1], call
    return None


def _is_fixture(node):
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        _dotted(d.func if isinstance(d, ast.Call) else d).split(".")[-1] == "fixture" for d in node.decorator_list)


def _is_autouse_fixture(node):
    if not _is_fixture(node):
        return False
    for d in node.decorator_list:
        if isinstance(d, ast.Call):
            for kw in d.keywords:
                if kw.arg == "autouse" and isinstance(kw.value, ast.Constant) and kw.value.value:
                    return True
    return False


def _test(node, statement, lines, where, statements):
    public, points, cases = False, None, 1
    for decorator in node.decorator_list:
        marker = _marker(decorator)
        if marker is None:
            continue
        kind, call = marker
        if kind == "public":
            public = True
        elif kind == "points":
            try:
                points = ast.literal_eval(call.args[0]) if call and len(call.args) == 1 else None
            except ValueError:
                points = None
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                raise ReleaseError(f"{where}, line {decorator.lineno}: {node.name}: points must be "
                                   "one non-negative number, like @pytest.mark.points(2)")
        elif kind == "parametrize":
            cases *= _count_cases(call, node.name, where, statements)
    if points is None:
        raise ReleaseError(f"{where}, line {node.lineno}: test {node.name} has no @pytest.mark.points(n)")
    text = "\n".join(lines[statement.first - 1:statement.last])
    return Test(node.name, public, points, cases, tuple(sorted(_arg_names(node))), text)


def _count_cases(call, test, where, statements):
    """Number of parameter sets of one @pytest.mark.parametrize, read from the source."""
    values = call.args[1] if call is not None and len(call.args) >= 2 else None
    if values is None and call is not None:
        values = next((kw.value for kw in call.keywords if kw.arg == "argvalues"), None)
    if isinstance(values, ast.Name):  # a module-level constant: VERSIONS = ("a", "b")
        assigned = [s.node.value for s in statements if isinstance(s.node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == values.id for t in s.node.targets)]
        values = assigned[-1] if len(assigned) == 1 else None
    if isinstance(values, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in values.elts):
        return len(values.elts)
    if isinstance(values, ast.Call) and _dotted(values.func) == "range":
        try:
            return len(range(*[ast.literal_eval(a) for a in values.args]))
        except (ValueError, TypeError):
            pass
    raise ReleaseError(f"{where}, line {call.lineno}: cannot count the cases of {test}'s parametrize; "
                       "give it a literal list or tuple (or a module constant assigned one once)")


def _closure(statements, roots):
    """ids of the statements reachable from `roots` through the names they use."""
    definers = {}
    for s in statements:
        for name in s.defines:
            definers.setdefault(name, []).append(s)
    kept, todo = set(), [s for s in statements if id(s) in roots]
    while todo:
        s = todo.pop()
        if id(s) in kept:
            continue
        kept.add(id(s))
        for name in sorted(s.uses):
            todo.extend(definers.get(name, []))
    return kept


def _join(kept, lines):
    """Kept statements in source order: neighbours in the suite stay neighbours;
    otherwise one blank line between statements, two around definitions."""
    definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    text, previous = "", None
    for s in kept:
        if previous is not None:
            if previous.last + 1 == s.first:
                text += "\n"
            elif isinstance(s.node, definition) or isinstance(previous.node, definition):
                text += "\n\n\n"
            else:
                text += "\n\n"
        text += "\n".join(lines[s.first - 1:s.last])
        previous = s
    return text
