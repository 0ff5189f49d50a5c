"""The contract trace search guided by its one-step counterexample: the counterexample minimized
in the interpreter, the runs writing what it needs tried first, and a depth the solver leaves
undecided named in the verdict instead of stopping the search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checker import interp, ir, pipeline
from checker.engines import Options, check_properties, replay
from checker.engines import search as E
from checker.results import Violated
from checker.smt import query as q
from tests.helpers import write_tree
from tests.test_diff import SPEC

# Interrupt 7 can be taken, but only after an enable and a doorbell: two accesses from reset.
PROPS = """
use model small

/// Interrupt 7 is never taken (false: enable it, ring it, take it).
property seven_never_taken: after take(s, i): i != 7
"""


def _system(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": PROPS})
    return pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))


def test_the_counterexample_is_minimized_to_what_it_needs_away_from_reset(tmp_path: Path) -> None:
    system = _system(tmp_path)
    prop = system.properties[0]
    ans = q.contract(system, prop, q.OneStep(q.Setting((1, 2))))  # type: ignore[arg-type]
    assert isinstance(ans, q.Sat) and ans.witness.pre_state is not None
    confirm = lambda w: replay.contract_trace(system, prop, w)
    assert replay.moved_from_reset(system, ans.witness, confirm) == {"enabled", "pending"}
    # with either put back to reset, the access takes nothing, or takes another interrupt
    at_reset = interp.Interp(system, ans.witness.nr_vcpus, ans.witness.params).reset()
    for n in ("enabled", "pending"):
        with pytest.raises(replay.ReplayMismatch):
            confirm(replace(ans.witness, pre_state={**ans.witness.pre_state, n: at_reset[n]}))


def test_a_guided_trace_past_an_undecided_depth_is_shown_with_what_was_left_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver is made to give up on every query over all actions at depth 1 (as it does on
    today-igroupr at depth 2): the search goes on to depth 2, where the guided run (enable,
    doorbell) is the trace; the verdict says a shorter one was not ruled out, and why."""
    system = _system(tmp_path)
    real = q.contract
    asked: list[tuple[int | None, tuple[str, ...] | None]] = []

    def contract(sys: ir.System, prop: ir.Contract, req: q.OneStep) -> q.Answer:
        asked.append((req.prefix, req.path))
        if req.prefix == 1 and req.path is None:
            return q.Unknown("timeout (made to give up by the test)")
        return real(sys, prop, req)

    monkeypatch.setattr(q, "contract", contract)
    [r] = check_properties(system, Options((1, 2)))
    v = r.verdict
    assert isinstance(v, Violated)
    assert (
        v.note
        == "a shorter trace is not ruled out: the solver gave up on traces of 2 steps (timeout (made to give up by the test))"
    )
    names = [s.target or s.register or s.action for s in v.trace.steps]
    assert [n.split()[0] for n in names[:2]] in (["ENABLE", "DOORBELL"], ["DOORBELL", "ENABLE"])
    assert v.trace.steps[-1].action == "take" and v.trace.from_reset
    # the trace came from a guided run (a path given), and depth 2's query over all actions was never asked
    assert (2, None) not in asked
    assert any(k == 2 and p is not None for k, p in asked)


def test_without_a_gap_the_trace_is_the_shortest_and_carries_no_note(tmp_path: Path) -> None:
    [r] = check_properties(_system(tmp_path), Options((1, 2)))
    assert isinstance(r.verdict, Violated) and r.verdict.note is None
    assert len(r.verdict.trace.steps) == 3


def test_more_guides_holds_shared_variables_at_reset_one_more_at_a_time() -> None:
    """Routes: the first counterexample needs {a, b}; holding a at reset leaves one needing
    {b, c}; holding a and b too, none is left. Each set is asked for once."""
    asked: list[list[set[str]]] = []

    def ask(avoid: list[set[str]]) -> q.Answer:
        asked.append(avoid)
        held = set().union(*avoid)
        if "a" in held and "b" in held:
            return q.Unsat()
        return q.Sat(q.Witness(1, pre_state={"route": "bc" if "a" in held else "ab"}))

    guides = E.more_guides({"a", "b"}, ask, lambda w: set(w.pre_state["route"]))  # type: ignore[index]
    assert guides == [{"a", "b"}, {"b", "c"}]
    assert asked == [[{"a"}], [{"a"}, {"b"}], [{"a"}, {"c"}]]
