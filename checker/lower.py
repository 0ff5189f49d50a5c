"""model.Design -> ir.System (checker/pipeline.py runs it)."""

from __future__ import annotations

from checker import ir
from checker.irwalk import cone, influence_graph, state_reads, state_writes
from checker.model import Design

__all__ = ["cone", "influence_graph", "lower", "state_reads", "state_writes"]


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
