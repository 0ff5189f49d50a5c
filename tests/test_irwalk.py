"""IR walks (checker/irwalk.py): call edges, reads and writes through calls, the cone, and code
compared without its source places; and the kind enums the walks and engines test."""

from __future__ import annotations

import json

from checker import ir
from checker.irwalk import ActionRef, FnRef, calls, cone, function_closure, invoked, state_reads, state_writes, strip
from checker.results import ActionStatus, PropertyKind
from checker.span import Span

B8 = ir.BitsT(8)
HERE = Span("a.gic", 3, 5, 3, 9)
THERE = Span("b.gic", 7, 1, 7, 5)


def _ret(e: ir.Expr) -> tuple[ir.Stmt, ...]:
    return (ir.Return(e),)


def _system() -> ir.System:
    """`use` calls f (which calls g) and invokes R.write, which writes x from y; `other` writes z."""
    g = ir.Function("g", (), B8, _ret(ir.Const(1, B8)))
    f = ir.Function("f", (), B8, _ret(ir.Call("g", (), B8)))
    write_x = (ir.Assign(ir.Target("x", True, (), B8), ir.StateRef("y", B8)),)
    handler = ir.Action("R.write", ir.ActionKind.MMIO_WRITE, (), None, write_x, "R")
    use = ir.Action(
        "use",
        ir.ActionKind.ENV,
        (),
        ir.Binop(ir.Op.EQ, ir.Call("f", (), B8), ir.Const(1, B8), ir.BOOL),
        (ir.Invoke("R.write", ()),),
    )
    other = ir.Action("other", ir.ActionKind.ENV, (), None, (ir.Assign(ir.Target("z", True, (), B8), ir.Const(0, B8)),))
    states = {n: ir.StateVar(n, B8, (), ir.Const(0, B8)) for n in ("x", "y", "z")}
    return ir.System(
        "m",
        (1, 2),
        {},
        {"f": f, "g": g},
        states,
        {"use": use, "other": other},
        callables={"R.write": handler},
    )


def test_call_edges_are_typed_functions_with_their_closure_and_invoked_handlers() -> None:
    s = _system()
    edges = calls(s.actions["use"], s)
    assert edges == {FnRef("f"), FnRef("g"), ActionRef("R.write")}
    assert invoked(edges) == {"R.write"}
    assert function_closure("f", s) == {"f", "g"}


def test_reads_and_writes_go_through_invoked_handlers_only_with_the_system() -> None:
    s = _system()
    use = s.actions["use"]
    assert state_writes(use.body) == set()
    assert state_writes(use.body, s) == {"x"}
    assert state_reads(use.body, s) == {"y"}


def test_the_cone_of_x_keeps_the_action_that_writes_it_and_what_it_reads() -> None:
    c = cone(_system(), ["x"])
    assert set(c.actions) == {"use"}
    assert set(c.states) == {"x", "y"}


def test_strip_equates_code_written_in_different_places() -> None:
    a = ir.Unop(ir.UnOp.NOT, ir.StateRef("x", ir.BOOL, span=HERE), ir.BOOL, HERE)
    b = ir.Unop(ir.UnOp.NOT, ir.StateRef("x", ir.BOOL, span=THERE), ir.BOOL, THERE)
    assert a != b
    assert strip(a) == strip(b)
    assert strip(a) != strip(ir.Unop(ir.UnOp.NOT, ir.StateRef("y", ir.BOOL), ir.BOOL))


def test_kinds_are_enums_whose_values_are_the_spelling_shown() -> None:
    assert [k.value for k in ir.ActionKind if k.is_mmio] == ["mmio-read", "mmio-write"]
    assert ir.ActionKind.of(mmio=False, write=True) == ir.ActionKind.SYSREG_WRITE
    assert {op for op in ir.Op if op.is_bool} == {"and", "or", "implies", "eq", "ne", "ult", "ule", "ugt", "uge"}
    assert [s for s in ActionStatus if s.agrees] == [ActionStatus.SAME, ActionStatus.SAME_REACHABLE]
    assert f"{ActionStatus.SAME_REACHABLE:<16}|" == "same-reachable  |"
    assert json.dumps({"kind": PropertyKind.REFINEMENT}) == '{"kind": "refinement"}'
