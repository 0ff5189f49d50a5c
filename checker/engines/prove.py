"""Choose and run the engine for each property; every trace is replayed before it is returned.

- fact: one query, the vCPU count a solver variable.
- contract / independence: a one-step check from an arbitrary state (assuming the invariants
  already proved); if it fails, the failure may sit in an unreachable state, so BMC from reset
  looks for a real trace before anything is called violated.
- invariant: k-induction (base case by BMC from reset, step from arbitrary states).
- cover: BMC from reset, shortest trace first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from checker import ir
from checker.engines import replay, specialize
from checker.lower import cone, state_reads, state_writes
from checker.results import Bounded, Covered, PropertyKind, PropertyResult, Proved, Unknown, Unreached, Verdict, Violated
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")


@dataclass(frozen=True)
class Options:
    vcpus: tuple[int, int]
    depth: int = 4
    timeout: float | None = None
    dump: Callable[[str], None] | None = None


_SMALL = 8  # traces are searched with at most this many vCPUs first: smaller is faster and clearer


def search_ranges(vcpus: tuple[int, int]) -> list[tuple[int, int]]:
    """The vCPU range split so that a trace search tries a few vCPUs before many.

    A loop over vCPUs unrolls up to the top of the range, so the small range is also the cheap one.
    """
    lo, hi = vcpus
    if hi - lo < _SMALL:
        return [vcpus]
    return [(lo, lo + _SMALL - 1), (lo + _SMALL, hi)]


Ask = Callable[[tuple[int, int], "tuple[str, ...] | None", "int | None"], q.Answer]

# The first attempt at one BMC depth, all actions at every step in one query, gets this long before
# the depth is split into one query per sequence of actions (see bmc_depth).
_WHOLE_DEPTH_BUDGET_MS = 5_000
_INDUCTION_BUDGET_MS = 10_000  # k-induction steps for k >= 2, on the first pass (see check_property)
# More sequences than this at one depth and the split is not tried: the answer stays Unknown.
_MAX_PATHS = 4_096
# Runs guided by a one-step counterexample (guided_paths): at most this many per depth, each
# query within this budget.
_MAX_GUIDED = 64
_GUIDED_PATH_BUDGET_MS = 60_000
_GUIDES = 4  # one-step counterexamples minimized to guide a search (more_guides), each found within:
_GUIDE_BUDGET_MS = 5_000


RW = dict[str, tuple[set[str], set[str]]]  # action -> (state it reads, state it writes)


def action_rw(system: ir.System) -> RW:
    """What each transition reads (its body and its guard) and writes."""
    return {
        n: (state_reads(a.body, system) | state_reads(a.requires, system), state_writes(a.body, system))
        for n, a in system.actions.items()
    }


def live_paths(rw: RW, k: int, need: set[str]) -> list[tuple[str, ...]]:
    """The sequences of k actions in which every action writes some state that a later action or
    the goal (reading `need`) reads.

    Only these need searching at depth k once depth k-1 has none: an action that writes nothing
    read later can be dropped from a trace without changing any value the later actions or the
    goal see, which leaves a shorter trace to the same goal.
    """
    out: list[tuple[str, ...]] = []

    def back(t: int, need: set[str], suffix: tuple[str, ...]) -> None:
        if len(out) > _MAX_PATHS:
            return
        if t < 0:
            out.append(suffix)
            return
        for n, (reads, writes) in rw.items():
            if writes & need:
                back(t - 1, need | reads, (n, *suffix))

    back(k - 1, set(need), ())
    return out


def guided_paths(rw: RW, k: int, need: set[str], moved: set[str], limit: int) -> list[tuple[str, ...]]:
    """Sequences of k accesses in which each access writes something a later one or the final
    action reads (as live_paths), and which together write every variable in `moved`: the runs
    from reset that can bring those variables where a failure or a difference shows. At most
    `limit`, the accesses that write more of `moved` tried first."""
    order = sorted(rw, key=lambda n: -len(rw[n][1] & moved))
    most = max((len(rw[n][1] & moved) for n in rw), default=0)
    out: list[tuple[str, ...]] = []

    def back(t: int, need: set[str], left: set[str], suffix: tuple[str, ...]) -> None:
        if len(out) >= limit or len(left) > (t + 1) * most:
            return
        if t < 0:
            out.append(suffix)
            return
        for n in order:
            reads, writes = rw[n]
            if writes & need:
                back(t - 1, need | reads, left - writes, (n, *suffix))

    if most:
        back(k - 1, set(need), set(moved), ())
    return out


def guided_runs(rw: RW, k: int, need: set[str], guides: list[set[str]]) -> list[tuple[str, ...]]:
    """The runs of k accesses to try first at depth k (from 2: shorter depths are decided
    whole): those of each guide, the smaller guides first, at most _MAX_GUIDED in all."""
    if k < 2:
        return []
    runs = dict.fromkeys(p for g in sorted(guides, key=len) for p in guided_paths(rw, k, need, g, _MAX_GUIDED))
    return list(runs)[:_MAX_GUIDED]


def more_guides(
    first: set[str], ask_avoiding: Callable[[list[set[str]]], q.Answer], minimize: Callable[[q.Witness], set[str]]
) -> list[set[str]]:
    """Sets of state variables that one-step counterexamples need away from reset, one per route
    to the failure: `first` (the solver's first counterexample, minimized), then counterexamples
    with more and more variables held at their reset values (`ask_avoiding`: each set given
    must have a variable at reset), each variable of a set found so far tried in turn, the most
    shared first, and kept held when a counterexample remains. An SPI's enable held at reset
    leaves the SGI and PPI routes; a PPI's enable, the SGI route. At most _GUIDES sets. (Measured
    on today-igroupr at 1..2 vCPUs: one held variable answers in about 2 s, where asking for any
    input outside the sets found, a disjunction, took 27 s.)"""
    found = [first]
    held: set[str] = set()
    tried: set[str] = set()
    while len(found) < _GUIDES:
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


def bmc_depth(
    ask: Ask,
    rng: tuple[int, int],
    rw: RW,
    k: int,
    need: set[str],
    guides: list[set[str]] | None = None,
    undecided: str | None = None,
    split: bool = True,
) -> q.Answer:
    """Is there a trace of exactly k steps (depth k-1 known to have none) within `rng`?

    First, when `guides` are given (the state one-step counterexamples need away from reset),
    the runs that write all of one (guided_paths), each straight-line code within
    _GUIDED_PATH_BUDGET_MS: a trace they find is a trace; their Unsat and Unknown decide nothing.
    Then (unless an earlier pass left it `undecided`, for that reason) one query with every action
    possible at every step, for _WHOLE_DEPTH_BUDGET_MS;
    if the solver has no answer by then (and `split`), one query per live sequence of actions
    (live_paths), each straight-line code. Measured on the GICv3 spec: reaching an active SGI
    takes 3 steps (enable the distributor, pend, acknowledge) among 8 actions; the one query ran
    past 30 s on every Z3 configuration tried, even with 1 vCPU, while the 3-action sequence that
    reaches it solves in 0.04 s. Every sequence answering Unsat is the same proof as the one
    query answering Unsat.
    """
    if guides:
        for path in guided_runs(rw, k, need, guides):
            a = ask(rng, path, _GUIDED_PATH_BUDGET_MS)
            if isinstance(a, q.Sat):
                log.info("depth %d over vCPUs %s: found along the guided run %s", k, rng, ", ".join(path))
                return a
    reason = undecided
    if reason is None:
        first = ask(rng, None, _WHOLE_DEPTH_BUDGET_MS if k > 1 else None)
        if not isinstance(first, q.Unknown) or k <= 1 or not split:
            return first
        reason = first.reason
    paths = live_paths(rw, k, need)
    if len(paths) > _MAX_PATHS:
        return q.Unknown(f"{reason}; and more than {_MAX_PATHS} action sequences of length {k} to search one by one")
    log.info("depth %d over vCPUs %s: %d action sequences one by one", k, rng, len(paths))
    unknown: q.Unknown | None = None
    for path in paths:
        a = ask(rng, path, None)
        if isinstance(a, q.Sat):
            return a
        if isinstance(a, q.Unknown):
            unknown = a
    return unknown or q.Unsat()


def find_trace(
    ask: Ask,
    vcpus: tuple[int, int],
    to_verdict: Callable[[q.Witness], Verdict],
    system: ir.System,
    k: int,
    need: set[str],
    guides: list[set[str]] | None = None,
    undecided: str | None = None,
    split: bool = True,
) -> Verdict | q.Unsat | q.Unknown:
    """One BMC depth over a vCPU range: the verdict built from a replayed trace, or the answer
    (Unsat, Unknown) when there is no trace at this depth.

    When the range starts above a few vCPUs (`--vcpus 255`), the trace is first searched with at
    most _SMALL vCPUs, outside the range, where loops over vCPUs unroll short, and replayed by the
    interpreter at the range's smallest and largest count: if the interpreter reaches the same
    failure (or goal) there, that replay is the trace, a concrete run at a count inside the range.
    Only if it does not is the range itself searched. (Measured: the cover sgi_taken at exactly 255
    vCPUs ran past 300 s in the solver; found with 1 vCPU and replayed at 255, it takes 0.6 s.)
    """
    lo, hi = vcpus
    rw = action_rw(system)
    if lo > _SMALL:
        small = bmc_depth(ask, (1, _SMALL), rw, k, need, guides, undecided, split)
        if isinstance(small, q.Sat):
            for nr in dict.fromkeys((lo, hi)):
                try:
                    return to_verdict(replace(small.witness, nr_vcpus=nr))
                except replay.ReplayMismatch as why:
                    log.info("trace found with %d vCPUs does not replay with %d: %s", small.witness.nr_vcpus, nr, why)
    for rng in search_ranges(vcpus):
        ans = bmc_depth(ask, rng, rw, k, need, guides, undecided, split)
        if isinstance(ans, q.Sat):
            return to_verdict(ans.witness)
        if isinstance(ans, q.Unknown):
            return ans
    return q.Unsat()


def _kind(p: ir.Property) -> PropertyKind:
    return {
        ir.Fact: PropertyKind.FACT,
        ir.Contract: PropertyKind.CONTRACT,
        ir.Independence: PropertyKind.INDEPENDENCE,
        ir.Invariant: PropertyKind.INVARIANT,
        ir.Cover: PropertyKind.COVER,
    }[type(p)]


def _unknown(a: q.Unknown) -> Unknown:
    reason = a.reason or "unknown"
    if "timeout" in reason or "canceled" in reason:
        return Unknown(f"solver timeout ({reason})")
    return Unknown(f"solver returned unknown ({reason})")


def _cone_for(system: ir.System, p: ir.Property) -> ir.System:
    if isinstance(p, (ir.Contract, ir.Independence)):
        action = system.action(p.action)
        roots = (
            state_reads(p, system)
            | state_writes(action.body, system)
            | state_reads(action.body, system)
            | state_reads(action.requires, system)
        )
        return cone(system, roots, keep_actions=[p.action])
    return cone(system, state_reads(p, system))


# (steps from reset or None: from any state, assumptions, vCPUs, a path of actions, a budget, sets to avoid)
OneStep = Callable[
    [int | None, list[ir.Expr], tuple[int, int], "tuple[str, ...] | None", "int | None", "list[set[str]] | None"], q.Answer
]


def _final_reads(system: ir.System, p: ir.Contract | ir.Independence) -> set[str]:
    """The state a trace's last access and the property read: what the steps before must feed."""
    action = system.action(p.action)
    return state_reads(p, system) | state_reads(action.body, system) | state_reads(action.requires, system)


def _step_then_bmc(
    system: ir.System,
    one_step: OneStep,
    to_trace: Callable[[q.Witness], Verdict],
    opts: Options,
    assume: list[ir.Expr],
    assumed_names: list[str],
    searched: Callable[[int], ir.System],
    need: set[str],
) -> Verdict:
    def attempt(asm: list[ir.Expr]) -> q.Answer:
        # A failure usually shows with few vCPUs, where queries are cheap; only a pass needs the full range.
        for rng in search_ranges(opts.vcpus):
            a = one_step(None, asm, rng, None, None, None)
            if not isinstance(a, q.Unsat):
                return a
        return q.Unsat()

    first = attempt([])
    cti_assume: list[ir.Expr] = []
    if isinstance(first, q.Sat) and assume:
        with_invariants = attempt(assume)
        if isinstance(with_invariants, q.Unsat):
            return Proved(f"one-step: holds after every such access from every state satisfying {', '.join(assumed_names)}")
        if isinstance(with_invariants, q.Sat):
            first = with_invariants  # a state closer to reachable: it satisfies the invariants
            cti_assume = assume
    if isinstance(first, q.Unsat):
        return Proved("one-step: holds after every such access from every state")
    if isinstance(first, q.Unknown):
        return _unknown(first)
    cti = first.witness

    def minimize(w: q.Witness) -> set[str]:
        return replay.moved_from_reset(system, w, to_trace)

    guides = [minimize(cti)]
    widened = False

    def at(k: int, guided: bool, undecided: str | None, split: bool) -> Verdict | q.Unsat | q.Unknown:
        nonlocal guides, widened
        if guided and k >= 2 and not widened:  # other routes, asked for only when a search this deep is needed
            widened = True
            small = search_ranges(opts.vcpus)[0]
            guides = more_guides(
                guides[0], lambda avoid: one_step(None, cti_assume, small, None, _GUIDE_BUDGET_MS, avoid), minimize
            )
            for g in guides:
                log.info("a one-step counterexample needs %s away from reset", ", ".join(sorted(g)))
        return find_trace(
            lambda rng, path, budget: one_step(k, [], rng, path, budget, None),
            opts.vcpus,
            to_trace,
            searched(k),
            k,
            need,
            guides if guided else None,
            undecided,
            split,
        )

    # Depth by depth, the runs the counterexample guides first; a depth whose query over every
    # action the solver does not decide within its budget is left for later, so that a guided
    # trace deeper down is found without first enumerating every sequence of actions at it.
    # (Measured on today-igroupr's iar_spurious_exactly_when_nothing_ready at 1..2 vCPUs: depth 2
    # enumerated 361 sequences in about 300 s and depth 3 had more than 4096; the guided run
    # (a group write, the distributor enable, an SGI) is one query.)
    deferred: list[tuple[int, q.Unknown]] = []
    for k in range(opts.depth):
        found = at(k, True, None, False)
        if isinstance(found, q.Unknown):
            deferred.append((k, found))
        elif not isinstance(found, q.Unsat):
            if deferred and isinstance(found, Violated):
                gave_up = ", ".join(f"{d + 1} steps ({u.reason})" for d, u in deferred)
                return replace(found, note=f"a shorter trace is not ruled out: the solver gave up on traces of {gave_up}")
            return found
    for k, u in deferred:
        found = at(k, False, u.reason or "unknown", True)
        if isinstance(found, q.Unknown):
            return _unknown(found)
        if not isinstance(found, q.Unsat):
            return found
    cti_verdict = to_trace(cti)
    return Bounded(
        opts.depth,
        f"no violation within {opts.depth} accesses from reset, but the one-step check fails from an "
        "arbitrary state (perhaps unreachable: see --cti); an invariant excluding it would make this a proof",
        cti_verdict.trace if isinstance(cti_verdict, Violated) else None,
    )


class Refiner:
    """The handlers' `refines` claims, each checked the first time a search would branch on
    that handler, once per run. A handler whose claim is proved leaves the transitions: each of
    its steps is a step of an action that stays, or a stutter, so every state reachable with it
    is reachable without it, and BMC and induction need not branch on it. It stays callable, for
    properties about it and for replaying traces. A handler whose claim is not proved stays a
    transition, so no verdict depends on an unproved claim. A run whose searches never reach a
    handler (one-step contracts, say) does not check its claim."""

    def __init__(self, system: ir.System, opts: Options):
        self.system = system
        self.opts = opts
        self.claims = {r.handler: r for r in system.refinements}
        self.results: dict[str, PropertyResult] = {}

    def proved(self, sub: ir.System) -> set[str]:
        """The handlers among `sub`'s transitions whose claims are proved (checking them now if
        this run has not yet)."""
        out = set()
        for name in sub.actions:
            ref = self.claims.get(name)
            if ref is None:
                continue
            if name not in self.results:
                self.results[name] = self.check(ref)
            if isinstance(self.results[name].verdict, Proved):
                out.add(name)
        return out

    def check(self, ref: ir.Refinement) -> PropertyResult:
        t0 = time.perf_counter()
        try:
            verdict = check_refinement(self.system, ref, self.opts)
        except replay.ReplayMismatch as err:
            verdict = Unknown(
                f"internal error: the interpreter did not confirm the solver's counterexample ({err}); please report this"
            )
        dt = time.perf_counter() - t0
        log.info("%s refinement: %s in %.2fs", ref.handler, type(verdict).__name__, dt)
        cases = ", ".join(dict.fromkeys(c.action for c in ref.cases))
        doc = f"Every {ref.handler} is a step of {cases}, or changes nothing (its 'refines' clauses)."
        ranges = tuple((c.name, c.type.lo, c.type.hi) for c in self.system.params.values())
        return PropertyResult(
            ref.handler,
            PropertyKind.REFINEMENT,
            doc,
            str(ref.span),
            self.system.model,
            self.opts.vcpus,
            verdict,
            dt,
            ranges,  # type: ignore[arg-type]
        )


def _restrict(system: ir.System, p: ir.Property) -> ir.System:
    sub = _cone_for(system, p)
    if isinstance(p, (ir.Contract, ir.Independence)):
        sub = specialize.for_property(sub, p)
    return sub


def check_property(
    system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr], refiner: Refiner | None = None
) -> Verdict:
    sub = _restrict(system, p)
    pruned: list[ir.System] = []

    def searched(k: int) -> ir.System:
        """The system a search of k steps runs: without the handlers proved to refine actions,
        and with the cone taken again without them (a handler that reads much to write little,
        like an IAR, would otherwise pull the state it reads and its writers into the cone).
        With no steps there are no transitions, so no claim needs checking."""
        if k == 0 or refiner is None:
            return sub
        if not pruned:
            drop = refiner.proved(sub)
            if drop:
                pruned.append(_restrict(replace(system, actions={n: a for n, a in system.actions.items() if n not in drop}), p))
            else:
                pruned.append(sub)
        return pruned[0]

    vc, to, dump = opts.vcpus, opts.timeout, opts.dump
    # invariants whose state lies inside this cone can be assumed
    assume = [e for e in proved.values() if state_reads(e, system) <= set(sub.states)]
    names = [n for n, e in proved.items() if state_reads(e, system) <= set(sub.states)]
    match p:
        case ir.Fact():
            a = q.fact(sub, p, vc, to, dump)
            if isinstance(a, q.Unsat):
                return Proved("fact: one query, the vCPU count a solver variable")
            if isinstance(a, q.Unknown):
                return _unknown(a)
            return Violated(replay.fact_trace(sub, p, a.witness))
        case ir.Contract():
            contract = p
            return _step_then_bmc(
                sub,
                lambda k, asm, rng, path, budget, avoid: q.contract(
                    sub if k is None else searched(k), contract, rng, k, asm, to, dump, path, budget, avoid
                ),
                lambda w: Violated(replay.contract_trace(sub, contract, w)),
                opts,
                assume,
                names,
                searched,
                _final_reads(sub, p),
            )
        case ir.Independence():
            indep = p
            return _step_then_bmc(
                sub,
                lambda k, asm, rng, path, budget, avoid: q.independence(
                    sub if k is None else searched(k), indep, rng, k, asm, to, dump, path, budget, avoid
                ),
                lambda w: Violated(replay.independence_trace(sub, indep, w)),
                opts,
                assume,
                names,
                searched,
                _final_reads(sub, p),
            )
        case ir.Invariant():
            bad = ir.Unop(ir.UnOp.NOT, p.body, ir.BOOL, p.span)
            inv = p
            # Induction steps past the first get a budget on this pass: a false invariant's
            # 2-step counterexample to induction can be out of the solver's reach (measured: the
            # 2014 active_sgi_enabled on today's GICR_ICENABLER0, at 1..4 vCPUs, unknown after
            # 20 s on every core tried) while the search from reset finds the violation. Steps
            # left undecided are tried again, without a budget, once the search has found none.
            undecided: list[int] = []

            def stepped_at(k: int) -> tuple[ir.System, list[str]]:
                stepped = searched(k)
                return stepped, [n for n in names if state_reads(proved[n], system) <= set(stepped.states)]

            for k in range(opts.depth + 1):
                base = find_trace(
                    lambda rng, path, budget, k=k: q.reach(searched(k), bad, rng, k, to, dump, path, budget),  # type: ignore[misc]
                    vc,
                    lambda w: Violated(replay.state_trace(sub, inv.name, bad, w, "the invariant is false in this state")),
                    searched(k),
                    k,
                    state_reads(p, system),
                )
                if isinstance(base, q.Unknown):
                    return _unknown(base)
                if not isinstance(base, q.Unsat):
                    return base
                if k == opts.depth:
                    break
                stepped, inside = stepped_at(k + 1)
                budget = _INDUCTION_BUDGET_MS if k >= 1 and not (to and to * 1000 <= _INDUCTION_BUDGET_MS) else None
                step = q.induction_step(stepped, p.body, vc, k + 1, [proved[n] for n in inside], to, dump, budget)
                if isinstance(step, q.Unsat):
                    return Proved(f"{k + 1}-induction" + (f" assuming the proved {', '.join(inside)}" if inside else ""))
                if isinstance(step, q.Unknown):
                    if budget is None:
                        return _unknown(step)
                    undecided.append(k + 1)
            for k in undecided:
                stepped, inside = stepped_at(k)
                step = q.induction_step(stepped, p.body, vc, k, [proved[n] for n in inside], to, dump)
                if isinstance(step, q.Unsat):
                    return Proved(f"{k}-induction" + (f" assuming the proved {', '.join(inside)}" if inside else ""))
                if isinstance(step, q.Unknown):
                    return _unknown(step)
            return Bounded(opts.depth, f"not k-inductive for k <= {opts.depth}; no violation within {opts.depth} steps of reset")
        case ir.Cover():
            cov = p
            for k in range(opts.depth + 1):
                reached = find_trace(
                    lambda rng, path, budget, k=k: q.reach(searched(k), cov.body, rng, k, to, dump, path, budget),  # type: ignore[misc]
                    vc,
                    lambda w: Covered(replay.state_trace(sub, cov.name, cov.body, w, "reached")),
                    searched(k),
                    k,
                    state_reads(p, system),
                )
                if isinstance(reached, q.Unknown):
                    return _unknown(reached)
                if not isinstance(reached, q.Unsat):
                    return reached
            return Unreached(opts.depth)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def check_refinement(system: ir.System, ref: ir.Refinement, opts: Options) -> Verdict:
    """One query per case and vCPU range (small counts first): the handler, from every state and
    with every argument, does what its first applicable case's action does, or nothing."""
    for rng in search_ranges(opts.vcpus):
        for case in range(len(ref.cases) + 1):
            a = q.refinement(system, ref, case, rng, opts.timeout, opts.dump)
            if isinstance(a, q.Unknown):
                return _unknown(a)
            if isinstance(a, q.Sat):
                return Violated(replay.refinement_trace(system, ref, a.witness))
    cases = " or ".join(dict.fromkeys(c.action for c in ref.cases))
    return Proved(f"refinement: from every state, each access is a step of {cases}, or changes nothing")


def check_properties(system: ir.System, opts: Options, only: set[str] | None = None) -> list[PropertyResult]:
    """Check every property of `system` (invariants first, so the others may assume them), and
    the handlers' refinement claims the searches needed, listed first."""
    refiner = Refiner(system, opts)
    props = [p for p in system.properties if only is None or p.name in only]
    order = sorted(range(len(props)), key=lambda i: 0 if isinstance(props[i], ir.Invariant) else 1)
    proved: dict[str, ir.Expr] = {}
    results: dict[int, PropertyResult] = {}
    for i in order:
        p = props[i]
        t0 = time.perf_counter()
        try:
            verdict = check_property(system, p, opts, proved, refiner)
        except replay.ReplayMismatch as err:
            verdict = Unknown(
                f"internal error: the interpreter did not confirm the solver's counterexample ({err}); please report this"
            )
        dt = time.perf_counter() - t0
        log.info("%s: %s in %.2fs", p.name, type(verdict).__name__, dt)
        if isinstance(p, ir.Invariant) and isinstance(verdict, Proved):
            proved[p.name] = p.body
        ranges = tuple((c.name, c.type.lo, c.type.hi) for c in system.params.values())
        results[i] = PropertyResult(p.name, _kind(p), p.doc, str(p.span), system.model, opts.vcpus, verdict, dt, ranges)  # type: ignore[arg-type]
    return list(refiner.results.values()) + [results[i] for i in range(len(props))]
