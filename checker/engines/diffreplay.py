"""gicheck diff's interpreter side: every distinguishing input the solver finds is run on both
sides before it is shown (replay), and a one-step input is minimized to the state it needs away
from reset (moved_from_reset), the guide of the search from reset (engines/diff.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from checker import interp, ir
from checker.engines import replay
from checker.results import Distinction, Step
from checker.smt import product as P

_Sides = tuple[interp.State, interp.State]  # a pre-state on each side
_Interps = tuple[interp.Interp, interp.Interp]  # an interpreter for each side, on the same vCPU count and parameters


@dataclass(frozen=True)
class BothRan:
    """`a` on the old side and `b` on the new one, in the interpreter: the post-states and
    results (post None: not enabled), the shared locations whose post values differ (location,
    before, old after, new after), and whether the sides are told apart."""

    post_o: interp.State | None
    res_o: interp.Value | None
    post_n: interp.State | None
    res_n: interp.Value | None
    rows: list[tuple[str, int | bool, int | bool, int | bool]]
    differ: bool


class SideBySide:
    """The old and the new system in the interpreter, compared on the state both have (shared
    state, and related state through its relation)."""

    def __init__(self, old: ir.System, new: ir.System, related: dict[str, str]):
        self.old, self.new = old, new
        self.related = related  # state -> the new side's function of the old element (`relate`)
        self.compared = [*P.shared_states(old, new), *self.related]  # the state both sides are compared on

    def lift(self, it_n: interp.Interp, st: interp.State) -> interp.State:
        """The old side's compared state in the new side's terms: shared state as it is, related
        state through its relation, element by element."""
        out = {k: st[k] for k in self.compared if k not in self.related}
        for n in self.related:
            out[n] = self._related_value(it_n, n, self.old.states[n].type, st[n])
        return out

    def _related_value(self, it_n: interp.Interp, name: str, t: ir.Type, v: interp.Value) -> interp.Value:
        if not isinstance(t, ir.ArrayT):
            f = self.new.functions[self.related[name]]
            p = f.params[0]
            return it_n.eval(ir.Call(f.name, (ir.Local(p.name, p.type),), f.ret), {p.name: v}, {})
        assert isinstance(v, interp.Array)
        elem, arr = t.elem, v
        return interp.Array(
            {int(i): self._related_value(it_n, name, elem, arr.get(int(i))) for i in interp.domain(t.index, it_n.n)},
            lambda i: self._related_value(it_n, name, elem, arr.get(i)),
        )

    def _flat_compared(self, it_n: interp.Interp, old: interp.State | None, new: interp.State | None) -> dict[str, int | bool]:
        """The compared state flattened to locations, from the old side (lifted) or the new."""
        st = self.lift(it_n, old) if old is not None else {k: new[k] for k in self.compared}  # type: ignore[index]
        return replay.flat_state(self.new, st, it_n.n)

    def replay(self, a: ir.Action, b: ir.Action, w: P.PairWitness) -> Distinction:
        """Run the input on both sides in the interpreter; raise ReplayMismatch unless they differ."""
        it_o = interp.Interp(self.old, w.nr_vcpus, w.params)
        it_n = interp.Interp(self.new, w.nr_vcpus, w.params)
        nr = w.nr_vcpus
        prefix_steps: list[Step] = []
        same = True
        if w.pre_old is None:
            new_only = [k for k in self.new.states if k not in self.compared]
            so, sn = it_o.reset(), it_n.reset()
            for name, args in w.prefix:
                bo = self.new.action(name)
                args_n = {pn.name: args[po.name] for po, pn in zip(self.old.action(name).params, bo.params)}
                try:
                    no, _ = it_o.access(self.old.action(name), so, args)
                    nn, _ = it_n.access(bo, sn, args_n)
                except interp.Blocked:
                    raise replay.ReplayMismatch(f"{name} is not enabled in the interpreter") from None
                step = _shown(self.old, nr, replay.Ran(name, args, so, no))
                if new_only:  # the old side's run, and what it changed in state only the new side has
                    extra = replay.changes(self.new, {k: sn[k] for k in new_only}, {k: nn[k] for k in new_only}, nr)
                    step = replace(
                        step, changes=step.changes + tuple(replace(c, location=f"{c.location} (new side)") for c in extra)
                    )
                if self._flat_compared(it_n, no, None) != self._flat_compared(it_n, None, nn):
                    same = False
                prefix_steps.append(step)
                so, sn = no, nn
            pre_o, pre_n = so, sn
        else:
            pre_o = w.pre_old
            pre_n = w.pre_new if w.pre_new is not None else {}
        args_n = {pn.name: w.args[po.name] for po, pn in zip(a.params, b.params)}
        ran = self._run_both(a, b, (it_o, it_n), (pre_o, pre_n), w.args)
        step_o = (
            _shown(self.old, nr, replay.Ran(a.name, w.args, pre_o, ran.post_o, ran.res_o)) if ran.post_o is not None else None
        )
        step_n = (
            _shown(self.new, nr, replay.Ran(b.name, args_n, pre_n, ran.post_n, ran.res_n)) if ran.post_n is not None else None
        )
        if not ran.differ:
            raise replay.ReplayMismatch(f"{a.name}: the interpreter runs both sides alike on the solver's distinguishing input")
        return Distinction(
            nr,
            tuple(w.params.items()),
            w.pre_old is None,
            tuple(prefix_steps),
            same,
            step_o,
            step_n,
            tuple(ran.rows),
            (_scalar(ran.res_o), _scalar(ran.res_n)),
        )

    def _run_both(self, a: ir.Action, b: ir.Action, its: _Interps, pre: _Sides, args: dict[str, interp.Value]) -> BothRan:
        """`a` on the old side and `b` on the new one, from `pre`, with `args` (by the old side's
        parameter names)."""
        it_o, it_n = its
        pre_o, pre_n = pre
        args_n = {pn.name: args[po.name] for po, pn in zip(a.params, b.params)}
        post_o = post_n = None
        res_o = res_n = None
        try:
            post_o, res_o = it_o.access(a, pre_o, args)
        except interp.Blocked:
            pass
        try:
            post_n, res_n = it_n.access(b, pre_n, args_n)
        except interp.Blocked:
            pass
        rows = []
        if post_o is not None and post_n is not None:
            fb = self._flat_compared(it_n, pre_o, None)
            fo = self._flat_compared(it_n, post_o, None)
            fn = self._flat_compared(it_n, None, post_n)
            rows = [(self._label(k), fb[k], fo[k], fn[k]) for k in fb if fo[k] != fn[k]]
            differ = bool(rows) or res_o != res_n
        else:
            differ = (post_o is None) != (post_n is None)
        return BothRan(post_o, res_o, post_n, res_n, rows, differ)

    def _label(self, location: str) -> str:
        """A location in a table of differences; a related state's old values are shown
        through the relation."""
        root = location.split("[", 1)[0]
        return f"{location} (old as {self.related[root]}(old))" if root in self.related else location

    def moved_from_reset(self, a: ir.Action, b: ir.Action, w: P.PairWitness) -> set[str]:
        """The state variables a distinguishing pre-state needs away from their reset values.

        The solver's one-step input is minimized in the interpreter: each variable in turn is
        put back to its reset value (on each side, its own), and kept there when `a` still tells
        the sides apart. What is left is what a run from reset must write before `a` shows this
        difference: the guide of the search from reset (guided_paths). Another input may need
        other variables, so it orders the search and prunes nothing. In the interpreter, not the
        solver: a few runs, where the solver's minimization gave up (bench/heuristics.md)."""
        nr = w.nr_vcpus
        it_o, it_n = interp.Interp(self.old, nr, w.params), interp.Interp(self.new, nr, w.params)
        ro, rn = it_o.reset(), it_n.reset()
        po = dict(w.pre_old or {})
        pn = dict(w.pre_new or {})
        if po:  # the new side's pre-state as the product built it: shared state, related state through its relation
            pn.update(self.lift(it_n, po))

        def moved(n: str, st: _Sides) -> bool:
            return any(
                replay.flat_state(sys, {n: s[n]}, nr) != replay.flat_state(sys, {n: r[n]}, nr)
                for sys, s, r in ((self.old, st[0], ro), (self.new, st[1], rn))
                if n in sys.states
            )

        def put_back(n: str, st: _Sides) -> _Sides:
            so, sn = st
            return ({**so, n: ro[n]} if n in self.old.states else so, {**sn, n: rn[n]} if n in self.new.states else sn)

        names = list(dict.fromkeys([*self.old.states, *self.new.states]))
        return replay.shrink_to_reset(
            names, (po, pn), moved, put_back, lambda st: self._run_both(a, b, (it_o, it_n), st, w.args).differ
        )


def _shown(system: ir.System, nr: int, ran: replay.Ran) -> Step:
    """A step as a user reads it: a register handler's run shown as the frame access that
    reaches it (at this side's offsets), with the changes the run made."""
    fname, fargs = replay.as_frame_access(system, ran.name, ran.args)
    return replay.make_step(system, nr, replace(ran, name=fname, args=fargs))


def _scalar(v: interp.Value | None) -> int | bool | None:
    if v is None or isinstance(v, interp.Array):
        return None
    return v
