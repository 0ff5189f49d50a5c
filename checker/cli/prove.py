"""`gicheck prove`: prove the properties of each model for every vCPU count in a range."""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from checker import ir, pipeline
from checker.cli.common import (
    ExitCode,
    check_search_options,
    overlay_option,
    parse_params,
    property_files,
    report,
    requested_vcpus,
    spec_root,
    trace_dir,
)
from checker.diagnostics import UsageError
from checker.engines import Options, check_properties
from checker.render import c as render_c
from checker.render import json as render_json
from checker.render import junit as render_junit
from checker.render import sarif as render_sarif
from checker.render import text as render_text
from checker.results import Bounded, InternalError, PropertyResult, Unknown, Unreached, Violated
from checker.sema.overlay import Overlay
from checker.syntax import ast as A
from checker.traces import itf
from checker.traces.files import TraceOut, write_traces


def exit_code(results: list[PropertyResult]) -> ExitCode:
    if any(isinstance(r.verdict, InternalError) for r in results):
        return ExitCode.INTERNAL
    if any(isinstance(r.verdict, Violated) for r in results):
        return ExitCode.VIOLATED
    if any(isinstance(r.verdict, (Bounded, Unknown, Unreached)) for r in results):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _smt_dumper(directory: Path | None) -> Callable[[str], None] | None:
    """--dump-smt: each solver query into its own numbered file."""
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    counter = [0]

    def dump(text: str) -> None:
        counter[0] += 1
        (directory / f"query{counter[0]:04d}.smt2").write_text(text)

    return dump


class _Emitter:
    """Text output goes out model by model, so a long run shows the first model's results
    while the next one is checked."""

    def __init__(self, out: TextIO, text: bool) -> None:
        self.out = out
        self.text = text
        self.emitted = 0

    def __call__(self, block: str) -> None:
        if self.text:
            self.out.write(("\n" if self.emitted else "") + block)
            self.out.flush()
            self.emitted += 1


@dataclass(frozen=True)
class _Run:
    """What every model of one `gicheck prove` shares."""

    args: argparse.Namespace
    spec: Path
    overlay: Overlay | None
    requested: ir.VcpuRange | None
    several: bool  # more than one model is checked
    dump: Callable[[str], None] | None
    trace_out: Path | None
    err: TextIO


def _vcpus_for(run: _Run, model: str, allowed: ir.VcpuRange) -> tuple[ir.VcpuRange | None, str]:
    """The vCPU counts to check the model at, and a note when that is not what was asked."""
    asked = run.requested or allowed
    # several models: each checks the part of the request it allows (GICv2 stops at 8)
    vcpus = asked.clip(allowed, partial=run.several)
    if vcpus is None:
        if not run.several:
            raise UsageError(
                f"model {model} allows {allowed.lo}..{allowed.hi} vCPUs; --vcpus {asked.lo}..{asked.hi} is outside it"
            )
        return None, (
            f"gicheck prove: model {model} skipped: it allows {allowed.lo}..{allowed.hi} vCPUs, none of --vcpus {asked.lo}..{asked.hi}\n"
        )
    note = "" if vcpus == asked else f" (of --vcpus {asked.lo}..{asked.hi}, the model allows {allowed.lo}..{allowed.hi})"
    return vcpus, note


def _prove_model(
    run: _Run, model: str, srcs: list[A.SourceFile], emit: _Emitter
) -> tuple[list[PropertyResult], dict[str, Any]] | None:
    """Check one model's properties and emit its text block; None when the model is skipped."""
    args = run.args
    design = pipeline.load_design(run.spec, model, property_files=srcs, overlay=run.overlay)
    vcpus, note = _vcpus_for(run, model, ir.VcpuRange(*design.vcpus))
    if vcpus is None:
        emit(note)
        return None
    pins = parse_params(args.param, design.params)
    system = pipeline.lower(design, vcpus, pins)
    only = set(args.property) if args.property else None
    if only:
        unknown = only - {p.name for p in system.properties}
        if unknown and not run.several:
            raise UsageError(f"no property named {', '.join(sorted(unknown))} in model {model}")
    t0 = time.perf_counter()
    results = check_properties(system, Options(system.vcpus, args.depth, args.timeout, run.dump), only)
    dt = time.perf_counter() - t0
    n = len(results)
    ranges = "".join(
        f", {p.name} {p.type.lo}" + (f"..{p.type.hi}" if p.type.hi != p.type.lo else "") for p in system.params.values()
    )
    header = (
        f"gicheck prove: model {model} ({run.spec}), vCPUs {system.vcpus.lo}..{system.vcpus.hi}{note}{ranges}, "
        f"{n} propert{'y' if n == 1 else 'ies'}, depth {args.depth}"
    )
    emit(render_text.render(results, header, args.cti) + f"\n{model}: {render_text.summary(results)} in {dt:.1f}s\n")
    if run.trace_out is not None:
        origin = itf.Origin(run.spec, tuple(args.overlay))
        written = write_traces(system, results, TraceOut(run.trace_out, origin))
        run.err.write(f"gicheck prove: {len(written)} trace file{'s' if len(written) != 1 else ''} written to {run.trace_out}\n")
    meta = {
        "model": model,
        "spec": str(run.spec),
        "vcpus": list(system.vcpus),
        "depth": args.depth,
        "seconds": round(dt, 3),
        "params": {p.name: [p.type.lo, p.type.hi] for p in system.params.values()},
    }
    return results, meta


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    files = property_files(args.files, root)
    check_search_options(args)
    models = pipeline.find_models(spec)
    groups = pipeline.group_properties(files, set(models))
    overlay = overlay_option(args.overlay, models)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    several = len(groups) > 1
    context = _Run(
        args, spec, overlay, requested_vcpus(args), several, _smt_dumper(args.dump_smt), trace_dir(args.trace_out), err
    )
    text = io.StringIO() if args.output is not None else out
    emit = _Emitter(text, args.format == "text")
    all_results: list[PropertyResult] = []
    meta_models = []
    for model, srcs in groups.items():
        checked = _prove_model(context, model, srcs, emit)
        if checked is not None:
            all_results += checked[0]
            meta_models.append(checked[1])
    code = exit_code(all_results)
    names = [str(m["model"]) for m in meta_models]
    match args.format:
        case "text":
            if isinstance(text, io.StringIO) and args.output is not None:
                report(out, args.output, text.getvalue())
        case "json":
            report(out, args.output, render_json.render(all_results, {"models": meta_models, "exit_code": int(code)}))
        case "junit":
            report(out, args.output, render_junit.prove(all_results, names))
        case "sarif":
            report(out, args.output, render_sarif.prove(all_results, Path.cwd()))
        case "c":
            report(out, args.output, render_c.render(all_results))
        case _:
            raise UsageError(f"unknown --format {args.format}")
    return code
