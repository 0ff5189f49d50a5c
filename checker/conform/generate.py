"""Access sequences from the spec, for `gicheck conform`: random, and directed at coverage.

Every register of the model (system registers, and each memory-mapped register at each width
it takes and one it refuses) is an access kind, read and write; each next access picks a kind
with a weight that falls as the kind is hit (so every register, width and direction is reached
early), then a vCPU, an element, a redistributor and a value. Values come from the register's
layout when it has one (random fields), else from a mix of zero, all ones, single bits and
random words. A sequence starts, most of the time, by enabling the distributor, and the
acknowledge, end-of-interrupt and SGI registers weigh more: without them the interesting
states (interrupts pending, taken, active) are rarely reached.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from checker import api, branches, ir
from checker.conform.known import NOTHING_AVOIDED, Avoidance
from checker.interp import Taken


@dataclass(frozen=True)
class Access:
    """One generated access, as a `gicheck run` script line writes it."""

    cpu: int
    register: str  # a system register or a memory-mapped register, as `gicheck list` names it
    index: int | None = None  # an array element
    rd: int | None = None  # the redistributor of a per-vCPU frame
    width: int | None = None  # None: the register's own
    value: int | None = None  # None: a read

    @property
    def is_read(self) -> bool:
        return self.value is None

    def target(self) -> api.Reg:
        return api.Reg(self.register, self.index, self.rd)

    def script(self, expect: int | None = None) -> str:
        verb = ("read" if self.is_read else "write") + (str(self.width) if self.width else "")
        name = self.register + (f"[{self.index}]" if self.index is not None else "")
        if self.rd is not None:
            name = f"GICR[{self.rd}].{name}"
        text = f"cpu {self.cpu} {verb} {name}"
        if self.value is not None:
            text += f" {self.value:#x}"
        if expect is not None:
            text += f" expect {expect:#x}"
        return text


@dataclass(frozen=True)
class Kind:
    """An access kind coverage counts: a register, a width, a direction."""

    register: str
    width: int | None
    write: bool


# Registers whose accesses make the states worth comparing: taking, completing, sending.
_WEIGHTS = {"ICC_IAR1_EL1": 5.0, "GICC_IAR": 5.0, "ICC_EOIR1_EL1": 3.0, "GICC_EOIR": 3.0, "ICC_SGI1R_EL1": 3.0, "GICD_SGIR": 3.0}

# How much more a kind weighs while its handler has an arm not taken yet.
_OPEN_ARMS = 3.0


class Generator:
    """Random sequences for one model; `avoid` what they never make (known.Avoidance): access
    kinds, writes whose value & mask == match (another value is drawn), bits a write never sets.

    With `taken` (the arms of the spec's branches the replays have taken so far, which they go
    on filling: interp.Recorder), a kind whose handler has an arm not taken yet weighs more."""

    def __init__(
        self,
        model: api.Model,
        rng: random.Random,
        avoid: Avoidance = NOTHING_AVOIDED,
        taken: Taken | None = None,
    ):
        self.model = model
        self.rng = rng
        self.avoid = set(avoid.kinds)
        self.cleared = dict(avoid.cleared)
        self.avoid_values: dict[str, list[tuple[int, int]]] = {}
        for register, mask, match in avoid.values:
            self.avoid_values.setdefault(register, []).append((mask, match))
        self.kinds = [k for k in self._kinds() if not {(k.register, k.write, None), (k.register, k.write, k.width)} & self.avoid]
        self.hits: dict[Kind, int] = {k: 0 for k in self.kinds}
        self.taken = taken
        self.arms = {k: frozenset(branches.arms(model.system, self._handler(k))) for k in self.kinds} if taken is not None else {}

    def _kinds(self) -> list[Kind]:
        out = []
        for name, handlers in sorted(self.model.catalog.sysregs.items()):
            out += [Kind(name, None, write) for write in sorted(handlers)]
        for name, (_, reg) in sorted(self.model.catalog.registers.items()):
            widths = sorted({*reg.widths, 8 if 8 not in reg.widths else 32})  # one the register refuses too
            out += [Kind(name, w, write) for w in widths for write in (False, True) if w <= reg.bytes * 8]
        return out

    def _handler(self, kind: Kind) -> list[str]:
        """The handler an access of the kind runs (none at a width its register refuses)."""
        cat = self.model.catalog
        if kind.register in cat.sysregs:
            return [cat.sysregs[kind.register][kind.write].name]
        reg = cat.registers[kind.register][1]
        name = f"{kind.register}.{'write' if kind.write else 'read'}"
        return [name] if kind.width in reg.widths and name in self.model.system.actions else []

    def sequence(self, nr_vcpus: int, length: int) -> list[Access]:
        out: list[Access] = []
        if self.rng.random() < 0.8:
            out.append(self._enable(nr_vcpus))
        while len(out) < length:
            if self.rng.random() < 0.1:
                out += self.take_twice(nr_vcpus)
            else:
                out.append(self.access(self._pick(), nr_vcpus))
        return out[:length]

    def take_twice(self, nr_vcpus: int) -> list[Access]:
        """Two SGIs sent to one vCPU, two acknowledges on it before the end of the first, then
        the end of each: what a reader of the acknowledge register's contract cares about."""
        cat = self.model.catalog
        c = self.rng.randrange(nr_vcpus)
        intids = self.rng.sample(range(16), 2)
        if "ICC_SGI1R_EL1" in cat.sysregs:
            sends = [
                Access(self.rng.randrange(nr_vcpus), "ICC_SGI1R_EL1", value=(1 << (c % 16)) | ((c // 16) << 16) | (i << 24))
                for i in intids
            ]
            take, end = Access(c, "ICC_IAR1_EL1"), "ICC_EOIR1_EL1"
        else:
            sends = [Access(self.rng.randrange(nr_vcpus), "GICD_SGIR", value=(1 << (16 + c)) | i) for i in intids]
            take, end = Access(c, "GICC_IAR"), "GICC_EOIR"
        return [*sends, take, take, *(Access(c, end, value=i) for i in intids)]

    def _enable(self, nr_vcpus: int) -> Access:
        """A GICD_CTLR write that enables the distributor for the interrupts guests use."""
        t = self.model.catalog.registers["GICD_CTLR"][1].type
        layout = self.model.system.layouts[t.layout] if isinstance(t, ir.BitsT) and t.layout else None
        bit = (
            next((f for f in (layout.field("EnableGrp1"), layout.field("Enable")) if f is not None), (0, 0)) if layout else (0, 0)
        )
        return Access(self.rng.randrange(nr_vcpus), "GICD_CTLR", value=1 << bit[1])

    def _pick(self) -> Kind:
        weights = [_WEIGHTS.get(k.register, 1.0) / (1 + self.hits[k]) for k in self.kinds]
        if self.taken is not None:
            weights = [w * (_OPEN_ARMS if not self.arms[k] <= self.taken else 1.0) for k, w in zip(self.kinds, weights)]
        kind = self.rng.choices(self.kinds, weights)[0]
        self.hits[kind] += 1
        return kind

    def access(self, kind: Kind, nr_vcpus: int) -> Access:
        cpu = self.rng.randrange(nr_vcpus)
        cat = self.model.catalog
        if kind.register in cat.sysregs:
            handler = cat.sysregs[kind.register][kind.write]
            vtype = handler.params[1].type if kind.write else handler.result
            assert vtype is not None
            value = self._allowed(kind.register, vtype, ir.width_of(vtype), nr_vcpus) if kind.write else None
            return Access(cpu, kind.register, value=value)
        frame, reg = cat.registers[kind.register]
        index = self._index(reg) if reg.array else None
        rd = self.rng.randrange(nr_vcpus) if frame.per_vcpu and self.rng.random() < 0.3 else None
        width = kind.width if kind.width != reg.bytes * 8 else None
        w = kind.width or reg.bytes * 8
        value = self._allowed(kind.register, reg.type if w == reg.bytes * 8 else ir.BitsT(w), w, nr_vcpus) if kind.write else None
        return Access(cpu, kind.register, index, rd, width, value)

    def _allowed(self, register: str, t: ir.Type, width: int, nr_vcpus: int) -> int:
        """A value to write to `register` that no avoided write matches: drawn again a few
        times, then with the lowest bit (within the width) of the matching condition's mask
        flipped."""
        conditions = self.avoid_values.get(register, [])
        keep = ~self.cleared.get(register, 0)
        value = self.value(t, width, nr_vcpus) & keep
        for attempt in range(32):
            hit = next((m for m, v in conditions if value & m == v), None)
            if hit is None:
                return value
            flip = hit & ((1 << width) - 1)
            if attempt >= 8 and flip == 0:
                break
            value = self.value(t, width, nr_vcpus) & keep if attempt < 8 else value ^ (flip & -flip)
        raise ValueError(f"every {width}-bit write of {register} is avoided: declare the access kind instead")

    def _index(self, reg: ir.MmioRegister) -> int:
        """An element, mostly among the first (the interrupts a small configuration has)."""
        low = reg.lo + max(1, (reg.hi - reg.lo + 1) // 8)
        return self.rng.randrange(reg.lo, low) if self.rng.random() < 0.7 else self.rng.randint(reg.lo, reg.hi)

    def value(self, t: ir.Type, width: int, nr_vcpus: int) -> int:
        layout = self.model.system.layouts.get(t.layout) if isinstance(t, ir.BitsT) and t.layout else None
        if layout is not None and self.rng.random() < 0.8:
            out = 0
            for name, hi, lo in layout.fields:
                bits = hi - lo + 1
                if self.rng.random() < 0.5:
                    continue
                v = (
                    self.rng.randrange(1 << bits)
                    if bits <= 4 or self.rng.random() < 0.5
                    else self.rng.randrange(min(1 << bits, 2 * nr_vcpus + 2))
                )
                if name == "TargetList":
                    v &= (1 << min(16, nr_vcpus)) - 1
                out |= v << lo
            return out
        r = self.rng.random()
        if r < 0.15:
            return 0
        if r < 0.3:
            return (1 << width) - 1
        if r < 0.6:
            return 1 << self.rng.randrange(width)
        return self.rng.getrandbits(width)
