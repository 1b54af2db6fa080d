"""Step: copy the manifest's cs231n modules with every solution region stubbed.

A region becomes one `raise NotImplementedError("...")` line at the region's
indentation; the `# TODO` comment above it and the docstrings stay, since they
are outside the region. The message names the function the student completes.
"""
import ast

from .errors import ReleaseError
from .regions import find_regions


def stub_modules(job):
    """Add source/<module> as <module> for each module in the manifest, stubbed."""
    for module in job.manifest.modules:
        path = job.roots.source / module
        job.tree.add(module, stub_source(path.read_text(encoding="utf-8"), job.roots.display(path)))


def stub_source(text, where):
    """`text` with each solution region replaced by a NotImplementedError stub."""
    lines = text.split("\n")
    regions = find_regions(lines, where)
    if not regions:
        return text
    enclosing = enclosing_functions(text, where)
    out, previous_end = [], -1
    for region in regions:
        out.extend(lines[previous_end + 1:region.begin])
        owner = enclosing.get(region.begin + 1)
        hint = f"Complete {owner} (see the TODO above)" if owner else "Complete this part (see the TODO above)"
        out.append(f"{region.indent}raise NotImplementedError({hint!r})")
        previous_end = region.end
    out.extend(lines[previous_end + 1:])
    stubbed = "\n".join(out)
    try:
        compile(stubbed, where, "exec")
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the stubbed file is not valid Python ({exc.msg}, line {exc.lineno} of "
                           "the stub); a region must hold whole statements of one block") from None
    return stubbed


def enclosing_functions(text, where):
    """1-based line -> qualified name of the innermost function containing it."""
    try:
        tree = ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}, line {exc.lineno}: not valid Python: {exc.msg}") from None
    owners = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno, child.end_lineno + 1):
                        owners[line] = name  # inner functions are visited later and win
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return owners
