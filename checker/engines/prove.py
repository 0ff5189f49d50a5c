"""Choose and run the engine for each property; every trace is replayed before it is returned.

- fact: one query, the vCPU count a solver variable (here).
- contract / independence: one step from an arbitrary state, then a search from reset
  (engines/onestep.py).
- invariant: k-induction, the base case a search from reset; cover: that search alone
  (engines/induction.py).
- the handlers' `refines` claims, checked when a search needs them (engines/refinement.py).
- a proved contract or independence property: whether its access ever happens (engines/vacuity.py).
The search itself, and the policy that bounds it, are engines/search.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from checker import ir
from checker.engines import cache, replay
from checker.engines.induction import check_cover, check_invariant
from checker.engines.onestep import check_one_step
from checker.engines.refinement import Refiner, check_refinement
from checker.engines.search import DEFAULT_POLICY, CheckContext, Options, SearchPolicy, search_ranges, unknown_verdict
from checker.engines.specialize import cone_for
from checker.engines.vacuity import invariant_vacuity, vacuity
from checker.irwalk import state_reads
from checker.results import InternalError, PropertyKind, PropertyResult, Proved, Verdict, Violated
from checker.smt import handlers
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")

__all__ = [
    "DEFAULT_POLICY",
    "Options",
    "Refiner",
    "SearchPolicy",
    "check_properties",
    "check_property",
    "check_refinement",
    "search_ranges",
]


def _kind(p: ir.Property) -> PropertyKind:
    return {
        ir.Fact: PropertyKind.FACT,
        ir.Contract: PropertyKind.CONTRACT,
        ir.Independence: PropertyKind.INDEPENDENCE,
        ir.Invariant: PropertyKind.INVARIANT,
        ir.Cover: PropertyKind.COVER,
    }[type(p)]


def _context(
    system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr], refiner: Refiner | None
) -> CheckContext:
    sub = cone_for(system, p)
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
                pruned.append(cone_for(replace(system, actions={n: a for n, a in system.actions.items() if n not in drop}), p))
            else:
                pruned.append(sub)
        return pruned[0]

    return CheckContext(system, sub, searched, opts, proved)


def _check_fact(ctx: CheckContext, p: ir.Fact) -> Verdict:
    a = handlers.fact(ctx.sub, p, ctx.opts.setting())
    if isinstance(a, q.Unsat):
        return Proved("fact: one query, the vCPU count a solver variable")
    if isinstance(a, q.Unknown):
        return unknown_verdict(a)
    return Violated(replay.fact_trace(ctx.sub, p, a.witness), shortest=True, fewest_vcpus=a.witness.fewest_vcpus)


def check_property(
    system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr], refiner: Refiner | None = None
) -> Verdict:
    ctx = _context(system, p, opts, proved, refiner)
    match p:
        case ir.Fact():
            return _check_fact(ctx, p)
        case ir.Contract() | ir.Independence():
            return check_one_step(ctx, p)
        case ir.Invariant():
            return check_invariant(ctx, p)
        case ir.Cover():
            return check_cover(ctx, p)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def check_one(system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr], refiner: Refiner) -> PropertyResult:
    """One property's result: from the proof cache when its key is there (the `refines` claims
    its check asked for are asked for again, so the run lists the same claims), else checked."""
    if opts.cache_dir is None:
        return _check_one(system, p, opts, proved, refiner)
    sub = cone_for(system, p)
    assumed = {n: e for n, e in proved.items() if state_reads(e, system) <= set(sub.states)}
    store = cache.ProofCache(opts.cache_dir)
    key = cache.property_key(system, sub, p, opts, assumed)
    hit = store.get(key)
    if hit is not None:
        for handler in hit.claims:
            refiner.result(handler)
        return cache.from_cache(hit, system, p)
    refiner.asked.clear()
    result = _check_one(system, p, opts, proved, refiner)
    store.put(key, cache.Entry(result, tuple(sorted(refiner.asked))))
    return result


def _check_one(system: ir.System, p: ir.Property, opts: Options, proved: dict[str, ir.Expr], refiner: Refiner) -> PropertyResult:
    """One property's result, timed; an unconfirmed counterexample is an InternalError verdict."""
    t0 = time.perf_counter()
    try:
        verdict = check_property(system, p, opts, proved, refiner)
    except replay.ReplayMismatch as err:
        verdict = InternalError(f"the interpreter did not confirm the solver's counterexample ({err})")
    warn = None
    if isinstance(verdict, Proved) and isinstance(p, (ir.Contract, ir.Independence)):
        try:
            warn = vacuity(system, p, opts, lambda c: check_property(system, c, opts, proved, refiner))
        except replay.ReplayMismatch as err:
            verdict = InternalError(f"the interpreter did not confirm the solver's run for the vacuity check ({err})")
    elif isinstance(verdict, Proved) and isinstance(p, ir.Invariant):
        ctx = _context(system, p, opts, proved, refiner)
        assumed = [proved[n] for n in ctx.assumable(ctx.sub)]
        try:
            warn = invariant_vacuity(ctx.sub, p, opts, assumed, lambda c: check_property(system, c, opts, proved, refiner))
        except replay.ReplayMismatch as err:
            verdict = InternalError(f"the interpreter did not confirm the solver's run for the vacuity check ({err})")
    dt = time.perf_counter() - t0
    log.info("%s: %s in %.2fs", p.name, type(verdict).__name__, dt)
    ranges = tuple((c.name, c.type.lo, c.type.hi) for c in system.params.values())
    return PropertyResult(p.name, _kind(p), p.doc, str(p.span), system.model, opts.vcpus, verdict, dt, ranges, warn)  # type: ignore[arg-type]


def selected(system: ir.System, only: set[str] | None = None) -> list[ir.Property]:
    """The properties to check, in declaration order."""
    return [p for p in system.properties if only is None or p.name in only]


def check_chain(
    system: ir.System, props: list[ir.Property], opts: Options, proved: dict[str, ir.Expr], refiner: Refiner
) -> list[PropertyResult]:
    """`props` in order; each invariant proved joins `proved`, for those after it to assume."""
    out = []
    for p in props:
        r = check_one(system, p, opts, proved, refiner)
        if isinstance(p, ir.Invariant) and isinstance(r.verdict, Proved):
            proved[p.name] = p.body
        out.append(r)
    return out


def check_properties(system: ir.System, opts: Options, only: set[str] | None = None) -> list[PropertyResult]:
    """Check every property of `system` (invariants first, so the others may assume them), and
    the handlers' refinement claims the searches needed, listed first."""
    refiner = Refiner(system, opts)
    props = selected(system, only)
    invariants: list[ir.Property] = [p for p in props if isinstance(p, ir.Invariant)]
    proved: dict[str, ir.Expr] = {}
    done = {r.name: r for r in check_chain(system, invariants, opts, proved, refiner)}
    done.update({r.name: r for r in check_chain(system, [p for p in props if p.name not in done], opts, proved, refiner)})
    return list(refiner.results.values()) + [done[p.name] for p in props]
