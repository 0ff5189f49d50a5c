"""`gicheck run SCRIPT`: the script format's errors, each at its line and column with its exit
code, the options against the script's settings, a failed expectation and an action that is not
enabled (tests/golden has the full output of the example scripts)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.diagnostics import SpecError
from checker.syntax.script import AccessLine, ActionLine, Named, Offset, SettingLine, parse_script
from tests.helpers import ROOT, run

SPEC = ROOT / "spec"


def _script(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.run"
    p.write_text(text)
    return p


def _run(path: Path, *opts: str) -> tuple[int, str, str]:
    return run("run", path, "--spec", SPEC, *opts)


def test_the_parser_keeps_each_part_and_its_place() -> None:
    s = parse_script(
        "model gicv3\ncpu 1 read32 GICR[1]+0x0008  # c\ncpu 0 write GICR[0].GICR_CTLR A=1 B=0x2\nraise_spi intid=40\n", "f"
    )
    setting, read, write, act = s.lines
    assert isinstance(setting, SettingLine) and setting.word == "gicv3"
    assert isinstance(read, AccessLine) and (read.write, read.width, read.text) == (False, 32, "cpu 1 read32 GICR[1]+0x0008")
    assert isinstance(read.target, Offset) and (read.target.frame, read.target.offset.value) == ("GICR", 8)
    assert read.target.rd is not None and str(read.target.rd.span) == "f:2:19"
    assert str(read.target.offset.span) == "f:2:22" and read.target.offset.span.end_col == 28
    assert isinstance(write, AccessLine) and isinstance(write.target, Named) and write.value is not None
    assert (write.target.frame, write.target.name, str(write.target.name_span)) == ("GICR", "GICR_CTLR", "f:3:21")
    assert [(f.name, f.value.value, str(f.value.span)) for f in write.value.fields] == [("A", 1, "f:3:33"), ("B", 2, "f:3:37")]
    assert isinstance(act, ActionLine) and [(a.name, a.value.value) for a in act.args] == [("intid", 40)]


_WORDS = [
    "cpu",
    "0",
    "1",
    "read",
    "write32",
    "read8",
    "expect",
    "GICD_CTLR",
    "GICR[1]+0x8",
    "GICR[x].A",
    "A=1",
    "=",
    "0x",
    "#",
    "[",
    "]",
    "+",
    "model",
    "vcpus",
    "param",
    "n=3",
    "raise_spi",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join), max_size=5).map("\n".join))
def test_any_text_parses_or_raises_located_errors(text: str) -> None:
    try:
        parse_script(text, "f")
    except SpecError as e:
        assert e.diagnostics and all(d.span.file == "f" and 1 <= d.span.line <= text.count("\n") + 1 for d in e.diagnostics)


def test_syntax_errors_are_collected_with_their_places(tmp_path: Path) -> None:
    path = _script(
        tmp_path,
        "cpu\n"
        "cpu x read GICD_CTLR\n"
        "cpu 0 peek GICD_CTLR\n"
        "cpu 0 read\n"
        "cpu 0 read GICD_CTLR 5\n"
        "cpu 0 write GICD_CTLR\n"
        "cpu 0 write GICD_CTLR 1 expect 1\n"
        "cpu 0 read GICD_CTLR expect\n"
        "cpu 0 read32 GICD+zz\n"
        "cpu 0 write GICD_CTLR Enable=0xg\n"
        "vcpus 2 3\n"
        "cpu 0 read GICD_CTLR\n"
        "model gicv3\n"
        "3 + 4\n",
    )
    code, out, err = _run(path)
    p = str(path)
    assert (code, out) == (3, "")
    assert [line for line in err.splitlines() if ": error: " in line] == [
        f"{p}:1:1: error: expected a vCPU number after 'cpu'",
        f"{p}:2:5: error: expected a vCPU number (a number: 42, 0x2a or 0b101010), not 'x'",
        f"{p}:3:7: error: expected read, write, read8..read64 or write8..write64, not 'peek'",
        f"{p}:4:7: error: expected the register to read after 'read'",
        f"{p}:5:22: error: a read takes no value (to name the value expected, write 'expect V')",
        f"{p}:6:13: error: expected the value to write after the register",
        f"{p}:7:25: error: 'expect' goes with a read: a write returns nothing",
        f"{p}:8:22: error: expected a value after 'expect'",
        f"{p}:9:19: error: expected an offset (a number: 42, 0x2a or 0b101010), not 'zz'",
        f"{p}:10:30: error: expected a value for field Enable (a number: 42, 0x2a or 0b101010), not '0xg'",
        f"{p}:11:9: error: 'vcpus' takes one word: vcpus 4",
        f"{p}:13:1: error: 'model' goes before the first access (line 12)",
        f"{p}:14:1: error: expected 'cpu N read/write ...', a setting or an environment action, not '3'",
    ]
    assert err.endswith("gicheck: 13 errors\n")
    assert " 10 | cpu 0 write GICD_CTLR Enable=0xg\n    |                              ^~~\n" in err


def test_each_bad_access_is_an_error_at_the_argument_it_is_about(tmp_path: Path) -> None:
    path = _script(
        tmp_path,
        "model gicv3\n"
        "vcpus 2\n"
        "cpu 2 write32 GICD_ISENABLER1 0x100\n"
        "cpu 0 write8 GICD_CTLR 0x100\n"
        "cpu 0 read GICD_ISENABLR1\n"
        "cpu 1 read32 GICR[5]+0x0008\n"
        "cpu 1 read32 GICD+0x10000\n"
        "cpu 0 write ICC_SGI1R_EL1 IRM=1 FOO=1\n"
        "cpu 0 read ICC_IAR1_EL1 expect 0x1_0000_0000_0000_0000\n"
        "raise_spi 5\n"
        "lower_spi 40 41\n"
        "cpu 0 read GICD+0x100\n"
        "cpu 0 read GICD_IPRIORITYR300\n"
        "cpu 0 read GICR[3].GICR_TYPER\n",
    )
    code, out, err = _run(path)
    p = str(path)
    assert (code, out) == (3, "")
    assert [line for line in err.splitlines() if ": error: " in line] == [
        f"{p}:3:5: error: vCPU 2 does not exist: the machine has 2 vCPUs (0..1)",
        f"{p}:4:24: error: 0x100 does not fit in 8 bits",
        f"{p}:5:12: error: model gicv3 has no register GICD_ISENABLR1 (did you mean GICD_ISENABLER1?)",
        f"{p}:6:19: error: GICR[5] does not exist: the machine has 2 vCPUs (0..1)",
        f"{p}:7:19: error: GICD+0x10000 is outside the frame (0x10000 bytes)",
        f"{p}:8:33: error: SGI1R has no field FOO (fields: TargetList, Aff1, INTID, Aff2, IRM, RS, Aff3)",
        f"{p}:9:32: error: 0x10000000000000000 does not fit in 64 bits",
        f"{p}:10:11: error: intid = 5 is outside spi (32..1019)",
        f"{p}:11:14: error: lower_spi(intid: spi) takes 1 argument",
        f"{p}:12:7: error: an access by offset needs its width (read32, write32, ...): GICD has no default",
        f"{p}:13:12: error: GICD_IPRIORITYR has no element 300 (elements: GICD_IPRIORITYR0_7[0..7], GICD_IPRIORITYR[8..255])",
        f"{p}:14:17: error: GICR[3] does not exist: the machine has 2 vCPUs (0..1)",
    ]
    assert (
        " 9 | cpu 0 read ICC_IAR1_EL1 expect 0x1_0000_0000_0000_0000\n   |                                ^~~~~~~~~~~~~~~~~~~~~~~\n"
        in err
    )


def test_settings_in_the_script_and_their_errors(tmp_path: Path) -> None:
    p = _script(tmp_path, "model gicv4\n")
    assert _run(p)[::2] == (
        3,
        f"{p}:1:1: error: the spec has no model gicv4 (models: gicv2, gicv3)\n 1 | model gicv4\n   | ^~~~~~~~~~~\ngicheck: 1 error\n",
    )
    p = _script(tmp_path, "model gicv2\nvcpus 9\n")
    code, _, err = _run(p)
    assert (code, err.splitlines()[0]) == (3, f"{p}:2:7: error: model gicv2 allows 1..8 vCPUs, not 9")
    p = _script(tmp_path, "model gicv2\nparam nr_irqs=100\n")
    code, _, err = _run(p)
    assert (code, err.splitlines()[0]) == (
        3,
        f"{p}:2:15: error: nr_irqs = 100 is not allowed: the model requires nr_irqs[4:0] == 0 (spec/common/spi.gic:14:1)",
    )
    p = _script(tmp_path, "model gicv2\nparam nr_spis=64\n")
    code, _, err = _run(p)
    assert (code, err.splitlines()[0]) == (3, f"{p}:2:1: error: model gicv2 has no parameter nr_spis (parameters: nr_irqs)")
    p = _script(tmp_path, "model gicv2\nmodel gicv3\n")
    code, _, err = _run(p)
    assert (code, err.splitlines()[0]) == (3, f"{p}:2:1: error: 'model' is given twice (first at line 1)")


def test_options_are_checked_and_win_over_the_script(tmp_path: Path) -> None:
    p = _script(tmp_path, "model gicv3\nvcpus 4\nparam nr_irqs=128\ncpu 1 read GICD_TYPER\n")
    code, out, err = _run(p, "--vcpus", "2", "--param", "nr_irqs=96")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"{p}: model gicv3, 2 vCPUs, nr_irqs = 96 (0x60)"
    code, out, err = _run(p, "--model", "gicv2")
    assert out.splitlines()[0] == f"{p}: model gicv2, 4 vCPUs, nr_irqs = 128 (0x80)"
    assert [
        _run(p, *opts)[::2] for opts in (["--vcpus", "0"], ["--vcpus", "1..2"], ["--param", "nr_irqs=100"], ["--model", "gicv4"])
    ] == [
        (2, "gicheck: error: --vcpus 0: model gicv3 allows 1..255 vCPUs\n"),
        (2, "gicheck: error: --vcpus takes one count N (a run is one machine), not '1..2'\n"),
        (
            2,
            (
                "gicheck: error: --param nr_irqs=100: nr_irqs = 100 is not allowed: the model requires nr_irqs[4:0] == 0 "
                "(spec/common/spi.gic:14:1)\n"
            ),
        ),
        (2, "gicheck: error: --model gicv4: the spec has no such model (models: gicv2, gicv3)\n"),
    ]
    assert _run(tmp_path / "none.run")[::2] == (2, f"gicheck: error: no such script: {tmp_path / 'none.run'}\n")
    p = _script(tmp_path, "cpu 0 read GICD_CTLR\n")
    assert _run(p)[::2] == (2, "gicheck: error: the spec has models gicv2, gicv3: give --model or a 'model' line in the script\n")


def test_the_default_vcpu_count_is_one_more_than_the_highest_named(tmp_path: Path) -> None:
    p = _script(tmp_path, "model gicv3\ncpu 0 read GICR[2].GICR_TYPER\ncpu 1 read GICD_CTLR\n")
    code, out, _ = _run(p)
    assert (code, out.splitlines()[0]) == (0, f"{p}: model gicv3, 3 vCPUs, nr_irqs = 64 (0x40)")
    assert "  line 2  vCPU 0 reads GICR[2].GICR_TYPER (+0x40008), 64 bits -> 0x0000000200000210\n" in out


def test_an_expected_value_the_spec_does_not_allow_stops_the_run(tmp_path: Path) -> None:
    p = _script(
        tmp_path,
        "model gicv3\n"
        "cpu 0 write GICD_CTLR EnableGrp1=1\n"
        "cpu 0 write ICC_SGI1R_EL1 IRM=1 INTID=3\n"
        "cpu 1 read ICC_IAR1_EL1 expect 4   # not pending\n"
        "cpu 1 read ICC_IAR1_EL1\n",
    )
    code, out, err = _run(p)
    assert (code, err) == (1, "")
    assert out.endswith(
        f"{p}:4:32: FAILED: the spec does not allow ICC_IAR1_EL1 to read 0x4 here (it allows 0x3)\n"
        " 4 | cpu 1 read ICC_IAR1_EL1 expect 4   # not pending\n"
        "   |                                ^\n"
        "  the values allowed, as steps: 3 [acknowledge(self=1, intid=3)]\n"
        "\n"
        "2 lines run, 0 reads, then stopped: the spec does not allow the next line\n"
    )


def test_an_action_that_is_not_enabled_stops_the_run(tmp_path: Path) -> None:
    p = _script(tmp_path, "model gicv2\nraise_spi 40\nraise_spi 100\nraise_spi 41\n")
    code, out, _ = _run(p)
    assert code == 1
    assert out.endswith(
        f"{p}:3:1: FAILED: raise_spi(intid=100) is not enabled here: its requires intid < nr_irqs is false, nr_irqs = 64 "
        "(spec/common/spi.gic:60:1)\n"
        " 3 | raise_spi 100\n"
        "   | ^~~~~~~~~\n"
        "\n"
        "1 line run, 0 reads, then stopped: the spec does not allow the next line\n"
    )
    code, out, _ = _run(p, "--param", "nr_irqs=128")
    assert (code, out.splitlines()[-1]) == (0, "3 lines run, 0 reads")


def test_json_output(tmp_path: Path) -> None:
    p = _script(tmp_path, "model gicv3\ncpu 0 write GICD_CTLR EnableGrp1=1\ncpu 0 read ICC_IAR1_EL1 expect 1023\n")
    code, out, _ = _run(p, "--format", "json")
    d = json.loads(out)
    assert (code, d["model"], d["nr_vcpus"], d["params"], d["passed"], d["failure"]) == (
        0,
        "gicv3",
        1,
        {"nr_irqs": 64},
        True,
        None,
    )
    first, second = d["lines"]
    assert (first["line"], first["text"], first["outcome"]["step"]["changes"]) == (
        2,
        "cpu 0 write GICD_CTLR EnableGrp1=1",
        [{"location": "dist_enabled", "before": False, "after": True}],
    )
    assert (second["expected"], second["outcome"]["value"], second["outcome"]["allowed"]) == (
        1023,
        1023,
        [{"value": 1023, "step": "no refines case applies"}],
    )
