"""Import one Python file as a module of its own, by path: a grading suite, a reference module
or a release's script, without importing the package it sits in."""
import importlib.util


def load_module_file(path, name):
    """The module executed from `path` (str or Path), named `name` (not added to sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
