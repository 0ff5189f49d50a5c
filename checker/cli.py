"""Command line: argv -> exit code. The only module that prints or exits.

Exit codes: 0 every property proved (or covered); 1 a property violated; 2 usage error;
3 error in a spec or property file; 4 nothing violated but something only bounded, unknown or
not reached; 70 internal error.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from checker.diagnostics import Diagnostic, SpecError, UsageError, format_diagnostic
from checker.engines import Options, check_properties
from checker.lower import lower
from checker.render import json as render_json
from checker.render import text as render_text
from checker.results import Bounded, PropertyResult, Unknown, Unreached, Violated
from checker.sema import find_models, load_design, load_properties
from checker.sema.overlay import Overlay, load_overlays
from checker.sema.resolve import ModelNotFound, property_models

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_SPEC, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gicheck", description="Model-check KVM's vgic: a GIC spec and its properties, proved with Z3.")
    p.add_argument("--debug", action="store_true", help="log each stage and show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    pr = sub.add_parser("prove", help="prove properties for every vCPU count in a range")
    pr.add_argument("files", nargs="*", type=Path, help="property files or directories (default: properties/)")
    pr.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")
    pr.add_argument(
        "--overlay",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="patch the spec with an overlay file (repeatable; all for one model), then prove",
    )
    pr.add_argument("--vcpus", default=None, help="a count N or a range A..B (default: the model's range)")
    pr.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=V|A..B",
        help="fix a spec parameter (param nr_irqs) to a value or a range (default: its whole range)",
    )
    pr.add_argument("--depth", type=int, default=4, help="steps from reset for BMC and the largest k for k-induction (default 4)")
    pr.add_argument("--timeout", type=float, default=None, help="seconds per solver query (default: none)")
    pr.add_argument("--format", choices=["text", "json"], default="text")
    pr.add_argument("--property", action="append", default=None, help="check only this property (repeatable)")
    pr.add_argument("--cti", action="store_true", help="show counterexamples to induction of BOUNDED properties")
    pr.add_argument("--dump-smt", type=Path, default=None, help="write every solver query as SMT-LIB into this directory")
    df = sub.add_parser("diff", help="what a patch changes: properties broken or fixed, actions that behave differently")
    df.add_argument(
        "sides",
        nargs="*",
        metavar="SIDE",
        help="OLD NEW, each a spec directory, overlay files, or DIR+OVERLAY[+OVERLAY]; NEW given as overlays alone "
        "patches OLD; one overlay alone patches the default spec",
    )
    df.add_argument(
        "--rev", default=None, metavar="A..B", help="compare two git revisions of this repository's spec/ and properties/"
    )
    df.add_argument(
        "--properties",
        action="append",
        type=Path,
        default=None,
        metavar="PATH",
        help="property files or directories to check on both sides (default: each side's properties/)",
    )
    df.add_argument("--no-properties", action="store_true", help="compare the actions only")
    df.add_argument("--model", default=None, help="diff only this model")
    df.add_argument("--vcpus", default=None, help="a count N or a range A..B (default: each model's range)")
    df.add_argument("--param", action="append", default=[], metavar="NAME=V|A..B")
    df.add_argument("--depth", type=int, default=4, help="steps from reset for the searches (default 4)")
    df.add_argument("--timeout", type=float, default=None, help="seconds per solver query")
    df.add_argument("--property", action="append", default=None, help="check only this property (repeatable)")
    df.add_argument(
        "--action",
        action="append",
        default=None,
        metavar="NAME",
        help="compare only this action, as the output names it: GICR_IGROUPR0.read, acknowledge, GICD.write (repeatable)",
    )
    df.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="NAME",
        help="an action, register, system register, frame or state the patch means to change (repeatable)",
    )
    df.add_argument(
        "--expect-broken",
        action="append",
        default=[],
        metavar="PROPERTY",
        help="a property of the old side the patch means to break (repeatable)",
    )
    df.add_argument("--format", choices=["text", "json"], default="text")
    ls = sub.add_parser("list", help="list the models, their registers and actions, and the properties")
    ls.add_argument("files", nargs="*", type=Path)
    ls.add_argument("--spec", type=Path, default=None)
    ls.add_argument("--overlay", action="append", type=Path, default=[], metavar="FILE")
    return p


def parse_vcpus(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", text)
    if not m:
        raise UsageError(f"--vcpus takes a count N or a range A..B, not '{text}'")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if lo < 1:
        raise UsageError(f"vCPU range {lo}..{hi} starts at {lo}: a VM has at least one vCPU")
    if hi < lo:
        raise UsageError(f"vCPU range {lo}..{hi} is empty")
    return lo, hi


def parse_params(items: list[str], design_params: dict[str, object]) -> dict[str, tuple[int, int]]:
    """`--param nr_irqs=128` or `--param nr_irqs=64..256`, checked against the model's params."""
    out: dict[str, tuple[int, int]] = {}
    for item in items:
        m = re.fullmatch(r"\s*(\w+)\s*=\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", item)
        if not m:
            raise UsageError(f"--param takes NAME=V or NAME=A..B, not '{item}'")
        name, lo = m.group(1), int(m.group(2))
        hi = int(m.group(3)) if m.group(3) else lo
        if name not in design_params:
            known = ", ".join(sorted(design_params)) or "none"
            raise UsageError(f"--param {name}: the model has no parameter '{name}' (parameters: {known})")
        t = design_params[name].type  # type: ignore[attr-defined]
        if hi < lo or lo < t.lo or hi > t.hi:
            raise UsageError(f"--param {name}={lo}..{hi} is outside {name}'s range {t.lo}..{t.hi}")
        out[name] = (lo, hi)
    return out


def _find_root() -> Path:
    here = Path.cwd()
    for d in [here, *here.parents]:
        if (d / "spec").is_dir() and (d / "properties").is_dir():
            return d
    raise UsageError("no spec/ directory here or above; give --spec DIR")


def _property_files(args_files: list[Path], root: Path | None) -> list[Path]:
    if not args_files:
        if root is None:
            raise UsageError("no property files given and no properties/ directory found")
        args_files = [root / "properties"]
    out: list[Path] = []
    for f in args_files:
        if f.is_dir():
            out += sorted(f.rglob("*.prop"))
        elif f.is_file():
            out.append(f)
        else:
            raise UsageError(f"no such file or directory: {f}")
    if not out:
        raise UsageError(f"no .prop files in {', '.join(map(str, args_files))}")
    return out


def _spec_root(spec: Path | None) -> tuple[Path, Path | None]:
    if spec is not None:
        if not spec.is_dir():
            raise UsageError(f"--spec {spec}: not a directory")
        return spec, None
    root = _find_root()
    return root / "spec", root


def _exit_code(results: list[PropertyResult]) -> int:
    if any(isinstance(r.verdict, Violated) for r in results):
        return EXIT_VIOLATED
    if any(isinstance(r.verdict, (Bounded, Unknown, Unreached)) for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK


def cmd_prove(args: argparse.Namespace, out: TextIO) -> int:
    spec, root = _spec_root(args.spec)
    files = _property_files(args.files, root)
    if args.depth < 1:
        raise UsageError("--depth must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    models = find_models(spec)
    groups, errors = property_models(files, set(models))
    if errors:
        raise SpecError(errors)
    overlay = _overlay(args.overlay, models)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    requested = parse_vcpus(args.vcpus) if args.vcpus else None
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
        design = load_design(spec, model, overlay=overlay)
        load_properties(design, srcs)
        vcpus = requested or design.vcpus
        lo, hi = design.vcpus
        note = ""
        if not (lo <= vcpus[0] and vcpus[1] <= hi):
            clipped = (max(lo, vcpus[0]), min(hi, vcpus[1]))
            if len(groups) == 1 or clipped[0] > clipped[1]:
                if len(groups) == 1:
                    raise UsageError(f"model {model} allows {lo}..{hi} vCPUs; --vcpus {vcpus[0]}..{vcpus[1]} is outside it")
                emit(
                    f"gicheck prove: model {model} skipped: it allows {lo}..{hi} vCPUs, none of --vcpus {vcpus[0]}..{vcpus[1]}\n"
                )
                continue
            # several models: each checks the part of the request it allows (GICv2 stops at 8)
            note = f" (of --vcpus {vcpus[0]}..{vcpus[1]}, the model allows {lo}..{hi})"
            vcpus = clipped
        pins = parse_params(args.param, design.params)  # type: ignore[arg-type]
        system = lower(design, vcpus, pins)
        only = set(args.property) if args.property else None
        if only:
            unknown = only - {p.name for p in system.properties}
            if unknown and len(groups) == 1:
                raise UsageError(f"no property named {', '.join(sorted(unknown))} in model {model}")
        t0 = time.perf_counter()
        results = check_properties(system, Options(vcpus, args.depth, args.timeout, dump), only)
        dt = time.perf_counter() - t0
        n = len(results)
        ranges = "".join(
            f", {p.name} {p.type.lo}" + (f"..{p.type.hi}" if p.type.hi != p.type.lo else "") for p in system.params.values()
        )
        header = (
            f"gicheck prove: model {model} ({spec}), vCPUs {vcpus[0]}..{vcpus[1]}{note}{ranges}, {n} propert{'y' if n == 1 else 'ies'}, "
            f"depth {args.depth}"
        )
        emit(render_text.render(results, header, args.cti) + f"\n{model}: {render_text.summary(results)} in {dt:.1f}s\n")
        meta_models.append(
            {
                "model": model,
                "spec": str(spec),
                "vcpus": list(vcpus),
                "depth": args.depth,
                "seconds": round(dt, 3),
                "params": {p.name: [p.type.lo, p.type.hi] for p in system.params.values()},
            }
        )
        all_results += results
    code = _exit_code(all_results)
    if args.format == "json":
        out.write(render_json.render(all_results, {"models": meta_models, "exit_code": code}))
    return code


def _overlay(paths: list[Path], models: Mapping[str, object]) -> Overlay | None:
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


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    spec, root = _spec_root(args.spec)
    models = find_models(spec)
    overlay = _overlay(args.overlay, models)
    for name, info in sorted(models.items()):
        if overlay is not None and name != overlay.model:
            continue
        design = load_design(spec, name, overlay=overlay)
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
    files = _property_files(args.files, root) if (args.files or root) else []
    groups, errors = property_models(files, set(models))
    if errors:
        raise SpecError(errors)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    for model, srcs in groups.items():
        design = load_design(spec, model, overlay=overlay)
        load_properties(design, srcs)
        out.write(f"properties of model {model}:\n")
        for ref in design.refinements:
            cases = ", ".join(dict.fromkeys(c.action for c in ref.cases))
            out.write(f"  {'refinement':<12} {ref.handler:<36} every access is a step of {cases}, or changes nothing\n")
        for p in design.properties:
            kind = type(p).__name__.lower()
            first = p.doc.splitlines()[0] if p.doc else ""
            out.write(f"  {kind:<12} {p.name:<36} {first}\n")
    return EXIT_OK


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=err, format="%(name)s: %(message)s")
    try:
        args = _parser().parse_args(argv)
        if args.command == "prove":
            return cmd_prove(args, out)
        if args.command == "list":
            return cmd_list(args, out)
        if args.command == "diff":
            from checker.diffcmd import cmd_diff

            return cmd_diff(args, out, err)
        raise UsageError(f"unknown command {args.command}")
    except UsageError as e:
        err.write(f"gicheck: error: {e}\n")
        return EXIT_USAGE
    except SpecError as e:
        sources: dict[str, str] = {}
        for d in e.diagnostics:
            err.write(format_diagnostic(d, sources) + "\n")
        n = len(e.diagnostics)
        err.write(f"gicheck: {n} error{'s' if n != 1 else ''}\n")
        return EXIT_SPEC
    except ModelNotFound as e:
        err.write(f"gicheck: error: {e.args[0] if e.args else e}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("gicheck: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`gicheck prove | head`): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        except OSError:
            pass
        return 141
    except Exception:  # noqa: BLE001 - the one place internal errors become a message
        err.write("gicheck: internal error: this is a bug in gicheck, please report it with the command and files used.\n")
        if debug:
            err.write(traceback.format_exc())
        else:
            err.write("gicheck: run again with --debug for the traceback.\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
