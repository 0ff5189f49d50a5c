"""Vacuity of a proved contract or independence property: does the access it is about ever
happen? A property over an access that is never enabled, or whose `where` clause is false in
every state, holds of nothing (issue 18).

Two depths of check (`Options.vacuity`): ANY_STATE asks one query per vCPU range, whether any
state allows the action's `requires` and the `where` clause together (smt/query.py:
access_possible; what the access does is not encoded); REACHABLE runs the property's whole check
on a copy whose body is `false`, a search from reset, which is violated exactly when some run
makes the access, proved when no state allows it, and bounded when no run within the depth was
found to (it about doubles the main job: bench/speed.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from checker import ir
from checker.engines.search import Options, VacuityCheck, search_ranges
from checker.results import Bounded, Proved, Vacuity, VacuityKind, Verdict
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
