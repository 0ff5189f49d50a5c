"""gicheck diff: differences found and replayed on both sides, equivalence proved, a spec against
itself, properties classified, git revisions, expected differences and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from checker import interp, pipeline
from checker.engines.diff import Differ
from checker.engines.search import Options, guided_paths
from checker.sema.overlay import load_overlays
from checker.smt import product as P
from tests.helpers import run, write_tree

# A small distributor: an enable bit per interrupt, a pending latch, a set-enable register and
# a "doorbell" system register that pends interrupts on a vCPU.
SPEC = """
type irq = 0..7
state enabled[irq] : bool = false
state pending[vcpu][irq] : bool = false

layout DOOR : bits(32) {
    INTID  [2:0]
    ALL    [8]
    TARGET [15:12]
}

/// The doorbell: pend INTID on TARGET, or on every vCPU but the sender when ALL is set.
sysreg DOORBELL : DOOR write-only {
    on write(self: vcpu, val: DOOR) {
        for c in vcpu {
            if val.ALL && c == self { continue }
            if !val.ALL && c[3:0] != val.TARGET { continue }
            pending[c][val.INTID] := true
        }
    }
}

frame DIST size 0x100 {
    register ENABLE at 0x10 : bits(8) w1s {
        on read(self: vcpu) {
            var r: bits(8) = 0
            for i in irq {
                if enabled[i] { r[i] := 1 }
            }
            return r
        }
        on write(self: vcpu, val: bits(8)) {
            for i in irq {
                if val[i] { enabled[i] := true }
            }
        }
    }
}

action take(self: vcpu, i: irq) requires pending[self][i] && enabled[i] {
    pending[self][i] := false
}

model small { vcpus 1..4 }
"""

PROPS = """
use model small

/// ALL reaches every vCPU but the sender.
property all_reaches_others: after DOORBELL.write(s, v) where v.ALL == 1:
    forall c: vcpu. c != s -> pending'[c][v.INTID]

/// A write of ENABLE never clears an enable.
property enable_never_clears: after ENABLE.write(s, v):
    forall i: irq. enabled[i] -> enabled'[i]

/// An interrupt is pending on the sender only if someone sent it there.
invariant nothing_spurious: forall i: irq. enabled[i] || !enabled[i]
"""

# The same doorbell, written another way: the two `continue`s folded into one condition.
REWRITE = """
overlay for model small

replace DOORBELL on write(self: vcpu, val: DOOR) {
    for c in vcpu {
        let hit = val.ALL ? c != self : c[3:0] == val.TARGET
        if hit {
            pending[c][val.INTID] := true
        }
    }
}
"""

# The v1-style bug: an early exit on TARGET == 0 whatever ALL says.
BUG = """
overlay for model small

replace DOORBELL on write(self: vcpu, val: DOOR) {
    for c in vcpu {
        if val.TARGET == 0 { break }
        if val.ALL && c == self { continue }
        if !val.ALL && c[3:0] != val.TARGET { continue }
        pending[c][val.INTID] := true
    }
}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path, {"spec/small.gic": SPEC, "properties/small.prop": PROPS, "rewrite.overlay": REWRITE, "bug.overlay": BUG}
    )


def _diff(tree: Path, overlay: str, *extra: str) -> tuple[int, str, str]:
    return run("diff", tree / "spec", tree / overlay, "--properties", tree / "properties", *extra)


def test_a_difference_is_found_replayed_on_both_sides_and_the_post_states_differ(tree: Path) -> None:
    old = pipeline.load_system(tree / "spec", "small")
    new = pipeline.load_system(tree / "spec", "small", overlay=load_overlays([tree / "bug.overlay"]))
    differ = Differ(old, new, Options((1, 4)), set())
    by = {a.name: a for a in differ.actions()}
    d = by["DOORBELL.write"]
    assert d.status == "different"
    assert {a.status for n, a in by.items() if n != "DOORBELL.write"} == {"same"}
    r = d.reached
    assert r is not None and r.from_reset and r.prefix == ()  # the first write from reset tells them apart
    assert r.old is not None and r.new is not None
    val = next(a for a in r.old.args if a.name == "val")
    fields = {f.name: f.value for f in val.fields}
    assert fields["TARGET"] == 0  # the early exit fires only when TARGET is 0
    # replay it ourselves: the interpreter on both sides, from reset, with that write
    args = {a.name: a.value for a in r.old.args}
    it_o, it_n = interp.Interp(old, r.nr_vcpus, dict(r.params)), interp.Interp(new, r.nr_vcpus, dict(r.params))
    post_o = it_o.run(old.action("DOORBELL.write"), it_o.reset(), args)
    post_n = it_n.run(new.action("DOORBELL.write"), it_n.reset(), args)
    assert post_o["pending"] != post_n["pending"] or any(
        post_o["pending"].get(c).get(fields["INTID"]) != post_n["pending"].get(c).get(fields["INTID"])
        for c in range(r.nr_vcpus)  # type: ignore[union-attr]
    )
    # and the rows the report shows are exactly the locations that differ
    for loc, before, o, n in r.rows:
        c, i = map(int, re.findall(r"\[(\d+)\]", loc))
        assert (before, o, n) == (False, True, False)
        assert post_o["pending"].get(c).get(i) is True and post_n["pending"].get(c).get(i) is False  # type: ignore[union-attr]


def test_diff_of_the_bug_exits_1_names_the_broken_property_and_shows_the_write(tree: Path) -> None:
    code, out, err = _diff(tree, "bug.overlay")
    assert code == 1, out + err
    assert re.search(r"BROKEN\s+all_reaches_others\s+old proved, new violated", out)
    assert re.search(r"DIFFERENT\s+DOORBELL\.write\s+reachable: the first access from reset tells the sides apart", out)
    assert "from reset (replayed on both sides):" in out
    assert re.search(r"#1  vCPU \d writes DOORBELL = 0x[0-9a-f]{8}\n\s+INTID=\d ALL=1 TARGET=0", out)
    assert re.search(r"location\s+before\s+old after\s+new after\n\s+pending\[\d\]\[\d\]\s+false\s+true\s+false", out)
    assert re.search(r"HOLDS\s+enable_never_clears\s+old proved, new proved\s+\(carried over", out)
    assert "small: 1 property broken (all_reaches_others), 1 unexpected difference (DOORBELL.write), 0 expected" in out


def test_an_equivalent_rewrite_is_proved_the_same_and_exits_0(tree: Path) -> None:
    code, out, err = _diff(tree, "rewrite.overlay")
    assert code == 0, out + err
    assert re.search(r"SAME\s+DOORBELL\.write\s+proved the same from every state, with every argument", out)
    assert "DIFFERENT" not in out
    # its action is proved the same, so the proof carries over instead of being redone
    assert re.search(r"HOLDS\s+all_reaches_others\s+old proved, new proved\s+\(carried over: its cone is proved the same\)", out)
    assert "0 properties broken, 0 unexpected differences, 0 expected" in out


def test_a_spec_against_itself_is_the_same_everywhere(tree: Path) -> None:
    code, out, err = run("diff", tree / "spec", tree / "spec", "--properties", tree / "properties")
    assert code == 0, out + err
    assert "the same variables, types and reset values on both sides" in out
    m = re.search(r"actions \(compared at vCPUs 1\.\.4\): (\d+) same\n", out)
    assert m and int(m.group(1)) == 6  # DOORBELL.write, ENABLE.read/.write, take, DIST.read/.write
    assert re.search(r"properties: 3 still holding \(3 carried over\)", out)


def test_an_expected_difference_exits_0_unless_a_property_breaks(tree: Path) -> None:
    code, out, _ = _diff(tree, "bug.overlay", "--expect", "DOORBELL")
    assert code == 1  # still broken
    assert "(expected)" in out
    code, out, _ = _diff(tree, "bug.overlay", "--expect", "DOORBELL", "--no-properties")
    assert code == 0, out
    assert "0 properties broken, 0 unexpected differences, 1 expected" in out


def test_a_declared_broken_property_is_shown_broken_and_exits_0(tree: Path) -> None:
    """`expect broken` (overlay) or --expect-broken: the patch means to drop that promise. It is
    still shown broken, with its trace; only the exit code changes."""
    code, out, err = _diff(tree, "bug.overlay", "--expect", "DOORBELL", "--expect-broken", "all_reaches_others")
    assert code == 0, out + err
    assert re.search(r"BROKEN\s+all_reaches_others\s+old proved, new violated\s+\(expected: the patch declares it broken\)", out)
    assert "all_reaches_others: BROKEN on the new side (expected)" in out
    assert "small: 1 property broken (all_reaches_others (expected)), 0 unexpected differences, 1 expected" in out
    (tree / "drop.overlay").write_text(BUG + "expect different DOORBELL\nexpect broken all_reaches_others\n")
    code, out, err = _diff(tree, "drop.overlay", "--format", "json")
    assert code == 0, out + err
    (model,) = json.loads(out)["models"]
    props = {p["name"]: p for p in model["properties"]}
    assert (props["all_reaches_others"]["status"], props["all_reaches_others"]["expected"]) == ("broken", True)
    assert props["enable_never_clears"]["expected"] is False


def test_a_replaced_property_is_marked_changed(tree: Path) -> None:
    (tree / "weaker.overlay").write_text(
        "overlay for model small\nreplace property all_reaches_others: after DOORBELL.write(s, v) where v.ALL == 1: true\n"
    )
    code, out, err = _diff(tree, "weaker.overlay")
    assert code == 0, out + err
    assert re.search(
        r"HOLDS\s+all_reaches_others\s+old proved, new proved\s+\(the property itself is changed by the patch\)", out
    )
    assert re.search(r"HOLDS\s+enable_never_clears\s+old proved, new proved\s+\(carried over", out)


def test_expect_broken_names_a_property_of_the_old_side(tree: Path) -> None:
    code, _, err = _diff(tree, "bug.overlay", "--expect-broken", "nope")
    assert code == 2
    assert "--expect-broken nope: the old side has no property of that name" in err
    (tree / "bad.overlay").write_text("overlay for model small\n\nexpect broken nope\n")
    code, _, err = _diff(tree, "bad.overlay")
    assert code == 3
    assert re.search(r"bad\.overlay:3:1: error: expect broken nope: the old side has no property named nope", err)


def test_expect_names_must_exist(tree: Path) -> None:
    code, _, err = _diff(tree, "bug.overlay", "--expect", "NOPE")
    assert code == 2
    assert "--expect NOPE: neither side has an action, register, frame or state of that name" in err
    (tree / "bad.overlay").write_text("overlay for model small\nexpect different NOPE.write\n")
    code, _, err = _diff(tree, "bad.overlay")
    assert code == 3
    assert re.search(r"bad\.overlay:2:1: error: expect different NOPE\.write: neither side has", err)


def test_json_output_carries_the_distinction(tree: Path) -> None:
    code, out, _ = _diff(tree, "bug.overlay", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["exit_code"] == 1
    (model,) = doc["models"]
    acts = {a["name"]: a for a in model["actions"]}
    assert acts["DOORBELL.write"]["status"] == "different"
    assert acts["DOORBELL.write"]["reached"]["from_reset"] is True
    props = {p["name"]: p for p in model["properties"]}
    assert props["all_reaches_others"]["status"] == "broken"
    assert props["all_reaches_others"]["new"]["verdict"]["kind"] == "violated"


def test_rev_compares_the_last_commit_with_the_one_before(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def git(*a: str) -> None:
        subprocess.run(["git", *a], cwd=tree, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "spec", "properties")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "spec")
    text = SPEC.replace(
        "if val.ALL && c == self { continue }", "if val.TARGET == 0 { break }\n            if val.ALL && c == self { continue }"
    )
    (tree / "spec/small.gic").write_text(text)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "early exit")
    monkeypatch.chdir(tree)
    code, out, err = run("diff", "--rev", "HEAD~1..HEAD")
    assert code == 1, out + err
    assert "old HEAD~1:spec, new HEAD:spec" in out.replace(" + ", "")  # the two revisions
    assert re.search(r"DIFFERENT\s+DOORBELL\.write", out)
    assert re.search(r"BROKEN\s+all_reaches_others", out)
    code, _, err = run("diff", "--rev", "HEAD~5..HEAD")
    assert code == 2 and "'HEAD~5' is not a commit" in err


def test_bad_sides_are_usage_errors(tree: Path) -> None:
    code, _, err = run("diff", tree / "nope", tree / "spec")
    assert code == 2 and "no such spec directory or overlay file" in err
    code, _, err = run("diff", "--rev", "HEAD")
    assert code == 2 and "--rev takes A..B" in err


def test_a_moved_register_differs_at_its_offsets_only(tree: Path) -> None:
    """A frame whose decoding changed is compared one register and width at a time, folding the
    branches those offsets cannot take; the regions must agree with the frame compared whole."""
    (tree / "move.overlay").write_text(
        "overlay for model small\n"
        "replace register ENABLE at 0x20 : bits(8) w1s {\n"
        "    on read(self: vcpu) { return 0 }\n"
        "    on write(self: vcpu, val: bits(8)) { enabled[0] := val[0] == 1 || enabled[0] }\n"
        "}\n"
    )
    old = pipeline.load_system(tree / "spec", "small")
    new = pipeline.load_system(tree / "spec", "small", overlay=load_overlays([tree / "move.overlay"]))
    differ = Differ(old, new, Options((1, 2)), set())
    by = {a.name: a for a in differ.actions()}
    d = by["DIST.write"]
    assert d.status == "different"
    places = sorted({p.name.split(" at ", 1)[1].rsplit(",", 1)[0] for p in d.parts})
    assert places == ["ENABLE", "ENABLE (new offsets)"]
    for p in d.parts:  # every part's input really reaches the register's old or new offset
        assert p.one_step is not None and p.one_step.old is not None
        assert p.one_step.old.target is not None and "ENABLE" in (p.one_step.old.target + (p.one_step.new.target or ""))  # type: ignore[union-attr]
    # the whole-frame query (no folding) agrees: there is a difference, and none at the offsets no register uses
    whole = differ.one_step(old.action("DIST.write"), new.action("DIST.write"))
    assert type(whole).__name__ == "Sat"
    gap = differ.one_step(old.action("DIST.write"), new.action("DIST.write"), scope=((None, [(0x0, 0x10), (0x30, 0x100)]), {}))
    assert type(gap).__name__ == "Unsat"
    assert by["DIST.read"].status == "different"


# Interrupt 7 is no longer taken: a difference only after an enable and a doorbell (two accesses).
SEVEN = """
overlay for model small

replace action take(self: vcpu, i: irq) requires pending[self][i] && enabled[i] && i != 7 {
    pending[self][i] := false
}
"""


def test_a_difference_two_accesses_from_reset_is_found_through_its_guide(tree: Path) -> None:
    """The one-step input is minimized in the interpreter to the variables it needs away from
    reset; the search from reset tries the runs that write them first, and replays the run."""
    (tree / "seven.overlay").write_text(SEVEN)
    old = pipeline.load_system(tree / "spec", "small")
    new = pipeline.load_system(tree / "spec", "small", overlay=load_overlays([tree / "seven.overlay"]))
    differ = Differ(old, new, Options((1, 2)), set())
    by = {a.name: a for a in differ.actions()}
    d = by["take"]
    assert d.status == "different" and d.reach_note == ""  # every shorter depth decided
    assert {n for n, a in by.items() if a.status != "same"} == {"take"}
    # the guide: enable and pending, whatever else the solver's pre-state held
    w = P.to_pair_witness(differ.pair((1, 2)).one_step(old.action("take"), new.action("take")).witness, "take", prefix=False)  # type: ignore[union-attr]
    assert differ.moved_from_reset(old.action("take"), new.action("take"), w) == {"enabled", "pending"}
    r = d.reached
    assert r is not None and r.from_reset and r.prefix_same
    assert sorted((s.target or s.register or "").split()[0] for s in r.prefix) == [
        "DOORBELL",
        "ENABLE",
    ]  # ENABLE as a DIST access
    assert r.old is not None and r.new is None  # taken on the old side, not enabled on the new one
    args = {a_.name: a_.value for a_ in r.old.args}
    assert args["i"] == 7
    assert [c.location for c in r.old.changes] == [f"pending[{args['self']}][7]"]


def test_guided_paths_write_every_variable_of_the_guide() -> None:
    rw = {"A": ({"x"}, {"x"}), "B": (set(), {"y"}), "C": ({"y"}, {"z"}), "D": (set(), {"w"})}
    # the final action reads x and z; the guide asks for x and y moved
    assert guided_paths(rw, 1, {"x", "z"}, {"x", "y"}, 10) == []
    assert guided_paths(rw, 2, {"x", "z"}, {"x", "y"}, 10) == []  # B writes y, but only C reads it
    # A commutes with B and with C (they touch other state): B-A-C and B-C-A are A-B-C run in
    # another order, and only A-B-C is listed
    assert guided_paths(rw, 3, {"x", "z"}, {"x", "y"}, 10) == [("A", "B", "C")]
    assert sorted(guided_paths(rw, 4, {"x", "z"}, {"x", "y"}, 10)) == [
        ("A", "A", "B", "C"),
        ("A", "B", "B", "C"),
        ("A", "B", "C", "C"),
        ("A", "C", "B", "C"),
    ]
    assert len(guided_paths(rw, 4, {"x", "z"}, {"x", "y"}, 2)) == 2


def test_action_and_property_filters_name_what_exists_and_compare_only_that(tree: Path) -> None:
    code, out, err = _diff(tree, "bug.overlay", "--action", "NOPE.write", "--action", "take")
    assert code == 2
    assert "--action NOPE.write: model small has no such action on either side ('gicheck list' names them)" in err
    assert "actions (" not in out  # nothing compared before the error
    code, _, err = _diff(tree, "bug.overlay", "--property", "nope")
    assert code == 2 and "--property nope: model small has no such property on either side" in err
    # only the named action (and its verdict line counts only it)
    code, out, err = _diff(tree, "bug.overlay", "--action", "DOORBELL.write", "--no-properties")
    assert code == 1, out + err
    assert "actions (compared at vCPUs 1..4): 1 different" in out
    assert re.search(r"DIFFERENT\s+DOORBELL\.write", out) and "take" not in out.split("actions (", 1)[1].split("\n\n", 1)[0]


def test_a_frame_access_named_alone_is_compared_with_the_handlers_it_reaches(tree: Path) -> None:
    (tree / "move.overlay").write_text(
        "overlay for model small\n"
        "replace ENABLE on write(self: vcpu, val: bits(8)) {\n"
        "    for i in irq {\n"
        "        if val[i] && i != 7 { enabled[i] := true }\n"
        "    }\n"
        "}\n"
        "expect different ENABLE.write\n"
    )
    code, out, err = _diff(tree, "move.overlay", "--action", "DIST.write", "--no-properties", "--vcpus", "1..2")
    assert code == 0, out + err
    assert re.search(
        r"THROUGH\s+DIST\.write\s+the same decoding of offsets and widths; it differs wherever these handlers do: ENABLE\.write",
        out,
    )
    assert re.search(r"DIFFERENT\s+ENABLE\.write", out)


# `enabled` widened from a bool to a 2-bit code (1 = on), every handler that touches it rewritten.
WIDE = """
overlay for model small

replace state enabled[irq] : bits(2) = 0

replace register ENABLE at 0x10 : bits(8) w1s {
    on read(self: vcpu) {
        var r: bits(8) = 0
        for i in irq {
            if enabled[i] == 1 { r[i] := 1 }
        }
        return r
    }
    on write(self: vcpu, val: bits(8)) {
        for i in irq {
            if val[i] { enabled[i] := 1 }
        }
    }
}

replace action take(self: vcpu, i: irq) requires pending[self][i] && enabled[i] == 1 {
    pending[self][i] := false
}

/// The old enable bit as the new code.
fn as_code(old: bool) -> bits(2) {
    if old {
        return CODE_ON
    }
    return 0
}

const CODE_ON : bits(2) = 1

relate enabled by as_code
"""


def test_a_state_whose_type_changed_is_compared_through_its_relation(tree: Path) -> None:
    (tree / "wide.overlay").write_text(WIDE)
    code, out, err = _diff(tree, "wide.overlay", "--no-properties", "--vcpus", "1..2")
    assert code == 0, out + err
    assert "RELATED    enabled: bool[irq] (old)  vs  bits(2)[irq] (new), compared as as_code(old)" in out
    assert "resets to another value" not in out
    assert re.search(r"SAME\s+ENABLE\.write\s+proved the same from every state", out)
    assert re.search(r"SAME\s+take\s+proved the same from every state", out)
    assert "DIFFERENT" not in out


def test_a_wrong_relation_shows_the_difference_through_it_replayed(tree: Path) -> None:
    """With `on` related to 2 instead of 1, the reset still agrees (off is 0) but every enable
    the old side writes is one the relation does not give: the write differs, replayed."""
    (tree / "wide.overlay").write_text(WIDE.replace("const CODE_ON : bits(2) = 1", "const CODE_ON : bits(2) = 2"))
    old = pipeline.load_system(tree / "spec", "small")
    new = pipeline.load_system(tree / "spec", "small", overlay=load_overlays([tree / "wide.overlay"]))
    differ = Differ(old, new, Options((1, 2)), set(), {"enabled": "as_code"})
    assert [s.status for s in differ.states()] == ["related"]
    by = {a.name: a for a in differ.actions()}
    d = by["ENABLE.write"]
    assert d.status == "different" and d.one_step is not None
    rows = {loc: (before, o, n) for loc, before, o, n in d.one_step.rows}
    assert rows and all(loc.endswith(" (old as as_code(old))") for loc in rows)
    assert all(o == 2 and n == 1 for _, o, n in rows.values())  # as_code(true) = 2 on the old side, 1 written on the new
    assert by["take"].status == "different"


def test_relate_errors_point_at_the_relation(tree: Path) -> None:
    for line, message in [
        ("relate nope by as_code", "relate nope by as_code: the old side has no state nope"),
        ("relate pending by as_code", "relate pending by as_code: pending has the same type on both sides (bool[vcpu][irq])"),
        (
            "relate enabled by nothing",
            "relate enabled by nothing: the new side has no function nothing; declare it in the overlay, from bool to bits(2)",
        ),
        (
            "relate enabled by wrong",
            "relate enabled by wrong: wrong must take the old element type and return the new one, (bool) -> bits(2); it is (bits(2)) -> bits(2)",
        ),
        ("relate enabled by peek", "relate enabled by peek: peek reads state (pending)"),
    ]:
        text = WIDE.replace("relate enabled by as_code", line)
        text += "fn wrong(x: bits(2)) -> bits(2) = x\nfn peek(x: bool) -> bits(2) { if pending[0][0] { return 1 } return 0 }\n"
        (tree / "rel.overlay").write_text(text)
        code, _, err = _diff(tree, "rel.overlay", "--no-properties", "--vcpus", "1..2")
        assert code == 3, (line, err)
        n = text.splitlines().index(line) + 1
        assert f"rel.overlay:{n}:1: error: {message}" in err, (line, err)
    (tree / "rel.overlay").write_text(WIDE + "relate enabled by as_code\n")
    code, _, err = _diff(tree, "rel.overlay", "--no-properties")
    assert code == 3 and "state enabled is related twice" in err
