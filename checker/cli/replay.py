"""`gicheck replay TRACE.itf.json`: run a trace file's accesses again on a spec (the current one,
or --spec, patched by --overlay) and check its property after them.

Exit 1: the property still fails on the trace (0 once it holds); for a cover witness, 0 while
the trace reaches the goal and 4 once it does not; 3 when the trace no longer applies (an
access the spec no longer has or allows, the property gone) or the file is not a trace gicheck
can read, naming the field.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from checker import pipeline
from checker.cli.codes import ExitCode
from checker.cli.common import find_models, overlay_option, spec_root
from checker.diagnostics import UsageError
from checker.files import tree_files
from checker.render import text as render_text
from checker.results import Replayed, ReplayStatus
from checker.sema.overlay import Overlay
from checker.syntax import ast as A
from checker.traces.check import replay_design
from checker.traces.itf import spec_digest
from checker.traces.read import BadTraceFile, Recorded, read

_CODES = {
    ReplayStatus.FAILS: ExitCode.VIOLATED,
    ReplayStatus.HOLDS: ExitCode.OK,
    ReplayStatus.REACHED: ExitCode.OK,
    ReplayStatus.NOT_REACHED: ExitCode.INCOMPLETE,
    ReplayStatus.NOT_APPLICABLE: ExitCode.SPEC,
}


def _property_sources(rec: Recorded, root: Path | None, models: set[str]) -> list[A.SourceFile]:
    """The property file the trace names when it is there, else the checkout's properties/."""
    named = Path(rec.source.rsplit(":", 2)[0]) if rec.source and rec.source.count(":") >= 2 else None
    if named is not None and named.is_file():
        files = [named]
    elif root is not None and (root / "properties").is_dir():
        files = tree_files(root / "properties", ".prop")
    else:
        files = []
    return pipeline.group_properties(files, models).get(rec.model, []) if files else []


def _context(rec: Recorded, spec: Path, overlays: list[Path]) -> list[str]:
    """What this run is on, and how that differs from what the trace was found on."""
    same = spec_digest(spec, overlays) == rec.spec_hash
    given = ", ".join(map(str, overlays)) or "no overlay"
    lines = [
        f"on {spec} with {given}" + (" (the spec the trace was found on)" if same else " (not the spec the trace was found on)")
    ]
    if rec.overlays and not overlays:
        lines.append(f"the trace was found with {', '.join(rec.overlays)}; this run has none")
    return lines


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        rec = read(args.trace)
    except BadTraceFile as e:
        err.write(f"gicheck replay: {args.trace}: {e}\n")
        return ExitCode.SPEC
    spec, root = spec_root(args.spec)
    models = find_models(spec)
    overlay: Overlay | None = overlay_option(args.overlay, models)
    if overlay is not None and overlay.model != rec.model:
        raise UsageError(f"--overlay patches model {overlay.model}; the trace is of model {rec.model}")
    context = _context(rec, spec, args.overlay)
    if rec.model not in models:
        result = Replayed(
            ReplayStatus.NOT_APPLICABLE,
            rec.property,
            rec.kind,
            rec.model,
            rec.nr_vcpus,
            tuple(sorted(rec.params.items())),
            len(rec.steps),
            f"the spec has no model {rec.model} (models: {', '.join(sorted(models))})",
        )
    else:
        srcs = _property_sources(rec, root, set(models))
        design = pipeline.load_design(spec, rec.model, property_files=srcs, overlay=overlay)
        result = replay_design(design, rec)
    out.write(render_text.replay(result, str(args.trace), context))
    return _CODES[result.status]
