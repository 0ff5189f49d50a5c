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
from checker.engines import replay
from checker.lower import cone, state_reads, state_writes
from checker.results import Bounded, Covered, PropertyResult, Proved, Unknown, Unreached, Verdict, Violated
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


def find_trace(
    ask: Callable[[tuple[int, int]], q.Answer], vcpus: tuple[int, int], to_verdict: Callable[[q.Witness], Verdict],
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
    if lo > _SMALL:
        small = ask((1, _SMALL))
        if isinstance(small, q.Sat):
            for nr in dict.fromkeys((lo, hi)):
                try:
                    return to_verdict(replace(small.witness, nr_vcpus=nr))
                except replay.ReplayMismatch as why:
                    log.info("trace found with %d vCPUs does not replay with %d: %s", small.witness.nr_vcpus, nr, why)
    for rng in search_ranges(vcpus):
        ans = ask(rng)
        if isinstance(ans, q.Sat):
            return to_verdict(ans.witness)
        if isinstance(ans, q.Unknown):
            return ans
    return q.Unsat()


def _kind(p: ir.Property) -> str:
    return {ir.Fact: "fact", ir.Contract: "contract", ir.Independence: "independence", ir.Invariant: "invariant", ir.Cover: "cover"}[type(p)]


def _unknown(a: q.Unknown) -> Unknown:
    reason = a.reason or "unknown"
    if "timeout" in reason or "canceled" in reason:
        return Unknown(f"solver timeout ({reason})")
    return Unknown(f"solver returned unknown ({reason})")


def _cone_for(system: ir.System, p: ir.Property) -> ir.System:
    if isinstance(p, (ir.Contract, ir.Independence)):
        action = system.action(p.action)
        roots = state_reads(p, system) | state_writes(action.body, system) | state_reads(action.body, system) | state_reads(action.requires, system)
        return cone(system, roots, keep_actions=[p.action])
    return cone(system, state_reads(p, system))


def _step_then_bmc(
    one_step: Callable[[int | None, list[ir.Expr], tuple[int, int]], q.Answer], to_trace: Callable[[q.Witness], Verdict],
    opts: Options, assume: list[ir.Expr], assumed_names: list[str],
) -> Verdict:
    def attempt(asm: list[ir.Expr]) -> q.Answer:
        # A failure usually shows with few vCPUs, where queries are cheap; only a pass needs the full range.
        for rng in search_ranges(opts.vcpus):
            a = one_step(None, asm, rng)
            if not isinstance(a, q.Unsat):
                return a
        return q.Unsat()

    first = attempt([])
    if isinstance(first, q.Sat) and assume:
        with_invariants = attempt(assume)
        if isinstance(with_invariants, q.Unsat):
            return Proved(f"one-step: holds after every such access from every state satisfying {', '.join(assumed_names)}")
        if isinstance(with_invariants, q.Sat):
            first = with_invariants  # a state closer to reachable: it satisfies the invariants
    if isinstance(first, q.Unsat):
        return Proved("one-step: holds after every such access from every state")
    if isinstance(first, q.Unknown):
        return _unknown(first)
    cti = first.witness
    for k in range(opts.depth):
        found = find_trace(lambda rng, k=k: one_step(k, [], rng), opts.vcpus, to_trace)  # type: ignore[misc]
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


def check_property(system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr]) -> Verdict:
    sub = _cone_for(system, p)
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
                lambda k, asm, rng: q.contract(sub, contract, rng, k, asm, to, dump),
                lambda w: Violated(replay.contract_trace(sub, contract, w)),
                opts, assume, names,
            )
        case ir.Independence():
            indep = p
            return _step_then_bmc(
                lambda k, asm, rng: q.independence(sub, indep, rng, k, asm, to, dump),
                lambda w: Violated(replay.independence_trace(sub, indep, w)),
                opts, assume, names,
            )
        case ir.Invariant():
            bad = ir.Unop("not", p.body, ir.BOOL, p.span)
            for k in range(opts.depth + 1):
                inv = p
                base = find_trace(
                    lambda rng, k=k: q.reach(sub, bad, rng, k, to, dump),  # type: ignore[misc]
                    vc, lambda w: Violated(replay.state_trace(sub, inv.name, bad, w, "the invariant is false in this state")),
                )
                if isinstance(base, q.Unknown):
                    return _unknown(base)
                if not isinstance(base, q.Unsat):
                    return base
                if k == opts.depth:
                    break
                step = q.induction_step(sub, p.body, vc, k + 1, assume, to, dump)
                if isinstance(step, q.Unsat):
                    return Proved(f"{k + 1}-induction" + (f" assuming the proved {', '.join(names)}" if names else ""))
                if isinstance(step, q.Unknown):
                    return _unknown(step)
            return Bounded(opts.depth, f"not k-inductive for k <= {opts.depth}; no violation within {opts.depth} steps of reset")
        case ir.Cover():
            for k in range(opts.depth + 1):
                cov = p
                reached = find_trace(
                    lambda rng, k=k: q.reach(sub, cov.body, rng, k, to, dump),  # type: ignore[misc]
                    vc, lambda w: Covered(replay.state_trace(sub, cov.name, cov.body, w, "reached")),
                )
                if isinstance(reached, q.Unknown):
                    return _unknown(reached)
                if not isinstance(reached, q.Unsat):
                    return reached
            return Unreached(opts.depth)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def check_properties(system: ir.System, opts: Options, only: set[str] | None = None) -> list[PropertyResult]:
    """Check every property of `system` (invariants first, so the others may assume them)."""
    props = [p for p in system.properties if only is None or p.name in only]
    order = sorted(range(len(props)), key=lambda i: 0 if isinstance(props[i], ir.Invariant) else 1)
    proved: dict[str, ir.Expr] = {}
    results: dict[int, PropertyResult] = {}
    for i in order:
        p = props[i]
        t0 = time.perf_counter()
        try:
            verdict = check_property(system, p, opts, proved)
        except replay.ReplayMismatch as err:
            verdict = Unknown(f"internal error: the interpreter did not confirm the solver's counterexample ({err}); please report this")
        dt = time.perf_counter() - t0
        log.info("%s: %s in %.2fs", p.name, type(verdict).__name__, dt)
        if isinstance(p, ir.Invariant) and isinstance(verdict, Proved):
            proved[p.name] = p.body
        ranges = tuple((c.name, c.type.lo, c.type.hi) for c in system.params.values())
        results[i] = PropertyResult(p.name, _kind(p), p.doc, str(p.span), system.model, opts.vcpus, verdict, dt, ranges)  # type: ignore[arg-type]
    return [results[i] for i in range(len(props))]
