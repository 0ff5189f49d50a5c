"""The resolved design: what sema produces from the AST of a model's files and property files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker import ir
from checker.syntax.ast import Span


@dataclass(frozen=True)
class Sysreg:
    name: str
    type: ir.Type
    access: ir.Access
    handlers: dict[str, ir.Action]  # "write" / "read" -> the access as an action
    doc: str
    span: Span


@dataclass(frozen=True)
class Register:
    """A memory-mapped register (or register array) of a frame."""

    name: str
    frame: str
    type: ir.Type
    access: ir.Access
    handlers: dict[str, ir.Action]  # "read" and "write", synthesized where the kind fixes them
    index: ir.Local | None  # `n` of an array
    offset: int
    bytes: int
    widths: tuple[int, ...]
    where: ir.Expr | None  # false: the element is absent and reads as zero, ignores writes
    doc: str
    span: Span


@dataclass(frozen=True)
class Frame:
    name: str
    index: ir.Local | None  # `rd` of a per-vCPU frame
    size: int
    stride: int
    split: tuple[int, str] | None
    registers: tuple[str, ...]
    doc: str
    span: Span
    actions: dict[str, ir.Action] = field(default_factory=dict)  # "read" / "write": an access by offset and width


@dataclass
class Design:
    """Everything one model declares, with its names resolved and typed.

    Sema's builder: mutable while resolve.py and overlay.py fill it in. What the engines read is
    the frozen ir.System that checker/pipeline.py lowers it into.
    """

    model: str
    vcpus: tuple[int, int]
    files: tuple[str, ...]
    layouts: dict[str, ir.Layout] = field(default_factory=dict)
    types: dict[str, ir.Type] = field(default_factory=dict)
    consts: dict[str, ir.Const] = field(default_factory=dict)
    functions: dict[str, ir.Function] = field(default_factory=dict)
    states: dict[str, ir.StateVar] = field(default_factory=dict)
    sysregs: dict[str, Sysreg] = field(default_factory=dict)
    actions: dict[str, ir.Action] = field(default_factory=dict)  # environment actions
    params: dict[str, ir.Param] = field(default_factory=dict)
    frames: dict[str, Frame] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)
    properties: list[ir.Property] = field(default_factory=list)
    refinements: list[ir.Refinement] = field(default_factory=list)
    property_files: dict[str, str] = field(default_factory=dict)  # property name -> file
    names: dict[str, Span] = field(default_factory=dict)  # every declared name, where it was declared
    span: Span | None = None
    overlay: Any = None  # the sema.overlay.Overlay applied, if any
