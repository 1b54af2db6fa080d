"""`RemoteCode`: the grader's `Code` for a submission, run in a confined worker.

    student = RemoteCode("/path/to/submission", isolation="auto")
    dists = student.function("cs231n.classifiers.k_nearest_neighbor", "...")(X)
    student.close()

One worker serves all calls for a submission (start-up costs about as much as
a dozen calls). Every call has a wall-clock timeout, and all calls together
share a total budget; a function or method that timed out once is not run
again (its later calls fail at once). When a call times out or the worker dies, the worker is
killed with everything it started and a fresh one starts on the next call;
objects (handles) from the old worker are gone by then.

Errors, all subclasses of `StudentCodeError`, carry messages for the student:
    StudentCodeError  the student's code raised (message names the line)
    StudentTimeout    a call ran past its timeout, or the budget is used up
    StudentCrash      the worker died, exited, or answered garbage
Nothing from the worker is ever unpickled or trusted: answers are wire-format
messages with capped sizes, decoded into plain data and `Remote` handles.
"""
import builtins
import os
import re
import sys
import time

from autograder.testkit import wire
from autograder.testkit.code import (Code, Remote, StudentCodeError, StudentCrash, StudentTimeout,
                                     CALL_PROBLEMS, as_call, describe_call)

from . import isolation as levels  # "isolation" is RemoteCode's parameter name
from .isolation import Limits
from .process import WorkerProcess


# Exception class names shown in hidden tests' feedback: a class of the student's own
# could carry any text in its name, so only these names are shown as they are.
KNOWN_EXCEPTIONS = frozenset(
    [name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)]
    + ["LinAlgError", "AxisError", "CheckFailed"])


def brief_message(what, facts):
    """The message of a hidden test whose call raised: `what` (written by the grader), the
    exception's class if it is a standard one, and the student's file and line."""
    facts = facts if isinstance(facts, dict) else {}
    name = facts.get("type")
    name = name if isinstance(name, str) and name in KNOWN_EXCEPTIONS else "an exception"
    file, line = facts.get("file"), facts.get("line")
    safe_file = isinstance(file, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,60}\.py", file)
    safe_line = isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10**6
    where = f" (at {file}, line {line})" if safe_file and safe_line else ""
    return f"{what} raised {name}{where}"


class RemoteCode(Code):
    """Student code in a sandboxed worker process; see the module docstring.

    root                folder holding the student's `cs231n` package (read-only to them)
    isolation           "auto" | "bwrap" | "rlimits" | "none" (see isolation.py)
    call_timeout        seconds one call may take
    total_timeout       seconds all calls together may take (restarts included,
                        the first start not)
    memory_bytes        memory of the worker and everything it starts, shared memory
                        and tmpfs included (its cgroup; RLIMIT_AS is this plus 4 GiB)
    processes           processes and threads of the worker (pids.max, RLIMIT_NPROC)
    threads             BLAS/OpenMP/torch threads, and the worker's CPU quota in cores
    tmp_bytes           size of the worker's private /tmp (bwrap)
    tmp_inodes          files and folders in the worker's private /tmp (bwrap)
    startup_timeout     seconds the worker may take to start (then SandboxError:
                        a grader problem, since no student code has run yet)
    max_response_bytes  largest answer accepted from the worker
    output_keep         bytes of the student's printed output kept per worker
    python              interpreter for the worker (default: this one)
    preload             modules every worker imports as it starts, before any student
                        module (e.g. ["torch"]): their import time is start-up time, not
                        the first call's, and a student file cannot stand in for them
    """

    def __init__(self, root, isolation="auto", call_timeout=30.0, total_timeout=300.0,
                 memory_bytes=Limits.memory_bytes, processes=Limits.processes, threads=Limits.threads,
                 tmp_bytes=Limits.tmp_bytes, tmp_inodes=Limits.tmp_inodes,
                 startup_timeout=60.0, max_response_bytes=2**30, output_keep=8192, python=None, preload=()):
        self.root = os.path.abspath(root)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"submission folder {self.root} does not exist")
        self.python = python or sys.executable
        self.launch_class = levels.choose(isolation, self.python)
        self.isolation = self.launch_class.level
        self.limits = Limits(memory_bytes=int(memory_bytes), processes=int(processes), threads=int(threads),
                             tmp_bytes=int(tmp_bytes), tmp_inodes=int(tmp_inodes),
                             cpu_seconds=int(total_timeout) + 60)
        self.call_timeout = float(call_timeout)
        self.total_timeout = float(total_timeout)
        self.preload = [str(name) for name in preload]
        self.startup_timeout = float(startup_timeout)
        self.max_response_bytes = int(max_response_bytes)
        self.output_keep = output_keep
        self.time_used = 0.0
        # Functions and methods that ran past call_timeout fail at once after
        # that, so one endless loop costs one timeout, not the whole budget
        # (which the tests of the other modules need too).
        self.timed_out = set()
        self.restarts = 0
        self.launch = None
        self.worker = None
        self.generation = 0
        self.closed = False
        self._outputs = []

    # ---- public -------------------------------------------------------------

    def output(self):
        """What the student's code printed (first few KB per worker). For the
        instructor's logs; it may echo test inputs, so not for student feedback."""
        parts = self._outputs + ([self.worker.output.text()] if self.worker else [])
        return "".join(parts)

    def close(self):
        """Kill the worker and everything it started; release the uid slot."""
        self._stop_worker()
        if self.launch is not None:
            self.launch.close()
            self.launch = None
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- Code ---------------------------------------------------------------

    def _request(self, op, target, name, args, kwargs, mode=None):
        what = describe_call(op, target, name)
        if self.closed:
            raise StudentCodeError(f"{what} cannot run: the submission's worker was closed")
        self._check_handles((target, args, kwargs, mode), what)
        arrays = []
        call = wire.encode([target, list(args), kwargs, mode or {}], arrays)  # a test's bad argument: WireError
        if self.time_used >= self.total_timeout:
            raise StudentTimeout(f"{what} was not run: the submission used up its total time "
                                 f"budget of {self.total_timeout:g} s in earlier calls")
        callable_key = (op, _code_of(target), name)
        if callable_key in self.timed_out:
            raise StudentTimeout(f"{what} was not run: it did not finish within "
                                 f"{self.call_timeout:g} s in an earlier test")
        worker = self._ensure_worker(what)
        started = time.monotonic()
        timeout = min(self.call_timeout, self.total_timeout - self.time_used)
        deadline = started + timeout
        try:
            worker.send({"op": op, "name": name, "call": call}, arrays, deadline)
            header, out_arrays = worker.receive(deadline, self.max_response_bytes)
        except TimeoutError:
            self._stop_worker()
            if timeout < self.call_timeout:
                raise StudentTimeout(f"{what} was stopped: the submission used up its total "
                                     f"time budget of {self.total_timeout:g} s") from None
            self.timed_out.add(callable_key)
            raise StudentTimeout(f"{what} did not finish within {self.call_timeout:g} s "
                                 "(an infinite loop, or much slower than needed?)") from None
        except (EOFError, BrokenPipeError, ConnectionError):
            how = worker.exit_description()
            self._stop_worker()
            raise StudentCrash(f"{what} crashed the worker process: it {how}. Code must not "
                               "call sys.exit/os._exit or exceed the memory or process limits"
                               ) from None
        except (wire.WireError, ValueError, OverflowError) as exc:
            self._stop_worker()
            raise StudentCrash(f"{what} broke the connection to the grader ({exc})") from None
        finally:
            self.time_used += time.monotonic() - started
        value = self._answer(what, header, out_arrays, callable_key)
        return as_call(value) if (mode or {}).get("inspect") else value

    # ---- internals ----------------------------------------------------------

    def _answer(self, what, header, arrays, origin=None):
        status = header.get("status")
        if status == "ok" and "value" in header:
            generation = self.generation
            notes = header.get("notes", [])
            self.record_notes([str(n)[:300] for n in notes[:10]] if isinstance(notes, list) else [])
            try:
                return wire.decode(header["value"], arrays, lambda h: self._remote(h, generation, origin))
            except Exception:
                self._stop_worker()
                raise StudentCrash(f"{what} broke the connection to the grader "
                                   "(malformed answer)") from None
        message = str(header.get("message", ""))[:2000] or f"{what} failed"
        if status == "error":
            problem = header.get("problem")
            if isinstance(problem, str) and problem in CALL_PROBLEMS:
                raise StudentCodeError(message, CALL_PROBLEMS[problem].format(what=what))
            raise StudentCodeError(message, brief_message(what, header.get("exception")))
        if status == "exit":
            raise StudentCrash(message)
        self._stop_worker()
        raise StudentCrash(f"{what} broke the connection to the grader (malformed answer)")

    def _remote(self, handle, generation, origin=None):
        remote = Remote(self, handle)
        remote.worker_generation = generation
        remote.origin = origin  # the call that made it: whose code its methods are (_code_of)
        return remote

    def _check_handles(self, value, what):
        """Handles sent to the worker must be this worker's, from its current life."""
        if isinstance(value, (list, tuple)):
            for item in value:
                self._check_handles(item, what)
        elif isinstance(value, dict):
            for item in value.values():
                self._check_handles(item, what)
        elif isinstance(value, wire.Handle):
            if getattr(value, "_code", None) is not self:
                raise StudentCodeError(f"{what} was given {value!r}, which belongs to other code")
            if getattr(value, "worker_generation", None) != self.generation:
                raise StudentCodeError(
                    f"{what} cannot run: {value!r} was lost when the worker restarted "
                    "after an earlier crash or timeout")

    def _ensure_worker(self, what):
        """The running worker, or a new one. The first start is the grader's
        cost; restarts (after a timeout or crash) come out of the budget."""
        if self.worker is not None and self.worker.alive():
            return self.worker
        self._stop_worker()
        if self.launch is None:
            self.launch = self.launch_class(self.root, python=self.python, limits=self.limits)
        restart = self.generation > 0
        remaining = self.total_timeout - self.time_used
        budget_binds = restart and remaining < self.startup_timeout
        started = time.monotonic()
        self.generation += 1
        self.restarts += restart
        try:
            self.worker = WorkerProcess(self.launch, output_keep=self.output_keep)
        except OSError as exc:
            raise levels.SandboxError(f"the {self.isolation} worker could not be started: {exc}") from None
        try:
            deadline = started + (remaining if budget_binds else self.startup_timeout)
            self.worker.wait_ready(deadline)
            if self.preload:
                self._preload(deadline)
        except (TimeoutError, EOFError, wire.WireError, ValueError) as exc:
            self._stop_worker()
            output = self._outputs[-1]
            if budget_binds and isinstance(exc, TimeoutError):
                self.time_used = self.total_timeout
                raise StudentTimeout(f"{what} was not run: the submission used up its total time "
                                     f"budget of {self.total_timeout:g} s") from None
            raise levels.SandboxError(
                f"the {self.isolation} worker for {self.root} did not start "
                f"({type(exc).__name__}): {output[-2000:]}") from None
        finally:
            if restart:
                self.time_used += time.monotonic() - started
        return self.worker

    def _preload(self, deadline):
        """Import self.preload in the new worker, before any student code (see __init__)."""
        arrays = []
        call = wire.encode([list(self.preload), [], {}, {}], arrays)
        self.worker.send({"op": "import_modules", "name": "", "call": call}, arrays, deadline)
        header, _ = self.worker.receive(deadline, 1 << 16)
        if header.get("status") != "ok":
            raise wire.WireError(f"preloading {', '.join(self.preload)} failed: {header.get('message', '')}")

    def _stop_worker(self):
        if self.worker is not None:
            self.worker.kill()
            self._outputs.append(self.worker.output.text())
            self.worker = None


def _code_of(target):
    """What a timeout is remembered by: a module's name, or for a student object the call that
    made it (and its class name). Two objects of the same class name made by different code,
    such as two functions that each return an nn.Sequential, are different code: a method of
    one that timed out must not refuse the same method of the other."""
    if isinstance(target, wire.Handle):
        return (getattr(target, "origin", None), target.type_name)
    return target

