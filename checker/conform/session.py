"""One `gicheck conform` run: the model for the GIC version, the guest built, the target's
configuration read (its number of interrupts becomes the spec's nr_irqs), sequences generated
and compared until the access count is reached, then each disagreement class shrunk, declared
or not, and counted -> results.ConformReport."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from checker import api, ir
from checker.conform.compare import Comparer, Found
from checker.conform.generate import Access, Generator
from checker.conform.known import load_known
from checker.conform.target import Qemu, build_guest
from checker.diagnostics import UsageError
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


def _nr_irqs(target: Qemu, model: api.Model, nr_vcpus: int) -> dict[str, int]:
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


def conform(opts: Options, progress: Progress | None = None) -> ConformReport:
    t0 = time.perf_counter()
    model = api.load_model(f"gicv{opts.gic}", opts.spec)
    clipped = opts.vcpus.clip((model.vcpus.lo, min(model.vcpus.hi, 64)))
    if clipped is None:
        raise UsageError(
            f"--vcpus {opts.vcpus.lo}..{opts.vcpus.hi}: GICv{opts.gic} runs {model.vcpus.lo}..{min(model.vcpus.hi, 64)} here"
        )
    known = load_known(opts.known)
    target = Qemu(opts.gic, build_guest(opts.cache), opts.accel)
    params = _nr_irqs(target, model, clipped.lo)
    rng = random.Random(opts.seed)
    gen = Generator(model, rng, known.avoided(opts.gic), known.avoided_values(opts.gic))
    cmp = Comparer(model, target, params, known)
    tally, errors = _Tally(), []
    first: dict[str, tuple[list[Access], int, Found]] = {}
    counts: dict[str, int] = {}
    counts_range = clipped.hi - clipped.lo + 1
    while tally.accesses < opts.count:
        n = clipped.lo + tally.sequences % counts_range
        seq = gen.sequence(n, opts.length)
        replay, _ = cmp.run(seq, n)
        tally.sequences += 1
        tally.accesses += len(seq)
        tally.reads += replay.reads
        tally.agreed += replay.agreed
        if replay.error:
            errors.append(f"sequence {tally.sequences} ({n} vCPUs): {replay.error}")
        for f in replay.found:
            counts[f.key] = counts.get(f.key, 0) + 1
            first.setdefault(f.key, (seq, n, f))
        if progress and tally.sequences % 10 == 0:
            progress(f"{tally.sequences} sequences, {tally.accesses} accesses, {len(counts)} disagreement classes")
    classes = []
    for key, (seq, n, f) in first.items():
        d = cmp.disagreement(seq, n, f, opts.shrink)
        k = next((x for x in known.differences if x.id == d.declared), None)
        classes.append(DisagreementClass(key, counts[key], d, d.declared, f"{k.reason} ({k.source})" if k else ""))
    hit = sum(1 for v in gen.hits.values() if v)
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
        hit,
        len(gen.hits),
        tuple(errors),
        time.perf_counter() - t0,
    )
