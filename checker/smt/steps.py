"""The steps of unrollings from reset, each encoded once per process.

Every state after a step of an unrolling is a set of constants named by the step (flat.named),
so step t encodes to the same terms in every query of a search that runs the same system to the
same vCPU bound, whatever the depth asked or the actions chosen before step t: a search that
asks one query per sequence of actions, or depth after depth, shares the encoding of their
common steps. Equal Z3 terms share one id while they live, so a pre-state is keyed by its
terms' ids, and the entry holds those terms (and the system, keyed by its id) alive.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import z3

from checker import ir
from checker.smt import flat
from checker.smt.encode import Encoder, Env, StateT

# Entries are kept for the systems of the last few queries only: each property's search runs
# its own cone, so an older system's steps are never asked for again, and their terms are large.
_KEPT = 512
_SYSTEMS_KEPT = 2
_STEPS: OrderedDict[tuple[object, ...], Encoded | Final] = OrderedDict()
_RECENT: OrderedDict[int, None] = OrderedDict()  # ids of the systems entries are kept for
_E = TypeVar("_E", "Encoded", "Final")


@dataclass(frozen=True)
class Encoded:
    """One step as encoded: what it asserts, the definitions its encoding made (Encoder.defs),
    its named next state, and the action choice and arguments its decoder reads."""

    system: ir.System
    pre: StateT
    asserted: tuple[z3.BoolRef, ...]
    defs: tuple[z3.BoolRef, ...]
    nxt: StateT
    sel: z3.ExprRef
    args: dict[str, Env]


@dataclass(frozen=True)
class Final:
    """A contract's own access as encoded from a pre-state (query._final_action): what it
    asserts, the definitions its encoding made, its arguments, post-state and result. A search
    one sequence of actions at a time asks it from the same named state after each sequence of
    one length, and encoding it (GICv3's acknowledge over 988 SPIs) cost more than solving."""

    system: ir.System
    held: tuple[object, ...]  # the action and property keyed by id, kept alive
    asserted: tuple[z3.BoolRef, ...]
    defs: tuple[z3.BoolRef, ...]
    args: Env
    post: StateT
    result: z3.ExprRef | None


def final_key(enc: Encoder, action: ir.Action, prop: object, suffix: str, pre: StateT) -> tuple[object, ...]:
    """What the encoding of a contract's access depends on: as a step's (key), with the action
    and the property (its parameters and `where`, which pins argument fields) in place of the
    step, and the suffix of its arguments' names."""
    shortcuts = (enc.flat_max, enc.window, enc.first_match)
    return (id(enc.system), enc.max_n, shortcuts, "final", id(action), id(prop), suffix, tuple(_term_id(t) for t in pre.values()))


def kept_final(k: tuple[object, ...] | None, system: ir.System) -> Final | None:
    return _hit(k, system, Final)


def key(enc: Encoder, t: int, only: str | None, pre: StateT) -> tuple[object, ...]:
    """What the encoding of step t depends on: the encoder's system, the vCPU bound its loops
    unroll to, which arrays it makes Flat or windows and whether it defines first matches (a plain query's
    encoder does neither), the step (its arguments are named by it), the action if one is
    given, and the pre-state's terms."""
    shortcuts = (enc.flat_max, enc.window, enc.first_match)
    return (id(enc.system), enc.max_n, shortcuts, t, only, tuple(_term_id(term) for term in pre.values()))


def kept(k: tuple[object, ...] | None, system: ir.System) -> Encoded | None:
    return _hit(k, system, Encoded)


def _hit(k: tuple[object, ...] | None, system: ir.System, kind: type[_E]) -> _E | None:
    e = _STEPS.get(k) if k is not None else None
    if k is None or not isinstance(e, kind) or e.system is not system:
        return None
    _STEPS.move_to_end(k)
    return e


def keep(k: tuple[object, ...] | None, e: Encoded | Final) -> None:
    if k is None:
        return
    sid = id(e.system)
    _RECENT[sid] = None
    _RECENT.move_to_end(sid)
    if len(_RECENT) > _SYSTEMS_KEPT:
        old, _ = _RECENT.popitem(last=False)
        for stale in [key for key in _STEPS if key[0] == old]:
            del _STEPS[stale]
    _STEPS[k] = e
    if len(_STEPS) > _KEPT:
        _STEPS.popitem(last=False)


def _term_id(term: flat.Term) -> object:
    if isinstance(term, flat.Flat):
        return (term.lo, tuple(_term_id(e) for e in term.elems), _term_id(term.other))
    return term.get_id()
