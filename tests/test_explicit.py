"""The explicit-state engine (checker/engines/explicit.py, `gicheck explore`) against the symbolic
engines, at the small configuration: vCPUs 1..2, nr_irqs 64 (issue 18).

The agreement rule is `explicit.agreement`: symbolic PROVED, the explicit search finds no
violation; VIOLATED, it finds one (within its input sample); COVERED, it reaches the goal.

CI: every broken variant of tests/test_broken.py and the v1 overlay is found violated (their
symbolic verdict at the small configuration is recomputed by the slow test at the end), the
same properties on the shipped spec are not, the shipped covers within a few thousand states
are reached, and bench/explicit.md, the whole table (every shipped property of both models and
every variant, decided both ways by bench/explicit.py with `table_rows`), has a row for each
and no disagreement. With GICHECK_EXPLICIT_TABLE=1 the table's shipped rows are recomputed.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT, run

from checker import ir, pipeline
from checker.engines import Options, check_properties, explicit
from checker.engines.search import VacuityCheck
from checker.model import Design
from checker.results import Agreement, Bounded, Covered, Explored, Proved, Verdict, Violated
from checker.sema.overlay import load_overlays
from tests.test_broken import VARIANTS, Variant

VCPUS = (1, 2)
PARAMS = (("nr_irqs", 64),)
CI_LIMITS = explicit.Limits(max_states=200, max_depth=12, max_accesses=20_000)  # CI: enough for every variant's trace
V1 = Variant(
    "sgi-broadcast-v1",
    "gicv3/sgi.gic",
    "",
    "",
    "sgi.prop",
    "broadcast_reaches_all_others",
    "1..2",
    (),
)
BROKEN = [*VARIANTS, V1]


def model_of(v: Variant) -> str:
    return v.file.split("/")[0]


def small(design: Design) -> ir.System:
    return pipeline.lower(design, VCPUS, {n: (v, v) for n, v in PARAMS})


@functools.cache
def shipped_system(model: str, props: tuple[Path, ...] | None = None) -> ir.System:
    files = list(props) if props is not None else sorted((ROOT / "properties").rglob("*.prop"))
    groups = pipeline.group_properties(files)
    return small(pipeline.load_design(ROOT / "spec", model, property_files=groups.get(model, [])))


def variant_system(v: Variant, tmp: Path) -> ir.System:
    """The shipped spec with the variant's edit (the v1 overlay for V1), and its property file."""
    model = model_of(v)
    props = pipeline.group_properties([ROOT / "properties" / v.props]).get(model, [])
    if v is V1:
        overlay = load_overlays([ROOT / "examples/sgi-broadcast-v1/v1.overlay"])
        return small(pipeline.load_design(ROOT / "spec", model, property_files=props, overlay=overlay))
    spec = tmp / f"spec-{v.name}"
    shutil.copytree(ROOT / "spec", spec)
    target = spec / v.file
    text = target.read_text()
    assert text.count(v.old) == 1, f"{v.name}: the text to break is not in {v.file} exactly once"
    target.write_text(text.replace(v.old, v.new))
    return small(pipeline.load_design(spec, model, property_files=props))


def prop(system: ir.System, name: str) -> ir.Property:
    return next(p for p in system.properties if p.name == name)


def explore(system: ir.System, name: str, limits: explicit.Limits = CI_LIMITS) -> Explored:
    return explicit.explore(system, prop(system, name), explicit.Config(VCPUS, PARAMS, limits))


def symbolic(system: ir.System, names: set[str]) -> dict[str, Verdict]:
    """The symbolic engines' verdicts at the small configuration, without the proof cache."""
    results = check_properties(system, Options(VCPUS, vacuity=VacuityCheck.NONE), names)
    return {r.name: r.verdict for r in results if r.name in names}


# ---- the agreement table (bench/explicit.py writes it to bench/explicit.md) -----------------

TABLE = ROOT / "bench/explicit.md"
# A cover is searched until its goal is reached, so it gets the most states; an invariant costs
# one evaluation per state; a contract runs every sampled access from each state.
TABLE_LIMITS = {
    ir.Cover: explicit.Limits(max_states=60_000, max_depth=12, max_accesses=1_000_000),
    ir.Invariant: explicit.Limits(max_states=10_000, max_depth=12, max_accesses=200_000),
}
TABLE_OTHER_LIMITS = explicit.Limits(max_states=1000, max_depth=12, max_accesses=50_000)


def table_limits(p: ir.Property) -> explicit.Limits:
    return TABLE_LIMITS.get(type(p), TABLE_OTHER_LIMITS)


Row = tuple[str, str, str, str, str, str, str]  # property, model or variant, symbolic, explicit, states, complete, agreement


def verdict_word(v: Verdict) -> str:
    """A verdict as the table shows it: its word, and a trace's length and vCPUs."""
    word = type(v).__name__.upper().replace("INTERNALERROR", "INTERNAL ERROR")
    if isinstance(v, (Violated, Covered)):
        n, nr = len(v.trace.steps), v.trace.nr_vcpus
        word += f" ({n} step{'s' if n != 1 else ''}, {nr} vCPU{'s' if nr != 1 else ''})"
    return word


def table_rows(label: str, system: ir.System, names: list[str]) -> Iterator[Row]:
    """One row per property of `system` in `names`: both verdicts at the small configuration."""
    sym = symbolic(system, set(names))
    for p in system.properties:
        if p.name in names:
            e = explicit.explore(system, p, explicit.Config(VCPUS, PARAMS, table_limits(p)))
            agree = explicit.agreement(sym[p.name], e.result.verdict)
            complete = "yes" if e.complete else "no"
            yield (p.name, label, verdict_word(sym[p.name]), verdict_word(e.result.verdict), str(e.states), complete, agree)


def recorded_rows() -> dict[tuple[str, str], Row]:
    """bench/explicit.md's rows, by property and model (or variant)."""
    rows: dict[tuple[str, str], Row] = {}
    for line in TABLE.read_text().splitlines():
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if line.startswith("| ") and len(cells) == 7 and cells[0] != "property":
            rows[cells[0], cells[1]] = cells
    return rows


# ---- CI: the broken variants, the same properties unbroken, the covers -----------------------


@pytest.mark.parametrize("v", BROKEN, ids=[v.name for v in BROKEN])
def test_variant_violated_explicitly(v: Variant, tmp_path: Path) -> None:
    """Every broken variant is VIOLATED symbolically (tests/test_broken.py); the explicit search
    finds a violation too, with a trace the interpreter replayed."""
    e = explore(variant_system(v, tmp_path), v.prop)
    assert isinstance(e.result.verdict, Violated), (v.name, e.result.verdict)
    assert e.result.verdict.trace.failure.property == v.prop
    assert explicit.agreement(Violated(e.result.verdict.trace), e.result.verdict) == Agreement.AGREE


@pytest.mark.parametrize("v", BROKEN, ids=[v.name for v in BROKEN])
def test_unbroken_property_not_violated_explicitly(v: Variant) -> None:
    """The same property on the shipped spec (PROVED symbolically, tests/test_broken.py): no
    violation, and the verdict says what was searched and that it is not a proof."""
    e = explore(shipped_system(model_of(v), (ROOT / "properties" / v.props,)), v.prop)
    verdict = e.result.verdict
    assert isinstance(verdict, Bounded), (v.name, verdict)
    assert "not a proof, the inputs are a sample" in verdict.reason
    assert f"{e.states} state" in verdict.reason
    assert explicit.agreement(Proved("symbolic"), verdict) == Agreement.AGREE


# the shipped covers the search reaches within a few thousand states (the others: bench/explicit.md)
CHEAP_COVERS = [
    ("gicv3", "sgi.prop", "sgi_taken", 3, "ICC_IAR1_EL1"),
    ("gicv2", "gicv2-cpuif.prop", "sgi_taken", 3, "GICC_IAR"),
    ("gicv2", "gicv2-cpuif.prop", "ppi_ready", 2, "GICD_ISPENDR0"),
]


@pytest.mark.parametrize(("model", "props", "name", "steps", "last"), CHEAP_COVERS, ids=[f"{c[0]}-{c[2]}" for c in CHEAP_COVERS])
def test_shipped_cover_found_shortest(model: str, props: str, name: str, steps: int, last: str) -> None:
    """A shipped cover (COVERED symbolically, bench/explicit.md) is reached, with a shortest
    trace within the sample, at 1 vCPU (the fewest first)."""
    e = explore(shipped_system(model, (ROOT / "properties" / props,)), name, explicit.Limits(3000, 12))
    v = e.result.verdict
    assert isinstance(v, Covered), v
    assert (len(v.trace.steps), v.trace.nr_vcpus) == (steps, 1)
    step = v.trace.steps[-1]
    assert (step.target or step.action).split(" ")[0].split(".")[0] == last, step
    assert "breadth-first: no shorter trace with 1 vCPU and the input sample" in (v.note or "")


def test_cap_is_incomplete_not_proof() -> None:
    """A search stopped by its cap says so."""
    e = explore(shipped_system("gicv3", (ROOT / "properties/sgi.prop",)), "active_sgi_enabled", explicit.Limits(50, 12))
    assert not e.complete and isinstance(e.result.verdict, Bounded)
    assert "stopped at 50 states with 1 vCPU and at 50 states with 2 vCPUs, incomplete" in e.result.verdict.reason


def test_agreement_rule_flags_disagreements() -> None:
    """The rule the comparison asserts with can fail: a violation where the symbolic engine
    proved, none where it found one, a cover missed."""
    t = explore(shipped_system("gicv3", (ROOT / "properties/sgi.prop",)), "sgi_taken", explicit.Limits(3000, 12)).result.verdict
    assert isinstance(t, Covered)
    none = Bounded(3, "explicit")
    assert explicit.agreement(Proved("k-induction"), Violated(t.trace)) == Agreement.DISAGREE
    assert explicit.agreement(Violated(t.trace), none) == Agreement.DISAGREE
    assert explicit.agreement(Covered(t.trace), none) == Agreement.DISAGREE
    assert explicit.agreement(Bounded(2, "bmc"), Violated(t.trace)) == Agreement.UNDECIDED
    assert explicit.agreement(Bounded(3, "bmc"), Violated(t.trace)) == Agreement.DISAGREE


def test_explore_command() -> None:
    code, out, err = run(
        "explore", "--vcpus", "1", "--property", "sgi_taken", "--max-states", "3000", ROOT / "properties/sgi.prop"
    )
    assert (code, err) == (0, ""), out + err
    assert "gicheck explore: model gicv3" in out and "vCPUs 1..1, nr_irqs 64" in out
    assert "COVERED    sgi_taken  reached in 3 steps with 1 vCPU (replayed)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--vcpus", "4"), "--vcpus 4..4: the explicit-state engine takes at most 3 vCPUs"),
        (("--param", "nr_irqs=64..128"), "--param nr_irqs=64..128: the explicit-state engine takes one value"),
        (("--param", "nr_irqs=65"), "--param nr_irqs=65:"),
        (("--param", "nr_irqs=512"), "--param nr_irqs=512: the explicit-state engine takes values up to 256"),
        (("--property", "no_such"), "--property no_such: no such property"),
    ],
)
def test_explore_refuses(argv: tuple[str, ...], message: str) -> None:
    code, out, err = run("explore", *argv, ROOT / "properties/sgi.prop")
    assert code == 2 and out == "", err
    assert message in err, err


def test_recorded_table_covers_every_property_and_agrees() -> None:
    """bench/explicit.md (every shipped property of both models and every broken variant,
    symbolic and explicit at the small configuration) has a row for each, and no disagreement."""
    rows = recorded_rows()
    wanted = {(p.name, m) for m in ("gicv3", "gicv2") for p in shipped_system(m).properties}
    wanted |= {(v.prop, v.name) for v in BROKEN}
    missing = sorted(wanted - set(rows))
    assert not missing, f"no row in {TABLE} for {missing}: run python bench/explicit.py --write"
    assert sorted(set(rows) - wanted) == [], "rows for properties that are gone"
    bad = [r for r in rows.values() if r[6] == Agreement.DISAGREE]
    assert bad == []
    assert all(
        r[2].startswith("VIOLATED") and r[6] == Agreement.AGREE
        for (_, label), r in rows.items()
        if label not in ("gicv3", "gicv2")
    )


# ---- slow: the symbolic verdicts of the variants recomputed at the small configuration -------


@pytest.mark.slow
@pytest.mark.parametrize("v", BROKEN, ids=[v.name for v in BROKEN])
def test_variant_symbolic_verdict_at_small_configuration(v: Variant, tmp_path: Path) -> None:
    system = variant_system(v, tmp_path)
    sym = symbolic(system, {v.prop})[v.prop]
    assert isinstance(sym, Violated), sym
    e = explore(system, v.prop)
    assert explicit.agreement(sym, e.result.verdict) == Agreement.AGREE


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("GICHECK_EXPLICIT_TABLE"),
    reason="the whole table, every shipped property decided both ways: set GICHECK_EXPLICIT_TABLE=1",
)
@pytest.mark.parametrize("model", ["gicv3", "gicv2"])
def test_recorded_table_recomputed(model: str) -> None:
    """Every shipped property of `model` decided again, both ways: the symbolic verdicts, and
    the agreement, are those bench/explicit.md records."""
    system = shipped_system(model)
    recorded = recorded_rows()
    for row in table_rows(model, system, [p.name for p in system.properties]):
        old = recorded[row[0], model]
        assert (row[2], row[6]) == (old[2], old[6]), (row, old)
        assert row[6] != Agreement.DISAGREE, row
