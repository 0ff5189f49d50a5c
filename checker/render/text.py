"""Results -> text for a terminal or a CI log: one line per property, then each trace."""

from __future__ import annotations

from checker.results import (
    Arg,
    Bounded,
    Covered,
    InternalError,
    PropertyResult,
    Proved,
    Replayed,
    ReplayStatus,
    Step,
    Trace,
    Unknown,
    Unreached,
    Violated,
)


def value_text(v: int | bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if v < 10 else f"{v} (0x{v:x})"


def hex_text(a: Arg) -> str:
    """A register value (one with fields) in hex, all its digits shown; anything else as a number."""
    if isinstance(a.value, bool) or not a.fields or a.width is None:
        return value_text(a.value)
    return f"0x{a.value:0{(a.width + 3) // 4}x}"


def verdict_word(r: PropertyResult) -> str:
    match r.verdict:
        case Proved():
            return "PROVED"
        case Violated():
            return "VIOLATED"
        case Bounded():
            return "BOUNDED"
        case Unknown():
            return "UNKNOWN"
        case Covered():
            return "COVERED"
        case Unreached():
            return "UNREACHED"
        case InternalError():
            return "INTERNAL ERROR"
    raise AssertionError(r.verdict)


def _vcpus(r: PropertyResult) -> str:
    lo, hi = r.vcpus
    out = f"vCPUs {lo}" if lo == hi else f"vCPUs {lo}..{hi}"
    for name, a, b in r.params:
        out += f" and {name} = {a}" if a == b else f" and every allowed {name} in {a}..{b}"
    return out


def how(r: PropertyResult) -> str:
    match r.verdict:
        case Proved(method=m):
            return f"{m}; every count in {_vcpus(r)}"
        case Violated(trace=t, note=note) as v:
            n = len(t.steps)
            out = f"counterexample with {t.nr_vcpus} vCPU{'s' if t.nr_vcpus != 1 else ''}, {n} step{'s' if n != 1 else ''} (replayed)"
            return out + minimality(v.shortest, v.fewest_vcpus, n) + (f"; {note}" if note else "")
        case Bounded(depth=d, reason=why):
            return f"no violation {_within(d)}, {_vcpus(r)}: {why}"
        case Unknown(reason=why):
            return why
        case Covered(trace=t, note=note) as c:
            n = len(t.steps)
            out = f"reached in {n} step{'s' if n != 1 else ''} with {t.nr_vcpus} vCPU{'s' if t.nr_vcpus != 1 else ''} (replayed)"
            return out + minimality(c.shortest, c.fewest_vcpus, n) + (f"; {note}" if note else "")
        case Unreached(depth=d, reason=why):
            return f"not reached {_within(d)}, {_vcpus(r)}" + (f": {why}" if why else "")
        case InternalError(reason=why):
            return f"{why}; this is a bug in gicheck, please report it"
    raise AssertionError(r.verdict)


def _within(depth: int) -> str:
    """How far a search from reset decided: a depth of -1 is a search stopped before any."""
    return f"within {depth} steps of reset" if depth >= 0 else "in the runs from reset searched"


def minimality(shortest: bool, fewest_vcpus: bool, steps: int) -> str:
    """In what sense a trace is minimal: fewest steps first, then fewest vCPUs at that length
    (within the run's vCPU range), as far as the search showed it."""
    length = f"{steps} step{'s' if steps != 1 else ''}"
    if shortest and fewest_vcpus:
        return f"; minimal: no trace is shorter, and none of {length} has fewer vCPUs"
    if shortest:
        return f"; no trace is shorter (one of {length} with fewer vCPUs is not ruled out)"
    if fewest_vcpus:
        return f"; none of {length} has fewer vCPUs"
    return ""


def step_lines(i: int, s: Step, indent: str, label: str | None = None) -> list[str]:
    """Step `i` of a trace: the access, its values' fields, the state it changed. `label`
    replaces `#i` (gicheck run shows the script's line)."""
    out = []
    tag = f"#{i}" if label is None else label
    cont = indent + " " * (6 if label is None else len(label) + 4)
    if s.target is not None and s.vcpu is not None:
        write = s.action.endswith(".write")
        width = s.args[1].value
        vals = list(s.args[2:]) if write else ([s.result] if s.result is not None else [])
        arrow = "=" if write else "->"
        head = f"{indent}{tag}  vCPU {s.vcpu} {'writes' if write else 'reads'} {s.target}, {width} bits"
        if vals:
            head += f" {arrow} {hex_text(vals[0])}"
        out.append(head)
        for a in vals:
            if a.fields:
                out.append(cont + " ".join(f"{f.name}={f.value if f.value < 10 else hex(f.value)}" for f in a.fields))
    elif s.register is not None and s.vcpu is not None:
        verb = "writes" if s.action.endswith(".write") else "reads"
        val = [a for a in s.args[1:]]
        head = f"{indent}{tag}  vCPU {s.vcpu} {verb} {s.register}"
        if val:
            head += f" = {hex_text(val[0])}"
        if s.result is not None:
            head += f" -> {hex_text(s.result)}"
            val = [*val, s.result]
        out.append(head)
        for a in val:
            if a.fields:
                out.append(cont + " ".join(f"{f.name}={f.value if f.value < 10 else hex(f.value)}" for f in a.fields))
    else:
        args = ", ".join(f"{a.name}={value_text(a.value)}" for a in s.args)
        out.append(f"{indent}{tag}  {s.action}({args})")
    if s.changes:
        for c in s.changes:
            out.append(f"{cont}{c.location}: {value_text(c.before)} -> {value_text(c.after)}")
    else:
        out.append(f"{cont}(no state changed)")
    return out


def trace_lines(t: Trace, indent: str = "    ") -> list[str]:
    vcpus = f"with {t.nr_vcpus} vCPU{'s' if t.nr_vcpus != 1 else ''}" + "".join(f", {k} = {value_text(v)}" for k, v in t.params)
    if not t.steps:
        out = [f"{indent[:-2]}{vcpus}:"]  # a fact: values, no accesses
    else:
        start = "from reset" if t.from_reset else "from an arbitrary state (one-step check; maybe unreachable)"
        out = [f"{indent[:-2]}{vcpus}, {start}:"]
    for i, s in enumerate(t.steps, 1):
        out += step_lines(i, s, indent)
    first, second = t.labels
    if t.alternative is not None and t.labels == Trace.labels:
        out.append(
            f"{indent}second run of #{len(t.steps)} from the same state, differing only in {t.failure.message.split('depends on ', 1)[-1]}:"
        )
        out += step_lines(len(t.steps), t.alternative, indent + "  ")
        out.append(f"{indent}the two runs end in different states:")
    elif t.alternative is not None:
        out.append(f"{indent}what {second} does from the same state:")
        out += step_lines(len(t.steps), t.alternative, indent + "  ")
        out.append(f"{indent}they end in different states:")
    if t.alternative is not None:  # (without one, the step's own changes are the differences)
        for loc, a, b in t.differences:
            out.append(f"{indent}  {loc}: {value_text(a)} ({first})  vs  {value_text(b)} ({second})")
    f = t.failure
    where = ""
    if f.bindings:
        where = " for " + ", ".join(f"{k} = {value_text(v)}" for k, v in f.bindings)
    out.append(f"{indent[:-2]}{f.property}: {f.message}{where}")
    for text, v in f.values:
        out.append(f"{indent}{text} = {value_text(v)}")
    return out


def failure_lines(t: Trace) -> list[str]:
    """Why the property fails at the end of the trace: the failure, then the values it read."""
    f = t.failure
    where = (" for " + ", ".join(f"{k} = {value_text(v)}" for k, v in f.bindings)) if f.bindings else ""
    return [f"{f.property}: {f.message}{where}", *(f"  {text} = {value_text(v)}" for text, v in f.values)]


def verdict_line(r: PropertyResult, width: int) -> str:
    """A result's one line: verdict, name (padded to `width`), how, and the time it took."""
    took = "cached" if r.cached else f"{r.seconds:.2f}s"
    return f"  {verdict_word(r):<9}  {r.name:<{width}}  {how(r)}  [{took}]"


def details(results: list[PropertyResult], show_cti: bool = False) -> list[str]:
    """The traces of the results that have one (trace_block), each after a blank line, then
    the vacuity warnings, each at its property's place."""
    lines: list[str] = []
    for r in results:
        block = trace_block(r, show_cti)
        if block:
            lines += ["", *block]
    warnings = [vacuity_line(r) for r in results if r.vacuity is not None]
    return lines + (["", *warnings] if warnings else [])


def vacuity_line(r: PropertyResult) -> str:
    """A result's vacuity warning at the property's place (it must have one)."""
    assert r.vacuity is not None
    return f"{r.location}: warning: {r.vacuity.message}"


def render(results: list[PropertyResult], header: str, show_cti: bool = False) -> str:
    width = max((len(r.name) for r in results), default=10)
    lines = [header, "", *(verdict_line(r, width) for r in results), *details(results, show_cti)]
    return "\n".join(lines) + "\n"


def trace_block(r: PropertyResult, show_cti: bool = False) -> list[str]:
    """The property's trace as the text output shows it (its location, doc and steps); none
    for a verdict without one."""
    v = r.verdict
    trace = None
    if isinstance(v, (Violated, Covered)):
        trace = v.trace
    elif isinstance(v, Bounded) and v.cti is not None and show_cti:
        trace = v.cti
    if trace is None:
        return []
    lines = [f"{r.location}: {r.name}: {verdict_word(r)}"]
    if r.doc:
        lines += [f"  /// {d}" for d in r.doc.splitlines()]
    return lines + trace_lines(trace)


def summary(results: list[PropertyResult]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        w = verdict_word(r).lower()
        counts[w] = counts.get(w, 0) + 1
    order = ["proved", "covered", "violated", "bounded", "unknown", "unreached", "internal error"]
    text = ", ".join(f"{counts[k]} {k}" for k in order if k in counts) or "no properties"
    warned = sum(1 for r in results if r.vacuity is not None)
    cached = sum(1 for r in results if r.cached)
    notes = [f"{warned} with a vacuity warning"] * bool(warned) + [f"{cached} from the proof cache"] * bool(cached)
    return text + (f" ({'; '.join(notes)})" if notes else "")


_REPLAY_WORDS = {
    ReplayStatus.FAILS: "FAILS",
    ReplayStatus.HOLDS: "HOLDS",
    ReplayStatus.REACHED: "REACHED",
    ReplayStatus.NOT_REACHED: "NOT REACHED",
    ReplayStatus.NOT_APPLICABLE: "DOES NOT APPLY",
}


def replay(r: Replayed, source: str, context: list[str]) -> str:
    """`gicheck replay`'s report: the trace, what it was run on, the outcome and the run."""
    params = "".join(f", {k} = {value_text(v)}" for k, v in r.params)
    n = r.steps
    lines = [
        (
            f"gicheck replay: {source}: {r.property} ({r.kind}) of model {r.model}, "
            f"{r.nr_vcpus} vCPU{'s' if r.nr_vcpus != 1 else ''}{params}, {n} step{'s' if n != 1 else ''}"
        ),
        *(f"  {c}" for c in context),
        *(f"  note: {note}" for note in r.notes),
        "",
    ]
    word = _REPLAY_WORDS[r.status]
    match r.status:
        case ReplayStatus.FAILS:
            lines.append(f"{word}  {r.property}: the trace still breaks it")
        case ReplayStatus.HOLDS:
            lines.append(f"{word}  {r.property}: {r.reason}")
        case ReplayStatus.REACHED:
            lines.append(f"{word}  {r.property}: the trace still reaches the cover goal")
        case ReplayStatus.NOT_REACHED:
            lines.append(f"{word}  {r.property}: {r.reason} (another run may; gicheck prove searches for one)")
        case ReplayStatus.NOT_APPLICABLE:
            lines.append(f"{word}  the trace no longer applies: {r.reason}")
        case _:
            raise AssertionError(r.status)
    if r.trace is not None:
        lines += trace_lines(r.trace)
    return "\n".join(lines) + "\n"
