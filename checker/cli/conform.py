"""`gicheck conform --target qemu`: the spec against QEMU's GIC emulation (docs/conform.md).

Exit codes: 0 every read agreed or was declared a known difference; 1 a disagreement not
declared, or a sequence the target did not finish; 2 a bad option or a missing tool (QEMU, the
cross compiler); 3 an error in the known-differences file."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from checker import ir
from checker.cli.codes import ExitCode
from checker.cli.common import find_root, output_dir, spec_root
from checker.conform.session import Options, conform
from checker.diagnostics import UsageError
from checker.files import write_atomic
from checker.render import conform as render_conform
from checker.results import ConformReport

# The vCPU counts each GIC version is compared at by default (the ranges).
DEFAULT_VCPUS = {2: ir.VcpuRange(1, 8), 3: ir.VcpuRange(1, 32)}


def _known(args: argparse.Namespace, root: Path | None) -> Path:
    if args.known is not None:
        if not args.known.is_file():
            raise UsageError(f"--known {args.known}: no such file")
        return Path(args.known)
    if root is None:
        root = find_root()  # --spec given: the checkout around the working directory
    if not (root / "conform/qemu.toml").is_file():
        raise UsageError(f"no {root / 'conform/qemu.toml'}: give --known FILE")
    return root / "conform/qemu.toml"


def _write_scripts(directory: Path, report: ConformReport) -> None:
    for n, c in enumerate(report.undeclared, 1):
        name = re.sub(r"[^A-Za-z0-9_]+", "-", c.key).strip("-").lower()[:60]
        write_atomic(directory / f"{report.model}-{n:02d}-{name}.run", c.example.script)


def _progress(err: TextIO) -> Callable[[str], None]:
    def say(line: str) -> None:
        err.write(f"gicheck conform: {line}\n")
        err.flush()

    return say


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    known = _known(args, root)
    output_dir("--scripts", args.scripts)
    reports = []
    for gic in args.gic or [3, 2]:
        vcpus = ir.VcpuRange.parse(args.vcpus) if args.vcpus is not None else DEFAULT_VCPUS[gic]
        opts = Options(gic, vcpus, args.seed, args.count, args.length, known, spec, args.accel, not args.no_shrink)
        progress = _progress(err) if args.progress else None
        report = conform(opts, progress)
        reports.append(report)
        if args.scripts is not None:
            _write_scripts(args.scripts, report)
        if args.format == "text":
            out.write(("\n" if len(reports) > 1 else "") + render_conform.text(report, args.verbose))
            out.flush()
    if args.format == "json":
        out.write(render_conform.to_json(reports))
    return ExitCode.OK if all(r.passed for r in reports) else ExitCode.VIOLATED
