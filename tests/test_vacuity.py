"""Vacuity (issue 18): a proved contract or independence property whose access never happens (in
any state; with `--vacuity reachable`, in any run from reset within the depth) is reported with
its place, as a warning; `--strict` makes it exit 5; the reports carry it."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
import xmlschema

from checker import pipeline
from checker.engines import Options, check_properties
from checker.engines.search import VacuityCheck
from checker.results import Proved, Vacuity, VacuityKind
from tests.helpers import ROOT, run, write_tree
from tests.test_reports import SCHEMAS, report_validator

ENGINES = ROOT / "tests/specs/engines"

PROPS = """use model gicv3

/// inc needs x < 3: it never runs with x == 3.
property inc_at_three: after inc() where x == 3: x' == 4
/// w stays 0 from reset: an access with w == 5 is never made.
property keep_at_five: after keep() where w == 5: w' == 5
/// Holds, and inc runs.
property inc_adds_one: after inc(): x' == x + 1
/// A bits(4) value is never above 15.
property setw_big_ignores_writer: after setw(self, v) where v > 15: independent of self
"""

VACUOUS = (
    "inc_at_three holds vacuously: no state allows inc with its where clause "
    "(the action's requires and the where clause are never both true)"
)


def unwitnessed(depth: int) -> str:
    return (
        f"keep_at_five may hold vacuously: no run of up to {depth} accesses from reset makes keep with its where clause "
        "(a larger --depth may find one)"
    )


INDEPENDENCE = (
    "setw_big_ignores_writer holds vacuously: no state allows setw with its where clause "
    "(the action's requires and the where clause are never both true)"
)


@pytest.fixture
def props(tmp_path: Path) -> Path:
    path = tmp_path / "v.prop"
    path.write_text(PROPS)
    return path


def test_each_proved_property_says_whether_its_access_happens(props: Path) -> None:
    system = pipeline.load_system(ENGINES, "gicv3", property_files=[props], vcpus=(1, 4))
    # by default: does any state allow the access? (keep with w == 5: yes, an unreachable one)
    got = {r.name: r for r in check_properties(system, Options((1, 4), 4))}
    assert all(isinstance(r.verdict, Proved) for r in got.values())
    assert got["inc_at_three"].vacuity == Vacuity(VacuityKind.VACUOUS, VACUOUS)
    assert got["setw_big_ignores_writer"].vacuity == Vacuity(VacuityKind.VACUOUS, INDEPENDENCE)
    assert got["keep_at_five"].vacuity is None and got["inc_adds_one"].vacuity is None
    # reachable: does a run from reset make it?
    deep = {r.name: r.vacuity for r in check_properties(system, Options((1, 4), 4, vacuity=VacuityCheck.REACHABLE))}
    assert deep == {
        "inc_at_three": Vacuity(VacuityKind.VACUOUS, VACUOUS),
        "keep_at_five": Vacuity(VacuityKind.UNWITNESSED, unwitnessed(4)),
        "inc_adds_one": None,
        "setw_big_ignores_writer": Vacuity(VacuityKind.VACUOUS, INDEPENDENCE),
    }
    none = check_properties(system, Options((1, 4), 4, vacuity=VacuityCheck.NONE))
    assert [r.vacuity for r in none] == [None] * 4


def test_warnings_are_printed_at_the_property_and_strict_exits_5(props: Path) -> None:
    code, out, err = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--vacuity", "reachable")
    assert (code, err) == (0, "")
    warnings = [ln for ln in out.splitlines() if ": warning: " in ln]
    assert warnings == [
        f"{props}:4:1: warning: {VACUOUS}",
        f"{props}:6:1: warning: {unwitnessed(8)}",  # the command line's default depth
        f"{props}:10:1: warning: {INDEPENDENCE}",
    ]
    assert out.rstrip().splitlines()[-1].startswith("gicv3: 4 proved (3 with a vacuity warning) in ")
    code, out, _ = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--strict")
    assert code == 5 and out.count(": warning: ") == 2
    code, out, _ = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--strict", "--vacuity", "none")
    assert code == 0 and "warning" not in out


def test_the_reports_carry_the_warnings(props: Path) -> None:
    code, out, _ = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--format", "json", "--strict", "--vacuity", "reachable")
    doc = json.loads(out)
    report_validator("prove").validate(doc)
    assert code == 5 and doc["exit_code"] == 5
    by = {r["name"]: r["vacuity"] for r in doc["results"]}
    assert by == {
        "inc_at_three": {"kind": "vacuous", "message": VACUOUS},
        "keep_at_five": {"kind": "unwitnessed", "message": unwitnessed(8)},
        "inc_adds_one": None,
        "setw_big_ignores_writer": {"kind": "vacuous", "message": INDEPENDENCE},
    }
    _, out, _ = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--format", "sarif", "--vacuity", "reachable")
    sarif = json.loads(out)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [(r["level"], r["ruleId"]) for r in results] == [
        ("warning", "gicv3/inc_at_three"),
        ("warning", "gicv3/keep_at_five"),
        ("warning", "gicv3/setw_big_ignores_writer"),
    ]
    assert results[0]["message"]["text"].endswith("; " + VACUOUS)
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_junit_carries_the_warning_in_the_property_s_output(props: Path) -> None:
    code, out, _ = run("prove", "--spec", ENGINES, props, "--jobs", "1", "--format", "junit")
    assert code == 0
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(out)
    cases = {c.get("name"): c for c in ElementTree.fromstring(out).iter("testcase")}
    assert cases["inc_at_three"].findtext("system-out", "").splitlines() == [
        "PROVED: one-step: holds after every such access from every state; every count in vCPUs 1..4",
        f"{props}:4:1: warning: {VACUOUS}",
    ]
    assert "warning" not in cases["inc_adds_one"].findtext("system-out", "")


def test_without_a_where_clause_the_warning_names_the_requires(tmp_path: Path) -> None:
    spec = "state x : bits(2) = 0\n/// x is never both 1 and 2\naction stuck() requires x == 1 && x == 2 { x := 0 }\nmodel gicv3 { vcpus 1..2 }\n"
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": "use model gicv3\nproperty stuck_clears: after stuck(): x' == 0\n"})
    system = pipeline.load_system(tmp_path / "spec", "gicv3", property_files=[tmp_path / "p.prop"], vcpus=(1, 2))
    (r,) = check_properties(system, Options((1, 2), 4))
    assert isinstance(r.verdict, Proved)
    assert r.vacuity == Vacuity(
        VacuityKind.VACUOUS, "stuck_clears holds vacuously: no state allows stuck (the action's requires is never true)"
    )


INVARIANTS = """use model gicv3

/// Its premise cannot hold: it says nothing.
invariant contradiction_says_nothing: x > 9 && x < 5 -> y == 1
/// w stays 0, so w == 5 never holds: true of no reachable state, though some state has it.
invariant w_five_means_x_seven: w == 5 -> x == 7
/// x reaches 3 after three incs.
invariant three_is_the_top: forall v: vcpu. x == 3 -> x <= 3
/// No premise: nothing to check.
invariant x_small: x <= 3
"""


def test_a_proved_invariant_whose_premise_never_holds_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "i.prop"
    path.write_text(INVARIANTS)
    system = pipeline.load_system(ENGINES, "gicv3", property_files=[path], vcpus=(1, 2))
    contradiction = Vacuity(
        VacuityKind.VACUOUS, "contradiction_says_nothing holds vacuously: its premise (left of ->) is false in every state"
    )
    got = {r.name: r for r in check_properties(system, Options((1, 2), 4))}
    assert all(isinstance(r.verdict, Proved) for r in got.values())
    assert {n: r.vacuity for n, r in got.items()} == {
        "contradiction_says_nothing": contradiction,
        "w_five_means_x_seven": None,  # some state has w == 5
        "three_is_the_top": None,
        "x_small": None,
    }
    deep = {r.name: r.vacuity for r in check_properties(system, Options((1, 2), 4, vacuity=VacuityCheck.REACHABLE))}
    assert deep == {
        "contradiction_says_nothing": contradiction,
        "w_five_means_x_seven": Vacuity(
            VacuityKind.UNWITNESSED,
            "w_five_means_x_seven may hold vacuously: no run of up to 4 accesses from reset reaches a state where its "
            "premise (left of ->) holds (a larger --depth may find one)",
        ),
        "three_is_the_top": None,
        "x_small": None,
    }
