"""Patch overlays: exact parse results, what replacing and adding does, and every error pointing
at both places (the overlay's line and the spec's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker import pipeline
from checker.sema.overlay import load_overlays
from checker.syntax import ast as A
from checker.syntax import parse
from tests.helpers import run, write_tree
from tests.test_diff import PROPS, SPEC


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/small.prop": PROPS})


def _overlay(tree: Path, text: str) -> Path:
    p = tree / "p.overlay"
    p.write_text("overlay for model small\n" + text)
    return p


def test_parse_result() -> None:
    src = parse(
        "overlay for model gicv3\n"
        "/// v1\n"
        "replace ICC_SGI1R_EL1 on write(self: vcpu, val: SGI1R) { }\n"
        "replace frame GICD split 64 lower-first\n"
        "replace model gicv3 { vcpus 1..512 }\n"
        "expect different ICC_SGI1R_EL1.write, GICD\n"
        "expect broken broadcast_reaches_all_others, sgi_taken\n",
        "x.overlay",
    )
    head, h, f, m, e, b = src.decls
    assert head == A.OverlayFor("gicv3", A.Span("x.overlay", 1, 1, 1, 24))
    assert isinstance(h, A.Replace) and isinstance(h.decl, A.HandlerPatch)
    assert (h.decl.target, h.decl.handler.kind, [p.name for p in h.decl.handler.params]) == (
        "ICC_SGI1R_EL1",
        "write",
        ["self", "val"],
    )
    assert isinstance(f, A.Replace) and f.decl == A.FramePatch(
        "GICD", None, (64, "lower-first"), A.Span("x.overlay", 4, 9, 4, 40)
    )
    assert isinstance(m, A.Replace) and isinstance(m.decl, A.ModelDecl) and m.decl.vcpus == (1, 512)
    assert e == A.ExpectDifferent(("ICC_SGI1R_EL1.write", "GICD"), A.Span("x.overlay", 6, 1, 6, 43))
    assert b == A.ExpectDifferent(("broadcast_reaches_all_others", "sgi_taken"), A.Span("x.overlay", 7, 1, 7, 54), "broken")


def test_replacing_a_handler_changes_what_is_proved(tree: Path) -> None:
    ov = _overlay(tree, "replace DOORBELL on write(self: vcpu, val: DOOR) {\n}\n")
    code, out, _ = run("prove", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert code == 1
    assert re.search(r"VIOLATED\s+all_reaches_others", out)
    assert re.search(r"PROVED\s+enable_never_clears", out)
    design = pipeline.load_design(tree / "spec", "small", overlay=load_overlays([ov]))
    assert design.sysregs["DOORBELL"].handlers["write"].body == ()
    assert design.overlay.applied == [("replaced the 'on write' handler of DOORBELL", A.Span(str(ov), 2, 1, 3, 2))]


def test_adding_state_a_function_and_a_property(tree: Path) -> None:
    ov = _overlay(
        tree,
        (
            "state rang[vcpu] : bool = false\n"
            "fn twice(x: bits(8)) -> bits(8) = x + x\n"
            "/// Nothing rings at reset.\n"
            "invariant quiet: forall c: vcpu. !rang[c]\n"
            "property twice_is_even: after take(s, i): twice(3) == 6\n"
        ),
    )
    code, out, err = run("prove", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert code == 0, out + err
    assert re.search(r"PROVED\s+quiet", out) and re.search(r"PROVED\s+twice_is_even", out)
    code, out, _ = run("list", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert "    rang: bool[vcpu]" in out or re.search(r"rang: .*vcpu", out)
    assert re.search(r"invariant\s+quiet\s+Nothing rings at reset\.", out)


def test_replacing_a_property(tree: Path) -> None:
    ov = _overlay(tree, "replace property enable_never_clears: after ENABLE.write(s, v): false\n")
    code, out, _ = run("prove", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert code == 1
    assert re.search(r"VIOLATED\s+enable_never_clears", out)


@pytest.mark.parametrize(
    ("text", "error", "note"),
    [
        (
            "replace fn nope(x: bits(8)) -> bool = true\n",
            r"p\.overlay:2:1: error: replace fn nope: the spec of model small has no fn named nope \(to add one, declare it without 'replace'\)",
            r"p\.overlay:1:1: note: model small",
        ),
        (
            "replace fn pending() -> bool = true\n",
            r"p\.overlay:2:1: error: replace fn pending: pending is a state in the spec of model small, not a fn",
            r"small\.gic:4:1: note: the state pending",
        ),
        (
            "replace DOORBELL on write(self: vcpu, val: bits(32)) { }\n",
            r"p\.overlay:2:\d+: error: the 'on write' handler of DOORBELL takes \(self: vcpu, val: DOOR\) in the spec; its replacement takes \(self: vcpu, val: bits\(32\)\)",
            r"small\.gic:14:5: note: the spec's handler",
        ),
        (
            "replace DOORBELL on read(self: vcpu) { return 0 }\n",
            r"p\.overlay:2:1: error: replace DOORBELL on read: DOORBELL declares no 'on read' handler",
            r"small\.gic:13:1: note: the spec's DOORBELL",
        ),
        (
            "replace enabled on write(self: vcpu, val: bits(8)) { }\n",
            r"p\.overlay:2:1: error: replace enabled on write: enabled is a state, not a register",
            r"small\.gic:3:1: note: the state enabled",
        ),
        (
            "state enabled[irq] : bool = true\n",
            r"p\.overlay:2:1: error: state 'enabled' adds a name the spec already has \(a state\); to change it, 'replace state enabled \.\.\.'",
            r"small\.gic:3:1: note: the spec's declaration",
        ),
        (
            "replace action take(self: vcpu) { }\n",
            r"p\.overlay:2:9: error: action take takes \(self: vcpu, i: irq\) in the spec; its replacement takes \(self: vcpu\)",
            r"small\.gic:\d+:1: note: the spec's action take",
        ),
        (
            "replace model other { vcpus 1..2 }\n",
            r"p\.overlay:2:9: error: this overlay patches model small, not other",
            r"p\.overlay:1:1: note: the model it patches",
        ),
        ("replace property nope: invariant\n", None, None),
        (
            "replace frame DIST stride 0x100\n",
            r"p\.overlay:2:9: error: frame DIST is one frame, not one per vCPU: it has no stride",
            r"small\.gic:\d+:1: note: the spec's frame DIST",
        ),
        ('import "x.gic"\n', r"p\.overlay:2:1: error: an overlay cannot 'import'", None),
        (
            "replace fn f() -> bool = true\nreplace fn f() -> bool = false\n",
            r"p\.overlay:3:1: error: fn 'f' is replaced twice",
            r"p\.overlay:2:1: note: first replaced here",
        ),
    ],
)
def test_overlay_errors_point_at_both_places(tree: Path, text: str, error: str | None, note: str | None) -> None:
    ov = _overlay(tree, text)
    code, out, err = run("prove", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert code == 3, out + err
    if error is None:  # a syntax error: located, no traceback
        assert re.search(r"p\.overlay:2:\d+: error: ", err)
        return
    assert re.search(error, err), err
    if note is not None:
        assert re.search(note, err), err
    assert "Traceback" not in err


def test_a_missing_property_to_replace_and_a_header_missing(tree: Path) -> None:
    ov = _overlay(tree, "replace invariant nope: true\n")
    code, _, err = run("prove", "--spec", tree / "spec", "--overlay", ov, tree / "properties")
    assert code == 3
    assert "replace invariant nope: model small has no property named nope in the property files checked" in err
    (tree / "h.overlay").write_text("fn f() -> bool = true\n")
    code, _, err = run("prove", "--spec", tree / "spec", "--overlay", tree / "h.overlay", tree / "properties")
    assert code == 3
    assert re.search(r"h\.overlay:1:1: error: an overlay file starts with 'overlay for model NAME'", err)
    (tree / "m.overlay").write_text("overlay for model gicv9\n")
    code, _, err = run("prove", "--spec", tree / "spec", "--overlay", tree / "m.overlay", tree / "properties")
    assert code == 3
    assert "this overlay patches model gicv9, which the spec does not declare (models: small)" in err


def test_overlay_declarations_in_a_spec_file_are_errors(tree: Path) -> None:
    (tree / "spec/small.gic").write_text(SPEC + "\nreplace fn f() -> bool = true\n")
    code, _, err = run("prove", "--spec", tree / "spec", tree / "properties")
    assert code == 3
    assert "'overlay', 'replace', 'expect' and 'relate' belong in an overlay file" in err


def test_replacing_the_model_and_a_frame(tree: Path) -> None:
    ov = _overlay(tree, "replace model small { vcpus 1..6 }\nreplace register ENABLE at 0x20 : bits(8) raz/wi\n")
    design = pipeline.load_design(tree / "spec", "small", overlay=load_overlays([ov]))
    assert design.vcpus == (1, 6)
    assert design.registers["ENABLE"].offset == 0x20 and design.registers["ENABLE"].access == "raz/wi"
    assert design.frames["DIST"].registers == ("ENABLE",)
