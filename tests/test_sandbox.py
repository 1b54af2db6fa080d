"""autograder.sandbox: student code runs in a confined worker, and a hostile
submission gets a clear error while the grader survives.

The student package is generated below (STUDENT_FILES). Most behaviours are
checked at every isolation level available here (none, rlimits, bwrap); the
confinement itself (hidden files, network, processes outliving grading) at
the levels that promise it, with the unconfined level as a control showing
the check would notice a leak.
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import RemoteCode, SandboxError, cgroups, isolation, seccomp
from autograder.sandbox.slots import processes_of, sweep_unclaimed
from autograder.sandbox.summary import limits_summary
from autograder.sandbox.trusted import TrustedLimits, trusted_limits
from autograder.testkit import (CheckFailed, Remote, StudentCodeError, StudentCrash, StudentTimeout,
                                assert_array, assert_close, assert_equal_labels)
from tests import hostile_submissions

REPO = Path(__file__).resolve().parents[1]
CALL_TIMEOUT = 3.0

STUDENT_FILES = {
    "cs231n/__init__.py": "",
    "cs231n/basics.py": """
        import numpy as np

        def add(a, b):
            return a + b

        def values():
            return {"int": 3, "nan": float("nan"), "array": np.arange(6).reshape(2, 3),
                    "scalar": np.float32(1.5), "pair": (1, [2.0, None]), "text": "ok"}

        class Counter:
            def __init__(self, start):
                self.count = start

            def bump(self, by=1):
                self.count += by
                return self.count

        def count_of(counter):
            return counter.count

        def fails(x):
            y = x + 1
            raise ValueError(f"x must be negative, got {y - 1}")

        def two_args(a, b):
            return a
    """,
    "cs231n/broken.py": """
        import numpy as np

        def f(x) return x
    """,
    "cs231n/needs_missing.py": "import not_a_real_module_xyz\n",
    "cs231n/exits_on_import.py": "import sys\nsys.exit(0)\n",
    "cs231n/os_exits_on_import.py": "import os\nos._exit(0)\n",
    "cs231n/patches_on_import.py": """
        import builtins, sys, types
        import numpy as np

        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        builtins.abs = lambda x: 0
        sys.modules["pytest"] = types.ModuleType("pytest")

        def wrong():
            return np.zeros(3)
    """,
    "cs231n/hostile.py": """
        import os, socket, sys, tempfile, time
        import numpy as np

        class AlwaysEqual:
            def __eq__(self, other):
                return True

        class FakeArray(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), dtype=bool)

        def always_equal():
            return AlwaysEqual()

        def fake_array():
            return np.zeros(3).view(FakeArray)

        def object_array():
            return np.array([object()], dtype=object)

        def loop():
            while True:
                pass

        class Runner:
            def __init__(self, endless):
                self.endless = endless

            def run(self):
                while self.endless:
                    pass
                return 1

        def endless_runner():
            return Runner(True)

        def quick_runner():
            return Runner(False)

        def sleep(seconds):
            time.sleep(seconds)

        def sys_exit():
            sys.exit(0)

        def os_exit():
            os._exit(0)

        def allocate_50_gb():
            return np.ones(50 * 10**9 // 8).sum()

        def whoami():
            return os.getuid(), sorted(os.environ)

        def read_paths(paths):
            outcome = {}
            for path in paths:
                try:
                    if os.path.isdir(path):
                        os.listdir(path)
                    else:
                        open(path, "rb").read(1)
                    outcome[path] = "read"
                except OSError as exc:
                    outcome[path] = type(exc).__name__
            return outcome

        def write_paths(paths):
            outcome = {}
            for path in paths:
                try:
                    with open(path, "w") as f:
                        f.write("hostile")
                    outcome[path] = "written"
                except OSError as exc:
                    outcome[path] = type(exc).__name__
            return outcome

        def private_tmp_file():
            return os.path.join(tempfile.gettempdir(), "scratch.txt")

        def connect(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return "connected"
            except OSError as exc:
                return type(exc).__name__

        def start_daemon():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.closerange(0, 256)
                    while True:
                        time.sleep(1)
                os._exit(0)
            os.wait()
            return True

        def fork_bomb(seconds):
            forks = refused = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    pid = os.fork()
                except OSError:
                    refused += 1
                    time.sleep(0.01)
                    continue
                if pid == 0:
                    _bomb_forever()
                forks += 1
            return forks, refused

        def _bomb_forever():
            os.closerange(0, 256)
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)

        def print_flood(megabytes):
            chunk = "x" * 2**20
            for _ in range(megabytes):
                sys.stdout.write(chunk)
                os.write(2, b"y" * 65536)
            sys.stdout.flush()
            return megabytes

        def corrupt_protocol():
            os.write(int(sys.argv[2]), b"\\xff" * 64)
            return 1

        def big_answer():
            return np.zeros(10**6)
    """,
    # Kernel-side state, cgroup limits and the private /tmp (issue 12, findings 1-3).
    "cs231n/kernel.py": r"""
        import ctypes, errno, mmap, os, socket, tempfile, time

        LIBC = ctypes.CDLL(None, use_errno=True)
        # x86_64 numbers; the tests that call these skip elsewhere.
        CALLS = {
            "add_key": (248, b"user", b"kernel-test", b"x", 1, -4),
            "keyctl": (250, 0, -4, 0),                      # KEYCTL_GET_KEYRING_ID of @u, no create
            "request_key": (249, b"user", b"kernel-test", None, 0),
            "shmget": (29, 0x41470002, 4096, 0),            # no IPC_CREAT: ENOENT where allowed
            "msgget": (68, 0x41470002, 0),
            "semget": (64, 0x41470002, 1, 0),
            "mq_open": (240, b"kernel-test", 0, 0, None),   # no O_CREAT
            "unshare_user": (272, 0x10000000),
            "setns": (308, -1, 0),
            "mount": (165, b"none", b"/tmp", b"tmpfs", 0, None),
            "process_vm_readv": (310, 1, None, 0, None, 0, 0),
            "bpf": (321, 0, None, 0),
            "perf_event_open": (298, None, 0, -1, -1, 0),
            "userfaultfd": (323, 0),
            "io_uring_setup": (425, 1, None),
            "kexec_load": (246, 0, 0, None, 0),
            "init_module": (175, None, 0, b""),
            "clone_newuser": (56, 0x10000000 | 17, 0, 0, 0, 0),   # SIGCHLD | CLONE_NEWUSER
            "clone3": (435, None, 0),
        }

        def syscalls(names):
            outcome = {}
            for name in names:
                result = LIBC.syscall(*CALLS[name])
                outcome[name] = "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
                if name == "clone_newuser" and result == 0:
                    os._exit(0)   # the child of a clone that worked
            return outcome

        def ptrace_child():
            # Attaching to one's own child is allowed by the kernel's ptrace rules.
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            try:
                result = LIBC.ptrace(16, pid, None, None)        # PTRACE_ATTACH
                return "ok" if result == 0 else errno.errorcode.get(ctypes.get_errno(), "?")
            finally:
                os.kill(pid, 9)
                os.waitpid(pid, 0)

        def sockets():
            outcome = {}
            for name, family, kind in [("inet", socket.AF_INET, socket.SOCK_STREAM),
                                       ("inet6", socket.AF_INET6, socket.SOCK_STREAM),
                                       ("netlink", socket.AF_NETLINK, socket.SOCK_RAW),
                                       ("packet", 17, socket.SOCK_RAW), ("unix", socket.AF_UNIX, socket.SOCK_STREAM)]:
                try:
                    socket.socket(family, kind).close()
                    outcome[name] = "ok"
                except OSError as exc:
                    outcome[name] = errno.errorcode.get(exc.errno, "?")
            a, b = socket.socketpair()
            outcome["socketpair"] = "ok"
            return outcome

        def everyday():
            # What student code legitimately does: fork, threads, subprocess, files, mmap.
            import subprocess, threading
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            forked = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            box = []
            thread = threading.Thread(target=lambda: box.append(1))
            thread.start()
            thread.join()
            ran = subprocess.run(["/bin/sh", "-c", "exit 3"]).returncode
            with tempfile.NamedTemporaryFile() as f:
                f.write(b"x" * 1000)
            area = mmap.mmap(-1, 1 << 20)
            area[:4] = b"abcd"
            return forked, box, ran, bytes(area[:4]).decode()

        def other_command_lines(needle):
            # Every readable /proc/PID/cmdline that mentions `needle` (the grader's).
            found = []
            try:
                names = [n for n in os.listdir("/proc") if n.isdigit()]
            except OSError as exc:
                return ["listing /proc: " + type(exc).__name__]
            for name in names:
                try:
                    with open(f"/proc/{name}/cmdline", "rb") as f:
                        if needle.encode() in f.read():
                            found.append(name)
                except OSError:
                    pass
            return found

        def serve_abstract(name):
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind("\0" + name)
            server.listen(4)
            if os.fork() == 0:
                while True:
                    connection, _ = server.accept()
                    connection.sendall(b"secret")
                    connection.close()
            return True

        def connect_abstract(name):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                client.connect("\0" + name)
                return client.recv(100).decode()
            except OSError as exc:
                return errno.errorcode.get(exc.errno, "?")

        def _child(work, oom_first=True):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    if oom_first:
                        with open("/proc/self/oom_score_adj", "w") as f:
                            f.write("1000")
                    work(write_end)
                finally:
                    os._exit(0)
            os.close(write_end)
            return pid, read_end

        def _drain(pid, read_end):
            data = b""
            while True:
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                data += chunk
            os.close(read_end)
            os.waitpid(pid, 0)
            return data

        def memfd_mib(total_mib):
            # A child writes memfds of 16 MiB (never mapped); returns the MiB it got to.
            def work(out):
                chunk, held = b"x" * (1 << 20), []
                for _ in range(total_mib // 16):
                    fd = os.memfd_create("hoard")
                    for _ in range(16):
                        os.write(fd, chunk)
                    held.append(fd)
                    os.write(out, b"1")
            return 16 * len(_drain(*_child(work)))

        def children_mib(children, each_mib):
            # Children touch each_mib each and hold it for 2 s; returns how many held it
            # through to the end. (A child that reported its memory and was then killed
            # for another's must not count: the limit held.)
            def work(out):
                area = mmap.mmap(-1, each_mib << 20)
                for start in range(0, each_mib << 20, 1 << 20):
                    area[start:start + (1 << 20)] = b"x" * (1 << 20)
                time.sleep(2)
                os.write(out, b"1")
            started = [_child(work) for _ in range(children)]
            return sum(len(_drain(pid, read_end)) for pid, read_end in started)

        def spin_cores(children, seconds):
            # Children spin for `seconds`; returns the cores they got together.
            def work(out):
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pass
                os.write(out, f"{time.process_time():.4f} ".encode())
            begun = time.monotonic()
            started = [_child(work, oom_first=False) for _ in range(children)]
            total = sum(float(_drain(pid, read_end) or 0) for pid, read_end in started)
            return total / (time.monotonic() - begun)

        def busy_loop(n):
            begun = time.monotonic()
            x = 0
            for i in range(n):
                x += i * i
            return time.monotonic() - begun

        def fill_tmp(files, file_bytes):
            # Empty files in the temporary folder until refused, then one big file.
            folder = tempfile.mkdtemp()
            made = 0
            try:
                for made in range(files):
                    os.close(os.open(os.path.join(folder, str(made)), os.O_CREAT | os.O_WRONLY, 0o600))
                made = files
                refused_files = ""
            except OSError as exc:
                refused_files = errno.errorcode.get(exc.errno, "?")
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))
            try:
                with open(os.path.join(folder, "big"), "wb") as f:
                    for _ in range(file_bytes >> 20):
                        f.write(b"x" * (1 << 20))
                refused_bytes = ""
            except OSError as exc:
                refused_bytes = errno.errorcode.get(exc.errno, "?")
            return made, refused_files, refused_bytes

        def daemon_then_loop():
            if os.fork() == 0:
                os.setsid()
                while True:
                    time.sleep(1)
            while True:
                pass

        def torch_check():
            begun = time.monotonic()
            import torch
            imported = time.monotonic() - begun
            model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                        torch.nn.Linear(8 * 14 * 14, 10))
            loss = model(torch.randn(4, 3, 16, 16)).sum()
            loss.backward()
            with open("/proc/self/status") as f:
                status = dict(line.split(":", 1) for line in f)
            return {"import_s": imported, "threads": torch.get_num_threads(),
                    "grad_shape": list(model[0].weight.grad.shape),
                    "rss_mib": int(status["VmHWM"].split()[0]) / 1024,
                    "vm_peak_mib": int(status["VmPeak"].split()[0]) / 1024}
    """,
    # A submission-level numpy.py must not replace the worker's numpy.
    "numpy.py": "raise SystemExit('a student numpy.py was imported')\n",
}

BASICS, HOSTILE, KERNEL = "cs231n.basics", "cs231n.hostile", "cs231n.kernel"


def write_package(root, files=STUDENT_FILES):
    for relative, text in files.items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return Path(root)


def level_problem(level):
    if level == "bwrap":
        return isolation.bwrap_problem()
    if level == "rlimits":
        return isolation.rlimits_problem()
    return None


def needs(level):
    problem = level_problem(level)
    if problem:
        pytest.skip(f"isolation {level!r} is unavailable here: {problem}")


ALL_LEVELS = ["none", "rlimits", "bwrap"]
CONFINED = ["rlimits", "bwrap"]


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    return write_package(tmp_path_factory.mktemp("submission"))


@pytest.fixture(scope="module", params=ALL_LEVELS)
def student(request, submission):
    """One worker per level, shared by the tests below (crashes restart it)."""
    needs(request.param)
    code = RemoteCode(submission, isolation=request.param, call_timeout=CALL_TIMEOUT)
    yield code
    code.close()


def fresh(submission, level, **options):
    needs(level)
    options.setdefault("call_timeout", CALL_TIMEOUT)
    return RemoteCode(submission, isolation=level, **options)


# ---- values, objects and the student's own errors ---------------------------

def test_arguments_and_results_cross_by_value(student):
    assert student.function(BASICS, "add")(np.ones(3), 2).tolist() == [3.0, 3.0, 3.0]
    got = student.function(BASICS, "values")()
    assert got["int"] == 3 and np.isnan(got["nan"]) and got["text"] == "ok"
    assert type(got["array"]) is np.ndarray and got["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["scalar"].dtype == np.float32 and got["scalar"] == 1.5
    assert got["pair"] == (1, [2.0, None])


def test_objects_come_back_as_handles_usable_as_arguments(student):
    counter = student.new(BASICS, "Counter", 5)
    assert isinstance(counter, Remote) and counter.type_name == "Counter"
    assert counter.call("bump", by=2) == 7
    counter.set("count", 40)
    assert counter.get("count") == 40
    assert student.function(BASICS, "count_of")(counter) == 40


def test_student_exception_names_type_message_and_line(student):
    with pytest.raises(StudentCodeError) as error:
        student.function(BASICS, "fails")(3)
    assert str(error.value) == "fails() raised ValueError: x must be negative, got 3 (at basics.py, line 23)"
    assert type(error.value) is StudentCodeError


def test_syntax_error_is_reported_on_the_call_that_imports_it(student):
    with pytest.raises(StudentCodeError, match=r"importing cs231n\.broken raised SyntaxError: .*"
                                               r"\(at broken\.py, line 3\)"):
        student.function("cs231n.broken", "f")(1)
    assert student.function(BASICS, "add")(1, 2) == 3


def test_missing_module_function_and_wrong_signature(student):
    with pytest.raises(StudentCodeError, match="importing cs231n.needs_missing raised ModuleNotFoundError: "
                                               r"No module named 'not_a_real_module_xyz' \(at needs_missing\.py, line 1\)$"):
        student.function("cs231n.needs_missing", "f")()
    with pytest.raises(StudentCodeError, match="importing cs231n.nope raised ModuleNotFoundError"):
        student.function("cs231n.nope", "f")()
    with pytest.raises(StudentCodeError, match="module cs231n.basics has no attribute 'missing'"):
        student.function(BASICS, "missing")()
    with pytest.raises(StudentCodeError, match=r"two_args\(\) raised TypeError: .*missing 1 required"):
        student.function(BASICS, "two_args")(1)


def test_objects_that_lie_about_equality_are_not_accepted_as_values(student):
    liar = student.function(HOSTILE, "always_equal")()
    assert isinstance(liar, Remote) and not isinstance(liar, np.ndarray)
    assert (liar == 5) is False  # the lie stays in the worker
    with pytest.raises(CheckFailed, match=r"should be a NumPy array of shape \(3,\); got an object of type AlwaysEqual"):
        assert_close(liar, np.zeros(3), "dists")
    # An ndarray subclass arrives as its plain values: its == lies no more, and a note says so.
    fake = student.function(HOSTILE, "fake_array")()
    assert type(fake) is np.ndarray and np.array_equal(fake, np.zeros(3))
    assert any("FakeArray was converted to a plain NumPy array" in note for note in student.notes)
    with pytest.raises(CheckFailed, match="wrong values"):
        assert_close(fake, np.ones(3), "dists")
    with pytest.raises(StudentCodeError, match="returned a value that cannot be checked: .*dtype object"):
        student.function(HOSTILE, "object_array")()


def test_monkeypatching_at_import_stays_in_the_worker(student):
    wrong = student.function("cs231n.patches_on_import", "wrong")()
    assert not np.allclose(wrong, np.ones(3))
    with pytest.raises(CheckFailed):
        assert_close(wrong, np.ones(3), "x")
    assert abs(-2) == 2 and hasattr(pytest, "raises")
    assert student.function(BASICS, "add")(-2, 0) == -2


def test_worker_sees_no_grader_environment(student):
    assert "PYTHONPATH" in os.environ  # set for this test run, so a leak would show
    uid, names = student.function(HOSTILE, "whoami")()
    # bwrap adds PWD (the working directory) itself.
    assert set(names) <= set(isolation.worker_env("/tmp")) | {"PWD"}, names
    if student.isolation == "none":
        assert uid == os.getuid()
    else:
        assert uid >= 61000 and uid == student.launch.slot.uid


# ---- exits, timeouts, crashes ----------------------------------------------

def test_sys_exit_inside_a_function_is_a_crash_not_a_pass(student):
    with pytest.raises(StudentCrash, match=r"sys_exit\(\) tried to exit the process \(SystemExit\)"):
        student.function(HOSTILE, "sys_exit")()
    assert student.function(BASICS, "add")(1, 1) == 2


def test_os_exit_kills_the_worker_which_restarts_and_forgets_old_objects(student):
    counter = student.new(BASICS, "Counter", 1)
    restarts = student.restarts
    with pytest.raises(StudentCrash, match=r"os_exit\(\) crashed the worker process: it exited with status 0"):
        student.function(HOSTILE, "os_exit")()
    assert student.function(BASICS, "add")(1, 1) == 2
    assert student.restarts == restarts + 1
    with pytest.raises(StudentCodeError, match="was lost when the worker restarted"):
        counter.call("bump")


def test_exit_at_import(student):
    with pytest.raises(StudentCrash, match="importing cs231n.exits_on_import tried to exit"):
        student.function("cs231n.exits_on_import", "f")()
    with pytest.raises(StudentCrash, match=r"f\(\) crashed the worker process: it exited with status 0"):
        student.function("cs231n.os_exits_on_import", "f")()
    assert student.function(BASICS, "add")(2, 2) == 4


def test_infinite_loop_times_out_and_the_next_call_gets_a_fresh_worker(student):
    with pytest.raises(StudentTimeout, match=r"loop\(\) did not finish within 3 s"):
        student.function(HOSTILE, "loop")()
    assert student.function(BASICS, "add")(1, 2) == 3
    # The same function again is not run (it would eat the budget).
    with pytest.raises(StudentTimeout, match=r"loop\(\) was not run: it did not finish within 3 s in an earlier test"):
        student.function(HOSTILE, "loop")()


def test_a_timeout_refuses_the_method_of_objects_made_by_the_same_code_only(student):
    """Objects of one class name from two functions (as two that each return an nn.Sequential):
    after one's method timed out, the other's still runs; the first one's is refused at once."""
    with pytest.raises(StudentTimeout, match=r"did not finish within 3 s"):
        student.function(HOSTILE, "endless_runner")().call("run")
    assert student.function(HOSTILE, "quick_runner")().call("run") == 1
    with pytest.raises(StudentTimeout, match=r"was not run: it did not finish within 3 s in an earlier test"):
        student.function(HOSTILE, "endless_runner")().call("run")


def test_garbage_on_the_protocol_pipe_is_a_crash(student):
    with pytest.raises(StudentCrash, match="broke the connection to the grader"):
        student.function(HOSTILE, "corrupt_protocol")()
    assert student.function(BASICS, "add")(1, 2) == 3


def test_total_budget_stops_a_slow_submission(submission):
    with fresh(submission, "none", call_timeout=1.0, total_timeout=1.6) as code:
        with pytest.raises(StudentTimeout, match="did not finish within 1 s"):
            code.function(HOSTILE, "loop")()
        with pytest.raises(StudentTimeout, match="used up its total time budget of 1.6 s"):
            code.function(HOSTILE, "sleep")(60)
        with pytest.raises(StudentTimeout, match="was not run: the submission used up"):
            code.function(BASICS, "add")(1, 2)


def test_oversized_answer_is_refused(submission):
    with fresh(submission, "none", max_response_bytes=2**20) as code:
        with pytest.raises(StudentCrash, match=r"big_answer\(\) broke the connection to the grader "
                                               r"\(array in message too large\)"):
            code.function(HOSTILE, "big_answer")()


@pytest.mark.parametrize("level", ["none", "bwrap"])
def test_printing_a_gigabyte_keeps_the_grader_small(submission, level):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with fresh(submission, level, call_timeout=60) as code:
        started = time.monotonic()
        assert code.function(HOSTILE, "print_flood")(1024) == 1024
        elapsed = time.monotonic() - started
        output = code.output()
        dropped = code.worker.output.dropped
    assert dropped >= 2**30  # it was all read (the worker was not blocked), and thrown away
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50, f"grader grew by {grown_mb:.0f} MB"
    assert output.startswith("x" * 100) and len(output) < 9000 and "more bytes of output not kept" in output
    print(f"1 GiB printed at isolation {level}: {elapsed:.1f} s, grader grew {grown_mb:.0f} MB")


# ---- confinement -------------------------------------------------------------

@pytest.mark.parametrize("level", CONFINED)
def test_50_gb_allocation_fails(submission, level):
    with fresh(submission, level) as code:
        with pytest.raises(StudentCodeError) as error:
            code.function(HOSTILE, "allocate_50_gb")()
        assert "Unable to allocate" in str(error.value) or isinstance(error.value, StudentCrash)


def hidden_paths(tmp_path):
    other = tmp_path / "other_submission"
    other.mkdir()
    (other / "secret.txt").write_text("another student's work")
    return [str(REPO / "autograder/suites/conftest.py"), str(REPO / "autograder/suites"),
            str(REPO / "source"), str(REPO / "autograder/testkit/checks.py"), str(REPO / ".git"),
            str(other / "secret.txt"), "/etc/shadow"]


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_hidden_tests_reference_and_other_submissions_are_unreadable(submission, tmp_path, level):
    paths = hidden_paths(tmp_path)
    with fresh(submission, level) as code:
        outcome = code.function(HOSTILE, "read_paths")(paths)
    if level == "none":  # control: unconfined code reads them all, so the check can see a leak
        assert outcome[paths[0]] == "read" and outcome[paths[5]] == "read"
    else:
        assert set(outcome.values()) <= {"FileNotFoundError", "PermissionError"}, outcome


@pytest.mark.parametrize("level", CONFINED)
def test_a_worker_cannot_read_the_submission_of_a_concurrent_one(submission, level):
    with fresh(submission, level) as one, fresh(submission, level) as other:
        other.function(BASICS, "add")(1, 2)  # started, so its copy exists
        theirs = os.path.join(other.launch.submission_dir, "cs231n", "basics.py")
        mine = os.path.join("cs231n", "basics.py")  # relative to its own working directory
        outcome = one.function(HOSTILE, "read_paths")([theirs, mine])
    assert outcome[mine] == "read", outcome  # control: the check reads what is readable
    assert outcome[theirs] in ("PermissionError", "FileNotFoundError"), outcome


@pytest.mark.parametrize("level", CONFINED)
def test_writes_outside_a_private_tmp_fail(submission, tmp_path, level):
    results = tmp_path / "results"
    results.mkdir()
    targets = ["submitted_file.txt", str(Path(submission) / "cs231n" / "injected.py"),
               str(results / "results.json"), str(REPO / "hostile_marker.txt")]
    with fresh(submission, level) as code:
        scratch = code.function(HOSTILE, "private_tmp_file")()
        outcome = code.function(HOSTILE, "write_paths")(targets + [scratch])
    assert outcome[scratch] == "written", outcome  # control: writing works where it is allowed
    assert all(outcome[t] in ("PermissionError", "OSError", "FileNotFoundError") for t in targets), outcome
    assert not (results / "results.json").exists() and not (REPO / "hostile_marker.txt").exists()
    assert not (Path(submission) / "submitted_file.txt").exists()


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_network_connection_to_the_grader_host_fails(submission, level):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with fresh(submission, level) as code:
            outcome = code.function(HOSTILE, "connect")(listener.getsockname()[1])
    if level == "none":  # control: unconfined code connects, so the check can see a leak
        assert outcome == "connected"
    else:
        # The seccomp filter refuses the socket itself (rlimits has no network namespace).
        assert outcome == "PermissionError", outcome


@pytest.mark.parametrize("level", CONFINED)
def test_background_process_is_killed_on_close(submission, level):
    code = fresh(submission, level)
    assert code.function(HOSTILE, "start_daemon")() is True
    uid = code.launch.slot.uid
    time.sleep(0.2)
    assert len(processes_of(uid)) >= 2  # the worker and the daemon that escaped its session
    code.close()
    assert processes_of(uid) == []


@pytest.mark.parametrize("level", CONFINED)
def test_fork_bomb_is_contained(submission, level):
    code = fresh(submission, level, processes=16, call_timeout=10)
    try:
        forks, refused = code.function(HOSTILE, "fork_bomb")(1.0)
        uid = code.launch.slot.uid
        running = processes_of(uid)
        assert refused > 0 and forks < 16, (forks, refused)
        assert 1 < len(running) <= 16, (forks, refused, running)
        assert subprocess.run(["true"]).returncode == 0  # the grader can still start processes
        assert code.function(BASICS, "add")(1, 2) == 3
    finally:
        code.close()
    assert processes_of(uid) == []


# ---- levels and start-up --------------------------------------------------

def test_auto_picks_the_strongest_level_available(submission):
    expected = "bwrap" if not isolation.bwrap_problem() else "rlimits" if not isolation.rlimits_problem() else "none"
    with RemoteCode(submission, isolation="auto") as code:
        assert code.isolation == expected


def test_rlimits_level_warns_loudly(monkeypatch, capsys):
    needs("rlimits")
    monkeypatch.setattr(isolation, "_warned", set())
    assert isolation.choose("rlimits") is isolation.RlimitsLaunch
    err = capsys.readouterr().err
    assert "WARNING" in err and "WITHOUT namespaces" in err
    isolation.choose("rlimits")
    assert capsys.readouterr().err == ""


def test_unknown_level_and_missing_folder_are_errors(tmp_path):
    with pytest.raises(ValueError, match="isolation must be one of"):
        RemoteCode(tmp_path, isolation="docker")
    with pytest.raises(FileNotFoundError):
        RemoteCode(tmp_path / "absent")
    assert issubclass(SandboxError, RuntimeError) and not issubclass(SandboxError, StudentCodeError)


def test_a_worker_that_cannot_start_is_a_grader_error_with_its_output(submission):
    with RemoteCode(submission, isolation="none", python="/nonexistent/python3") as code:
        with pytest.raises(SandboxError, match="did not start .*nonexistent/python3"):
            code.function(BASICS, "add")(1, 2)


def test_calls_after_close_fail_cleanly(submission):
    code = RemoteCode(submission, isolation="none")
    assert code.function(BASICS, "add")(1, 2) == 3
    code.close()
    with pytest.raises(StudentCodeError, match="worker was closed"):
        code.function(BASICS, "add")(1, 2)


# ---- the hostile submission factory (tests/hostile_submissions.py) ----------

GOOD_KNN = """
import numpy as np


class KNearestNeighbor:
    def __init__(self):
        pass

    def train(self, X, y):
        self.X_train, self.y_train = X, y

    def compute_distances_no_loops(self, X):
        squared = (X**2).sum(1)[:, None] + (self.X_train**2).sum(1)[None, :] - 2 * X @ self.X_train.T
        return np.sqrt(np.maximum(squared, 0))

    def predict_labels(self, dists, k=1):
        nearest = self.y_train[np.argsort(dists, axis=1)[:, :k]]
        return np.array([np.bincount(row).argmax() for row in nearest])
"""

KNN_MODULE = "cs231n.classifiers.k_nearest_neighbor"


@pytest.fixture(scope="module")
def good_knn_submission(tmp_path_factory):
    return write_package(tmp_path_factory.mktemp("good_knn"), {
        "cs231n/__init__.py": "", "cs231n/classifiers/__init__.py": "",
        "cs231n/classifiers/k_nearest_neighbor.py": GOOD_KNN,
        "knn.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'})


def knn_checks(code):
    """A miniature kNN suite: (passed, failure messages) over three checks."""
    rng = np.random.default_rng(0)
    X_train, y_train, X = rng.standard_normal((20, 5)), rng.integers(0, 3, 20), rng.standard_normal((4, 5))
    expected = np.sqrt(((X[:, None, :] - X_train[None, :, :]) ** 2).sum(2))
    labels = y_train[expected.argmin(1)]
    passed, failures = 0, []
    try:
        knn = code.new(KNN_MODULE, "KNearestNeighbor")
        knn.call("train", X_train, y_train)
    except (StudentCodeError, CheckFailed) as error:
        return 0, [str(error)] * 3
    for check in range(3):
        try:
            if check < 2:
                assert_close(knn.call("compute_distances_no_loops", X), expected, "dists")
            else:
                assert_equal_labels(knn.call("predict_labels", expected, k=1), labels, "y_pred")
            passed += 1
        except (StudentCodeError, CheckFailed) as error:
            failures.append(str(error))
    return passed, failures


def test_the_good_knn_submission_passes_the_miniature_suite(good_knn_submission):
    needs("bwrap")
    with RemoteCode(good_knn_submission, isolation="bwrap") as code:
        assert knn_checks(code) == (3, [])


CODE_KINDS = [h for h in hostile_submissions.HOSTILE_KINDS
              if h.outcome in ("knn_zero", "same_as_good") or h.outcome.startswith("same_as:")]


SLOW_KINDS = {"print_flood", "state_steal", "children_memory", "memfd_hoard", "tmp_inodes", "spinners"}


def run_knn_checks(kind, good, dest):
    """(passed, failures, uid) of the miniature suite on hostile submission `kind`."""
    path = hostile_submissions.make_hostile(kind, good, dest)
    # Short timeouts keep infinite_loop quick; some attacks take a few seconds at import.
    call_timeout, total_timeout = (20.0, 120.0) if kind in SLOW_KINDS else (2.0, 30.0)
    with RemoteCode(path, isolation="bwrap", call_timeout=call_timeout, total_timeout=total_timeout) as code:
        passed, failures = knn_checks(code)
        return passed, failures, code.launch.slot.uid


@pytest.mark.parametrize("hostile", CODE_KINDS, ids=[h.kind for h in CODE_KINDS])
def test_hostile_kind_has_its_declared_outcome_under_bwrap(hostile, good_knn_submission, tmp_path):
    needs("bwrap")
    passed, failures, uid = run_knn_checks(hostile.kind, good_knn_submission, tmp_path)
    if hostile.outcome == "same_as_good":
        assert (passed, failures) == (3, [])
    elif hostile.outcome.startswith("same_as:"):
        control = run_knn_checks(hostile.outcome.split(":")[1], good_knn_submission, tmp_path)
        assert (passed, failures) == control[:2] and passed < 3
    else:
        assert passed == 0 and all(re.search(hostile.message, f) for f in failures), failures
    # Only this worker's uid: other graders may be running on this machine.
    assert processes_of(uid) == []


def test_archive_kinds_are_built_as_declared(good_knn_submission, tmp_path):
    import zipfile
    for kind in ("zip_dotdot", "zip_absolute", "zip_symlink", "zip_bomb"):
        path = hostile_submissions.make_hostile(kind, good_knn_submission, tmp_path)
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            infos = archive.infolist()
        assert "cs231n/classifiers/__init__.py" in names
        if kind == "zip_dotdot":
            assert "../../escaped.py" in names
        elif kind == "zip_absolute":
            assert any(name.startswith("/") for name in names)
        elif kind == "zip_symlink":
            link = archive.getinfo(hostile_submissions.KNN)
            assert (link.external_attr >> 16) & 0o170000 == 0o120000
        else:
            bomb = [i for i in infos if i.filename == "cs231n/padding.bin"][0]
            assert bomb.file_size == 300 * 2**20 and bomb.compress_size < bomb.file_size / 200
    folder = hostile_submissions.make_hostile("symlink_to_reference", good_knn_submission, tmp_path)
    assert (folder / hostile_submissions.KNN).is_symlink()
    notebook = hostile_submissions.make_hostile("invalid_notebook", good_knn_submission, tmp_path)
    with pytest.raises(ValueError):
        json.loads((notebook / "knn.ipynb").read_text())


GRADER_THAT_DIES = """
import sys, time
from autograder.sandbox import RemoteCode
confined = sys.argv[2] != "none"
code = RemoteCode(sys.argv[1], isolation=sys.argv[2])
if confined:  # unconfined, a daemon would really outlive the test
    code.function("cs231n.hostile", "start_daemon")()
else:
    code.function("cs231n.basics", "add")(1, 2)
uid = code.launch.slot.uid if confined else -1
print(code.worker.popen.pid, uid, flush=True)
time.sleep(60)
"""


def is_running(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False


def wait_until(condition, seconds=5.0):
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_worker_dies_with_a_killed_grader(submission, level):
    needs(level)
    grader = subprocess.Popen([sys.executable, "-c", GRADER_THAT_DIES, str(submission), level],
                              stdout=subprocess.PIPE, text=True, cwd=REPO,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    worker_pid, uid = map(int, grader.stdout.readline().split())
    grader.kill()
    grader.wait()
    assert wait_until(lambda: not is_running(worker_pid))
    if level == "bwrap":  # the pid namespace takes the daemon with it
        assert wait_until(lambda: processes_of(uid) == [])
    if level == "rlimits":
        # Without a pid namespace the daemon outlives the grader, until its
        # uid is swept (when claimed again, or by sweep_unclaimed).
        assert processes_of(uid) != []
        assert uid in sweep_unclaimed()
    if uid >= 0:
        assert processes_of(uid) == []


# ---- kernel-side state: the seccomp filter (issue 12, finding 2) -------------------------

HEADERS = {"x86_64": "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
           "aarch64": "/usr/include/asm-generic/unistd.h"}


@pytest.mark.parametrize("arch", sorted(seccomp.ARCHES))
def test_seccomp_tables_match_the_kernel_headers(arch):
    header = Path(HEADERS[arch])
    if not header.exists():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    defined = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$", header.read_text(), re.M)}
    _, numbers = seccomp.ARCHES[arch]
    assert {name: defined.get(name) for name in numbers} == numbers


def run_bpf(program, nr, arch, args=(0,) * 6):
    """Evaluate a classic-BPF seccomp program on one system call (the kernel's semantics)."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *args)
    insns = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == seccomp.LD_W_ABS:
            acc = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif code == seccomp.RET_K:
            return k
        elif code in (seccomp.JEQ_K, seccomp.JGE_K, seccomp.JSET_K):
            taken = {seccomp.JEQ_K: acc == k, seccomp.JGE_K: acc >= k, seccomp.JSET_K: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")


@pytest.mark.parametrize("arch", sorted(seccomp.ARCHES))
def test_seccomp_program_refuses_exactly_the_deny_list(arch):
    audit, numbers = seccomp.ARCHES[arch]
    eperm, enosys = seccomp.RET_ERRNO | 1, seccomp.RET_ERRNO | 38
    for unix in (True, False):
        program = seccomp.program(unix_sockets=unix, arch=arch)
        assert len(program) // 8 < 4096   # the kernel's BPF_MAXINSNS
        for name in seccomp.denied_names():
            if name in numbers:
                assert run_bpf(program, numbers[name], audit) == eperm, name
        everyday = set(range(0, 460)) - {numbers[n] for n in seccomp.denied_names() if n in numbers} - {
            numbers["clone3"], numbers["socket"]}
        assert {nr for nr in everyday if run_bpf(program, nr, audit) != seccomp.RET_ALLOW} == set()
        assert run_bpf(program, numbers["clone3"], audit) == enosys
        assert run_bpf(program, numbers["clone"], audit, (0x01200011,) + (0,) * 5) == seccomp.RET_ALLOW  # fork()
        for flag in (0x10000000, 0x20000000, 0x40000000, 0x00020000, 0x08000000, 0x80):
            assert run_bpf(program, numbers["clone"], audit, (flag | 17,) + (0,) * 5) == eperm, hex(flag)
        assert run_bpf(program, numbers["socket"], audit, (2,) + (0,) * 5) == eperm           # AF_INET
        assert run_bpf(program, numbers["socket"], audit, (16,) + (0,) * 5) == eperm          # AF_NETLINK
        assert run_bpf(program, numbers["socket"], audit, (1,) + (0,) * 5) == (
            seccomp.RET_ALLOW if unix else eperm)
        other_arch = 0x40000003   # AUDIT_ARCH_I386: int 0x80 from a 64-bit process
        assert run_bpf(program, numbers["keyctl"], other_arch) == seccomp.RET_KILL_PROCESS
        if arch == "x86_64":
            assert run_bpf(program, 0x40000000 | 1, audit) == seccomp.RET_KILL_PROCESS    # x32


X86_ONLY = pytest.mark.skipif(os.uname().machine != "x86_64", reason="the student module's numbers are x86_64")
DENIED_IN_WORKER = ["add_key", "keyctl", "request_key", "shmget", "msgget", "semget", "mq_open", "unshare_user",
                    "setns", "mount", "process_vm_readv", "bpf", "perf_event_open", "userfaultfd",
                    "io_uring_setup", "kexec_load", "init_module", "clone_newuser"]


@X86_ONLY
@pytest.mark.parametrize("level", ALL_LEVELS)
def test_worker_runs_under_the_seccomp_filter(submission, level):
    with fresh(submission, level) as code:
        if level == "none":
            # Control, harmless calls only (this is root): the kernel allows them,
            # so refusals at the confined levels are the filter's.
            outcome = code.function(KERNEL, "syscalls")(["keyctl", "shmget", "mq_open"])
            assert outcome == {"keyctl": "ok", "shmget": "ENOENT", "mq_open": "ENOENT"}, outcome
            assert code.function(KERNEL, "ptrace_child")() == "ok"
            return
        outcome = code.function(KERNEL, "syscalls")(DENIED_IN_WORKER + ["clone3"])
        assert outcome == {**{name: "EPERM" for name in DENIED_IN_WORKER}, "clone3": "ENOSYS"}, outcome
        assert code.function(KERNEL, "ptrace_child")() == "EPERM"
        unix = "ok" if level == "bwrap" or isolation.landlock_abi() >= 6 else "EPERM"
        assert code.function(KERNEL, "sockets")() == {"inet": "EPERM", "inet6": "EPERM", "netlink": "EPERM",
                                                      "packet": "EPERM", "unix": unix, "socketpair": "ok"}
        # ...and what student code legitimately does still works.
        assert code.function(KERNEL, "everyday")() == (7, [1], 3, "abcd")


# ---- processes and abstract sockets (findings 1, 2) ---------------------------------------

@pytest.mark.parametrize("level", ALL_LEVELS)
def test_worker_cannot_read_the_graders_command_line(submission, level):
    needle = f"grader-marker-{os.getpid()}"
    grader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", needle])
    try:
        with fresh(submission, level) as code:
            found = code.function(KERNEL, "other_command_lines")(needle)
    finally:
        grader.kill()
        grader.wait()
    if level == "none":   # control: unconfined code finds it, so the check can see a leak
        assert found == [str(grader.pid)]
    else:                 # bwrap: another pid namespace; rlimits: Landlock closes /proc
        assert str(grader.pid) not in found, found


@pytest.mark.parametrize("level", CONFINED)
def test_an_abstract_socket_of_one_worker_is_unreachable_from_another(submission, level):
    name = f"ag-test-{os.getpid()}-{level}"
    with fresh(submission, level) as server, fresh(submission, level) as client:
        assert server.function(KERNEL, "serve_abstract")(name) is True
        outcome = client.function(KERNEL, "connect_abstract")(name)
        if level == "rlimits":
            # Control: the socket is there, in the host's namespace, for the grader...
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect("\0" + name)
                assert probe.recv(100) == b"secret"
            # ...but Landlock's scope (ABI 6) or the filter keeps the other worker out.
            assert outcome == "EPERM", outcome
        else:
            assert outcome == "ECONNREFUSED", outcome   # its own network namespace


@pytest.mark.parametrize("level", CONFINED)
def test_state_planted_by_one_submission_does_not_reach_the_next(good_knn_submission, tmp_path, level):
    needs(level)
    plant = hostile_submissions.make_hostile("state_plant", good_knn_submission, tmp_path)
    steal = hostile_submissions.make_hostile("state_steal", good_knn_submission, tmp_path)
    # Planted first and kept running (its daemon serves the abstract socket),
    # then a second submission looks everywhere for 8 s.
    with RemoteCode(plant, isolation=level, call_timeout=20) as planter:
        assert knn_checks(planter) == (3, [])
        with RemoteCode(steal, isolation=level, call_timeout=20) as stealer:
            passed, failures = knn_checks(stealer)
    assert passed == 0 and all("HOSTILE_BLANK: nothing to steal" in f for f in failures), failures
    assert not [p for p in ("/tmp/ag_hostile_state", "/var/tmp/ag_hostile_state", "/dev/shm/ag_hostile_state")
                if os.path.exists(p)]


# ---- cgroups and the private /tmp (finding 3) ------------------------------------------

def needs_cgroups():
    support = isolation.cgroup_support()
    if not support.version:
        pytest.skip(f"no cgroups here: {support.problem}")
    return support


def cgroup_value(group, controller, name):
    with open(os.path.join(group._dir(controller), name)) as f:
        return f.read().strip()


@pytest.mark.parametrize("level", CONFINED)
def test_worker_runs_in_a_cgroup_of_its_own_that_close_removes(submission, level):
    support = needs_cgroups()
    with fresh(submission, level, memory_bytes=3 * 2**30, processes=48, threads=2) as code:
        code.function(BASICS, "add")(1, 2)
        group = code.launch.group
        assert code.worker.popen.pid in group.pids()
        if support.version == 1:
            assert cgroup_value(group, "memory", "memory.limit_in_bytes") == str(3 * 2**30)
            if support.swap:
                assert cgroup_value(group, "memory", "memory.memsw.limit_in_bytes") == str(3 * 2**30)
            assert cgroup_value(group, "cpu", "cpu.cfs_quota_us") == str(2 * cgroups.CPU_PERIOD_US)
        else:
            assert cgroup_value(group, "memory", "memory.max") == str(3 * 2**30)
            assert cgroup_value(group, "cpu", "cpu.max") == f"{2 * cgroups.CPU_PERIOD_US} {cgroups.CPU_PERIOD_US}"
        assert cgroup_value(group, "pids", "pids.max") == "48"
        paths = list(group.paths)
    assert [p for p in paths if os.path.exists(p)] == []


@pytest.mark.parametrize("level", CONFINED)
def test_memory_limit_counts_memfds_and_children(submission, level):
    needs_cgroups()
    with fresh(submission, level, memory_bytes=512 * 2**20, call_timeout=60) as code:
        # Never mapped, so RLIMIT_AS would not see it; the cgroup does (its writer is killed).
        assert code.function(KERNEL, "memfd_mib")(1024) < 512
        # Three children of 200 MiB each are fine alone, not together (under 512 MiB).
        assert code.function(KERNEL, "children_mib")(3, 200) < 3
        assert code.function(BASICS, "add")(1, 2) == 3   # the worker itself survived
        assert code.launch.group.memory_peak() <= 512 * 2**20


@pytest.mark.parametrize("level", CONFINED)
def test_cpu_quota_keeps_spinning_children_to_the_workers_share(submission, level):
    needs_cgroups()
    with fresh(submission, level, threads=1, call_timeout=30) as spinner, fresh(submission, level) as neighbour:
        neighbour.function(BASICS, "add")(1, 2)
        alone = min(neighbour.function(KERNEL, "busy_loop")(2_000_000) for _ in range(2))
        spinner_box = {}
        thread = __import__("threading").Thread(
            target=lambda: spinner_box.setdefault("cores", spinner.function(KERNEL, "spin_cores")(8, 3.0)))
        thread.start()
        time.sleep(0.5)
        crowded = neighbour.function(KERNEL, "busy_loop")(2_000_000)
        thread.join()
    cores = spinner_box["cores"]
    print(f"{level}: 8 spinners got {cores:.2f} cores; a neighbour's loop took {alone:.2f} s alone, "
          f"{crowded:.2f} s beside them ({crowded / alone:.1f}x; other people's jobs load this machine too)")
    assert cores < 1.25, cores   # the quota: 1 core, whatever the number of processes


@pytest.mark.parametrize("level", CONFINED)
def test_timeout_kills_the_whole_cgroup(submission, level):
    needs_cgroups()
    with fresh(submission, level, call_timeout=2.0) as code:
        with pytest.raises(StudentTimeout):
            code.function(KERNEL, "daemon_then_loop")()
        assert code.launch.group.pids() == []        # the worker and the daemon it left
        assert processes_of(code.launch.slot.uid) == []
        assert code.function(BASICS, "add")(1, 2) == 3   # a fresh worker, in the same group


def test_private_tmp_has_a_size_and_an_inode_limit(submission):
    needs("bwrap")
    with fresh(submission, "bwrap", tmp_inodes=500, tmp_bytes=4 * 2**20, call_timeout=20) as code:
        made, refused_files, refused_bytes = code.function(KERNEL, "fill_tmp")(5000, 8 * 2**20)
    assert 400 < made < 500 and refused_files == "ENOSPC", (made, refused_files)
    assert refused_bytes == "ENOSPC"


def test_a_stale_cgroup_is_emptied_and_replaced(tmp_path):
    support = needs_cgroups()
    stale = cgroups.Group(support, f"test-stale-{os.getpid()}", memory_bytes=2**30)
    sleeper = subprocess.Popen(stale.join_argv() + ["sleep", "60"])
    assert wait_until(lambda: stale.pids() == [sleeper.pid])
    fresh_group = cgroups.Group(support, f"test-stale-{os.getpid()}", memory_bytes=2**30)  # a dead grader's name
    try:
        assert sleeper.wait(5) == -signal.SIGKILL
        assert fresh_group.pids() == [] and all(os.path.isdir(p) for p in fresh_group.paths)
    finally:
        fresh_group.remove()
    assert not any(os.path.exists(p) for p in fresh_group.paths)


def test_cgroup_v2_limits_are_written_where_the_kernel_reads_them(tmp_path):
    # No writable cgroup v2 here (this machine has v1); a folder stands in for one.
    base = tmp_path / "base"
    base.mkdir()
    group = cgroups.Group(cgroups.Support(2, (str(base),)), "worker-1", memory_bytes=2**30, pids=32, cpus=1.5)
    folder = Path(group.paths[0])
    assert folder == base / "ag-worker-1"
    assert (folder / "memory.max").read_text() == str(2**30)
    assert (folder / "pids.max").read_text() == "32"
    assert (folder / "cpu.max").read_text() == f"150000 {cgroups.CPU_PERIOD_US}"
    assert group.join_argv()[-2:] == [str(folder / "cgroup.procs"), "--"]


def test_cgroup_detection_reads_v1_v2_and_container_mounts(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("detection needs root")
    v2 = tmp_path / "unified"
    (v2 / "grading").mkdir(parents=True)
    (v2 / "grading" / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (v2 / "grading" / "cgroup.subtree_control").write_text("cpu memory pids\n")
    found = cgroups.detect(mounts=[(str(v2), "/", "cgroup2", "rw")], own={"": "/grading/ag-trusted-1-0"})
    assert found.version == 2 and found.bases == (str(v2 / "grading"),)   # our own ag-* level stripped
    missing = cgroups.detect(mounts=[(str(v2), "/", "cgroup2", "rw")], own={"": "/"})
    assert missing.version is None and "cgroup.controllers" in missing.problem
    # v1 in a container: the mount's root is the container's own cgroup.
    v1 = {c: tmp_path / c for c in ("memory", "pids", "cpu")}
    for folder in v1.values():
        folder.mkdir()
    mounts = [(str(v1[c]), "/docker/abc", "cgroup", f"rw,{c}") for c in v1]
    found = cgroups.detect(mounts=mounts, own={c: "/docker/abc" for c in v1})
    assert found.version == 1 and found.bases == tuple(str(v1[c]) for c in ("memory", "pids", "cpu"))
    assert cgroups.detect(mounts=[], own={}).problem == "no cgroup file system is mounted"


# ---- the start-up probe (finding 1) -------------------------------------------------------

@pytest.fixture
def world_readable_secret():
    """A folder anyone may read, as Gradescope's setup left the source tree."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-test-secret-"))
    os.chmod(folder, 0o755)
    (folder / "test_hidden.py").write_text("HIDDEN = 1\n")
    os.chmod(folder / "test_hidden.py", 0o644)
    yield folder
    shutil.rmtree(folder)


def test_probe_refuses_rlimits_without_landlock_where_a_protected_path_is_readable(
        monkeypatch, world_readable_secret):
    needs("rlimits")
    protected = (str(world_readable_secret), str(world_readable_secret / "test_hidden.py"))
    isolation.probe.cache_clear()
    try:
        if isolation.landlock_abi():   # Landlock closes it whatever its mode says
            assert isolation.probe("rlimits", sys.executable, protected)[0] is None
        monkeypatch.setattr(isolation, "landlock_abi", lambda: 0)
        isolation.probe.cache_clear()
        problem = isolation.probe("rlimits", sys.executable, protected)[0]
        assert problem and f"can read {protected[0]}, {protected[1]}:" in problem, problem
        os.chmod(world_readable_secret, 0o700)   # what setup.sh does for the source tree
        isolation.probe.cache_clear()
        assert isolation.probe("rlimits", sys.executable, protected)[0] is None
        # This checkout is world-readable: without Landlock, rlimits is refused for it.
        isolation.probe.cache_clear()
        with pytest.raises(SandboxError, match="can read .*suites"):
            isolation.choose("rlimits")
    finally:
        isolation.probe.cache_clear()


def test_probe_reports_what_the_worker_gets(submission):
    for level in CONFINED:
        if level_problem(level):
            continue
        problem, report = isolation.probe(level, sys.executable, isolation.protected_paths())
        assert problem is None
        assert report["uid"] >= isolation.FIRST_UID and report["seccomp"] is True
        assert report["keyring"] == report["sysv_ipc"] == report["socket_inet"] == "Operation not permitted"
        assert report["readable"] == [] and report["grader_visible"] is False


def test_auto_never_runs_student_code_unconfined_as_root(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("only root could confine")
    monkeypatch.setattr(isolation, "level_problem", lambda level, python=None: f"{level} broken")
    with pytest.raises(SandboxError, match="no sandbox works here"):
        isolation.choose("auto")


# ---- limits in words, trusted limits, torch ------------------------------------------------

@pytest.mark.parametrize("level", CONFINED)
def test_limits_summary_names_every_limit(level):
    needs(level)
    text = limits_summary(level, isolation.Limits(memory_bytes=3 * 2**30, processes=40, threads=2,
                                                  tmp_bytes=64 * 2**20, tmp_inodes=1000))
    support = isolation.cgroup_support()
    assert text.startswith(f"sandbox: isolation {level}")
    assert support.describe() in text and "3 GiB per worker" in text
    assert "40 processes" in text and "2 core(s) (quota)" in text
    assert "seccomp:    on" in text and "trusted pytest:" in text
    if level == "bwrap":
        assert "tmpfs of 64 MiB and 1000 inodes" in text and "processes yes (pid namespace)" in text
    else:
        assert "NO size or inode limit" in text and "landlock:" in text


def test_the_summary_shows_an_assignments_own_sandbox_settings():
    from autograder.sandbox.summary import worker_limits
    from course import Sandbox
    limits = worker_limits(Sandbox(memory_mb=1536, processes=40, threads=2, budget_s=100))
    assert (limits.memory_bytes, limits.processes, limits.threads, limits.cpu_seconds) == (1536 * 2**20, 40, 2, 160)
    needs("bwrap")
    text = limits_summary("bwrap", limits)
    assert "1.5 GiB per worker" in text and "40 processes" in text and "2 core(s) (quota)" in text
    assert "160 s of CPU time" in text


def test_without_cgroups_the_summary_and_a_warning_say_so(monkeypatch, capsys):
    needs("bwrap")
    monkeypatch.setattr(isolation, "cgroup_support", lambda: cgroups.Support(problem="read-only mount"))
    monkeypatch.setattr(isolation, "_warned", set())
    text = limits_summary("bwrap")
    assert "no cgroups (read-only mount)" in text and "ONLY (RLIMIT_AS)" in text
    err = capsys.readouterr().err
    assert "WARNING" in err and "no cgroups (read-only mount)" in err


def test_trusted_process_runs_under_limits_of_its_own():
    needs_cgroups()
    hog = "b = bytearray(512 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('held')"
    with trusted_limits(TrustedLimits(memory_bytes=256 * 2**20, pids=64, cpus=1)) as limits:
        prefix = limits.argv
        where = subprocess.run(prefix + ["cat", "/proc/self/cgroup"], capture_output=True, text=True).stdout
        killed = subprocess.run(prefix + [sys.executable, "-c", hog], capture_output=True, text=True)
        name = [line.rsplit("/", 1)[1] for line in where.splitlines() if ":memory:" in line or line.startswith("0::")][0]
    assert name.startswith("ag-trusted-"), where
    assert killed.returncode == -signal.SIGKILL and "held" not in killed.stdout
    support = isolation.cgroup_support()
    assert not any(os.path.exists(os.path.join(base, name)) for base in support.bases)


def test_run_suite_starts_pytest_under_the_trusted_limits(tmp_path):
    needs_cgroups()
    from autograder.grading.run_suite import _run_pytest
    log = tmp_path / "log"
    with open(log, "wb") as out:
        returncode, _ = _run_pytest(["cat", "/proc/self/cgroup"], dict(os.environ), 30, out)
    assert returncode == 0 and "/ag-trusted-" in log.read_text()


# Written to fd 1 (the log): sys.stdout is this test run's capture, inherited by the fork.
FORKED_PYTEST_PROBE = """
import os

def test_where_am_i():
    os.write(1, open("/proc/self/cgroup", "rb").read())

def test_hog():
    b = bytearray(512 * 2**20)
    b[::4096] = b"x" * len(b[::4096])
    os.write(1, b"held")
"""


def run_forked_pytest(monkeypatch, tmp_path, selected, limits):
    """_run_pytest as a grading zygote's child runs it (pytest forked, not exec'd)."""
    import functools
    from autograder.grading import run_suite
    (tmp_path / "test_probe.py").write_text(FORKED_PYTEST_PROBE)
    monkeypatch.setattr(run_suite, "FORK_PYTEST", True)
    monkeypatch.setattr(run_suite, "trusted_limits", functools.partial(trusted_limits, limits))
    log = tmp_path / "log"
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
               f"{tmp_path / 'test_probe.py'}::{selected}"]
    with open(log, "wb") as out:
        returncode, _ = run_suite._run_pytest(command, dict(os.environ), 60, out)
    return returncode, log.read_text(errors="replace")


def test_a_forked_pytest_joins_the_trusted_cgroup_and_its_limit_holds(monkeypatch, tmp_path):
    support = needs_cgroups()
    limits = TrustedLimits(memory_bytes=256 * 2**20, pids=64, cpus=1)
    returncode, log = run_forked_pytest(monkeypatch, tmp_path, "test_where_am_i", limits)
    assert returncode == 0 and "/ag-trusted-" in log, log
    returncode, log = run_forked_pytest(monkeypatch, tmp_path, "test_hog", limits)
    assert returncode == -signal.SIGKILL and "held" not in log, (returncode, log)
    assert not [n for base in support.bases for n in os.listdir(base) if n.startswith(f"ag-trusted-{os.getpid()}-")]


def test_without_cgroups_a_forked_trusted_process_gets_an_address_space_limit():
    from autograder.sandbox.trusted import Confinement
    limits = TrustedLimits(memory_bytes=2**30)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            Confinement(limits, None).enter()
            os.write(write_end, str(resource.getrlimit(resource.RLIMIT_AS)[0]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    assert int(os.read(read_end, 64)) == limits.address_space_bytes
    os.close(read_end)
    assert Confinement(limits, None).argv[-2:] == [f"--as={limits.address_space_bytes}", "--"]


@pytest.mark.parametrize("level", CONFINED)
def test_torch_imports_and_trains_in_the_worker(submission, level):
    pytest.importorskip("torch")
    needs(level)
    started = time.monotonic()
    with fresh(submission, level, call_timeout=120) as code:
        code.function(BASICS, "add")(1, 2)
        ready = time.monotonic() - started
        result = code.function(KERNEL, "torch_check")()
        peak = code.launch.group.memory_peak() if code.launch.group else None
    print(f"{level}: worker ready in {ready:.2f} s; import torch {result['import_s']:.2f} s, "
          f"VmHWM {result['rss_mib']:.0f} MiB, VmPeak {result['vm_peak_mib']:.0f} MiB, "
          f"cgroup peak {peak / 2**20 if peak else float('nan'):.0f} MiB (machine load {os.getloadavg()[0]:.1f})")
    assert result["threads"] == 1 and result["grad_shape"] == [8, 3, 3, 3]
    assert result["vm_peak_mib"] * 2**20 < isolation.Limits().address_space_bytes
