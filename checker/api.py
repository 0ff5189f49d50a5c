"""checker.api: the spec as an executable reference model, for Python.

    from checker import api

    model = api.load_model("gicv3")                     # a model of spec/ (or spec=Path(...))
    m = model.machine(vcpus=3, params={"nr_irqs": 128})  # a VM from reset
    m.write(0, "GICD_CTLR", 0x2)                         # a register by name, at its own width
    m.write(0, "ICC_SGI1R_EL1", {"IRM": 1})              # a value from the register's fields
    out = m.read(1, "ICC_IAR1_EL1")                      # results.Outcome
    out.value, out.step.changes, out.allowed             # the value, the state changed, the choices
    m.read(2, "ICC_IAR1_EL1", expect=0)                  # a value the spec leaves open: checked, taken
    m.read(1, api.At("GICR", 0x0008, rd=1), width=64)    # a frame and an offset in it
    m.write(0, "GICD_ISENABLER1", 0x100)                 # array registers: NAME<n> or api.Reg(NAME, n)
    m.act("raise_spi", intid=40)                         # an environment action
    m.state()["pending[1][0]"]                           # every state location's value
    m = model.machine(2, branches=taken)                 # each run adds to the set `taken` the branch arms it took

Registers are named as `gicheck list` shows them; an array element is `NAME<n>`, `NAME[n]` or
`Reg(NAME, index=n)`, and an element outside one array of a name falls to the array that holds
it (GICD_IPRIORITYR3 is an element of GICD_IPRIORITYR0_7). A register of a per-vCPU frame
(GICR) is the accessing vCPU's own unless `rd` names another.

Every argument is checked before anything runs. A bad one raises ArgumentError, whose `part`
(and `detail`: a field, a parameter) says which argument it is; a read whose `expect` the spec
does not allow raises NotAllowed, an environment action whose `requires` is false NotEnabled.
After any of these the machine is as it was. Errors in the spec files themselves raise
checker.diagnostics.SpecError, as everywhere in gicheck.

A read the spec leaves open (ICC_IAR1_EL1 and GICC_IAR: any takeable interrupt, through their
`refines` clauses) returns the handler's own answer unless `expect` names another the spec
allows; `Outcome.allowed` lists them (checker/choice.py). The shapes of values returned are
checker.results' (Outcome, Step, Change, Choice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from checker import interp, ir, pipeline
from checker.access import (
    ApiError,
    ArgumentError,
    At,
    Catalog,
    NotAllowed,
    NotEnabled,
    Part,
    Prepared,
    Reg,
    Request,
    Resolver,
    Target,
    Value,
)
from checker.choice import Choices, refinement_of
from checker.engines.replay import Ran, flat_state, make_step
from checker.params import value_error
from checker.render.exprs import show_expr
from checker.results import Choice, Outcome

__all__ = [
    "ApiError",
    "ArgumentError",
    "At",
    "Machine",
    "Model",
    "NotAllowed",
    "NotEnabled",
    "Part",
    "Prepared",
    "Reg",
    "Request",
    "Snapshot",
    "Target",
    "Value",
    "load_model",
    "models",
]


def _default_spec() -> Path:
    for d in [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[1]]:
        if (d / "spec").is_dir():
            return d / "spec"
    raise ArgumentError("no spec/ directory here or above: give spec=PATH", Part.SPEC)


def _spec_dir(spec: Path | str | None) -> Path:
    if spec is None:
        return _default_spec()
    path = Path(spec)
    if not path.is_dir():
        raise ArgumentError(f"spec directory {path}: not a directory", Part.SPEC)
    return path


def models(spec: Path | str | None = None) -> tuple[str, ...]:
    """The models a spec directory declares (default: spec/ here or above, else the checkout's)."""
    return tuple(sorted(pipeline.find_models(_spec_dir(spec))))


def load_model(name: str | None = None, spec: Path | str | None = None) -> Model:
    """A model of a spec directory; `name` may be left out when the spec has one model."""
    path = _spec_dir(spec)
    known = sorted(pipeline.find_models(path))
    if name is None:
        if len(known) != 1:
            raise ArgumentError(f"the spec has models {', '.join(known)}: name one", Part.MODEL)
        name = known[0]
    if name not in known:
        raise ArgumentError(f"no model {name} in {path} (models: {', '.join(known) or 'none'})", Part.MODEL)
    return Model(pipeline.load_system(path, name))


class Model:
    """One model of a spec, loaded once; machines of any vCPU count it allows share it."""

    def __init__(self, system: ir.System):
        self.system = system
        self.name = system.model
        self.vcpus = system.vcpus  # the counts the model allows
        self.catalog = Catalog(system)

    def machine(self, vcpus: int, params: Mapping[str, int] | None = None, *, branches: interp.Taken | None = None) -> Machine:
        """A VM with `vcpus` vCPUs, from reset; a parameter left out takes its lowest allowed value.
        With `branches`, every run on it adds the arms its branches take to that set
        (interp.Recorder; checker.branches lists them all)."""
        lo, hi = self.vcpus
        if isinstance(vcpus, bool) or not isinstance(vcpus, int) or not lo <= vcpus <= hi:
            raise ArgumentError(f"model {self.name} allows {lo}..{hi} vCPUs, not {vcpus}", Part.VCPUS)
        return Machine(self, vcpus, self.param_values(params or {}), branches)

    def param_values(self, given: Mapping[str, int]) -> dict[str, int]:
        """Every parameter's value: those given, checked against the spec, and the lowest allowed
        value of the others."""
        out: dict[str, int] = {}
        for name, v in given.items():
            if name not in self.system.params:
                known = ", ".join(sorted(self.system.params)) or "none"
                raise ArgumentError(f"model {self.name} has no parameter {name} (parameters: {known})", Part.PARAM, name)
            bad = self._param_error(self.system.params[name], v)
            if bad:
                raise ArgumentError(bad, Part.PARAM, name)
            out[name] = v
        for name, p in self.system.params.items():
            if name not in out:
                hi = p.type.hi if p.type.hi is not None else p.type.lo
                lowest = next((v for v in range(p.type.lo, hi + 1) if not self._param_error(p, v)), None)
                if lowest is None:
                    raise ArgumentError(f"no value of {name} satisfies its 'where' ({p.span})", Part.PARAM, name)
                out[name] = lowest
        return out

    def _param_error(self, p: ir.Param, v: int) -> str | None:
        return value_error(self.system, p.name, v, (self.vcpus.lo, self.vcpus.lo))


@dataclass(frozen=True)
class Snapshot:
    """A machine's state at one point (Machine.snapshot)."""

    state: interp.State


class Machine:
    """A VM of a model: its state from reset, changed by each access run on it."""

    def __init__(self, model: Model, vcpus: int, params: dict[str, int], branches: interp.Taken | None = None):
        self.model = model
        self.nr_vcpus = vcpus
        self.params = params
        self.interp = (
            interp.Interp(model.system, vcpus, params)
            if branches is None
            else interp.Recorder(model.system, vcpus, params, branches)
        )
        self.resolver = Resolver(model.catalog, vcpus)
        self._state = self.interp.reset()

    def reset(self) -> None:
        self._state = self.interp.reset()

    def snapshot(self) -> Snapshot:
        """The machine's state, to go back to with restore()."""
        return Snapshot(self._state)  # runs never change a state in place: the reference is enough

    def restore(self, snap: Snapshot) -> None:
        self._state = snap.state

    def state(self) -> dict[str, int | bool]:
        """Every state location (`pending[1][27]`) and its value."""
        return flat_state(self.model.system, self._state, self.nr_vcpus)

    def read(self, cpu: int, target: Target, *, width: int | None = None, expect: Value | None = None) -> Outcome:
        """vCPU `cpu` reads a register (by default at its own width)."""
        return self.run(self.prepare_read(cpu, target, width=width, expect=expect))

    def write(self, cpu: int, target: Target, value: Value, *, width: int | None = None) -> Outcome:
        """vCPU `cpu` writes a register: a number, or a mapping of its layout's fields."""
        return self.run(self.prepare_write(cpu, target, value, width=width))

    def act(self, name: str, *args: int | bool, **kwargs: int | bool) -> Outcome:
        """An environment action (`raise_spi`, `lower_spi`, ...), arguments by position or name."""
        return self.run(self.prepare_action(name, args, kwargs))

    def prepare_read(self, cpu: int, target: Target, *, width: int | None = None, expect: Value | None = None) -> Prepared:
        return self.resolver.access(Request(cpu, target, width, None, expect))

    def prepare_write(self, cpu: int, target: Target, value: Value, *, width: int | None = None) -> Prepared:
        return self.resolver.access(Request(cpu, target, width, value, None))

    def prepare_action(
        self, name: str, args: Sequence[int | bool] = (), kwargs: Mapping[str, int | bool] | None = None
    ) -> Prepared:
        return self.resolver.action(name, args, kwargs or {})

    def run(self, p: Prepared) -> Outcome:
        """Run a prepared access from the current state; after NotAllowed or NotEnabled the state
        is as it was."""
        system, pre = self.model.system, self._state
        action = system.action(p.action)
        try:
            post, result = self.interp.access(action, pre, dict(p.args))
        except interp.Blocked:
            raise NotEnabled(f"{p.label} is not enabled here: {self._why_blocked(action, p)}", Part.ACTION) from None
        value = None if result is None else int(result)  # type: ignore[arg-type]
        allowed: tuple[Choice, ...] = ()
        own = None
        if p.refined is not None and value is not None:
            post, value, allowed, own = self._choose(p, post, value)
        elif p.expect is not None and value is not None and value != p.expect:
            raise NotAllowed(f"{p.label} reads {value:#x} here, not {p.expect:#x}", p.expect, (Choice(value, p.action),))
        step = make_step(system, self.nr_vcpus, Ran(p.action, dict(p.args), pre, post, value))
        self._state = post
        return Outcome(step, value, allowed, own, p.notes)

    def _choose(self, p: Prepared, post: interp.State, value: int) -> tuple[interp.State, int, tuple[Choice, ...], int | None]:
        """A read of a handler with `refines` clauses: the value `expect` names, if the spec allows it."""
        assert p.refined is not None
        handler, hargs = p.refined
        ref = refinement_of(self.model.system, handler)
        assert ref is not None
        ch = Choices(self.interp, ref, dict(hargs), self._state)
        if ch.default.value != value:  # the frame access did not reach the handler whole (a `where`)
            if p.expect is not None and p.expect != value:
                raise NotAllowed(f"{p.label} reads {value:#x} here, not {p.expect:#x}", p.expect, (Choice(value, p.action),))
            return post, value, (), None
        allowed = tuple(Choice(a.value, a.step) for a in ch.allowed())
        if p.expect is None or p.expect == value:
            return post, value, allowed, None
        picked = ch.check(p.expect)
        if picked is None:
            listed = ", ".join(f"{c.value:#x}" for c in allowed)
            raise NotAllowed(
                f"the spec does not allow {p.label} to read {p.expect:#x} here (it allows {listed})", p.expect, allowed
            )
        return picked.post, picked.value, allowed, value

    def changes_nothing_at(self, p: Prepared, value: int) -> bool:
        """A read with an open answer (`refines` clauses) that returns `value` is outside every
        case: the spec's handler runs then change nothing (a `refines` claim's stutter)."""
        if p.refined is None:
            return False
        ref = refinement_of(self.model.system, p.refined[0])
        assert ref is not None
        return Choices(self.interp, ref, dict(p.refined[1]), self._state).case(value) is None

    def _why_blocked(self, action: ir.Action, p: Prepared) -> str:
        """The first conjunct of the action's `requires` that is false, with the parameters it reads."""
        conj: list[ir.Expr] = []

        def split(e: ir.Expr) -> None:
            if isinstance(e, ir.Binop) and e.op == ir.Op.AND:
                split(e.left)
                split(e.right)
            else:
                conj.append(e)

        if action.requires is not None:
            split(action.requires)
        env = dict(p.args)
        for c in conj:
            if not self.interp.eval(c, env, self._state):
                shown = show_expr(c, self.model.system.layouts, lambda i: self.interp.eval(i, env, self._state))
                used = sorted({x.name for x in ir.walk(c) if isinstance(x, ir.ParamRef)})
                values = "".join(f", {n} = {self.params[n]}" for n in used)
                return f"its requires {shown} is false{values} ({action.span})"
        return f"its requires is false ({action.span})"
