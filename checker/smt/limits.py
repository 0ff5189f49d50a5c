"""The solver's memory limit, and stopping a query from another thread.

Z3's limit (the global parameter memory_max_size) counts every allocation of the process's
contexts, terms included, and a term built past it is an error outside any query: so the limit
is set for each check only, and lifted after it. A check that runs out answers unknown, or
raises; both become the reason `memory limit (N MB)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import z3

_NO_LIMIT = 0


def memory_reason(why: str, memory_mb: int | None) -> str:
    """Z3's reason for an unknown, with running out of memory named as the limit that was hit."""
    if memory_mb is not None and ("memory" in why or "memout" in why):
        return f"memory limit ({memory_mb} MB)"
    return why


def check(
    solver: z3.Solver, extra: Sequence[z3.BoolRef], memory_mb: int | None
) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
    """`solver.check(*extra)` within `memory_mb` MB: (result, model, reason unknown)."""
    if memory_mb is not None:
        z3.set_param("memory_max_size", memory_mb)
    try:
        res = solver.check(*extra)
        model = solver.model() if res == z3.sat else None
        why = solver.reason_unknown() if res == z3.unknown else ""
    except z3.Z3Exception as e:
        if "memory" not in str(e):
            raise
        return z3.unknown, None, memory_reason("out of memory", memory_mb)
    finally:
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
