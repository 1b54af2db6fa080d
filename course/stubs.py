"""What a cs231n module looks like in one assignment's release: scoped and stubbed.

    released = release_module("cs231n/layers.py", manifest, roots)
    released.text          # the file students of manifest.name get
    released.solved_lines  # solution lines it gives away on purpose (earlier work "solved")

Every solution region has an owning assignment: the assignment block around
it (see regions.py), else the first assignment, in course order, whose
manifest lists the module. In the release of assignment A:

* blocks of assignments after A are left out entirely (with the blank lines
  that separate them from what comes before), so adding to a module for a
  later assignment never changes an earlier release; blocks of A and of
  earlier assignments lose only their marker lines;
* regions owned by A become `raise NotImplementedError("Complete f ...")`;
* regions owned by an earlier assignment E follow A's `earlier_work.E`:
  "copy" gives `raise NotImplementedError("Copy your solution of f from E
  ...")`; "solved" gives the reference lines, without the TODO comment above.

The same function makes the release's stubs and the grader's, so the grader
can tell whether a committed release is the one `source/` generates.
"""
import ast
from dataclasses import dataclass, field

from .manifest import ManifestError, declared_modules, load_course
from .regions import RegionError, block_of, find_blocks, find_regions


@dataclass
class ReleasedModule:
    text: str
    solved_lines: list = field(default_factory=list)


def module_owner(module, roots, course=None):
    """The first assignment, in course order, whose manifest lists `module`."""
    course = course or load_course(roots)
    for name in course.assignments:
        if module in declared_modules(roots, name):
            return name
    raise ManifestError(f"no assignment's manifest lists {module}")


def release_module(module, manifest, roots, course=None):
    """The release of source/<module> for the assignment of `manifest` (a ReleasedModule)."""
    course = course or load_course(roots)
    path = roots.source / module
    return release_source(path.read_text(encoding="utf-8"), roots.display(path), manifest, course,
                          module_owner(module, roots, course))


def solved_module(module, manifest, roots, course=None):
    """source/<module> as a solved submission of `manifest`'s assignment holds it: the blocks of
    later assignments left out (an assignment-1 layers.py has no batchnorm_forward), every
    solution kept. What reference sample submissions and the fairness corpus start from."""
    course = course or load_course(roots)
    path = roots.source / module
    lines = path.read_text(encoding="utf-8").split("\n")
    here = course.order(manifest.name)
    later = [b for b in find_blocks(lines, roots.display(path)) if course.order(b.assignment) > here]
    return "\n".join(line for i, line in enumerate(lines) if not any(b.begin <= i <= b.end for b in later))


def release_source(text, where, manifest, course, default_owner):
    """`text` as released for `manifest`'s assignment; see the module docstring."""
    lines = text.split("\n")
    regions, blocks = find_regions(lines, where), find_blocks(lines, where)
    here = course.order(manifest.name)
    for block in blocks:
        if block.assignment not in course.assignments:
            raise RegionError(f"{where}, line {block.begin + 1}: {block.assignment!r} is not an assignment "
                              f"of the course ({', '.join(course.assignments)})")
    drop = set()
    for block in blocks:
        if course.order(block.assignment) > here:
            first = block.begin
            while first > 0 and not lines[first - 1].strip() and first - 1 not in drop:
                first -= 1
            drop.update(range(first, block.end + 1))
        else:
            drop.update((block.begin, block.end))
    enclosing = None
    replace, solved = {}, []   # region begin -> stub line; solution lines given away
    for region in regions:
        block = block_of(region, blocks, where)
        if region.begin in drop:
            continue
        owner = block.assignment if block else default_owner
        if course.order(owner) > here:
            raise RegionError(f"{where}, line {region.begin + 1}: this region belongs to {owner}, which comes "
                              f"after {manifest.name}; put it in an assignment block of {owner}")
        if enclosing is None:
            enclosing = enclosing_functions(text, where)
        function = enclosing.get(region.begin + 1)
        if owner == manifest.name:
            hint = f"Complete {function} (see the TODO above)" if function else "Complete this part (see the TODO above)"
        elif manifest.earlier_work_for(owner) == "copy":
            what = f"your solution of {function}" if function else "your solution of this part"
            hint = f"Copy {what} from {owner} (see the TODO above)"
        else:
            drop.update((region.begin, region.end))
            drop.update(_todo_comment_above(lines, region))
            solved += region.body(lines)
            continue
        replace[region.begin] = f"{region.indent}raise NotImplementedError({hint!r})"
        drop.update(range(region.begin + 1, region.end + 1))
    out = [replace.get(i, line) for i, line in enumerate(lines) if i in replace or i not in drop]
    released = "\n".join(out)
    try:
        compile(released, where, "exec")
    except SyntaxError as exc:
        raise RegionError(f"{where}: the released file for {manifest.name} is not valid Python ({exc.msg}, line "
                          f"{exc.lineno} of the release); a region must hold whole statements of one block, "
                          "and a block whole top-level statements") from None
    return ReleasedModule(released, solved)


def _todo_comment_above(lines, region):
    """Indices of the comment lines directly above `region` if they start with a TODO."""
    index, found = region.begin - 1, []
    while index >= 0 and lines[index].startswith(region.indent + "#") and lines[index].strip().startswith("#"):
        found.append(index)
        index -= 1
    return found if found and "TODO" in lines[found[-1]] else []


def enclosing_functions(text, where):
    """1-based line -> qualified name of the innermost function containing it."""
    try:
        tree = ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise RegionError(f"{where}, line {exc.lineno}: not valid Python: {exc.msg}") from None
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


def release_problems(manifest, roots, course=None):
    """Lines naming each module of the committed release that is not what source/ generates."""
    course = course or load_course(roots)
    problems = []
    for module in manifest.modules:
        committed = roots.release / manifest.name / module
        label = roots.display(committed)
        if not committed.is_file():
            problems.append(f"{label} is missing")
            continue
        expected = release_module(module, manifest, roots, course).text.encode("utf-8")
        if committed.read_bytes() != expected:
            problems.append(f"{label} is not what source/ generates (edited by hand, or source/ changed "
                            "since the last release)")
    return problems


def stub_source(text, where):
    """`text` with every solution region stubbed, as the assignment that owns it releases it
    (for a module outside any course, e.g. in tests and tools; assignment blocks are not allowed)."""
    from .manifest import Course, Manifest

    manifest = Manifest(name="owner", title="", folder=None)
    return release_source(text, where, manifest, Course(title="", assignments=("owner",)), "owner").text
