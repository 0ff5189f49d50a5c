"""Simplify a witness's arguments in the interpreter before its trace is shown.

The solver returns whichever values satisfy a query first, and which it finds first depends on
the order of hash-seeded sets and on how far a time-budgeted strategy got: the same question can
give 0xfffc one run and 0x7ff7 the next. A trace a user pastes into a mailing list, a golden
file or a regression test should not change with the machine's load, so each argument of each
access is made as simple as the failure allows, in the interpreter: zero if the failure stays,
else the lowest single bit that keeps it, else the value with every bit cleared (highest first)
that the failure does not need. Whenever one bit alone shows the failure, the result is the same
whatever value the solver started from. Before the arguments, each configuration parameter
(nr_irqs) of a run from reset is lowered to the smallest allowed value that keeps the failure.
Every candidate is smaller than the value it replaces, so this ends; the check decides "the
failure stays", typically by replaying the whole trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from checker import interp, ir
from checker.engines.replay import ReplayMismatch
from checker.smt.product import PairWitness
from checker.smt.query import Witness

# A run the check refuses (the failure is gone, or an access is no longer enabled or valid).
_GONE = (ReplayMismatch, interp.InterpError, interp.Blocked)

T = TypeVar("T")

Accesses = list[tuple[str, dict[str, interp.Value]]]


def _holds(check: Callable[[], object]) -> bool:
    try:
        check()
    except _GONE:
        return False
    return True


def _width(t: ir.Type) -> int | None:
    if isinstance(t, (ir.BitsT, ir.IndexT)):
        return ir.width_of(t)
    return None


def simplest_value(t: ir.Type, v: interp.Value, holds: Callable[[interp.Value], bool]) -> interp.Value:
    """The simplest value for one argument that keeps `holds` true (it holds of `v`)."""
    if isinstance(v, bool):
        return False if v and holds(False) else v
    width = _width(t)
    if width is None or not isinstance(v, int) or v <= 0:
        return v
    tried: dict[interp.Value, bool] = {}

    def holds_once(x: interp.Value) -> bool:
        if x not in tried:
            tried[x] = holds(x)
        return tried[x]

    return _simplest_bits(v, width, holds_once)


def _simplest_bits(v: int, width: int, holds: Callable[[interp.Value], bool]) -> int:
    if holds(0):
        return 0
    for i in range(width):
        bit = 1 << i
        if bit >= v:
            break
        if holds(bit):
            return bit
    for i in reversed(range(width)):
        bit = 1 << i
        if v & bit and holds(v & ~bit):
            v &= ~bit
    return v


def _with(steps: Accesses, i: int, name: str, v: interp.Value) -> Accesses:
    out = list(steps)
    out[i] = (out[i][0], {**out[i][1], name: v})
    return out


def simplest_accesses(system: ir.System, steps: Accesses, holds: Callable[[Accesses], bool]) -> Accesses:
    """Each argument of each access in `steps` (in order) made as simple as `holds` allows."""
    cur = [(name, dict(args)) for name, args in steps]
    for i, (name, _) in enumerate(steps):
        action = system.action(name)
        fixed = _register_selectors(action)
        for p in action.params:
            if p.name in cur[i][1] and p.name not in fixed:
                cur = _with(cur, i, p.name, simplest_value(p.type, cur[i][1][p.name], _slot_check(cur, i, p.name, holds)))
    return cur


def _slot_check(steps: Accesses, i: int, name: str, holds: Callable[[Accesses], bool]) -> Callable[[interp.Value], bool]:
    """`holds` of `steps` with one argument set to the value asked about."""
    return lambda v: holds(_with(steps, i, name, v))


def _register_selectors(action: ir.Action) -> set[str]:
    """The parameters of a memory-mapped access that say which register it reaches: a frame
    access's offset and width, a handler's redistributor and element index (all but the
    accessing vCPU, first, and a write's value, last). Another register is another access, not
    a simpler value of the same one, so these are never simplified."""
    if not action.kind.is_mmio:
        return set()
    names = [p.name for p in action.params]
    end = len(names) - 1 if action.kind == ir.ActionKind.MMIO_WRITE else len(names)
    return set(names[1:end])


def simplest_witness(system: ir.System, w: Witness, confirm: Callable[[Witness], object]) -> Witness:
    """`w` with its accesses' arguments simplified while `confirm` (a trace builder, which raises
    ReplayMismatch when the failure is gone) still accepts it. The solver's own witness is
    confirmed first: a ReplayMismatch on it propagates (an internal error, never hidden by a
    simpler witness that happens to replay)."""
    confirm(w)
    w = _simplest_params([system], w, w.pre_state is None, confirm)
    # A two-run witness's last access is tied to its alternative (equal but for the ignored
    # bits): only the accesses before it are simplified.
    fixed = w.steps[-1:] if w.alt_args is not None else []
    free = w.steps[: len(w.steps) - len(fixed)]
    if not free:
        return w
    steps = simplest_accesses(system, free, lambda s: _holds(lambda: confirm(replace(w, steps=s + fixed))))
    return replace(w, steps=steps + fixed)


W = TypeVar("W", Witness, PairWitness)


def _simplest_params(systems: Sequence[ir.System], w: W, from_reset: bool, confirm: Callable[[W], object]) -> W:
    """Each configuration parameter (`param nr_irqs`) lowered to the smallest value its range
    and `where` clause (in every one of `systems`) allow that keeps the failure. A run from an
    arbitrary state keeps the solver's values: that state was chosen for them."""
    if not from_reset:
        return w
    for name, param in systems[0].params.items():
        cur = w.params.get(name)
        if cur is None:
            continue
        for v in range(param.type.lo, cur):
            params = {**w.params, name: v}
            if not all(_allowed(s, w.nr_vcpus, params) for s in systems):
                continue
            cand: W = replace(w, params=params)
            if _holds(partial(confirm, cand)):
                w = cand
                break
    return w


def _allowed(system: ir.System, nr_vcpus: int, params: dict[str, int]) -> bool:
    if not set(system.params) <= set(params):
        return False
    return all(interp.where_holds(system, nr_vcpus, params, p) for p in system.params.values())


def simplest_pair(old: ir.System, new: ir.System, w: PairWitness, confirm: Callable[[PairWitness], object]) -> PairWitness:
    """A distinguishing input of gicheck diff with its parameters, the accesses from reset and
    the access's own arguments (named as on the old side) simplified while `confirm` still tells
    the sides apart; `w` itself is confirmed first, as in simplest_witness."""
    confirm(w)
    w = _simplest_params([old, new], w, w.pre_old is None, confirm)
    steps = [*w.prefix, (w.action, w.args)]

    def holds(s: Accesses) -> bool:
        return _holds(lambda: confirm(replace(w, prefix=s[:-1], args=s[-1][1])))

    out = simplest_accesses(old, steps, holds)
    return replace(w, prefix=out[:-1], args=out[-1][1])


def simplified(system: ir.System, build: Callable[[Witness], T]) -> Callable[[Witness], T]:
    """A trace builder that first simplifies the witness's arguments with itself as the check."""

    def run(w: Witness) -> T:
        return build(simplest_witness(system, w, build))

    return run
