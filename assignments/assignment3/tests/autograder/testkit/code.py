"""How tests call the code they check.

Tests never import student code. They ask a `Code` object for it:

    svm_loss = student.function("cs231n.classifiers.linear_svm", "svm_loss_vectorized")
    loss, dW = svm_loss(W, X, y, 0.1)

    knn = student.new("cs231n.classifiers.k_nearest_neighbor", "KNearestNeighbor")
    knn.call("train", X_train, y_train)
    dists = knn.call("compute_distances_no_loops", X_test)
    params = model.get("params")          # attribute, by value
    model.set("params", new_params)       # attribute, by value

Two other ways to make the same calls:

    call = svm_loss.inspect(W, X, y, 0.1)  # a `Call`: .value, .args_after,
                                           # .kwargs_after, .modified
    loss, grads = loss_fn.grad(logits, actions, advantages, wrt=("logits",))
    out, grads = model.grad("forward", x, wrt=("parameters",))

`inspect` also returns the arguments as they are after the call (a function
that updates a dict it was given, like batchnorm_forward's bn_param, shows its
update there) and names the arguments the call modified in place. `grad` runs
a PyTorch function with the `wrt` inputs requiring gradients and returns its
value and d(value)/d(input) for each: `wrt` holds positions of positional
arguments, names of keyword arguments, or "parameters" (the named parameters
of the nn.Module a method belongs to, as a dict); `upstream` is the gradient
of the output (default: ones, i.e. the gradient of its sum).

Arguments and results always travel by value in the wire format
(`wire.py`), also in process, so a test sees the same thing whether the code
runs here (public checks on a student's laptop, the reference solution) or in
the grader's sandbox (`autograder.sandbox.RemoteCode`). Objects that are not
plain data come back as `Remote` handles.

Failures in the code under test raise `StudentCodeError` (or a subclass), whose
message is written for the student and is safe to show: it never holds test
inputs or expected values.
"""
import hashlib
import importlib
import os
import sys
import sysconfig
import traceback

import numpy as np

from . import wire


class StudentCodeError(Exception):
    """The code under test failed; str(error) is a message for the student.

    `brief` is the same without anything the student's code wrote itself
    (the text of its exception), for hidden tests: that text could echo the
    hidden inputs. Messages made by the grader (timeouts, crashes) are both.
    """

    def __init__(self, message, brief=None):
        super().__init__(message)
        self.brief = brief if brief is not None else message


class StudentTimeout(StudentCodeError):
    pass


class StudentCrash(StudentCodeError):
    pass


class CallProblem(Exception):
    """A problem with how the code under test can be called or differentiated (not an
    exception of its own). `kind` names it; hidden tests show CALL_PROBLEMS[kind], which
    the grader writes itself (the full message travels through the untrusted worker)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


CALL_PROBLEMS = {
    "not_a_module": "{what}: gradients with respect to parameters need an nn.Module",
    "no_argument": "{what}: the test asked for the gradient of an argument that was not given",
    "not_float": "{what}: gradients need a floating-point tensor argument",
    "not_tensor": "{what} should return a torch tensor; it returned something else",
    "not_differentiable": ("{what} returned a tensor that does not depend on its inputs through autograd "
                           "(was it computed with .detach(), .item(), .numpy() or under torch.no_grad()?)"),
}


class Call:
    """The outcome of an `inspect` call: the value and the arguments after it."""

    def __init__(self, value, args_after, kwargs_after, modified):
        self.value = value
        self.args_after = tuple(args_after)
        self.kwargs_after = dict(kwargs_after)
        self.modified = tuple(modified)   # e.g. ("argument 1", "argument 'cache'")


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

    def inspect(self, method, *args, **kwargs):
        return self._code._request("call_method", self, method, args, kwargs, {"inspect": True})

    def grad(self, method, *args, wrt=(0,), upstream=None, **kwargs):
        return self._code._request("call_method", self, method, args, kwargs,
                                   {"wrt": list(wrt), "upstream": upstream})

    def get(self, attribute):
        return self._code._request("get_attr", self, attribute, (), {})

    def where_defined(self, method):
        """{"qualname", "file", "line"} of the function this object's `method` runs: where its
        code was defined, to tell a method of the class body from one bound in afterwards."""
        return self._code._request("where_defined", self, method, (), {})

    def set(self, attribute, value):
        self._code._request("set_attr", self, attribute, (value,), {})


class Code:
    """Base class: turns the public API into `_request(op, target, name, args, kwargs)`."""

    def function(self, module, name):
        return Function(self, module, name)

    def new(self, module, class_name, *args, **kwargs):
        return self._request("new", module, class_name, args, kwargs)

    def _request(self, op, target, name, args, kwargs, mode=None):
        """Run one call. `mode`: None (plain), {"inspect": True}, or
        {"wrt": [...], "upstream": value} (see the module docstring)."""
        raise NotImplementedError

    def close(self):
        pass

    def record_notes(self, notes):
        """Remember conversions made on the way back (see wire.encode's `notes`)."""
        seen = self.__dict__.setdefault("notes", [])
        seen.extend(n for n in notes if n not in seen)


def as_call(value):
    """The decoded result of an "inspect" request as a `Call` (StudentCrash if it is not one:
    only a worker that was tampered with answers something else)."""
    if (not isinstance(value, dict) or set(value) != {"value", "args_after", "kwargs_after", "modified"}
            or not isinstance(value["args_after"], list) or not isinstance(value["kwargs_after"], dict)
            or not isinstance(value["modified"], list) or not all(isinstance(m, str) for m in value["modified"])):
        raise StudentCrash("the worker's answer to an inspected call is malformed")
    return Call(value["value"], value["args_after"], value["kwargs_after"], [m[:200] for m in value["modified"]])


class Function:
    """A function of the code under test: call it, `inspect` it or take its `grad`."""

    def __init__(self, code, module, name):
        self.code, self.module, self.__name__ = code, module, name

    def __call__(self, *args, **kwargs):
        return self.code._request("call_function", self.module, self.__name__, args, kwargs)

    def inspect(self, *args, **kwargs):
        return self.code._request("call_function", self.module, self.__name__, args, kwargs, {"inspect": True})

    def grad(self, *args, wrt=(0,), upstream=None, **kwargs):
        return self.code._request("call_function", self.module, self.__name__, args, kwargs,
                                  {"wrt": list(wrt), "upstream": upstream})


_GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where Python and installed packages live: a frame there is NumPy's or the standard
# library's, and the student's line that called into it is the one to show.
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))


def exception_facts(exc):
    """{"type", "file", "line"} of an exception raised by the code under test: its class
    name and the innermost frame of the code under test, i.e. outside the grader and outside
    the installed libraries (NumPy's own frames are not the student's line); failing that,
    the innermost frame outside the grader (file and line None if there is none)."""
    facts = {"type": type(exc).__name__, "file": None, "line": None}
    outside_grader = []
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        # Skip the grader's frames: autograder/ in process, /grader in the
        # sandbox (where the worker is mounted above a copy of this package).
        if not os.path.abspath(frame.filename).startswith(_GRADER_DIR + os.sep):
            outside_grader.append(frame)
    own = [f for f in outside_grader if not os.path.abspath(f.filename).startswith(_LIBRARY_DIRS)
           and not f.filename.startswith("<")]
    chosen = (own or outside_grader or [None])[0]
    if chosen is not None:
        facts.update(file=os.path.basename(chosen.filename), line=chosen.lineno)
    return facts


def describe_exception(exc, what):
    """One line for the student: which call failed, how, and where in their code."""
    message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return describe_facts(exception_facts(exc), what, message)


def describe_facts(facts, what, message=""):
    where = f" (at {facts['file']}, line {facts['line']})" if facts.get("file") else ""
    return f"{what} raised {facts['type']}{': ' + message if message else ''}{where}"


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

    def execute(self, op, target, name, args, kwargs, mode=None):
        """Carry out one request; `mode` as for `Code._request`. With "inspect"
        the result is {"value", "args_after", "kwargs_after", "modified"}; with
        "wrt" it is (value, grads)."""
        mode = mode or {}
        if "wrt" in mode:
            return self._with_grad(op, target, name, args, kwargs, mode["wrt"], mode.get("upstream"))
        if mode.get("inspect"):
            before = [fingerprint(a) for a in args], {k: fingerprint(v) for k, v in kwargs.items()}
            value = self._execute(op, target, name, args, kwargs)
            modified = [f"argument {i + 1}" for i, a in enumerate(args) if fingerprint(a) != before[0][i]]
            modified += [f"argument {k!r}" for k, v in kwargs.items() if fingerprint(v) != before[1][k]]
            return {"value": value, "args_after": list(args), "kwargs_after": kwargs, "modified": modified}
        return self._execute(op, target, name, args, kwargs)

    def _callable(self, op, target, name):
        if op in ("call_function", "new"):
            module = importlib.import_module(target)
            if not hasattr(module, name):
                raise AttributeError(f"module {target} has no attribute {name!r}")
            return getattr(module, name)
        # In process the target arrives already decoded to the object itself.
        obj = self.resolve(target) if isinstance(target, wire.Handle) else target
        if op == "call_method":
            return getattr(obj, name)
        raise wire.WireError(f"operation {op!r} cannot be inspected or differentiated")

    def _execute(self, op, target, name, args, kwargs):
        if op in ("call_function", "new", "call_method"):
            return self._callable(op, target, name)(*args, **kwargs)
        obj = self.resolve(target) if isinstance(target, wire.Handle) else target
        if op == "get_attr":
            return getattr(obj, name)
        if op == "set_attr":
            setattr(obj, name, args[0])
            return None
        if op == "where_defined":
            function = getattr(getattr(obj, name), "__func__", getattr(obj, name))
            code = getattr(function, "__code__", None)
            return {"qualname": str(getattr(function, "__qualname__", "")),
                    "file": os.path.basename(code.co_filename) if code else "",
                    "line": int(code.co_firstlineno) if code else 0}
        raise wire.WireError(f"unknown operation {op!r}")

    def _with_grad(self, op, target, name, args, kwargs, wrt, upstream):
        import torch  # only a request for gradients needs it

        function = self._callable(op, target, name)
        what = describe_call(op, target, name)
        args, inputs, groups = list(args), [], []   # groups: per wrt entry, a name or a list of names
        for key in wrt:
            if key == "parameters":
                owner = self.resolve(target) if isinstance(target, wire.Handle) else target
                if not isinstance(owner, torch.nn.Module):
                    raise CallProblem("not_a_module", f"{what}: gradients with respect to parameters need an nn.Module; "
                                      f"got an object of type {type(owner).__name__}")
                named = dict(owner.named_parameters())
                groups.append(list(named))
                inputs += list(named.values())
                continue
            is_position = isinstance(key, int) and not isinstance(key, bool)
            container = args if is_position else kwargs
            if (is_position and not 0 <= key < len(args)) or (not is_position and key not in kwargs):
                raise CallProblem("no_argument", f"{what}: no argument {key!r} to differentiate with respect to")
            value = container[key]
            if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                raise CallProblem("not_float", f"{what}: argument {key!r} must be a floating-point tensor to take "
                                  "gradients with respect to it")
            container[key] = value.detach().clone().requires_grad_(True)
            groups.append(None)
            inputs.append(container[key])
        with torch.enable_grad():
            value = function(*args, **kwargs)
            if not isinstance(value, torch.Tensor):
                raise CallProblem("not_tensor", f"{what} should return a torch tensor; it returned an object of type "
                                  f"{type(value).__name__}")
            if not value.requires_grad:
                raise CallProblem("not_differentiable", f"{what} returned a tensor that does not depend on its inputs through "
                                  "autograd (was it computed with .detach(), .item(), .numpy() or "
                                  "under torch.no_grad()?)")
            grads = torch.autograd.grad(value, inputs, grad_outputs=torch.ones_like(value) if upstream is None
                                        else upstream, allow_unused=True)
        # An input the value does not depend on has gradient zero (autograd says None).
        grads = [torch.zeros_like(x) if g is None else g.detach() for x, g in zip(inputs, grads)]
        out, position = [], 0
        for group in groups:
            if group is None:
                out.append(grads[position])
                position += 1
            else:
                out.append(dict(zip(group, grads[position:position + len(group)])))
                position += len(group)
        return value.detach(), tuple(out)


def fingerprint(value):
    """A comparable summary of a value's contents, to tell whether a call modified it in place."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, hashlib.sha1(np.ascontiguousarray(value).view(np.uint8)).hexdigest())
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape),
                hashlib.sha1(value.detach().cpu().contiguous().view(-1).numpy().view(np.uint8)).hexdigest())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((str(k), fingerprint(v)) for k, v in value.items()))
    if value is None or isinstance(value, (bool, int, float, str, complex)):
        return ("value", repr(value))
    return ("object", id(value))


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

    def _request(self, op, target, name, args, kwargs, mode=None):
        # Round-trip through the wire format both ways, exactly as the sandbox does.
        # The target stays a Handle: Executor.execute resolves it itself.
        arrays = []
        doc = wire.encode([list(args), kwargs, mode or {}], arrays)
        local_args, local_kwargs, local_mode = wire.decode(doc, [a.copy() for a in arrays], self.executor.resolve)
        local_target = wire.Handle(target.handle_id, target.type_name) if isinstance(target, wire.Handle) else target
        what = describe_call(op, target, name)
        try:
            result = self.executor.execute(op, local_target, name, local_args, local_kwargs, local_mode)
        except (KeyboardInterrupt, SystemExit) as exc:
            raise StudentCrash(f"{what} tried to exit the process ({type(exc).__name__})") from None
        except CallProblem as exc:
            raise StudentCodeError(str(exc), CALL_PROBLEMS[exc.kind].format(what=what)) from None
        except Exception as exc:
            raise StudentCodeError(describe_exception(exc, what), describe_facts(exception_facts(exc), what)) from None
        out_arrays, notes = [], []
        try:
            out = wire.encode(result, out_arrays, self.executor.make_handle, notes)
        except wire.WireError as exc:
            raise StudentCodeError(f"{what} returned a value that cannot be checked: {exc}") from None
        self.record_notes(notes)
        value = wire.decode(out, [a.copy() for a in out_arrays], lambda h: Remote(self, h))
        return as_call(value) if (mode or {}).get("inspect") else value
