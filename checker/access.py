"""Accesses checked against a model before they run (checker.api uses this).

A register named or given as a frame and an offset, a width, a value (a number or the fields of
the register's layout), an expected value, an environment action's arguments: each is checked
here and becomes a `Prepared` run of one action of the IR, or an ArgumentError that names the
argument it is about (`Part`, and a field or parameter name in `detail`), so that a caller with
places for its arguments (a `gicheck run` script) can point at the right one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from checker import interp, ir
from checker.choice import refinement_of
from checker.results import Choice

WIDTHS = (8, 16, 32, 64)


class Part(StrEnum):
    """The argument an ApiError is about."""

    SPEC = "spec"
    MODEL = "model"
    VCPUS = "vcpus"
    PARAM = "param"
    CPU = "cpu"
    REGISTER = "register"
    INDEX = "index"
    FRAME = "frame"
    RD = "rd"
    OFFSET = "offset"
    WIDTH = "width"
    VALUE = "value"
    EXPECT = "expect"
    ACTION = "action"
    ARGUMENT = "argument"


class ApiError(Exception):
    """What checker.api refuses; `part` is the argument, `detail` a field or parameter name,
    `position` an environment action's positional argument."""

    def __init__(self, message: str, part: Part, detail: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.part = part
        self.detail = detail
        self.position = position


class ArgumentError(ApiError):
    """An argument that names nothing, or a value out of its range."""


class NotAllowed(ApiError):
    """A read's expected value that the spec does not allow from this state."""

    def __init__(self, message: str, expected: int, allowed: tuple[Choice, ...]):
        super().__init__(message, Part.EXPECT)
        self.expected = expected
        self.allowed = allowed


class NotEnabled(ApiError):
    """An action whose `requires` is false in this state."""


@dataclass(frozen=True)
class Reg:
    """A register by name; `index` for an array element, `rd` for another vCPU's frame."""

    name: str
    index: int | None = None
    rd: int | None = None
    frame: str | None = None  # when given, checked to be the register's frame


@dataclass(frozen=True)
class At:
    """An offset in a frame: in frame `rd` of a per-vCPU frame, or from its first frame."""

    frame: str
    offset: int
    rd: int | None = None


Target = str | Reg | At
Value = int | Mapping[str, int]


@dataclass(frozen=True)
class Request:
    """A register access asked for: a write when `value` is given, else a read."""

    cpu: int
    target: Target
    width: int | None = None  # bits; None: the register's own width
    value: Value | None = None
    expect: Value | None = None  # a read's expected value


@dataclass(frozen=True)
class Prepared:
    """An access or action checked against a machine, ready to run."""

    action: str  # the IR action run: "GICD.write", "ICC_IAR1_EL1.read", "raise_spi"
    args: Mapping[str, interp.Value]
    label: str  # what messages call it: "GICR[1].GICR_TYPER", "raise_spi(intid=40)"
    refined: tuple[str, Mapping[str, interp.Value]] | None = None  # a handler with `refines` reached whole
    expect: int | None = None
    notes: tuple[str, ...] = ()


def suggest(word: str, names: Sequence[str]) -> str:
    """` (did you mean X?)` for the closest of `names`; a trailing number is kept (GICD_ISENABLR1
    -> GICD_ISENABLER1)."""
    close = difflib.get_close_matches(word, names, n=1)
    m = re.fullmatch(r"(.*?[A-Za-z_])(\d+)", word)
    if m:
        base = difflib.get_close_matches(m.group(1), names, n=1)
        if base and (
            not close
            or difflib.SequenceMatcher(None, m.group(1), base[0]).ratio() > difflib.SequenceMatcher(None, word, close[0]).ratio()
        ):
            return f" (did you mean {base[0]}{m.group(2)}?)"
    return f" (did you mean {close[0]}?)" if close else ""


@dataclass(frozen=True)
class Element:
    """A memory-mapped register element: its frame, register and array index."""

    frame: ir.MmioFrame
    reg: ir.MmioRegister
    index: int | None


class Catalog:
    """A system's registers, system registers and environment actions, by name."""

    def __init__(self, system: ir.System):
        self.system = system
        self.sysregs: dict[str, dict[bool, ir.Action]] = {}  # name -> {is write: handler}
        for a in system.actions.values():
            if a.kind.is_sysreg and a.register is not None:
                self.sysregs.setdefault(a.register, {})[a.kind == ir.ActionKind.SYSREG_WRITE] = a
        self.registers = {r.name: (f, r) for f in system.frames.values() for r in f.registers}
        self.actions = {n: a for n, a in system.actions.items() if a.kind == ir.ActionKind.ENV}

    def element(self, name: str, index: int | None) -> Element:
        """The memory-mapped register `name`: with `index`, or a trailing number as its index;
        an index outside the array of that name falls to a sibling (GICD_IPRIORITYR0_7)."""
        if name in self.registers and index is None:
            frame, reg = self.registers[name]
            if reg.array:
                raise ArgumentError(
                    f"{name} is an array: name an element, {name}<n> or {name}[n], n in {reg.lo}..{reg.hi}", Part.INDEX
                )
            return Element(frame, reg, None)
        base, n = name, index
        if n is None:
            m = re.fullmatch(r"(.*?)(\d+)", name)
            if m is None:
                raise self.unknown(name)
            base, n = m.group(1), int(m.group(2))
        family = [(f, r) for f, r in self.registers.values() if r.array and re.fullmatch(re.escape(base) + r"(\d+_\d+)?", r.name)]
        if not family:
            if index is not None and name in self.registers:
                raise ArgumentError(f"{name} is not an array: it takes no index", Part.INDEX)
            raise self.unknown(name)
        for f, r in family:
            if r.lo <= n <= r.hi:
                return Element(f, r, n)
        ranges = ", ".join(f"{r.name}[{r.lo}..{r.hi}]" for _, r in family)
        raise ArgumentError(f"{base} has no element {n} (elements: {ranges})", Part.INDEX)

    def unknown(self, name: str) -> ArgumentError:
        names = [*self.sysregs, *self.registers]
        return ArgumentError(f"model {self.system.model} has no register {name}{suggest(name, names)}", Part.REGISTER)


def _hex(v: int) -> str:
    return f"{v:#x}"


def _bits(n: int) -> str:
    return f"{n} bit{'s' if n != 1 else ''}"


class Resolver:
    """Checks accesses and actions for a machine with `nr_vcpus` vCPUs."""

    def __init__(self, catalog: Catalog, nr_vcpus: int):
        self.cat = catalog
        self.system = catalog.system
        self.n = nr_vcpus

    def vcpu(self, v: int, part: Part, frame: str | None = None) -> int:
        """A vCPU number (or, with `frame`, the vCPU of a per-vCPU frame) the machine has."""
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < self.n:
            s = "s" if self.n != 1 else ""
            what = f"vCPU {v}" if frame is None else f"{frame}[{v}]"
            raise ArgumentError(f"{what} does not exist: the machine has {self.n} vCPU{s} (0..{self.n - 1})", part)
        return v

    def access(self, req: Request) -> Prepared:
        """A register access: a write when the request has a value, else a read."""
        self.vcpu(req.cpu, Part.CPU)
        if req.width is not None and req.width not in WIDTHS:
            raise ArgumentError(f"an access is 8, 16, 32 or 64 bits wide, not {req.width}", Part.WIDTH)
        target = req.target
        if isinstance(target, str):
            m = re.fullmatch(r"(\w+)\[(\d+)\]", target)
            target = Reg(m.group(1), int(m.group(2))) if m else Reg(target)
        if isinstance(target, Reg) and target.name in self.cat.sysregs:
            return self._sysreg(req, target)
        if isinstance(target, Reg):
            el = self.cat.element(target.name, target.index)
            return self._mmio(req, el.frame, self._named_offset(req.cpu, target, el), req.width or el.reg.bytes * 8)
        offset = self._at_offset(target)
        if req.width is None:
            raise ArgumentError(
                f"an access by offset needs its width (read32, write32, ...): {target.frame} has no default", Part.WIDTH
            )
        return self._mmio(req, self.system.frames[target.frame], offset, req.width)

    def _sysreg(self, req: Request, t: Reg) -> Prepared:
        if t.index is not None or t.rd is not None or t.frame is not None:
            part = Part.INDEX if t.index is not None else Part.RD if t.rd is not None else Part.FRAME
            raise ArgumentError(f"{t.name} is a system register: it has no index or frame", part)
        write = req.value is not None
        a = self.cat.sysregs[t.name].get(write)
        if a is None:
            kind = "read-only" if write else "write-only"
            raise ArgumentError(f"{t.name} is {kind}: the spec has no {'write' if write else 'read'} of it", Part.REGISTER)
        rtype = a.params[1].type if write else a.result
        assert rtype is not None
        w = ir.width_of(rtype)
        if req.width is not None and req.width != w:
            raise ArgumentError(f"{t.name} is a {w}-bit system register: it is read and written whole", Part.WIDTH)
        args: dict[str, interp.Value] = {a.params[0].name: req.cpu}
        if req.value is not None:
            args[a.params[1].name] = self.value(req.value, rtype, w, Part.VALUE)
        exp = None if req.expect is None else self.value(req.expect, rtype, w, Part.EXPECT)
        refined = (a.name, args) if not write and refinement_of(self.system, a.name) is not None else None
        return Prepared(a.name, args, t.name, refined, exp)

    def _named_offset(self, cpu: int, t: Reg, el: Element) -> int:
        if t.frame is not None and t.frame != el.frame.name:
            raise ArgumentError(f"{el.reg.name} is in frame {el.frame.name}, not {t.frame}", Part.FRAME)
        offset = el.reg.offset + (el.index or 0) * el.reg.bytes
        if el.frame.per_vcpu:
            rd = cpu if t.rd is None else self.vcpu(t.rd, Part.RD, el.frame.name)
            return offset + rd * el.frame.stride
        if t.rd is not None:
            raise ArgumentError(f"{el.frame.name} is one frame for the whole VM: it takes no [vCPU]", Part.RD)
        return offset

    def _at_offset(self, t: At) -> int:
        frame = self.system.frames.get(t.frame)
        if frame is None:
            names = sorted(self.system.frames)
            raise ArgumentError(
                f"model {self.system.model} has no frame {t.frame}{suggest(t.frame, names)} (frames: {', '.join(names)})",
                Part.FRAME,
            )
        if isinstance(t.offset, bool) or not isinstance(t.offset, int) or t.offset < 0:
            raise ArgumentError(f"an offset is a non-negative integer, not {t.offset}", Part.OFFSET)
        if not frame.per_vcpu:
            if t.rd is not None:
                raise ArgumentError(f"{frame.name} is one frame for the whole VM: it takes no [vCPU]", Part.RD)
            if t.offset >= frame.size:
                raise ArgumentError(f"{frame.name}+{t.offset:#x} is outside the frame ({frame.size:#x} bytes)", Part.OFFSET)
            return t.offset
        if t.rd is not None:
            self.vcpu(t.rd, Part.RD, frame.name)
            if t.offset >= frame.size:
                raise ArgumentError(
                    f"{frame.name}[{t.rd}]+{t.offset:#x} is outside the frame ({frame.size:#x} bytes)", Part.OFFSET
                )
            return t.rd * frame.stride + t.offset
        rd, inner = divmod(t.offset, frame.stride)
        if rd >= self.n or inner >= frame.size:
            where = f"{frame.name}[{rd}]" if inner < frame.size else f"{frame.name}[{rd}] past its {frame.size:#x} bytes"
            raise ArgumentError(f"{frame.name}+{t.offset:#x} is in {where}, and the machine has {self.n} vCPUs", Part.OFFSET)
        return t.offset

    def _mmio(self, req: Request, frame: ir.MmioFrame, offset: int, width: int) -> Prepared:
        cpu, value, expect = req.cpu, req.value, req.expect
        inner = offset % frame.stride if frame.per_vcpu else offset
        if inner + width // 8 > frame.size:
            raise ArgumentError(f"a {width}-bit access at {frame.name}+{inner:#x} runs past the end of the frame", Part.WIDTH)
        rd, reg, n = frame.decode(offset)
        whole = reg is not None and width == reg.bytes * 8 and inner == reg.offset + (n or 0) * reg.bytes
        vtype = reg.type if whole and reg is not None else ir.BitsT(width)
        args: dict[str, interp.Value] = {"self": cpu, "offset": offset, "width": width}
        if value is not None:
            args["val"] = self.value(value, vtype, width, Part.VALUE)
        exp = None if expect is None else self.value(expect, vtype, width, Part.EXPECT)
        where = f"{frame.name}[{rd}]" if rd is not None else frame.name
        label = f"{where}+{inner:#x}" if reg is None else f"{where}.{reg.name}" if rd is not None else reg.name
        if reg is not None and reg.array:
            label += f"[{n}]"
        refined = None
        split = frame.split is not None and width == frame.split[0]
        if whole and value is None and reg is not None and width in reg.widths and not split:
            handler = f"{reg.name}.read"
            if refinement_of(self.system, handler) is not None:
                hvals: list[interp.Value] = [
                    cpu,
                    *([rd] if rd is not None else []),
                    *([n] if reg.array and n is not None else []),
                ]
                refined = (handler, {p.name: v for p, v in zip(self.system.action(handler).params, hvals)})
        return Prepared(
            f"{frame.name}.{'write' if value is not None else 'read'}",
            args,
            label,
            refined,
            exp,
            _notes(frame, reg, n, inner, width),
        )

    def value(self, v: Value, t: ir.Type, width: int, part: Part) -> int:
        """A number, or a mapping of the layout's fields (the other bits zero), that fits `width` bits."""
        if isinstance(v, Mapping):
            layout = self.system.layouts.get(t.layout) if isinstance(t, ir.BitsT) and t.layout else None
            if layout is None:
                raise ArgumentError(f"a {t} value has no fields: give a number", part)
            out = 0
            for name, fv in v.items():
                f = layout.field(name)
                if f is None:
                    fields = ", ".join(x[0] for x in layout.fields)
                    raise ArgumentError(
                        f"{layout.name} has no field {name}{suggest(name, [x[0] for x in layout.fields])} (fields: {fields})",
                        part,
                        name,
                    )
                hi, lo = f
                if isinstance(fv, bool) or not isinstance(fv, int) or not 0 <= fv < 1 << (hi - lo + 1):
                    raise ArgumentError(
                        f"{name} is bits [{hi}:{lo}] of {layout.name}: {fv} does not fit in {_bits(hi - lo + 1)}", part, name
                    )
                out |= fv << lo
            return out
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ArgumentError(f"a value is a non-negative integer, not {v!r}", part)
        if v >= 1 << width:
            raise ArgumentError(f"{_hex(v)} does not fit in {width} bits", part)
        return v

    def action(self, name: str, args: Sequence[int | bool], kwargs: Mapping[str, int | bool]) -> Prepared:
        """An environment action with its arguments by position or by name."""
        a = self.cat.actions.get(name)
        if a is None:
            names = sorted(self.cat.actions)
            raise ArgumentError(
                f"model {self.system.model} has no environment action {name}{suggest(name, names)} (actions: {', '.join(names)})",
                Part.ACTION,
            )
        sig = f"{name}({', '.join(f'{p.name}: {p.type}' for p in a.params)})"
        if len(args) > len(a.params):
            raise ArgumentError(
                f"{sig} takes {len(a.params)} argument{'s' if len(a.params) != 1 else ''}", Part.ARGUMENT, None, len(a.params)
            )
        bound: dict[str, interp.Value] = {}
        for i, (p, v) in enumerate(zip(a.params, args)):
            bound[p.name] = self._arg(p, v, i)
        for k, v in kwargs.items():
            named = next((p for p in a.params if p.name == k), None)
            if named is None:
                raise ArgumentError(f"{sig} has no parameter {k}", Part.ARGUMENT, k)
            if k in bound:
                raise ArgumentError(f"{k} is given twice", Part.ARGUMENT, k)
            bound[k] = self._arg(named, v, None)
        missing = [p.name for p in a.params if p.name not in bound]
        if missing:
            raise ArgumentError(f"{sig}: no value for {', '.join(missing)}", Part.ACTION)
        shown = ", ".join(
            f"{p.name}={str(bound[p.name]).lower() if isinstance(bound[p.name], bool) else bound[p.name]}" for p in a.params
        )
        return Prepared(name, bound, f"{name}({shown})")

    def _arg(self, p: ir.Local, v: int | bool, position: int | None) -> interp.Value:
        t = p.type
        if isinstance(t, ir.BoolT):
            if v in (0, 1):
                return bool(v)
            raise ArgumentError(f"{p.name} is a bool: true, false, 1 or 0, not {v}", Part.ARGUMENT, p.name, position)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ArgumentError(f"{p.name} is a number, not {v!r}", Part.ARGUMENT, p.name, position)
        if isinstance(t, ir.IndexT) and t.is_vcpu:
            if not 0 <= v < self.n:
                raise ArgumentError(
                    f"{p.name} = {v}: the machine has {self.n} vCPUs (0..{self.n - 1})", Part.ARGUMENT, p.name, position
                )
        elif isinstance(t, ir.IndexT):
            if not t.lo <= v <= (t.hi or 0):
                raise ArgumentError(f"{p.name} = {v} is outside {t} ({t.lo}..{t.hi})", Part.ARGUMENT, p.name, position)
        elif not 0 <= v < 1 << ir.width_of(t):
            raise ArgumentError(f"{p.name} = {v} does not fit in {ir.width_of(t)} bits", Part.ARGUMENT, p.name, position)
        return v


def _notes(frame: ir.MmioFrame, reg: ir.MmioRegister | None, n: int | None, inner: int, width: int) -> tuple[str, ...]:
    """What sema/mmio.py's decoding does to an access a guest might not expect."""
    if reg is None:
        return ()
    a = "an" if width == 8 else "a"
    if frame.split is not None and width == frame.split[0]:
        if reg.bytes * 8 == width:  # the register whole, in two halves
            return ()
        return (f"{width}-bit accesses to {frame.name} are split in two 32-bit accesses ({frame.split[1]})",)
    if width not in reg.widths:
        widths = "/".join(str(w) for w in reg.widths)
        return (f"{reg.name} takes {widths}-bit accesses: {a} {width}-bit access reads as zero and ignores writes",)
    if (inner - reg.offset - (n or 0) * reg.bytes) % (width // 8):
        return (f"{a} {width}-bit access not aligned to its width reads as zero and ignores writes",)
    return ()
