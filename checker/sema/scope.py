"""What the checkers share: the error placeholders, unsized literals, scopes and contexts."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker import ir
from checker.syntax import ast as A


class ErrType:
    def __str__(self) -> str:
        return "<error>"


ERR_T = ErrType()
ERR = ir.Const(0, ir.BitsT(1))  # placeholder for an expression that did not check


@dataclass(frozen=True)
class Lit:
    """An integer literal whose width is not known yet."""

    value: int
    span: A.Span


@dataclass
class Scope:
    """Locals visible at a point: name -> (type, mutable)."""

    frames: list[dict[str, tuple[ir.Type, bool, A.Span]]] = field(default_factory=lambda: [{}])

    def lookup(self, name: str) -> tuple[ir.Type, bool, A.Span] | None:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def push(self) -> None:
        self.frames.append({})

    def pop(self) -> None:
        self.frames.pop()

    def declare(self, name: str, typ: ir.Type, mutable: bool, span: A.Span) -> None:
        self.frames[-1][name] = (typ, mutable, span)


@dataclass
class Context:
    """Where an expression stands: what it may read and write."""

    what: str  # "function 'mpidr'", "handler ICC_SGI1R_EL1.write", "property 'x'", ...
    reads_state: bool = True
    writes_state: bool = False
    primes: bool = False
    in_loop: int = 0
    returns: ir.Type | None = None  # a function's result type
    scope: Scope = field(default_factory=Scope)


def shown(value: int) -> str:
    """A number for a message: its digits, or its size when it has too many to read."""
    if value.bit_length() <= 128:
        return str(value)
    return f"of {value.bit_length()} bits"


def is_bits(t: object) -> bool:
    return isinstance(t, (ir.BitsT, ir.IndexT))
