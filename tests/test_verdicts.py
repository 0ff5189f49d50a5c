"""The verdict table: spec, property, engine, expected verdict -- and every trace replayed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from checker import interp, ir, pipeline
from checker.engines import Options, check_properties
from checker.results import Bounded, Covered, PropertyResult, Proved, Unreached, Violated
from checker.sema.overlay import load_overlays
from tests.helpers import ROOT

ENGINES = ROOT / "tests/specs/engines"


@cache
def results(
    spec: Path, props: Path, vcpus: tuple[int, int], depth: int = 4, only: str | None = None
) -> dict[str, PropertyResult]:
    """`spec` is a spec directory, or an overlay file patching the shipped spec; with `only`, that
    property (and what it assumes) is checked, not the whole file."""
    if spec.suffix == ".overlay":
        system = pipeline.load_system(ROOT / "spec", "gicv3", property_files=[props], overlay=load_overlays([spec]), vcpus=vcpus)
    else:
        system = pipeline.load_system(spec, "gicv3", property_files=[props], vcpus=vcpus)
    return {r.name: r for r in check_properties(system, Options(vcpus, depth), None if only is None else {only})}


TABLE = [
    # spec, properties, property, vCPUs, verdict, how (substring of the method or reason)
    (ENGINES, "props.prop", "x_small", (1, 4), Proved, "1-induction"),
    (ENGINES, "props.prop", "y_follows", (1, 4), Proved, "1-induction"),
    (ENGINES, "props.prop", "x_not_2", (1, 4), Violated, ""),
    (ENGINES, "props.prop", "x_is_3", (1, 4), Covered, ""),
    (ENGINES, "props.prop", "x_is_5", (1, 4), Unreached, ""),
    (ENGINES, "props.prop", "inc_adds_one", (1, 4), Proved, "one-step"),
    (ENGINES, "props.prop", "keep_not_5", (1, 4), Bounded, "one-step check fails from an arbitrary state"),
    (ENGINES, "props.prop", "add_no_wrap", (1, 4), Violated, ""),
    (ENGINES, "props.prop", "range_add_widens", (1, 4), Proved, "fact"),
    (ENGINES, "props.prop", "vcpu_below_count", (1, 4), Proved, "fact"),
    (ENGINES, "props.prop", "setw_ignores_value", (1, 4), Violated, ""),
    (ENGINES, "props.prop", "setw_ignores_writer", (1, 4), Proved, "one-step"),
    (ENGINES, "props.prop", "xreg_reads_zero", (1, 4), Violated, ""),
    (ENGINES, "props.prop", "xreg_same_for_all", (1, 4), Proved, "one-step"),
    (ROOT / "spec", "properties/sysreg.prop", "sre_reads_one", (1, 255), Proved, "one-step"),
    (ROOT / "spec", "properties/sysreg.prop", "sre_write_ignored", (1, 255), Proved, "one-step"),
    (ROOT / "spec", "properties/mpidr.prop", "mpidr_unique", (1, 255), Proved, "fact"),
    (ROOT / "spec", "properties/mpidr.prop", "aff0_addressable", (1, 255), Proved, "fact"),
    (ROOT / "spec", "properties/sgi.prop", "broadcast_reaches_all_others", (1, 16), Proved, "one-step"),
    (ROOT / "spec", "properties/sgi.prop", "broadcast_skips_sender", (1, 16), Proved, "one-step"),
    (ROOT / "spec", "properties/sgi.prop", "targeted_reaches_exactly_matching", (1, 16), Proved, "one-step"),
    (ROOT / "spec", "properties/sgi.prop", "broadcast_ignores_targets", (1, 16), Proved, "one-step"),
    (ROOT / "spec", "properties/sgi.prop", "active_sgi_enabled", (1, 16), Proved, "1-induction"),
    (ROOT / "spec", "properties/sgi.prop", "sgi_taken", (1, 16), Covered, ""),
    (ROOT / "examples/sgi-broadcast-v1/v1.overlay", "properties/sgi.prop", "broadcast_reaches_all_others", (1, 16), Violated, ""),
    (ROOT / "examples/sgi-broadcast-v1/v1.overlay", "properties/sgi.prop", "broadcast_ignores_targets", (1, 16), Violated, ""),
    (ROOT / "examples/sgi-broadcast-v1/v1.overlay", "properties/sgi.prop", "broadcast_skips_sender", (1, 16), Proved, "one-step"),
    (
        ROOT / "examples/sgi-broadcast-v1/v1.overlay",
        "properties/sgi.prop",
        "targeted_reaches_exactly_matching",
        (1, 16),
        Proved,
        "one-step",
    ),
]


@pytest.mark.parametrize("spec,props,name,vcpus,verdict,how", TABLE, ids=[f"{r[0].name}:{r[2]}" for r in TABLE])
def test_verdict_table(spec: Path, props: str, name: str, vcpus: tuple[int, int], verdict: type, how: str) -> None:
    base = ENGINES if props == "props.prop" else ROOT
    # a shipped-spec row checks its property alone: the rows run on different workers, which
    # share no cache (the engines rows check the whole file: y_follows is 1-inductive only
    # assuming x_small, proved before it)
    r = results(spec, base / props, vcpus, only=None if spec == ENGINES else name)[name]
    assert isinstance(r.verdict, verdict), r.verdict
    text = getattr(r.verdict, "method", "") or getattr(r.verdict, "reason", "")
    assert how in text
    assert r.vcpus == vcpus


def _system(spec: Path, vcpus: tuple[int, int]) -> ir.System:
    return pipeline.load_system(spec, "gicv3", vcpus=vcpus)


def test_invariant_trace_is_the_shortest_and_replays() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["x_not_2"].verdict
    assert isinstance(v, Violated)
    t = v.trace
    assert [s.action for s in t.steps] == ["inc", "inc"]
    assert [(c.location, c.before, c.after) for s in t.steps for c in s.changes] == [("x", 0, 1), ("x", 1, 2)]
    assert t.nr_vcpus == 1 and t.from_reset
    assert t.failure.values == (("x", 2),)
    # replay by hand in the interpreter
    system = _system(ENGINES, (1, 1))
    it = interp.Interp(system, 1)
    s = it.reset()
    for step in t.steps:
        s = it.run(system.actions[step.action], s, {a.name: a.value for a in step.args})
    assert s["x"] == 2


def test_cover_trace() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["x_is_3"].verdict
    assert isinstance(v, Covered)
    assert [s.action for s in v.trace.steps] == ["inc", "inc", "inc"]


def test_bounded_carries_a_replayed_cti_from_an_arbitrary_state() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["keep_not_5"].verdict
    assert isinstance(v, Bounded) and v.depth == 4
    assert v.cti is not None and not v.cti.from_reset
    assert v.cti.failure.values == (("w'", 5),)


def test_fact_witness() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["add_no_wrap"].verdict
    assert isinstance(v, Violated)
    assert v.trace.failure.bindings == (("a", 15),)
    assert v.trace.steps == ()


def test_two_run_trace_shows_both_runs() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["setw_ignores_value"].verdict
    assert isinstance(v, Violated)
    t = v.trace
    assert t.alternative is not None
    first, second = t.steps[-1], t.alternative
    assert first.args[1].value != second.args[1].value
    assert first.args[0].value == second.args[0].value
    assert t.differences == (("u", first.args[1].value, second.args[1].value),)


def test_v1_broadcast_trace() -> None:
    """The series' v1 bug: IRM=1 with TargetList=0 reaches no vCPU. The trace's arguments are
    simplified (engines/simplify.py), so it is exactly this one whatever the solver picked:
    vCPU 0 writes IRM alone, and vCPU 1 misses SGI 0."""
    v = results(
        ROOT / "examples/sgi-broadcast-v1/v1.overlay", ROOT / "properties/sgi.prop", (1, 16), only="broadcast_reaches_all_others"
    )["broadcast_reaches_all_others"].verdict
    assert isinstance(v, Violated)
    t = v.trace
    assert t.nr_vcpus == 2 and t.from_reset
    (step,) = t.steps
    assert step.register == "ICC_SGI1R_EL1" and step.vcpu == 0
    assert step.args[1].value == 1 << 40
    fields = {f.name: f.value for f in step.args[1].fields}
    assert fields == {"TargetList": 0, "Aff1": 0, "INTID": 0, "Aff2": 0, "IRM": 1, "RS": 0, "Aff3": 0}
    assert step.changes == ()
    assert t.failure.bindings == (("c", 1),)
    assert t.failure.values == (("pending'[1][0]", False),)


def test_v1_independence_trace_differs_only_in_ignored_fields() -> None:
    v = results(
        ROOT / "examples/sgi-broadcast-v1/v1.overlay", ROOT / "properties/sgi.prop", (1, 16), only="broadcast_ignores_targets"
    )["broadcast_ignores_targets"].verdict
    assert isinstance(v, Violated)
    t = v.trace
    assert t.alternative is not None
    a = {f.name: f.value for f in t.steps[-1].args[1].fields}
    b = {f.name: f.value for f in t.alternative.args[1].fields}
    assert a["IRM"] == b["IRM"] == 1 and a["INTID"] == b["INTID"]
    assert (a["TargetList"] == 0) != (b["TargetList"] == 0)
    assert t.differences and all(loc.startswith("pending[") for loc, _, _ in t.differences)


def test_read_trace_shows_the_value_read() -> None:
    v = results(ENGINES, ENGINES / "props.prop", (1, 4))["xreg_reads_zero"].verdict
    assert isinstance(v, Violated)
    t = v.trace
    assert [s.action for s in t.steps] == ["inc", "XREG.read"]
    read = t.steps[-1]
    assert read.register == "XREG" and read.vcpu == 0 and read.changes == ()
    assert read.result is not None and read.result.value == 1
    assert t.failure.values == (("r", 1),)


TRANSFER = ROOT / "tests/specs/transfer"


def test_trace_found_with_few_vcpus_is_replayed_at_a_count_in_the_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """--vcpus 10..12: a trace is searched with 1..8 vCPUs first and kept only if the interpreter
    reaches the goal with it at 10 (or 12); otherwise the range itself is searched."""
    from checker.smt import query

    asked: list[tuple[str, tuple[int, int], int]] = []
    real = query.reach

    def spy(system: ir.System, goal: ir.Expr, req: query.Steps) -> query.Answer:
        asked.append((str(goal.span.line), req.setting.vcpus, req.k))
        return real(system, goal, req)

    monkeypatch.setattr(query, "reach", spy)
    system = pipeline.load_system(TRANSFER, "gicv3", property_files=[TRANSFER / "props.prop"], vcpus=(10, 12))
    got = {r.name: r for r in check_properties(system, Options(system.vcpus, 4))}
    # found with 1 vCPU, replayed with 10: the range itself is never searched at depth 1
    anym = got["any_marked"].verdict
    assert isinstance(anym, Covered) and anym.trace.nr_vcpus == 10
    assert [(s.action, s.args[0].value) for s in anym.trace.steps] == [("mark", 0)]
    # the goal names the last vCPU: the small trace does not replay at 10, the range is searched
    last = got["last_marked"].verdict
    assert isinstance(last, Covered) and last.trace.nr_vcpus == 10
    assert [(s.action, s.args[0].value) for s in last.trace.steps] == [("mark", 9)]
    inv = got["none_marked"].verdict
    assert isinstance(inv, Violated) and inv.trace.nr_vcpus == 10 and inv.trace.failure.bindings == (("c", 0),)
    lines = {line: [(v, k) for ln, v, k in asked if ln == line] for line in {ln for ln, _, _ in asked}}
    assert lines["4"] == [((1, 8), 0), ((10, 12), 0), ((1, 8), 1)]  # any_marked
    assert lines["6"] == [((1, 8), 0), ((10, 12), 0), ((1, 8), 1), ((10, 12), 1)]  # last_marked
