"""One `gicheck conform` run: the model for the GIC version, the guest built, the target's
configuration read (its number of interrupts becomes the spec's nr_irqs), sequences generated
and compared until the access count is reached, the arms of the spec's branches those replays
took counted (checker/branches.py), then each disagreement class shrunk, declared or not, and
counted -> results.ConformReport."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker import api, branches, ir
from checker.conform.compare import Comparer, Found
from checker.conform.generate import Access, Generator
from checker.conform.known import load_known
from checker.conform.target import Qemu, Target, build_guest
from checker.diagnostics import UsageError
from checker.interp import Taken
from checker.results import ConformReport, DisagreementClass

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    gic: int
    vcpus: ir.VcpuRange
    seed: int
    count: int  # accesses, at least
    length: int  # accesses per sequence
    known: Path
    spec: Path
    accel: str = "tcg"
    shrink: bool = True
    cache: Path | None = None


def _nr_irqs(target: Target, model: api.Model, nr_vcpus: int) -> dict[str, int]:
    """The spec's nr_irqs from the target's GICD_TYPER.ITLinesNumber (32 * (N + 1), at most 1024)."""
    probe = target.run([], nr_vcpus)
    if probe.error or probe.typer is None:
        raise UsageError(f"the target did not start: {probe.error or 'no GICD_TYPER from the guest'}")
    nr = min(1024, 32 * ((probe.typer & 0x1F) + 1))
    try:
        return model.param_values({"nr_irqs": nr})
    except api.ArgumentError as e:
        raise UsageError(f"the target has {nr} interrupts, which the model does not allow: {e.message}") from None


@dataclass
class _Tally:
    sequences: int = 0
    accesses: int = 0
    reads: int = 0
    agreed: int = 0
    errors: list[str] = field(default_factory=list)
    first: dict[str, tuple[list[Access], int, Found]] = field(default_factory=dict)  # each class's first sequence
    counts: dict[str, int] = field(default_factory=dict)  # reads in each class


def access_actions(system: ir.System) -> list[str]:
    """The transitions a register access runs: what conform's sequences reach (environment
    actions are not generated)."""
    return [n for n, a in system.actions.items() if a.kind != ir.ActionKind.ENV]


def _compare(opts: Options, gen: Generator, cmp: Comparer, taken: Taken, progress: Progress | None) -> _Tally:
    """Sequences generated and compared until the access count is reached, each vCPU count of
    `opts.vcpus` in turn; the arms the spec's runs take are added to `taken`."""
    tally = _Tally()
    lo, hi = opts.vcpus
    while tally.accesses < opts.count:
        n = lo + tally.sequences % (hi - lo + 1)
        seq = gen.sequence(n, opts.length)
        replay, _ = cmp.run(seq, n, taken)
        tally.sequences += 1
        tally.accesses += len(seq)
        tally.reads += replay.reads
        tally.agreed += replay.agreed
        if replay.error:
            tally.errors.append(f"sequence {tally.sequences} ({n} vCPUs): {replay.error}")
        for f in replay.found:
            tally.counts[f.key] = tally.counts.get(f.key, 0) + 1
            tally.first.setdefault(f.key, (seq, n, f))
        if progress and tally.sequences % 10 == 0:
            progress(f"{tally.sequences} sequences, {tally.accesses} accesses, {len(tally.counts)} disagreement classes")
    return tally


def conform(opts: Options, progress: Progress | None = None, target: Target | None = None) -> ConformReport:
    """One run against `target` (default: QEMU with the guest built)."""
    t0 = time.perf_counter()
    model = api.load_model(f"gicv{opts.gic}", opts.spec)
    clipped = opts.vcpus.clip((model.vcpus.lo, min(model.vcpus.hi, 64)))
    if clipped is None:
        raise UsageError(
            f"--vcpus {opts.vcpus.lo}..{opts.vcpus.hi}: GICv{opts.gic} runs {model.vcpus.lo}..{min(model.vcpus.hi, 64)} here"
        )
    known = load_known(opts.known)
    if target is None:
        target = Qemu(opts.gic, build_guest(opts.cache), opts.accel)
    params = _nr_irqs(target, model, clipped.lo)
    taken: Taken = set()
    gen = Generator(model, random.Random(opts.seed), known.avoidance(opts.gic), taken)
    cmp = Comparer(model, target, params, known)
    tally = _compare(dataclasses.replace(opts, vcpus=clipped), gen, cmp, taken, progress)
    covered = branches.coverage(branches.arms(model.system, access_actions(model.system)), taken)
    classes = []
    for key, (seq, n, f) in tally.first.items():
        d = cmp.disagreement(seq, n, f, opts.shrink)
        k = next((x for x in known.differences if x.id == d.declared), None)
        classes.append(DisagreementClass(key, tally.counts[key], d, d.declared, f"{k.reason} ({k.source})" if k else ""))
    return ConformReport(
        target.describe(),
        model.name,
        opts.seed,
        tuple(sorted(params.items())),
        (clipped.lo, clipped.hi),
        tally.sequences,
        tally.accesses,
        tally.reads,
        tally.agreed,
        tuple(sorted(classes, key=lambda c: (c.declared is not None, c.key))),
        sum(1 for v in gen.hits.values() if v),
        len(gen.hits),
        tuple(tally.errors),
        time.perf_counter() - t0,
        covered,
    )
