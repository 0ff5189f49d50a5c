"""model.Design -> ir.System, and the cone of influence of a property (networkx)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import networkx as nx

from checker import ir
from checker.model import Design


def lower(design: Design, vcpus: tuple[int, int] | None = None) -> ir.System:
    """The transition system of a design: every register access and environment event an action."""
    actions: dict[str, ir.Action] = {}
    for reg in design.sysregs.values():
        for a in reg.handlers.values():
            actions[a.name] = a
    actions.update(design.actions)
    return ir.System(
        model=design.model,
        vcpus=vcpus or design.vcpus,
        layouts=dict(design.layouts),
        functions=dict(design.functions),
        states=dict(design.states),
        actions=actions,
        properties=tuple(design.properties),
        span=design.span or ir.NOSPAN,
    )


def state_reads(x: object) -> set[str]:
    """State variables an expression, statement list or action reads (functions read none)."""
    return {n.name for n in ir.walk(x) if isinstance(n, ir.StateRef)}


def state_writes(x: object) -> set[str]:
    return {n.target.root for n in ir.walk(x) if isinstance(n, ir.Assign) and n.target.is_state}


def influence_graph(system: ir.System) -> nx.DiGraph:
    """An edge r -> w when some action reads r and writes w."""
    g: nx.DiGraph = nx.DiGraph()
    g.add_nodes_from(system.states)
    for a in system.actions.values():
        writes = state_writes(a.body)
        reads = state_reads(a.body) | state_reads(a.requires)
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
    acts = {n: a for n, a in system.actions.items() if state_writes(a.body) & keep or n in set(keep_actions)}
    for a in acts.values():
        keep |= state_reads(a.body) | state_reads(a.requires) | state_writes(a.body)
    states = {n: s for n, s in system.states.items() if n in keep}
    return replace(system, states=states, actions=acts)
