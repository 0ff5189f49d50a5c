"""The resolved design: what sema produces from the AST of a model's files and property files."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker import ir
from checker.syntax.ast import Span


@dataclass(frozen=True)
class Sysreg:
    name: str
    type: ir.Type
    access: str  # "write-only" | "read-only" | "read-write"
    handlers: dict[str, ir.Action]  # "write" / "read" -> the access as an action
    doc: str
    span: Span


@dataclass
class Design:
    """Everything one model declares, with its name resolved and typed."""

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
    properties: list[ir.Property] = field(default_factory=list)
    property_files: dict[str, str] = field(default_factory=dict)  # property name -> file
    names: dict[str, Span] = field(default_factory=dict)  # every declared name, where it was declared
    span: Span | None = None
