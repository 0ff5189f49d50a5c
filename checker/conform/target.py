"""A real GIC emulation as the other side of `gicheck conform`: QEMU's, through a bare-metal
guest (checker/conform/guest/: start.S, main.c, guest.ld) that runs a list of register
accesses, each on the vCPU it names, and prints every value read.

The guest is built with Debian's cross compiler (aarch64-linux-gnu-gcc) into a cache directory
keyed by its sources' hash, and runs under `qemu-system-aarch64 -M virt,gic-version=2|3` (TCG, one
host thread: the machine is shared); `accel="kvm"` runs it under `-accel kvm -cpu host` on an
arm64 host with /dev/kvm instead, where the oracle is KVM's own vgic (docs/conform.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

from checker.diagnostics import UsageError
from checker.files import write_atomic

MAGIC = 0x47494343  # "GICC", main.c MAGIC
COMMANDS_AT = 0x44000000  # main.c CMDS
MAX_CPUS = 64  # main.c MAX_CPUS

# QEMU's -M virt memory map (hw/arm/virt.c, base_memmap): the distributor, the GICv2 CPU
# interface, the GICv3 redistributors (one 0x20000 frame per vCPU from VIRT_GIC_REDIST).
FRAME_BASES = {2: {"GICD": 0x08000000, "GICC": 0x08010000}, 3: {"GICD": 0x08000000, "GICR": 0x080A0000}}
SYSREGS = {"ICC_IAR1_EL1": 0, "ICC_EOIR1_EL1": 1, "ICC_SGI1R_EL1": 2, "ICC_SRE_EL1": 3}  # main.c SR_*

OP_READ, OP_WRITE, OP_SYSREG_READ, OP_SYSREG_WRITE = 0, 1, 2, 3
ABORT = -1  # a read that took a data abort


@dataclass(frozen=True)
class Command:
    """One access as the guest runs it."""

    op: int
    cpu: int
    width: int
    sysreg: int
    addr: int
    value: int

    @property
    def is_read(self) -> bool:
        return self.op in (OP_READ, OP_SYSREG_READ)


@dataclass(frozen=True)
class TargetRun:
    """What the guest printed: the distributor's GICD_TYPER, each read's value (or ABORT) by its
    command's index, and whether the list ran to its end."""

    typer: int | None
    reads: dict[int, int]
    done: bool
    error: str | None = None


class Target(Protocol):
    """The other side of a comparison: QEMU, or a stand-in in the tests."""

    @property
    def gic(self) -> int: ...

    def describe(self) -> str: ...

    def run(self, commands: list[Command], ncpus: int) -> TargetRun: ...


def encode(commands: list[Command], ncpus: int, gic: int) -> bytes:
    head = struct.pack("<IIII", MAGIC, len(commands), ncpus, gic)
    return head + b"".join(struct.pack("<IIIIQQ", c.op, c.cpu, c.width, c.sysreg, c.addr, c.value) for c in commands)


def parse_output(text: str) -> TargetRun:
    typer, reads, done, error = None, {}, False, None
    for line in text.splitlines():
        parts = line.split()
        match parts:
            case ["I", v]:
                typer = int(v, 16)
            case ["R", i, v]:
                reads[int(i, 16)] = int(v, 16)
            case ["A", i]:
                reads[int(i, 16)] = ABORT
            case ["D"]:
                done = True
            case ["F", *why]:
                error = "the guest stopped: " + " ".join(why)
    return TargetRun(typer, reads, done, error)


def _sources() -> dict[str, bytes]:
    pkg = resources.files("checker.conform") / "guest"
    return {name: (pkg / name).read_bytes() for name in ("start.S", "main.c", "guest.ld")}


def build_guest(cache: Path | None = None) -> Path:
    """The guest's ELF, built once per version of its sources."""
    gcc = shutil.which("aarch64-linux-gnu-gcc")
    if gcc is None:
        raise UsageError("gicheck conform needs aarch64-linux-gnu-gcc (Debian: apt-get install gcc-aarch64-linux-gnu)")
    sources = _sources()
    digest = hashlib.sha256(b"".join(sources[n] for n in sorted(sources))).hexdigest()[:16]
    base = cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gicheck"
    elf = base / f"guest-{digest}.elf"
    if elf.exists():
        return elf
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in sources.items():
            (Path(tmp) / name).write_bytes(data)
        out = Path(tmp) / "guest.elf"
        flags = ["-O2", "-march=armv8-a", "-mno-outline-atomics", "-mgeneral-regs-only", "-ffreestanding"]
        flags += ["-nostdlib", "-nostartfiles", "-Wall", "-Wextra", "-Werror", "-Wl,--no-warn-rwx-segments"]
        proc = subprocess.run(
            [gcc, *flags, "-T", "guest.ld", "-o", str(out), "start.S", "main.c"],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"building the conformance guest failed:\n{proc.stderr}")
        write_atomic(elf, out.read_bytes())
    return elf


@dataclass(frozen=True)
class Qemu:
    """qemu-system-aarch64 -M virt with GICv2 or GICv3 (TCG, or KVM on an arm64 host)."""

    gic: int
    guest: Path
    accel: str = "tcg"
    timeout: float = 60.0

    def describe(self) -> str:
        return f"qemu-system-aarch64 -M virt,gic-version={self.gic} ({self.accel})"

    def argv(self, ncpus: int, commands: Path) -> list[str]:
        exe = shutil.which("qemu-system-aarch64")
        if exe is None:
            raise UsageError("gicheck conform --target qemu needs qemu-system-aarch64 (Debian: apt-get install qemu-system-arm)")
        accel = (
            ["-accel", "kvm", "-cpu", "host"] if self.accel == "kvm" else ["-accel", "tcg,thread=single", "-cpu", "cortex-a57"]
        )
        return [
            exe,
            "-M",
            f"virt,gic-version={self.gic}",
            *accel,
            "-smp",
            str(ncpus),
            "-m",
            "256M",
            "-nographic",
            "-nodefaults",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-kernel",
            str(self.guest),
            "-device",
            f"loader,file={commands},addr={COMMANDS_AT:#x},force-raw=on",
        ]

    def run(self, commands: list[Command], ncpus: int) -> TargetRun:
        if not 1 <= ncpus <= MAX_CPUS:
            raise UsageError(f"the conformance guest runs 1..{MAX_CPUS} vCPUs, not {ncpus}")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "commands.bin"
            path.write_bytes(encode(commands, ncpus, self.gic))
            try:
                proc = subprocess.run(self.argv(ncpus, path), capture_output=True, text=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                return _with_error(parse_output(out), f"QEMU did not finish in {self.timeout:.0f} s")
        run = parse_output(proc.stdout)
        if proc.returncode != 0:
            return _with_error(run, f"QEMU exited with {proc.returncode}: {proc.stderr.strip()[:300]}")
        if not run.done and run.error is None:
            return _with_error(run, "the guest did not finish the list")
        return run


def _with_error(run: TargetRun, error: str) -> TargetRun:
    return TargetRun(run.typer, run.reads, run.done, run.error or error)
