"""gicheck mutate on tests/specs/mutate: the mutants enumerated (each place and change), which the
properties kill, which survive, which are equivalent, the report, and bad input."""

from __future__ import annotations

import json
import re

from checker import interp, ir, mutants, pipeline
from checker.cli.mutate import spread
from checker.engines import Options
from checker.engines.mutate import Original, equivalence, kills, no_answer
from checker.results import (
    Bounded,
    Covered,
    Failure,
    PropertyKind,
    PropertyResult,
    Proved,
    Step,
    Trace,
    Unreached,
    Verdict,
    Violated,
)
from tests.helpers import ROOT, run, shown

SPEC = ROOT / "tests" / "specs" / "mutate"
PROPS = SPEC / "props.prop"
FILE = shown(SPEC / "model.gic")

# (line:col, handler, kind, change), in the enumeration's order
EXPECTED = [
    ("33:24", "F_CTL.read", "neighbour-field", "field CTL.A -> CTL.B"),
    ("33:20", "F_CTL.read", "constant", "constant 0 -> 1"),
    ("36:13", "F_CTL.write", "drop-assignment", "dropped assignment to mode"),
    ("36:21", "F_CTL.write", "neighbour-field", "field CTL.A -> CTL.B"),
    ("22:20", "F_SET.read", "constant", "constant 0 -> 1"),
    ("25:16", "F_SET.write", "negate-condition", "negated condition `val[0]`"),
    ("26:17", "F_SET.write", "drop-assignment", "dropped assignment to on"),
    ("26:23", "F_SET.write", "w1s-w1c", "W1S -> W1C: on := false"),
    ("42:24", "bump", "negate-condition", "negated condition `level < 3`"),
    ("42:24", "bump", "swap-comparison", "`<` -> `<=` in `level < 3`"),
    ("42:32", "bump", "constant", "constant 3 -> 4"),
    ("43:5", "bump", "drop-assignment", "dropped assignment to level"),
    ("43:22", "bump", "constant", "constant 1 -> 2"),
    ("48:8", "clear", "negate-condition", "negated condition `v > 15`"),
    ("48:8", "clear", "swap-comparison", "`>` -> `>=` in `v > 15`"),
    ("48:12", "clear", "constant", "constant 15 -> 14"),
    ("49:9", "clear", "drop-assignment", "dropped assignment to level"),
    ("49:18", "clear", "constant", "constant 0 -> 1"),
]


def _system() -> ir.System:
    return pipeline.load_system(SPEC, "tiny", property_files=[PROPS], vcpus=(1, 2))


def test_the_mutants_of_the_handlers_with_their_places_and_changes() -> None:
    found = [(str(m.span), m.handler, m.kind.value, m.description) for m in mutants.enumerate_mutants(_system())]
    assert found == [(f"{FILE}:{at}", h, k, d) for at, h, k, d in EXPECTED]


def test_a_mutant_replaces_one_handler_and_leaves_the_rest() -> None:
    system = _system()
    w1c = mutants.enumerate_mutants(system)[7]
    mutated = mutants.apply(system, w1c)
    for before, after in ((system.actions, mutated.actions), (system.callables, mutated.callables)):
        assert after["F_SET.write"] == w1c.action != before["F_SET.write"]
        assert {n: a for n, a in after.items() if n != "F_SET.write"} == {n: a for n, a in before.items() if n != "F_SET.write"}


def test_the_accesses_a_kind_defines_and_the_frame_accesses_are_not_mutated() -> None:
    names = {a.name for a in mutants.handlers(_system())}
    assert names == {"F_CTL.read", "F_CTL.write", "F_SET.read", "F_SET.write", "bump", "clear"}


def _report(*extra: str) -> tuple[int, dict[str, object]]:
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--jobs", "1", "--no-cache", "--format", "json", *extra)
    assert err == ""
    return code, json.loads(out)


def test_killed_surviving_and_equivalent_mutants() -> None:
    code, doc = _report()
    (model,) = doc["models"]  # type: ignore[index]
    status = {m["index"]: (m["status"], m["killed_by"]) for m in model["mutants"]}
    assert status == {
        0: ("survived", None),  # no property reads F_CTL
        1: ("equivalent", None),  # the constructor's base: field A overwrites bit 0
        2: ("killed", "ctl_mode"),
        3: ("killed", "ctl_mode"),
        4: ("killed", "set_reads_zero"),
        5: ("killed", "set_sets"),
        6: ("killed", "set_sets"),
        7: ("killed", "set_sets"),
        8: ("killed", "level_three"),  # the cover is no longer reached
        9: ("killed", "level_small"),
        10: ("killed", "level_small"),
        11: ("killed", "level_three"),
        12: ("killed", "level_three"),  # 0, 2, 4: found by the quick pass, before the invariant
        13: ("survived", None),  # clear resets level: no property speaks of that
        14: ("survived", None),
        15: ("survived", None),
        16: ("equivalent", None),  # in a branch no value takes
        17: ("equivalent", None),
    }
    assert model["counts"] == {"killed": 11, "survived": 4, "equivalent": 3, "unknown": 0}
    assert model["kill_rate"] == 11 / 15
    assert code == 1  # under 90%
    notes = {m["index"]: m["note"] for m in model["mutants"]}
    assert notes[8] == "not reached (the original covers it)"
    assert notes[0] == "no property's cone of influence reaches this handler; behaves differently from the original in one step"
    assert notes[16] == "the same as the original from every state, with every argument (vCPUs 1..2)"
    checked = {m["index"]: m["checked"] for m in model["mutants"]}
    assert checked[8] == ["level_small", "level_three"]
    assert checked[13] == ["level_small", "level_three"]


def test_the_text_report_lists_the_survivors_by_place_and_change() -> None:
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--jobs", "1", "--no-cache", "--min-rate", "70")
    assert code == 0, err
    text = re.sub(r"\d+\.\ds", "T", out)
    assert text == (
        "gicheck mutate: model tiny, vCPUs 1..2, depth 4: 18 of 18 mutants run\n"
        "  killed 11, survived 4, equivalent 3, unknown 0\n"
        "  kill rate 73.3% (11 of 15 non-equivalent mutants with an answer)\n"
        "  per file:\n"
        f"    {FILE}   73.3%  killed 11, survived 4, equivalent 3, unknown 0\n"
        "  survived (4):\n"
        f"    {FILE}:33:24: F_CTL.read: field CTL.A -> CTL.B [neighbour-field, mutant 0]\n"
        "      no property's cone of influence reaches this handler; behaves differently from the original in one step\n"
        f"    {FILE}:48:8: clear: negated condition `v > 15` [negate-condition, mutant 13] (by 2 properties)\n"
        "      behaves differently from the original in one step\n"
        f"    {FILE}:48:8: clear: `>` -> `>=` in `v > 15` [swap-comparison, mutant 14] (by 2 properties)\n"
        "      behaves differently from the original in one step\n"
        f"    {FILE}:48:12: clear: constant 15 -> 14 [constant, mutant 15] (by 2 properties)\n"
        "      behaves differently from the original in one step\n"
        "  equivalent (3):\n"
        f"    {FILE}:33:20: F_CTL.read: constant 0 -> 1 [constant, mutant 1]\n"
        "      the same as the original from every state, with every argument (vCPUs 1..2)\n"
        f"    {FILE}:49:9: clear: dropped assignment to level [drop-assignment, mutant 16] (by 2 properties)\n"
        "      the same as the original from every state, with every argument (vCPUs 1..2)\n"
        f"    {FILE}:49:18: clear: constant 0 -> 1 [constant, mutant 17] (by 2 properties)\n"
        "      the same as the original from every state, with every argument (vCPUs 1..2)\n"
        "  T\n"
        "gicheck mutate: 1 model in T\n"
    )


def test_an_equivalent_mutant_and_one_that_differs() -> None:
    system = _system()
    ms = mutants.enumerate_mutants(system)
    opts = Options((1, 2))
    assert equivalence(system, ms[16], opts, []) == (
        True,
        "the same as the original from every state, with every argument (vCPUs 1..2)",
    )
    assert equivalence(system, ms[13], opts, []) == (False, "behaves differently from the original in one step")


def test_an_equivalent_mutant_on_the_states_the_invariants_allow() -> None:
    """`requires level < 4` for `level < 3` differs at level 3 only: on the states where
    `level < 3` holds, given as a proved invariant, it is the same."""
    system = _system()
    ms = mutants.enumerate_mutants(system)
    below3 = ir.Binop(ir.Op.ULT, ir.StateRef("level", ir.BitsT(4)), ir.Const(3, ir.BitsT(4)), ir.BOOL)
    same, what = equivalence(system, ms[10], Options((1, 2)), [below3])
    assert (same, what) == (
        True,
        "the same as the original on every state that satisfies the 1 invariant(s) the original proved (vCPUs 1..2)",
    )


def test_only_and_limit_choose_the_mutants() -> None:
    _, doc = _report("--only", SPEC / "model.gic", "--limit", "3", "--min-rate", "0")
    (model,) = doc["models"]  # type: ignore[index]
    assert [m["index"] for m in model["mutants"]] == [0, 6, 12]
    assert model["enumerated"] == 18
    assert [m.index for m in spread(mutants.enumerate_mutants(_system()), 4)] == [0, 4, 9, 13]


def test_bad_input_is_a_usage_error() -> None:
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--only", SPEC / "nope.gic")
    assert (code, out) == (2, "")
    assert err == f"gicheck: error: --only {SPEC / 'nope.gic'}: no such file\n"
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--only", PROPS)
    assert (code, err) == (2, f"gicheck: error: --only {PROPS}: no handler of the models checked is written in this file\n")
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--vcpus", "0..0")
    assert (code, err) == (2, "gicheck: error: vCPU range 0..0 starts at 0: a VM has at least one vCPU\n")
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--model", "gicv9")
    assert (code, err) == (2, "gicheck: error: --model gicv9: no such model (models: tiny)\n")
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--vcpus", "5")
    assert (code, err) == (2, "gicheck: error: nothing to mutate: no model with properties allows --vcpus 5..5\n")
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--limit", "0")
    assert code == 2
    assert err == "gicheck: error: argument --limit: must be at least 1, not 0\n"


def test_the_local_pool_gives_the_serial_run_s_verdicts() -> None:
    _, serial = _report()
    code, out, err = run("mutate", "--spec", SPEC, PROPS, "--jobs", "2", "--no-cache", "--format", "json")
    assert (code, err) == (1, "")
    parallel = json.loads(out)

    def verdicts(doc: dict[str, object]) -> list[tuple[int, str, str | None]]:
        return [(m["index"], m["status"], m["killed_by"]) for m in doc["models"][0]["mutants"]]  # type: ignore[index]

    assert verdicts(parallel) == verdicts(serial)


def test_a_cover_kills_only_when_the_mutant_s_search_went_as_deep_as_the_original_s_trace() -> None:
    def result(verdict: Verdict, kind: PropertyKind = PropertyKind.COVER) -> PropertyResult:
        return PropertyResult("p", kind, "", "x:1:1", "tiny", (1, 2), verdict, 0.0)

    step = Step("bump", None, None, (), ())
    covered = result(Covered(Trace(1, (step, step, step), Failure("p", "reached"))))
    assert kills(result(Unreached(3)), covered)
    assert not kills(result(Unreached(2, "the search time ran out")), covered)
    assert not kills(result(Unreached(4)), result(Unreached(4)))
    violated = result(Violated(Trace(1, (step,), Failure("p", "violated"))), PropertyKind.INVARIANT)
    assert kills(violated, result(Proved("k-induction"), PropertyKind.INVARIANT))
    assert not kills(violated, violated)


def test_a_property_proved_assuming_an_invariant_the_mutant_breaks_is_checked_again() -> None:
    """`y >= 15` for `y > 15` lets jump break x_small 16 steps from reset: x_small is only
    bounded on it, and tick_keeps_x_small, which the first pass proved assuming x_small, is
    checked again without it."""
    spec = ROOT / "tests" / "specs" / "mutate-assume"
    code, out, err = run("mutate", "--spec", spec, spec / "props.prop", "--jobs", "1", "--no-cache", "--format", "json")
    assert (code, err) == (1, "")
    (model,) = json.loads(out)["models"]
    status = {m["index"]: (m["change"], m["status"], m["killed_by"], m["note"]) for m in model["mutants"]}
    assert status[0] == ("negated condition `y > 15`", "killed", "x_small", "violated")
    assert status[1] == (
        "`>` -> `>=` in `y > 15`",
        "survived",
        None,
        "only bounded here: x_small, tick_keeps_x_small; behaves differently from the original in one step",
    )


def test_a_search_stopped_short_by_its_time_is_no_answer() -> None:
    def result(verdict: Verdict, kind: PropertyKind = PropertyKind.COVER) -> PropertyResult:
        return PropertyResult("p", kind, "", "x:1:1", "tiny", (1, 2), verdict, 0.0)

    step = Step("bump", None, None, (), ())
    covered = Original("tiny", 4, {"p": result(Covered(Trace(1, (step, step, step), Failure("p", "reached"))))})
    assert no_answer(result(Unreached(2, "the search time ran out")), covered) == (
        "not reached within 2 accesses, fewer than the original's trace of 3 (the search time ran out)"
    )
    proved = Original("tiny", 4, {"p": result(Proved("k-induction"), PropertyKind.INVARIANT)})
    short = result(Bounded(2, "not k-inductive for k <= 2; the search time ran out"), PropertyKind.INVARIANT)
    assert no_answer(short, proved) == "checked to depth 2 of 4 only (not k-inductive for k <= 2; the search time ran out)"
    assert no_answer(result(Bounded(4, "no violation within 4 steps"), PropertyKind.INVARIANT), proved) is None


def test_a_mutant_of_a_where_clause_changes_what_a_guest_s_access_does() -> None:
    """A register's `where` is its handlers' `requires`, and the frame accesses test it again
    before they invoke the handler. A mutant of it is made there too, in the accesses of the
    handler's kind only: before, only the handler as a transition changed, and no guest access
    saw the mutant (20 of GICv3's dist.gic mutants survived so)."""
    system = pipeline.load_system(ROOT / "tests" / "specs" / "mmio", "mmio", vcpus=(2, 2))
    by_change = {(m.handler, m.description): m for m in mutants.enumerate_mutants(system)}
    negated = by_change[("D_PRIO.write", "negated condition `4 * n < nr_irqs`")]
    looser = by_change[("D_PRIO.write", "`<` -> `<=` in `4 * n < nr_irqs`")]

    def prio_after_write(s: ir.System, nr: int, offset: int) -> tuple[int, int]:
        it = interp.Interp(s, 2, {"nr_irqs": nr})
        post, _ = it.access(s.callables["D.write"], it.reset(), {"self": 0, "offset": offset, "width": 32, "val": 0x5A})
        _, read = it.access(s.callables["D.read"], post, {"self": 0, "offset": offset, "width": 32})
        return post["prio"].get((offset - 0x400) // 4), read

    assert prio_after_write(system, 64, 0x43C) == (0x5A, 0x5A)  # D_PRIO[15]: present
    assert prio_after_write(system, 64, 0x440) == (0, 0)  # D_PRIO[16]: absent with 64 interrupts
    assert prio_after_write(mutants.apply(system, negated), 64, 0x43C) == (0, 0)
    # the write reaches the absent element; the read, whose handler is not the mutant's, does not
    assert prio_after_write(mutants.apply(system, negated), 64, 0x440) == (0x5A, 0)
    assert prio_after_write(mutants.apply(system, looser), 64, 0x440) == (0x5A, 0)
    assert prio_after_write(mutants.apply(system, looser), 64, 0x444) == (0, 0)
