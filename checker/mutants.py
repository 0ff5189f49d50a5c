"""The mutants of a system's handlers (gicheck mutate): small changes to the spec's code, each
with its place in the spec and a one-line description.

A mutant is the system with one handler replaced: the register handlers (`on read`/`on write` of
registers and system registers) and the environment actions, as the spec writes them. Not
mutated: the accesses an access kind defines (a raz/wi register's), which have no handler text;
the frame accesses lower.py builds; the functions (`fn`) handlers call.

The changes, in the order a handler's code is walked:
- a condition negated (an `if`, an action's `requires`);
- an assignment, a `break`, a `continue` dropped;
- a comparison's strictness swapped (`<` and `<=`, `>` and `>=`);
- a field of a layout read or written as its neighbour of the same width (the next field, else
  the one before);
- a number changed by one (plus one, or minus one where plus one does not fit its width);
- a boolean constant assigned flipped; in the write handler of a w1s or w1c register this is the
  access kind flipped, "W1S -> W1C".

Mutants are numbered in that order over the handlers sorted by name: `enumerate(system)[i]` is
the same mutant in every process that loads the same system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace

from checker import ir
from checker.render.exprs import show_expr
from checker.results import MutationKind


@dataclass(frozen=True)
class Change:
    kind: MutationKind
    span: ir.Span
    description: str


@dataclass(frozen=True)
class Mutant:
    index: int  # in enumerate(system)
    handler: str  # the action or register handler changed
    kind: MutationKind
    span: ir.Span
    description: str
    action: ir.Action  # the handler as mutated


_SWAP = {ir.Op.ULT: ir.Op.ULE, ir.Op.ULE: ir.Op.ULT, ir.Op.UGT: ir.Op.UGE, ir.Op.UGE: ir.Op.UGT}
_OP_TEXT = {ir.Op.ULT: "<", ir.Op.ULE: "<=", ir.Op.UGT: ">", ir.Op.UGE: ">="}

Variants = Iterator[tuple[object, Change]]


class _Walk:
    """The variants of one handler's code: each the code with one change, and the change."""

    def __init__(self, system: ir.System, access: ir.Access | None, write: bool):
        self.layouts = system.layouts
        self.access = access  # the register's access kind, for its write handler
        self.write = write

    def show(self, e: ir.Expr) -> str:
        return show_expr(e, self.layouts)

    def node(self, x: object) -> Variants:
        """x with one change inside it: changes of x itself first, then of its parts in order."""
        if isinstance(x, tuple):
            yield from self.block(x)
            return
        if not is_dataclass(x) or isinstance(x, type):
            return
        yield from self.here(x)
        for f in fields(x):
            if f.name in ("span", "type", "domain"):
                continue
            part = getattr(x, f.name)
            for new, change in self.node(part):
                yield replace(x, **{f.name: new}), change

    def block(self, xs: tuple[object, ...]) -> Variants:
        for i, s in enumerate(xs):
            dropped = self.dropped(s)
            if dropped is not None:
                yield xs[:i] + xs[i + 1 :], dropped
            for new, change in self.node(s):
                yield xs[:i] + (new,) + xs[i + 1 :], change

    def dropped(self, s: object) -> Change | None:
        match s:
            case ir.Assign(target=t, span=sp):
                return Change(MutationKind.DROP_ASSIGNMENT, sp, f"dropped assignment to {self.target(t)}")
            case ir.Break(span=sp):
                return Change(MutationKind.DROP_BREAK, sp, "dropped break")
            case ir.Continue(span=sp):
                return Change(MutationKind.DROP_CONTINUE, sp, "dropped continue")
        return None

    def target(self, t: ir.Target) -> str:
        out = t.root
        for step in t.path:
            match step:
                case ir.PathIndex(index=i) | ir.PathBit(index=i):
                    out += f"[{self.show(i)}]"
                case ir.PathBits(hi=hi, lo=lo):
                    out += f"[{hi}:{lo}]"
        return out

    def here(self, x: object) -> Variants:
        """The changes made at x itself."""
        match x:
            case ir.If(cond=c, span=sp):
                negated = ir.Unop(ir.UnOp.NOT, c, ir.BOOL, c.span)
                yield replace(x, cond=negated), Change(MutationKind.NEGATE, _at(c, sp), f"negated condition `{self.show(c)}`")
            case ir.Binop(op=op, span=sp) if op in _SWAP:
                text = f"`{_OP_TEXT[op]}` -> `{_OP_TEXT[_SWAP[op]]}` in `{self.show(x)}`"
                yield replace(x, op=_SWAP[op]), Change(MutationKind.SWAP_COMPARISON, sp, text)
            case ir.Extract(arg=a, hi=hi, lo=lo, span=sp):
                yield from self.neighbour(x, a, hi, lo, sp)
            case ir.SetBits(arg=a, hi=hi, lo=lo, span=sp):
                yield from self.neighbour(x, a, hi, lo, sp)
            case ir.Const(value=v, type=ir.BitsT(width=w) | ir.IndexT(width=w), span=sp) if not isinstance(v, bool):
                new = v + 1 if v + 1 < 1 << w else v - 1
                yield replace(x, value=new), Change(MutationKind.CONSTANT, sp, f"constant {_num(v)} -> {_num(new)}")
            case ir.Assign(value=ir.Const(value=bool(v), type=ir.BoolT()) as c, target=t, span=sp):
                yield replace(x, value=replace(c, value=not v)), self.flip(t, v, _at(c, sp))

    def flip(self, t: ir.Target, v: bool, span: ir.Span) -> Change:
        kinds = {True: ir.Access.W1S, False: ir.Access.W1C}
        if self.write and self.access == kinds[v]:
            now = kinds[not v]
            return Change(
                MutationKind.W1S_W1C, span, f"{self.access.upper()} -> {now.upper()}: {self.target(t)} := {str(not v).lower()}"
            )
        return Change(MutationKind.CONSTANT, span, f"{self.target(t)} := {str(not v).lower()} (was {str(v).lower()})")

    def neighbour(self, x: ir.Extract | ir.SetBits, arg: ir.Expr, hi: int, lo: int, span: ir.Span) -> Variants:
        layout = arg.type.layout if isinstance(arg.type, ir.BitsT) else None
        if layout is None or layout not in self.layouts:
            return
        fs = self.layouts[layout].fields
        at = [i for i, (_, fh, fl) in enumerate(fs) if (fh, fl) == (hi, lo)]
        if not at:
            return
        i = at[0]
        for j in (i + 1, i - 1):
            if 0 <= j < len(fs) and fs[j][1] - fs[j][2] == hi - lo:
                name, nh, nl = fs[j]
                text = f"field {layout}.{fs[i][0]} -> {layout}.{name}"
                yield replace(x, hi=nh, lo=nl), Change(MutationKind.NEIGHBOUR_FIELD, span, text)
                return


def _at(e: ir.Expr, fallback: ir.Span) -> ir.Span:
    return e.span if e.span != ir.NOSPAN else fallback


def _num(v: int) -> str:
    return str(v) if v < 16 else hex(v)


def handlers(system: ir.System) -> list[ir.Action]:
    """The handlers mutated, by name: the spec's register handlers and environment actions."""
    out: dict[str, ir.Action] = {}
    for a in [*system.actions.values(), *system.callables.values()]:
        if a.register in system.frames or a.span == ir.NOSPAN:
            continue
        if a.register is None and a.kind != ir.ActionKind.ENV:
            continue
        # an access its register's kind defines: its one statement is placed at the action
        if len(a.body) <= 1 and all(getattr(s, "span", None) == a.span for s in a.body):
            continue
        out.setdefault(a.name, a)
    return [out[n] for n in sorted(out)]


def _access_of(system: ir.System) -> Callable[[str | None], ir.Access | None]:
    kinds = {r.name: r.access for f in system.frames.values() for r in f.registers}
    return lambda register: kinds.get(register) if register is not None else None


def enumerate_mutants(system: ir.System) -> list[Mutant]:
    """Every mutant of the system's handlers, numbered."""
    access = _access_of(system)
    out: list[Mutant] = []
    for a in handlers(system):
        walk = _Walk(system, access(a.register), a.kind in (ir.ActionKind.MMIO_WRITE, ir.ActionKind.SYSREG_WRITE))
        found: list[tuple[ir.Action, Change]] = []
        if a.requires is not None:
            negated = ir.Unop(ir.UnOp.NOT, a.requires, ir.BOOL, a.requires.span)
            change = Change(MutationKind.NEGATE, _at(a.requires, a.span), f"negated condition `{walk.show(a.requires)}`")
            found.append((replace(a, requires=negated), change))
            found += [(replace(a, requires=new), c) for new, c in walk.node(a.requires)]  # type: ignore[arg-type]
        found += [(replace(a, body=new), c) for new, c in walk.node(a.body)]  # type: ignore[arg-type]
        for new_action, c in found:
            out.append(Mutant(len(out), a.name, c.kind, c.span, c.description, new_action))
    return out


def apply(system: ir.System, mutant: Mutant) -> ir.System:
    """The system with the mutant's handler in place of the original: a register handler is both
    a transition and a callable (the frame accesses invoke it), and is replaced in both.

    A memory-mapped register's `requires` is its `where` clause, and the frame accesses test
    that clause themselves before they invoke the handler (sema/mmio.py), so a mutant of it is
    made in the frame accesses of the same kind too. Without that, only the handler as a
    transition changed: the search reached states no guest access can, and no trace replayed."""
    name, new = mutant.handler, mutant.action
    old = system.callables.get(name) or system.actions[name]
    actions = {**system.actions, name: new} if name in system.actions else system.actions
    callables = {**system.callables, name: new} if name in system.callables else system.callables
    if old.register is not None and old.kind.is_mmio and old.requires is not None and new.requires != old.requires:
        guard = _Guard(name, old.requires, new.requires)
        callables = {
            k: replace(a, body=guard.stmts(a.body)) if a.register in system.frames and a.kind == old.kind else a
            for k, a in callables.items()
        }
    return replace(system, actions=actions, callables=callables)


@dataclass(frozen=True)
class _Guard:
    """A register's `where` clause replaced in the conditions of a frame access's branches that
    invoke its handler."""

    handler: str
    old: ir.Expr
    new: ir.Expr | None

    def stmts(self, body: tuple[ir.Stmt, ...]) -> tuple[ir.Stmt, ...]:
        return tuple(self.stmt(s) for s in body)

    def stmt(self, s: ir.Stmt) -> ir.Stmt:
        if isinstance(s, ir.If):
            cond = _swap(s.cond, self.old, self.new) if _invokes(s.then, self.handler) else s.cond
            return replace(s, cond=cond, then=self.stmts(s.then), other=self.stmts(s.other))
        if isinstance(s, ir.For):
            return replace(s, body=self.stmts(s.body))
        return s


def _invokes(body: tuple[ir.Stmt, ...], handler: str) -> bool:
    for s in body:
        if isinstance(s, ir.Invoke) and s.action == handler:
            return True
        if isinstance(s, ir.If) and (_invokes(s.then, handler) or _invokes(s.other, handler)):
            return True
        if isinstance(s, ir.For) and _invokes(s.body, handler):
            return True
    return False


def _swap(e: ir.Expr, old: ir.Expr, new: ir.Expr | None) -> ir.Expr:
    """e with `old` (the `where` clause, the very expression sema placed there) made `new`."""
    if e == old:
        return new if new is not None else ir.Const(True, ir.BOOL, old.span)
    if isinstance(e, ir.Binop):
        return replace(e, left=_swap(e.left, old, new), right=_swap(e.right, old, new))
    return e
