"""`gicheck replay`: a trace file's accesses run again on a spec, and its property checked after
them, by the same interpreter code that confirms every counterexample before it is shown."""

from __future__ import annotations

from dataclasses import dataclass

from checker import interp, ir, pipeline
from checker.engines import replay as confirm
from checker.model import Design
from checker.results import PropertyKind, Replayed, ReplayStatus, Trace
from checker.smt.query import Witness
from checker.traces.read import Recorded
from checker.traces.run import NotApplicable, action_named, check_inputs, run_steps, start_state

Call = tuple[str, dict[str, interp.Value]]


@dataclass(frozen=True)
class _Setup:
    system: ir.System
    rec: Recorded
    witness: Witness


def _property(system: ir.System, rec: Recorded) -> ir.Property | ir.Refinement:
    if rec.kind == PropertyKind.REFINEMENT:
        for r in system.refinements:
            if r.handler == rec.property:
                return r
        raise NotApplicable(f"model {system.model} has no 'refines' claim on {rec.property}")
    for p in system.properties:
        if p.name == rec.property:
            return p
    raise NotApplicable(f"model {system.model} has no property {rec.property}")


def as_handler(system: ir.System, call: Call, handler: str, where: str) -> Call:
    """A frame access written in the trace as the call of the register handler it reaches (the
    last step of a contract on a handler: the property names the handler's arguments)."""
    name, args = call
    if name == handler:
        return call
    action = action_named(system, name, where)
    frame = system.frames.get(action.register or "") if action.kind.is_mmio else None
    kind = name.rsplit(".", 1)[-1]
    if frame is not None:
        rd, reg, n = frame.decode(int(args["offset"]))  # type: ignore[arg-type]
        if reg is not None and f"{reg.name}.{kind}" == handler and int(args["width"]) == reg.bytes * 8:  # type: ignore[arg-type]
            values: list[interp.Value] = [
                args["self"],
                *([rd] if rd is not None else []),
                *([n] if n is not None and reg.array else []),
            ]
            values += [args["val"]] if "val" in args else []
            return handler, {p.name: v for p, v in zip(system.action(handler).params, values)}
    raise NotApplicable(f"the last step is {name}, not an access of {handler}, which the property is about")


def _verdict(s: _Setup, p: ir.Property | ir.Refinement) -> Trace:
    """The property's failure on this run (engines/replay.py); Holds when it holds."""
    system, w = s.system, s.witness
    match p:
        case ir.Fact():
            return confirm.fact_trace(system, p, w)
        case ir.Contract():
            return confirm.contract_trace(system, p, w)
        case ir.Independence():
            return confirm.independence_trace(system, p, w)
        case ir.Invariant():
            bad = ir.Unop(ir.UnOp.NOT, p.body, ir.BOOL, p.span)
            return confirm.state_trace(system, p.name, bad, w, "the invariant is false in this state")
        case ir.Cover():
            return confirm.state_trace(system, p.name, p.body, w, "reached")
        case ir.Refinement():
            return confirm.refinement_trace(system, p, w)
    raise AssertionError(f"unhandled property {type(p).__name__}")


def _calls(system: ir.System, rec: Recorded, p: ir.Property | ir.Refinement) -> list[Call]:
    calls: list[Call] = [(name, dict(args)) for name, args in rec.steps]
    if isinstance(p, (ir.Contract, ir.Independence)):
        if not calls:
            raise NotApplicable(f"the trace has no access, and {p.name} is about one")
        calls[-1] = as_handler(system, calls[-1], p.action, f"step {len(calls)}")
    if isinstance(p, ir.Refinement) and (len(calls) != 1 or calls[0][0] != p.handler):
        raise NotApplicable(f"a trace of a 'refines' claim is one access of {p.handler}")
    return calls


def _alternative(system: ir.System, rec: Recorded, p: ir.Property | ir.Refinement, nr: int) -> dict[str, interp.Value] | None:
    if not isinstance(p, ir.Independence):
        return None
    if rec.alternative is None:
        raise NotApplicable(f"{p.name} compares two runs of an access, and the trace has no second run")
    name, args = rec.alternative
    action_named(system, name, "the second run")
    if name != p.action:
        raise NotApplicable(f"the second run is of {name}, not of {p.action}")
    check_inputs(system.action(name), dict(args), nr, "the second run")
    return dict(args)


def _differs(rec: Recorded, flat: list[dict[str, int | bool]]) -> tuple[str, ...]:
    """Where the run first leaves the states the trace recorded, if it does."""
    for i, (old, new) in enumerate(zip(rec.states, flat)):
        for loc, v in old.items():
            if loc in new and new[loc] != v:
                when = "in the start state" if i == 0 else f"after step {i}"
                return (f"the run differs from the recorded one {when}: {loc} was {_show(v)}, is {_show(new[loc])}",)
    return ()


def _show(v: int | bool) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _setup(system: ir.System, rec: Recorded, p: ir.Property | ir.Refinement) -> tuple[_Setup, tuple[str, ...]]:
    it = interp.Interp(system, rec.nr_vcpus, rec.params)
    start = start_state(system, it, None if rec.from_reset else tuple(rec.states[0].items()))
    calls = _calls(system, rec, p)
    run = run_steps(system, it, start, calls)
    notes = _differs(rec, [run.flat(i) for i in range(len(run.states))])
    bindings: dict[str, interp.Value] = dict(rec.bindings) if isinstance(p, ir.Fact) else {}
    w = Witness(
        rec.nr_vcpus,
        dict(rec.params),
        calls,
        None if rec.from_reset else start,
        bindings,
        _alternative(system, rec, p, rec.nr_vcpus),
    )
    return _Setup(system, rec, w), notes


def lowered(design: Design, rec: Recorded) -> ir.System:
    """The design lowered for the trace's vCPU count and parameter values, which it must allow."""
    lo, hi = design.vcpus
    if not lo <= rec.nr_vcpus <= hi:
        raise NotApplicable(f"the trace has {rec.nr_vcpus} vCPUs; model {design.model} allows {lo}..{hi}")
    extra = sorted(set(rec.params) - set(design.params))
    if extra:
        raise NotApplicable(f"model {design.model} has no parameter {', '.join(extra)}")
    missing = sorted(set(design.params) - set(rec.params))
    if missing:
        raise NotApplicable(f"the trace gives no value for the parameter {', '.join(missing)}")
    for name, v in rec.params.items():
        t = design.params[name].type
        if not t.lo <= v <= (t.hi if t.hi is not None else v):
            raise NotApplicable(f"the trace's {name} = {v} is outside the model's range {t.lo}..{t.hi}")
    return pipeline.lower(design, (rec.nr_vcpus, rec.nr_vcpus), {k: (v, v) for k, v in rec.params.items()})


def replay_design(design: Design, rec: Recorded, notes: tuple[str, ...] = ()) -> Replayed:
    """Lower the design for the trace, then replay it; a configuration the design does not
    allow is a trace that does not apply."""
    try:
        system = lowered(design, rec)
    except NotApplicable as e:
        params = tuple(sorted(rec.params.items()))
        return Replayed(
            ReplayStatus.NOT_APPLICABLE,
            rec.property,
            rec.kind,
            rec.model,
            rec.nr_vcpus,
            params,
            len(rec.steps),
            str(e),
            None,
            notes,
        )
    return replay(system, rec, notes)


def replay(system: ir.System, rec: Recorded, notes: tuple[str, ...] = ()) -> Replayed:
    """Run the trace on `system` (lowered for the trace's vCPU count and parameters)."""
    params = tuple(sorted(rec.params.items()))

    def out(status: ReplayStatus, reason: str, trace: Trace | None = None, more: tuple[str, ...] = ()) -> Replayed:
        return Replayed(
            status, rec.property, rec.kind, system.model, rec.nr_vcpus, params, len(rec.steps), reason, trace, notes + more
        )

    try:
        p = _property(system, rec)
        setup, differs = _setup(system, rec, p)
    except NotApplicable as e:
        return out(ReplayStatus.NOT_APPLICABLE, str(e))
    cover = isinstance(p, ir.Cover)
    try:
        trace = _verdict(setup, p)
    except confirm.Holds:
        if cover:
            return out(ReplayStatus.NOT_REACHED, "the trace no longer reaches the cover goal", None, differs)
        return out(ReplayStatus.HOLDS, "the property holds after the trace's accesses", None, differs)
    except confirm.ReplayMismatch as e:
        return out(ReplayStatus.NOT_APPLICABLE, str(e), None, differs)
    return out(ReplayStatus.REACHED if cover else ReplayStatus.FAILS, trace.failure.message, trace, differs)
