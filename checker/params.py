"""The values a spec parameter allows: its declared range and its `where` clause (which may read
nr_vcpus and the parameters declared before it). `--param` and the reference model check the
values they are given here: a value the spec excludes would otherwise leave nothing to check,
and every property would hold of it."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice, product

from checker import interp, ir
from checker.irwalk import reached
from checker.render.exprs import show_expr

# Combinations of nr_vcpus and the other parameters a `where` clause reads that are tried
# before the value is given the benefit of the doubt.
MAX_TRIES = 4096


def value_error(
    system: ir.System, name: str, value: int, vcpus: tuple[int, int], ranges: Mapping[str, tuple[int, int]] | None = None
) -> str | None:
    """Why `name = value` is not a value the spec allows, or None when it is. A `where` clause
    that reads nr_vcpus or other parameters allows the value when it holds, with the clauses of
    those parameters, for some vCPU count in `vcpus` and some values of those parameters (in
    `ranges`, else in their declared ranges)."""
    p = system.params[name]
    lo, hi = p.type.lo, p.type.hi if p.type.hi is not None else p.type.lo
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return f"{name} = {value} is outside its range {lo}..{hi} ({p.span})"
    if p.where is None:
        return None
    involved, reads_vcpus = _involved(system, name)
    others = sorted(involved - {name})
    counts = range(vcpus[0], vcpus[1] + 1 if reads_vcpus else vcpus[0] + 1)
    domains = [range(a, b + 1) for a, b in (_range(system, o, ranges or {}) for o in others)]
    lowest = {q.name: q.type.lo for q in system.params.values()}  # the interpreter needs every parameter
    combos = list(islice(product(counts, *domains), MAX_TRIES + 1))
    if len(combos) > MAX_TRIES:
        return None
    for n, *vals in combos:
        values = {**lowest, **dict(zip(others, vals, strict=True)), name: value}
        if all(interp.where_holds(system, n, values, system.params[q]) for q in sorted(involved)):
            return None
    return f"{name} = {value} is not allowed: the model requires {show_expr(p.where)} ({p.span})"


def _involved(system: ir.System, name: str) -> tuple[set[str], bool]:
    """The parameters whose `where` clauses constrain `name`'s (it, those its clause reads, and
    so on), and whether any of those clauses reads nr_vcpus."""
    seen: set[str] = set()
    reads_vcpus = False
    todo = [name]
    while todo:
        q = todo.pop()
        if q in seen:
            continue
        seen.add(q)
        where = system.params[q].where
        nodes = list(reached(where, system)) if where is not None else []
        reads_vcpus = reads_vcpus or any(isinstance(n, ir.NrVcpus) for n in nodes)
        todo += [n.name for n in nodes if isinstance(n, ir.ParamRef)]
    return seen, reads_vcpus


def _range(system: ir.System, name: str, ranges: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    t = system.params[name].type
    return ranges.get(name, (t.lo, t.hi if t.hi is not None else t.lo))
