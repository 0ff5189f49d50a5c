"""Deliberately broken variants of the shipped spec: each must make at least one shipped property
fail with a trace the interpreter replayed (issue 3). A variant is the shipped spec copied to a
temporary directory with one edit, a handler written the way a buggy patch would write it; the
table says which property must catch it and what its trace must show."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, run


@dataclass(frozen=True)
class Variant:
    name: str
    file: str  # under spec/
    old: str
    new: str
    props: str  # under properties/
    prop: str
    vcpus: str
    shows: tuple[str, ...]  # substrings of the counterexample


VARIANTS = [
    Variant(
        "icenabler-clears-one-too-many",
        "gicv3/dist.gic",
        "                if val[i] {\n                    spi_enabled[32 * n + i] := false",
        "                if val[i] || (i > 0 && val[i - 1]) {\n                    spi_enabled[32 * n + i] := false",
        "dist.prop",
        "icenabler_clears_exactly",
        "1..8",
        ("writes GICD_ICENABLER[", "icenabler_clears_exactly: the property is false after the last access"),
    ),
    Variant(
        "irouter-ignores-aff1",
        "gicv3/dist.gic",
        "mpidr(c).Aff2 == m[23:16] && mpidr(c).Aff1 == m[15:8] && mpidr(c).Aff0 == m[7:0]",
        "mpidr(c).Aff2 == m[23:16] && mpidr(c).Aff0 == m[7:0]",
        "dist.prop",
        "irouter_routes_to_named_vcpu",
        "1..8",
        # one vCPU is enough: an affinity with Aff1 != 0 names no vCPU, yet the lookup finds vCPU 0
        ("with 1 vCPU,", "writes GICD_IROUTER[", "spi_cpu'[", "mpidr(c).Aff1 = 0"),
    ),
    Variant(
        "typer-last-on-every-redistributor",
        "gicv3/redist.gic",
        "            if rd == nr_vcpus - 1 {",
        "            if true {",
        "redist.prop",
        "typer_last_only_on_last",
        "1..8",
        ("with 2 vCPUs", ".GICR_TYPER (+0x0008)", "Last=1"),
    ),
    Variant(
        "ctlr-are-cleared",
        "gicv3/dist.gic",
        "return D3_CTLR(EnableGrp1 = g1, ARE = 1, DS = 1)",
        "return D3_CTLR(EnableGrp1 = g1, DS = 1)",
        "dist.prop",
        "ctlr_reads_state",
        "1..8",
        ("reads GICD_CTLR (+0x0000)", "r.ARE = 0"),
    ),
    # The 2014 vgic_set_target_reg: the lowest set bit of the byte, never checked against the
    # number of vCPUs (spec/gicv2/dist.gic keeps today's masking instead).
    Variant(
        "itargetsr-keeps-absent-vcpu-bits",
        "gicv2/dist.gic",
        "    for c in vcpu {\n        if b[c] {\n            r := c[7:0]",
        "    for c in 0..7 {\n        if b[c] {\n            r := c",
        "gicv2-targets.prop",
        "write_routes_to_existing_vcpu",
        "1..8",
        ("with 1 vCPU,", "writes GICD_ITARGETSR[", "write_routes_to_existing_vcpu: the property is false"),
    ),
    Variant(
        "sgir-filter1-includes-sender",
        "gicv2/dist.gic",
        "                    if c != self {\n                        targets[c] := 1\n                    }",
        "                    targets[c] := 1",
        "gicv2-sgi.prop",
        "filter1_skips_sender",
        "1..8",
        ("writes GICD_SGIR (+0x0f00)", "TargetListFilter=1", "pending[0]["),
    ),
]


@pytest.mark.parametrize("v", VARIANTS, ids=[v.name for v in VARIANTS])
def test_broken_variant_is_caught(v: Variant, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    target = tmp_path / "spec" / v.file
    text = target.read_text()
    assert text.count(v.old) == 1, f"{v.name}: the text to break is not in {v.file} exactly once"
    target.write_text(text.replace(v.old, v.new))
    code, out, err = run(
        "prove", "--spec", tmp_path / "spec", ROOT / "properties" / v.props, "--vcpus", v.vcpus, "--property", v.prop
    )
    assert (code, err) == (1, ""), out
    assert f"VIOLATED   {v.prop}" in out and "(replayed)" in out, out
    for s in v.shows:
        assert s in out, f"{v.name}: {s!r} not in\n{out}"


def test_unbroken_spec_proves_the_same_properties() -> None:
    """The properties the variants break hold on the shipped spec, at every vCPU count its model
    allows (GICv2 1..8, GICv3 1..255)."""
    for props in sorted({v.props for v in VARIANTS}):
        names = [x for v in VARIANTS if v.props == props for x in ("--property", v.prop)]
        code, out, err = run("prove", "--spec", ROOT / "spec", ROOT / "properties" / props, *names)
        assert (code, err) == (0, ""), out
        assert out.count("  PROVED ") == len(names) // 2, out
