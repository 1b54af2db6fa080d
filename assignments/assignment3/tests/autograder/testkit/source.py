"""Reading a student's source file the way Python runs it, for checks on how code is written.

    tree = parse_module(student_root / "cs231n/classifiers/k_nearest_neighbor.py",
                        "cs231n/classifiers/k_nearest_neighbor.py")
    methods = class_methods(tree, "KNearestNeighbor")
    require_defined_in_class_body(knn, "compute_distances_no_loops", methods, "KNearestNeighbor")

The text is decoded as the interpreter decodes it (its coding line honoured,
importlib.util.decode_source), so a check never reads a different program
than the one that runs; grading rejects coding lines other than UTF-8 when it
unpacks a submission, and bounds the size of modules, before any check parses
them. Each file is parsed once per grading run.

A structure check reads the class body; `require_defined_in_class_body` asks
the running code where the method it calls was defined, so a function bound
to the class afterwards (`KNearestNeighbor.f = other`) cannot stand in for
the one the check read.
"""
import ast
import functools
import importlib.util
from pathlib import Path

from .checks import CheckFailed


@functools.lru_cache(maxsize=32)
def _parse(path, size, mtime_ns):
    return ast.parse(importlib.util.decode_source(Path(path).read_bytes()))


def parse_module(path, name):
    """The ast.Module of the file at `path` (shown to students as `name`); CheckFailed if unreadable."""
    try:
        info = Path(path).stat()
        return _parse(str(path), info.st_size, info.st_mtime_ns)
    except (OSError, UnicodeDecodeError, LookupError):
        raise CheckFailed(f"could not read {name} from your submission") from None
    except SyntaxError as exc:
        raise CheckFailed(f"{name} is not valid Python (line {exc.lineno})") from None
    except (RecursionError, MemoryError, ValueError):
        raise CheckFailed(f"{name} is too deeply nested or too large to read") from None


def class_methods(tree, class_name):
    """{name: FunctionDef} of the methods defined in the body of class `class_name` (last wins)."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    methods = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            methods = {item.name: item for item in node.body if isinstance(item, defs)}
    return methods


def require_defined_in_class_body(obj, method, methods, class_name):
    """CheckFailed unless the `method` the running object calls is the def of the class body."""
    node = methods.get(method)
    if node is None:
        raise CheckFailed(f"{class_name}.{method} is not defined in the class body")
    found = obj.where_defined(method)
    first_line = min([node.lineno] + [d.lineno for d in node.decorator_list])
    if not isinstance(found, dict) or found.get("qualname") != f"{class_name}.{method}" or \
            found.get("line") not in (node.lineno, first_line):
        raise CheckFailed(f"{class_name}.{method} that runs is not the one defined at line {node.lineno} of the "
                          "class body (it was replaced after the class was defined); checks of how it is "
                          "written read the class body, so the method must be defined there")
