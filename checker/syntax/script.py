"""`gicheck run` scripts: text -> a list of located lines (docs/run.md is the reference).

One access or event per line, `#` starts a comment:

    model gicv3                                  # settings, before the first access
    vcpus 3
    param nr_irqs=128
    cpu 0 write32 GICD_CTLR 0x2                  # a register by name (NAME<n>, NAME[n] for arrays)
    cpu 0 write ICC_SGI1R_EL1 IRM=1 INTID=3      # a value as fields of the register's layout
    cpu 1 read32 GICR[1]+0x0008                  # a frame and an offset
    cpu 1 read GICR[0].GICR_TYPER                # another vCPU's redistributor by name
    cpu 1 read ICC_IAR1_EL1 expect 3             # the value the script expects
    raise_spi 40                                 # an environment action, arguments by position
    raise_spi intid=40                           # or by name

A small hand tokenizer (words split on blanks) is enough for this: every token keeps its
column, and every error is collected with its place, as sema does for spec files. Names are
only split here; what they mean (registers, frames, actions) is for checker.api to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from checker.diagnostics import Diagnostic, SpecError
from checker.span import Span
from checker.syntax.limits import literal_problem


class Setting(StrEnum):
    MODEL = "model"
    VCPUS = "vcpus"
    PARAM = "param"


@dataclass(frozen=True, slots=True)
class Number:
    value: int
    span: Span


@dataclass(frozen=True, slots=True)
class FieldValue:
    name: str
    value: Number
    span: Span  # the whole `NAME=V`


@dataclass(frozen=True, slots=True)
class Value:
    """A number, or fields of the register's layout (`IRM=1 INTID=3`, the rest zero)."""

    number: Number | None
    fields: tuple[FieldValue, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Named:
    """A register by name: `GICD_CTLR`, `GICD_ISENABLER1`, `GICD_ISENABLER[1]`, `GICR[1].GICR_TYPER`."""

    name: str
    index: Number | None
    frame: str | None
    rd: Number | None
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class Offset:
    """A frame and an offset in it: `GICD+0x100`, `GICR[1]+0x0008`, `GICR+0x20008`."""

    frame: str
    rd: Number | None
    offset: Number
    span: Span
    frame_span: Span


Target = Named | Offset


@dataclass(frozen=True, slots=True)
class AccessLine:
    cpu: Number
    write: bool
    width: int | None  # bits: read32 -> 32; read -> None (the register's own width)
    verb_span: Span
    target: Target
    value: Value | None  # a write's value
    expect: Value | None  # a read's expected value
    span: Span  # the whole line
    text: str


@dataclass(frozen=True, slots=True)
class Argument:
    name: str | None  # None: positional
    value: Number
    span: Span


@dataclass(frozen=True, slots=True)
class ActionLine:
    action: str
    action_span: Span
    args: tuple[Argument, ...]
    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class SettingLine:
    setting: Setting
    word: str  # model: its name; param: the parameter's name
    value: Number | None  # vcpus and param
    span: Span
    text: str


Line = AccessLine | ActionLine | SettingLine


@dataclass(frozen=True, slots=True)
class Script:
    path: str
    lines: tuple[Line, ...]
    source: str = ""  # the script's text, which its error messages quote

    def error(self, *diagnostics: Diagnostic) -> SpecError:
        """The script's errors, able to quote its lines whatever the file is called."""
        return SpecError(list(diagnostics), {self.path: self.source})

    @property
    def settings(self) -> tuple[SettingLine, ...]:
        return tuple(x for x in self.lines if isinstance(x, SettingLine))

    @property
    def steps(self) -> tuple[AccessLine | ActionLine, ...]:
        return tuple(x for x in self.lines if not isinstance(x, SettingLine))


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    span: Span


class _LineError(Exception):
    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


_NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F][0-9a-fA-F_]*|0[bB][01][01_]*|[0-9][0-9_]*)")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_VERB = re.compile(r"(read|write)(8|16|32|64)?")
_OFFSET = re.compile(rf"(?P<frame>{_IDENT})(?:\[(?P<rd>[^\]]*)\])?\+(?P<off>.*)")
_NAMED = re.compile(rf"(?:(?P<frame>{_IDENT})\[(?P<rd>[^\]]*)\]\.)?(?P<name>{_IDENT})(?:\[(?P<idx>[^\]]*)\])?")
_WORD = re.compile(_IDENT)
_SETTINGS = frozenset(s.value for s in Setting)


def _tokens(text: str, path: str, line: int) -> list[_Tok]:
    code = text.split("#", 1)[0]
    return [_Tok(m.group(), Span(path, line, m.start() + 1, line, m.end() + 1)) for m in re.finditer(r"\S+", code)]


def _sub(span: Span, start: int, end: int) -> Span:
    """The part [start, end) of a token's text."""
    return Span(span.file, span.line, span.col + start, span.line, span.col + end)


def _number(text: str, span: Span, what: str) -> Number:
    if not _NUMBER.fullmatch(text):
        raise _LineError(f"expected {what} (a number: 42, 0x2a or 0b101010), not '{text}'", span)
    problem = literal_problem(text)
    if problem is not None:
        raise _LineError(problem, span)
    return Number(int(text.replace("_", ""), 0), span)


def _value(toks: list[_Tok], what: str) -> Value:
    """A number (one token) or fields of the register's layout (one or more NAME=V)."""
    span = Span(toks[0].span.file, toks[0].span.line, toks[0].span.col, toks[-1].span.line, toks[-1].span.end_col)
    if len(toks) == 1 and "=" not in toks[0].text:
        return Value(_number(toks[0].text, toks[0].span, what), (), span)
    fields = []
    for t in toks:
        name, eq, v = t.text.partition("=")
        if not eq or not _WORD.fullmatch(name):
            raise _LineError(f"expected {what}: one number, or fields of the register as NAME=V, not '{t.text}'", t.span)
        fields.append(FieldValue(name, _number(v, _sub(t.span, len(name) + 1, len(t.text)), f"a value for field {name}"), t.span))
    return Value(None, tuple(fields), span)


def _bracket(text: str | None, span: Span, start: int, what: str) -> Number | None:
    if text is None:
        return None
    return _number(text, _sub(span, start, start + len(text)), what)


def _target(t: _Tok) -> Target:
    m = _OFFSET.fullmatch(t.text)
    if m:
        rd = _bracket(m.group("rd"), t.span, m.start("rd"), "a redistributor (vCPU) number")
        off = _number(m.group("off"), _sub(t.span, m.start("off"), len(t.text)), "an offset")
        return Offset(m.group("frame"), rd, off, t.span, _sub(t.span, 0, m.end("frame")))
    m = _NAMED.fullmatch(t.text)
    if not m:
        raise _LineError(
            f"expected a register (GICD_CTLR, GICD_ISENABLER1, GICR[1].GICR_TYPER) or a frame and an offset "
            f"(GICD+0x100, GICR[1]+0x8), not '{t.text}'",
            t.span,
        )
    rd = _bracket(m.group("rd"), t.span, m.start("rd") if m.group("rd") is not None else 0, "a redistributor (vCPU) number")
    idx = _bracket(m.group("idx"), t.span, m.start("idx") if m.group("idx") is not None else 0, "an array index")
    name_span = _sub(t.span, m.start("name"), m.end("name"))
    return Named(m.group("name"), idx, m.group("frame"), rd, t.span, name_span)


def _access(toks: list[_Tok], span: Span, text: str) -> AccessLine:
    if len(toks) < 2:
        raise _LineError("expected a vCPU number after 'cpu'", toks[0].span)
    cpu = _number(toks[1].text, toks[1].span, "a vCPU number")
    if len(toks) < 3:
        raise _LineError("expected read or write (read32, write64, ...) after the vCPU", toks[1].span)
    verb = _VERB.fullmatch(toks[2].text)
    if not verb:
        raise _LineError(f"expected read, write, read8..read64 or write8..write64, not '{toks[2].text}'", toks[2].span)
    write, width = verb.group(1) == "write", int(verb.group(2)) if verb.group(2) else None
    if len(toks) < 4:
        raise _LineError(f"expected the register to {verb.group(1)} after '{toks[2].text}'", toks[2].span)
    target = _target(toks[3])
    rest = toks[4:]
    cut = next((i for i, t in enumerate(rest) if t.text == "expect"), None)
    value_toks, expect_toks = (rest, []) if cut is None else (rest[:cut], rest[cut + 1 :])
    value = expect = None
    if write:
        if cut is not None:
            raise _LineError("'expect' goes with a read: a write returns nothing", rest[cut].span)
        if not value_toks:
            raise _LineError("expected the value to write after the register", toks[3].span)
        value = _value(value_toks, "the value to write")
    else:
        if value_toks:
            raise _LineError("a read takes no value (to name the value expected, write 'expect V')", value_toks[0].span)
        if cut is not None:
            if not expect_toks:
                raise _LineError("expected a value after 'expect'", rest[cut].span)
            expect = _value(expect_toks, "the value expected")
    return AccessLine(cpu, write, width, toks[2].span, target, value, expect, span, text)


def _setting(toks: list[_Tok], span: Span, text: str) -> SettingLine:
    kind = Setting(toks[0].text)
    if len(toks) != 2:
        example = {Setting.MODEL: "model gicv3", Setting.VCPUS: "vcpus 4", Setting.PARAM: "param nr_irqs=128"}[kind]
        where = toks[2].span if len(toks) > 2 else toks[0].span
        raise _LineError(f"'{kind}' takes one word: {example}", where)
    t = toks[1]
    match kind:
        case Setting.MODEL:
            if not _WORD.fullmatch(t.text):
                raise _LineError(f"expected a model name, not '{t.text}'", t.span)
            return SettingLine(kind, t.text, None, span, text)
        case Setting.VCPUS:
            return SettingLine(kind, "", _number(t.text, t.span, "a vCPU count"), span, text)
        case Setting.PARAM:
            name, eq, v = t.text.partition("=")
            if not eq or not _WORD.fullmatch(name):
                raise _LineError(f"expected NAME=V (param nr_irqs=128), not '{t.text}'", t.span)
            return SettingLine(
                kind, name, _number(v, _sub(t.span, len(name) + 1, len(t.text)), f"a value for {name}"), span, text
            )
    raise AssertionError(kind)


def _action(toks: list[_Tok], span: Span, text: str) -> ActionLine:
    head = toks[0]
    if not _WORD.fullmatch(head.text):
        raise _LineError(f"expected 'cpu N read/write ...', a setting or an environment action, not '{head.text}'", head.span)
    args = []
    for t in toks[1:]:
        name, eq, v = t.text.partition("=")
        if eq:
            if not _WORD.fullmatch(name):
                raise _LineError(f"expected an argument (V or NAME=V), not '{t.text}'", t.span)
            args.append(Argument(name, _number(v, _sub(t.span, len(name) + 1, len(t.text)), f"a value for {name}"), t.span))
        else:
            args.append(Argument(None, _number(t.text, t.span, "an argument"), t.span))
    return ActionLine(head.text, head.span, tuple(args), span, text)


def parse_script(text: str, path: str) -> Script:
    """Every line of a script, or SpecError with every line's error (path:line:col)."""
    lines: list[Line] = []
    errors: list[Diagnostic] = []
    seen_step: Span | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        toks = _tokens(raw, path, n)
        if not toks:
            continue
        span = Span(path, n, toks[0].span.col, n, toks[-1].span.end_col)
        code = raw.split("#", 1)[0].strip()
        try:
            line: Line
            if toks[0].text == "cpu":
                line = _access(toks, span, code)
            elif toks[0].text in _SETTINGS:
                line = _setting(toks, span, code)
                if seen_step is not None:
                    raise _LineError(f"'{line.setting}' goes before the first access (line {seen_step.line})", toks[0].span)
            else:
                line = _action(toks, span, code)
        except _LineError as e:
            errors.append(Diagnostic(e.message, e.span))
            continue
        if not isinstance(line, SettingLine) and seen_step is None:
            seen_step = span
        lines.append(line)
    if errors:
        raise SpecError(errors, {path: text})
    return Script(path, tuple(lines), text)
