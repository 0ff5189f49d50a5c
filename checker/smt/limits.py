"""The solver's memory limit, its time limit held to, and stopping a query from another thread.

Z3's limit (the global parameter memory_max_size) counts every allocation of the process's
contexts, terms included, and a term built past it is an error outside any query: so the limit
is set for each check only, and lifted after it. A check that runs out answers unknown, or
raises; both become the reason `memory limit (N MB)`.

Z3 does not always stop at its own `timeout`: a query can run on for many minutes in a step that
never looks at the clock. So a check with a time limit also has a watchdog thread, which
interrupts it once the limit is passed by its grace (the answer is then unknown, 'canceled').
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import z3

_NO_LIMIT = 0

# How long past its time limit a check may run before the watchdog interrupts it: Z3's own
# timeout normally answers first.
GRACE_FACTOR = 2
GRACE_MS = 2_000


def memory_reason(why: str, memory_mb: int | None) -> str:
    """Z3's reason for an unknown, with running out of memory named as the limit that was hit."""
    if memory_mb is not None and ("memory" in why or "memout" in why):
        return f"memory limit ({memory_mb} MB)"
    return why


class _Watchdog:
    """Interrupts the running check when its time is up; never one that has ended."""

    def __init__(self, timeout_ms: int | None):
        self.lock = threading.Lock()
        self.running = True
        self.fired = False
        self.timer = None
        if timeout_ms:
            delay = max(timeout_ms * GRACE_FACTOR, timeout_ms + GRACE_MS) / 1000
            self.timer = threading.Timer(delay, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        with self.lock:
            if self.running:
                self.fired = True
                interrupt()

    def stop(self) -> None:
        with self.lock:
            self.running = False
        if self.timer is not None:
            self.timer.cancel()


def check(
    solver: z3.Solver, extra: Sequence[z3.BoolRef], memory_mb: int | None, timeout_ms: int | None = None
) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
    """`solver.check(*extra)` within `memory_mb` MB and, held to by a watchdog, the solver's
    `timeout_ms` (the caller has set it on the solver): (result, model, reason unknown)."""
    if memory_mb is not None:
        z3.set_param("memory_max_size", memory_mb)
    dog = _Watchdog(timeout_ms)
    try:
        res = solver.check(*extra)
        model = solver.model() if res == z3.sat else None
        why = solver.reason_unknown() if res == z3.unknown else ""
        if res == z3.unknown and dog.fired:
            why = f"timeout ({timeout_ms} ms; the solver ran past it and was stopped)"
    except z3.Z3Exception as e:
        if "memory" not in str(e):
            raise
        return z3.unknown, None, memory_reason("out of memory", memory_mb)
    finally:
        dog.stop()
        if memory_mb is not None:
            z3.set_param("memory_max_size", _NO_LIMIT)
    return res, model, memory_reason(why, memory_mb)


def plain(assertions: Sequence[z3.BoolRef], timeout_ms: int) -> z3.Solver:
    """A fresh solver with Z3's default parameters and `assertions` (timeout_ms 0: no limit)."""
    s = z3.Solver()
    if timeout_ms:
        s.set("timeout", timeout_ms)
    s.add(*assertions)
    return s


def is_memory_out(why: str) -> bool:
    return why.startswith("memory limit")


_stoppers: list[Callable[[], None]] = []


def also_interrupt(stop: Callable[[], None]) -> None:
    """`stop` is called by interrupt() too: how another solver's query is stopped."""
    _stoppers.append(stop)


def interrupt() -> None:
    """Stop the query running on Z3's main context, if any, from another thread: it answers
    unknown ('canceled'); and any other solver's query (also_interrupt)."""
    z3.main_ctx().interrupt()
    for stop in _stoppers:
        stop()


def timed_out(why: str) -> bool:
    """Whether an unknown's reason is a time limit (the solver's own, or the watchdog's)."""
    return "timeout" in why or "canceled" in why


def default_limit_reason(kind: str, vcpus: tuple[int, int], limit_ms: int, why: str) -> str:
    """The reason of a query that used up the time every query has when --timeout gives none."""
    return (
        f"timeout: a {kind} query over vCPUs {vcpus[0]}..{vcpus[1]} used up the {limit_ms // 1000} s every query is "
        f"allowed without --timeout ({why})"
    )
