"""The names a patch gives for `gicheck diff`: `expect different`, `expect broken` and `relate`.

Checked against the two resolved sides of a diff. Names from an overlay carry their span and
come back as diagnostics there; names from the command line (--expect, --expect-broken) carry
none and come back as plain names, for the command line to report as a usage error.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker import ir
from checker.diagnostics import Diagnostic, Note
from checker.lower import state_reads
from checker.model import Design
from checker.syntax import ast as A


@dataclass(frozen=True)
class UnknownNames:
    diagnostics: tuple[Diagnostic, ...]  # names an overlay gives, at the overlay's line
    flags: tuple[str, ...]  # names the command line gives


def _unknown(expected: dict[str, A.Span | None], known: set[str], decl: str, in_overlay: str) -> UnknownNames:
    return UnknownNames(
        tuple(
            Diagnostic(f"{decl} {n}: {in_overlay.format(n)}", span)
            for n, span in expected.items()
            if n not in known and span is not None
        ),
        tuple(n for n, span in expected.items() if n not in known and span is None),
    )


def check_expected(expected: dict[str, A.Span | None], old: Design, new: Design) -> UnknownNames:
    """`expect different NAME` names an action, register, frame or state of either side."""
    known = set()
    for d in (old, new):
        known |= set(d.registers) | set(d.sysregs) | set(d.frames) | set(d.states) | set(d.actions)
        for reg in d.registers.values():
            known |= {a.name for a in reg.handlers.values()}
        for sr in d.sysregs.values():
            known |= {a.name for a in sr.handlers.values()}
        for f in d.frames.values():
            known |= {a.name for a in f.actions.values()}
    return _unknown(expected, known, "expect different", "neither side has an action, register, frame or state named {}")


def check_expected_broken(expected: dict[str, A.Span | None], old: Design) -> UnknownNames:
    """`expect broken P` names a property the old side has (one the patch could break)."""
    return _unknown(expected, {p.name for p in old.properties}, "expect broken", "the old side has no property named {}")


def check_related(relates: dict[str, A.Relate], old: ir.System, new: ir.System) -> tuple[dict[str, str], list[Diagnostic]]:
    """`relate S by F`: S is state on both sides with the same indices and another element type;
    F is a function of the new side from the old element type to the new one that reads no state.
    Returns the relations that pass (state -> function) and the errors of the others."""
    errors: list[Diagnostic] = []
    out: dict[str, str] = {}
    for n, r in relates.items():
        err = _relation_error(n, r, old, new)
        if err is None:
            out[n] = r.fn
        else:
            errors.append(err)
    return out, errors


def _element(t: ir.Type) -> tuple[list[str], ir.Type]:
    """An array type's index types, outermost first, and its element type."""
    dims = []
    while isinstance(t, ir.ArrayT):
        dims.append(str(t.index))
        t = t.elem
    return dims, t


def _relation_error(n: str, r: A.Relate, old: ir.System, new: ir.System) -> Diagnostic | None:
    head = f"relate {n} by {r.fn}"
    if n not in old.states or n not in new.states:
        side = "old" if n not in old.states else "new"
        return Diagnostic(f"{head}: the {side} side has no state {n}; a relation is for state both sides declare", r.span)
    so, sn = old.states[n], new.states[n]
    (dims_o, to), (dims_n, tn) = _element(so.type), _element(sn.type)
    notes = (Note(f"old: {so.type}", so.span), Note(f"new: {sn.type}", sn.span))
    if dims_o != dims_n:
        return Diagnostic(f"{head}: the two sides index {n} differently; a relation maps element to element", r.span, notes)
    if str(to) == str(tn):
        return Diagnostic(
            f"{head}: {n} has the same type on both sides ({so.type}), so it is compared as it is; no relation is needed",
            r.span,
            notes,
        )
    return _relation_fn_error(head, r, (to, tn), new)


def _relation_fn_error(head: str, r: A.Relate, types: tuple[ir.Type, ir.Type], new: ir.System) -> Diagnostic | None:
    """The relation's function against the old and new element types."""
    to, tn = types
    f = new.functions.get(r.fn)
    if f is None:
        return Diagnostic(f"{head}: the new side has no function {r.fn}; declare it in the overlay, from {to} to {tn}", r.span)
    if len(f.params) != 1 or str(f.params[0].type) != str(to) or str(f.ret) != str(tn):
        sig = f"({', '.join(str(p.type) for p in f.params)}) -> {f.ret}"
        return Diagnostic(
            f"{head}: {r.fn} must take the old element type and return the new one, ({to}) -> {tn}; it is {sig}",
            r.span,
            (Note(f"{r.fn} is declared here", f.span),),
        )
    if state_reads(f.body, new):
        return Diagnostic(
            f"{head}: {r.fn} reads state ({', '.join(sorted(state_reads(f.body, new)))}); a relation is a function of the old value alone",
            r.span,
            (Note(f"{r.fn} is declared here", f.span),),
        )
    return None
