"""Contracts and independence: a one-step check from an arbitrary state (assuming the invariants
already proved); if it fails, the failure may sit in an unreachable state, so a search from reset
(engines/search.py), guided by that counterexample, looks for a real trace before anything is
called violated. Only the property's own access is folded to its offsets (engines/specialize.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from checker import ir
from checker.engines import replay, specialize
from checker.engines.deepen import Stopped, deepening
from checker.engines.search import (
    CheckContext,
    DepthPass,
    Target,
    find_trace,
    has_wide_arrays,
    more_guides,
    search_ranges,
    unknown_verdict,
)
from checker.engines.simplify import simplified
from checker.irwalk import state_reads
from checker.results import Bounded, Proved, Verdict, Violated
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")

Prop = ir.Contract | ir.Independence


def _ask(ctx: CheckContext, p: Prop, system: ir.System, req: q.OneStep) -> q.Answer:
    match p:
        case ir.Contract():
            return q.contract(system, p, req)
        case ir.Independence():
            return q.independence(system, p, req)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def _confirm(ctx: CheckContext, p: Prop) -> Callable[[q.Witness], object]:
    """The replay of a witness, without simplifying it (what minimizing a pre-state repeats)."""
    match p:
        case ir.Contract():
            contract = p
            return lambda w: replay.contract_trace(ctx.sub, contract, w)
        case ir.Independence():
            indep = p
            return lambda w: replay.independence_trace(ctx.sub, indep, w)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def _to_trace(ctx: CheckContext, p: Prop) -> Callable[[q.Witness], Verdict]:
    """The verdict shown for a witness: replayed with its arguments simplified."""
    match p:
        case ir.Contract():
            contract = p
            return simplified(ctx.sub, lambda w: Violated(replay.contract_trace(ctx.sub, contract, w)))
        case ir.Independence():
            indep = p
            return simplified(ctx.sub, lambda w: Violated(replay.independence_trace(ctx.sub, indep, w)))
    raise AssertionError(f"unhandled property {type(p).__name__}")


def _final_reads(system: ir.System, p: Prop) -> set[str]:
    """The state a trace's last access and the property read: what the steps before must feed."""
    action = specialize.final_action(system, p)
    return state_reads(p, system) | state_reads(action.body, system) | state_reads(action.requires, system)


def _from_any_state(ctx: CheckContext, p: Prop, final: ir.Action) -> tuple[q.Answer, list[ir.Expr]]:
    """The one-step check from any state, without assumptions, then (if that fails) assuming the
    proved invariants: the answer, and the assumptions its counterexample satisfies."""
    opts = ctx.opts

    def attempt(asm: list[ir.Expr]) -> q.Answer:
        # A failure usually shows with few vCPUs, where queries are cheap; only a pass needs the full range.
        for rng in search_ranges(opts.vcpus, opts.policy.small_vcpus):
            a = _ask(ctx, p, ctx.sub, q.OneStep(opts.setting(rng), None, asm, final=final))
            if not isinstance(a, q.Unsat):
                return a
        return q.Unsat()

    assume = [ctx.proved[n] for n in ctx.assumable()]
    first = attempt([])
    if isinstance(first, q.Sat) and assume:
        with_invariants = attempt(assume)
        if not isinstance(with_invariants, q.Unknown):
            return with_invariants, assume  # Unsat: proved; Sat: a state closer to reachable
    return first, []


def check_one_step(ctx: CheckContext, p: Prop) -> Verdict:
    """One step from any state; if it fails, a guided search from reset for a real trace."""
    final = specialize.final_action(ctx.sub, p)
    first, cti_assume = _from_any_state(ctx, p, final)
    if isinstance(first, q.Unsat):
        if cti_assume:
            return Proved(f"one-step: holds after every such access from every state satisfying {', '.join(ctx.assumable())}")
        return Proved("one-step: holds after every such access from every state")
    if isinstance(first, q.Unknown):
        return unknown_verdict(first)
    cti = first.witness
    to_trace = _to_trace(ctx, p)
    at = _depth_search(ctx, p, final, cti, cti_assume)
    found = deepening(at, ctx.opts.depth, ctx.opts, steps=2)
    if isinstance(found, q.Unknown):
        return unknown_verdict(found)
    if found is not None and not isinstance(found, Stopped):
        return found
    cti_verdict = to_trace(cti)
    depth = found.decided if isinstance(found, Stopped) else ctx.opts.depth
    why = found.reason if isinstance(found, Stopped) else f"the maximum depth (--depth {depth})"
    return Bounded(
        depth,
        f"no violation within {depth} accesses from reset ({why}), but the one-step check fails from an "
        "arbitrary state (perhaps unreachable: see --cti); an invariant excluding it would make this a proof",
        cti_verdict.trace if isinstance(cti_verdict, Violated) else None,
    )


def _depth_search(
    ctx: CheckContext, p: Prop, final: ir.Action, cti: q.Witness, cti_assume: list[ir.Expr]
) -> Callable[[int, DepthPass], Verdict | q.Unsat | q.Unknown]:
    """The search from reset at one depth, guided by the one-step counterexample `cti` (its
    state minimized towards reset); the other routes (more_guides) are asked for only when a
    guided search two or more deep is needed."""
    opts, policy = ctx.opts, ctx.opts.policy
    to_trace = _to_trace(ctx, p)

    def minimize(w: q.Witness) -> set[str]:
        return replay.moved_from_reset(ctx.sub, w, _confirm(ctx, p))

    guides = [minimize(cti)]
    widened = False

    def avoiding(avoid: list[set[str]]) -> q.Answer:
        small = search_ranges(opts.vcpus, policy.small_vcpus)[0]
        req = q.OneStep(opts.setting(small), None, cti_assume, budget_ms=policy.guide_budget_ms, avoid=avoid, final=final)
        return _ask(ctx, p, ctx.sub, req)

    def guide_sets() -> list[set[str]]:
        nonlocal guides, widened
        if not widened:
            widened = True
            guides = more_guides(guides[0], avoiding, minimize, policy.guides, policy.guides_deadline())
            for g in guides:
                log.info("a one-step counterexample needs %s away from reset", ", ".join(sorted(g)))
        return guides

    def at(k: int, how: DepthPass) -> Verdict | q.Unsat | q.Unknown:
        system = ctx.searched(k)

        def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None, window: bool = False) -> q.Answer:
            return _ask(ctx, p, system, q.OneStep(opts.setting(rng, window), k, [], path, budget, None, final))

        def windowed(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
            return ask(rng, path, budget, True)

        target = Target(
            system,
            _final_reads(ctx.sub, p),
            ask,
            to_trace,
            policy,
            windowed=windowed if has_wide_arrays(system, policy) else None,
        )
        return find_trace(target, opts.vcpus, k, replace(how, guides=guide_sets if how.guided and k >= 2 else None))

    return at
