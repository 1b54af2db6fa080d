"""The worker: runs inside the sandbox and executes requests on student code.

    python -I -B worker.py REQUEST_FD RESPONSE_FD SUBMISSION_ROOT CONFINEMENT_JSON

It sees only its own folder layout, which the launcher provides read-only:

    <grader>/sandbox/worker.py    this file
    <grader>/sandbox/confine.py   Landlock and the seccomp filter (with landlock.py, seccomp.py)
    <grader>/testkit/wire.py      the wire format
    <grader>/testkit/code.py      Executor, describe_exception, describe_call

and nothing else of the grader. The first thing it does is confine itself as
CONFINEMENT_JSON says (confine.py); a worker that cannot exits with status
126 and says why, before any student code runs. It reads framed requests from REQUEST_FD,
answers on RESPONSE_FD, and leaves fds 1 and 2 (the student's prints) to the
launcher, which points them at a capped pipe. Everything it sends is checked
again on the trusted side: this process runs student code and is not trusted.

Requests:  {"op", "name", "call": encoded [target, args, kwargs, mode]} + arrays
           (mode: {} | {"inspect": true} | {"wrt": [...], "upstream": value};
           see testkit/code.py)
Responses: {"status": "ok", "value": encoded result, "notes": [conversions]} + arrays
           {"status": "error" | "exit", "message": text for the student}
"""
import importlib
import os
import sys

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def describe_import_error(exc, module):
    """One line naming the module and the student's line, not importlib's."""
    if isinstance(exc, SyntaxError):
        where = f" (at {os.path.basename(exc.filename or '?')}, line {exc.lineno})"
        return f"importing {module} raised {type(exc).__name__}: {exc.msg}{where}"
    message = safe_describe(exc, f"importing {module}")
    if "(at <frozen" in message:  # the module itself was not found: no student line to show
        message = message[:message.index(" (at <frozen")]
    return message


def safe_describe(exc, what):
    """describe_exception, but survive an exception whose __str__ itself fails."""
    try:
        return describe_exception(exc, what)
    except Exception:
        return f"{what} raised {type(exc).__name__}"


def safe_facts(exc):
    try:
        return exception_facts(exc)
    except Exception:
        return {"type": "Exception", "file": None, "line": None}


def error(message, exc=None):
    """An error response; `exc` adds its type, file and line, from which the grader
    writes the brief message of hidden tests itself."""
    header = {"status": "error", "message": message}
    if exc is not None:
        header["exception"] = safe_facts(exc)
    return header, []


def exited(what, exc):
    return {"status": "exit", "message": f"{what} tried to exit the process ({type(exc).__name__})"}, []


def run_request(executor, header, arrays):
    """Execute one request; returns (response header, response arrays)."""
    op, name = str(header.get("op")), str(header.get("name"))
    encoded_target, encoded_args, encoded_kwargs, encoded_mode = header["call"]
    # The target stays a module name or a Handle: Executor.execute resolves it itself.
    target = wire.decode(encoded_target, arrays)
    args = wire.decode(encoded_args, arrays, executor.resolve)
    kwargs = wire.decode(encoded_kwargs, arrays, executor.resolve)
    mode = wire.decode(encoded_mode, arrays, executor.resolve)
    if op == "import_modules":  # the grader's preload (remote.py), before any student module
        for module in target:
            importlib.import_module(str(module))
        return {"status": "ok", "value": None}, []
    what = describe_call(op, target, name)
    if op in ("call_function", "new"):
        # Imported here, on first use, so that an error names the module.
        try:
            importlib.import_module(target)
        except (KeyboardInterrupt, SystemExit) as exc:
            return exited(f"importing {target}", exc)
        except BaseException as exc:
            return error(describe_import_error(exc, target), exc)
    try:
        result = executor.execute(op, target, name, args, kwargs, mode)
    except (KeyboardInterrupt, SystemExit) as exc:
        return exited(what, exc)
    except CallProblem as exc:
        header, arrays = error(str(exc)[:2000])
        header["problem"] = exc.kind
        return header, arrays
    except BaseException as exc:
        return error(safe_describe(exc, what), exc)
    out_arrays, notes = [], []
    try:
        value = wire.encode(result, out_arrays, executor.make_handle, notes)
    except wire.WireError as exc:
        return error(f"{what} returned a value that cannot be checked: {exc}")
    except Exception as exc:  # e.g. RecursionError on a list nested a million deep
        return error(f"{what} returned a value that cannot be checked ({type(exc).__name__})")
    return {"status": "ok", "value": value, "notes": notes[:10]}, out_arrays


def main(request_fd, response_fd, submission_root):
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    executor = Executor()
    # numpy and the wire format are imported before the submission is on
    # sys.path, so a student's numpy.py or json.py cannot replace them here.
    sys.path.insert(0, submission_root)
    wire.write_message(responses, {"status": "ready", "pid": os.getpid()})
    while True:
        try:
            header, arrays = wire.read_message(requests)
        except EOFError:
            return
        try:
            response, out_arrays = run_request(executor, header, arrays)
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            response, out_arrays = {"status": "error", "message": f"bad request: {exc}"}, []
        wire.write_message(responses, response, out_arrays)


def confine_or_exit(spec_json):
    import json
    spec = json.loads(spec_json)
    if not spec:
        return  # isolation "none": trusted code
    try:
        from sandbox import confine
        confine.apply(spec)
    except Exception as exc:
        print(f"the worker could not confine itself: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(126)


if __name__ == "__main__":
    sys.path.insert(0, GRADER_DIR)
    confine_or_exit(sys.argv[4])
    import numpy  # noqa: F401  (loaded before student code can shadow it)
    from testkit import wire
    from testkit.code import CallProblem, Executor, describe_call, describe_exception, exception_facts

    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
