"""Replay a solver's witness in the interpreter and build the trace a user reads.

No counterexample is shown unless this replay confirms it; a witness the interpreter does not
confirm is a disagreement between the encoding and the interpreter, an internal error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from checker import interp, ir
from checker.irwalk import leading_quants
from checker.render.exprs import show_expr
from checker.results import Arg, Change, Failure, Field, Step, Trace
from checker.smt.query import Witness
from checker.span import Span


class ReplayMismatch(Exception):
    """The interpreter does not confirm what the solver found (a gicheck bug)."""


class Holds(ReplayMismatch):
    """The interpreter runs the accesses, and the property holds after them (the goal is not
    reached, for a cover): what `gicheck replay` reports of a fixed spec."""


def _arg(system: ir.System, p: ir.Local, v: interp.Value) -> Arg:
    assert not isinstance(v, interp.Array)
    fields: tuple[Field, ...] = ()
    if isinstance(p.type, ir.BitsT) and p.type.layout and p.type.layout in system.layouts:
        lay = system.layouts[p.type.layout]
        fields = tuple(Field(n, hi, lo, (int(v) >> lo) & ((1 << (hi - lo + 1)) - 1)) for n, hi, lo in lay.fields)
    width = ir.width_of(p.type) if isinstance(p.type, (ir.BitsT, ir.IndexT)) else None
    return Arg(p.name, str(p.type), v, fields, width)


def flatten(name: str, v: interp.Value, nr: int, t: ir.Type) -> dict[str, int | bool]:
    """Every scalar inside a state value, keyed by its location: `pending[1][3]`."""
    if isinstance(v, interp.Array):
        assert isinstance(t, ir.ArrayT)
        out: dict[str, int | bool] = {}
        for i in interp.domain(t.index, nr):
            out.update(flatten(f"{name}[{int(i)}]", v.get(int(i)), nr, t.elem))
        return out
    return {name: v}


def flat_state(system: ir.System, s: interp.State, nr: int) -> dict[str, int | bool]:
    out: dict[str, int | bool] = {}
    for n, v in s.items():
        out.update(flatten(n, v, nr, system.states[n].type))
    return out


def changes(system: ir.System, before: interp.State, after: interp.State, nr: int) -> tuple[Change, ...]:
    """Every scalar that differs, in flat_state's order: only indices either array holds an
    entry for can differ, when both have the same default."""
    out: list[Change] = []
    for n, v in before.items():
        _differ(n, v, after[n], nr, system.states[n].type, out)
    return tuple(out)


def _differ(name: str, a: interp.Value, b: interp.Value, nr: int, t: ir.Type, out: list[Change]) -> None:
    if a is b:
        return
    if isinstance(a, interp.Array):
        assert isinstance(t, ir.ArrayT) and isinstance(b, interp.Array)
        # two arrays with different defaults (one built anew) may differ anywhere
        held = a.entries.keys() | b.entries.keys() if a.default is b.default else None
        for i in interp.domain(t.index, nr):
            if held is None or int(i) in held:
                _differ(f"{name}[{int(i)}]", a.get(int(i)), b.get(int(i)), nr, t.elem, out)
        return
    assert not isinstance(b, interp.Array)
    if a != b:
        out.append(Change(name, a, b))


S = TypeVar("S")


def shrink_to_reset(
    names: Sequence[str], start: S, moved: Callable[[str, S], bool], put_back: Callable[[str, S], S], still: Callable[[S], bool]
) -> set[str]:
    """The variables among `names` that a pre-state needs away from reset for `still` to hold.

    Greedy, in the interpreter: each variable of `start` away from its reset value (`moved`) is
    put back (`put_back`) in turn and stays there when `still` holds of the result. The set left
    is minimal for this order, not the smallest possible; it guides searches from reset (the
    runs that write these variables first) and prunes nothing.
    """
    cur = start
    for n in names:
        if not moved(n, cur):
            continue
        trial = put_back(n, cur)
        try:
            ok = still(trial)
        except (interp.InterpError, ReplayMismatch):
            ok = False
        if ok:
            cur = trial
    return {n for n in names if moved(n, cur)}


def moved_from_reset(system: ir.System, w: Witness, confirm: Callable[[Witness], object]) -> set[str]:
    """The state variables a one-step counterexample (`w`, from an arbitrary pre-state) needs
    away from reset: `confirm` replays a witness and raises ReplayMismatch when it no longer
    fails (contract_trace, independence_trace)."""
    assert w.pre_state is not None
    nr = w.nr_vcpus
    reset = interp.Interp(system, nr, w.params).reset()

    def moved(n: str, st: interp.State) -> bool:
        return flat_state(system, {n: st[n]}, nr) != flat_state(system, {n: reset[n]}, nr)

    def still(st: interp.State) -> bool:
        confirm(replace(w, pre_state=st))
        return True

    return shrink_to_reset(list(system.states), dict(w.pre_state), moved, lambda n, st: {**st, n: reset[n]}, still)


@dataclass(frozen=True)
class Ran:
    """One access the interpreter ran: the action and its arguments, the states before and
    after, and what it returned."""

    name: str
    args: dict[str, interp.Value]
    before: interp.State
    after: interp.State
    result: interp.Value | None = None


def make_step(system: ir.System, nr: int, ran: Ran) -> Step:
    """The access as a trace shows it, with `nr` vCPUs."""
    name, args, result = ran.name, ran.args, ran.result
    action = system.action(name)
    shown = tuple(_arg(system, p, args[p.name]) for p in action.params)
    vcpu = None
    if action.register is not None and action.params and action.params[0].type == ir.VCPU:
        vcpu = int(args[action.params[0].name])  # type: ignore[arg-type]
    res = None
    target = None
    if action.kind.is_mmio:
        shown, res, target = _mmio_args(system, action, args, result)
    elif action.result is not None and result is not None:
        res = _arg(system, ir.Local("result", action.result), result)
    inputs = tuple((p.name, _scalar(args[p.name])) for p in action.params)
    step = Step(name, action.register, vcpu, shown, changes(system, ran.before, ran.after, nr), res, target, inputs)
    return replace(step, source=str(handler_span(system, action, args)))


def handler_span(system: ir.System, action: ir.Action, args: dict[str, interp.Value]) -> Span:
    """Where the code that ran is written: for a frame access, the handler of the register its
    offset reaches (the frame's own line where it reaches none)."""
    frame = system.frames.get(action.register or "") if action.kind.is_mmio else None
    if frame is None:
        return action.span
    _, reg, _ = frame.decode(int(args["offset"]))  # type: ignore[arg-type]
    kind = action.name.rsplit(".", 1)[1]
    handler = system.callables.get(f"{reg.name}.{kind}") if reg is not None else None
    return handler.span if handler is not None else action.span


def _mmio_args(
    system: ir.System,
    action: ir.Action,
    args: dict[str, interp.Value],
    result: interp.Value | None,
) -> tuple[tuple[Arg, ...], Arg | None, str]:
    """A frame access shown by the register it reaches, its value decoded into that register's
    fields when the access covers the whole register."""
    frame = system.frames[action.register]  # type: ignore[index]
    offset, width = int(args["offset"]), int(args["width"])  # type: ignore[arg-type]
    rd, reg, n = frame.decode(offset)
    where = f"{frame.name}[{rd}]" if rd is not None else frame.name
    if reg is None:
        target = f"{where} +{offset:#06x} (no register: reads as zero, writes ignored)"
    else:
        name = f"{reg.name}[{n}]" if reg.array else reg.name
        target = f"{where}.{name}" if rd is not None else name
        inner = offset % frame.stride if frame.per_vcpu else offset
        target += (
            f" (+{offset:#06x})"
            if inner == reg.offset + (n or 0) * reg.bytes
            else f" (+{offset:#06x}, byte {inner - reg.offset - (n or 0) * reg.bytes})"
        )
    vtype: ir.Type = ir.BitsT(width)
    if reg is not None and width == reg.bytes * 8:
        vtype = reg.type
    shown = [_arg(system, action.params[0], args["self"]), Arg("width", "bits", width)]
    res = None
    if "val" in args:
        shown.append(_arg(system, ir.Local("val", vtype), int(args["val"]) & ((1 << width) - 1)))  # type: ignore[arg-type]
    if result is not None:
        res = _arg(system, ir.Local("result", vtype), int(result) & ((1 << width) - 1))  # type: ignore[arg-type]
    return tuple(shown), res, target


def run_steps(
    system: ir.System,
    w: Witness,
    it: interp.Interp,
    start: interp.State,
    steps: list[tuple[str, dict[str, interp.Value]]],
) -> tuple[list[Step], list[interp.State], interp.Value | None]:
    """Replay the accesses; the states before and after each, and what the last one returned."""
    states = [start]
    out: list[Step] = []
    result: interp.Value | None = None
    for name, args in steps:
        name, args = as_frame_access(system, name, args)
        try:
            nxt, result = it.access(system.action(name), states[-1], args)
        except interp.Blocked:
            raise ReplayMismatch(f"step {len(out) + 1}: {name} is not enabled in the interpreter") from None
        out.append(make_step(system, w.nr_vcpus, Ran(name, args, states[-1], nxt, result)))
        states.append(nxt)
    return out, states, result


def as_frame_access(system: ir.System, name: str, args: dict[str, interp.Value]) -> tuple[str, dict[str, interp.Value]]:
    """A memory-mapped register's handler run as the frame access that reaches it: at the
    element's offset, at the register's width (lower.py explains why the solver may use the
    handler). Anything else unchanged."""
    action = system.action(name)
    if not action.kind.is_mmio or action.register in system.frames:
        return name, args
    for f in system.frames.values():
        for r in f.registers:
            if r.name != action.register:
                continue
            names = [p.name for p in action.params]
            offset = r.offset
            k = 1
            if f.per_vcpu:
                offset += int(args[names[k]]) * f.stride  # type: ignore[arg-type]
                k += 1
            if r.array:
                offset += int(args[names[k]]) * r.bytes  # type: ignore[arg-type]
            kind = name.rsplit(".", 1)[1]
            access: dict[str, interp.Value] = {"self": args[names[0]], "offset": offset, "width": r.bytes * 8}
            if system.action(name).kind == ir.ActionKind.MMIO_WRITE:
                access["val"] = args[names[-1]]
            return f"{f.name}.{kind}", access
    raise AssertionError(f"{name}: register in no frame")


def failing_binding(
    it: interp.Interp, body: ir.Expr, env: dict[str, interp.Value], pre: interp.State, post: interp.State | None
) -> dict[str, interp.Value] | None:
    """The first values of the outer `forall`s under which `body` is false, or None if it holds."""
    outer, body = leading_quants(body, ir.QuantKind.FORALL)

    def search(i: int, e: dict[str, interp.Value]) -> dict[str, interp.Value] | None:
        if i == len(outer):
            return None if it.eval(body, e, pre, post) else e
        for v in interp.domain(outer[i].type, it.n):  # type: ignore[arg-type]
            r = search(i + 1, {**e, outer[i].name: v})
            if r is not None:
                return r
        return None

    found = search(0, dict(env))
    if found is None:
        return None
    return {v.name: found[v.name] for v in outer}


def atoms(
    it: interp.Interp, e: ir.Expr, env: dict[str, interp.Value], pre: interp.State, post: interp.State | None
) -> list[tuple[str, int | bool]]:
    """The state and field reads inside the failing formula, with their values."""
    out: list[tuple[str, int | bool]] = []
    seen: set[str] = set()

    def number(x: ir.Expr, env: dict[str, interp.Value]) -> object:
        v = it.eval(x, env, pre, post)
        return int(v) if not isinstance(v, bool) else v  # type: ignore[arg-type]

    def visit(x: ir.Expr, env: dict[str, interp.Value]) -> None:
        if isinstance(x, ir.Quant):
            return
        if isinstance(x, (ir.Select, ir.StateRef, ir.Extract, ir.Call)) and not isinstance(x.type, ir.ArrayT):
            try:
                v = it.eval(x, env, pre, post)
            except KeyError:
                return
            text = show_expr(x, it.sys.layouts, lambda i, env=env: number(i, env))  # type: ignore[misc]
            if text not in seen and not isinstance(v, interp.Array):
                seen.add(text)
                out.append((text, v))
            if isinstance(x, (ir.Select, ir.StateRef)):
                return
        for f in getattr(x, "__dataclass_fields__", {}):
            sub = getattr(x, f)
            if isinstance(sub, tuple):
                for s in sub:
                    if hasattr(s, "type") and not isinstance(s, ir.Local):
                        visit(s, env)
            elif f not in ("type", "span") and hasattr(sub, "type") and not isinstance(sub, ir.Local):
                visit(sub, env)

    visit(e, env)
    return out


def fact_trace(system: ir.System, prop: ir.Fact, w: Witness) -> Trace:
    it = interp.Interp(system, w.nr_vcpus, w.params)
    _, body = leading_quants(prop.body, ir.QuantKind.FORALL)
    if it.eval(body, dict(w.bindings), {}):
        raise Holds(f"fact {prop.name}: the interpreter finds it true at {w.bindings}")
    fail = Failure(
        prop.name,
        "the fact is false",
        tuple((k, _scalar(v)) for k, v in w.bindings.items()),
        tuple(atoms(it, body, dict(w.bindings), {}, None)),
    )
    return Trace(w.nr_vcpus, params=tuple(w.params.items()), steps=(), failure=fail)


def _scalar(v: interp.Value) -> int | bool:
    assert not isinstance(v, interp.Array)
    return v


def contract_trace(system: ir.System, prop: ir.Contract, w: Witness) -> Trace:
    it = interp.Interp(system, w.nr_vcpus, w.params)
    start = w.pre_state if w.pre_state is not None else it.reset()
    steps, states, result = run_steps(system, w, it, start, w.steps)
    pre, post = states[-2], states[-1]
    action = system.action(prop.action)
    env = {l.name: w.steps[-1][1][p.name] for p, l in zip(action.params, prop.params)}
    if prop.result is not None and result is not None:
        env[prop.result.name] = result
    if prop.where is not None and not it.eval(prop.where, env, pre):
        raise ReplayMismatch(f"{prop.name}: the access does not satisfy the 'where' clause")
    binding = failing_binding(it, prop.body, env, pre, post)
    if binding is None:
        raise Holds(f"{prop.name}: the interpreter finds the property true after the trace")
    _, inner = leading_quants(prop.body, ir.QuantKind.FORALL)
    full = {**env, **binding}
    values = atoms(it, inner, full, pre, post)
    if prop.result is not None and result is not None:
        values.insert(0, (prop.result.name, _scalar(result)))
    fail = Failure(
        prop.name,
        "the property is false after the last access",
        tuple((k, _scalar(v)) for k, v in binding.items()),
        tuple(values),
    )
    return started(system, w, Trace(w.nr_vcpus, params=tuple(w.params.items()), steps=tuple(steps), failure=fail))


def independence_trace(system: ir.System, prop: ir.Independence, w: Witness) -> Trace:
    it = interp.Interp(system, w.nr_vcpus, w.params)
    start = w.pre_state if w.pre_state is not None else it.reset()
    steps, states, result1 = run_steps(system, w, it, start, w.steps)
    pre, post1 = states[-2], states[-1]
    assert w.alt_args is not None
    action = system.action(prop.action)
    _check_two_runs(it, prop, action, (w.steps[-1][1], w.alt_args), pre)
    try:
        post2, result2 = it.access(action, pre, w.alt_args)
    except interp.Blocked:
        raise ReplayMismatch(f"{prop.name}: the second run is not enabled") from None
    a, b = flat_state(system, post1, w.nr_vcpus), flat_state(system, post2, w.nr_vcpus)
    diffs = tuple((k, a[k], b[k]) for k in a if a[k] != b[k])
    if result1 != result2 and result1 is not None and result2 is not None:
        diffs += (("(value read)", _scalar(result1), _scalar(result2)),)
    if not diffs:
        raise Holds(f"{prop.name}: the interpreter finds both runs end in the same state")
    alt = make_step(system, w.nr_vcpus, Ran(action.name, w.alt_args, pre, post2, result2))
    fail = Failure(prop.name, f"the result depends on {', '.join(prop.ignored_text)}")
    trace = Trace(
        w.nr_vcpus, params=tuple(w.params.items()), steps=tuple(steps), failure=fail, alternative=alt, differences=diffs
    )
    return started(system, w, trace)


def _check_two_runs(
    it: interp.Interp,
    prop: ir.Independence,
    action: ir.Action,
    runs: tuple[dict[str, interp.Value], dict[str, interp.Value]],
    pre: interp.State,
) -> None:
    """What the query assumed of the two runs: both satisfy the 'where' clause, and their
    arguments are equal but for the ignored bits."""
    for args in runs:
        env = {l.name: args[p.name] for p, l in zip(action.params, prop.params)}
        if prop.where is not None and not it.eval(prop.where, env, pre):
            raise ReplayMismatch(f"{prop.name}: a run does not satisfy the 'where' clause")
    for i, p in enumerate(action.params):
        a, b = runs[0][p.name], runs[1][p.name]
        ignored = [(hi, lo) for pos, hi, lo in prop.ignored if pos == i]
        mask = sum(((1 << (hi - lo + 1)) - 1) << lo for hi, lo in ignored)
        if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and ignored:
            same = a & ~mask == b & ~mask
        else:
            same = a == b
        if not same:
            raise ReplayMismatch(f"{prop.name}: the runs' {p.name} differ outside the ignored bits")


def state_trace(system: ir.System, name: str, goal: ir.Expr, w: Witness, message: str) -> Trace:
    """A run from reset (or from an arbitrary state) ending in a state where `goal` holds."""
    it = interp.Interp(system, w.nr_vcpus, w.params)
    start = w.pre_state if w.pre_state is not None else it.reset()
    steps, states, _ = run_steps(system, w, it, start, w.steps)
    if not it.eval(goal, {}, states[-1]):
        raise Holds(f"{name}: the interpreter does not reach the state the solver found")
    inner = goal
    binding: dict[str, interp.Value] = {}
    if isinstance(goal, ir.Unop) and goal.op == ir.UnOp.NOT:
        b = failing_binding(it, goal.arg, {}, states[-1], None)
        binding = b or {}
        _, inner = leading_quants(goal.arg, ir.QuantKind.FORALL)
    fail = Failure(
        name, message, tuple((k, _scalar(v)) for k, v in binding.items()), tuple(atoms(it, inner, binding, states[-1], None))
    )
    return started(system, w, Trace(w.nr_vcpus, params=tuple(w.params.items()), steps=tuple(steps), failure=fail))


def started(system: ir.System, w: Witness, t: Trace) -> Trace:
    """The trace with the state it starts from, when that is not reset."""
    if w.pre_state is None:
        return t
    return replace(t, from_reset=False, start=tuple(flat_state(system, w.pre_state, w.nr_vcpus).items()))


def refinement_trace(system: ir.System, ref: ir.Refinement, w: Witness) -> Trace:
    """A state and an access where the handler does something its `refines` cases do not:
    both runs replayed in the interpreter, the differing locations listed."""
    return started(system, w, _refinement_trace(system, ref, w))


def _refinement_trace(system: ir.System, ref: ir.Refinement, w: Witness) -> Trace:
    it = interp.Interp(system, w.nr_vcpus, w.params)
    assert w.pre_state is not None
    pre = w.pre_state
    handler = system.action(ref.handler)
    hargs = w.steps[-1][1]
    try:
        post, result = it.access(handler, pre, hargs)
    except interp.Blocked:
        raise ReplayMismatch(f"{ref.handler}: the access is not enabled in the interpreter") from None
    # a memory-mapped register's handler is shown as the frame access that reaches it
    shown, sargs = as_frame_access(system, handler.name, hargs)
    step = make_step(system, w.nr_vcpus, Ran(shown, sargs, pre, post, result))
    env: dict[str, interp.Value] = dict(hargs)
    if ref.result is not None and result is not None:
        env[ref.result.name] = result
    case = next((c for c in ref.cases if c.cond is None or it.eval(c.cond, env, pre)), None)
    params = tuple(w.params.items())
    if case is None:
        diffs = _differences(system, post, pre, w.nr_vcpus)
        if not diffs:
            raise Holds(f"{ref.handler}: the interpreter finds that it changes nothing where no case applies")
        fail = Failure(ref.handler, "no 'refines' case applies, yet the access changes the state")
        return Trace(w.nr_vcpus, (step,), fail, params, None, diffs, False, ("the access", "before it"))
    target = system.action(case.action)
    targs = {p.name: it.eval(a, env, pre) for p, a in zip(target.params, case.args)}
    call = f"{case.action}({', '.join(f'{k}={_show(v)}' for k, v in targs.items())})"
    out_of_domain = [
        p.name for p in target.params if isinstance(p.type, ir.IndexT) and targs[p.name] not in interp.domain(p.type, w.nr_vcpus)
    ]
    if out_of_domain:
        fail = Failure(ref.handler, f"the case it falls in names {call}, and {', '.join(out_of_domain)} is out of its range")
        return Trace(w.nr_vcpus, (step,), fail, params, from_reset=False)
    try:
        tpost, _ = it.access(target, pre, targs)
    except interp.Blocked:
        fail = Failure(ref.handler, f"the case it falls in names {call}, which is not enabled here (its 'requires' is false)")
        return Trace(w.nr_vcpus, (step,), fail, params, from_reset=False)
    diffs = _differences(system, post, tpost, w.nr_vcpus)
    if not diffs:
        raise Holds(f"{ref.handler}: the interpreter finds the access and {call} end in the same state")
    alt = make_step(system, w.nr_vcpus, Ran(target.name, targs, pre, tpost))
    fail = Failure(ref.handler, f"the access does not do what {call} does")
    return Trace(w.nr_vcpus, (step,), fail, params, alt, diffs, False, ("the access", case.action))


def _differences(system: ir.System, a: interp.State, b: interp.State, nr: int) -> tuple[tuple[str, int | bool, int | bool], ...]:
    fa, fb = flat_state(system, a, nr), flat_state(system, b, nr)
    return tuple((k, fa[k], fb[k]) for k in fa if fa[k] != fb[k])


def _show(v: interp.Value) -> str:
    assert not isinstance(v, interp.Array)
    return str(v).lower() if isinstance(v, bool) else str(v)
