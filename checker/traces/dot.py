"""Traces as Graphviz DOT, through networkx: one node per state (what the step before it
changed), one edge per access, the last state marked with why the property fails."""

from __future__ import annotations

import networkx as nx

from checker.results import PropertyResult, Trace


def _label(lines: list[str]) -> str:
    return "\\l".join(line.replace('"', "'") for line in lines) + "\\l"


def graph(r: PropertyResult, trace: Trace, access_text: list[str], failure_text: list[str]) -> nx.DiGraph:
    """The trace as a graph: nodes s0..sN, edges labelled with the access text."""
    g = nx.DiGraph(name=f"{r.model}_{r.name}")
    start = "reset" if trace.from_reset else "an arbitrary state"
    g.add_node(
        "s0", label=_label([f"s0: {start}", f"{trace.nr_vcpus} vCPUs", *(f"{k} = {v}" for k, v in trace.params)]), shape="box"
    )
    for i, step in enumerate(trace.steps, 1):
        changed = [f"{c.location}: {_text(c.before)} -> {_text(c.after)}" for c in step.changes] or ["(no state changed)"]
        g.add_node(f"s{i}", label=_label([f"s{i}", *changed]), shape="box")
        g.add_edge(f"s{i - 1}", f"s{i}", label=_label([access_text[i - 1].strip()]))
    last = f"s{len(trace.steps)}"
    g.nodes[last]["label"] = g.nodes[last]["label"] + _label(failure_text)
    g.nodes[last]["color"] = "red"
    return g


def _text(v: int | bool) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def render(r: PropertyResult, trace: Trace, access_text: list[str], failure_text: list[str]) -> str:
    dot = nx.nx_pydot.to_pydot(graph(r, trace, access_text, failure_text))
    dot.set_graph_defaults(fontname="monospace")
    dot.set_node_defaults(fontname="monospace")
    dot.set_edge_defaults(fontname="monospace")
    return str(dot.to_string())
