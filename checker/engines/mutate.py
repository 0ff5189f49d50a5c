"""gicheck mutate: how much of the spec's handlers the properties pin down.

1. The original system's properties are checked (the baseline), with the run's options.
2. Each mutant (checker/mutants.py) is a job for engines/pool.py, as a `prove` run's models are:
   its properties are those whose cone of influence (specialize.cone_for, with a contract's access
   folded to its register) reaches the mutated handler, and that the original does not violate
   (a cover: that the original covers). A property violated on the mutant, or a cover the
   mutant no longer reaches, kills it, and its job stops there (pool.Work.stop).
3. A mutant not killed is compared with the original by diff's one-step query
   (engines/diff.py: Differ.one_step): the handler proved the same from every state with every
   argument, or from every state that satisfies the invariants the original proved (so from
   every reachable one), is an equivalent mutant, left out of the kill rate.

Every answer holds for the run's vCPU range and depth only: a survivor may be killed at more
vCPUs or a greater depth, and an equivalent mutant is equivalent for that range.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from checker import ir, mutants
from checker.engines import pool, specialize
from checker.engines.diff import Differ
from checker.engines.search import Options
from checker.engines.specialize import cone_for
from checker.irwalk import reached
from checker.results import (
    Bounded,
    Covered,
    InternalError,
    MutantResult,
    MutantStatus,
    MutationReport,
    PropertyKind,
    PropertyResult,
    Proved,
    Unknown,
    Unreached,
    Violated,
)
from checker.smt import query as q

# Runs jobs and reports each unit's results, skipping the rest of a job once `stop` says so:
# pool.run_serial, pool.run_parallel on a local pool, or a Dask cluster (cli/cluster.py).
Runner = Callable[[Sequence[pool.Job], pool.OnDone, pool.Stop], None]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """One model's mutation run: the original system's source, the options of every check, the
    mutants chosen and how many the model has."""

    source: pool.Source
    opts: Options
    mutants: tuple[mutants.Mutant, ...]
    enumerated: int


def affected(system: ir.System) -> dict[str, set[str]]:
    """Handler name -> the properties whose cone of influence reaches it."""
    out: dict[str, set[str]] = {}
    for p in system.properties:
        sub = cone_for(system, p)
        roots: list[ir.Action] = list(sub.actions.values())
        names = set(sub.actions)
        if isinstance(p, (ir.Contract, ir.Independence)):
            roots.append(specialize.final_action(system, p))
            names.add(p.action)
        names |= {n.action for n in reached(tuple(roots), system) if isinstance(n, ir.Invoke)}
        for n in names:
            out.setdefault(n, set()).add(p.name)
    return out


def kills(r: PropertyResult, before: PropertyResult) -> bool:
    """A mutant's result that tells it from the original: a violation the original does not
    have, or a cover the original reaches that the mutant does not within as many accesses (a
    search whose time ran out decides fewer)."""
    if isinstance(r.verdict, Violated):
        return not isinstance(before.verdict, Violated)
    if isinstance(r.verdict, Unreached) and isinstance(before.verdict, Covered):
        return r.verdict.depth >= len(before.verdict.trace.steps)
    return False


def _can_kill(before: PropertyResult) -> bool:
    if before.kind == PropertyKind.COVER:
        return isinstance(before.verdict, Covered)
    return not isinstance(before.verdict, (Violated, InternalError))


@dataclass
class _Tally:
    """One pass's results as units finish, by mutant, and which mutants are killed (by what,
    first). `order` maps the pass's job index to the mutant's."""

    before: dict[str, PropertyResult]
    order: list[int]
    labels: dict[int, str]
    progress: Progress | None = None
    results: dict[int, list[PropertyResult]] = field(default_factory=dict)
    killed: dict[int, PropertyResult] = field(default_factory=dict)

    def on_done(self, i: int, done: pool.Done) -> None:
        m = self.order[i]
        for r in done.results:
            self.results.setdefault(m, []).append(r)
            if m not in self.killed and kills(r, self.before[r.name]):
                self.killed[m] = r
                if self.progress is not None:
                    self.progress(f"{self.labels[m]}: killed by {r.name}")

    def stop(self, i: int) -> bool:
        return self.order[i] in self.killed


def baseline(plan: Plan, run: Runner) -> dict[str, PropertyResult]:
    """The original system's results, by property."""
    out: dict[str, PropertyResult] = {}

    def keep(i: int, done: pool.Done) -> None:
        out.update({r.name: r for r in done.results})

    run([pool.Job(plan.source, plan.opts)], keep, lambda i: False)
    return out


@dataclass(frozen=True)
class Original:
    """What a mutant's results are read against: the model, the run's depth, the original's
    results by property."""

    model: str
    depth: int
    results: dict[str, PropertyResult]


def no_answer(r: PropertyResult, original: Original) -> str | None:
    """Why a result that does not kill decides nothing: no verdict, or a search that stopped
    (its time ran out) short of the run's depth, or, for a cover the original reaches, short of
    the original's trace."""
    before = original.results[r.name].verdict
    match r.verdict:
        case Unknown(reason=why) | InternalError(reason=why):
            return why
        case Bounded(depth=d, reason=why) if d < original.depth:
            return f"checked to depth {d} of {original.depth} only ({why})"
        case Unreached(depth=d, reason=why) if isinstance(before, Covered) and d < len(before.trace.steps):
            n = len(before.trace.steps)
            return f"not reached within {d} accesses, fewer than the original's trace of {n} ({why})"
    return None


def _result(
    m: mutants.Mutant, original: Original, checked: tuple[str, ...], killed: PropertyResult | None, results: list[PropertyResult]
) -> MutantResult:
    """A mutant's status from its properties' results (before the equivalence check)."""
    base = MutantResult(
        original.model,
        m.index,
        m.handler,
        m.kind,
        str(m.span),
        m.span.file,
        m.description,
        MutantStatus.SURVIVED,
        checked=checked,
    )
    if not checked:
        return replace(base, note="no property's cone of influence reaches this handler")
    if killed is not None:
        how = "violated" if isinstance(killed.verdict, Violated) else "not reached (the original covers it)"
        return replace(base, status=MutantStatus.KILLED, killed_by=killed.name, note=how)
    open_ = [(r.name, why) for r in results if (why := no_answer(r, original)) is not None]
    if open_:
        return replace(base, status=MutantStatus.UNKNOWN, note="no answer from " + "; ".join(f"{n}: {w}" for n, w in open_))
    bounded = [r.name for r in results if isinstance(r.verdict, (Bounded, Unreached))]
    if bounded:
        return replace(base, note=f"only bounded here: {', '.join(bounded)}")
    return base


def equivalence(original: ir.System, m: mutants.Mutant, opts: Options, invariants: list[ir.Expr]) -> tuple[bool, str]:
    """Whether the mutant's handler does what the original's does in one step: from every
    state, or from every state the original's proved invariants allow; and what was found."""
    mutated = mutants.apply(original, m)
    differ = Differ(original, mutated, opts, set())
    a, b = original.action(m.handler), mutated.action(m.handler)
    lo, hi = opts.vcpus
    ans = differ.one_step(a, b)
    if isinstance(ans, q.Unsat):
        return True, f"the same as the original from every state, with every argument (vCPUs {lo}..{hi})"
    if invariants and isinstance(differ.one_step(a, b, assume=invariants), q.Unsat):
        n = len(invariants)
        return (
            True,
            f"the same as the original on every state that satisfies the {n} invariant(s) the original proved (vCPUs {lo}..{hi})",
        )
    if isinstance(ans, q.Unknown):
        return False, f"whether it behaves as the original is unknown ({ans.reason})"
    return False, "behaves differently from the original in one step"


def _equivalents(
    plan: Plan, out: list[MutantResult], before: dict[str, PropertyResult], progress: Progress | None
) -> list[MutantResult]:
    original = pool.system_for(plan.source)
    proved = {r.name for r in before.values() if isinstance(r.verdict, Proved)}
    invariants = [p.body for p in original.properties if isinstance(p, ir.Invariant) and p.name in proved]
    by_index = {m.index: m for m in plan.mutants}
    done = []
    for r in out:
        if r.status in (MutantStatus.SURVIVED, MutantStatus.UNKNOWN):
            same, what = equivalence(original, by_index[r.index], plan.opts, invariants)
            if same:
                r = replace(r, status=MutantStatus.EQUIVALENT, note=what)
            elif r.status == MutantStatus.SURVIVED:
                r = replace(r, note="; ".join(x for x in (r.note, what) if x))
            if progress is not None:
                progress(f"mutant {r.index} ({r.location}): {r.status}")
        done.append(r)
    return done


def _pass(plan: Plan, run: Runner, todo: dict[int, tuple[str, ...]], assumed: dict[int, tuple[str, ...]], tally: _Tally) -> None:
    """Each mutant of `todo` (index -> its properties) a job assuming its `assumed` invariants,
    stopped at its first kill."""
    order = [m for m, names in todo.items() if names]
    jobs = [pool.Job(replace(plan.source, mutant=m), plan.opts, frozenset(todo[m]), assumed.get(m, ())) for m in order]
    tally.order.extend(order)
    run(jobs, tally.on_done, tally.stop)


def _passes(
    plan: Plan, before: dict[str, PropertyResult], checked: dict[int, tuple[str, ...]], run: Runner, progress: Progress | None
) -> tuple[dict[int, PropertyResult], dict[int, list[PropertyResult]]]:
    """run_plan's three passes: the property that killed each mutant killed, and each mutant's
    results."""
    original = pool.system_for(plan.source)
    invariants = {p.name for p in original.properties if isinstance(p, ir.Invariant)}
    proved = tuple(p.name for p in original.properties if p.name in invariants and isinstance(before[p.name].verdict, Proved))
    labels = {m.index: f"mutant {m.index} ({m.span}: {m.description})" for m in plan.mutants}
    others = {m: tuple(n for n in names if n not in invariants) for m, names in checked.items()}
    quick = _Tally(before, [], labels, progress)
    _pass(plan, run, others, dict.fromkeys(checked, proved), quick)
    left = [m for m in checked if m not in quick.killed]
    inv = _Tally(before, [], labels, progress)
    _pass(plan, run, {m: tuple(n for n in checked[m] if n in invariants) for m in left}, {}, inv)
    again: dict[int, tuple[str, ...]] = {}
    for m in left:
        needed = set(proved) & set(checked[m])  # the invariants the original proved that the mutant may break
        holds = {r.name for r in inv.results.get(m, []) if isinstance(r.verdict, Proved)}
        if m not in inv.killed and not needed <= holds:
            again[m] = tuple(n for n in proved if n not in needed or n in holds)
    full = _Tally(before, [], labels, progress)
    _pass(plan, run, {m: others[m] for m in again}, again, full)
    killed = {**quick.killed, **inv.killed, **full.killed}
    results = {m: inv.results.get(m, []) + (full if m in again else quick).results.get(m, []) for m in checked}
    return killed, results


def run_plan(plan: Plan, run: Runner, progress: Progress | None = None) -> MutationReport:
    """The baseline; then three passes, each over the mutants the ones before did not kill: (1)
    each mutant's properties but the invariants, assuming the invariants the original proved
    (only its kills count: traces from reset); (2) its invariants, checked; a mutant on which
    every invariant of its cone the original proved is proved again keeps the first pass's
    results, now sound; (3) any other has its properties but the invariants checked again,
    assuming the invariants it proved and those of the original's its handler does not reach.
    Then the equivalence checks of those left."""
    t0 = time.perf_counter()
    original = pool.system_for(plan.source)
    before = baseline(plan, run)
    if progress is not None:
        progress(f"model {original.model}: the original's {len(before)} properties checked")
    reach = affected(original)
    checked = {
        m.index: tuple(p.name for p in original.properties if p.name in reach.get(m.handler, set()) and _can_kill(before[p.name]))
        for m in plan.mutants
    }
    killed, results = _passes(plan, before, checked, run, progress)
    known = Original(original.model, plan.opts.depth, before)
    out = [_result(m, known, checked[m.index], killed.get(m.index), results[m.index]) for m in plan.mutants]
    out = _equivalents(plan, out, before, progress)
    failed = tuple(n for n, r in before.items() if not r.passed)
    return MutationReport(
        original.model,
        plan.opts.vcpus,
        plan.opts.depth,
        plan.enumerated,
        tuple(out),
        time.perf_counter() - t0,
        failed,
    )
