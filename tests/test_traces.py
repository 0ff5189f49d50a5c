"""Trace files (--trace-out: ITF JSON, VCD, DOT) and `gicheck replay`, on the v1 example's
counterexample (docs/traces.md)."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import jsonschema
import pydot
import pytest

from checker import api, interp, pipeline
from checker.conform.generate import Generator
from checker.engines import Options, check_properties
from checker.engines.replay import changes, flat_state
from checker.files import OutputError, write_atomic
from checker.results import Change, ReplayStatus
from checker.traces.check import replay
from checker.traces.files import TraceOut, write_traces
from checker.traces.itf import Origin, schema
from checker.traces.read import read
from tests.conftest import V1Run
from tests.helpers import ROOT, run

V1 = ROOT / "examples/sgi-broadcast-v1/v1.overlay"
STEM = "gicv3-broadcast_reaches_all_others"


@pytest.fixture(scope="module")
def trace_dir(v1_run: V1Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("traces")
    written = write_traces(v1_run.system, v1_run.results, TraceOut(out, Origin(v1_run.spec, (v1_run.overlay,))))
    assert [p.name for p in written] == [f"{STEM}{s}" for s in (".itf.json", ".vcd", ".dot", ".c")]
    return out


@pytest.fixture(scope="module")
def itf_doc(trace_dir: Path) -> dict[str, Any]:
    return json.loads((trace_dir / f"{STEM}.itf.json").read_text())  # type: ignore[no-any-return]


def test_the_itf_file_has_the_published_itf_shape(itf_doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema("itf")).validate(itf_doc)
    jsonschema.Draft202012Validator(schema("gicheck-itf")).validate(itf_doc)
    # what the schema cannot say: every state sets every variable, the first every parameter
    for st in itf_doc["states"]:
        assert set(itf_doc["vars"]) <= set(st)
    assert itf_doc["params"] == ["nr_vcpus", "nr_irqs"]
    assert itf_doc["states"][0]["nr_vcpus"] == {"#bigint": "2"}
    assert itf_doc["states"][0]["nr_irqs"] == {"#bigint": "64"}


def test_the_itf_file_holds_the_trace_and_gicheck_extras(itf_doc: dict[str, Any]) -> None:
    g = itf_doc["#meta"]["gicheck"]
    assert (g["model"], g["property"], g["kind"], g["verdict"], g["from_reset"]) == (
        "gicv3",
        "broadcast_reaches_all_others",
        "contract",
        "violated",
        True,
    )
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", g["spec_hash"])
    assert g["params"] == {"nr_vcpus": 2, "nr_irqs": 64}
    assert g["failure"]["bindings"] == [["c", 1]] and g["failure"]["values"] == [["pending'[1][0]", False]]
    assert len(itf_doc["states"]) == 2
    access = itf_doc["states"][1]["#meta"]["access"]
    assert access["action"] == "ICC_SGI1R_EL1.write"
    assert access["inputs"] == {"self": {"#bigint": "0"}, "val": {"#bigint": str(1 << 40)}}
    val = access["args"][1]
    assert val["raw"] == "0x0000010000000000" and val["fields"]["IRM"] == 1 and val["fields"]["TargetList"] == 0
    assert access["source"].endswith("v1.overlay:14:23")
    # state in full: the v1 dispatch sets nothing pending
    pending = itf_doc["states"][1]["pending"]["#map"]
    assert [k for k, _ in pending] == [{"#bigint": "0"}, {"#bigint": "1"}]
    assert pending[1][1]["#map"][0] == [{"#bigint": "0"}, False]


def test_the_itf_schema_rejects_what_is_not_itf() -> None:
    v = jsonschema.Draft202012Validator(schema("itf"))
    assert not v.is_valid({"vars": ["x"]})  # no states
    assert not v.is_valid({"vars": ["x"], "states": [{"x": {"#bigint": "1.5"}}]})
    assert not v.is_valid({"vars": ["x"], "states": [{"x": {"#map": [[1, 2, 3]]}}]})
    assert not v.is_valid({"vars": ["x"], "states": [], "extra": 1})
    assert v.is_valid({"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#set": [{"#tup": [1, "a"]}]}}], "loop": 0})


def test_the_vcd_file_has_a_signal_per_state_bit_and_field(trace_dir: Path) -> None:
    text = (trace_dir / f"{STEM}.vcd").read_text()
    head, body = text.split("$enddefinitions $end\n")
    decls = re.findall(r"\$var (wire|reg) (\d+) (\S+) (\S+) \$end", head)
    codes = [d[2] for d in decls]
    assert len(codes) == len(set(codes))
    refs = {d[3]: (int(d[1]), d[2]) for d in decls}
    assert refs["pending_1_0"][0] == 1 and refs["dist_enabled"][0] == 1 and refs["value"][0] == 64
    assert head.count("$scope") == head.count("$upscope")
    # every signal has a value at time 0; at time 10 the access writes IRM=1
    dump = body.split("$dumpvars\n", 1)[1].split("$end\n", 1)[0]
    assert len(dump.splitlines()) == len(decls)
    assert "$comment #1  vCPU 0 writes ICC_SGI1R_EL1 = 0x0000010000000000 $end\n#10\n" in body
    step10 = body.split("#10\n", 1)[1].split("#20\n", 1)[0]
    assert f"b{1 << 40:064b} {refs['value'][1]}" in step10


def test_the_dot_file_draws_the_trace(trace_dir: Path) -> None:
    (graph,) = pydot.graph_from_dot_data((trace_dir / f"{STEM}.dot").read_text())
    assert sorted(n.get_name() for n in graph.get_nodes() if n.get_name().startswith("s")) == ["s0", "s1"]
    (edge,) = graph.get_edges()
    assert (edge.get_source(), edge.get_destination()) == ("s0", "s1")
    assert "vCPU 0 writes ICC_SGI1R_EL1 = 0x0000010000000000" in edge.get("label")
    assert "pending'[1][0] = false" in graph.get_node("s1")[0].get("label")


def test_replay_fails_with_the_v1_overlay(trace_dir: Path) -> None:
    trace = trace_dir / f"{STEM}.itf.json"
    code, out, _ = run("replay", trace, "--overlay", V1)
    assert code == 1, out
    assert "FAILS  broadcast_reaches_all_others: the trace still breaks it" in out
    assert "#1  vCPU 0 writes ICC_SGI1R_EL1 = 0x0000010000000000" in out
    assert "(the spec the trace was found on)" in out


def test_replay_holds_without_the_v1_overlay(trace_dir: Path) -> None:
    code, out, _ = run("replay", trace_dir / f"{STEM}.itf.json")
    assert code == 0, out
    assert "HOLDS  broadcast_reaches_all_others: the property holds after the trace's accesses" in out
    assert "note: the run differs from the recorded one after step 1: pending[1][0] was false, is true" in out
    assert "this run has none" in out


def _corrupt(trace_dir: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = (trace_dir / f"{STEM}.itf.json").read_text()
    assert old in text, old
    out = tmp_path / "bad.itf.json"
    out.write_text(text.replace(old, new, 1))  # the first: #meta.gicheck's, or the first step's
    return out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"inputs":{"self":{"#bigint":"0"}',
            '"inputs":{"self":{"#bigint":"zero"}',
            'states[1].#meta.access.inputs.self.#bigint: "zero" does not match',
        ),
        ('"version": 1,', '"version": 2,', "#meta.gicheck.version: 1 was expected"),
        ('"action":"ICC_SGI1R_EL1.write"', '"action":true', "states[1].#meta.access.action: true is not of type 'string'"),
    ],
)
def test_a_corrupted_trace_exits_3_naming_the_field(trace_dir: Path, tmp_path: Path, old: str, new: str, message: str) -> None:
    code, out, err = run("replay", _corrupt(trace_dir, tmp_path, old, new))
    assert code == 3
    assert out == ""
    assert err.startswith("gicheck replay: ") and message in err, err


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            '"action":"ICC_SGI1R_EL1.write"',
            '"action":"ICC_SGI2R_EL1.write"',
            "step 1: model gicv3 has no action 'ICC_SGI2R_EL1.write'",
        ),
        (
            '"inputs":{"self":{"#bigint":"0"}',
            '"inputs":{"self":{"#bigint":"7"}',
            "step 1: ICC_SGI1R_EL1.write: self = 7 is not a value of its type vcpu",
        ),
        ('"property": "broadcast_reaches_all_others"', '"property": "gone"', "model gicv3 has no property gone"),
    ],
)
def test_a_trace_that_no_longer_applies_exits_3_saying_why(
    trace_dir: Path, tmp_path: Path, old: str, new: str, reason: str
) -> None:
    code, out, _ = run("replay", _corrupt(trace_dir, tmp_path, old, new), "--overlay", V1)
    assert code == 3
    assert f"DOES NOT APPLY  the trace no longer applies: {reason}\n" in out


def test_replay_of_a_file_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "t.itf.json"
    bad.write_text('{"vars": [\n')
    code, out, err = run("replay", bad)
    assert (code, out) == (3, "")
    assert err == f"gicheck replay: {bad}: line 2, column 1: not JSON: Expecting value\n"
    code, _, err = run("replay", tmp_path / "missing.itf.json")
    assert code == 3 and "cannot read it: No such file or directory" in err


def test_files_are_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.xml"
    write_atomic(target, "old\n")
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match=f"^cannot write {re.escape(str(target))}: No space left on device$"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xml"]  # no temporary file left


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


ENGINES = ROOT / "tests/specs/engines"


def test_every_kind_of_trace_replays_to_its_verdict(tmp_path: Path) -> None:
    """A trace of each kind written and replayed on the same system: an invariant's, a
    contract's, a fact's and a two-run property's still fail; a cover's still reaches its goal."""
    system = pipeline.load_system(ENGINES, "gicv3", property_files=[ENGINES / "props.prop"], vcpus=(1, 2))
    wanted = {"x_not_2", "x_is_3", "add_no_wrap", "setw_ignores_value", "xreg_reads_zero"}
    results = check_properties(system, Options(system.vcpus), wanted)
    written = write_traces(system, results, TraceOut(tmp_path, Origin(ENGINES)))
    statuses = {}
    for path in written:
        if path.name.endswith(".itf.json"):
            rec = read(path)
            jsonschema.Draft202012Validator(schema("itf")).validate(json.loads(path.read_text()))
            lowered = pipeline.lower(
                pipeline.load_design(ENGINES, "gicv3", property_files=_sources()), (rec.nr_vcpus, rec.nr_vcpus)
            )
            statuses[rec.property] = replay(lowered, rec).status
    assert statuses == {
        "x_not_2": ReplayStatus.FAILS,
        "x_is_3": ReplayStatus.REACHED,
        "add_no_wrap": ReplayStatus.FAILS,
        "setw_ignores_value": ReplayStatus.FAILS,
        "xreg_reads_zero": ReplayStatus.FAILS,
    }


def _sources() -> list[Any]:
    return pipeline.group_properties([ENGINES / "props.prop"])["gicv3"]


@pytest.mark.parametrize("gic", [2, 3])
def test_a_step_s_changes_are_the_scalars_its_flattened_states_differ_in(gic: int) -> None:
    """replay.changes looks only at the array entries either state holds; over conform's
    generated guest accesses (tests/test_differential.py does the same from random states, with
    every action) it gives exactly what comparing the two flattened states gives, in order."""
    model = api.load_model(f"gicv{gic}", ROOT / "spec")
    machine, changed = model.machine(3), 0
    for a in Generator(model, random.Random(7)).sequence(3, 150):
        before = machine.snapshot().state
        if a.is_read:
            machine.run(machine.prepare_read(a.cpu, a.target(), width=a.width))
        else:
            machine.run(machine.prepare_write(a.cpu, a.target(), a.value or 0, width=a.width))
        after = machine.snapshot().state
        got = changes(model.system, before, after, 3)
        # on copies: flat_state fills every array's entries, which changes looks at
        x, y = (
            flat_state(model.system, {n: v.copy() if isinstance(v, interp.Array) else v for n, v in s.items()}, 3)
            for s in (before, after)
        )
        expected = tuple(Change(k, x[k], y[k]) for k in x if x[k] != y[k])
        assert got == expected
        changed += bool(expected)
    assert changed >= 10  # the accesses did change state
