"""Invariants by k-induction (Sheeran, Singh and Stalmarck, FMCAD 2000): the base case is a search
from reset (engines/search.py), the step a query from arbitrary states (smt/query.induction_step).
Covers are the base case alone: a search from reset for a state satisfying the goal."""

from __future__ import annotations

from collections.abc import Callable

from checker import ir
from checker.engines import replay
from checker.engines.search import CheckContext, Target, find_trace, unknown_verdict
from checker.engines.simplify import simplified
from checker.irwalk import state_reads
from checker.results import Bounded, Covered, Proved, Unreached, Verdict, Violated
from checker.smt import query as q


def _search(
    ctx: CheckContext, p: ir.Invariant | ir.Cover, goal: ir.Expr, to_verdict: Callable[[q.Witness], Verdict]
) -> Callable[[int], Verdict | q.Unsat | q.Unknown]:
    """The search from reset for a state satisfying `goal` in exactly k steps, by k."""

    def at(k: int) -> Verdict | q.Unsat | q.Unknown:
        system = ctx.searched(k)

        def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
            return q.reach(system, goal, q.Steps(ctx.opts.setting(rng), k, path, budget_ms=budget))

        target = Target(system, state_reads(p, ctx.system), ask, to_verdict, ctx.opts.policy)
        return find_trace(target, ctx.opts.vcpus, k)

    return at


def _step(ctx: CheckContext, p: ir.Invariant, k: int, budget: int | None) -> tuple[q.Answer, str]:
    """The k-induction step over the system a k-step search runs, assuming the proved invariants
    inside it; with the proof's description."""
    stepped = ctx.searched(k)
    inside = ctx.assumable(stepped)
    req = q.Steps(ctx.opts.setting(), k, assume=[ctx.proved[n] for n in inside], budget_ms=budget)
    how = f"{k}-induction" + (f" assuming the proved {', '.join(inside)}" if inside else "")
    return q.induction_step(stepped, p.body, req), how


def check_invariant(ctx: CheckContext, p: ir.Invariant) -> Verdict:
    """Base case at depth k, then the (k+1)-induction step, for k = 0..depth. Induction steps
    past the first get a budget on this pass: a false invariant's counterexample to induction
    can be out of the solver's reach while the search from reset finds the violation
    (bench/heuristics.md). Steps left undecided are tried again, without a budget, once the
    search has found none."""
    bad = ir.Unop(ir.UnOp.NOT, p.body, ir.BOOL, p.span)
    base = _search(
        ctx,
        p,
        bad,
        simplified(
            ctx.sub, lambda w: Violated(replay.state_trace(ctx.sub, p.name, bad, w, "the invariant is false in this state"))
        ),
    )
    opts = ctx.opts
    cap = opts.policy.induction_budget_ms
    undecided: list[int] = []
    for k in range(opts.depth + 1):
        found = base(k)
        if isinstance(found, q.Unknown):
            return unknown_verdict(found)
        if not isinstance(found, q.Unsat):
            return found
        if k == opts.depth:
            break
        budget = cap if k >= 1 and not (opts.timeout and opts.timeout * 1000 <= cap) else None
        step, how = _step(ctx, p, k + 1, budget)
        if isinstance(step, q.Unsat):
            return Proved(how)
        if isinstance(step, q.Unknown):
            if budget is None:
                return unknown_verdict(step)
            undecided.append(k + 1)
    for k in undecided:
        step, how = _step(ctx, p, k, None)
        if isinstance(step, q.Unsat):
            return Proved(how)
        if isinstance(step, q.Unknown):
            return unknown_verdict(step)
    return Bounded(opts.depth, f"not k-inductive for k <= {opts.depth}; no violation within {opts.depth} steps of reset")


def check_cover(ctx: CheckContext, p: ir.Cover) -> Verdict:
    """BMC from reset, shortest trace first."""
    reach = _search(
        ctx, p, p.body, simplified(ctx.sub, lambda w: Covered(replay.state_trace(ctx.sub, p.name, p.body, w, "reached")))
    )
    for k in range(ctx.opts.depth + 1):
        found = reach(k)
        if isinstance(found, q.Unknown):
            return unknown_verdict(found)
        if not isinstance(found, q.Unsat):
            return found
    return Unreached(ctx.opts.depth)
