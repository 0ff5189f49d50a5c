"""The unrolling from reset kept in one solver across a search's depths (smt/unrolling.py):
each depth answers as a fresh query over that depth would, in any order of asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import ir, pipeline
from checker.smt import query as q
from checker.smt import unrolling
from tests.helpers import write_tree

# `finish` runs once; after it no action is enabled: a run of two steps does not exist.
SPEC = """
state done : bool = false

/// runs once
action finish() requires !done { done := true }

model once { vcpus 1..2 }
"""
DONE = ir.StateRef("done", ir.BOOL)


@pytest.fixture
def system(tmp_path: Path) -> ir.System:
    write_tree(tmp_path, {"spec/once.gic": SPEC})
    return pipeline.load_system(tmp_path / "spec", "once", property_files=[], vcpus=(1, 2))


def _answer(system: ir.System, k: int, goal: ir.Expr = DONE) -> str:
    a = unrolling.reach(system, goal, q.Steps(q.Setting((1, 2)), k))
    return type(a).__name__ + (str([name for name, _ in a.witness.steps]) if isinstance(a, q.Sat) else "")


def test_a_depth_asked_after_a_deeper_one_has_only_its_own_steps(system: ir.System) -> None:
    """Depth 2 has no run (nothing is enabled after `finish`); depth 1, asked next on the same
    kept solver, has one: the second step, asserted for depth 2, is gone."""
    unrolling.forget()
    assert [_answer(system, k) for k in (0, 2, 1, 2, 1)] == [
        "Unsat",
        "Unsat",
        "Sat['finish']",
        "Unsat",
        "Sat['finish']",
    ]
    assert len(unrolling._UNROLLINGS) == 1  # one solver for the goal, asked five times


def test_each_goal_and_system_has_its_own_solver(system: ir.System) -> None:
    unrolling.forget()
    not_done = ir.Unop(ir.UnOp.NOT, DONE, ir.BOOL)
    assert _answer(system, 1) == "Sat['finish']"
    assert _answer(system, 0, not_done) == "Sat[]"
    assert _answer(system, 1, not_done) == "Unsat"
    assert len(unrolling._UNROLLINGS) == 2
