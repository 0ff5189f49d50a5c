"""`gicheck diff`: resolve the two sides of a patch and run the diff engine on them.

A side is a spec directory, overlay files (applied to the other side's spec, or to
the default spec), `DIR+OVERLAY[+OVERLAY]`, or, with `--rev A..B`, a git revision of this
repository's spec/ and properties/.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TextIO

from checker import ir, pipeline
from checker.cli.codes import ExitCode
from checker.cli.common import (
    check_search_options,
    find_models,
    find_root,
    output_file,
    parse_params,
    property_files,
    report,
    requested_vcpus,
    trace_dir,
)
from checker.diagnostics import SpecError, UsageError
from checker.engines.diff import (
    Compared,
    Differ,
    ModelDiff,
    PropertyDiff,
    PropertyRun,
    compared_actions,
    diff_properties,
    proved_invariants,
)
from checker.engines.prove import Options, check_properties
from checker.engines.search import VacuityCheck
from checker.model import Design
from checker.render import diff as render_diff
from checker.render import junit as render_junit
from checker.render import sarif as render_sarif
from checker.results import ActionDiff, ActionStatus, InternalError, PropertyStatus, StateDiff
from checker.sema.expect import UnknownNames, check_expected, check_expected_broken, check_related
from checker.sema.overlay import Overlay, load_overlays
from checker.syntax import ast as A
from checker.traces import itf
from checker.traces.files import TraceOut, write_traces


@dataclass
class Side:
    label: str
    spec: Path
    overlays: list[Path] = field(default_factory=list)
    properties: list[Path] = field(default_factory=list)  # files or directories
    overlay: Overlay | None = None


def _split(text: str) -> tuple[Path | None, list[Path]]:
    parts = [Path(p) for p in text.split("+") if p]
    if not parts:
        raise UsageError(f"'{text}' names no spec directory or overlay file")
    spec = None
    overlays = []
    for i, p in enumerate(parts):
        if p.is_dir():
            if i != 0:
                raise UsageError(f"'{text}': the spec directory comes first, then overlay files")
            spec = p
        elif p.is_file():
            overlays.append(p)
        else:
            raise UsageError(f"no such spec directory or overlay file: {p}")
    return spec, overlays


def _label(spec: Path, overlays: list[Path]) -> str:
    return " + ".join([str(spec), *map(str, overlays)])


def resolve_sides(args: argparse.Namespace, tmp: Path) -> tuple[Side, Side]:
    if args.rev is not None:
        if args.sides:
            raise UsageError("--rev compares two revisions of this repository; give no other sides")
        a, sep, b = args.rev.partition("..")
        if not sep or not a or not b:
            raise UsageError(f"--rev takes A..B (two git revisions), not '{args.rev}'")
        return _rev_side(a, tmp / "old"), _rev_side(b, tmp / "new")
    root: Path | None
    try:
        root = find_root()
    except UsageError:
        root = None
    if root is not None:
        try:
            root = root.relative_to(Path.cwd())
        except ValueError:
            pass
    default = root / "spec" if root else None
    props = [root / "properties"] if root and (root / "properties").is_dir() else []
    if len(args.sides) == 1:
        spec, ovs = _split(args.sides[0])
        if spec is not None or not ovs:
            raise UsageError("one side given: it must be overlay files, applied to the default spec (or give OLD NEW)")
        if default is None:
            raise UsageError("no spec/ directory here or above to apply the overlay to; give OLD NEW")
        return Side(str(default), default, [], props), Side(_label(default, ovs), default, ovs, props)
    if len(args.sides) != 2:
        raise UsageError("gicheck diff takes OLD NEW, one overlay, or --rev A..B")
    so, oo = _split(args.sides[0])
    sn, on = _split(args.sides[1])
    if so is None:
        if default is None:
            raise UsageError(f"'{args.sides[0]}' is overlays only and there is no spec/ here to apply them to")
        so = default
    if sn is None:
        sn = so
    return Side(_label(so, oo), so, oo, props), Side(_label(sn, on), sn, on, props)


def _rev_side(rev: str, dest: Path) -> Side:
    """The spec/ and properties/ of a git revision of the repository around the current directory."""
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
        sha = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], capture_output=True, text=True, cwd=top, check=False
        )
    except (OSError, subprocess.CalledProcessError) as err:
        raise UsageError(f"--rev needs a git repository here: {getattr(err, 'stderr', '') or err}".strip()) from None
    if sha.returncode != 0:
        raise UsageError(f"--rev: '{rev}' is not a commit of the repository at {top}")
    here = Path.cwd().resolve().relative_to(Path(top).resolve())
    prefix = "" if str(here) == "." else f"{here.as_posix()}/"
    paths = [p for p in (f"{prefix}spec", f"{prefix}properties") if _exists(top, rev, p)]
    if f"{prefix}spec" not in paths:
        raise UsageError(f"--rev: revision {rev} has no {prefix}spec/ directory")
    tar = subprocess.run(["git", "archive", "--format=tar", rev, *paths], capture_output=True, cwd=top, check=False)
    if tar.returncode != 0:
        raise UsageError(f"--rev: git archive {rev} failed: {tar.stderr.decode(errors='replace').strip()}")
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(tar.stdout)) as tf:
        tf.extractall(dest, filter="data")
    base = dest / prefix if prefix else dest
    props = [base / "properties"] if (base / "properties").is_dir() else []
    return Side(f"{rev}:{prefix}spec", base / "spec", [], props)


def _exists(top: str, rev: str, path: str) -> bool:
    r = subprocess.run(["git", "cat-file", "-e", f"{rev}:{path}"], capture_output=True, cwd=top, check=False)
    return r.returncode == 0


def _load(side: Side, model: str, prop_paths: list[Path] | None, use_props: bool) -> Design:
    design = pipeline.load_design(side.spec, model, overlay=side.overlay)
    if use_props:  # --no-properties: none, not even an overlay's (its replacements have nothing to replace)
        files: list[A.SourceFile] = []
        paths = prop_paths if prop_paths is not None else side.properties
        if paths:
            files = pipeline.group_properties(property_files(paths, None)).get(model, [])
        pipeline.resolve_properties(design, files)
    return design


def _raise(names: UnknownNames, flag: str, message: str) -> None:
    """Unknown names an overlay gives are errors in the overlay; those of the command line a
    usage error."""
    if names.diagnostics:
        raise SpecError(list(names.diagnostics))
    if names.flags:
        raise UsageError(f"{flag} {', '.join(names.flags)}: {message}")


@dataclass(frozen=True)
class _Run:
    """What every model of one `gicheck diff` shares."""

    args: argparse.Namespace
    old: Side
    new: Side
    requested: ir.VcpuRange | None
    use_props: bool  # false with --no-properties
    err: TextIO
    locations: dict[str, str] = field(default_factory=dict)  # action -> path:line:col, for SARIF

    def overlays(self, model: str) -> list[Overlay]:
        """The overlays that patch `model`, the old side's first."""
        return [s.overlay for s in (self.old, self.new) if s.overlay is not None and s.overlay.model == model]


@dataclass(frozen=True)
class _Systems:
    """A model lowered on both sides: each over its own vCPU range, and both over the range in common."""

    old: ir.System
    new: ir.System
    common_old: ir.System
    common_new: ir.System
    v_old: ir.VcpuRange
    v_new: ir.VcpuRange
    common: ir.VcpuRange


@dataclass(frozen=True)
class _Asked:
    """What the command line and the overlays ask of one model's comparison."""

    expected: dict[str, A.Span | None]
    expect_broken: dict[str, A.Span | None]
    only: set[str] | None  # --property
    actions: set[str] | None  # --action


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_search_options(args)
    requested = requested_vcpus(args)
    trace_dir(args.trace_out)
    output_file(args.output)
    tmp = Path(tempfile.mkdtemp(prefix="gicheck-diff-"))
    text = io.StringIO() if args.output is not None else out
    try:
        code = _run(args, (text, err), requested, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if isinstance(text, io.StringIO) and args.output is not None:
        report(out, args.output, text.getvalue())
    return code


def _run(args: argparse.Namespace, streams: tuple[TextIO, TextIO], requested: ir.VcpuRange | None, tmp: Path) -> int:
    out, err = streams
    old, new = resolve_sides(args, tmp)
    for side in (old, new):
        if not side.spec.is_dir():
            raise UsageError(f"{side.spec}: not a spec directory")
        if side.overlays:
            side.overlay = load_overlays(side.overlays)
    models_old, models_new = find_models(old.spec), find_models(new.spec)
    names = _model_names(args.model, old, new, set(models_old) | set(models_new))
    run = _Run(args, old, new, requested, not args.no_properties, err)
    diffs: list[ModelDiff] = []
    only_side: list[str] = []
    t_all = time.perf_counter()
    header = f"gicheck diff: old {old.label}, new {new.label}, depth {args.depth}"
    if args.format == "text":
        out.write(header + "\n")
        out.flush()
    for model in names:
        if model not in models_old or model not in models_new:
            where = "new" if model in models_new else "old"
            if model not in models_new and model not in models_old:
                raise UsageError(f"no model '{model}' on either side")
            only_side.append(f"model {model} exists on the {where} side only")
            continue
        md, expected = _diff_model(run, model)
        diffs.append(md)
        if args.format == "text":
            block = render_diff.render([md], "").lstrip("\n")
            out.write("\n" + block + _verdict_line(md, expected) + "\n")
            out.flush()
    return _finish(run, out, diffs, only_side, t_all)


def _model_names(model: str | None, old: Side, new: Side, declared: set[str]) -> list[str]:
    """The models to compare: --model's, the one the overlays patch, or every model of either side."""
    patched = {s.overlay.model for s in (old, new) if s.overlay is not None}
    if model is not None:
        if patched and model not in patched:
            raise UsageError(f"--model {model}: the overlays patch model {', '.join(sorted(patched))}")
        return [model]
    if patched:
        return sorted(patched)
    return sorted(declared)


def _design(run: _Run, side: Side, model: str) -> Design:
    """The side's model, patched by the side's overlay if the overlay is for this model."""
    if side.overlay is None or side.overlay.model == model:
        return _load(side, model, run.args.properties, run.use_props)
    return _load(Side(side.label, side.spec, [], side.properties), model, run.args.properties, run.use_props)


def _expectations(
    run: _Run, model: str, d_old: Design, d_new: Design
) -> tuple[dict[str, A.Span | None], dict[str, A.Span | None]]:
    """The names the patch means to change and the properties it means to break, checked to exist."""
    expected: dict[str, A.Span | None] = {n: None for n in run.args.expect}
    for ov in run.overlays(model):
        expected.update(ov.expected)
    _raise(
        check_expected(expected, d_old, d_new),
        "--expect",
        "neither side has an action, register, frame or state of that name",
    )
    expect_broken: dict[str, A.Span | None] = {n: None for n in run.args.expect_broken}
    for ov in run.overlays(model):
        expect_broken.update(ov.expected_broken)
    if run.use_props:
        _raise(check_expected_broken(expect_broken, d_old), "--expect-broken", "the old side has no property of that name")
    return expected, expect_broken


def _lower(run: _Run, model: str, d_old: Design, d_new: Design) -> _Systems:
    requested = run.requested
    r_old, r_new = ir.VcpuRange(*d_old.vcpus), ir.VcpuRange(*d_new.vcpus)
    v_old, v_new = (r_old, r_new) if requested is None else (requested.clip(r_old), requested.clip(r_new))
    if v_old is None or v_new is None:
        assert requested is not None
        raise UsageError(
            f"model {model}: --vcpus {requested[0]}..{requested[1]} is outside its range on one side (old {d_old.vcpus[0]}..{d_old.vcpus[1]}, new {d_new.vcpus[0]}..{d_new.vcpus[1]})"
        )
    common = v_old.clip(v_new)
    if common is None:
        raise UsageError(
            f"model {model}: the two sides allow no vCPU count in common (old {v_old[0]}..{v_old[1]}, new {v_new[0]}..{v_new[1]})"
        )
    s_old, s_new = pipeline.lower(d_old, v_old), pipeline.lower(d_new, v_new)
    pins_old, pins_new = parse_params(run.args.param, s_old), parse_params(run.args.param, s_new)
    if pins_old or pins_new:
        s_old, s_new = pipeline.lower(d_old, v_old, pins_old), pipeline.lower(d_new, v_new, pins_new)
    c_old, c_new = pipeline.lower(d_old, common, pins_old), pipeline.lower(d_new, common, pins_new)
    return _Systems(s_old, s_new, c_old, c_new, v_old, v_new, common)


def _filters(args: argparse.Namespace, model: str, sy: _Systems) -> tuple[set[str] | None, set[str] | None]:
    """--property and --action, checked to name something on one side at least."""
    only = set(args.property) if args.property else None
    if only is not None:
        unknown = sorted(only - {p.name for p in sy.old.properties} - {p.name for p in sy.new.properties})
        if unknown:
            raise UsageError(f"--property {', '.join(unknown)}: model {model} has no such property on either side")
    acts = set(args.action) if args.action else None
    if acts is not None:
        unknown = sorted(acts - set(compared_actions(sy.common_old)) - set(compared_actions(sy.common_new)))
        if unknown:
            raise UsageError(
                f"--action {', '.join(unknown)}: model {model} has no such action on either side ('gicheck list' names them)"
            )
    return only, acts


def _compare(run: _Run, model: str, sy: _Systems, asked: _Asked) -> tuple[list[StateDiff], list[ActionDiff], list[PropertyDiff]]:
    """The engines: the old side's properties, then the states and actions, then the properties on both sides."""
    args = run.args

    def options(vcpus: tuple[int, int]) -> Options:
        # diff compares verdicts; vacuity is prove's question
        return Options(vcpus, args.depth, args.timeout, memory_mb=args.memory, vacuity=VacuityCheck.NONE)

    o_opts, n_opts = options(sy.old.vcpus), options(sy.new.vcpus)
    old_results = check_properties(sy.old, o_opts, asked.only) if run.use_props else []
    relates: dict[str, A.Relate] = {}
    for ov in run.overlays(model):
        relates.update(ov.related)
    related, errors = check_related(relates, sy.common_old, sy.common_new)
    if errors:
        raise SpecError(errors)
    c_old, c_new = sy.common_old, sy.common_new
    differ = Differ(c_old, c_new, options(c_old.vcpus), set(asked.expected), related)
    differ.invariants = proved_invariants(sy.old, old_results) if sy.v_old == sy.common else []
    states = differ.states()
    actions = differ.actions(only=asked.actions)
    same = {a.name for a in actions if a.status == ActionStatus.SAME}
    props: list[PropertyDiff] = []
    if run.use_props or sy.new.properties or sy.old.properties:
        prop_run = PropertyRun(o_opts, n_opts, asked.only, old_results, frozenset(asked.expect_broken))
        props, _ = diff_properties(Compared(sy.old, sy.new, same, states), prop_run)
    return states, actions, props


def _diff_model(run: _Run, model: str) -> tuple[ModelDiff, dict[str, A.Span | None]]:
    """Compare one model declared on both sides; also the names the patch means to change."""
    d_old, d_new = _design(run, run.old, model), _design(run, run.new, model)
    expected, expect_broken = _expectations(run, model, d_old, d_new)
    sy = _lower(run, model, d_old, d_new)
    only, acts = _filters(run.args, model, sy)
    t0 = time.perf_counter()
    states, actions, props = _compare(run, model, sy, _Asked(expected, expect_broken, only, acts))
    for system in (sy.common_old, sy.common_new):
        for name in [*system.actions, *system.callables]:
            run.locations[name] = str(system.action(name).span)
    if run.args.trace_out is not None:
        _write_traces(run, sy, props)
    applied = []
    for ov in run.overlays(model):
        applied += [f"{what} ({span})" for what, span in ov.applied]
    md = ModelDiff(
        model,
        run.old.label,
        run.new.label,
        d_old.vcpus if run.requested is None else sy.v_old,
        d_new.vcpus if run.requested is None else sy.v_new,
        sy.common,
        tuple(applied),
        tuple(states),
        tuple(actions),
        tuple(props),
        time.perf_counter() - t0,
        frozenset(expected),
    )
    return md, expected


def _write_traces(run: _Run, sy: _Systems, props: list[PropertyDiff]) -> None:
    """--trace-out: each side's counterexamples and cover witnesses, found on that side."""
    n = 0
    sides = (("old", sy.old, run.old, [p.old for p in props]), ("new", sy.new, run.new, [p.new for p in props if not p.carried]))
    for side, system, spec_side, results in sides:
        origin = itf.Origin(spec_side.spec, tuple(spec_side.overlays), side)
        n += len(write_traces(system, [r for r in results if r is not None], TraceOut(run.args.trace_out, origin)))
    run.err.write(f"gicheck diff: model {sy.new.model}: {n} trace file{'s' if n != 1 else ''} written to {run.args.trace_out}\n")


def _finish(run: _Run, out: TextIO, diffs: list[ModelDiff], only_side: list[str], t_all: float) -> ExitCode:
    """The exit code; and the JSON, JUnit or SARIF document, or the text output's last lines."""
    code = _exit_code(diffs, only_side)
    if run.args.format == "junit":
        out.write(render_junit.diff(diffs, only_side))
    elif run.args.format == "sarif":
        out.write(render_sarif.diff(diffs, run.locations, Path.cwd()))
    elif run.args.format == "json":
        out.write(
            render_diff.to_json(
                diffs,
                {
                    "old": run.old.label,
                    "new": run.new.label,
                    "depth": run.args.depth,
                    "only_one_side": only_side,
                    "exit_code": int(code),
                    "seconds": round(time.perf_counter() - t_all, 3),
                },
            )
        )
    else:
        out.writelines(f"\n{line}\n" for line in only_side)
        out.write(f"\ngicheck diff: exit {int(code)} in {time.perf_counter() - t_all:.1f}s\n")
    return code


def _verdict_line(md: ModelDiff, expected: dict[str, A.Span | None]) -> str:
    broken = [p.name + (" (expected)" if p.expected else "") for p in md.broken]
    unexpected = md.unexpected()
    exp = [a.name for a in md.actions if a.expected and not a.status.agrees]
    parts = []
    parts.append(
        f"{len(broken)} propert{'y' if len(broken) == 1 else 'ies'} broken" + (f" ({', '.join(broken)})" if broken else "")
    )
    parts.append(
        f"{len(unexpected)} unexpected difference{'s' if len(unexpected) != 1 else ''}"
        + (f" ({', '.join(unexpected)})" if unexpected else "")
    )
    parts.append(f"{len(exp)} expected")
    return f"\n{md.model}: " + ", ".join(parts) + f" in {md.seconds:.1f}s\n"


def _exit_code(diffs: list[ModelDiff], only_side: list[str]) -> ExitCode:
    for md in diffs:
        for p in md.properties:
            if any(r is not None and isinstance(r.verdict, InternalError) for r in (p.old, p.new)):
                return ExitCode.INTERNAL
    for md in diffs:
        if md.unexpected_broken or md.unexpected():
            return ExitCode.VIOLATED
    if only_side:
        return ExitCode.VIOLATED
    for md in diffs:
        if any(a.status == ActionStatus.UNKNOWN for a in md.actions) or any(
            p.status == PropertyStatus.INCONCLUSIVE for p in md.properties
        ):
            return ExitCode.INCOMPLETE
    return ExitCode.OK
