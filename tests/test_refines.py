"""`refines` on a handler: the claim is proved (or refuted with a replayed counterexample) before a
search leaves the handler out; a refuted claim keeps the handler a transition; errors name places."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker import ir, pipeline
from checker.engines import Options, check_properties
from checker.engines.refinement import Refiner
from checker.engines.search import SearchPolicy
from checker.results import Covered, PropertyResult, Proved, Unknown
from checker.syntax import ast as A
from checker.syntax import parse
from tests.helpers import run, write_tree

SPEC = """
type irq = 0..3
state pend[vcpu][irq] : bool = false
state act[vcpu][irq] : bool = false

action raise_irq(c: vcpu, i: irq) {
    pend[c][i] := true
}

action take(self: vcpu, i: irq) requires pend[self][i] && !act[self][i] {
    pend[self][i] := false
    act[self][i] := true
}

layout ACK : bits(32) {
    ID [9:0]
}

fn ready(c: vcpu) -> bits(3) {
    var r: bits(3) = 4
    for i in irq {
        if pend[c][i] && !act[c][i] {
            r := i
            break
        }
    }
    return r
}

sysreg ACKR : ACK read-only {
    on read(self: vcpu) -> r
        refines take(self, r.ID[1:0]) if r.ID < 4
    {
        let x = ready(self)
        if x < 4 {
            pend[self][x[1:0]] := false
            act[self][x[1:0]] := true
        }
        return ACK(ID = x)
    }
}

model gicv3 { vcpus 1..4 }
"""

PROPS = """use model gicv3
cover some_active: exists c: vcpu, i: irq. act[c][i]
fact plain: true
"""


def results(tmp_path: Path, spec: str, props: str = PROPS) -> dict[str, PropertyResult]:
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": props})
    system = pipeline.load_system(tmp_path / "spec", "gicv3", property_files=[tmp_path / "p.prop"], vcpus=(1, 4))
    return {r.name: r for r in check_properties(system, Options((1, 4), 3))}


def test_parse_result_name_and_clauses() -> None:
    src = "sysreg R : ACK read-only {\n  on read(self: vcpu) -> r\n    refines take(self, r.ID) if r.ID < 4\n    refines idle(self)\n  { return 0 }\n}\n"
    (decl,) = parse(src, "t.gic").decls
    assert isinstance(decl, A.SysregDecl)
    (h,) = decl.handlers
    assert h.result == "r"
    assert [c.action for c in h.refines] == ["take", "idle"]
    assert len(h.refines[0].args) == 2 and isinstance(h.refines[0].cond, A.Binary)
    assert h.refines[1].cond is None and h.refines[1].args == (A.Name("self", A.Span("t.gic", 4, 18, 4, 22)),)
    assert h.refines[0].span == A.Span("t.gic", 3, 5, 3, 41)


def test_proved_claim_drops_the_handler_from_the_search(tmp_path: Path) -> None:
    r = results(tmp_path, SPEC)
    claim = r["ACKR.read"]
    assert claim.kind == "refinement"
    assert isinstance(claim.verdict, Proved)
    assert "each access is a step of take, or changes nothing" in claim.verdict.method
    cover = r["some_active"].verdict
    assert isinstance(cover, Covered)
    # the search ran without the handler: the trace takes the interrupt through the action
    assert [s.action for s in cover.trace.steps] == ["raise_irq", "take"]


def test_claim_is_checked_only_when_a_search_needs_it(tmp_path: Path) -> None:
    r = results(tmp_path, SPEC, "use model gicv3\nfact plain: true\nproperty one: after ACKR.read(self) -> r: r.ID <= 4\n")
    assert sorted(r) == ["one", "plain"]
    assert isinstance(r["one"].verdict, Proved)


@pytest.mark.parametrize(
    ("old", "new", "message", "shows"),
    [
        # forgets to clear the pending bit: the access and `take` end in different states
        (
            "            pend[self][x[1:0]] := false\n",
            "",
            r"the access does not do what take\(self=0, i=(\d)\) does",
            [r"pend\[0\]\[\1\]: true \(the access\)  vs  false \(take\)"],
        ),
        # a spurious read that changes state: no case applies, yet it writes
        (
            "        return ACK(ID = x)",
            "        if x >= 4 { act[self][0] := false }\n        return ACK(ID = x)",
            "no 'refines' case applies, yet the access changes the state",
            [r"act\[0\]\[0\]: true -> false"],
        ),
        # takes an interrupt that is already active: `take` is not enabled there
        (
            "        if pend[c][i] && !act[c][i] {",
            "        if pend[c][i] {",
            r"the case it falls in names take\(self=0, i=\d\), which is not enabled here \(its 'requires' is false\)",
            [],
        ),
    ],
)
def test_refuted_claim_has_a_replayed_counterexample_and_keeps_the_handler(
    tmp_path: Path,
    old: str,
    new: str,
    message: str,
    shows: list[str],
) -> None:
    assert old in SPEC
    write_tree(tmp_path, {"spec/model.gic": SPEC.replace(old, new), "p.prop": PROPS})
    code, out, err = run("prove", "--spec", tmp_path / "spec", "--vcpus", "1..4", "--depth", "3", tmp_path / "p.prop")
    assert code == 1, err
    assert "VIOLATED   ACKR.read" in out
    m = re.search(f"ACKR.read: {message}", out)
    assert m, out
    assert "with 1 vCPU, from an arbitrary state" in out
    assert "#1  vCPU 0 reads ACKR -> " in out
    for s in shows:
        assert re.search(m.expand(s) if m.groups() else s, out), (s, out)
    # the other verdicts do not rest on the refuted claim: the handler stayed a transition
    assert "COVERED    some_active" in out


@pytest.mark.parametrize(
    ("clause", "error"),
    [
        (
            "refines nothing(self) if r.ID < 4",
            "model.gic:32:9: error: 'refines' names an action declared with 'action' ('nothing' is unknown; actions: raise_irq, take)",
        ),
        ("refines ACKR(self) if r.ID < 4", "('ACKR' is a register access"),
        ("refines take(self) if r.ID < 4", "model.gic:32:9: error: take takes 2 argument(s) (self: vcpu, i: irq), 1 given"),
        (
            "refines take(self, r.ID[1:0])\n        refines take(self, 0) if r.ID < 4",
            "model.gic:32:9: error: this 'refines' clause has no 'if', so the clauses after it never apply",
        ),
        ("refines take(self, r.ID[1:0]) if q", "model.gic:32:42: error: unknown name 'q'"),
    ],
)
def test_refines_errors_name_their_place(tmp_path: Path, clause: str, error: str) -> None:
    spec = SPEC.replace("refines take(self, r.ID[1:0]) if r.ID < 4", clause)
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": PROPS})
    code, _out, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    assert "Traceback" not in err
    assert error in err


def test_result_name_needs_a_read_and_a_clause(tmp_path: Path) -> None:
    spec = SPEC.replace("        refines take(self, r.ID[1:0]) if r.ID < 4\n", "")
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": PROPS})
    code, _, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    assert "error: '-> r' is for 'refines' clauses, and ACKR.read has none" in err


def test_claim_past_its_budget_is_unknown_and_keeps_the_handler(shipped_systems: dict[str, ir.System]) -> None:
    """A claim whose query runs out of its budget is UNKNOWN, named as a timeout, and the
    searches keep its handler as a transition rather than wait for it (GICC_IAR's claim takes
    seconds per query; here each query has 1 ms)."""
    system = shipped_systems["gicv2"]
    refiner = Refiner(system, Options((1, 2), policy=SearchPolicy(refinement_budget_ms=1)))
    assert refiner.proved(system) == set()
    claim = refiner.results["GICC_IAR.read"].verdict
    assert isinstance(claim, Unknown) and claim.reason.startswith("solver timeout"), claim


def test_refuted_claim_of_a_memory_mapped_register_has_a_counterexample(tmp_path: Path) -> None:
    """The same broken handler as a register of a frame (GICC_IAR is one): the counterexample
    shows the access as the frame access that reaches the register (a KeyError before)."""
    mmio = SPEC.replace("sysreg ACKR : ACK read-only {", "frame CPU size 0x100 {\n    register ACKR at 0xC : ACK read-only {")
    mmio = mmio.replace("        return ACK(ID = x)\n    }\n}\n", "        return ACK(ID = x)\n    }\n    }\n}\n")
    old = "            pend[self][x[1:0]] := false\n"
    assert old in mmio and "frame CPU" in mmio
    write_tree(tmp_path, {"spec/model.gic": mmio.replace(old, ""), "p.prop": PROPS})
    code, out, err = run("prove", "--spec", tmp_path / "spec", "--vcpus", "1..4", "--depth", "3", tmp_path / "p.prop")
    assert code == 1, err
    assert "VIOLATED   ACKR.read" in out
    assert re.search(r"ACKR.read: the access does not do what take\(self=0, i=\d\) does", out), out
    assert "reads ACKR (+0x000c)" in out, out
    assert "COVERED    some_active" in out
