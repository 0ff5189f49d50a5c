"""gicheck diff's properties: checked on both sides and classified; a proof on the old side is
carried over instead of redone when the property's cone holds only actions proved the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from checker import ir
from checker.engines.prove import check_properties
from checker.engines.search import Options
from checker.irwalk import called_functions, cone, function_closure, state_reads, state_writes, strip
from checker.results import PropertyDiff, PropertyKind, PropertyResult, PropertyStatus, Proved, StateDiff, Violated


def classify(old: PropertyResult | None, new: PropertyResult | None) -> PropertyStatus:
    if old is None:
        return PropertyStatus.ADDED
    if new is None:
        return PropertyStatus.REMOVED
    po, pn = old.passed, new.passed
    fo, fn = isinstance(old.verdict, Violated), isinstance(new.verdict, Violated)
    if po and pn:
        return PropertyStatus.STILL_HOLDING
    if po and fn:
        return PropertyStatus.BROKEN
    if fo and pn:
        return PropertyStatus.FIXED
    if fo and fn:
        return PropertyStatus.STILL_FAILING
    return PropertyStatus.INCONCLUSIVE


@dataclass(frozen=True)
class Compared:
    """What the comparison of the two sides established, that a proof may be carried over on:
    the actions proved the same, and the state whose type or reset value differs."""

    old: ir.System
    new: ir.System
    same_actions: set[str]
    states: Sequence[StateDiff]


@dataclass(frozen=True)
class PropertyRun:
    """How diff_properties checks: each side's options, the properties named in `only` (None:
    all), the old side's results when already computed, and the properties the overlays expect
    broken."""

    old_opts: Options
    new_opts: Options
    only: set[str] | None = None
    old_results: list[PropertyResult] | None = None
    expect_broken: frozenset[str] = frozenset()


def carried_over(c: Compared, p_old: ir.Property, p_new: ir.Property) -> bool:
    """Is the property's verdict on the new side the old one? Yes when it is the same property
    over the same state, and every action that can write that state (on either side) is proved
    the same: then both sides reach the same values of that state, and the property sees nothing
    else."""
    old_sys, new_sys, same_actions = c.old, c.new, c.same_actions
    if strip(p_old) != strip(p_new):
        return False
    roots = state_reads(p_old, old_sys)
    name = getattr(p_old, "action", None)
    kept: tuple[str, ...] = ()
    if name is not None:
        action = old_sys.action(name)
        kept = (name,)
        roots |= state_reads((action.body, action.requires), old_sys) | state_writes(action.body, old_sys)
        if name not in same_actions:
            return False
    for f in called_functions(p_old):
        for g in function_closure(f, old_sys) | {f}:
            if g not in new_sys.functions or strip(old_sys.functions[g]) != strip(new_sys.functions.get(g)):
                return False
    c_old = cone(old_sys, roots & set(old_sys.states), kept)
    c_new = cone(new_sys, roots & set(new_sys.states), kept)
    if set(c_old.states) != set(c_new.states):
        return False
    touched = {s.name for s in c.states}
    if touched & set(c_old.states):
        return False
    return all(n in same_actions for n in set(c_old.actions) | set(c_new.actions))


def diff_properties(c: Compared, run: PropertyRun) -> tuple[list[PropertyDiff], list[PropertyResult]]:
    """Verdicts on both sides, classified; the old side's results are returned too (its proved
    invariants help the action comparison)."""
    old_sys, new_sys, only = c.old, c.new, run.only
    old_opts, new_opts, old_results = run.old_opts, run.new_opts, run.old_results
    olds = old_results if old_results is not None else check_properties(old_sys, old_opts, only)
    old_by = {r.name: r for r in olds if r.kind != PropertyKind.REFINEMENT}
    old_props = {p.name: p for p in old_sys.properties}
    carry: dict[str, PropertyResult] = {}
    todo: set[str] = set()
    for p in new_sys.properties:
        if only is not None and p.name not in only:
            continue
        r = old_by.get(p.name)
        if (
            r is not None
            and isinstance(r.verdict, Proved)
            and old_opts.vcpus == new_opts.vcpus
            and p.name in old_props
            and carried_over(c, old_props[p.name], p)
        ):
            carry[p.name] = replace(
                r, verdict=Proved(f"{r.verdict.method}; carried over: its cone is proved the same on both sides"), seconds=0.0
            )
        else:
            todo.add(p.name)
    news = check_properties(new_sys, new_opts, todo) if todo else []
    new_by = {r.name: r for r in news if r.kind != PropertyKind.REFINEMENT} | carry
    new_props = {p.name: p for p in new_sys.properties}
    out = []
    for name in dict.fromkeys([*old_by, *new_by]):
        o, n = old_by.get(name), new_by.get(name)
        status = classify(o, n)
        changed = name in old_props and name in new_props and strip(old_props[name]) != strip(new_props[name])
        out.append(
            PropertyDiff(
                name, status, o, n, name in carry, changed, status == PropertyStatus.BROKEN and name in run.expect_broken
            )
        )
    return out, olds


def proved_invariants(system: ir.System, results: list[PropertyResult]) -> list[ir.Expr]:
    ok = {r.name for r in results if isinstance(r.verdict, Proved)}
    return [p.body for p in system.properties if isinstance(p, ir.Invariant) and p.name in ok]
