"""Issue 22 part A: only the property's own access is folded to its offsets (engines/specialize.py);
every earlier step of a trace, in the solver's unrolling and in the replay, decodes with the whole
frame. A GICD_CTLR write before an ISENABLER0 write must enable the distributor whether or not the
property's `where` clause is an interval of offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import ir
from checker.engines import replay, specialize
from checker.engines.prove import Options, check_properties, cone_for
from checker.lower import lower
from checker.results import Change, Trace, Violated
from checker.sema import load_design, load_properties
from checker.sema.resolve import property_models
from checker.smt import query as q

ROOT = Path(__file__).resolve().parents[1]

PROPS = """use model {model}

/// False: a GICD_CTLR write earlier in the run can enable the distributor.
property isenabler0_write_sees_disabled_distributor:
    after GICD.write(p, offset, width, v) where offset == 0x100 && width == 32:
        !dist_enabled

/// The same, with the offset constraint written so that it is not an interval.
property isenabler0_write_sees_disabled_distributor_unfolded:
    after GICD.write(p, offset, width, v) where offset[11:0] == 0x100 && offset[31:12] == 0 && width == 32:
        !dist_enabled
"""


def _system(tmp_path: Path, model: str, vcpus: tuple[int, int], params: dict[str, tuple[int, int]] | None = None) -> ir.System:
    path = tmp_path / "fold.prop"
    path.write_text(PROPS.format(model=model))
    groups, errors = property_models([path])
    assert not errors
    d = load_design(ROOT / "spec", model)
    load_properties(d, groups[model])
    return lower(d, vcpus, params)


def _assert_ctlr_then_isenabler0(trace: Trace) -> None:
    first, last = trace.steps
    assert trace.from_reset and trace.nr_vcpus == 1
    assert first.action == "GICD.write" and first.target is not None and first.target.startswith("GICD_CTLR ")
    assert first.changes == (Change("dist_enabled", False, True),)
    assert last.action == "GICD.write" and last.target in ("GICD_ISENABLER0 (+0x0100)", "GICD_ISENABLER[0] (+0x0100)")
    assert [(a.name, a.value) for a in last.args[:2]] == [("self", 0), ("width", 32)]


def test_folded_final_access_after_a_whole_ctlr_write(tmp_path: Path) -> None:
    """One straight-line query (a GICD_CTLR write, then the property's access), replayed: the
    replay runs the first step as the frame access at GICD_CTLR's offset, which must decode with
    the whole frame although the property's offsets do not reach GICD_CTLR."""
    system = _system(tmp_path, "gicv3", (1, 1))
    p = next(p for p in system.properties if p.name == "isenabler0_write_sees_disabled_distributor")
    assert isinstance(p, ir.Contract)
    sub = cone_for(system, p)
    final = specialize.final_action(sub, p)
    assert final.body != sub.action("GICD.write").body  # folded: the earlier step must not be
    a = q.contract(sub, p, q.OneStep(q.Setting((1, 1)), 1, path=("GICD_CTLR.write",), final=final))
    assert isinstance(a, q.Sat)
    _assert_ctlr_then_isenabler0(replay.contract_trace(sub, p, a.witness))


@pytest.mark.parametrize("params", [None, {"nr_irqs": (64, 64)}])
def test_both_forms_violated_by_a_ctlr_write_then_the_isenabler0_write(
    tmp_path: Path, params: dict[str, tuple[int, int]] | None
) -> None:
    """Part B: the properties read dist_enabled, which only GICD_CTLR writes, so their cone is the
    handlers of the folded access and of GICD_CTLR, and GICC_IAR's refinement claim (a proof the
    whole GICD decoder's cone used to pull in) is neither in the cone nor among the results."""
    system = _system(tmp_path, "gicv2", (1, 1), params)
    for p in system.properties:
        if p.name.startswith("isenabler0_"):
            cone = cone_for(system, p)
            assert "GICC_IAR.read" not in cone.actions
    results = {r.name: r for r in check_properties(system, Options((1, 1)))}
    assert set(results) == {"isenabler0_write_sees_disabled_distributor", "isenabler0_write_sees_disabled_distributor_unfolded"}
    for r in results.values():
        verdict = r.verdict
        assert isinstance(verdict, Violated), verdict
        _assert_ctlr_then_isenabler0(verdict.trace)
