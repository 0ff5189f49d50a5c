"""The search for a trace from reset that every engine shares, and the policy that bounds it.

A search runs depth by depth (BMC, Biere et al. 2003). At one depth it tries a few vCPUs before
many (search_ranges), the runs a one-step counterexample points at first (guided_runs), then one
query over every action, and when the solver has no answer in time, one query per sequence of
actions that can matter (live_paths). Every budget and limit of that search, and of the solver
strategy under each query, is a field of one SearchPolicy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from checker import ir
from checker.engines import replay
from checker.irwalk import RW, action_rw, commuting, state_reads
from checker.results import Covered, Unknown, Verdict, Violated
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")


@dataclass(frozen=True)
class SearchPolicy:
    """Every budget and limit of a search (milliseconds, counts). bench/heuristics.md records
    what each one trades and how it was measured."""

    # traces are searched with at most this many vCPUs first: smaller is faster and clearer
    small_vcpus: int = 8
    # the query over every action at one depth gets this long before the depth is split (bmc_depth)
    whole_depth_budget_ms: int = 5_000
    # the same for diff's search from reset (engines/diff.py, Differ.search_from_reset)
    reach_whole_budget_ms: int = 10_000
    # diff asks first whether the first access from reset tells the sides apart (Differ.action)
    first_access_budget_ms: int = 5_000
    # k-induction steps for k >= 2, on the first pass (engines/induction.py)
    induction_budget_ms: int = 10_000
    # the 1-induction step on the first pass: the proof of most invariants, given longer
    first_step_budget_ms: int = 60_000
    # the plain re-check of the step that proves an invariant (engines/induction.py, _proved):
    # a re-check past it leaves the invariant UNKNOWN, never PROVED
    recheck_budget_ms: int = 60_000
    # each case of a `refines` claim (all its checks): past it the claim is UNKNOWN and its
    # handler stays a transition (searches are slower, never wrong) rather than the run waiting on it
    refinement_budget_ms: int = 180_000
    # more sequences than this at one depth and the split is not tried: the answer stays Unknown
    max_paths: int = 4_096
    # ... unless the query over every action, asked again for a depth left undecided (a
    # deepening's later pass), decides it within this (and the pass's deadline)
    whole_again_budget_ms: int = 30_000
    # a depth with at most this many live sequences is searched one sequence at a time before
    # (rather than after) the query over every action
    sequences_first_max: int = 512
    # runs guided by a one-step counterexample: at most this many per depth, each within its budget
    max_guided: int = 64
    guided_path_budget_ms: int = 60_000
    # one-step counterexamples minimized to guide a search (more_guides), each found within its budget
    guides: int = 4
    guide_budget_ms: int = 5_000
    # all the queries for one search's guides together: past it, no more routes are asked for
    guides_total_ms: int = 20_000
    # a trace found past depths left undecided: this long to decide them one sequence at a
    # time (a shorter trace, or none) before the trace is reported with a note (deepening)
    shorter_budget_ms: int = 60_000
    # a search whose system has state arrays too large to be Flat (the SPIs) first asks, at each
    # depth from 2, for a run that touches only their first `window` indices (Setting.window),
    # within window_budget_ms: a run it finds is a trace; its Unsat decides nothing
    window: int = 4
    window_budget_ms: int = 5_000
    # how each solver query spends its time (smt/query.py, Query.check)
    solver: q.SolverBudgets = field(default_factory=q.SolverBudgets)

    def guides_deadline(self) -> float:
        """When a search's guide queries, starting now, must stop (time.monotonic)."""
        return time.monotonic() + self.guides_total_ms / 1000


DEFAULT_POLICY = SearchPolicy()


class VacuityCheck(StrEnum):
    """How hard to look for the access a proved contract is about (engines/vacuity.py)."""

    NONE = "none"
    ANY_STATE = "any-state"  # does any state allow it: one query per vCPU range
    REACHABLE = "reachable"  # does a run from reset make it, within the depth: a search


@dataclass(frozen=True)
class Options:
    vcpus: tuple[int, int]
    depth: int = 4
    timeout: float | None = None
    dump: Callable[[str], None] | None = None
    policy: SearchPolicy = DEFAULT_POLICY
    memory_mb: int | None = None  # what one solver check may use; None: no limit
    vacuity: VacuityCheck = VacuityCheck.ANY_STATE  # engines/vacuity.py
    search_time: float | None = None  # seconds for each property's search from reset; None: no limit
    solver: q.Solver = q.Solver.Z3  # which solver answers the queries (smt/cvc5run.py)
    cache_dir: Path | None = None  # the proof cache (engines/cache.py); None: no cache

    def deadline(self) -> float | None:
        """When a search from reset starting now must stop (time.monotonic), if ever."""
        return None if self.search_time is None else time.monotonic() + self.search_time

    def setting(self, vcpus: tuple[int, int] | None = None, window: bool = False) -> q.Setting:
        """What every query of this run shares, over `vcpus` (the run's range by default); with
        `window`, a query for runs only, over windows of the large arrays (Setting.window)."""
        return q.Setting(
            vcpus or self.vcpus,
            self.timeout,
            self.dump,
            self.policy.solver,
            self.memory_mb,
            self.solver,
            window=self.policy.window if window else 0,
        )


def has_wide_arrays(system: ir.System, policy: SearchPolicy) -> bool:
    """Whether some state array is too large to be Flat in an unrolling, so that a search asks
    for runs over windows of them first (Target.windowed)."""
    types = [sv.type for sv in system.states.values()]
    return any(isinstance(t, ir.ArrayT) and (t.index.hi or 0) - t.index.lo >= policy.solver.flat_max for t in types)


def search_ranges(vcpus: tuple[int, int], small: int = DEFAULT_POLICY.small_vcpus) -> list[tuple[int, int]]:
    """The vCPU range split so that a trace search tries a few vCPUs before many.

    A loop over vCPUs unrolls up to the top of the range, so the small range is also the cheap one.
    """
    lo, hi = vcpus
    if hi - lo < small:
        return [vcpus]
    return [(lo, lo + small - 1), (lo + small, hi)]


def unknown_verdict(a: q.Unknown) -> Unknown:
    reason = a.reason or "unknown"
    if q.is_memory_out(reason):
        return Unknown(f"solver {reason}")
    if "timeout" in reason or "canceled" in reason:
        return Unknown(f"solver timeout ({reason})")
    return Unknown(f"solver returned unknown ({reason})")


def live_paths(rw: RW, k: int, need: set[str], limit: int = DEFAULT_POLICY.max_paths) -> list[tuple[str, ...]]:
    """The sequences of k actions in which every action writes some state that a later action or
    the goal (reading `need`) reads (stopping once past `limit`).

    Only these need searching at depth k once depth k-1 has none: an action that writes nothing
    read later can be dropped from a trace without changing any value the later actions or the
    goal see, which leaves a shorter trace to the same goal. Of two adjacent accesses that
    commute, only one order is listed (_out_of_order): the other is the same run.
    """
    out: list[tuple[str, ...]] = []
    swap = _out_of_order(rw)

    def back(t: int, need: set[str], suffix: tuple[str, ...]) -> None:
        if len(out) > limit:
            return
        if t < 0:
            out.append(suffix)
            return
        for n, (reads, writes) in rw.items():
            if writes & need and not (suffix and (n, suffix[0]) in swap):
                back(t - 1, need | reads, (n, *suffix))

    back(k - 1, set(need), ())
    return out


def _out_of_order(rw: RW) -> set[tuple[str, str]]:
    """Adjacent accesses (a, b) that commute and run against `rw`'s order: b then a is the same
    run, so sequences with a before b need not be searched (irwalk.commuting)."""
    return {(b, a) for a, b in commuting(rw)}


def guided_paths(rw: RW, k: int, need: set[str], moved: set[str], limit: int) -> list[tuple[str, ...]]:
    """Sequences of k accesses in which each access writes something a later one or the final
    action reads (as live_paths), and which together write every variable in `moved`: the runs
    from reset that can bring those variables where a failure or a difference shows. At most
    `limit`, the accesses that write more of `moved` tried first."""
    order = sorted(rw, key=lambda n: -len(rw[n][1] & moved))
    most = max((len(rw[n][1] & moved) for n in rw), default=0)
    swap = _out_of_order(rw)
    out: list[tuple[str, ...]] = []

    def back(t: int, need: set[str], left: set[str], suffix: tuple[str, ...]) -> None:
        if len(out) >= limit or len(left) > (t + 1) * most:
            return
        if t < 0:
            out.append(suffix)
            return
        for n in order:
            reads, writes = rw[n]
            if writes & need and not (suffix and (n, suffix[0]) in swap):
                back(t - 1, need | reads, left - writes, (n, *suffix))

    if most:
        back(k - 1, set(need), set(moved), ())
    return out


def guided_runs(
    rw: RW, k: int, need: set[str], guides: list[set[str]], limit: int = DEFAULT_POLICY.max_guided
) -> list[tuple[str, ...]]:
    """The runs of k accesses to try first at depth k (from 2: shorter depths are decided
    whole): those of each guide, the guides with the fewest runs first (the most specific: a
    guide that a run of any two accesses satisfies says little), at most `limit` in all."""
    if k < 2:
        return []
    per_guide = sorted((guided_paths(rw, k, need, g, limit + 1) for g in guides), key=len)
    runs = dict.fromkeys(p for paths in per_guide for p in paths)
    return list(runs)[:limit]


def more_guides(
    first: set[str],
    ask_avoiding: Callable[[list[set[str]]], q.Answer],
    minimize: Callable[[q.Witness], set[str]],
    limit: int = DEFAULT_POLICY.guides,
    deadline: float | None = None,
) -> list[set[str]]:
    """Sets of state variables that one-step counterexamples need away from reset, one per route
    to the failure: `first` (the solver's first counterexample, minimized), then counterexamples
    with more and more variables held at their reset values (`ask_avoiding`: each set given
    must have a variable at reset), each variable of a set found so far tried in turn, the most
    shared first, and kept held when a counterexample remains. An SPI's enable held at reset
    leaves the SGI and PPI routes; a PPI's enable, the SGI route. At most `limit` sets. One
    held variable at a time, not a disjunction over the sets found: see bench/heuristics.md."""
    found = [first]
    held: set[str] = set()
    tried: set[str] = set()
    # no query once `deadline` (time.monotonic()) has passed
    while len(found) < limit and (deadline is None or time.monotonic() < deadline):
        counts = {v: sum(v in g for g in found) for g in found for v in g if v not in tried}
        if not counts:
            break
        v = min(counts, key=lambda v: (-counts[v], v))
        tried.add(v)
        ans = ask_avoiding([{x} for x in sorted(held | {v})])
        if isinstance(ans, q.Sat):
            held.add(v)
            g = minimize(ans.witness)
            if g not in found:
                found.append(g)
    return [g for g in found if g]


# (vCPU range, a path of actions or None for any action at each step, a budget) -> answer
Ask = Callable[[tuple[int, int], "tuple[str, ...] | None", "int | None"], q.Answer]


@dataclass(frozen=True)
class Target:
    """What a search from reset looks for at one depth: `ask` poses the query over `system`,
    whose goal (and final access) reads `need`; `to_verdict` replays a witness (find_trace needs
    it; bmc_depth does not). `given_rw`: what the searched actions read and write, when not
    those of `system` (diff searches two sides in lockstep)."""

    system: ir.System
    need: set[str]
    ask: Ask
    to_verdict: Callable[[q.Witness], Verdict] | None = None
    policy: SearchPolicy = DEFAULT_POLICY
    given_rw: RW | None = None
    # `ask` over windows of the large arrays (SearchPolicy.window): given only for a system
    # that has some (has_wide_arrays)
    windowed: Ask | None = None

    @cached_property
    def rw(self) -> RW:
        return self.given_rw if self.given_rw is not None else action_rw(self.system)


@dataclass(frozen=True)
class DepthPass:
    """How one depth is searched: unless an earlier pass left the depth `undecided` (for that
    reason), the query over every action, from depth 2 within `whole_budget_ms` (None: the
    policy's whole_depth_budget_ms); if that has no answer in time, the runs of `guides` (when
    given; `guided` asks the caller to supply them; before the query when not `whole_first`);
    and, if still nothing and `split`, one query per live sequence. A search that orders vCPU
    ranges outside depths (diff's search from reset) calls bmc_depth per range and depth with
    split=False and its own whole budget."""

    guided: bool = False
    guides: Callable[[], list[set[str]]] | None = None  # asked for only when the whole query gives up
    undecided: str | None = None
    split: bool = True
    whole_budget_ms: int | None = None
    deadline: float | None = None  # time.monotonic() past which the split stops: Unknown
    small_first: bool = False  # only the first of the search_ranges: the others left undecided
    # the query over every action before the guided runs: an unrolling with small arrays flat
    # (smt/flat.py) decides most depths at once; diff's product of two sides does not have them
    whole_first: bool = True


NOT_YET_SEARCHED = "not yet searched with more than"


def bmc_depth(t: Target, rng: tuple[int, int], k: int, how: DepthPass) -> q.Answer:
    """Is there a trace of exactly k steps (depth k-1 known to have none) within `rng`?

    From depth 2, when there are at most sequences_first_max live sequences (and not for diff's
    product), one query per sequence first, each within guided_path_budget_ms; if one is
    undecided, the query over every action decides. Otherwise, first (unless an earlier pass
    left it undecided) one query with every action possible at every step, for
    whole_depth_budget_ms from depth 2. If the solver has no answer by then,
    and guides are given (the state one-step counterexamples need away from reset), the runs
    that write all of one (guided_paths), each straight-line code (_guided): a trace they find
    is a trace; their Unsat and Unknown decide nothing. Then, if the pass may split, one query
    per live sequence of actions (live_paths), each straight-line code: the query over every
    action can be out of the solver's reach where the one sequence that reaches the goal is
    easy (bench/heuristics.md). Every sequence answering Unsat is the same proof as the one
    query answering Unsat. With `how.whole_first` False (diff's product, whose queries keep
    Z3 arrays), the guided runs come before the query over every action. Before all of these,
    for a system with arrays too large to be Flat, one query over windows of them
    (`t.windowed`, SearchPolicy.window): a run it finds is a trace, and it decides nothing else.
    """
    p = t.policy
    if how.guides is not None and not how.whole_first:
        found = _guided(t, rng, k, how.guides())
        if found is not None:
            return found
    reason = how.undecided
    early, split_done = _before_whole(t, rng, k, how)
    if early is not None:
        return early
    if reason is None:
        whole = how.whole_budget_ms if how.whole_budget_ms is not None else p.whole_depth_budget_ms
        first = t.ask(rng, None, whole if k > 1 else None)
        if not isinstance(first, q.Unknown) or k <= 1 or (not how.split and not how.whole_first) or split_done:
            return first  # a Sat's fewest_vcpus is the query's: it chose among every sequence
        reason = first.reason
    if how.guides is not None and how.whole_first:
        found = _guided(t, rng, k, how.guides())
        if found is not None:
            return found
    if not how.split:
        return q.Unknown(reason)
    paths = live_paths(t.rw, k, t.need, p.max_paths)
    if len(paths) > p.max_paths:
        again = _whole_again(t, rng, k, how) if how.undecided is not None else None
        if again is not None:
            return again
        return q.Unknown(f"{reason}; and more than {p.max_paths} action sequences of length {k} to search one by one")
    split = _sequences(t, rng, paths, _limit(how.deadline, None))
    if split is None:
        return q.Unknown(f"{reason}; and the {len(paths)} action sequences of length {k} took more than the time given")
    return split


def _before_whole(t: Target, rng: tuple[int, int], k: int, how: DepthPass) -> tuple[q.Answer | None, bool]:
    """On a first pass from depth 2: when the depth has at most sequences_first_max live
    sequences, each of them; unless they decide it, a run over windows of the large arrays. A
    decided answer (or None), and whether every sequence was asked."""
    if how.undecided is not None or not how.whole_first or k <= 1:
        return None, False
    # straight-line sequences are cheap (reset values fold through them, and their steps'
    # encodings are shared), where the query over every action encodes every handler at
    # every step and can run out of its budget; they decide the depth, which the run over
    # windows does not, and that query costs as much as the one over every action
    # (bench/heuristics.md)
    few = live_paths(t.rw, k, t.need, t.policy.sequences_first_max)
    if len(few) <= t.policy.sequences_first_max:
        split = _sequences(t, rng, few, _limit(how.deadline, t.policy.guided_path_budget_ms))
        if split is not None and not isinstance(split, q.Unknown):
            return split, True
    return _in_window(t, rng, how.deadline), len(few) <= t.policy.sequences_first_max


def _whole_again(t: Target, rng: tuple[int, int], k: int, how: DepthPass) -> q.Answer | None:
    """A depth an earlier pass left undecided, with too many sequences to split: the query over
    every action asked again, within whole_again_budget_ms and the pass's deadline (its
    encoding is kept from the first time: smt/steps.py). Its answer when decided, else None."""
    left = _limit(how.deadline, t.policy.whole_again_budget_ms)()
    if left is not None and left <= 0:
        return None
    log.info("depth %d over vCPUs %s: the query over every action again, for %s ms", k, rng, left)
    again = t.ask(rng, None, left)
    return None if isinstance(again, q.Unknown) else again


def _in_window(t: Target, rng: tuple[int, int], deadline: float | None) -> q.Sat | None:
    """A run over windows of the large arrays (t.windowed), if there is one and it is found in
    time; None otherwise, which decides nothing."""
    if t.windowed is None:
        return None
    left = _limit(deadline, t.policy.window_budget_ms)()
    if left is not None and left <= 0:
        return None
    found = t.windowed(rng, None, left)
    return found if isinstance(found, q.Sat) else None


# the time limit (ms) for the next query, None for none; 0 or less: the time has run out
Limit = Callable[[], "int | None"]


def _limit(deadline: float | None, budget_ms: int | None) -> Limit:
    """Each query within `budget_ms` (None: no budget) and before `deadline` (time.monotonic())."""

    def left() -> int | None:
        if deadline is None:
            return budget_ms
        ms = int((deadline - time.monotonic()) * 1000)
        return ms if budget_ms is None else min(ms, budget_ms)

    return left


def _sequences(t: Target, rng: tuple[int, int], paths: list[tuple[str, ...]], limit: Limit) -> q.Answer | None:
    """One query per sequence of `paths`, each within `limit`: a trace, Unsat when every one
    is, Unknown when one is, or None when the time runs out first."""
    log.info("depth %d over vCPUs %s: %d action sequences one by one", len(paths[0]) if paths else 0, rng, len(paths))
    unknown: q.Unknown | None = None
    for i, path in enumerate(paths):
        left = limit()
        if left is not None and left <= 0:
            return None
        a = t.ask(rng, path, left)
        if isinstance(a, q.Sat):
            return _fewest_of_all(t, rng, paths[i + 1 :], a, limit) if unknown is None else _one_sequence(a, rng)
        if isinstance(a, q.Unknown):
            unknown = a
    return unknown or q.Unsat()


def _fewest_of_all(t: Target, rng: tuple[int, int], rest: list[tuple[str, ...]], a: q.Sat, limit: Limit) -> q.Sat:
    """`a`, a trace along one sequence when every sequence before it has none, or a trace with
    fewer vCPUs along one of the `rest`, each asked over the counts below the best so far. The
    fewest vCPUs of every trace of this length is claimed when every answer was decided (a
    sequence not listed, with an access that feeds nothing later, would leave a shorter trace,
    which the search has ruled out first)."""
    best, decided = a, a.witness.fewest_vcpus
    for path in rest:
        lo, nr = rng[0], best.witness.nr_vcpus
        if nr == lo:
            break
        left = limit()
        if left is not None and left <= 0:
            decided = False
            break
        b = t.ask((lo, nr - 1), path, left)
        if isinstance(b, q.Sat):
            best, decided = b, decided and b.witness.fewest_vcpus
        elif isinstance(b, q.Unknown):
            decided = False
    best.witness.fewest_vcpus = best.witness.nr_vcpus == rng[0] or decided
    return best


def _one_sequence(a: q.Sat, rng: tuple[int, int]) -> q.Sat:
    """A trace found along one sequence of actions: the fewest vCPUs for it, but another
    sequence of the same length may need fewer, unless this one has the range's lowest count."""
    a.witness.fewest_vcpus = a.witness.nr_vcpus == rng[0]
    return a


def _guided(t: Target, rng: tuple[int, int], k: int, guides: list[set[str]]) -> q.Sat | None:
    """A trace along the runs of k accesses that `guides` point at (guided_runs), each within
    the policy's guided_path_budget_ms, at two vCPUs first, where loops over vCPUs unroll
    short, then over `rng`; None when none is found (which decides nothing)."""
    p = t.policy
    lo, hi = rng
    runs = guided_runs(t.rw, k, t.need, guides, p.max_guided)
    for r in [(lo, lo + 1), rng] if hi > lo + 1 else [rng]:
        for path in runs:
            a = t.ask(r, path, p.guided_path_budget_ms)
            if isinstance(a, q.Sat):
                log.info("depth %d over vCPUs %s: found along the guided run %s", k, r, ", ".join(path))
                return _one_sequence(a, rng)
    return None


def find_trace(t: Target, vcpus: tuple[int, int], k: int, how: DepthPass = DepthPass()) -> Verdict | q.Unsat | q.Unknown:
    """One BMC depth over a vCPU range: the verdict built from a replayed trace, or the answer
    (Unsat, Unknown) when there is no trace at this depth.

    When the range starts above a few vCPUs (`--vcpus 255`), the trace is first searched with at
    most small_vcpus vCPUs, outside the range, where loops over vCPUs unroll short, and replayed
    by the interpreter at the range's smallest and largest count: if the interpreter reaches the
    same failure (or goal) there, that replay is the trace, a concrete run at a count inside the
    range. Only if it does not is the range itself searched (bench/heuristics.md).
    """
    assert t.to_verdict is not None
    to_verdict = t.to_verdict
    lo, hi = vcpus
    small_hi = t.policy.small_vcpus
    if lo > small_hi:
        small = bmc_depth(t, (1, small_hi), k, how)
        if isinstance(small, q.Sat):
            for nr in dict.fromkeys((lo, hi)):
                try:
                    return _marked(to_verdict(replace(small.witness, nr_vcpus=nr, fewest_vcpus=nr == lo)), nr == lo)
                except replay.ReplayMismatch as why:
                    log.info("trace found with %d vCPUs does not replay with %d: %s", small.witness.nr_vcpus, nr, why)
    ranges = search_ranges(vcpus, small_hi)
    for rng in ranges[:1] if how.small_first else ranges:
        ans = bmc_depth(t, rng, k, how)
        if isinstance(ans, q.Sat):  # the lower ranges have no trace of k steps
            return _marked(to_verdict(ans.witness), ans.witness.fewest_vcpus)
        if isinstance(ans, q.Unknown):
            return ans
    if how.small_first and len(ranges) > 1:
        return q.Unknown(f"{NOT_YET_SEARCHED} {ranges[0][1]} vCPUs")
    return q.Unsat()


def _marked(v: Verdict, fewest_vcpus: bool) -> Verdict:
    return replace(v, fewest_vcpus=fewest_vcpus) if isinstance(v, (Violated, Covered)) else v


def shortest(v: Verdict) -> Verdict:
    """A trace from reset found at the first length with one: no shorter trace exists."""
    return replace(v, shortest=True) if isinstance(v, (Violated, Covered)) and v.trace.from_reset else v


@dataclass(frozen=True)
class CheckContext:
    """One property's check: the whole system, its cone for the property (`sub`), the system a
    search of k steps runs (`searched`: without the handlers proved to refine actions), the
    run's options, and the invariants proved so far (name -> body)."""

    system: ir.System
    sub: ir.System
    searched: Callable[[int], ir.System]
    opts: Options
    proved: dict[str, ir.Expr]

    def assumable(self, within: ir.System | None = None) -> list[str]:
        """The proved invariants whose state lies inside the cone (and inside `within`, when
        given): those a query over it may assume."""
        inside = set(self.sub.states) & set((within or self.sub).states)
        return [n for n, e in self.proved.items() if state_reads(e, self.system) <= inside]
