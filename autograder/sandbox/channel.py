"""Pipes between the grader and its worker, read and written against a deadline.

The grader never blocks on the worker without a deadline: a worker stuck in
an infinite loop, or one that writes half a message and stops, must turn into
a timeout rather than a hung grader. `DeadlineReader` and `DeadlineWriter`
look like the binary streams `wire.read_message` / `wire.write_message`
expect, but every read and write polls the pipe until the deadline set for
the current call.

`OutputCapture` drains the worker's stdout/stderr on a background thread,
keeps the first few kilobytes and throws the rest away, so a submission that
prints a gigabyte neither fills the grader's memory nor blocks on a full pipe.
"""
import os
import select
import threading
import time

from autograder.testkit import wire

CHUNK = 1 << 20


class DeadlineReader:
    """Binary-stream view of a pipe's read end, with a deadline and a byte budget."""

    def __init__(self, fd):
        self.fd = fd
        self.deadline = None
        self.budget = None

    def arm(self, deadline, max_bytes):
        """Start a message: reads fail after `deadline` (time.monotonic) or past `max_bytes`."""
        self.deadline = deadline
        self.budget = max_bytes

    def read(self, n):
        if self.budget is not None and n > self.budget:
            raise wire.WireError("the worker's answer is larger than allowed")
        _wait(self.fd, select.POLLIN, self.deadline)
        data = os.read(self.fd, min(n, CHUNK))
        if self.budget is not None:
            self.budget -= len(data)
        return data


class DeadlineWriter:
    """Binary-stream view of a pipe's write end, with a deadline."""

    def __init__(self, fd):
        self.fd = fd
        self.deadline = None
        os.set_blocking(fd, False)

    def arm(self, deadline):
        self.deadline = deadline

    def write(self, data):
        view = memoryview(data)
        while view:
            _wait(self.fd, select.POLLOUT, self.deadline)
            try:
                sent = os.write(self.fd, view[:CHUNK])
            except BlockingIOError:
                continue
            view = view[sent:]
        return len(data)

    def flush(self):
        pass


def _wait(fd, event, deadline):
    """Block until `fd` is ready for `event`; TimeoutError once `deadline` passes."""
    poller = select.poll()
    poller.register(fd, event)
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError
        ready = poller.poll(None if remaining is None else max(1, int(remaining * 1000)))
        if not ready:
            continue
        _, revents = ready[0]
        # POLLHUP/POLLERR without the wanted event: the other end is gone.
        # A read then returns b"" (EOF) and a write raises BrokenPipeError,
        # which the callers turn into a crash report.
        return revents


class OutputCapture:
    """Reads a pipe until EOF on a daemon thread, keeping only the first `keep` bytes."""

    def __init__(self, fd, keep=8192):
        self.fd = fd
        self.keep = keep
        self.kept = bytearray()
        self.dropped = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._drain, name="sandbox-output", daemon=True)
        self.thread.start()

    def _drain(self):
        try:
            while True:
                data = os.read(self.fd, 65536)
                if not data:
                    break
                with self.lock:
                    room = self.keep - len(self.kept)
                    self.kept += data[:max(room, 0)]
                    self.dropped += max(len(data) - max(room, 0), 0)
        finally:
            os.close(self.fd)

    def text(self):
        """What the worker printed so far (truncated, with a note when it was)."""
        with self.lock:
            text = self.kept.decode("utf-8", errors="replace")
            if self.dropped:
                text += f"\n[... {self.dropped} more bytes of output not kept]\n"
            return text

    def join(self, timeout):
        self.thread.join(timeout)
