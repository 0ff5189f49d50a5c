"""A trace's arguments are simplified in the interpreter before it is shown (engines/simplify.py):
the same failure gives the same trace whatever values the solver picked, and a witness the
interpreter does not confirm is still an internal error, never replaced by a simpler one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checker import interp, ir, pipeline
from checker.engines import replay, simplify
from checker.smt.query import Witness
from tests import helpers

BITS32 = ir.BitsT(32)


def _asked(pred: Callable[[int], bool]) -> tuple[list[int], Callable[[interp.Value], bool]]:
    seen: list[int] = []

    def holds(v: interp.Value) -> bool:
        assert isinstance(v, int)
        seen.append(v)
        return pred(v)

    return seen, holds


def test_zero_when_the_failure_does_not_need_the_value() -> None:
    seen, holds = _asked(lambda v: True)
    assert simplify.simplest_value(BITS32, 0x7FF7, holds) == 0
    assert seen == [0]


@pytest.mark.parametrize("start", [0xFFFC, 0x7FF7, 0x8, 0xFFFFFFFF])
def test_one_bit_is_the_same_from_any_start(start: int) -> None:
    """Any value with bit 3 set fails; each start ends at 0x8, the lowest one-bit value."""
    assert simplify.simplest_value(BITS32, start, lambda v: isinstance(v, int) and bool(v & 0x8)) == 0x8


def test_bits_the_failure_needs_together_are_kept_and_the_rest_cleared() -> None:
    """Bits 1 and 4 are needed together: no single bit does; greedy clearing keeps exactly those."""
    assert simplify.simplest_value(BITS32, 0xF3, lambda v: isinstance(v, int) and v & 0x12 == 0x12) == 0x12


def test_candidates_are_smaller_than_the_value() -> None:
    seen, holds = _asked(lambda v: v == 0x4)
    assert simplify.simplest_value(BITS32, 0x4, holds) == 0x4
    assert seen == [0, 1, 2]  # never 4 itself or anything above it


def test_booleans_become_false_when_they_may() -> None:
    assert simplify.simplest_value(ir.BOOL, True, lambda v: True) is False
    assert simplify.simplest_value(ir.BOOL, True, lambda v: v is True) is True


def test_an_unconfirmed_witness_is_not_replaced_by_a_simpler_one() -> None:
    """The check refuses the solver's own witness but would accept a simpler one: the refusal
    propagates (an internal error), instead of a trace the solver never found."""
    system = pipeline.load_system(helpers.ROOT / "tests/specs/engines", "gicv3")
    action = next(a for a in system.actions.values() if a.params)
    args = {p.name: 0 for p in action.params}
    first = dict(args)
    first[action.params[-1].name] = 1
    w = Witness(1, steps=[(action.name, first)])

    def confirm(x: Witness) -> object:
        if x.steps[0][1] == first:
            raise replay.ReplayMismatch("the interpreter does not confirm the witness")
        return x

    with pytest.raises(replay.ReplayMismatch):
        simplify.simplest_witness(system, w, confirm)
