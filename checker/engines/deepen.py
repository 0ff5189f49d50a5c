"""Deepening: a search from reset over depth after depth, where a depth the solver does not
decide in time is left for later so that a deeper trace is still found, and the depths left are
decided afterwards, or named in the verdict (the passes and queries of each depth are
engines/search.py's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from checker.engines.search import NOT_YET_SEARCHED, DepthPass, Options, SearchPolicy, shortest
from checker.results import Covered, Verdict, Violated
from checker.smt import query as q

# (depth, the pass to make at it) -> a verdict, or the answer when there is no trace at that depth
AtDepth = Callable[[int, DepthPass], "Verdict | q.Unsat | q.Unknown"]


@dataclass(frozen=True)
class Stopped:
    """A search from reset stopped when its time (Options.search_time) ran out, with no trace
    of `decided` accesses or fewer (the first depth is always searched, but over a few vCPUs
    only when the range has many: -1 when no length is decided over every count)."""

    decided: int
    seconds: float

    @property
    def reason(self) -> str:
        ran_out = f"the search time ({self.seconds:g} s, --search-time) ran out"
        if self.decided < 0:
            return f"{ran_out} before any length of run was decided over every vCPU count"
        return f"{ran_out}: no trace of {self.decided} access{'es' if self.decided != 1 else ''} or fewer"


def deepening(
    at: AtDepth, depth: int, opts: Options, steps: int = 1, after: tuple[int, q.Unknown] | None = None
) -> Verdict | q.Unknown | Stopped | None:
    """Depths 0..depth-1 in turn, over a few vCPUs (the first of search_ranges), guided runs
    first; a depth whose query over every action the solver does not decide within its budget,
    or whose vCPU counts above the few are not searched yet, is left for later, so that a guided trace deeper
    down is found without first enumerating every sequence of actions at it (bench/heuristics.md).
    A trace found past such depths: they are then searched one sequence at a time, within the
    policy's shorter_budget_ms, for a shorter trace; those still undecided are named in the
    verdict's note. With no trace, the depths left are searched whole and split. The first
    verdict found, the Unknown of a depth that stays undecided, None when no depth has a trace,
    or Stopped when the run's search_time runs out first. A trace at depth k has
    k + `steps` - 1 accesses (a contract's final access is one more than its depth; a cover's
    trace is its depth). `after`: a depth already tried and left undecided, every depth below
    it known to have no trace; the search goes on from the depth after it."""
    deadline = opts.deadline()
    deferred: list[tuple[int, q.Unknown]] = [after] if after is not None else []

    def stopped(k: int) -> Stopped:
        first_open = min([d for d, _ in deferred] + [k])
        return Stopped(first_open + steps - 2, opts.search_time or 0.0)

    for k in range(after[0] + 1 if after is not None else 0, depth):
        if deadline is not None and k > 0 and time.monotonic() >= deadline:
            return stopped(k)
        found = at(k, DepthPass(guided=True, split=False, small_first=True))
        if isinstance(found, q.Unknown):
            deferred.append((k, found))
        elif not isinstance(found, q.Unsat):
            return _shortest(at, found, deferred, opts.policy, steps) if deferred else shortest(found)
    while deferred:
        k, u = deferred[0]
        found = at(k, _again(u, deadline))
        if deadline is not None and isinstance(found, q.Unknown) and time.monotonic() >= deadline:
            return stopped(depth)
        if not isinstance(found, q.Unsat):
            return found if isinstance(found, q.Unknown) else shortest(found)
        deferred.pop(0)
    return None


def _again(u: q.Unknown, deadline: float | None) -> DepthPass:
    """The pass that decides a deferred depth: every vCPU range, split into sequences; the
    query over every action first only where the first pass did not already give up on it."""
    reason = u.reason or "unknown"
    return DepthPass(undecided=None if reason.startswith(NOT_YET_SEARCHED) else reason, deadline=deadline)


def _shortest(at: AtDepth, found: Verdict, deferred: list[tuple[int, q.Unknown]], policy: SearchPolicy, steps: int) -> Verdict:
    """`found`, or a shorter trace at one of the `deferred` depths, each searched one sequence
    at a time until the policy's shorter_budget_ms runs out; with a note naming the depths
    still undecided below the trace returned."""
    deadline = time.monotonic() + policy.shorter_budget_ms / 1000
    undecided: list[tuple[int, q.Unknown]] = []
    for k, u in deferred:
        if time.monotonic() >= deadline:
            undecided.append((k, u))
            continue
        shorter = at(k, _again(u, deadline))
        if isinstance(shorter, q.Unknown):
            undecided.append((k, shorter))
        elif not isinstance(shorter, q.Unsat):
            found = shorter
            break
    if not undecided or not isinstance(found, (Violated, Covered)):
        return shortest(found)
    gave_up = ", ".join(f"{d + steps - 1} step{'s' if d + steps - 1 != 1 else ''} ({u.reason})" for d, u in undecided)
    return replace(found, note=f"a shorter trace is not ruled out: the solver gave up on traces of {gave_up}")
