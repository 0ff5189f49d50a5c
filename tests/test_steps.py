"""Each step of an unrolling from reset is encoded once per process (smt/steps.py): queries that
share a step share its encoding, and get the answers they get without the sharing."""

from __future__ import annotations

import itertools

import pytest

from checker import ir, pipeline
from checker.smt import query as q
from checker.smt import steps
from tests.helpers import ROOT

ENGINES = ROOT / "tests/specs/engines"
# x reaches 2 after two incs; y == 2 needs a copy after them
GOAL_X2 = ir.Binop(ir.Op.EQ, ir.StateRef("x", ir.BitsT(4)), ir.Const(2, ir.BitsT(4)), ir.BOOL)


@pytest.fixture
def system() -> ir.System:
    return pipeline.load_system(ENGINES, "gicv3", property_files=[], vcpus=(1, 2))


def _ask(system: ir.System, path: tuple[str, ...] | None) -> str:
    a = q.reach(system, GOAL_X2, q.Steps(q.Setting((1, 2)), 2, path))
    return type(a).__name__ + (str([name for name, _ in a.witness.steps]) if isinstance(a, q.Sat) else "")


def test_sequences_share_their_steps_and_answer_as_without_sharing(system: ir.System, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "_STEPS", type(steps._STEPS)())
    monkeypatch.setattr(steps, "_RECENT", type(steps._RECENT)())
    actions = sorted(system.actions)
    paths = list(itertools.product(actions, repeat=2))
    shared = {p: _ask(system, p) for p in paths}
    # one entry per (step, action): the second step's pre-state is named the same after any first step
    assert len(steps._STEPS) == 2 * len(actions)
    assert shared[("inc", "inc")] == "Sat['inc', 'inc']"
    assert {p for p, a in shared.items() if a.startswith("Sat")} == {("inc", "inc")}
    whole = _ask(system, None)
    monkeypatch.setattr(steps, "_KEPT", 0)  # nothing kept: every step encoded afresh
    steps._STEPS.clear()
    assert {p: _ask(system, p) for p in paths} == shared
    assert _ask(system, None) == whole == "Sat['inc', 'inc']"


def test_a_contract_s_access_after_each_sequence_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The access of a contract searched one sequence at a time starts from the same named state
    after every sequence of one length: it is encoded once (steps.Final), and each query
    answers as it does with nothing kept."""
    system = pipeline.load_system(ENGINES, "gicv3", property_files=[ENGINES / "props.prop"], vcpus=(1, 2))
    prop = next(p for p in system.properties if p.name == "xreg_reads_zero")
    assert isinstance(prop, ir.Contract)
    monkeypatch.setattr(steps, "_STEPS", type(steps._STEPS)())
    monkeypatch.setattr(steps, "_RECENT", type(steps._RECENT)())
    paths = list(itertools.product(sorted(system.actions), repeat=2))

    def ask(path: tuple[str, ...]) -> str:
        a = q.contract(system, prop, q.OneStep(q.Setting((1, 2)), prefix=2, path=path))
        return type(a).__name__ + (str([name for name, _ in a.witness.steps]) if isinstance(a, q.Sat) else "")

    shared = {p: ask(p) for p in paths}
    assert shared[("inc", "inc")] == "Sat['inc', 'inc', 'XREG.read']"
    assert sum(isinstance(e, steps.Final) for e in steps._STEPS.values()) == 1
    monkeypatch.setattr(steps, "_KEPT", 0)
    steps._STEPS.clear()
    assert {p: ask(p) for p in paths} == shared
