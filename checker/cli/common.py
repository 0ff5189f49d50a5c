"""What the commands share: exit codes, the argument parser's error hook, the options' parsing,
where the spec and the property files are."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TextIO

from checker import ir, pipeline
from checker.cli.values import option_number
from checker.diagnostics import Diagnostic, SpecError, UsageError
from checker.files import OutputError, tree_files, writable_dir, write_atomic
from checker.params import value_error
from checker.sema.overlay import Overlay, load_overlays
from checker.sema.resolve import ModelInfo


def check_search_options(args: argparse.Namespace) -> None:
    """What the options' types (values.py) cannot check alone."""
    out = getattr(args, "output", None)
    if out is not None and out.is_dir():
        raise UsageError(f"--output {out}: a directory (give the report's file name)")


def requested_vcpus(args: argparse.Namespace) -> ir.VcpuRange | None:
    return ir.VcpuRange.parse(args.vcpus) if args.vcpus is not None else None


def parse_params(items: list[str], system: ir.System) -> dict[str, tuple[int, int]]:
    """`--param nr_irqs=128` or `--param nr_irqs=64..256`, checked against the system's parameters
    (`system` lowered with none narrowed): each value given must be one the spec allows, its
    declared range and its `where` clause, or the properties would hold of nothing."""
    out: dict[str, tuple[int, int]] = {}
    for item in items:
        m = re.fullmatch(r"\s*(\w+)\s*=\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", item)
        if not m:
            raise UsageError(f"--param takes NAME=V or NAME=A..B, not '{item}'")
        name, lo = m.group(1), option_number(m.group(2), "--param")
        hi = option_number(m.group(3), "--param") if m.group(3) else lo
        if name not in system.params:
            known = ", ".join(sorted(system.params)) or "none"
            raise UsageError(f"--param {name}: the model has no parameter '{name}' (parameters: {known})")
        if name in out:
            raise UsageError(f"--param {name}: given twice")
        if hi < lo:
            raise UsageError(f"--param {name}={lo}..{hi}: the range is empty")
        out[name] = (lo, hi)
    for name, (lo, hi) in out.items():
        for v in dict.fromkeys((lo, hi)):
            bad = value_error(system, name, v, (system.vcpus.lo, system.vcpus.hi), out)
            if bad:
                given = f"{lo}..{hi}" if hi != lo else f"{lo}"
                raise UsageError(f"--param {name}={given}: {bad}")
    return out


def find_root() -> Path:
    here = Path.cwd()
    for d in [here, *here.parents]:
        if (d / "spec").is_dir() and (d / "properties").is_dir():
            return d
    raise UsageError("no spec/ directory here or above; give --spec DIR")


def property_files(args_files: list[Path], root: Path | None) -> list[Path]:
    if not args_files:
        if root is None:
            raise UsageError("no property files given and no properties/ directory found")
        args_files = [root / "properties"]
    out: list[Path] = []
    for f in args_files:
        if f.is_dir():
            out += tree_files(f, ".prop")
        elif f.is_file():
            out.append(f)
        else:
            raise UsageError(f"no such file or directory: {f}")
    if not out:
        raise UsageError(f"no .prop files in {', '.join(map(str, args_files))}")
    return out


def spec_root(spec: Path | None) -> tuple[Path, Path | None]:
    if spec is not None:
        if not spec.is_dir():
            raise UsageError(f"--spec {spec}: not a directory")
        return spec, None
    root = find_root()
    return root / "spec", root


def find_models(spec: Path) -> dict[str, ModelInfo]:
    """The models the spec directory declares; none at all is a usage error (the wrong directory)."""
    models = pipeline.find_models(spec)
    if not models:
        raise UsageError(f"no model found in {spec}: no .gic file under it declares one")
    return models


def overlay_option(paths: list[Path], models: Mapping[str, object]) -> Overlay | None:
    """The overlay files given with --overlay, checked to patch a model of the spec."""
    if not paths:
        return None
    for p in paths:
        if not p.is_file():
            raise UsageError(f"--overlay {p}: no such file")
    ov = load_overlays(paths)
    if ov.model not in models:
        raise SpecError(
            [
                Diagnostic(
                    f"this overlay patches model {ov.model}, which the spec does not declare (models: {', '.join(sorted(models))})",
                    ov.span,
                )
            ]
        )
    return ov


def report(out: TextIO, output: Path | None, text: str) -> None:
    """The report to standard output, or (--output FILE) into FILE whole or not at all."""
    if output is None:
        out.write(text)
        return
    try:
        write_atomic(output, text)
    except OutputError as e:
        raise OutputError(f"--output: {e}") from None


def output_dir(option: str, directory: Path | None) -> Path | None:
    """An output directory option's DIR, made if missing and checked to be writable now, before
    the work whose results go there."""
    if directory is None:
        return None
    try:
        return writable_dir(directory)
    except OutputError as e:
        raise OutputError(f"{option}: {e}") from None


def trace_dir(directory: Path | None) -> Path | None:
    """--trace-out DIR, made if missing."""
    return output_dir("--trace-out", directory)


def output_file(output: Path | None) -> None:
    """--output FILE: its directory checked to be writable before the run."""
    if output is not None:
        output_dir(f"--output {output}", output.parent)


def cluster_module() -> ModuleType:
    """checker.cli.cluster, imported only for --scheduler: Dask distributed is optional."""
    try:
        from checker.cli import cluster
    except ImportError as e:
        raise UsageError(
            f"--scheduler needs Dask distributed, which cannot be imported ({e}): pip install 'gicheck[cluster]'"
        ) from None
    return cluster
