"""A `gicheck run` script on a machine of checker.api: its settings, every line checked (each
error at its place in the script), then run in order -> results.RunReport.

The command line's options win over the script's own settings lines; what neither gives takes
a default: the spec's only model, one vCPU more than the highest the script names (at least
the model's lowest count), and each parameter's lowest allowed value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from checker import api
from checker.diagnostics import Diagnostic, SpecError, UsageError
from checker.results import Outcome, RunFailure, RunLine, RunReport
from checker.span import Span
from checker.syntax import script as S


@dataclass(frozen=True)
class Options:
    """What the command line says; None where it says nothing."""

    model: str | None = None
    vcpus: int | None = None
    params: Mapping[str, int] | None = None


def _setting(script: S.Script, kind: S.Setting) -> list[S.SettingLine]:
    return [s for s in script.settings if s.setting == kind]


def _once(script: S.Script, lines: list[S.SettingLine]) -> S.SettingLine | None:
    if len(lines) > 1:
        raise script.error(Diagnostic(f"'{lines[1].setting}' is given twice (first at line {lines[0].span.line})", lines[1].span))
    return lines[0] if lines else None


def model_name(script: S.Script, opt: str | None, known: list[str]) -> str:
    """The model the script runs on: --model, else its `model` line, else the spec's only one."""
    line = _once(script, _setting(script, S.Setting.MODEL))
    if opt is not None:
        if opt not in known:
            raise UsageError(f"--model {opt}: the spec has no such model (models: {', '.join(known)})")
        return opt
    if line is not None:
        if line.word not in known:
            raise script.error(Diagnostic(f"the spec has no model {line.word} (models: {', '.join(known)})", line.span))
        return line.word
    if len(known) != 1:
        raise UsageError(f"the spec has models {', '.join(known)}: give --model or a 'model' line in the script")
    return known[0]


def _named_vcpus(script: S.Script) -> int:
    """One more than the highest vCPU the script's accesses name."""
    top = 0
    for line in script.steps:
        if isinstance(line, S.AccessLine):
            top = max(top, line.cpu.value, line.target.rd.value if line.target.rd is not None else 0)
    return top + 1


def make_machine(script: S.Script, model: api.Model, opts: Options) -> api.Machine:
    """The machine the settings (the options', else the script's, else the defaults) describe."""
    lo, hi = model.vcpus
    vline = _once(script, _setting(script, S.Setting.VCPUS))
    if opts.vcpus is not None:
        vcpus = opts.vcpus
        if not lo <= vcpus <= hi:
            raise UsageError(f"--vcpus {vcpus}: model {model.name} allows {lo}..{hi} vCPUs")
    elif vline is not None:
        assert vline.value is not None
        vcpus = vline.value.value
        if not lo <= vcpus <= hi:
            raise script.error(Diagnostic(f"model {model.name} allows {lo}..{hi} vCPUs, not {vcpus}", vline.value.span))
    else:
        vcpus = min(max(lo, _named_vcpus(script)), hi)
    params: dict[str, int] = {}
    for line in _setting(script, S.Setting.PARAM):
        assert line.value is not None
        if opts.params is not None and line.word in opts.params:
            continue
        try:
            model.param_values({line.word: line.value.value})
        except api.ArgumentError as e:
            raise script.error(
                Diagnostic(e.message, line.value.span if line.word in model.system.params else line.span)
            ) from None
        params[line.word] = line.value.value
    for name, v in (opts.params or {}).items():
        try:
            model.param_values({name: v})
        except api.ArgumentError as e:
            raise UsageError(f"--param {name}={v}: {e.message}") from None
        params[name] = v
    return model.machine(vcpus, params)


def _value(v: S.Value | None) -> int | dict[str, int] | None:
    if v is None:
        return None
    if v.number is not None:
        return v.number.value
    return {f.name: f.value.value for f in v.fields}


def _target(t: S.Target) -> api.Target:
    if isinstance(t, S.Offset):
        return api.At(t.frame, t.offset.value, t.rd.value if t.rd is not None else None)
    return api.Reg(t.name, t.index.value if t.index else None, t.rd.value if t.rd else None, t.frame)


def _value_span(v: S.Value | None, detail: str | None, fallback: Span) -> Span:
    if v is None:
        return fallback
    for f in v.fields:
        if f.name == detail:
            return f.span
    return v.span


def _access_span(line: S.AccessLine, e: api.ApiError) -> Span:
    t = line.target
    match e.part:
        case api.Part.CPU:
            return line.cpu.span
        case api.Part.WIDTH:
            return line.verb_span
        case api.Part.VALUE:
            return _value_span(line.value, e.detail, line.span)
        case api.Part.EXPECT:
            return _value_span(line.expect, e.detail, line.span)
        case api.Part.REGISTER:
            return t.name_span if isinstance(t, S.Named) else t.span
        case api.Part.INDEX:
            return t.index.span if isinstance(t, S.Named) and t.index is not None else t.span
        case api.Part.FRAME:
            return t.frame_span if isinstance(t, S.Offset) else t.span
        case api.Part.RD:
            return t.rd.span if t.rd is not None else t.span
        case api.Part.OFFSET:
            return t.offset.span if isinstance(t, S.Offset) else t.span
    return line.span


def _action_span(line: S.ActionLine, e: api.ApiError) -> Span:
    if e.part != api.Part.ARGUMENT:
        return line.action_span
    positional = [a for a in line.args if a.name is None]
    if e.position is not None and e.position < len(positional):
        return positional[e.position].span
    return next((a.span for a in line.args if a.name is not None and a.name == e.detail), line.span)


def prepare(machine: api.Machine, line: S.AccessLine | S.ActionLine) -> api.Prepared:
    """One line checked against the machine; an ApiError comes out as a located SpecError."""
    try:
        if isinstance(line, S.ActionLine):
            positional = [a.value.value for a in line.args if a.name is None]
            named = {a.name: a.value.value for a in line.args if a.name is not None}
            return machine.prepare_action(line.action, positional, named)
        target = _target(line.target)
        value = _value(line.value)
        if line.write:
            assert value is not None
            return machine.prepare_write(line.cpu.value, target, value, width=line.width)
        return machine.prepare_read(line.cpu.value, target, width=line.width, expect=_value(line.expect))
    except api.ApiError as e:
        span = _action_span(line, e) if isinstance(line, S.ActionLine) else _access_span(line, e)
        raise SpecError([Diagnostic(e.message, span)]) from None


def prepare_all(machine: api.Machine, script: S.Script) -> list[api.Prepared]:
    """Every line checked before any runs; SpecError with every line's error."""
    out: list[api.Prepared] = []
    errors: list[Diagnostic] = []
    for line in script.steps:
        try:
            out.append(prepare(machine, line))
        except SpecError as e:
            errors += e.diagnostics
    if errors:
        raise script.error(*errors)
    return out


def _failure(line: S.AccessLine | S.ActionLine, e: api.ApiError, source: str) -> RunFailure:
    if isinstance(e, api.NotAllowed) and isinstance(line, S.AccessLine) and line.expect is not None:
        span = line.expect.span
    else:
        span = line.action_span if isinstance(line, S.ActionLine) else line.span
    allowed = e.allowed if isinstance(e, api.NotAllowed) else ()
    return RunFailure(str(span), e.message, source, span.col, max(span.end_col - span.col, 1), allowed)


def run_script(machine: api.Machine, script: S.Script, source: str) -> RunReport:
    """The script run from reset: every line's outcome, up to the first the spec does not allow."""
    steps = script.steps
    prepared = prepare_all(machine, script)
    texts = source.splitlines()
    lines: list[RunLine] = []
    failure = None
    for line, p in zip(steps, prepared):
        try:
            outcome: Outcome = machine.run(p)
        except (api.NotAllowed, api.NotEnabled) as e:
            failure = _failure(line, e, texts[line.span.line - 1])
            break
        lines.append(RunLine(line.span.line, line.text, outcome, p.expect))
    params = tuple(sorted(machine.params.items()))
    return RunReport(script.path, machine.model.name, machine.nr_vcpus, params, tuple(lines), failure)
