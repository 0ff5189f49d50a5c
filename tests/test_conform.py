"""gicheck conform: the guest's command list and output, the declared differences file, the
generator (every access valid on the spec, the same for a seed, a valid `gicheck run` line), the
comparison and the shrinking against a stand-in target, the branch coverage of a run against the
spec itself, and a smoke run against QEMU (slow; skipped without QEMU and the cross compiler,
unless GICHECK_REQUIRE_QEMU is set, as in CI)."""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
from pathlib import Path

import pytest

from checker import api, ir
from checker.conform import target as T
from checker.conform.compare import Comparer
from checker.conform.generate import Access, Generator
from checker.conform.known import load_known
from checker.conform.session import Options, conform
from checker.diagnostics import SpecError
from checker.render import conform as render_conform
from checker.results import Arm, BranchArm, BranchCoverage
from checker.runner import prepare
from checker.syntax.script import AccessLine, parse_script
from tests.helpers import ROOT, run, shown

KNOWN = ROOT / "conform/qemu.toml"


@pytest.fixture(scope="module")
def models() -> dict[int, api.Model]:
    return {gic: api.load_model(f"gicv{gic}", ROOT / "spec") for gic in (2, 3)}


def test_the_command_list_and_the_guest_output() -> None:
    cmds = [T.Command(T.OP_WRITE, 1, 32, 0, 0x08000000, 2), T.Command(T.OP_SYSREG_READ, 0, 64, 0, 0, 0)]
    blob = T.encode(cmds, 2, 3)
    assert len(blob) == 16 + 2 * 32
    assert struct.unpack_from("<IIII", blob) == (T.MAGIC, 2, 2, 3)
    assert struct.unpack_from("<IIIIQQ", blob, 16) == (1, 1, 32, 0, 0x08000000, 2)
    out = T.parse_output("I 37a0007\nR 0 50\nA 2\nR a 3ff\nD\n")
    assert out == T.TargetRun(0x37A0007, {0: 0x50, 2: T.ABORT, 10: 0x3FF}, True)
    assert T.parse_output("I 8\nF 2000000 40201dc0\n").error == "the guest stopped: 2000000 40201dc0"


def test_the_shipped_known_differences(tmp_path: Path) -> None:
    known = load_known(KNOWN)
    assert len({k.id for k in known.differences}) == len(known.differences)
    assert all(k.source and k.reason for k in (*known.differences, *known.avoid))
    assert known.covering(3, "GICD_TYPER", None, 0x02000000).id == "v3-typer-lpis"  # type: ignore[union-attr]
    assert known.covering(3, "GICD_TYPER", None, 0x1) is None  # ITLinesNumber is not declared
    assert known.covering(2, "GICD_ISPENDR", 16, 0x100).id == "v2-spi-pending-untargeted"  # type: ignore[union-attr]
    assert known.covering(2, "GICC_IAR", None, 0x3FF ^ 4) is None  # the acknowledge register itself never
    assert known.covering(3, "ICC_IAR1_EL1", None, 0x3FF ^ 4) is None
    priority = [(m, v) for r, m, v in known.avoided_values(3) if r == "GICR_IPRIORITYR"]
    assert priority == [(0xFF << s, 0xFF << s) for s in range(0, 64, 8)]  # per_byte: any byte 0xff
    assert (known.cleared(3), known.cleared(2)) == ({"GICR_ICENABLER0": 0xFFFF}, {})
    assert ("GICR_WAKER", True, None) in known.avoided(3) and ("GICR_WAKER", False, None) not in known.avoided(3)
    assert ("GICC_IAR", False, 8) in known.avoided(2) and ("GICC_IAR", False, None) not in known.avoided(2)
    assert ("GICD_SGIR", 0x03000000, 0x03000000) in known.avoided_values(2)  # TargetListFilter 0b11
    assert not [k for k in known.avoided(2) if k[0] == "GICD_SGIR"]  # the other filters are made


def test_an_avoided_value_is_never_written(models: dict[int, api.Model], tmp_path: Path) -> None:
    p = tmp_path / "k.toml"
    p.write_text(
        "[[avoid]]\nregister = 'GICD_SGIR'\naccess = 'write'\nmask = 0x03000000\nmatch = 0x03000000\nreason = 'r'\nsource = 's'\n"
        "[[avoid]]\nregister = 'GICD_CTLR'\naccess = 'write'\nmask = 0x3\nmatch = 0x2\nreason = 'r'\nsource = 's'\n"
    )
    known = load_known(p)
    assert known.avoided(2) == set()
    gen = Generator(models[2], random.Random(3), known.avoidance(2))
    writes = [a for _ in range(40) for a in gen.sequence(4, 60) if not a.is_read]
    sgir = [a.value for a in writes if a.register == "GICD_SGIR"]
    ctlr = [a.value for a in writes if a.register == "GICD_CTLR"]
    assert sgir and ctlr  # still written, with the other values
    assert not [v for v in sgir if v is not None and v & 0x03000000 == 0x03000000]
    assert not [v for v in ctlr if v is not None and v & 0x3 == 0x2]
    assert [v for v in sgir if v is not None and v & 0x03000000 == 0x01000000]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[difference]]\nid = 1 2\n", "Expected newline or end of document after a statement"),
        (
            "[[difference]]\nid = 'x'\nregister = 'A'\nreason = 'r'\n",
            "[[difference]] 1: 'source' is required, a non-empty string",
        ),
        ("[[avoid]]\nregister = 'A'\nreason = 'r'\nsource = 's'\nacces = 'write'\n", "[[avoid]] 1: unknown key acces"),
        (
            "[[difference]]\nid='x'\nregister='A'\nreason='r'\nsource='s'\ngic=[4]\n",
            "[[difference]] 1: 'gic' is a list of 2 and 3",
        ),
        ("[differences]\n", "unknown table differences: the file has [[difference]] and [[avoid]] entries"),
        (
            "[[avoid]]\nregister='A'\nreason='r'\nsource='s'\naccess='write'\nmask=0xff\nmatch=0\nper_byte=true\n",
            "[[avoid]] 1: 'per_byte' is true or false; with true, 'mask' fits in a byte and 'match' is not 0",
        ),
        (
            "[[avoid]]\nregister='A'\nreason='r'\nsource='s'\naccess='read'\nclear=0xff\n",
            "[[avoid]] 1: 'clear' is a positive bit mask of an [[avoid]] with access = \"write\" and no mask",
        ),
        (
            "[[avoid]]\nregister = 'A'\nreason = 'r'\nsource = 's'\nmask = 3\nmatch = 2\n",
            "[[avoid]] 1: 'mask' and 'match' select writes: an [[avoid]] with access = \"write\"",
        ),
        (
            "[[avoid]]\nregister = 'A'\naccess = 'write'\nreason = 'r'\nsource = 's'\nmask = 3\nmatch = 4\n",
            "[[avoid]] 1: 'mask' is a positive integer and 'match' an integer within it",
        ),
    ],
)
def test_a_malformed_known_file_is_an_error_at_its_place(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "k.toml"
    p.write_text(text)
    with pytest.raises(SpecError) as e:
        load_known(p)
    (d,) = e.value.diagnostics
    assert d.message.startswith(message), d.message
    assert d.span.file == str(p)
    if "newline" in message:
        assert (d.span.line, d.span.col) == (2, 8)


def test_a_known_file_that_is_not_utf8_is_an_error_at_its_start(tmp_path: Path) -> None:
    p = tmp_path / "k.toml"
    p.write_bytes(b'a = "\xff"\n')
    with pytest.raises(SpecError) as e:
        load_known(p)
    (d,) = e.value.diagnostics
    assert d.message == "cannot read file: 'utf-8' codec can't decode byte 0xff in position 5: invalid start byte"
    assert (d.span.file, d.span.line, d.span.col, d.quote) == (str(p), 1, 1, False)


@pytest.mark.parametrize("gic", [2, 3])
def test_generated_accesses_are_valid_reproducible_and_scripts(models: dict[int, api.Model], gic: int) -> None:
    model = models[gic]
    known = load_known(KNOWN)
    seqs = [Generator(model, random.Random(7), known.avoidance(gic)).sequence(3, 200) for _ in range(2)]
    assert seqs[0] == seqs[1]
    seq = seqs[0]
    assert len(seq) == 200
    m = model.machine(3)
    for a in seq:
        p = (
            m.prepare_read(a.cpu, a.target(), width=a.width)
            if a.is_read
            else m.prepare_write(a.cpu, a.target(), a.value or 0, width=a.width)
        )
        (line,) = parse_script(a.script(), "g").lines  # the same access, as a script line
        assert isinstance(line, AccessLine)
        assert prepare(m, line) == p
    avoided = known.avoided(gic)
    assert not [a for a in seq if {(a.register, not a.is_read, None), (a.register, not a.is_read, a.width)} & avoided]
    assert not [
        a for a in seq for r, m, v in known.avoided_values(gic) if a.register == r and a.value is not None and a.value & m == v
    ]
    assert not [a for a in seq if a.value is not None and a.value & known.cleared(gic).get(a.register, 0)]


class _Stand:
    """A target that answers like the spec but for the acknowledge register, which ignores the
    running priority (a second read before the end of interrupt takes the next SGI, where KVM
    and QEMU return 1023), and GICD_IIDR, which reads QEMU's value."""

    gic = 3

    def __init__(self) -> None:
        self.runs = 0

    def describe(self) -> str:
        return "stand-in"

    def run(self, commands: list[T.Command], ncpus: int) -> T.TargetRun:
        self.runs += 1
        reads: dict[int, int] = {}
        pending: set[int] = set()
        enabled = False
        for i, c in enumerate(commands):
            if c.op == T.OP_WRITE and c.addr == 0x08000000:  # GICD_CTLR
                enabled = bool(c.value & 2)
            elif c.op == T.OP_SYSREG_WRITE and c.sysreg == T.SYSREGS["ICC_SGI1R_EL1"]:
                pending.add((c.value >> 24) & 0xF)
            elif c.op == T.OP_SYSREG_READ and c.sysreg == T.SYSREGS["ICC_IAR1_EL1"]:
                reads[i] = min(pending) if pending and enabled else 1023
                pending.discard(reads[i])
            elif c.op == T.OP_READ:
                reads[i] = 0x43B if c.addr == 0x08000008 else 0
        return T.TargetRun(0x7, reads, True)


def test_disagreements_are_classified_declared_and_shrunk(models: dict[int, api.Model]) -> None:
    model = models[3]
    stand = _Stand()
    cmp = Comparer(model, stand, {"nr_irqs": 64}, load_known(KNOWN))  # type: ignore[arg-type]
    ctlr = Access(0, "GICD_CTLR", value=2)
    noise = [Access(0, "GICD_ICFGR", index=5, value=0), Access(0, "GICR_IPRIORITYR", index=1, value=0)]
    seq = [ctlr, *noise, Access(0, "ICC_SGI1R_EL1", value=(3 << 24) | 1), *noise, Access(0, "ICC_SGI1R_EL1", value=(5 << 24) | 1)]
    seq += [Access(0, "ICC_IAR1_EL1"), *noise, Access(0, "ICC_IAR1_EL1"), Access(0, "GICD_IIDR")]
    replay, _ = cmp.run(seq, 1)
    assert [(f.index, f.key, f.target, f.spec) for f in replay.found] == [
        (10, "ICC_IAR1_EL1: the target returns an INTID the spec does not allow", 5, 1023),
        (11, "GICD_IIDR: the value differs", 0x43B, 0x4B00043B),
    ]
    assert (replay.reads, replay.agreed, replay.stopped) == (3, 1, None)  # the spec's 1023 takes nothing: it goes on
    d = cmp.disagreement(seq, 1, replay.found[0], shrink=True)
    assert (d.shrunk, d.declared, d.allowed) == (True, None, (1023,))
    assert d.script == (
        "# stand-in: the last read is the target's value\nmodel gicv3\nvcpus 1\nparam nr_irqs=64\n"
        "cpu 0 write GICD_CTLR 0x2\ncpu 0 write ICC_SGI1R_EL1 0x3000001\ncpu 0 write ICC_SGI1R_EL1 0x5000001\n"
        "cpu 0 read ICC_IAR1_EL1 expect 0x3\ncpu 0 read ICC_IAR1_EL1 expect 0x5\n"
    )
    d = cmp.disagreement(seq, 1, replay.found[1], shrink=True)
    assert (d.declared, d.script.splitlines()[-1]) == ("v3-iidr", "cpu 0 read GICD_IIDR expect 0x43b")


def test_the_shrunk_script_shows_the_difference_in_gicheck_run(models: dict[int, api.Model], tmp_path: Path) -> None:
    cmp = Comparer(models[3], _Stand(), {"nr_irqs": 64}, load_known(KNOWN))  # type: ignore[arg-type]
    seq = [
        Access(0, "GICD_CTLR", value=2),
        Access(0, "ICC_SGI1R_EL1", value=(3 << 24) | 1),
        Access(0, "ICC_SGI1R_EL1", value=(5 << 24) | 1),
    ]
    seq += [Access(0, "ICC_IAR1_EL1"), Access(0, "ICC_IAR1_EL1")]
    replay, _ = cmp.run(seq, 1)
    p = tmp_path / "d.run"
    p.write_text(cmp.disagreement(seq, 1, replay.found[0], shrink=False).script)
    code, out, _ = run("run", p, "--spec", ROOT / "spec")
    assert code == 1
    assert f"{p}:9:32: FAILED: the spec does not allow ICC_IAR1_EL1 to read 0x5 here (it allows 0x3ff)" in out


class _Echo:
    """A target that answers every read as the spec does: a machine of the model runs each
    command list."""

    gic = 3

    def __init__(self, model: api.Model, typer: int) -> None:
        self.model = model
        self.typer = typer
        self.params = model.param_values({"nr_irqs": 32 * ((typer & 0x1F) + 1)})

    def describe(self) -> str:
        return "the spec itself"

    def run(self, commands: list[T.Command], ncpus: int) -> T.TargetRun:
        m = self.model.machine(ncpus, self.params)
        sysregs = {v: k for k, v in T.SYSREGS.items()}
        frames = sorted(((b, f) for f, b in T.FRAME_BASES[self.gic].items()), reverse=True)
        reads: dict[int, int] = {}
        for i, c in enumerate(commands):
            where: api.Target
            if c.op in (T.OP_READ, T.OP_WRITE):
                base, frame = next((b, f) for b, f in frames if b <= c.addr)
                where, width = api.At(frame, c.addr - base), c.width
            else:
                where, width = sysregs[c.sysreg], None
            if c.is_read:
                value = m.read(c.cpu, where, width=width).value
                assert value is not None
                reads[i] = value
            else:
                m.write(c.cpu, where, c.value, width=width)
        return T.TargetRun(self.typer, reads, True)


def test_the_report_counts_the_arms_of_the_spec_the_replays_took() -> None:
    """tests/specs/branches against itself: every arm a register access can reach is taken, and
    the one behind an environment action is named."""
    spec = ROOT / "tests/specs/branches"
    target = _Echo(api.load_model("gicv3", spec), typer=1)
    report = conform(Options(3, ir.VcpuRange(1, 2), 1, 200, 20, KNOWN, spec, shrink=False), None, target)
    assert (report.reads, report.classes, report.params) == (report.agreed, (), (("nr_irqs", 64),))
    missed = BranchArm(shown(spec / "model.gic"), 86, 9, Arm.THEN, "ICC_SGI1R_EL1.write")
    assert report.branches == BranchCoverage(19, 18, (missed,))
    text = render_conform.text(report)
    assert "  branches: 18 of 19 arms taken (94.7%)\n" in text
    assert "arms not taken" not in text
    listed = f"  arms not taken (1):\n    {missed.file}:86:9: then  (ICC_SGI1R_EL1.write)\n"
    assert listed in render_conform.text(report, verbose=True)
    (shown_json,) = json.loads(render_conform.to_json([report]))["reports"]
    assert shown_json["branches"] == {
        "total": 19,
        "hit": 18,
        "missed": [{"file": missed.file, "line": 86, "col": 9, "arm": "then", "owner": "ICC_SGI1R_EL1.write"}],
    }
    fewer = conform(Options(3, ir.VcpuRange(1, 2), 1, 40, 20, KNOWN, spec, shrink=False), None, target)
    assert fewer.branches.total == 19 and fewer.branches.hit < 18


def test_conform_option_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("conform", "--target", "qemu", "--count", "0")[::2] == (
        2,
        "gicheck: error: argument --count: must be at least 1, not 0\n",
    )
    missing = tmp_path / "none.toml"
    assert run("conform", "--target", "qemu", "--known", missing)[::2] == (
        2,
        f"gicheck: error: --known {missing}: no such file\n",
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[[avoid]]\nregister = 'A'\n")
    code, _, err = run("conform", "--target", "qemu", "--known", bad, "--spec", ROOT / "spec")
    assert (code, err.splitlines()[0]) == (3, f"{bad}:1:1: error: [[avoid]] 1: 'reason' is required, a non-empty string")
    monkeypatch.setattr(T.shutil, "which", lambda name: None)
    code, _, err = run("conform", "--target", "qemu", "--gic", "3", "--spec", ROOT / "spec")
    assert (code, err) == (
        2,
        "gicheck: error: gicheck conform needs aarch64-linux-gnu-gcc (Debian: apt-get install gcc-aarch64-linux-gnu)\n",
    )


_HAVE_TOOLS = bool(shutil.which("qemu-system-aarch64") and shutil.which("aarch64-linux-gnu-gcc"))


@pytest.mark.slow
@pytest.mark.skipif(not _HAVE_TOOLS and not os.environ.get("GICHECK_REQUIRE_QEMU"), reason="no QEMU or cross compiler")
def test_qemu_smoke_agrees_but_for_declared_differences(tmp_path: Path) -> None:
    """A few hundred accesses per GIC version against QEMU: every read agrees with the spec or
    is a declared difference. Before the spec had the running priority, this run found the
    second acknowledge before an EOI (1023 on QEMU, as on KVM; another interrupt in the spec)."""
    code, out, err = run("conform", "--target", "qemu", "--count", "200", "--vcpus", "1..3", "--format", "json", "--no-shrink")
    reports = {r["model"]: r for r in json.loads(out)["reports"]}
    for model in ("gicv3", "gicv2"):
        r = reports[model]
        assert r["accesses"] >= 200 and r["errors"] == [], r["errors"]
        assert r["agreed"] > r["reads"] // 2
        assert [c["key"] for c in r["classes"] if c["declared"] is None] == []
        b = r["branches"]
        assert 0 < b["hit"] < b["total"] == b["hit"] + len(b["missed"])
        assert all(m["file"].endswith(".gic") and m["arm"] in ("then", "else", "exit", "end") for m in b["missed"])
    assert code == 0, err
