"""`gicheck diff`: resolve the two sides of a patch and run the diff engine on them.

A side is a spec directory, overlay files (applied to the other side's spec, or to
the default spec), `DIR+OVERLAY[+OVERLAY]`, or, with `--rev A..B`, a git revision of this
repository's spec/ and properties/.
"""

from __future__ import annotations

import argparse
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
from checker.cli.common import (
    ExitCode,
    check_search_options,
    find_root,
    parse_params,
    property_files,
    requested_vcpus,
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
from checker.model import Design
from checker.render import diff as render_diff
from checker.results import ActionStatus, PropertyStatus
from checker.sema.expect import UnknownNames, check_expected, check_expected_broken, check_related
from checker.sema.overlay import Overlay, load_overlays
from checker.syntax import ast as A


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


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_search_options(args)
    requested = requested_vcpus(args)
    tmp = Path(tempfile.mkdtemp(prefix="gicheck-diff-"))
    try:
        return _run(args, out, err, requested, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, requested: ir.VcpuRange | None, tmp: Path) -> int:
    old, new = resolve_sides(args, tmp)
    for side in (old, new):
        if not side.spec.is_dir():
            raise UsageError(f"{side.spec}: not a spec directory")
        if side.overlays:
            side.overlay = load_overlays(side.overlays)
    models_old, models_new = pipeline.find_models(old.spec), pipeline.find_models(new.spec)
    patched = {s.overlay.model for s in (old, new) if s.overlay is not None}
    if args.model is not None:
        if patched and args.model not in patched:
            raise UsageError(f"--model {args.model}: the overlays patch model {', '.join(sorted(patched))}")
        names = [args.model]
    elif patched:
        names = sorted(patched)
    else:
        names = sorted(set(models_old) | set(models_new))
    use_props = not args.no_properties
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
        d_old = (
            _load(old, model, args.properties, use_props)
            if (old.overlay is None or old.overlay.model == model)
            else _load(Side(old.label, old.spec, [], old.properties), model, args.properties, use_props)
        )
        d_new = (
            _load(new, model, args.properties, use_props)
            if (new.overlay is None or new.overlay.model == model)
            else _load(Side(new.label, new.spec, [], new.properties), model, args.properties, use_props)
        )
        expected: dict[str, A.Span | None] = {n: None for n in args.expect}
        for side in (old, new):
            if side.overlay is not None and side.overlay.model == model:
                expected.update(side.overlay.expected)
        _raise(
            check_expected(expected, d_old, d_new),
            "--expect",
            "neither side has an action, register, frame or state of that name",
        )
        expect_broken: dict[str, A.Span | None] = {n: None for n in args.expect_broken}
        for side in (old, new):
            if side.overlay is not None and side.overlay.model == model:
                expect_broken.update(side.overlay.expected_broken)
        if use_props:
            _raise(check_expected_broken(expect_broken, d_old), "--expect-broken", "the old side has no property of that name")
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
        pins_old = parse_params(args.param, d_old.params)
        pins_new = parse_params(args.param, d_new.params)
        s_old, s_new = pipeline.lower(d_old, v_old, pins_old), pipeline.lower(d_new, v_new, pins_new)
        c_old, c_new = pipeline.lower(d_old, common, pins_old), pipeline.lower(d_new, common, pins_new)
        only = set(args.property) if args.property else None
        if only is not None:
            unknown = sorted(only - {p.name for p in s_old.properties} - {p.name for p in s_new.properties})
            if unknown:
                raise UsageError(f"--property {', '.join(unknown)}: model {model} has no such property on either side")
        acts = set(args.action) if args.action else None
        if acts is not None:
            unknown = sorted(acts - set(compared_actions(c_old)) - set(compared_actions(c_new)))
            if unknown:
                raise UsageError(
                    f"--action {', '.join(unknown)}: model {model} has no such action on either side ('gicheck list' names them)"
                )
        o_opts = Options(s_old.vcpus, args.depth, args.timeout)
        n_opts = Options(s_new.vcpus, args.depth, args.timeout)
        t0 = time.perf_counter()
        old_results = check_properties(s_old, o_opts, only) if use_props else []
        relates: dict[str, A.Relate] = {}
        for side in (old, new):
            if side.overlay is not None and side.overlay.model == model:
                relates.update(side.overlay.related)
        related, errors = check_related(relates, c_old, c_new)
        if errors:
            raise SpecError(errors)
        differ = Differ(c_old, c_new, Options(c_old.vcpus, args.depth, args.timeout), set(expected), related)
        differ.invariants = proved_invariants(s_old, old_results) if v_old == common else []
        states = differ.states()
        actions = differ.actions(only=acts)
        same = {a.name for a in actions if a.status == ActionStatus.SAME}
        props: list[PropertyDiff] = []
        if use_props or s_new.properties or s_old.properties:
            run = PropertyRun(o_opts, n_opts, only, old_results, frozenset(expect_broken))
            props, _ = diff_properties(Compared(s_old, s_new, same, states), run)
        applied = []
        for side in (old, new):
            if side.overlay is not None and side.overlay.model == model:
                applied += [f"{what} ({span})" for what, span in side.overlay.applied]
        md = ModelDiff(
            model,
            old.label,
            new.label,
            d_old.vcpus if requested is None else v_old,
            d_new.vcpus if requested is None else v_new,
            common,
            tuple(applied),
            tuple(states),
            tuple(actions),
            tuple(props),
            time.perf_counter() - t0,
            frozenset(expected),
        )
        diffs.append(md)
        if args.format == "text":
            block = render_diff.render([md], "").lstrip("\n")
            out.write("\n" + block + _verdict_line(md, expected) + "\n")
            out.flush()
    code = _exit_code(diffs, only_side)
    if args.format == "json":
        out.write(
            render_diff.to_json(
                diffs,
                {
                    "old": old.label,
                    "new": new.label,
                    "depth": args.depth,
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
