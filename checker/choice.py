"""The values a read may return where the spec leaves the answer open, in the interpreter.

A handler with `refines` clauses (ICC_IAR1_EL1, GICC_IAR) computes one answer, the lowest
takeable INTID, but declares that each run of it is a step of one of its cases' actions, which
may take any takeable interrupt (docs/language.md; `gicheck prove` proves the claim). So the
spec allows a read to return any value r whose first case (in order, the first whose condition
holds of r) names an action that is enabled in the state before the read; the state after it is
that action's. The handler's own answer is always allowed.

To list the allowed values, each case's action is enumerated over the arguments that are bit
slices of r (`r.INTID[4:0]`, `r.CPUID`), and every candidate is checked forward as above. A
case whose arguments are not slices of r cannot be enumerated; a value it allows is still
accepted when a caller names it (`check`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from checker import interp, ir

# Beyond this many bits a bits-typed argument is not enumerated (its values are not listed).
_MAX_ENUM_BITS = 12
# The step of the handler's own answer when no case's condition holds of it (1023, spurious).
NO_CASE = "no refines case applies"


@dataclass(frozen=True)
class Allowed:
    """A value the read may return, the action it is then a step of, and the state after it."""

    value: int
    step: str
    post: interp.State


def refinement_of(system: ir.System, handler: str) -> ir.Refinement | None:
    return next((r for r in system.refinements if r.handler == handler), None)


class Choices:
    """The open answers of one refined handler run by one vCPU from one state."""

    def __init__(self, it: interp.Interp, ref: ir.Refinement, args: dict[str, interp.Value], pre: interp.State):
        self.it = it
        self.ref = ref
        self.handler = it.sys.action(ref.handler)
        self.args = args
        self.pre = pre
        # the refinement names the handler's parameters its own way: bind them by position
        self.env = {rp.name: args[hp.name] for rp, hp in zip(ref.params, self.handler.params)}
        post, value = it.access(self.handler, pre, args)
        assert isinstance(value, int)
        case = self.case(value)
        label = self._call(case, self._target_args(case, value)) if case is not None else NO_CASE
        self.default = Allowed(value, label, post)

    def case(self, value: int) -> ir.RefineCase | None:
        env = self._env(value)
        return next((c for c in self.ref.cases if c.cond is None or self.it.eval(c.cond, env, self.pre)), None)

    def _env(self, value: int) -> dict[str, interp.Value]:
        env = dict(self.env)
        if self.ref.result is not None:
            env[self.ref.result.name] = value
        return env

    def _target_args(self, case: ir.RefineCase, value: int) -> dict[str, interp.Value]:
        target = self.it.sys.action(case.action)
        env = self._env(value)
        return {p.name: self.it.eval(a, env, self.pre) for p, a in zip(target.params, case.args)}

    @staticmethod
    def _call(case: ir.RefineCase, args: dict[str, interp.Value]) -> str:
        shown = ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in args.items())
        return f"{case.action}({shown})"

    def check(self, value: int) -> Allowed | None:
        """The value allowed, with the state after the read, or None if the spec never reads it here."""
        if value == self.default.value:
            return self.default
        case = self.case(value)
        if case is None:
            return None
        target = self.it.sys.action(case.action)
        targs = self._target_args(case, value)
        for p in target.params:
            if isinstance(p.type, ir.IndexT) and targs[p.name] not in interp.domain(p.type, self.it.n):
                return None
        try:
            post, _ = self.it.access(target, self.pre, targs)
        except interp.Blocked:
            return None
        return Allowed(value, self._call(case, targs), post)

    def allowed(self) -> tuple[Allowed, ...]:
        """Every value the spec allows here that the cases' actions can be enumerated for, the
        handler's own answer included, in increasing order."""
        found = {self.default.value: self.default}
        for case in self.ref.cases:
            for value in self._candidates(case):
                if value not in found:
                    a = self.check(value)
                    if a is not None:
                        found[value] = a
        return tuple(found[v] for v in sorted(found))

    def _candidates(self, case: ir.RefineCase) -> Iterator[int]:
        """Values of r made from the enabled runs of the case's action, its slices of r filled in."""
        result = self.ref.result
        if result is None:
            return
        target = self.it.sys.action(case.action)
        fixed: dict[str, interp.Value] = {}
        free: list[tuple[ir.Local, int, list[int] | list[bool]]] = []
        for p, a in zip(target.params, case.args):
            if not any(isinstance(x, ir.Local) and x.name == result.name for x in ir.walk(a)):
                fixed[p.name] = self.it.eval(a, self.env, self.pre)
                continue
            where = _slice_of(a, result.name)
            values = _domain(p.type, self.it.n)
            if where is None or values is None:
                return
            lo, width = where
            free.append((p, lo, [v for v in values if int(v) < (1 << width)]))
        for combo in itertools.product(*(vs for _, _, vs in free)):
            args = {**fixed, **{p.name: v for (p, _, _), v in zip(free, combo)}}
            if target.requires is not None and not self.it.eval(target.requires, args, self.pre):
                continue
            yield sum(int(v) << lo for (_, lo, _), v in zip(free, combo))


def _slice_of(e: ir.Expr, name: str) -> tuple[int, int] | None:
    """(lowest bit, width) of the local `name` that `e` is, when it is a plain bit slice of it."""
    match e:
        case ir.Local(name=n) if n == name:
            return 0, ir.width_of(e.type)
        case ir.Extract(arg=a, hi=hi, lo=lo):
            inner = _slice_of(a, name)
            return None if inner is None else (inner[0] + lo, hi - lo + 1)
        case ir.ZExt(arg=a):
            return _slice_of(a, name)
    return None


def _domain(t: ir.Type, nr_vcpus: int) -> list[int] | list[bool] | None:
    match t:
        case ir.IndexT() | ir.BoolT():
            return interp.domain(t, nr_vcpus)
        case ir.BitsT(width=w) if w <= _MAX_ENUM_BITS:
            return list(range(1 << w))
    return None
