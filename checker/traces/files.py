"""`--trace-out DIR`: each counterexample and cover witness as ITF JSON, VCD, DOT and C, one
file of each per trace, each written whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker import ir
from checker.files import write_atomic
from checker.render import c as render_c
from checker.render.text import failure_lines, step_lines
from checker.results import Covered, PropertyResult, Trace, Violated
from checker.traces import dot, itf, vcd
from checker.traces.run import rerun


@dataclass(frozen=True)
class TraceOut:
    """Where the files go and what the traces were found on."""

    directory: Path
    origin: itf.Origin


def witnesses(results: list[PropertyResult]) -> list[tuple[PropertyResult, Trace]]:
    """The results that have a trace to write: counterexamples and cover witnesses."""
    out = []
    for r in results:
        if isinstance(r.verdict, (Violated, Covered)):
            out.append((r, r.verdict.trace))
    return out


def file_stem(r: PropertyResult, side: str | None) -> str:
    return "-".join(x for x in (side, r.model, r.name) if x)


def write_traces(system: ir.System, results: list[PropertyResult], out: TraceOut) -> list[Path]:
    """Write every trace of `results` (found on `system`); the paths written, in order."""
    written: list[Path] = []
    for r, trace in witnesses(results):
        run = rerun(system, trace)
        heads = [step_lines(i, s, "")[0] for i, s in enumerate(trace.steps, 1)]
        base = out.directory / file_stem(r, out.origin.side)
        files = {
            ".itf.json": itf.dumps(itf.to_itf(run, r, trace, out.origin)),
            ".vcd": vcd.render(run, r, trace, heads),
            ".dot": dot.render(r, trace, heads, failure_lines(trace)),
            ".c": render_c.render([r]),
        }
        for suffix, text in files.items():
            path = base.with_name(base.name + suffix)
            write_atomic(path, text)
            written.append(path)
    return written
