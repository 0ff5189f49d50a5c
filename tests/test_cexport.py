"""Guest regression tests in C (--format c): the v1 trace's export compiles for AArch64 against
the shipped header, contrib/gicheck-guest.h, and says what it does."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from checker.render import c as render_c
from checker.results import Arg, Change, Failure, Field, PropertyKind, PropertyResult, Step, Trace, Violated
from tests.conftest import V1Run
from tests.helpers import ROOT

CC = "aarch64-linux-gnu-gcc"


def compile_c(text: str, tmp_path: Path) -> None:
    if shutil.which(CC) is None:
        pytest.skip(f"{CC} is not installed (Debian: apt-get install gcc-aarch64-linux-gnu; .ci/run installs it)")
    src = tmp_path / "trace.c"
    src.write_text(text)
    # -ffreestanding: the header needs only the compiler's own headers (kvm-unit-tests has no libc),
    # so the test does not depend on the cross libc's headers being installed.
    flags = ["-ffreestanding", "-fsyntax-only", "-std=gnu11", "-Wall", "-Wextra", "-Werror"]
    argv = [CC, *flags, "-I", str(ROOT / "contrib"), str(src)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_v1_trace_exports_as_a_guest_test(v1_run: V1Run, tmp_path: Path) -> None:
    text = render_c.render(v1_run.results)
    assert '#include "gicheck-guest.h"' in text
    assert "static void broadcast_reaches_all_others_step1(void *data)" in text
    assert "\tgicheck_write_sysreg(ICC_SGI1R_EL1, UINT64_C(0x0000010000000000));\n" in text
    assert "int gicheck_test_broadcast_reaches_all_others(void)" in text
    assert "\tif (gicheck_nr_cpus() < 2)\n" in text
    assert "\tgicheck_on_cpu(0, broadcast_reaches_all_others_step1, &run);\n" in text
    assert " * broadcast_reaches_all_others: the property is false after the last access for c = 1\n" in text
    compile_c(text, tmp_path)


def _frame_read_trace() -> PropertyResult:
    """A hand-made trace with what the v1 trace lacks: an MMIO read checked against a value, a
    byte write, and an environment step."""
    typer = Arg("result", "GICR_TYPER", 0x100, (Field("Processor_Number", 23, 8, 1),), 64)
    read = Step(
        "GICR.read",
        "GICR",
        1,
        (Arg("self", "vcpu", 1, (), 32), Arg("width", "bits", 64)),
        (),
        typer,
        "GICR[1].GICR_TYPER (+0x20008)",
        (("self", 1), ("offset", 0x20008), ("width", 64)),
    )
    write = Step(
        "GICD.write",
        "GICD",
        0,
        (Arg("self", "vcpu", 0, (), 32), Arg("width", "bits", 8), Arg("val", "bits(8)", 0xA0, (), 8)),
        (Change("priority_shared[32]", 0, 0xA0),),
        None,
        "GICD_IPRIORITYR[8] (+0x0420)",
        (("self", 0), ("offset", 0x420), ("width", 8), ("val", 0xA0)),
    )
    raise_spi = Step("raise_spi", None, None, (Arg("intid", "spi", 33, (), 10),), (), None, None, (("intid", 33),))
    trace = Trace(2, (read, write, raise_spi), Failure("p", "the property is false after the last access"), (("nr_irqs", 64),))
    return PropertyResult("p", PropertyKind.CONTRACT, "A made-up property.", "x.prop:1:1", "gicv3", (1, 2), Violated(trace), 0.0)


def test_mmio_reads_writes_and_environment_steps_compile(tmp_path: Path) -> None:
    r = _frame_read_trace()
    text = render_c.render([r])
    expect = '\tgicheck_expect(run, 1, "GICR[1].GICR_TYPER (+0x20008)", gicheck_read("GICR", 0x20008, 64), UINT64_C(0x0000000000000100));\n'
    assert expect in text
    assert '\tgicheck_write("GICD", 0x420, 8, UINT64_C(0xa0));\n' in text
    assert '\tgicheck_environment(&run, 3, "raise_spi", (const uint64_t[]){ UINT64_C(0x21) }, 1);\n' in text
    compile_c(text, tmp_path)


def test_a_trace_from_an_arbitrary_state_is_not_exported() -> None:
    r = _frame_read_trace()
    assert isinstance(r.verdict, Violated)
    r = replace(r, verdict=Violated(replace(r.verdict.trace, from_reset=False)))
    text = render_c.render([r])
    assert " * No guest test: it starts from an arbitrary state, which a guest cannot set up.\n" in text
    assert "gicheck_test_" not in text
