"""The finite input set of the explicit-state engine (engines/explicit.py).

An access's arguments are not enumerable in full (a frame write has a 32-bit offset and a 64-bit
value), so the explicit engine runs every action on a small set of arguments built from the spec
alone: the IR types of the actions' parameters, the layouts of their values and the frames'
register maps. Nothing here looks at the properties or at a solver's counterexamples.

- **Interrupts** ("a few"): SGIs 0 and 1, PPI 16, SPIs 32 and 33, and the last SPI the
  configuration has (nr_irqs - 1). An environment action's interrupt parameter (`raise_spi`'s
  `intid`, an acknowledge's) takes those of them its type allows, else its type's lowest value.
- **vCPUs**: every vCPU of the configuration (a parameter of type `vcpu`).
- **Register element indices** (a handler's `n`, a range such as `1..31` or `32..1019`): the
  range's lowest, and the element that holds each interrupt above and nr_irqs itself (the first
  INTID the configuration lacks). How many interrupts an element packs follows from the
  register's element count: 1024 / count for the shared registers (IROUTER 1, priority and
  target bytes 4, configuration pairs 16, bit words 32), 32 / count for the banked first words.
- **Plain values** `bits(w)`: 0, all ones, one bit per interrupt above (bit INTID mod 32) and a
  priority in every byte (0xa0).
- **Layout values** (ICC_SGI1R_EL1, GICD_IROUTER, an EOIR...): every field 0 but at most one,
  which is 1, its largest value, or (a field of 10 bits or more, wide enough for an INTID) an
  interrupt above.
- **Frame accesses** (`GICD.write(self, offset, width, val)`, the actions only contracts name):
  for every register of the frame, the offset of each element index above; its first byte at
  every width the frame takes (8, 16, 32, 64), and bytes 1-3 (and 4) at 8 bits (32 bits); for a
  per-vCPU frame, at every vCPU's stride; the offset just past each register, where nothing
  is mapped; values as for plain `bits(w)`.

The transitions of the search are the system's actions (register handlers at the register's
width and environment events, lower.py); frame accesses run only as a contract's own access.
Because the set is a sample, a search that finds no violation is not a proof.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from checker import interp, ir

INTIDS = (0, 1, 16, 32, 33)
_PACKING = (1, 4, 16, 32)  # interrupts per register element: IROUTER, bytes, config pairs, bit words
_PRIORITY = 0xA0
_MAX_NONZERO_FIELDS = 1
_WIDE_FIELD = 10  # bits: a field this wide may hold an INTID (an EOIR's, an IAR's), and samples them
_WIDTHS = (8, 16, 32, 64)

Args = dict[str, interp.Value]


@dataclass(frozen=True)
class InputSet:
    """The sample for one configuration: `nr` vCPUs and the parameters' values."""

    nr: int
    params: tuple[tuple[str, int], ...]

    @property
    def intids(self) -> tuple[int, ...]:
        nr_irqs = dict(self.params).get("nr_irqs")
        last = () if nr_irqs is None else (nr_irqs - 1,)
        return tuple(sorted(set(INTIDS + last)))

    def describe(self) -> str:
        """The set in one line, for verdicts and reports."""
        return (
            f"interrupts {', '.join(map(str, self.intids))}; every vCPU; values 0, all ones, one bit per interrupt, "
            f"{_PRIORITY:#x} per byte; layout fields 0, 1, max or an interrupt, at most {_MAX_NONZERO_FIELDS} non-zero"
        )

    def _limit(self) -> int | None:
        return dict(self.params).get("nr_irqs")

    def indices(self, t: ir.IndexT, *, element: bool) -> list[int]:
        """The values of an index parameter: a register element index, or an interrupt."""
        lo, hi = t.lo, (self.nr - 1 if t.hi is None else t.hi)
        if t.hi is None:
            return list(range(lo, hi + 1))
        if not element:
            picked = {i for i in self.intids if lo <= i <= hi}
            return sorted(picked) or [lo]
        limit = self._limit()
        ints = set(self.intids) | ({limit} if limit is not None else set())
        count = hi + 1
        packs = [k for k in _PACKING if count in (1024 // k, 32 // k)] or list(_PACKING)
        picked = {lo} | {i // k for i in ints for k in packs}
        return sorted(i for i in picked if lo <= i <= hi)

    def words(self, width: int) -> list[int]:
        ones = (1 << width) - 1
        out = {0, ones, (_PRIORITY * int.from_bytes(b"\x01" * max(1, width // 8), "little")) & ones}
        out |= {1 << (i % 32) for i in self.intids if i % 32 < width}
        return sorted(out)

    def layout_values(self, lay: ir.Layout) -> list[int]:
        """Every value whose fields take their sample values, at most `_MAX_NONZERO_FIELDS` of them non-zero."""
        options: list[list[tuple[int, int]]] = []
        for _, hi, lo in lay.fields:
            top = (1 << (hi - lo + 1)) - 1
            wide = hi - lo + 1 >= _WIDE_FIELD
            vals = {1, top} | {i for i in self.intids if wide and 0 < i <= top}
            options.append([(v, lo) for v in sorted(vals)])
        out = {0}
        for k in range(1, _MAX_NONZERO_FIELDS + 1):
            for chosen in itertools.combinations(options, k):
                for combo in itertools.product(*chosen):
                    out.add(sum(v << lo for v, lo in combo))
        return sorted(out)

    def values(self, t: ir.Type, system: ir.System, *, element: bool) -> list[interp.Value]:
        match t:
            case ir.BoolT():
                return [False, True]
            case ir.IndexT():
                return list(self.indices(t, element=element))
            case ir.BitsT(width=w, layout=lay) if lay is not None and lay in system.layouts:
                return list(self.layout_values(system.layouts[lay]))
            case ir.BitsT(width=w):
                return list(self.words(w))
        raise AssertionError(f"no sample values for a parameter of type {t}")

    def action_inputs(self, system: ir.System, action: ir.Action) -> list[Args]:
        """Every argument tuple of `action` in the sample (its `requires` not yet checked)."""
        if action.register in system.frames:
            return self.frame_inputs(system, action)
        element = action.kind != ir.ActionKind.ENV
        domains = [self.values(p.type, system, element=element) for p in action.params]
        return [dict(zip((p.name for p in action.params), combo)) for combo in itertools.product(*domains)]

    def frame_inputs(self, system: ir.System, action: ir.Action) -> list[Args]:
        """A frame access (`GICD.write`) at the offsets and widths the frame's registers give."""
        frame = system.frames[action.register]  # type: ignore[index]
        write = action.kind == ir.ActionKind.MMIO_WRITE
        vals: list[int] = self.words(64) if write else [0]
        out: list[Args] = []
        for self_vcpu in range(self.nr):
            for offset, width in self.frame_offsets(frame):
                for v in vals:
                    args: Args = {"self": self_vcpu, "offset": offset, "width": width}
                    if write:
                        args["val"] = v & ((1 << width) - 1)
                    out.append(args)
        return _unique(out)

    def frame_offsets(self, frame: ir.MmioFrame) -> list[tuple[int, int]]:
        """(offset, width) pairs: each sampled element's first byte at every width, its other
        bytes at 8 bits and its upper word at 32, and the unmapped offset after each register."""
        inner: set[tuple[int, int]] = set()
        for r in frame.registers:
            t = ir.IndexT("element", r.lo, r.hi, 16)
            for n in self.indices(t, element=True):
                base = r.offset + n * r.bytes
                inner |= {(base, w) for w in _WIDTHS}
                inner |= {(base + b, 8) for b in range(1, r.bytes)}
                if r.bytes == 8:
                    inner.add((base + 4, 32))
            end = r.offset + (r.hi + 1) * r.bytes
            if frame.decode(end)[1] is None and end < frame.stride:
                inner |= {(end, 32)}
        rds = range(self.nr) if frame.per_vcpu else range(1)
        return sorted({(rd * frame.stride + off, w) for rd in rds for off, w in inner})


def _unique(xs: list[Args]) -> list[Args]:
    seen: set[tuple[tuple[str, interp.Value], ...]] = set()
    out = []
    for x in xs:
        key = tuple(sorted(x.items()))
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out
