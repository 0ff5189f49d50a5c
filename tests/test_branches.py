"""Branch coverage: the arms checker.branches lists for a system (tests/specs/branches: every
kind of branch), the arms interp.Recorder notes for each access, and the recorder's runs equal
the plain interpreter's."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from checker import api, branches, interp
from checker.conform.generate import Generator, Kind
from checker.conform.session import access_actions
from checker.results import Arm, BranchArm, BranchCoverage
from tests.helpers import ROOT, shown

SPEC = ROOT / "tests/specs/branches"
FILE = shown(SPEC / "model.gic")

T, E, X, N = Arm.THEN, Arm.ELSE, Arm.EXIT, Arm.END

# Every arm of the spec, in source order: (line, col, arm, the handler or function holding it).
EVERY = [
    (26, 5, X, "lowest"),  # the loop left by `break`
    (26, 5, N, "lowest"),
    (27, 9, T, "lowest"),
    (27, 9, E, "lowest"),
    (39, 38, T, "GICD_CTLR.read"),  # the `?:`
    (39, 38, E, "GICD_CTLR.read"),
    (55, 9, T, "ICC_IAR1_EL1.read"),
    (55, 9, E, "ICC_IAR1_EL1.read"),
    (58, 9, X, "ICC_IAR1_EL1.read"),  # the loop left by `return`
    (58, 9, N, "ICC_IAR1_EL1.read"),
    (59, 13, T, "ICC_IAR1_EL1.read"),
    (59, 13, E, "ICC_IAR1_EL1.read"),
    (70, 9, T, "ICC_EOIR1_EL1.write"),  # its else is the `else if`'s two arms
    (72, 16, T, "ICC_EOIR1_EL1.write"),
    (72, 16, E, "ICC_EOIR1_EL1.write"),
    (83, 9, T, "ICC_SGI1R_EL1.write"),
    (83, 9, E, "ICC_SGI1R_EL1.write"),
    (86, 9, T, "ICC_SGI1R_EL1.write"),  # needs raise_line first
    (86, 9, E, "ICC_SGI1R_EL1.write"),
    (94, 5, T, "raise_line"),
    (94, 5, E, "raise_line"),
]


@pytest.fixture(scope="module")
def model() -> api.Model:
    return api.load_model("gicv3", SPEC)


def _listed(every: dict[branches.Key, str]) -> list[tuple[int, int, Arm, str]]:
    assert {s.file for s, _ in every} == {FILE}
    return [(s.line, s.col, arm, owner) for (s, arm), owner in every.items()]


def test_every_arm_of_the_system_in_source_order(model: api.Model) -> None:
    assert _listed(branches.arms(model.system)) == EVERY
    # the register accesses reach neither raise_line nor its branch; the frame's decoder adds
    # branches of its own (offsets, widths), which have no place in the spec
    assert _listed(branches.arms(model.system, access_actions(model.system))) == EVERY[:-2]
    assert _listed(branches.arms(model.system, ["ICC_SGI1R_EL1.write"])) == EVERY[:4] + EVERY[15:19]


def _taken(taken: interp.Taken, run: Callable[[], object]) -> list[tuple[int, int, Arm]]:
    """The arms `run` takes, in source order."""
    taken.clear()
    run()
    assert {s.file for s, _ in taken} <= {FILE}
    return sorted(((s.line, s.col, arm) for s, arm in taken), key=lambda t: (t[0], t[1], list(Arm).index(t[2])))


def test_each_access_notes_the_arms_it_takes(model: api.Model) -> None:
    taken: interp.Taken = set()
    m = model.machine(2, branches=taken)
    assert _taken(taken, lambda: m.read(0, "ICC_IAR1_EL1")) == [(55, 9, T)]
    assert _taken(taken, lambda: m.read(0, "GICD_CTLR")) == [(39, 38, E)]
    assert _taken(taken, lambda: m.write(0, "GICD_CTLR", 2)) == []  # no branch; nor the decoder's
    assert _taken(taken, lambda: m.read(1, "GICD_CTLR", width=32)) == [(39, 38, T)]
    assert _taken(taken, lambda: m.write(0, "ICC_EOIR1_EL1", 3)) == [(70, 9, T)]
    assert _taken(taken, lambda: m.write(0, "ICC_EOIR1_EL1", 9)) == [(72, 16, T)]
    assert _taken(taken, lambda: m.write(0, "ICC_EOIR1_EL1", 20)) == [(72, 16, E)]
    # lowest(0b100): bits 0 and 1 clear, bit 2 set, then `break`
    assert _taken(taken, lambda: m.write(0, "ICC_SGI1R_EL1", 0x4)) == [
        (26, 5, X),
        (27, 9, T),
        (27, 9, E),
        (83, 9, T),
        (86, 9, E),
    ]
    assert _taken(taken, lambda: m.write(0, "ICC_SGI1R_EL1", 0x100)) == [(26, 5, N), (27, 9, E), (83, 9, E), (86, 9, E)]
    # ready bit 2: the loop leaves by `return`
    assert _taken(taken, lambda: m.read(0, "ICC_IAR1_EL1")) == [(55, 9, E), (58, 9, X), (59, 13, T), (59, 13, E)]
    assert _taken(taken, lambda: m.read(0, "ICC_IAR1_EL1")) == [(55, 9, E), (58, 9, N), (59, 13, E)]
    assert _taken(taken, lambda: m.act("raise_line")) == [(94, 5, T)]
    assert _taken(taken, lambda: m.write(0, "ICC_SGI1R_EL1", 0)) == [(26, 5, N), (27, 9, E), (83, 9, E), (86, 9, T)]


def test_coverage_counts_the_listed_arms_taken(model: api.Model) -> None:
    every = branches.arms(model.system)
    taken: interp.Taken = set()
    m = model.machine(1, branches=taken)
    m.write(0, "ICC_EOIR1_EL1", 20)
    m.act("raise_line")
    c = branches.coverage(every, taken)
    assert (c.total, c.hit) == (21, 2)
    assert len(c.missed) == 19
    assert c.missed[0] == BranchArm(FILE, 26, 5, X, "lowest")
    assert BranchArm(FILE, 72, 16, E, "ICC_EOIR1_EL1.write") not in c.missed
    assert branches.coverage({}, taken) == BranchCoverage(0, 0, ())


def test_recording_is_off_unless_asked(model: api.Model) -> None:
    assert type(model.machine(1).interp) is interp.Interp
    assert isinstance(model.machine(1, branches=set()).interp, interp.Recorder)


@pytest.mark.parametrize("gic", [2, 3])
def test_the_recorder_runs_as_the_interpreter_does(gic: int) -> None:
    """The same generated accesses on the shipped models: the same values and states."""
    model = api.load_model(f"gicv{gic}", ROOT / "spec")
    seq = Generator(model, random.Random(3)).sequence(3, 120)
    taken: interp.Taken = set()
    plain, recording = model.machine(3), model.machine(3, branches=taken)
    for a in seq:
        outs = []
        for m in (plain, recording):
            p = (
                m.prepare_read(a.cpu, a.target(), width=a.width)
                if a.is_read
                else m.prepare_write(a.cpu, a.target(), a.value or 0, width=a.width)
            )
            outs.append(m.run(p))
        assert outs[0] == outs[1]
        assert plain.state() == recording.state()
    every = branches.arms(model.system)
    assert taken and set(taken) <= every.keys()


def test_the_generator_knows_each_kinds_arms(model: api.Model) -> None:
    gen = Generator(model, random.Random(1), taken=set())
    spans = {k: {(s.line, arm) for s, arm in v} for k, v in gen.arms.items()}
    assert spans[Kind("ICC_EOIR1_EL1", None, True)] == {(70, T), (72, T), (72, E)}
    assert spans[Kind("GICD_CTLR", 32, False)] == {(39, T), (39, E)}
    assert spans[Kind("GICD_CTLR", 8, False)] == set()  # a width the register refuses reaches no handler
    assert spans[Kind("GICD_CTLR", 32, True)] == set()
    assert Generator(model, random.Random(1)).arms == {}
