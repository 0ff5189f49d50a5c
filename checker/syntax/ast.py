"""AST of the gicheck language: frozen dataclasses, each with the span it was parsed from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import checker.span

Span = checker.span.Span
NOSPAN = checker.span.NOSPAN

# ---- types -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolType:
    span: Span


@dataclass(frozen=True, slots=True)
class BitsType:
    width: int
    span: Span


@dataclass(frozen=True, slots=True)
class RangeType:
    lo: int
    hi: int
    span: Span


@dataclass(frozen=True, slots=True)
class NamedType:
    name: str
    span: Span


TypeExpr = BoolType | BitsType | RangeType | NamedType


# ---- expressions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span
    primed: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FieldInit:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Construct:
    layout: str
    fields: tuple[FieldInit, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class With:
    base: Expr
    fields: tuple[FieldInit, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Index:
    base: Expr
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Slice:
    base: Expr
    hi: Expr
    lo: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Field:
    base: Expr
    name: str
    span: Span
    name_span: Span = NOSPAN


class UnaryOp(StrEnum):
    NOT = "!"
    BNOT = "~"
    NEG = "-"


class BinaryOp(StrEnum):
    IMPLIES = "->"
    OR = "||"
    AND = "&&"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BOR = "|"
    BXOR = "^"
    BAND = "&"
    SHL = "<<"
    SHR = ">>"
    ADD = "+"
    SUB = "-"
    MUL = "*"


@dataclass(frozen=True, slots=True)
class Unary:
    op: UnaryOp
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Cond:
    cond: Expr
    then: Expr
    other: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binder:
    name: str
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class Quant:
    kind: str  # "forall" | "exists"
    binders: tuple[Binder, ...]
    body: Expr
    span: Span


Expr = IntLit | BoolLit | Name | Call | Construct | With | Index | Slice | Field | Unary | Binary | Cond | Quant


# ---- statements --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LvIndex:
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class LvSlice:
    hi: Expr
    lo: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class LvField:
    name: str
    span: Span


LvSuffix = LvIndex | LvSlice | LvField


@dataclass(frozen=True, slots=True)
class LValue:
    name: str
    suffixes: tuple[LvSuffix, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    type: TypeExpr | None
    value: Expr
    mutable: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Assign:
    target: LValue
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    other: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class For:
    var: str
    domain: TypeExpr
    body: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Break:
    span: Span


@dataclass(frozen=True, slots=True)
class Continue:
    span: Span


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr | None
    span: Span


Stmt = Let | Assign | If | For | Break | Continue | Return


# ---- declarations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class UseModel:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ModelDecl:
    name: str
    vcpus: tuple[int, int] | None
    vcpus_span: Span | None
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class ConstDecl:
    name: str
    type: TypeExpr | None
    value: Expr
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class TypeDecl:
    name: str
    type: TypeExpr
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: str
    hi: int
    lo: int
    span: Span


@dataclass(frozen=True, slots=True)
class LayoutDecl:
    name: str
    width: int
    fields: tuple[FieldDecl, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class IndexDecl:
    name: str | None
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class StateDecl:
    name: str
    indices: tuple[IndexDecl, ...]
    type: TypeExpr
    init: Expr | None
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FnDecl:
    name: str
    params: tuple[Param, ...]
    ret: TypeExpr
    body: tuple[Stmt, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Refines:
    """`refines acknowledge(self, r.INTID[4:0]) if r.INTID < 32` on a handler."""

    action: str
    args: tuple[Expr, ...]
    cond: Expr | None
    span: Span


class HandlerKind(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Handler:
    kind: HandlerKind
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span
    result: str | None = None  # `-> r`: the name `refines` clauses give a read's value
    refines: tuple[Refines, ...] = ()


@dataclass(frozen=True, slots=True)
class SysregDecl:
    name: str
    type: TypeExpr
    access: str
    handlers: tuple[Handler, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """`param nr_irqs : 64..1024 where ...`: a configuration value every check ranges over."""

    name: str
    type: TypeExpr
    where: Expr | None
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FrameIndex:
    """`[n: 0..31]` on a register array, `[rd: vcpu]` on a per-vCPU frame."""

    name: str
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class RegisterDecl:
    name: str
    index: FrameIndex | None
    offset: int
    type: TypeExpr
    access: str
    widths: tuple[int, ...]  # empty: the register's own width only
    where: Expr | None
    handlers: tuple[Handler, ...]
    span: Span
    doc: str = ""


class SplitOrder(StrEnum):
    """Which half of a split access goes first."""

    UPPER_FIRST = "upper-first"
    LOWER_FIRST = "lower-first"


@dataclass(frozen=True, slots=True)
class FrameDecl:
    name: str
    index: FrameIndex | None
    size: int
    stride: int | None
    split: tuple[int, SplitOrder] | None  # a wider access is two halves, in that order
    registers: tuple[RegisterDecl, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class ActionDecl:
    name: str
    params: tuple[Param, ...]
    requires: Expr | None
    body: tuple[Stmt, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class ActionRef:
    target: str
    kind: str | None
    names: tuple[str, ...]
    span: Span
    result: str | None = None  # `-> r`: the name of a read's result


@dataclass(frozen=True, slots=True)
class ContractDecl:
    name: str
    action: ActionRef
    where: Expr | None
    body: Expr
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class IndependenceDecl:
    name: str
    action: ActionRef
    where: Expr | None
    ignored: tuple[Expr, ...]
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class InvariantDecl:
    name: str
    body: Expr
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FactDecl:
    name: str
    body: Expr
    span: Span
    doc: str = ""


@dataclass(frozen=True, slots=True)
class CoverDecl:
    name: str
    body: Expr
    span: Span
    doc: str = ""


# ---- patch overlays ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverlayFor:
    """`overlay for model gicv3`: the model an overlay file patches."""

    model: str
    span: Span


@dataclass(frozen=True, slots=True)
class HandlerPatch:
    """`replace GICR_ICENABLER0 on write(...) { ... }`: one handler of a register or sysreg."""

    target: str
    handler: Handler
    span: Span


@dataclass(frozen=True, slots=True)
class FramePatch:
    """`replace frame GICD split 64 lower-first`: a frame's options, its registers kept."""

    name: str
    stride: int | None
    split: tuple[int, SplitOrder] | None
    span: Span


@dataclass(frozen=True, slots=True)
class Replace:
    """`replace fn ...`, `replace register ...`, `replace property ...`: the declaration of the
    same kind and name in the spec (or its property files) is replaced by this one."""

    decl: object  # a declaration, a RegisterDecl or a HandlerPatch
    span: Span


@dataclass(frozen=True, slots=True)
class ExpectDifferent:
    """`expect different ICC_SGI1R_EL1, GICD_IGROUPR`: actions, registers or system registers
    the patch means to change (gicheck diff counts their differences as expected);
    `expect broken P, Q`: properties of the old side the patch means to break (what = "broken")."""

    names: tuple[str, ...]
    span: Span
    what: str = "different"


@dataclass(frozen=True, slots=True)
class Relate:
    """`relate spi_cpu by widen_cpu`: in a diff, the new side's value of state `state` at each
    index corresponds to `fn` of the old side's value there (`fn`, declared on the new side,
    maps the old element type to the new one)."""

    state: str
    fn: str
    span: Span


Decl = (
    Import
    | UseModel
    | ModelDecl
    | ConstDecl
    | TypeDecl
    | LayoutDecl
    | StateDecl
    | FnDecl
    | SysregDecl
    | ParamDecl
    | FrameDecl
    | ActionDecl
    | ContractDecl
    | IndependenceDecl
    | InvariantDecl
    | FactDecl
    | CoverDecl
    | OverlayFor
    | Replace
    | ExpectDifferent
    | Relate
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    decls: tuple[Decl, ...]
    span: Span = field(default=NOSPAN)
