"""`gicheck list`: the models, their registers and actions, and the properties."""

from __future__ import annotations

import argparse
from typing import TextIO

from checker import pipeline
from checker.cli.codes import ExitCode
from checker.cli.common import find_models, overlay_option, property_files, spec_root


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    models = find_models(spec)
    overlay = overlay_option(args.overlay, models)
    for name, info in sorted(models.items()):
        if overlay is not None and name != overlay.model:
            continue
        design = pipeline.load_design(spec, name, overlay=overlay)
        out.write(f"model {name}  ({info.file}), vCPUs {design.vcpus[0]}..{design.vcpus[1]}\n")
        out.writelines(f"  param {prm.name}: {prm.type.lo}..{prm.type.hi}   {prm.span}\n" for prm in design.params.values())
        out.write("  system registers:\n")
        out.writelines(f"    {reg.name:<18} {reg.access:<11} {reg.type}   {reg.span}\n" for reg in design.sysregs.values())
        for f in design.frames.values():
            per = f" per vCPU [{f.index.name}], stride {f.stride:#x}" if f.index is not None else ""
            split = f", {f.split[0]}-bit accesses split {f.split[1]}" if f.split else ""
            out.write(f"  frame {f.name}: {f.size:#x} bytes{per}{split}   {f.span}\n")
            for rn in f.registers:
                r = design.registers[rn]
                if r.index is not None:
                    lo, hi = r.index.type.lo, r.index.type.hi  # type: ignore[union-attr]
                    where = f"{r.offset + lo * r.bytes:#06x}..{r.offset + (hi + 1) * r.bytes - 1:#06x}"  # type: ignore[operator]
                    name = f"{r.name}[{r.index.name}: {lo}..{hi}]"
                else:
                    where, name = f"{r.offset:#06x}", r.name
                widths = "/".join(str(w) for w in r.widths)
                out.write(f"    {where:<17} {name:<30} {r.access:<10} {r.type}, {widths}-bit   {r.span}\n")
        out.write("  environment actions:\n")
        for a in design.actions.values():
            sig = ", ".join(f"{p.name}: {p.type}" for p in a.params)
            out.write(f"    {a.name}({sig})   {a.span}\n")
        out.write("  state:\n")
        out.writelines(f"    {s.name}: {s.type}\n" for s in design.states.values())
    files = property_files(args.files, root) if (args.files or root) else []
    groups = pipeline.group_properties(files, set(models))
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    for model, srcs in groups.items():
        design = pipeline.load_design(spec, model, property_files=srcs, overlay=overlay)
        out.write(f"properties of model {model}:\n")
        for ref in design.refinements:
            cases = ", ".join(dict.fromkeys(c.action for c in ref.cases))
            out.write(f"  {'refinement':<12} {ref.handler:<36} every access is a step of {cases}, or changes nothing\n")
        for p in design.properties:
            kind = type(p).__name__.lower()
            first = p.doc.splitlines()[0] if p.doc else ""
            out.write(f"  {kind:<12} {p.name:<36} {first}\n")
    return ExitCode.OK
