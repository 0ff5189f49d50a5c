"""Vacuity of a proved contract or independence property: does the access it is about ever
happen? A property over an access that is never enabled, or whose `where` clause is false in
every state, holds of nothing (issue 18). Likewise a proved invariant `forall xs. A -> B`
whose premise A never holds.

Two depths of check (`Options.vacuity`): ANY_STATE asks one query per vCPU range, whether any
state allows the action's `requires` and the `where` clause together (smt/query.py:
access_possible; what the access does is not encoded); REACHABLE runs the property's whole check
on a copy whose body is `false`, a search from reset, which is violated exactly when some run
makes the access, proved when no state allows it, and bounded when no run within the depth was
found to (it about doubles the main job: bench/speed.md). An invariant's premise: ANY_STATE
asks whether any state satisfying the invariants proved before it has the premise
(smt/handlers.py: state_possible); REACHABLE searches from reset for a state that has it (the
cover `exists xs. A`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from checker import ir
from checker.engines.search import Options, VacuityCheck, search_ranges
from checker.results import Bounded, Proved, Unreached, Vacuity, VacuityKind, Verdict
from checker.smt import handlers
from checker.smt import query as q

_FALSE = ir.Const(False, ir.BoolT())


def never(p: ir.Contract | ir.Independence) -> ir.Contract:
    """The contract "this access never happens": `p`'s action, parameters and `where`, body false."""
    if isinstance(p, ir.Contract):
        return replace(p, body=_FALSE)
    return ir.Contract(p.name, p.action, p.params, None, p.where, _FALSE, p.doc, p.span)


def vacuity(
    system: ir.System, p: ir.Contract | ir.Independence, opts: Options, check: Callable[[ir.Contract], Verdict]
) -> Vacuity | None:
    """The warning for `p`, proved, if its access never happens (or, with REACHABLE, was not
    seen to within the depth from reset); None when it may happen, or the solver could not say.
    `check` runs a property's whole check (REACHABLE)."""
    if p.where is not None:
        access, why = f"{p.action} with its where clause", "the action's requires and the where clause are never both true"
    else:
        access, why = p.action, "the action's requires is never true"
    c = never(p)
    vacuous = Vacuity(VacuityKind.VACUOUS, f"{p.name} holds vacuously: no state allows {access} ({why})")
    match opts.vacuity:
        case VacuityCheck.NONE:
            return None
        case VacuityCheck.ANY_STATE:
            for rng in search_ranges(opts.vcpus, opts.policy.small_vcpus):
                if not isinstance(handlers.access_possible(system, c, opts.setting(rng)), q.Unsat):
                    return None
            return vacuous
        case VacuityCheck.REACHABLE:
            match check(c):
                case Proved():
                    return vacuous
                case Bounded():
                    return Vacuity(
                        VacuityKind.UNWITNESSED,
                        f"{p.name} may hold vacuously: no run of up to {opts.depth} accesses from reset makes {access} "
                        "(a larger --depth may find one)",
                    )
            return None
    raise AssertionError(opts.vacuity)


def premise(p: ir.Invariant) -> ir.Cover | None:
    """The cover "the premise of `p` holds": `exists xs. A` for `p` of the form
    `forall xs. A -> B` (or `A -> B`); None for an invariant of any other form."""
    body: ir.Expr = p.body
    bound: list[ir.Local] = []
    while isinstance(body, ir.Quant) and body.kind == ir.QuantKind.FORALL:
        bound += body.vars
        body = body.body
    if not (isinstance(body, ir.Binop) and body.op == ir.Op.IMPLIES):
        return None
    goal = ir.Quant(ir.QuantKind.EXISTS, tuple(bound), body.left, ir.BOOL, body.left.span) if bound else body.left
    return ir.Cover(p.name, goal, p.doc, p.span)


def invariant_vacuity(
    system: ir.System, p: ir.Invariant, opts: Options, assumed: list[ir.Expr], check: Callable[[ir.Cover], Verdict]
) -> Vacuity | None:
    """The warning for `p`, proved, if its premise never holds: in no state satisfying the
    invariants `assumed` (ANY_STATE; REACHABLE first asks this too), or, with REACHABLE, in no
    run within the depth from reset (`check` runs a cover's check). None when it may hold, the
    solver could not say, or `p` has no premise."""
    cover = premise(p)
    if cover is None or opts.vacuity == VacuityCheck.NONE:
        return None
    before = " that satisfies the invariants proved before it" if assumed else ""
    if all(
        isinstance(handlers.state_possible(system, cover.body, assumed, opts.setting(rng)), q.Unsat)
        for rng in search_ranges(opts.vcpus, opts.policy.small_vcpus)
    ):
        return Vacuity(VacuityKind.VACUOUS, f"{p.name} holds vacuously: its premise (left of ->) is false in every state{before}")
    if opts.vacuity == VacuityCheck.ANY_STATE:
        return None
    if isinstance(check(cover), Unreached):
        return Vacuity(
            VacuityKind.UNWITNESSED,
            f"{p.name} may hold vacuously: no run of up to {opts.depth} accesses from reset reaches a state where its "
            "premise (left of ->) holds (a larger --depth may find one)",
        )
    return None
