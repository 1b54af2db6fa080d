"""How tests call the code they check.

Tests never import student code. They ask a `Code` object for it:

    svm_loss = student.function("cs231n.classifiers.linear_svm", "svm_loss_vectorized")
    loss, dW = svm_loss(W, X, y, 0.1)

    knn = student.new("cs231n.classifiers.k_nearest_neighbor", "KNearestNeighbor")
    knn.call("train", X_train, y_train)
    dists = knn.call("compute_distances_no_loops", X_test)
    params = model.get("params")          # attribute, by value
    model.set("params", new_params)       # attribute, by value

Arguments and results always travel by value in the wire format
(`wire.py`), also in process, so a test sees the same thing whether the code
runs here (public checks on a student's laptop, the reference solution) or in
the grader's sandbox (`autograder.sandbox.RemoteCode`). Objects that are not
plain data come back as `Remote` handles.

Failures in the code under test raise `StudentCodeError` (or a subclass), whose
message is written for the student and is safe to show: it never holds test
inputs or expected values.
"""
import importlib
import os
import sys
import traceback

from . import wire


class StudentCodeError(Exception):
    """The code under test failed; str(error) is a message for the student."""


class StudentTimeout(StudentCodeError):
    pass


class StudentCrash(StudentCodeError):
    pass


class Remote(wire.Handle):
    """An object living in the code under test (in process or in a sandbox).

    It is a `wire.Handle`, so it can be passed back as an argument
    (for example a model handed to a Solver).
    """

    def __init__(self, code, handle):
        super().__init__(handle.handle_id, handle.type_name)
        self._code = code

    def call(self, method, *args, **kwargs):
        return self._code._request("call_method", self, method, args, kwargs)

    def get(self, attribute):
        return self._code._request("get_attr", self, attribute, (), {})

    def set(self, attribute, value):
        self._code._request("set_attr", self, attribute, (value,), {})


class Code:
    """Base class: turns the public API into `_request(op, target, name, args, kwargs)`."""

    def function(self, module, name):
        def call(*args, **kwargs):
            return self._request("call_function", module, name, args, kwargs)

        call.__name__ = name
        return call

    def new(self, module, class_name, *args, **kwargs):
        return self._request("new", module, class_name, args, kwargs)

    def _request(self, op, target, name, args, kwargs):
        raise NotImplementedError

    def close(self):
        pass


_GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def describe_exception(exc, what):
    """One line for the student: which call failed, how, and where in their code."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        # Skip the grader's frames: autograder/ in process, /grader in the
        # sandbox (where the worker is mounted above a copy of this package).
        if not os.path.abspath(frame.filename).startswith(_GRADER_DIR + os.sep):
            where = f" (at {os.path.basename(frame.filename)}, line {frame.lineno})"
            break
    message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{what} raised {type(exc).__name__}{': ' + message if message else ''}{where}"


class Executor:
    """Carries out requests against imported modules; shared by the in-process
    backend and the sandbox worker so both behave the same."""

    def __init__(self):
        self.objects = {}

    def make_handle(self, obj):
        handle = wire.Handle(len(self.objects) + 1, type(obj).__name__)
        self.objects[handle.handle_id] = obj
        return handle

    def resolve(self, handle):
        try:
            return self.objects[handle.handle_id]
        except KeyError:
            raise wire.WireError(f"unknown object {handle}") from None

    def execute(self, op, target, name, args, kwargs):
        if op in ("call_function", "new"):
            module = importlib.import_module(target)
            if not hasattr(module, name):
                raise AttributeError(f"module {target} has no attribute {name!r}")
            return getattr(module, name)(*args, **kwargs)
        # In process the target arrives already decoded to the object itself.
        obj = self.resolve(target) if isinstance(target, wire.Handle) else target
        if op == "call_method":
            return getattr(obj, name)(*args, **kwargs)
        if op == "get_attr":
            return getattr(obj, name)
        if op == "set_attr":
            setattr(obj, name, args[0])
            return None
        raise wire.WireError(f"unknown operation {op!r}")


def describe_call(op, target, name):
    if op == "call_function":
        return f"{name}()"
    if op == "new":
        return f"{name}()"
    if op == "call_method":
        return f"{target.type_name}.{name}()"
    return f"{target.type_name}.{name}"


class InProcessCode(Code):
    """Runs the code under test in this process, importing it from `root`.

    Used for public checks on a student's machine and for the reference
    solution in the grader. Never used for submissions in the grader.
    Only one `cs231n` package can be imported per process.
    """

    def __init__(self, root):
        self.root = os.path.abspath(root)
        if self.root not in sys.path:
            sys.path.insert(0, self.root)
        self.executor = Executor()

    def _request(self, op, target, name, args, kwargs):
        # Round-trip through the wire format both ways, exactly as the sandbox does.
        # The target stays a Handle: Executor.execute resolves it itself.
        arrays = []
        doc = wire.encode([list(args), kwargs], arrays)
        local_args, local_kwargs = wire.decode(doc, [a.copy() for a in arrays], self.executor.resolve)
        local_target = wire.Handle(target.handle_id, target.type_name) if isinstance(target, wire.Handle) else target
        what = describe_call(op, target, name)
        try:
            result = self.executor.execute(op, local_target, name, local_args, local_kwargs)
        except (KeyboardInterrupt, SystemExit) as exc:
            raise StudentCrash(f"{what} tried to exit the process ({type(exc).__name__})") from None
        except Exception as exc:
            raise StudentCodeError(describe_exception(exc, what)) from None
        out_arrays = []
        try:
            out = wire.encode(result, out_arrays, self.executor.make_handle)
        except wire.WireError as exc:
            raise StudentCodeError(f"{what} returned a value that cannot be checked: {exc}") from None
        return wire.decode(out, [a.copy() for a in out_arrays], lambda h: Remote(self, h))
