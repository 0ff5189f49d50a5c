"""Properties checked on every core: the work units, the worker functions that run one, and the
loop that hands them to an executor (a local process pool, or a Dask cluster's executor from
cli/cluster.py: cli/prove.py chooses).

Each property is a unit of its own. An invariant may assume those proved before it, and any
other property every invariant proved, as in a serial run, but only those whose state lies in
its cone: a unit starts once those have finished (Plan), so the properties no invariant speaks
of do not wait for the model's invariants. Each worker keeps one Refiner per system, so a
`refines` claim is proved at most once per worker, and a claim a finished unit checked is
handed to the units started after it, so no worker checks it again. `gicheck prove` checks a
claim an invariant or cover will need first, in a unit of its own that the units whose cone
holds the handler wait for (Job.claims_first); otherwise two units running at once may both
check it (the claims' verdicts are the same either way, and the results list each claim once).

A unit names its system by a Source. The local pool's workers receive the loaded systems when
they start, a cluster's when they join the run (receive; forget at its end); a worker without
one loads it from the Source's paths, which must then be the same on its machine. A cluster runs
the same units through run_on_cluster, so its results, and the proof cache's keys, are those of
the local pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from checker import ir, mutants
from checker.engines import cache
from checker.engines.prove import check_chain, selected
from checker.engines.refinement import Refiner
from checker.engines.search import Options
from checker.engines.specialize import cone_for
from checker.irwalk import state_reads
from checker.results import PropertyResult, Proved


@dataclass(frozen=True)
class Source:
    """Where a system comes from: enough for a worker on another machine to load it again."""

    spec: Path
    model: str
    property_files: tuple[Path, ...] = ()
    overlays: tuple[Path, ...] = ()
    vcpus: tuple[int, int] | None = None
    params: tuple[tuple[str, int, int], ...] = ()
    mutant: int | None = None  # gicheck mutate: the system with this mutant (checker/mutants.py)

    @property
    def base(self) -> Source:
        """The source of the system without the mutant."""
        return replace(self, mutant=None)

    def load(self) -> ir.System:
        if self.mutant is not None:
            return _mutant_system(self)
        from checker import pipeline  # a worker's first unit; the engines never need the front end otherwise
        from checker.sema.overlay import load_overlays

        files = pipeline.group_properties(list(self.property_files)).get(self.model, [])
        overlay = load_overlays(list(self.overlays)) if self.overlays else None
        design = pipeline.load_design(self.spec, self.model, property_files=files, overlay=overlay)
        return pipeline.lower(design, self.vcpus, {n: (lo, hi) for n, lo, hi in self.params})


_SYSTEMS: dict[Source, ir.System] = {}
_REFINERS: dict[tuple[Source, Options], Refiner] = {}


def register(source: Source, system: ir.System) -> None:
    """Make `system` the one `source` names in this process (and in workers forked after)."""
    _SYSTEMS[source] = system


# How many runs gave each system to this process (receive), on a cluster's long-lived worker
# that several runs may share.
_HELD: dict[Source, int] = {}


def receive(systems: dict[Source, ir.System]) -> None:
    """A run's systems, given to a cluster's worker (cli/cluster.py) for the run."""
    for source, system in systems.items():
        _SYSTEMS[source] = system
        _HELD[source] = _HELD.get(source, 0) + 1


def forget(sources: Iterable[Source]) -> None:
    """A run's end on a cluster's worker: its systems, and the Refiners of those, are dropped
    once no other run that gave them holds them, so that a worker serving many runs does not
    keep every system, and a later run with the same Source, whose files may have changed,
    starts afresh."""
    for source in sources:
        _HELD[source] = _HELD.get(source, 1) - 1
        if _HELD[source] > 0:
            continue
        del _HELD[source]
        _MUTANTS.pop(source, None)
        for held in [s for s in _SYSTEMS if s.base == source]:
            del _SYSTEMS[held]
        for key in list(_REFINERS):
            if key[0].base == source:
                _REFINERS.pop(key, None)


def system_for(source: Source) -> ir.System:
    if source not in _SYSTEMS:
        _SYSTEMS[source] = source.load()
    return _SYSTEMS[source]


# gicheck mutate: a worker keeps the systems (and Refiners) of its last few mutants only; a
# mutant's system is its base's with one handler replaced, remade at once when asked again.
_MUTANTS_KEPT = 8
_MUTANTS: dict[Source, list[mutants.Mutant]] = {}


def _mutant_system(source: Source) -> ir.System:
    base = system_for(source.base)
    if source.base not in _MUTANTS:
        _MUTANTS[source.base] = mutants.enumerate_mutants(base)
    held = [s for s in _SYSTEMS if s.mutant is not None]
    for old in held[: max(0, len(held) - _MUTANTS_KEPT + 1)]:
        del _SYSTEMS[old]
        for key in [k for k in _REFINERS if k[0] == old]:
            del _REFINERS[key]
    return mutants.apply(base, _MUTANTS[source.base][source.mutant])  # type: ignore[index]


@dataclass(frozen=True)
class Unit:
    """Properties of one system checked in order by one worker, assuming `proved` (invariants
    proved by earlier units)."""

    source: Source
    names: tuple[str, ...]
    opts: Options
    proved: tuple[str, ...] = ()
    # `refines` claims earlier units checked: no worker checks them again
    claims: tuple[PropertyResult, ...] = ()
    # a unit with no properties that checks this handler's `refines` claim (Job.claims_first)
    claim: str | None = None


@dataclass(frozen=True)
class Done:
    """A unit's results, and the refinement claims its worker has checked so far."""

    unit: Unit
    results: tuple[PropertyResult, ...]
    refinements: tuple[PropertyResult, ...]


def run_unit(unit: Unit) -> Done:
    """The worker function: the same on a local pool and on a cluster."""
    system = system_for(unit.source)
    key = (unit.source, unit.opts)
    if key not in _REFINERS:
        _REFINERS[key] = Refiner(system, unit.opts)
    refiner = _REFINERS[key]
    for claim in unit.claims:
        refiner.results.setdefault(claim.name, claim)
    if unit.claim is not None:
        refiner.result(unit.claim)
    props = {p.name: p for p in system.properties}
    proved = {n: p.body for n in unit.proved if isinstance(p := props[n], ir.Invariant)}
    results = check_chain(system, [props[n] for n in unit.names], unit.opts, proved, refiner)
    return Done(unit, tuple(results), tuple(refiner.results.values()))


# A Dask worker may run tasks in several threads of one process; the solver's parameters
# (z3.set_param), the systems and the Refiners above are that process's, shared by its threads.
_ONE_AT_A_TIME = threading.Lock()


def run_on_cluster(unit: Unit) -> Done:
    """The worker function on a cluster: run_unit, one unit at a time in each worker process,
    with the proof cache in the worker machine's own cache directory ($XDG_CACHE_HOME there), not
    the submitting machine's. The cache's keys do not depend on where it is."""
    here = unit if unit.opts.cache_dir is None else replace(unit, opts=replace(unit.opts, cache_dir=cache.default_dir()))
    with _ONE_AT_A_TIME:
        done = run_unit(here)
    return replace(done, unit=unit)


@dataclass(frozen=True)
class Job:
    """One model's check: its system's source, the run's options, the properties asked for."""

    source: Source
    opts: Options
    only: frozenset[str] | None = None
    # invariants its properties may assume without their being checked here (gicheck mutate's
    # first pass, which keeps only violations: each a trace replayed from reset, whatever the
    # one-step query assumed); a job with invariants to check assumes only those it proves
    assumed: tuple[str, ...] = ()
    # a `refines` claim an asked invariant or cover will need (its induction or search from
    # reset runs on the handler's transitions) is a unit of its own, started first, and the
    # units whose cone holds the handler wait for it, so that two workers do not both check
    # it; not for gicheck mutate, whose mutants' jobs stop at their first kill, often before
    # any search needs the claim
    claims_first: bool = False


def _asked(job: Job) -> list[ir.Property]:
    return selected(system_for(job.source), set(job.only) if job.only is not None else None)


class Plan:
    """One job's units, each property a unit of its own, and when each may start: once every
    invariant it could assume has finished. That is each asked invariant declared before it
    (every one, for a property that is not an invariant) whose state lies within its cone,
    since prove.check_one assumes no other (CheckContext.assumable); so each unit assumes what
    it would in a serial run, and a property no invariant speaks of starts at once rather than
    waiting for the model's invariants. The `refines` claims of finished units are handed to
    the units started after them; with Job.claims_first, a claim an invariant or cover needs
    is a unit started first, which the units whose cone holds its handler wait for."""

    def __init__(self, job: Job):
        self.job = job
        system = system_for(job.source)
        props = _asked(job)
        invariants = [p for p in props if isinstance(p, ir.Invariant)]
        reads = {i.name: state_reads(i.body, system) for i in invariants}
        cones = {p.name: cone_for(system, p) for p in props}
        self.waits: dict[str, tuple[str, ...]] = {}
        for p in [*invariants, *(p for p in props if not isinstance(p, ir.Invariant))]:
            before = invariants[: invariants.index(p)] if isinstance(p, ir.Invariant) else invariants
            inside = set(cones[p.name].states)
            self.waits[p.name] = tuple(i.name for i in before if reads[i.name] <= inside)
        searched = [cones[p.name] for p in props if isinstance(p, (ir.Invariant, ir.Cover))]
        first = [r.handler for r in system.refinements if job.claims_first and any(r.handler in c.actions for c in searched)]
        self.to_claim = list(first)  # claim units not yet handed out
        self.claim_waits = {p.name: tuple(h for h in first if h in cones[p.name].actions) for p in props}
        # a job that checks invariants assumes only those it proves (Job.assumed)
        self.assumed = () if invariants else job.assumed
        self.proved: dict[str, bool] = {}  # finished invariants: proved or not
        self.claims: dict[str, PropertyResult] = {}

    def ready(self) -> list[Unit]:
        """The units that may start now, in declaration order (claims, then invariants first);
        each once."""
        out = [Unit(self.job.source, (), self.job.opts, claim=h) for h in self.to_claim]
        self.to_claim = []
        for name, waits in list(self.waits.items()):
            if all(w in self.proved for w in waits) and all(h in self.claims for h in self.claim_waits[name]):
                del self.waits[name]
                proved = (*self.assumed, *(w for w in waits if self.proved[w]))
                out.append(Unit(self.job.source, (name,), self.job.opts, proved, claims=tuple(self.claims.values())))
        return out

    def finished(self, done: Done) -> list[Unit]:
        """Record a unit's results; the units that may start now."""
        for r in done.results:
            self.proved[r.name] = isinstance(r.verdict, Proved)
        for c in done.refinements:
            self.claims.setdefault(c.name, c)
        return self.ready()


OnDone = Callable[[int, Done], None]  # (the job's index, a unit's results)
Stop = Callable[[int], bool]  # whether a job needs no more of its units (gicheck mutate: killed)


def _never(i: int) -> bool:
    return False


def run_serial(jobs: Sequence[Job], on_done: OnDone, stop: Stop = _never) -> None:
    """Each job's units in order in this process: the serial run."""
    for i, job in enumerate(jobs):
        plan = Plan(job)
        units = plan.ready()
        while units and not stop(i):
            done = run_unit(units.pop(0))
            on_done(i, done)
            units += plan.finished(done)


@dataclass(frozen=True)
class Work:
    """How run_parallel runs units: the worker function, and when a job is done early."""

    run: Callable[[Unit], Done] = run_unit
    stop: Stop = _never


def run_parallel(
    executor: Executor, jobs: Sequence[Job], on_done: OnDone, work: Callable[[Unit], Done] | Work = run_unit
) -> None:
    """Every job's units on `executor`, each run by `work` (run_unit, or run_on_cluster), each
    submitted once the invariants it may assume have finished (Plan), invariants first.
    `on_done` runs in this process as units finish, in the order they finish. Once `work.stop`
    says a job is done, its queued units are cancelled and its follow-ups never submitted."""
    how = work if isinstance(work, Work) else Work(work)
    pending: dict[Future[Done], int] = {}
    plans = [Plan(job) for job in jobs]
    for i, plan in enumerate(plans):
        for unit in plan.ready():
            pending[executor.submit(how.run, unit)] = i
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for f in sorted(finished, key=lambda f: pending[f]):
            i = pending.pop(f)
            if f.cancelled():
                continue
            done = f.result()
            on_done(i, done)
            if how.stop(i):
                for g in [g for g, j in pending.items() if j == i and g.cancel()]:
                    del pending[g]
                continue
            for unit in plans[i].finished(done):
                pending[executor.submit(how.run, unit)] = i


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_start(systems: dict[Source, ir.System]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers and reports, so a
    # worker must not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SYSTEMS.update(systems)


def local_pool(workers: int, sources: Sequence[Source]) -> ProcessPoolExecutor:
    """A process pool whose workers start with the systems `sources` name (sent once to each,
    pickled: cheaper than loading them again; of a mutant's source, its base's). Workers come from a fork server, not a fork of
    this process, which may hold threads (a test runner's) whose locks a fork would copy held."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    systems = {s.base: system_for(s.base) for s in sources}
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=_worker_start, initargs=(systems,)
    )


def stop_workers(executor: ProcessPoolExecutor) -> None:
    """Stop a pool at once (Ctrl-C, an error): queued units are dropped, running ones killed.
    The workers are the fork server's children, not this process's, so only the executor knows
    them; Python 3.11 has no public call for this (3.14's terminate_workers)."""
    workers = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
