"""Walks over the IR: the state code reads and writes (by action: action_rw), the handlers and
functions it calls, the influence graph and cone of influence of a system (networkx), code
without its source places, to compare code written in different places, the leading quantifiers
of a formula, and the argument fields a `where` clause pins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass, replace

import networkx as nx

from checker import ir
from checker.span import NOSPAN


@dataclass(frozen=True, slots=True)
class FnRef:
    """A call of a function."""

    name: str


@dataclass(frozen=True, slots=True)
class ActionRef:
    """An invocation of a register handler or a frame helper."""

    name: str


CallRef = FnRef | ActionRef


def locals_used(x: object) -> set[str]:
    """The locals, parameters and bound variables an IR value names."""
    return {n.name for n in ir.walk(x) if isinstance(n, ir.Local)}


def called_functions(x: object) -> set[str]:
    """The functions an IR value calls directly."""
    return {n.func for n in ir.walk(x) if isinstance(n, ir.Call)}


def function_closure(f: str, system: ir.System) -> set[str]:
    """`f` and every function it calls, directly or not (those the system defines)."""
    seen: set[str] = set()
    todo = [f]
    while todo:
        g = todo.pop()
        if g in seen or g not in system.functions:
            continue
        seen.add(g)
        todo += list(called_functions(system.functions[g].body))
    return seen


def calls(a: ir.Action, system: ir.System) -> set[CallRef]:
    """The functions an action calls (with the functions they call) and the handlers it invokes."""
    out: set[CallRef] = set()
    for n in ir.walk((a.body, a.requires)):
        if isinstance(n, ir.Call):
            out.add(FnRef(n.func))
            out |= {FnRef(f) for f in function_closure(n.func, system)}
        elif isinstance(n, ir.Invoke):
            out.add(ActionRef(n.action))
    return out


def invoked(refs: Iterable[CallRef]) -> set[str]:
    """The handlers among call edges."""
    return {r.name for r in refs if isinstance(r, ActionRef)}


def reached(x: object, system: ir.System | None) -> Iterable[object]:
    """Every IR node in `x` and in the bodies of the handlers it invokes and functions it calls."""
    seen: set[CallRef] = set()
    todo = [x]
    while todo:
        for n in ir.walk(todo.pop()):
            yield n
            if isinstance(n, ir.Invoke) and system is not None and ActionRef(n.action) not in seen:
                seen.add(ActionRef(n.action))
                a = system.action(n.action)
                todo.append((a.body, a.requires))
            if isinstance(n, ir.Call) and system is not None and FnRef(n.func) not in seen:
                seen.add(FnRef(n.func))
                todo.append(system.functions[n.func].body)


@dataclass(frozen=True, slots=True)
class _Direct:
    """What one IR value reads and writes itself, and the handlers and functions it names."""

    of: object  # the value, held so that its id is not reused while this is kept
    reads: frozenset[str]
    writes: frozenset[str]
    invokes: tuple[str, ...]
    calls: tuple[str, ...]


# by id: the same action bodies are walked for every property's cone and every search's
# read/write sets (the main job walked 46 million nodes); cleared when it grows past the limit
_DIRECT: dict[int, _Direct] = {}
_DIRECT_LIMIT = 50_000


def _direct(x: object) -> _Direct:
    hit = _DIRECT.get(id(x))
    if hit is not None and hit.of is x:
        return hit
    reads: set[str] = set()
    writes: set[str] = set()
    invokes: dict[str, None] = {}
    calls: dict[str, None] = {}
    for n in ir.walk(x):
        if isinstance(n, ir.StateRef):
            reads.add(n.name)
        elif isinstance(n, ir.Assign) and n.target.is_state:
            writes.add(n.target.root)
        elif isinstance(n, ir.Invoke):
            invokes[n.action] = None
        elif isinstance(n, ir.Call):
            calls[n.func] = None
    if len(_DIRECT) >= _DIRECT_LIMIT:
        _DIRECT.clear()
    d = _DIRECT[id(x)] = _Direct(x, frozenset(reads), frozenset(writes), tuple(invokes), tuple(calls))
    return d


def _state_rw(x: object, system: ir.System | None) -> tuple[set[str], set[str]]:
    """The state `x` reads and writes, with `system` also through the handlers it invokes and
    the functions it calls (as `reached` walks them)."""
    first = _direct(x)
    reads, writes = set(first.reads), set(first.writes)
    if system is None:
        return reads, writes
    seen: set[CallRef] = set()
    todo = [first]
    while todo:
        d = todo.pop()
        for name in d.invokes:
            if ActionRef(name) not in seen:
                seen.add(ActionRef(name))
                a = system.action(name)
                todo += [_direct(a.body), _direct(a.requires)]
        for f in d.calls:
            if FnRef(f) not in seen:
                seen.add(FnRef(f))
                todo.append(_direct(system.functions[f].body))
        reads |= d.reads
        writes |= d.writes
    return reads, writes


def state_reads(x: object, system: ir.System | None = None) -> set[str]:
    """State variables an expression, statement list or action reads (functions read none);
    with `system`, also through the handlers it invokes."""
    return _state_rw(x, system)[0]


def state_writes(x: object, system: ir.System | None = None) -> set[str]:
    return _state_rw(x, system)[1]


def influence_graph(system: ir.System) -> nx.DiGraph:
    """An edge r -> w when some action reads r and writes w."""
    g: nx.DiGraph = nx.DiGraph()
    g.add_nodes_from(system.states)
    for a in system.actions.values():
        writes = state_writes(a.body, system)
        reads = state_reads(a.body, system) | state_reads(a.requires, system)
        for w in writes:
            g.add_edge(w, w, action=a.name)
            for r in reads:
                g.add_edge(r, w, action=a.name)
    return g


def cone(system: ir.System, roots: Iterable[str], keep_actions: Iterable[str] = ()) -> ir.System:
    """The system restricted to the state that can affect `roots` and the actions that write it.

    Dropping an action that writes nothing in the cone leaves the reachable values of the cone's
    state unchanged: it is a stutter step for every property over that state.
    """
    g = influence_graph(system)
    keep = set()
    for r in roots:
        if r in g:
            keep |= nx.ancestors(g, r) | {r}
    kept = set(keep_actions)
    acts = {n: a for n, a in system.actions.items() if state_writes(a.body, system) & keep or n in kept}
    extra = [system.action(n) for n in kept if n not in system.actions]
    for a in [*acts.values(), *extra]:
        keep |= state_reads(a.body, system) | state_reads(a.requires, system) | state_writes(a.body, system)
    states = {n: s for n, s in system.states.items() if n in keep}
    return replace(system, states=states, actions=acts)


def strip(x: object) -> object:
    """An IR value with its source spans and doc comments removed, to compare code written in
    different places."""
    if isinstance(x, tuple):
        return tuple(strip(y) for y in x)
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items()}
    if is_dataclass(x) and not isinstance(x, type):
        changes: dict[str, object] = {}
        for f in fields(x):
            v = getattr(x, f.name)
            if f.name == "span":
                changes[f.name] = NOSPAN
            elif f.name == "doc":
                changes[f.name] = ""
            else:
                changes[f.name] = strip(v)
        return replace(x, **changes)
    return x


def leading_quants(e: ir.Expr, kind: ir.QuantKind) -> tuple[list[ir.Local], ir.Expr]:
    """The variables of the `kind` quantifiers `e` starts with, outermost first, and the body
    under them."""
    out: list[ir.Local] = []
    while isinstance(e, ir.Quant) and e.kind == kind:
        out += list(e.vars)
        e = e.body
    return out, e


RW = dict[str, tuple[set[str], set[str]]]  # action -> (state it reads, state it writes)


def action_rw(system: ir.System) -> RW:
    """What each transition reads (its body and its guard) and writes."""
    return {
        n: (state_reads(a.body, system) | state_reads(a.requires, system), state_writes(a.body, system))
        for n, a in system.actions.items()
    }


def commuting(rw: RW) -> set[tuple[str, str]]:
    """The pairs (a, b), a before b in `rw`'s order, whose accesses commute: neither writes
    state the other reads or writes (guards included). a then b and b then a are then enabled
    together and end in the same state, so a search may run such a pair in one order only: a
    shortest trace stays a shortest trace, and each access still feeds the same later ones
    (partial-order reduction; Godefroid, LNCS 1032, 1996)."""
    names = list(rw)
    out = set()
    for i, a in enumerate(names):
        ra, wa = rw[a]
        for b in names[i + 1 :]:
            rb, wb = rw[b]
            if not (wa & (rb | wb)) and not (wb & ra):
                out.add((a, b))
    return out


def pinned_fields(where: ir.Expr | None) -> dict[str, dict[tuple[int, int], int]]:
    """Fields of arguments that a conjunct of `where` fixes: `val.F == k`, `val.F`, `!val.F`."""
    out: dict[str, dict[tuple[int, int], int]] = {}

    def field_of(e: ir.Expr) -> tuple[str, int, int] | None:
        if isinstance(e, ir.ZExt):
            e = e.arg
        if isinstance(e, ir.Extract) and isinstance(e.arg, ir.Local):
            return e.arg.name, e.hi, e.lo
        return None

    def visit(e: ir.Expr | None) -> None:
        match e:
            case ir.Binop(op=ir.Op.AND, left=l, right=r):
                visit(l)
                visit(r)
            case ir.Binop(op=ir.Op.EQ, left=l, right=ir.Const(value=v)) if field_of(l) and not isinstance(v, bool):
                name, hi, lo = field_of(l)  # type: ignore[misc]
                if v < 1 << (hi - lo + 1):
                    out.setdefault(name, {})[(hi, lo)] = int(v)
            case ir.NonZero(arg=a) if field_of(a) and field_of(a)[1] == field_of(a)[2]:  # type: ignore[index]
                name, hi, lo = field_of(a)  # type: ignore[misc]
                out.setdefault(name, {})[(hi, lo)] = 1
            case ir.Unop(op=ir.UnOp.NOT, arg=ir.NonZero(arg=a)) if field_of(a):
                name, hi, lo = field_of(a)  # type: ignore[misc]
                out.setdefault(name, {})[(hi, lo)] = 0

    visit(where)
    return out


def quant_filters(q: ir.Quant) -> tuple[tuple[ir.Expr, ...], ...]:
    """For each variable of `q` in order, the conjuncts of its filter that can be evaluated once
    that variable and the ones before it are bound (and could not be before): the body's
    conjuncts for `exists`, the antecedent's for `forall ... => ...`. A binding that makes one
    false decides the body (false, or vacuously true) for every value of the variables after
    it, so an evaluator may skip them all (interp.Interp._quant)."""
    body = q.body
    if q.kind == ir.QuantKind.EXISTS:
        filt: ir.Expr | None = body
    elif isinstance(body, ir.Binop) and body.op == ir.Op.IMPLIES:
        filt = body.left
    else:
        filt = None
    names = [v.name for v in q.vars]
    out: list[list[ir.Expr]] = [[] for _ in names]
    todo = [filt] if filt is not None else []
    while todo:
        e = todo.pop()
        if isinstance(e, ir.Binop) and e.op == ir.Op.AND:
            todo += [e.right, e.left]
            continue
        used = locals_used(e)
        last = max((i for i, n in enumerate(names) if n in used), default=0)
        out[last].append(e)
    return tuple(tuple(c) for c in out)


def leaves_early(body: tuple[ir.Stmt, ...], inner: bool = False) -> bool:
    """Whether a loop with this body can stop before its last index: a `return` anywhere in it,
    or a `break` outside the loops inside it (`inner`: `body` is one of those)."""
    for s in body:
        match s:
            case ir.Return():
                return True
            case ir.Break() if not inner:
                return True
            case ir.If(then=t, other=o) if leaves_early(t, inner) or leaves_early(o, inner):
                return True
            case ir.For(body=b) if leaves_early(b, True):
                return True
    return False


def else_if(s: ir.If) -> bool:
    """An `if` whose else is one `if` (`else if`): its else arm is that `if`'s two arms."""
    return len(s.other) == 1 and isinstance(s.other[0], ir.If)
