"""The IR's kinds: operators, quantifiers, action kinds and register access kinds."""

from __future__ import annotations

from enum import StrEnum


class UnOp(StrEnum):
    NOT = "not"  # bool
    BNOT = "bnot"
    NEG = "neg"


class Op(StrEnum):
    AND = "and"
    OR = "or"
    IMPLIES = "implies"
    EQ = "eq"
    NE = "ne"
    ULT = "ult"
    ULE = "ule"
    UGT = "ugt"
    UGE = "uge"
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    SHL = "shl"
    LSHR = "lshr"

    @property
    def is_bool(self) -> bool:
        """Whether the operator yields a bool (logic and comparisons), not bits."""
        return self in _BOOL_OPS


_BOOL_OPS = frozenset({Op.AND, Op.OR, Op.IMPLIES, Op.EQ, Op.NE, Op.ULT, Op.ULE, Op.UGT, Op.UGE})


class QuantKind(StrEnum):
    FORALL = "forall"
    EXISTS = "exists"


class ActionKind(StrEnum):
    SYSREG_READ = "sysreg-read"
    SYSREG_WRITE = "sysreg-write"
    MMIO_READ = "mmio-read"
    MMIO_WRITE = "mmio-write"
    ENV = "env"

    @property
    def is_sysreg(self) -> bool:
        return self in (ActionKind.SYSREG_READ, ActionKind.SYSREG_WRITE)

    @property
    def is_mmio(self) -> bool:
        """A memory-mapped access: a register's handler or a frame access by offset and width."""
        return self in (ActionKind.MMIO_READ, ActionKind.MMIO_WRITE)

    @staticmethod
    def of(mmio: bool, write: bool) -> ActionKind:
        if mmio:
            return ActionKind.MMIO_WRITE if write else ActionKind.MMIO_READ
        return ActionKind.SYSREG_WRITE if write else ActionKind.SYSREG_READ


class Access(StrEnum):
    """A register's access kind, as the spec spells it."""

    READ_WRITE = "read-write"
    READ_ONLY = "read-only"
    WRITE_ONLY = "write-only"
    RAZ_WI = "raz/wi"
    RAO_WI = "rao/wi"
    W1S = "w1s"
    W1C = "w1c"
