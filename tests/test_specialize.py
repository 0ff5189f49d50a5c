"""Folding a frame access down to the registers a property's offsets reach (engines/specialize.py):
the folded access behaves exactly like the whole one on every offset the `where` allows, and the
decoding of other registers is gone."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from checker import interp, ir, pipeline
from checker.engines import specialize

ROOT = Path(__file__).resolve().parents[1]


def _prop(text: str) -> tuple[ir.System, ir.Contract]:
    path = ROOT / "tests" / "specs" / "_specialize.prop"
    path.write_text("use model gicv3\n" + text)
    try:
        system = pipeline.load_system(ROOT / "spec", "gicv3", property_files=[path], vcpus=(1, 4))
    finally:
        path.unlink()
    (p,) = system.properties
    assert isinstance(p, ir.Contract)
    return system, p


def _invokes(body: tuple[ir.Stmt, ...]) -> set[str]:
    return {n.action for n in ir.walk(body) if isinstance(n, ir.Invoke)}


@pytest.mark.parametrize(
    "where,intervals",
    [
        ("o >= 0xF00 && o < 0xF30", [(0xF00, 0xF30)]),
        ("(o >= 0x800 && o < 0xC00) || o == 0xF00", [(0x800, 0xC00), (0xF00, 0xF01)]),
        ("0x100 <= o && o <= 0x17F && w == 32", [(0x100, 0x180)]),
        ("w == 32", None),
        # bit patterns: the fixed bits above the free low ones make the intervals
        ("o[11:0] == 0x100 && o[31:12] == 0 && w == 32", [(0x100, 0x101)]),
        ("o[31:4] == 0x10", [(0x100, 0x110)]),
        ("0 == o[31:12] && w == 32", [(0, 0x1000)]),
        ("o[3:0] == 0 && o[31:6] == 1", [(0x40, 0x41), (0x50, 0x51), (0x60, 0x61), (0x70, 0x71)]),
        ("o[11:0] == 0x100 && o[11:0] == 0x104", []),
        ("o[1:0] == 0 && o >= 0x100 && o < 0x110", [(0x100, 0x110)]),  # too many intervals: the pattern is left out
        ("o[1:0] == 0", None),
        ("o >= 0x100 || w == 8", None),
    ],
)
def test_offset_intervals(where: str, intervals: list[tuple[int, int]] | None) -> None:
    _, p = _prop(f"property x: after GICD.write(s, o, w, v) where {where}: true\n")
    assert specialize.offset_intervals(p.where, "o") == intervals


def test_folded_write_keeps_only_reachable_registers_and_behaves_the_same() -> None:
    system, p = _prop("property x: after GICD.write(s, o, w, v) where o >= 0xF00 && o < 0xF30: true\n")
    whole = system.action("GICD.write")
    folded = specialize.final_action(system, p)
    assert _invokes(folded.body) == {"GICD_SGIR.write", "GICD_CPENDSGIR.write", "GICD_SPENDSGIR.write"}
    assert "GICD_ISENABLER.write" in _invokes(whole.body)
    it = interp.Interp(system, 2, {"nr_irqs": 256})
    rng = random.Random(7)
    s = it.reset()
    for _ in range(40):  # reach a state with some SPI state set
        n = rng.randrange(1, 8)
        s = it.run(system.action("GICD_ISENABLER.write"), s, {"self": 0, "n": n, "val": rng.getrandbits(32)})
    for _ in range(200):
        args = {
            "self": rng.randrange(2),
            "offset": rng.randrange(0xF00, 0xF30),
            "width": rng.choice([8, 16, 32, 64]),
            "val": rng.getrandbits(64),
        }
        assert it.access(folded, s, args) == it.access(whole, s, args)


def test_split_upper_half_keeps_the_register_at_offset_plus_4() -> None:
    """A 64-bit access at 0x6100 also reaches offset 0x6104 (upper word first): both halves stay."""
    system, p = _prop("property x: after GICD.write(s, o, w, v) where o == 0x6100: true\n")
    folded = specialize.final_action(system, p)
    assert _invokes(folded.body) == {"GICD_IROUTER.write", "GICD_IROUTER.read"}
    whole = system.action("GICD.write")
    it = interp.Interp(system, 4, {"nr_irqs": 64})
    s = it.reset()
    for w in (32, 64):
        args = {"self": 1, "offset": 0x6100, "width": w, "val": 0x0000000100000003}
        assert it.access(folded, s, args) == it.access(whole, s, args)


def test_per_vcpu_frames_and_free_offsets_are_left_alone() -> None:
    system, p = _prop("property x: after GICR.write(s, o, w, v) where o == 0x10100: true\n")
    assert specialize.final_action(system, p) is system.action(p.action)
    system, p = _prop("property x: after GICD.write(s, o, w, v) where w == 8: true\n")
    assert specialize.final_action(system, p) is system.action(p.action)
