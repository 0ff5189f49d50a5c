"""A trace run again in the interpreter, every state kept in full."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checker import interp, ir
from checker.engines.replay import flat_state
from checker.results import Trace


class NotApplicable(Exception):
    """The trace does not apply to this system: an access it cannot run, a location it does not
    have. The message says at which step and why."""


@dataclass(frozen=True)
class Run:
    """The states a trace goes through: before its first step, then after each one, and what
    each step returned."""

    system: ir.System
    nr_vcpus: int
    params: dict[str, int]
    states: tuple[interp.State, ...]
    results: tuple[interp.Value | None, ...]

    def flat(self, i: int) -> dict[str, int | bool]:
        """State `i`, location by location (`pending[1][3]`)."""
        return flat_state(self.system, self.states[i], self.nr_vcpus)


_INDEX = re.compile(r"\[(\d+|true|false)\]")


def put(system: ir.System, state: interp.State, location: str, value: int | bool) -> interp.State:
    """`state` with one location (`pending[1][3]`, `dist_enabled`) set to `value`."""
    name = location.split("[", 1)[0]
    if name not in system.states:
        raise NotApplicable(f"the spec has no state '{name}' (location {location})")
    idx = [int(m) if m.isdigit() else m == "true" for m in _INDEX.findall(location[len(name) :])]
    out = dict(state)
    out[name] = _set(state[name], idx, value)
    return out


def _set(v: interp.Value, path: list[int | bool], value: int | bool) -> interp.Value:
    if not path:
        return value
    if not isinstance(v, interp.Array):
        raise NotApplicable("a location indexes a value that is not an array")
    i = int(path[0])
    return v.set(i, _set(v.get(i), path[1:], value))


def start_state(system: ir.System, it: interp.Interp, start: tuple[tuple[str, int | bool], ...] | None) -> interp.State:
    """Reset, or (for a trace from an arbitrary state) reset with the trace's locations set."""
    state = it.reset()
    for loc, v in start or ():
        state = put(system, state, loc, v)
    return state


def rerun(system: ir.System, trace: Trace) -> Run:
    """Run the trace's steps again from its start, on `system` (one it was found on)."""
    it = interp.Interp(system, trace.nr_vcpus, dict(trace.params))
    state = start_state(system, it, None if trace.from_reset else trace.start)
    return run_steps(system, it, state, [(s.action, dict(s.inputs)) for s in trace.steps])


def run_steps(system: ir.System, it: interp.Interp, state: interp.State, steps: list[tuple[str, dict[str, interp.Value]]]) -> Run:
    """Run the accesses from `state`; NotApplicable names the first that cannot run."""
    states = [state]
    results: list[interp.Value | None] = [None]
    for i, (name, args) in enumerate(steps, 1):
        action = action_named(system, name, f"step {i}")
        check_inputs(action, args, it.n, f"step {i}")
        try:
            nxt, res = it.access(action, states[-1], args)
        except interp.Blocked:
            raise NotApplicable(f"step {i}: {name} is not enabled: its 'requires' is false in the state before it") from None
        states.append(nxt)
        results.append(res)
    return Run(system, it.n, dict(it.params), tuple(states), tuple(results))


def action_named(system: ir.System, name: str, where: str) -> ir.Action:
    if name not in system.actions and name not in system.callables:
        raise NotApplicable(f"{where}: model {system.model} has no action '{name}'")
    return system.action(name)


def check_inputs(action: ir.Action, args: dict[str, interp.Value], nr_vcpus: int, where: str) -> None:
    """The arguments are the action's parameters, each a value of its type."""
    want = [p.name for p in action.params]
    if sorted(args) != sorted(want):
        raise NotApplicable(f"{where}: {action.name} takes ({', '.join(want)}), the trace gives ({', '.join(args)})")
    for p in action.params:
        v = args[p.name]
        if not fits(p.type, v, nr_vcpus):
            raise NotApplicable(f"{where}: {action.name}: {p.name} = {v} is not a value of its type {p.type}")


def fits(t: ir.Type, v: interp.Value, nr_vcpus: int) -> bool:
    if isinstance(t, ir.BoolT):
        return isinstance(v, bool)
    if isinstance(v, bool) or not isinstance(v, int):
        return False
    if isinstance(t, ir.IndexT):
        return v in interp.domain(t, nr_vcpus)
    if isinstance(t, ir.BitsT):
        return 0 <= v < (1 << t.width)
    return False
