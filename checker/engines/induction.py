"""Invariants by k-induction (Sheeran, Singh and Stalmarck, FMCAD 2000): the base case is a search
from reset (engines/search.py), the step a query from arbitrary states (smt/query.induction_step).
Covers are the base case alone: a search from reset for a state satisfying the goal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from checker import interp, ir
from checker.engines import replay
from checker.engines.deepen import AtDepth, Stopped, deepening
from checker.engines.search import (
    CheckContext,
    DepthPass,
    Target,
    find_trace,
    has_wide_arrays,
    more_guides,
    search_ranges,
    shortest,
    unknown_verdict,
)
from checker.engines.simplify import simplified
from checker.irwalk import state_reads, state_writes
from checker.results import Bounded, Covered, Proved, Unknown, Unreached, Verdict, Violated
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")


def _search(
    ctx: CheckContext, p: ir.Invariant | ir.Cover, goal: ir.Expr, to_verdict: Callable[[q.Witness], Verdict]
) -> Callable[[int, DepthPass], Verdict | q.Unsat | q.Unknown]:
    """The search from reset for a state satisfying `goal` in exactly k steps, by k (and how)."""

    def at(k: int, how: DepthPass) -> Verdict | q.Unsat | q.Unknown:
        system = ctx.searched(k)

        def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None, window: bool = False) -> q.Answer:
            return q.reach(system, goal, q.Steps(ctx.opts.setting(rng, window), k, path, budget_ms=budget))

        def windowed(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
            return ask(rng, path, budget, True)

        target = Target(
            system,
            state_reads(p, ctx.system),
            ask,
            to_verdict,
            ctx.opts.policy,
            windowed=windowed if has_wide_arrays(system, ctx.opts.policy) else None,
        )
        return find_trace(target, ctx.opts.vcpus, k, how)

    return at


def goal_guides(ctx: CheckContext, p: ir.Invariant | ir.Cover, goal: ir.Expr) -> list[set[str]]:
    """What a search from reset for `goal` is guided by, one set per route: the state the goal
    reads; then the state variables that a state one access away from the goal needs away from
    reset (its pre-state minimized in the interpreter), with those of the goal that access
    writes, and more routes with variables held at reset (search.more_guides), as far as the
    solver finds such states within the policy's guide_budget_ms each, and its guides_total_ms
    together."""
    opts, policy = ctx.opts, ctx.opts.policy
    system = ctx.searched(1)
    lo, hi = opts.vcpus
    # two vCPUs first: a guide only points the search, and the query is cheapest there
    ranges = list(dict.fromkeys([(lo, min(hi, lo + 1)), search_ranges(opts.vcpus, policy.small_vcpus)[0]]))
    assume = [ctx.proved[n] for n in ctx.assumable(system)]
    deadline = policy.guides_deadline()

    def ask(avoid: list[set[str]]) -> q.Answer:
        a: q.Answer = q.Unsat()
        for rng in ranges:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                return q.Unknown("the time for guides ran out")
            req = q.Steps(opts.setting(rng), 1, assume=assume, budget_ms=min(policy.guide_budget_ms, left), avoid=avoid)
            a = q.pre_goal(system, goal, req)
            if isinstance(a, q.Sat):
                return a
        return a

    def confirm(x: q.Witness) -> object:
        return replay.state_trace(system, p.name, goal, x, "reached")

    def minimize(w: q.Witness) -> set[str]:
        try:
            confirm(w)
        except (replay.ReplayMismatch, interp.InterpError):
            return set()
        written = state_writes(system.action(w.steps[-1][0]).body, system) & state_reads(goal, system)
        return replay.moved_from_reset(system, w, confirm) | written

    # the goal's own state first: it needs no query, and the queries below can take longer
    # than their budget (bench/heuristics.md)
    guides = [state_reads(goal, system) & set(system.states)]
    first = ask([])
    if isinstance(first, q.Sat):
        more = more_guides(minimize(first.witness), ask, minimize, policy.guides, deadline)
        guides += [g for g in more if g not in guides]
    for g in guides:
        log.info("%s: guided by runs that move %s away from reset", p.name, ", ".join(sorted(g)))
    return guides


def _step(ctx: CheckContext, p: ir.Invariant, k: int, budget: int | None, plain: bool = False) -> tuple[q.Answer, str]:
    """The k-induction step over the system a k-step search runs, assuming the proved invariants
    inside it; with the proof's description. `plain`: asked as a plain query (q.Setting)."""
    stepped = ctx.searched(k)
    inside = ctx.assumable(stepped)
    setting = replace(ctx.opts.setting(), plain=plain)
    req = q.Steps(setting, k, assume=[ctx.proved[n] for n in inside], budget_ms=budget)
    how = f"{k}-induction" + (f" assuming the proved {', '.join(inside)}" if inside else "")
    return q.induction_step(stepped, p.body, req), how


def _proved(ctx: CheckContext, p: ir.Invariant, k: int, how: str) -> Proved | Unknown:
    """A k-induction step the solver answered unsat, asked again as a plain query (none of the
    encoding's shortcuts, a fresh solver with its defaults: q.Setting) within the re-check's
    budget (or --timeout, if less): PROVED only when that is unsat too."""
    budget = ctx.opts.policy.recheck_budget_ms
    limit = min(budget, int(ctx.opts.timeout * 1000)) if ctx.opts.timeout else budget
    t0 = time.perf_counter()
    again, _ = _step(ctx, p, k, budget, plain=True)
    log.info(
        "%s: plain re-check of the %d-induction step: %s in %.1f s", p.name, k, type(again).__name__, time.perf_counter() - t0
    )
    if isinstance(again, q.Unsat):
        return Proved(how)
    if isinstance(again, q.Sat):
        said = "a counterexample to induction"
    else:
        said = f"unknown ({again.reason}) within its limit of {limit} ms"
        said += " (--timeout)" if limit < budget else " (SearchPolicy.recheck_budget_ms)"
    log.warning("%s: %s, but its plain re-check answered %s", p.name, how, said)
    return Unknown(f"{how} not confirmed: the step asked again as a plain query answered {said}")


def check_invariant(ctx: CheckContext, p: ir.Invariant) -> Verdict:
    """Base case at depth k, then the (k+1)-induction step, for k = 0..depth. The steps get a
    budget on this pass (the first a longer one), and once one is undecided the deeper ones
    wait for the search from reset (_waiting_steps): a false invariant's counterexample to
    induction can be out of the solver's reach where that search finds the violation
    (bench/heuristics.md); one that had all of --timeout is not asked again. An undecided base
    case is left for later, the violation searched deeper (_deeper), and the steps up to it asked."""
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
    gave_up: int | None = None  # the first step left undecided: the later ones wait for it
    spent: q.Unknown | None = None  # that step's answer, when --timeout rather than a budget bounded it
    deadline = opts.deadline()
    in_steps = 0.0  # --search-time is the search's: the first pass's steps do not spend it
    searched = False  # every base case to the depth decided: no violation
    for k in range(opts.depth + 1):
        if not searched:
            if deadline is not None and time.monotonic() - in_steps >= deadline and k > 0:
                return Bounded(k - 1, f"not k-inductive for k <= {k - 1}; {Stopped(k - 1, opts.search_time or 0).reason}")
            found = base(k, DepthPass())
            if isinstance(found, q.Unknown):
                deeper = _deeper(ctx, p, bad, base, (k, found))
                if isinstance(deeper, Unknown) and gave_up is not None and spent is None:
                    # the base cases below k are decided: the steps left waiting up to k can
                    # still prove it (the k-induction step needs only those)
                    waited = _waiting_steps(ctx, p, gave_up, k)
                    return waited if isinstance(waited, Proved) else deeper
                if deeper is not None:
                    return deeper
                searched = True
            elif not isinstance(found, q.Unsat):
                return shortest(found)  # every shorter length had no trace
        if k == opts.depth:
            break
        if gave_up is not None:
            continue
        cap = opts.policy.induction_budget_ms if k >= 1 else opts.policy.first_step_budget_ms
        budget = cap if not (opts.timeout and opts.timeout * 1000 <= cap) else None
        t0 = time.monotonic()
        step, how = _step(ctx, p, k + 1, budget)
        in_steps += time.monotonic() - t0
        if isinstance(step, q.Unsat):
            return _proved(ctx, p, k + 1, how)
        if isinstance(step, q.Unknown):
            gave_up = k + 1
            if budget is None:
                spent = step  # it had all of --timeout: asking again would only run out again
    if spent is not None:
        return unknown_verdict(spent)
    waited = _waiting_steps(ctx, p, gave_up, opts.depth) if gave_up is not None else None
    if waited is not None:
        return waited
    return Bounded(opts.depth, f"not k-inductive for k <= {opts.depth}; no violation within {opts.depth} steps of reset")


def _waiting_steps(ctx: CheckContext, p: ir.Invariant, first: int, last: int) -> Verdict | None:
    """The induction steps left waiting, first..last, asked in turn without a budget: PROVED
    by the first that answers unsat (and its re-check), UNKNOWN at the first that does not
    decide; None when each answers sat."""
    for k in range(first, last + 1):
        step, how = _step(ctx, p, k, None)
        if isinstance(step, q.Unsat):
            return _proved(ctx, p, k, how)
        if isinstance(step, q.Unknown):
            return unknown_verdict(step)
    return None


def _guided(ctx: CheckContext, p: ir.Invariant | ir.Cover, goal: ir.Expr, search: AtDepth) -> AtDepth:
    """`search` with the runs a state one access from `goal` points at (goal_guides), asked
    for once, the first time a pass wants them."""
    guides: list[set[str]] = []

    def guide_sets() -> list[set[str]]:
        if not guides:
            guides.extend(goal_guides(ctx, p, goal))
        return guides

    def at(k: int, how: DepthPass) -> Verdict | q.Unsat | q.Unknown:
        return search(k, replace(how, guides=guide_sets if how.guided and k >= 2 else None))

    return at


def _deeper(ctx: CheckContext, p: ir.Invariant, bad: ir.Expr, base: AtDepth, undecided: tuple[int, q.Unknown]) -> Verdict | None:
    """A base case left undecided: the violation searched for at the depths after it, guided
    and deferring what the solver does not decide in time (deepen.deepening), then the depths
    left. The violation found (with a note if a shorter one is not ruled out), or why the search
    stopped; None when every depth to the run's depth is decided and has none."""
    found = deepening(_guided(ctx, p, bad, base), ctx.opts.depth + 1, ctx.opts, after=undecided)
    if isinstance(found, q.Unknown):
        return unknown_verdict(found)
    if isinstance(found, Stopped):
        return Bounded(found.decided, f"not k-inductive for k <= {undecided[0]}; {found.reason}")
    return found


def check_cover(ctx: CheckContext, p: ir.Cover) -> Verdict:
    """BMC from reset, shortest trace first: depth by depth, the runs that a state one access
    from the goal points at first (goal_guides), a depth the solver does not decide in time left
    for later (deepen.deepening), so that a scenario deeper than the search can enumerate is
    still found."""
    reach = _search(
        ctx, p, p.body, simplified(ctx.sub, lambda w: Covered(replay.state_trace(ctx.sub, p.name, p.body, w, "reached")))
    )
    found = deepening(_guided(ctx, p, p.body, reach), ctx.opts.depth + 1, ctx.opts)
    if isinstance(found, q.Unknown):
        return unknown_verdict(found)
    if isinstance(found, Stopped):
        return Unreached(found.decided, found.reason)
    return found if found is not None else Unreached(ctx.opts.depth, f"the maximum depth (--depth {ctx.opts.depth})")
