"""Each generated sequence on the target and on the spec, every read compared.

A sequence runs on the target first; then it is replayed on a spec machine (checker.api) with
each value the target read as the value expected. Where the spec leaves the answer open (the
acknowledge registers), the target's choice is checked against the values the spec allows and
the spec follows it; elsewhere the value must be the spec's. A value the spec does not allow is
a disagreement: its class is the register and the fields that differ (or, for a read with an
open answer, whether the target returned the spurious 1023). The replay goes on past a read
that changes nothing in the spec; after one that changes state (an acknowledge), the two sides
may hold different state, so the sequence stops there.

The first disagreement of each class is shrunk (ddmin-style: drop chunks of the accesses before
it while the same class still shows at the end) and shown as a `gicheck run` script whose last
read expects the target's value, so `gicheck run` shows the difference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from checker import api, ir
from checker.conform.generate import Access
from checker.conform.known import KnownFile
from checker.conform.target import (
    ABORT,
    FRAME_BASES,
    OP_READ,
    OP_SYSREG_READ,
    OP_SYSREG_WRITE,
    OP_WRITE,
    SYSREGS,
    Command,
    Target,
    TargetRun,
)
from checker.interp import Taken
from checker.results import Disagreement

# Runs of the target one shrink may spend per disagreement class.
SHRINK_RUNS = 40


def command(model: api.Model, p: api.Prepared, gic: int) -> Command:
    """A prepared spec access as the guest performs it."""
    action = model.system.action(p.action)
    if action.kind.is_sysreg:
        assert action.register is not None
        write = action.kind == ir.ActionKind.SYSREG_WRITE
        value = int(p.args[action.params[1].name]) if write else 0  # type: ignore[arg-type]
        return Command(OP_SYSREG_WRITE if write else OP_SYSREG_READ, int(p.args["self"]), 64, SYSREGS[action.register], 0, value)  # type: ignore[arg-type]
    assert action.register is not None
    addr = FRAME_BASES[gic][action.register] + int(p.args["offset"])  # type: ignore[arg-type]
    write = action.kind == ir.ActionKind.MMIO_WRITE
    value = int(p.args["val"]) if write else 0  # type: ignore[arg-type]
    return Command(OP_WRITE if write else OP_READ, int(p.args["self"]), int(p.args["width"]), 0, addr, value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Found:
    """A disagreement in one sequence, before it is shrunk and declared."""

    index: int
    key: str
    target: int | None
    spec: int
    allowed: tuple[int, ...]


@dataclass
class Replay:
    """One sequence compared: reads compared and agreed, disagreements, an error of the target."""

    reads: int = 0
    agreed: int = 0
    found: list[Found] = dataclasses.field(default_factory=list)
    error: str | None = None
    stopped: int | None = None  # the index the replay stopped at: the two sides' states may differ after it


def _fields(model: api.Model, register: str, diff: int) -> str:
    t: ir.Type | None = None
    if register in model.catalog.sysregs and False in model.catalog.sysregs[register]:
        t = model.catalog.sysregs[register][False].result
    elif register in model.catalog.registers:
        t = model.catalog.registers[register][1].type
    layout = model.system.layouts.get(t.layout) if isinstance(t, ir.BitsT) and t.layout else None
    if layout is None:
        return "the value"
    names = [n for n, hi, lo in layout.fields if diff >> lo & ((1 << (hi - lo + 1)) - 1)]
    covered = sum(((1 << (hi - lo + 1)) - 1) << lo for n, hi, lo in layout.fields if n in names)
    rest = ["bits outside the fields"] if diff & ~covered else []
    return ", ".join([*names, *rest])


class Comparer:
    """Sequences of one model on one target, compared with the spec."""

    def __init__(self, model: api.Model, target: Target, params: dict[str, int], known: KnownFile):
        self.model = model
        self.target = target
        self.params = params
        self.known = known

    def prepare(
        self, accesses: list[Access], nr_vcpus: int, branches: Taken | None = None
    ) -> tuple[api.Machine, list[api.Prepared]]:
        m = self.model.machine(nr_vcpus, self.params, branches=branches)
        out = []
        for a in accesses:
            if a.is_read:
                out.append(m.prepare_read(a.cpu, a.target(), width=a.width))
            else:
                assert a.value is not None
                out.append(m.prepare_write(a.cpu, a.target(), a.value, width=a.width))
        return m, out

    def run(self, accesses: list[Access], nr_vcpus: int, branches: Taken | None = None) -> tuple[Replay, TargetRun]:
        """The sequence on the target, then replayed on the spec; with `branches`, the arms the
        spec's runs take are added to it."""
        machine, prepared = self.prepare(accesses, nr_vcpus, branches)
        run = self.target.run([command(self.model, p, self.target.gic) for p in prepared], nr_vcpus)
        return self.replay(machine, accesses, prepared, run), run

    def replay(self, machine: api.Machine, accesses: list[Access], prepared: list[api.Prepared], run: TargetRun) -> Replay:
        out = Replay(error=run.error)
        for i, (a, p) in enumerate(zip(accesses, prepared)):
            if not a.is_read:
                machine.run(p)
                continue
            if i not in run.reads:
                out.error = out.error or f"the target gave no value for access {i}"
                return out
            t = run.reads[i]
            out.reads += 1
            if t != ABORT:
                try:
                    machine.run(dataclasses.replace(p, expect=t))
                    out.agreed += 1
                    continue
                except api.NotAllowed as e:
                    allowed = tuple(c.value for c in e.allowed)
            stutter = t != ABORT and machine.changes_nothing_at(p, t)  # the target took nothing: nor does the spec
            own = machine.run(p) if not stutter else None
            spec = own.value if own is not None else self._own_value(machine, p)
            assert spec is not None
            if t == ABORT and own is not None:
                allowed = tuple(c.value for c in own.allowed) or (spec,)
            out.found.append(Found(i, self.key(a, t, spec, p.refined is not None), None if t == ABORT else t, spec, allowed))
            if own is not None and own.step.changes:
                out.stopped = i
                return out
        return out

    @staticmethod
    def _own_value(machine: api.Machine, p: api.Prepared) -> int | None:
        """The spec's own answer to a read, the machine left as it was."""
        snap = machine.snapshot()
        value = machine.run(p).value
        machine.restore(snap)
        return value

    def key(self, a: Access, target: int, spec: int, open_answer: bool) -> str:
        """The class of a disagreement: the register (and the width, when not its own), and what
        differs: the fields of its layout, the value, or an abort."""
        reg = a.register + (f" ({a.width}-bit)" if a.width is not None else "")
        if target == ABORT:
            return f"{reg}: the target aborts the access"
        if open_answer:
            return f"{reg}: the target returns {'1023 (spurious)' if target == 1023 else 'an INTID'} the spec does not allow"
        return f"{reg}: {_fields(self.model, a.register, target ^ spec) if a.width is None else 'the value'} differs"

    def shrink(self, accesses: list[Access], nr_vcpus: int, found: Found) -> tuple[list[Access], Found, bool]:
        """The fewest accesses before the disagreeing read (by dropping chunks) that still end in
        a disagreement of its class; the read last."""
        prefix, last = accesses[: found.index], accesses[found.index]
        budget = [SHRINK_RUNS]

        def still(candidate: list[Access]) -> Found | None:
            if budget[0] <= 0:
                return None
            budget[0] -= 1
            replay, _ = self.run([*candidate, last], nr_vcpus)
            return next((f for f in replay.found if f.index == len(candidate) and f.key == found.key), None)

        best = found
        chunk = max(1, len(prefix) // 2)
        while chunk >= 1 and prefix:
            i, progressed = 0, False
            while i < len(prefix):
                trial = prefix[:i] + prefix[i + chunk :]
                f = still(trial)
                if f is not None:
                    prefix, best, progressed = trial, f, True
                else:
                    i += chunk
            if not progressed:
                chunk //= 2
        shrunk = best is not found
        return [*prefix, last], dataclasses.replace(best, index=len(prefix)), shrunk

    def disagreement(self, accesses: list[Access], nr_vcpus: int, found: Found, shrink: bool) -> Disagreement:
        """The disagreement as reported: shrunk if asked, as a script, declared if a known
        difference covers it."""
        shrunk = False
        if shrink:
            accesses, found, shrunk = self.shrink(accesses, nr_vcpus, found)
        else:
            accesses = accesses[: found.index + 1]
        _, run = self.run(accesses, nr_vcpus)
        a = accesses[found.index]
        diff = None if found.target is None else found.target ^ found.spec
        k = self.known.covering(self.target.gic, a.register, a.width, diff)
        script = self.script(accesses, nr_vcpus, run.reads)
        return Disagreement(
            found.key, a.register, found.target, found.spec, found.allowed, nr_vcpus, script, k.id if k else None, shrunk
        )

    def script(self, accesses: list[Access], nr_vcpus: int, reads: dict[int, int]) -> str:
        """A `gicheck run` script of the accesses, each read expecting the target's value."""
        params = "".join(f"param {k}={v}\n" for k, v in sorted(self.params.items()))
        head = f"# {self.target.describe()}: the last read is the target's value\nmodel {self.model.name}\nvcpus {nr_vcpus}\n{params}"
        lines = []
        for i, a in enumerate(accesses):
            v = reads.get(i)
            expect = v if a.is_read and v is not None and v != ABORT else None
            lines.append(a.script(expect) + ("   # the target aborts this access" if v == ABORT else ""))
        return head + "\n".join(lines) + "\n"
