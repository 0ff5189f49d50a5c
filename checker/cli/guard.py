"""What the process's surroundings can do to a run: a standard stream that can no longer be
written (a full disk, an I/O error), and SIGTERM. main turns each into its exit code."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO, cast


class StreamError(Exception):
    """Writing to standard output or standard error failed (exit 74)."""

    def __init__(self, name: str, error: OSError, stream: TextIO) -> None:
        super().__init__(f"cannot write to {name}: {error.strerror or error}")
        self.stream = stream


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so that what the run made is removed on the way out (exit 143)."""


class _Guarded:
    """A text stream whose failed writes raise StreamError naming it; a closed pipe stays a
    BrokenPipeError (exit 141)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise StreamError(self._name, e, self._stream) from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise StreamError(self._name, e, self._stream) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guarded(stream: TextIO, name: str) -> TextIO:
    return cast(TextIO, _Guarded(stream, name))


@contextmanager
def sigterm_unwinds(owner: bool) -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread (once: a second SIGTERM ends the process at
    once); the handler before is restored on the way out. Only when gicheck `owner`s the process:
    a program calling main (a test runner) keeps SIGTERM's meaning for itself."""
    if not owner or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    before = signal.signal(signal.SIGTERM, handler)
    try:
        with _solver_stops():
            yield
    finally:
        signal.signal(signal.SIGTERM, before)


@contextmanager
def _solver_stops() -> Iterator[None]:
    """A Python signal handler runs only between bytecodes, not while a solver query runs in C:
    a thread woken by the signal (through the wakeup fd) stops the query, so the handler runs."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        before = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except ValueError:
        before = -1
    if before != -1:  # someone else (an event loop) listens there: leave it to them
        signal.set_wakeup_fd(before)
        os.close(read)
        os.close(write)
        yield
        return
    watcher = threading.Thread(target=_watch, args=(read,), daemon=True, name="gicheck-sigterm")
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(-1)
        os.close(write)
        watcher.join()
        os.close(read)


def _watch(fd: int) -> None:
    while data := os.read(fd, 64):
        limits = sys.modules.get("checker.smt.limits")  # not loaded: no query can be running
        if signal.SIGTERM in data and limits is not None:
            limits.interrupt()
