"""Traces as VCD (IEEE 1364 value change dump), for GTKWave and other waveform viewers.

One signal per state location, split into one signal per field where its type has a layout;
time 10*i is the state after step i (0: the start). The scope `access` has the step number,
the accessing vCPU and the value written or read; a `$comment` before each time names the
access. Array elements are `name_i_j` (brackets would read as bit selects)."""

from __future__ import annotations

from dataclasses import dataclass

from checker import ir
from checker.results import PropertyResult, Step, Trace
from checker.traces.run import Run


@dataclass(frozen=True)
class Signal:
    code: str
    reference: str
    width: int
    location: str  # the flat state location it shows
    lo: int = 0  # a field: its bits of the location's value
    hi: int | None = None

    def value(self, v: int | bool | None) -> str:
        if v is None:
            bits = "x" * self.width
        else:
            n = int(v)
            if self.hi is not None:
                n = (n >> self.lo) & ((1 << (self.hi - self.lo + 1)) - 1)
            bits = format(n, f"0{self.width}b")
        return f"{bits}{self.code}" if self.width == 1 else f"b{bits} {self.code}"


def _code(n: int) -> str:
    """VCD identifier codes: printable ASCII from '!' to '~', base 94."""
    out = ""
    while True:
        out = chr(33 + n % 94) + out
        n = n // 94 - 1
        if n < 0:
            return out


def _elem(t: ir.Type) -> ir.Type:
    while isinstance(t, ir.ArrayT):
        t = t.elem
    return t


def _width(t: ir.Type) -> int:
    return 1 if isinstance(t, ir.BoolT) else ir.width_of(t)


class _Builder:
    def __init__(self, system: ir.System) -> None:
        self.system = system
        self.signals: list[Signal] = []
        self.lines: list[str] = []

    def add(self, reference: str, width: int, location: str, field: tuple[int, int] | None = None) -> Signal:
        kind = "wire" if width == 1 else "reg"
        hi, lo = field if field is not None else (None, 0)
        s = Signal(_code(len(self.signals)), reference, width, location, lo, hi)
        self.signals.append(s)
        self.lines.append(f"$var {kind} {width} {s.code} {reference} $end")
        return s

    def location(self, loc: str, t: ir.Type) -> None:
        ref = loc.replace("][", "_").replace("[", "_").replace("]", "")
        layout = self.system.layouts.get(t.layout) if isinstance(t, ir.BitsT) and t.layout else None
        if layout is None:
            self.add(ref, _width(t), loc)
            return
        self.lines.append(f"$scope module {ref} $end")
        for name, hi, lo in layout.fields:
            self.add(name, hi - lo + 1, loc, (hi, lo))
        self.lines.append("$upscope $end")


def _declare(b: _Builder, run: Run) -> None:
    b.lines.append("$scope module state $end")
    flat = run.flat(0)
    for name, sv in run.system.states.items():
        t = _elem(sv.type)
        locs = [loc for loc in flat if loc == name or loc.startswith(name + "[")]
        if isinstance(sv.type, ir.ArrayT):
            b.lines.append(f"$scope module {name} $end")
        for loc in locs:
            b.location(loc, t)
        if isinstance(sv.type, ir.ArrayT):
            b.lines.append("$upscope $end")
    b.lines.append("$upscope $end")


def _value_of(step: Step) -> int | bool | None:
    if step.result is not None:
        return step.result.value
    written = [a for a in step.args if a.name == "val"]
    return written[0].value if written else None


def render(run: Run, r: PropertyResult, trace: Trace, access_text: list[str]) -> str:
    """The run as VCD; `access_text` is each step as the text output shows it."""
    b = _Builder(run.system)
    head = [
        "$date gicheck trace $end",
        f"$version gicheck: {r.name} ({r.kind}) on model {r.model}, {run.nr_vcpus} vCPUs $end",
        "$timescale 1 ns $end",
    ]
    _declare(b, run)
    b.lines.append("$scope module access $end")
    step_sig = b.add("step", 32, "")
    vcpu_sig = b.add("vcpu", 32, "")
    value_sig = b.add("value", 64, "")
    b.lines.append("$upscope $end")
    state_sigs = [s for s in b.signals if s.location]
    body = [*head, *b.lines, "$enddefinitions $end", "#0", "$dumpvars"]
    prev: dict[str, int | bool] = {}
    for i in range(len(run.states)):
        flat = run.flat(i)
        changes = [s.value(flat.get(s.location)) for s in state_sigs if i == 0 or prev.get(s.location) != flat.get(s.location)]
        if i > 0:
            step = trace.steps[i - 1]
            body += [f"$comment {access_text[i - 1].strip()} $end", f"#{10 * i}"]
            changes += [step_sig.value(i), vcpu_sig.value(step.vcpu), value_sig.value(_masked(_value_of(step)))]
        else:
            changes += [step_sig.value(0), vcpu_sig.value(None), value_sig.value(None)]
        body += changes
        if i == 0:
            body.append("$end")
        prev = flat
    body.append(f"#{10 * len(run.states)}")
    return "\n".join(body) + "\n"


def _masked(v: int | bool | None) -> int | None:
    if v is None:
        return None
    return int(v) & ((1 << 64) - 1)
