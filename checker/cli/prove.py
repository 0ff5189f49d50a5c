"""`gicheck prove`: prove the properties of each model for every vCPU count in a range."""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from checker import ir, pipeline
from checker.cli.codes import ExitCode
from checker.cli.common import (
    check_search_options,
    cluster_module,
    find_models,
    output_dir,
    output_file,
    overlay_option,
    parse_params,
    property_files,
    report,
    requested_vcpus,
    spec_root,
    trace_dir,
)
from checker.cli.stream import ModelOut, Stream
from checker.diagnostics import UsageError
from checker.engines import Options, Solver, cache, pool
from checker.engines.prove import selected
from checker.engines.search import VacuityCheck
from checker.files import write_atomic
from checker.render import c as render_c
from checker.render import json as render_json
from checker.render import junit as render_junit
from checker.render import sarif as render_sarif
from checker.results import Bounded, InternalError, PropertyResult, Unknown, Unreached, Violated
from checker.sema.overlay import Overlay
from checker.syntax import ast as A
from checker.traces import itf
from checker.traces.files import TraceOut, write_traces

if TYPE_CHECKING:
    from checker.cli.cluster import Cluster


def exit_code(results: list[PropertyResult], strict: bool = False) -> ExitCode:
    if any(isinstance(r.verdict, InternalError) for r in results):
        return ExitCode.INTERNAL
    if any(isinstance(r.verdict, Violated) for r in results):
        return ExitCode.VIOLATED
    if strict and any(r.vacuity is not None for r in results):
        return ExitCode.VACUOUS
    if any(isinstance(r.verdict, (Bounded, Unknown, Unreached)) for r in results):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _smt_dumper(directory: Path | None) -> Callable[[str], None] | None:
    """--dump-smt: each solver query into its own numbered file."""
    if directory is None:
        return None
    output_dir("--dump-smt", directory)
    counter = [0]

    def dump(text: str) -> None:
        counter[0] += 1
        write_atomic(directory / f"query{counter[0]:04d}.smt2", text)

    return dump


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


@dataclass(frozen=True)
class _Model:
    """A model ready to check: its job for the pool, and its part of the output."""

    job: pool.Job
    out: ModelOut
    meta: dict[str, Any]
    declared: set[str]  # every property of the model, checked or not


def _load_model(run: _Run, model: str, srcs: list[A.SourceFile], paths: list[Path], err: TextIO) -> _Model | None:
    """Load one model's system and register it for the workers; None when the model is skipped."""
    args = run.args
    design = pipeline.load_design(run.spec, model, property_files=srcs, overlay=run.overlay)
    vcpus, note = _vcpus_for(run, model, ir.VcpuRange(*design.vcpus))
    if vcpus is None:
        err.write(note)
        return None
    system = pipeline.lower(design, vcpus)
    pins = parse_params(args.param, system)
    if pins:
        system = pipeline.lower(design, vcpus, pins)
    only = set(args.property) if args.property else None
    source = pool.Source(
        run.spec.resolve(),
        model,
        tuple(p.resolve() for p in paths),
        tuple(p.resolve() for p in args.overlay),
        (system.vcpus.lo, system.vcpus.hi),
        tuple((n, lo, hi) for n, (lo, hi) in sorted(pins.items())),
    )
    pool.register(source, system)
    names = [p.name for p in selected(system, only)]
    claims = [r.handler for r in system.refinements]
    n = len(names)
    ranges = "".join(
        f", {p.name} {p.type.lo}" + (f"..{p.type.hi}" if p.type.hi != p.type.lo else "") for p in system.params.values()
    )
    header = (
        f"gicheck prove: model {model} ({run.spec}), vCPUs {system.vcpus.lo}..{system.vcpus.hi}{note}{ranges}, "
        f"{n} propert{'y' if n == 1 else 'ies'}, depth {args.depth}"
        + ("" if args.solver == Solver.Z3 else f", solver {args.solver}")
    )
    width = max((len(x) for x in names + claims), default=10)
    shown_vcpus = f"vCPUs {system.vcpus.lo}..{system.vcpus.hi}"
    meta = {
        "model": model,
        "spec": str(run.spec),
        "vcpus": list(system.vcpus),
        "depth": args.depth,
        "params": {p.name: [p.type.lo, p.type.hi] for p in system.params.values()},
        "solver": args.solver,
    }
    job = pool.Job(
        source,
        Options(
            system.vcpus,
            args.depth,
            args.timeout,
            run.dump,
            memory_mb=args.memory,
            vacuity=VacuityCheck(args.vacuity),
            search_time=args.search_time,
            solver=Solver(args.solver),
            cache_dir=None if args.no_cache or run.dump is not None else cache.default_dir(),
        ),
        frozenset(only) if only else None,
        claims_first=True,
    )
    return _Model(job, ModelOut(model, shown_vcpus, header, names, claims, width), meta, {p.name for p in system.properties})


def _check_selection(args: argparse.Namespace, models: list[_Model]) -> None:
    """A --property that names no property of any model, or a run with nothing to check, is a
    usage error: it would report success having checked nothing."""
    if not models:
        raise UsageError("nothing was checked: every model was skipped")
    names = sorted(m.out.model for m in models)
    where = f"model{'s' if len(names) > 1 else ''} {', '.join(names)}"
    declared = set().union(*(m.declared for m in models))
    unknown = sorted(set(args.property or ()) - declared)
    if unknown:
        near = sorted({n for u in unknown for n in difflib.get_close_matches(u, declared, n=3)})
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UsageError(f"--property {', '.join(unknown)}: no such property in {where}{hint}")
    if not any(m.out.names for m in models):
        raise UsageError(f"nothing was checked: the property files give no property of {where}")


def _check(args: argparse.Namespace, models: list[_Model], stream: Stream, remote: Cluster | None) -> None:
    """Run every model's units: on a Dask cluster (--scheduler), in this process (--jobs 1, or
    --dump-smt, whose files are numbered in the order of one process's queries), or on a pool of
    processes."""
    jobs = [m.job for m in models]
    if remote is not None:
        remote.run(jobs, stream.on_done)
        return
    workers = min(args.jobs, sum(len(m.out.names) for m in models))
    if workers <= 1 or args.dump_smt is not None:
        pool.run_serial(jobs, stream.on_done)
        return
    with pool.local_pool(workers, [j.source for j in jobs]) as executor:
        try:
            pool.run_parallel(executor, jobs, stream.on_done)
        except BaseException:
            pool.stop_workers(executor)
            raise


def _write_traces(run: _Run, m: _Model) -> None:
    """--trace-out: the files of each trace of one model's results."""
    assert run.trace_out is not None
    origin = itf.Origin(run.spec, tuple(run.args.overlay))
    written = write_traces(pool.system_for(m.job.source), m.out.ordered(), TraceOut(run.trace_out, origin))
    run.err.write(f"gicheck prove: {len(written)} trace file{'s' if len(written) != 1 else ''} written to {run.trace_out}\n")


def _with_seconds(meta: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The model's JSON record with its time, after the depth (where readers have found it)."""
    out: dict[str, Any] = {}
    for k, v in meta.items():
        out[k] = v
        if k == "depth":
            out["seconds"] = seconds
    return out


@dataclass(frozen=True)
class _Where:
    """The files to check, and the cluster to check them on (--scheduler) if not this machine."""

    spec: Path
    files: list[Path]
    remote: Cluster | None = None


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    files = property_files(args.files, root)
    check_search_options(args)
    if args.solver == Solver.CVC5 and importlib.util.find_spec("cvc5") is None:
        raise UsageError("--solver cvc5: the cvc5 package is not installed (pip install 'gicheck[cvc5]')")
    output_file(args.output)
    if args.scheduler is None:
        return _prove(args, _Where(spec, files), out, err)
    if args.jobs is not None:
        raise UsageError("--jobs and --scheduler: give one (on a cluster, its workers decide how many units run at once)")
    if args.dump_smt is not None:
        raise UsageError("--dump-smt writes the queries of one process: not with --scheduler")
    with cluster_module().connect(args.scheduler) as remote:
        return _prove(args, _Where(spec, files, remote), out, err)


def _prove(args: argparse.Namespace, where: _Where, out: TextIO, err: TextIO) -> int:
    """The run, its units on a Dask cluster or on this machine."""
    spec, files = where.spec, where.files
    if args.jobs is None:
        args.jobs = pool.default_jobs()
    models = find_models(spec)
    groups = pipeline.group_properties(files, set(models))
    overlay = overlay_option(args.overlay, models)
    if overlay is not None:
        groups = {m: srcs for m, srcs in groups.items() if m == overlay.model} or {overlay.model: []}
    context = _Run(
        args, spec, overlay, requested_vcpus(args), len(groups) > 1, _smt_dumper(args.dump_smt), trace_dir(args.trace_out), err
    )
    loaded = [m for model, srcs in groups.items() if (m := _load_model(context, model, srcs, files, err)) is not None]
    _check_selection(args, loaded)
    text = io.StringIO() if args.output is not None or args.format != "text" else out
    stream = Stream(text, [m.out for m in loaded], quiet=args.quiet, show_cti=args.cti)
    try:
        with stream:
            _check(args, loaded, stream, where.remote)
    except KeyboardInterrupt:
        err.write(
            f"gicheck: interrupted: {stream.finished} of {stream.total} properties had finished"
            + (" (their lines are above)\n" if text is out else "\n")
        )
        return ExitCode.INTERRUPTED
    all_results = [r for m in loaded for r in m.out.ordered()]
    if context.trace_out is not None:
        for m in loaded:
            _write_traces(context, m)
    code = exit_code(all_results, args.strict)
    names = [m.out.model for m in loaded]
    match args.format:
        case "text":
            if text is not out and isinstance(text, io.StringIO):
                report(out, args.output, text.getvalue())
        case "json":
            meta_models = [_with_seconds(m.meta, round(stream.elapsed(m.out), 3)) for m in loaded]
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
