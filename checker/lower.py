"""model.Design -> ir.System (checker/pipeline.py runs it), and the cone of influence of a property (networkx)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import networkx as nx

from checker import ir
from checker.model import Design


def lower(design: Design, vcpus: tuple[int, int] | None = None, params: dict[str, tuple[int, int]] | None = None) -> ir.System:
    """The transition system of a design: every register access and environment event an action.

    The transitions of memory-mapped registers are their handlers at the register's own width
    (guarded by the register's `where`), not the frame accesses by offset and width: every frame
    access has the effect of a sequence of such handler runs (a narrower write runs the write
    handler with the merged value; an unmapped or refused access changes nothing; a split access
    is two handler runs), so the reachable states are the same and the terms far smaller. The
    frame accesses stay callable, for properties about decoding; traces are replayed through
    them (engines/replay.py), so a trace shown is a sequence of real frame accesses.

    The design's tables are copied: the system is frozen and outlives the design sema filled in.
    """
    actions: dict[str, ir.Action] = {}
    callables: dict[str, ir.Action] = {}
    for reg in design.sysregs.values():
        for a in reg.handlers.values():
            actions[a.name] = a
            callables[a.name] = a  # still callable where a proved refinement drops the transition
    frames: dict[str, ir.MmioFrame] = {}
    for f in design.frames.values():
        for a in f.actions.values():
            callables[a.name] = a
        regs = []
        for rn in f.registers:
            r = design.registers[rn]
            for a in r.handlers.values():
                actions[a.name] = a
                callables[a.name] = a  # frames invoke them even where the cone drops the transition
            lo, hi = (r.index.type.lo, r.index.type.hi) if r.index else (0, 0)  # type: ignore[union-attr]
            regs.append(ir.MmioRegister(r.name, r.offset, r.bytes, lo, hi, r.type, r.access, r.widths, r.index is not None))  # type: ignore[arg-type]
        frames[f.name] = ir.MmioFrame(f.name, f.index is not None, f.size, f.stride, f.split, tuple(regs))
    actions.update(design.actions)
    config = dict(design.params)
    for name, (lo, hi) in (params or {}).items():  # narrowed by the user (--param)
        p = config[name]
        config[name] = ir.Param(name, ir.IndexT(p.type.name, lo, hi, p.type.width), p.where, p.doc, p.span)
    return ir.System(
        model=design.model,
        vcpus=ir.VcpuRange(*(vcpus or design.vcpus)),
        layouts=dict(design.layouts),
        functions=dict(design.functions),
        states=dict(design.states),
        actions=actions,
        properties=tuple(design.properties),
        span=design.span or ir.NOSPAN,
        params=config,
        callables=callables,
        frames=frames,
        refinements=tuple(design.refinements),
    )


def _reached(x: object, system: ir.System | None) -> Iterable[object]:
    """Every IR node in `x` and in the bodies of the handlers it invokes and functions it calls."""
    seen: set[str] = set()
    todo = [x]
    while todo:
        for n in ir.walk(todo.pop()):
            yield n
            if isinstance(n, ir.Invoke) and system is not None and n.action not in seen:
                seen.add(n.action)
                a = system.action(n.action)
                todo.append((a.body, a.requires))
            if isinstance(n, ir.Call) and system is not None and "fn:" + n.func not in seen:
                seen.add("fn:" + n.func)
                todo.append(system.functions[n.func].body)


def state_reads(x: object, system: ir.System | None = None) -> set[str]:
    """State variables an expression, statement list or action reads (functions read none);
    with `system`, also through the handlers it invokes."""
    return {n.name for n in _reached(x, system) if isinstance(n, ir.StateRef)}


def state_writes(x: object, system: ir.System | None = None) -> set[str]:
    return {n.target.root for n in _reached(x, system) if isinstance(n, ir.Assign) and n.target.is_state}


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
