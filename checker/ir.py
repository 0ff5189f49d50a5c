"""The typed intermediate representation shared by the interpreter and the SMT encoding.

Sema produces these nodes from the AST (types resolved, literals sized, constructors and field
accesses turned into bit operations); lower.py assembles them into a `System`. Every node keeps
the span of the source it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import NamedTuple

import checker.ir_kinds
import checker.span
from checker.diagnostics import UsageError

Span = checker.span.Span
NOSPAN = checker.span.NOSPAN
# The kinds live in ir_kinds; these names keep `ir.Op` and friends where the nodes are.
Access = checker.ir_kinds.Access
ActionKind = checker.ir_kinds.ActionKind
Op = checker.ir_kinds.Op
QuantKind = checker.ir_kinds.QuantKind
UnOp = checker.ir_kinds.UnOp

# ---- types -------------------------------------------------------------------------------

VCPU_WIDTH = 32


@dataclass(frozen=True, slots=True)
class BoolT:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class BitsT:
    width: int
    layout: str | None = None

    def __str__(self) -> str:
        return self.layout if self.layout else f"bits({self.width})"


@dataclass(frozen=True, slots=True)
class IndexT:
    """A bounded set of indices: the vCPUs of the VM (hi is None: the vCPU count) or lo..hi."""

    name: str
    lo: int
    hi: int | None
    width: int

    @property
    def is_vcpu(self) -> bool:
        return self.hi is None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ArrayT:
    index: IndexT
    elem: Type

    def __str__(self) -> str:
        dims, elem = [], self
        while isinstance(elem, ArrayT):
            dims.append(f"[{elem.index}]")
            elem = elem.elem  # type: ignore[assignment]
        return f"{elem}{''.join(dims)}"


Type = BoolT | BitsT | IndexT | ArrayT

VCPU = IndexT("vcpu", 0, None, VCPU_WIDTH)
BOOL = BoolT()


def width_of(t: Type) -> int:
    match t:
        case BitsT(width=w) | IndexT(width=w):
            return w
        case BoolT() | ArrayT():
            raise TypeError(f"{t} has no bit width")
    raise AssertionError(t)


def range_type(lo: int, hi: int, name: str | None = None) -> IndexT:
    return IndexT(name or f"{lo}..{hi}", lo, hi, max(1, hi.bit_length()))


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    width: int
    fields: tuple[tuple[str, int, int], ...]  # (name, hi, lo), declaration order
    span: Span = NOSPAN

    def field(self, name: str) -> tuple[int, int] | None:
        for fname, hi, lo in self.fields:
            if fname == name:
                return hi, lo
        return None


# ---- expressions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    value: int | bool
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Local:
    """A let/var local, a parameter, a loop or quantifier variable."""

    name: str
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class StateRef:
    name: str
    type: Type
    primed: bool = False
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class NrVcpus:
    type: Type = VCPU
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class ParamRef:
    """A configuration parameter (`param nr_irqs`): fixed for a run, any value in its range."""

    name: str
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Unop:
    op: UnOp
    arg: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Binop:
    """Operands already have equal widths (bits ops) or are both bool (logic, ==, !=)."""

    op: Op
    left: Expr
    right: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class NonZero:
    arg: Expr
    type: Type = BOOL
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class ZExt:
    arg: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Extract:
    arg: Expr
    hi: int
    lo: int
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class BitAt:
    """Bit `index` of `arg`; an index at or past the width reads 0 (like C's BIT(n) & mask)."""

    arg: Expr
    index: Expr
    type: Type = BitsT(1)
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class SetBits:
    """`arg` with bits hi..lo replaced by `value` (a constructor or `with` field)."""

    arg: Expr
    hi: int
    lo: int
    value: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Select:
    array: Expr
    index: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Ite:
    cond: Expr
    then: Expr
    other: Expr
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    type: Type
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Quant:
    kind: QuantKind
    vars: tuple[Local, ...]
    body: Expr
    type: Type = BOOL
    span: Span = NOSPAN


Expr = (
    Const
    | Local
    | StateRef
    | NrVcpus
    | ParamRef
    | Unop
    | Binop
    | NonZero
    | ZExt
    | Extract
    | BitAt
    | SetBits
    | Select
    | Ite
    | Call
    | Quant
)


# ---- statements --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathIndex:
    index: Expr


@dataclass(frozen=True, slots=True)
class PathBits:
    hi: int
    lo: int


@dataclass(frozen=True, slots=True)
class PathBit:
    """A dynamic bit of a `width`-bit value: writes at or past the width change nothing."""

    index: Expr
    width: int


PathStep = PathIndex | PathBits | PathBit


@dataclass(frozen=True, slots=True)
class Target:
    root: str
    is_state: bool
    path: tuple[PathStep, ...]
    type: Type


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    value: Expr
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Assign:
    target: Target
    value: Expr
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    other: tuple[Stmt, ...]
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class For:
    var: str
    domain: IndexT
    body: tuple[Stmt, ...]
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Break:
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Continue:
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr | None
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Invoke:
    """Run another action's body (a register handler) with `args`; its returned value, if
    `result` names a local, lands there. Frame accesses decode to these."""

    action: str
    args: tuple[Expr, ...]
    result: str | None = None
    span: Span = NOSPAN


Stmt = Let | Assign | If | For | Break | Continue | Return | Invoke


# ---- the system --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    params: tuple[Local, ...]
    ret: Type
    body: tuple[Stmt, ...]
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class StateVar:
    name: str
    type: Type
    indices: tuple[Local, ...]  # names the reset value may use, one per array dimension
    init: Expr
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Action:
    """One thing that can happen in a step: a register access by a vCPU or an environment event."""

    name: str  # "ICC_SGI1R_EL1.write", "raise_line"
    kind: ActionKind
    params: tuple[Local, ...]
    requires: Expr | None
    body: tuple[Stmt, ...]
    register: str | None = None  # for register accesses
    doc: str = ""
    span: Span = NOSPAN
    result: Type | None = None  # what a read returns


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    body: Expr
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Contract:
    name: str
    action: str
    params: tuple[Local, ...]  # the action's parameters, under the property's names
    result: Local | None  # the name the property gives a read's result
    where: Expr | None
    body: Expr
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Independence:
    name: str
    action: str
    params: tuple[Local, ...]
    where: Expr | None
    ignored: tuple[tuple[int, int, int], ...]  # (parameter position, hi, lo)
    ignored_text: tuple[str, ...]
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Invariant:
    name: str
    body: Expr
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Cover:
    name: str
    body: Expr
    doc: str = ""
    span: Span = NOSPAN


Property = Fact | Contract | Independence | Invariant | Cover


@dataclass(frozen=True, slots=True)
class RefineCase:
    """One `refines` clause: the action a handler's run is a step of, with its arguments as
    expressions over the handler's parameters and result, when `cond` holds."""

    action: str
    args: tuple[Expr, ...]
    cond: Expr | None
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Refinement:
    """A handler that claims every run of it is a step of one of `cases` (the first whose
    condition holds) or changes nothing. Proved once (engines/prove.py), it lets the search
    leave the handler out: its steps are steps the cases' actions take anyway."""

    handler: str
    params: tuple[Local, ...]
    result: Local | None
    cases: tuple[RefineCase, ...]
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: IndexT
    where: Expr | None
    doc: str = ""
    span: Span = NOSPAN


@dataclass(frozen=True, slots=True)
class MmioRegister:
    """Where a register sits in its frame; its accesses are the actions `<name>.read/.write`."""

    name: str
    offset: int  # of element 0 of an array
    bytes: int  # its width in bytes; elements of an array are this far apart
    lo: int  # array index range (0..0 for a single register)
    hi: int
    type: Type
    access: Access
    widths: tuple[int, ...]  # access widths in bits that reach the handlers
    array: bool = False

    def element_at(self, offset: int) -> int | None:
        """The array index an offset (within the frame) falls in, if it falls in this register."""
        first = self.offset + self.lo * self.bytes
        if first <= offset < self.offset + (self.hi + 1) * self.bytes:
            return (offset - self.offset) // self.bytes
        return None


@dataclass(frozen=True, slots=True)
class MmioFrame:
    name: str
    per_vcpu: bool
    size: int
    stride: int
    split: tuple[int, str] | None
    registers: tuple[MmioRegister, ...]

    def decode(self, offset: int) -> tuple[int | None, MmioRegister | None, int | None]:
        """(vCPU of a per-vCPU frame, register, array index) of an offset; None where unmapped."""
        rd = None
        if self.per_vcpu:
            rd, offset = offset // self.stride, offset % self.stride
        for r in self.registers:
            n = r.element_at(offset)
            if n is not None:
                return rd, r, n
        return rd, None, None


class VcpuRange(NamedTuple):
    """The vCPU counts a check covers, both ends included."""

    lo: int
    hi: int

    @classmethod
    def parse(cls, text: str) -> VcpuRange:
        """`--vcpus N` or `--vcpus A..B`."""
        m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", text)
        if not m:
            raise UsageError(f"--vcpus takes a count N or a range A..B, not '{text}'")
        longest = max(len(g or "") for g in m.groups())
        if longest > 20:  # more than any model allows; and int() refuses more than 4300 digits
            raise UsageError(f"--vcpus takes numbers of at most 20 digits, not one of {longest}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1:
            raise UsageError(f"vCPU range {lo}..{hi} starts at {lo}: a VM has at least one vCPU")
        if hi < lo:
            raise UsageError(f"vCPU range {lo}..{hi} is empty")
        return cls(lo, hi)

    def clip(self, allowed: tuple[int, int], *, partial: bool = True) -> VcpuRange | None:
        """The part of this range that `allowed` (a model's range) covers; None when it covers
        none of it or, with partial=False, not all of it."""
        lo, hi = max(self.lo, allowed[0]), min(self.hi, allowed[1])
        if lo > hi or (not partial and (lo, hi) != tuple(self)):
            return None
        return VcpuRange(lo, hi)


@dataclass(frozen=True)
class System:
    model: str
    vcpus: VcpuRange  # the vCPU counts this system is checked for
    layouts: dict[str, Layout]
    functions: dict[str, Function]
    states: dict[str, StateVar]
    actions: dict[str, Action]  # the transitions: what can happen in a step
    properties: tuple[Property, ...] = field(default=())
    span: Span = NOSPAN
    params: dict[str, Param] = field(default_factory=dict)
    callables: dict[str, Action] = field(default_factory=dict)  # register handlers, frame helpers
    frames: dict[str, MmioFrame] = field(default_factory=dict)
    refinements: tuple[Refinement, ...] = field(default=())

    def action(self, name: str) -> Action:
        """A transition or a register handler a property names."""
        return self.actions[name] if name in self.actions else self.callables[name]


def walk(x: object) -> Iterator[object]:
    """Every node inside an IR value (expressions, statements, tuples of them), `x` first."""
    yield x
    if isinstance(x, tuple):
        for y in x:
            yield from walk(y)
    elif is_dataclass(x) and not isinstance(x, type):
        for f in fields(x):
            if f.name != "span":
                yield from walk(getattr(x, f.name))
