"""`gicheck prove`: prove the properties of each model for every vCPU count in a range."""

from __future__ import annotations

import argparse
import time
from typing import TextIO

from checker import ir, pipeline
from checker.cli.common import (
    ExitCode,
    check_search_options,
    overlay_option,
    parse_params,
    property_files,
    requested_vcpus,
    spec_root,
)
from checker.diagnostics import UsageError
from checker.engines import Options, check_properties
from checker.render import json as render_json
from checker.render import text as render_text
from checker.results import Bounded, PropertyResult, Unknown, Unreached, Violated


def exit_code(results: list[PropertyResult]) -> ExitCode:
    if any(isinstance(r.verdict, Violated) for r in results):
        return ExitCode.VIOLATED
    if any(isinstance(r.verdict, (Bounded, Unknown, Unreached)) for r in results):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    files = property_files(args.files, root)
    check_search_options(args)
    models = pipeline.find_models(spec)
    groups = pipeline.group_properties(files, set(models))
    overlay = overlay_option(args.overlay, models)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    requested = requested_vcpus(args)
    dump = None
    if args.dump_smt is not None:
        args.dump_smt.mkdir(parents=True, exist_ok=True)
        counter = [0]

        def dump(text: str) -> None:
            counter[0] += 1
            (args.dump_smt / f"query{counter[0]:04d}.smt2").write_text(text)

    all_results: list[PropertyResult] = []
    emitted = 0

    def emit(block: str) -> None:
        """Text output goes out model by model, so a long run shows the first model's results
        while the next one is checked."""
        nonlocal emitted
        if args.format == "text":
            out.write(("\n" if emitted else "") + block)
            out.flush()
            emitted += 1

    meta_models = []
    for model, srcs in groups.items():
        design = pipeline.load_design(spec, model, property_files=srcs, overlay=overlay)
        allowed = ir.VcpuRange(*design.vcpus)
        asked = requested or allowed
        # several models: each checks the part of the request it allows (GICv2 stops at 8)
        vcpus = asked.clip(allowed, partial=len(groups) > 1)
        if vcpus is None:
            if len(groups) == 1:
                raise UsageError(
                    f"model {model} allows {allowed.lo}..{allowed.hi} vCPUs; --vcpus {asked.lo}..{asked.hi} is outside it"
                )
            emit(
                f"gicheck prove: model {model} skipped: it allows {allowed.lo}..{allowed.hi} vCPUs, none of --vcpus {asked.lo}..{asked.hi}\n"
            )
            continue
        note = "" if vcpus == asked else f" (of --vcpus {asked.lo}..{asked.hi}, the model allows {allowed.lo}..{allowed.hi})"
        pins = parse_params(args.param, design.params)
        system = pipeline.lower(design, vcpus, pins)
        only = set(args.property) if args.property else None
        if only:
            unknown = only - {p.name for p in system.properties}
            if unknown and len(groups) == 1:
                raise UsageError(f"no property named {', '.join(sorted(unknown))} in model {model}")
        t0 = time.perf_counter()
        results = check_properties(system, Options(system.vcpus, args.depth, args.timeout, dump), only)
        dt = time.perf_counter() - t0
        n = len(results)
        ranges = "".join(
            f", {p.name} {p.type.lo}" + (f"..{p.type.hi}" if p.type.hi != p.type.lo else "") for p in system.params.values()
        )
        header = (
            f"gicheck prove: model {model} ({spec}), vCPUs {system.vcpus.lo}..{system.vcpus.hi}{note}{ranges}, "
            f"{n} propert{'y' if n == 1 else 'ies'}, depth {args.depth}"
        )
        emit(render_text.render(results, header, args.cti) + f"\n{model}: {render_text.summary(results)} in {dt:.1f}s\n")
        meta_models.append(
            {
                "model": model,
                "spec": str(spec),
                "vcpus": list(system.vcpus),
                "depth": args.depth,
                "seconds": round(dt, 3),
                "params": {p.name: [p.type.lo, p.type.hi] for p in system.params.values()},
            }
        )
        all_results += results
    code = exit_code(all_results)
    if args.format == "json":
        out.write(render_json.render(all_results, {"models": meta_models, "exit_code": int(code)}))
    return code
