"""The front end's pipeline: one call from a spec directory to a system, the vCPU range, the
exit codes, the stages logged with --debug, and the overlay's names checked in sema."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from checker import ir, pipeline
from checker.cli import ExitCode
from checker.diagnostics import UsageError
from checker.sema.expect import check_expected, check_expected_broken
from checker.sema.overlay import load_overlays
from checker.span import Span
from tests.test_diff import PROPS, SPEC


def test_vcpu_range_parses_a_count_or_a_range() -> None:
    assert ir.VcpuRange.parse("4") == ir.VcpuRange(4, 4)
    assert ir.VcpuRange.parse(" 1 .. 8 ") == (1, 8)
    for text, message in [
        ("x", "--vcpus takes a count N or a range A..B, not 'x'"),
        ("0..4", "vCPU range 0..4 starts at 0: a VM has at least one vCPU"),
        ("5..2", "vCPU range 5..2 is empty"),
    ]:
        with pytest.raises(UsageError, match=message.replace(".", r"\.")):
            ir.VcpuRange.parse(text)


def test_vcpu_range_clips_to_a_model_partly_or_not_at_all() -> None:
    asked = ir.VcpuRange(4, 16)
    assert asked.clip((1, 8)) == ir.VcpuRange(4, 8)
    assert asked.clip((1, 8), partial=False) is None
    assert asked.clip((1, 255), partial=False) == asked
    assert ir.VcpuRange(300, 400).clip((1, 255)) is None


def test_exit_codes() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5, 69, 70, 74, 130, 141, 143]


def test_shipped_systems_cover_each_model_over_its_range(shipped_systems: dict[str, ir.System]) -> None:
    assert sorted(shipped_systems) == ["gicv2", "gicv3"]
    assert {m: s.vcpus for m, s in shipped_systems.items()} == {"gicv2": ir.VcpuRange(1, 8), "gicv3": ir.VcpuRange(1, 255)}
    v3 = shipped_systems["gicv3"]
    assert "broadcast_reaches_all_others" in {p.name for p in v3.properties}
    assert "ICC_SGI1R_EL1.write" in v3.actions


def test_load_system_takes_property_paths_and_an_overlay(write_spec: Callable[[dict[str, str]], Path]) -> None:
    tree = write_spec(
        {
            "spec/small.gic": SPEC,
            "properties/p.prop": PROPS,
            "six.overlay": "overlay for model small\nreplace model small { vcpus 1..6 }\n",
        }
    )
    system = pipeline.load_system(
        tree / "spec", "small", property_files=[tree / "properties/p.prop"], overlay=load_overlays([tree / "six.overlay"])
    )
    assert system.vcpus == ir.VcpuRange(1, 6)
    assert [p.name for p in system.properties] == ["all_reaches_others", "enable_never_clears", "nothing_spurious"]
    narrowed = pipeline.load_system(tree / "spec", "small", vcpus=(2, 3))
    assert narrowed.vcpus == ir.VcpuRange(2, 3) and narrowed.properties == ()


def test_debug_logs_each_stage(root: Path) -> None:
    """Through a subprocess: in-process, pytest's own log handlers take the records."""
    argv = [sys.executable, "-m", "checker", "--debug", "list", "properties/sgi.prop"]
    r = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "model gicv3" in r.stdout
    assert "gicheck.pipeline: parse: 2 model(s) under" in r.stderr
    assert "gicheck.pipeline: parse: 1 property file(s) for 1 model(s)" in r.stderr
    assert "gicheck.pipeline: resolve: model gicv3:" in r.stderr
    # each line says when, in ms since the start: where a run's time goes between checks
    assert all(re.match(r" *\d+ ms gicheck\.", line) for line in r.stderr.splitlines()), r.stderr


def test_expected_names_of_an_overlay_are_diagnostics_and_of_the_command_line_names(
    write_spec: Callable[[dict[str, str]], Path],
) -> None:
    tree = write_spec({"spec/small.gic": SPEC, "p.prop": PROPS})
    design = pipeline.load_design(tree / "spec", "small", property_files=pipeline.group_properties([tree / "p.prop"])["small"])
    at = Span("x.overlay", 2, 1, 2, 20)
    names = check_expected({"NOPE.write": at, "DOORBELL": at, "FLAG": None}, design, design)
    assert [(d.message, d.span) for d in names.diagnostics] == [
        ("expect different NOPE.write: neither side has an action, register, frame or state named NOPE.write", at)
    ]
    assert names.flags == ("FLAG",)
    broken = check_expected_broken({"all_reaches_others": None, "gone": at}, design)
    assert [d.message for d in broken.diagnostics] == ["expect broken gone: the old side has no property named gone"]
    assert broken.flags == ()
