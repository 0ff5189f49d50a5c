"""`gicheck mutate`: how strong the properties are: mutants of the spec's handlers, the property
suite run on each, the kill rate per model and per spec file (engines/mutate.py)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checker import ir, mutants, pipeline
from checker.cli.codes import ExitCode
from checker.cli.common import cluster_module, find_models, property_files, spec_root
from checker.diagnostics import UsageError
from checker.engines import Options, cache, pool
from checker.engines.mutate import Plan, Runner, run_plan
from checker.engines.search import VacuityCheck
from checker.render import mutate as render
from checker.results import MutantStatus, MutationReport

if TYPE_CHECKING:
    from checker.cli.cluster import Cluster

# The vCPU counts checked when --vcpus is not given: two, so that a mutant of what one vCPU does
# to another (SGIs, routing) can be told apart; every answer holds for this range only.
DEFAULT_VCPUS = "1..2"
DEFAULT_TIMEOUT = 30.0


def spread(chosen: list[mutants.Mutant], limit: int | None) -> list[mutants.Mutant]:
    """At most `limit` of the mutants, spread evenly over the enumeration (every handler's
    mutants are together in it, so the first N would be a few handlers' only)."""
    if limit is None or len(chosen) <= limit:
        return chosen
    return [chosen[i * len(chosen) // limit] for i in range(limit)]


def _only(paths: list[Path]) -> dict[Path, Path]:
    """--only FILE: each resolved, to the name given."""
    out: dict[Path, Path] = {}
    for p in paths:
        if not p.is_file():
            raise UsageError(f"--only {p}: no such file")
        out[p.resolve()] = p
    return out


def _plans(args: argparse.Namespace, spec: Path, files: list[Path]) -> list[Plan]:
    requested = ir.VcpuRange.parse(args.vcpus)
    models = find_models(spec)
    if args.model is not None and args.model not in models:
        raise UsageError(f"--model {args.model}: no such model (models: {', '.join(sorted(models))})")
    groups = pipeline.group_properties(files, set(models))
    only = _only(args.only)
    seen: set[Path] = set()
    plans = []
    for model, srcs in sorted(groups.items()):
        if args.model is not None and model != args.model:
            continue
        design = pipeline.load_design(spec, model, property_files=srcs)
        vcpus = requested.clip(design.vcpus)
        if vcpus is None:
            continue
        system = pipeline.lower(design, vcpus)
        source = pool.Source(spec.resolve(), model, tuple(p.resolve() for p in files), (), (vcpus.lo, vcpus.hi))
        pool.register(source, system)
        every = mutants.enumerate_mutants(system)
        chosen = [m for m in every if not only or Path(m.span.file).resolve() in only]
        seen |= {Path(m.span.file).resolve() for m in every}
        opts = Options(
            vcpus,
            args.depth,
            args.timeout,
            vacuity=VacuityCheck.NONE,
            search_time=args.timeout,
            cache_dir=None if args.no_cache else cache.default_dir(),
        )
        plans.append(Plan(source, opts, tuple(spread(chosen, args.limit)), len(every)))
    for p, given in only.items():
        if p not in seen:
            raise UsageError(f"--only {given}: no handler of the models checked is written in this file")
    if not plans:
        raise UsageError(f"nothing to mutate: no model with properties allows --vcpus {requested.lo}..{requested.hi}")
    return plans


@contextmanager
def _local(workers: int, sources: Sequence[pool.Source]) -> Iterator[Runner]:
    if workers <= 1:
        yield pool.run_serial
        return
    with pool.local_pool(workers, sources) as executor:

        def run(jobs: Sequence[pool.Job], on_done: pool.OnDone, stop: pool.Stop) -> None:
            pool.run_parallel(executor, jobs, on_done, pool.Work(stop=stop))

        try:
            yield run
        except BaseException:
            pool.stop_workers(executor)
            raise


def _exit_code(reports: list[MutationReport], min_rate: float) -> ExitCode:
    rates = [r.kill_rate() for r in reports]
    if any(rate is not None and rate * 100 < min_rate for rate in rates):
        return ExitCode.VIOLATED
    if any(r.count(MutantStatus.UNKNOWN) for r in reports):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _mutate(args: argparse.Namespace, plans: list[Plan], run: Runner, out: TextIO, err: TextIO) -> int:
    t0 = time.perf_counter()

    def progress(line: str) -> None:
        if args.verbose:
            err.write(f"gicheck mutate: {line}\n")

    reports = []
    for plan in plans:
        progress(f"model {plan.source.model}: {len(plan.mutants)} of {plan.enumerated} mutants")
        reports.append(run_plan(plan, run, progress))
    seconds = time.perf_counter() - t0
    if args.format == "json":
        out.write(render.to_json(reports, seconds))
    else:
        out.write(render.text(reports, seconds, verbose=args.verbose))
    return _exit_code(reports, args.min_rate)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec, root = spec_root(args.spec)
    files = property_files(args.files, root)
    if not 0 <= args.min_rate <= 100:
        raise UsageError(f"--min-rate {args.min_rate}: a percentage, 0 to 100")
    if args.scheduler is not None and args.jobs is not None:
        raise UsageError("--jobs and --scheduler: give one (on a cluster, its workers decide how many units run at once)")
    plans = _plans(args, spec, files)
    if args.scheduler is None:
        with _local(args.jobs or pool.default_jobs(), [p.source for p in plans]) as runner:
            return _mutate(args, plans, runner, out, err)
    with cluster_module().connect(args.scheduler) as remote:
        return _mutate(args, plans, _on_cluster(remote), out, err)


def _on_cluster(remote: Cluster) -> Runner:
    def run(jobs: Sequence[pool.Job], on_done: pool.OnDone, stop: pool.Stop) -> None:
        remote.run(jobs, on_done, stop)

    return run
