"""One running worker: start it, exchange messages with it, kill it.

`WorkerProcess` owns the child process and its three pipes (requests,
responses, student output). The confinement itself is described by a
`Launch` (see isolation.py); this module only knows how to run one and how to
tear it down completely.
"""
import fcntl
import os
import signal
import subprocess

from autograder.testkit import wire

from .channel import DeadlineReader, DeadlineWriter, OutputCapture


class WorkerProcess:
    """A started worker. `request()` sends one request and returns its response."""

    def __init__(self, launch, output_keep=8192):
        self.launch = launch
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        for fd in (request_w, response_w):
            _widen(fd)
        output_r, output_w = os.pipe()
        argv = launch.argv(request_r, response_w)
        try:
            self.popen = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=output_w, stderr=output_w,
                pass_fds=(request_r, response_w), env=launch.env, cwd=launch.cwd,
                start_new_session=True, close_fds=True)
        finally:
            for fd in (request_r, response_w, output_w):
                os.close(fd)
        self.requests = DeadlineWriter(request_w)
        self.responses = DeadlineReader(response_r)
        self.output = OutputCapture(output_r, keep=output_keep)
        self.killed = False

    def wait_ready(self, deadline):
        """Wait for the worker's first message; raises like `receive`."""
        header, _ = self.receive(deadline, max_bytes=1 << 16)
        if header.get("status") != "ready":
            raise wire.WireError("the worker did not start properly")

    def send(self, header, arrays, deadline):
        self.requests.arm(deadline)
        wire.write_message(self.requests, header, arrays)

    def receive(self, deadline, max_bytes):
        """Read one message. TimeoutError, EOFError or WireError when that fails."""
        self.responses.arm(deadline, max_bytes)
        return wire.read_message(self.responses, max_array_bytes=max_bytes)

    def exit_description(self, wait=1.0):
        """After EOF: how the worker ended, in words ("exited with status 0")."""
        try:
            code = self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        code = self.launch.exit_signal(code)
        if code < 0:
            return f"was killed by {_signal_name(-code)}{_SIGNAL_HINTS.get(-code, '')}"
        return f"exited with status {code}"

    def kill(self):
        """Kill the worker and everything it started; safe to call twice."""
        if not self.killed:
            self.killed = True
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.launch.kill_leftovers()
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                pass
            for fd in (self.requests.fd, self.responses.fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.output.join(1.0)

    def alive(self):
        return not self.killed and self.popen.poll() is None


def _widen(fd, size=1 << 20):
    """Larger pipe buffers: fewer wake-ups per megabyte of arrays (best effort)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except OSError:
        pass


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SIGNAL_HINTS = {
    signal.SIGKILL: " (out of memory, or stopped by the grader)",
    signal.SIGXCPU: " (it used up its CPU time limit)",
    signal.SIGXFSZ: " (it wrote a file larger than allowed)",
    signal.SIGSEGV: " (segmentation fault)",
    signal.SIGABRT: " (aborted)",
}

