"""`gicheck explore`: the properties decided by the explicit-state engine (engines/explicit.py),
breadth-first from reset over a finite input sample, at small configurations. A cross-check of
`gicheck prove`: what it finds (a violation, a cover) is replayed like prove's traces; what it
does not find is BOUNDED or UNREACHED, never proved."""

from __future__ import annotations

import argparse
from typing import TextIO

from checker import ir, pipeline
from checker.cli.common import find_models, overlay_option, parse_params, property_files, report, spec_root
from checker.cli.prove import exit_code
from checker.diagnostics import UsageError
from checker.engines import explicit
from checker.engines.prove import selected
from checker.params import value_error
from checker.render import text as render_text
from checker.results import PropertyResult

DEFAULT_VCPUS = ir.VcpuRange(1, 2)


def _vcpus(args: argparse.Namespace, allowed: ir.VcpuRange) -> ir.VcpuRange:
    asked = ir.VcpuRange.parse(args.vcpus) if args.vcpus is not None else DEFAULT_VCPUS
    if asked.hi > explicit.MAX_VCPUS:
        raise UsageError(
            f"--vcpus {asked.lo}..{asked.hi}: the explicit-state engine takes at most {explicit.MAX_VCPUS} vCPUs "
            "(its states grow as a power of the vCPU count); use gicheck prove for more"
        )
    vcpus = asked.clip(allowed, partial=False)
    if vcpus is None:
        raise UsageError(f"--vcpus {asked.lo}..{asked.hi} is outside the model's {allowed.lo}..{allowed.hi}")
    return vcpus


def _params(args: argparse.Namespace, system: ir.System) -> tuple[tuple[str, int], ...]:
    """Each parameter's one value: the one given, else its lowest allowed (nr_irqs 64)."""
    given = parse_params(args.param, system)
    out: list[tuple[str, int]] = []
    for name, p in system.params.items():
        if name in given:
            lo, hi = given[name]
            if lo != hi:
                raise UsageError(f"--param {name}={lo}..{hi}: the explicit-state engine takes one value of each parameter")
            if lo > explicit.MAX_PARAM:
                raise UsageError(
                    f"--param {name}={lo}: the explicit-state engine takes values up to {explicit.MAX_PARAM} "
                    "(each access runs its loops over the whole range); use gicheck prove for more"
                )
            out.append((name, lo))
            continue
        vcpus = (system.vcpus.lo, system.vcpus.hi)
        top = p.type.hi if p.type.hi is not None else p.type.lo
        lowest = next((v for v in range(p.type.lo, top + 1) if value_error(system, name, v, vcpus) is None), None)
        if lowest is None:
            raise UsageError(f"parameter {name}: the spec allows no value of it")
        out.append((name, lowest))
    return tuple(out)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    files = property_files(args.files, root)
    models = find_models(spec)
    groups = pipeline.group_properties(files, set(models))
    overlay = overlay_option(args.overlay, models)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    only = set(args.property) if args.property else None
    limits = explicit.Limits(args.max_states, args.depth, args.max_accesses)
    text: list[str] = []
    results: list[PropertyResult] = []
    declared: set[str] = set()
    for model, srcs in groups.items():
        design = pipeline.load_design(spec, model, property_files=srcs, overlay=overlay)
        vcpus = _vcpus(args, ir.VcpuRange(*design.vcpus))
        system = pipeline.lower(design, vcpus)
        params = _params(args, system)
        system = pipeline.lower(design, vcpus, {n: (v, v) for n, v in params})
        declared |= {p.name for p in system.properties}
        props = selected(system, only)
        if not props:
            continue
        config = explicit.Config((vcpus.lo, vcpus.hi), params, limits)
        found = [explicit.explore(system, p, config).result for p in props]
        shown = "".join(f", {n} {v}" for n, v in params)
        header = (
            f"gicheck explore: model {model} ({spec}), vCPUs {vcpus.lo}..{vcpus.hi}{shown}, {len(props)} "
            f"propert{'y' if len(props) == 1 else 'ies'}, explicit-state, at most {limits.max_states} states, "
            f"{limits.max_depth} steps and {limits.max_accesses} accesses per vCPU count"
        )
        text.append(render_text.render(found, header))
        results += found
    unknown = sorted((only or set()) - declared)
    if unknown:
        raise UsageError(f"--property {', '.join(unknown)}: no such property")
    if not results:
        raise UsageError("nothing was checked: the property files give no property")
    text.append(f"{render_text.summary(results)}\n")
    report(out, args.output, "\n".join(text))
    return exit_code(results)
