"""Run one action through the Z3 encoding on concrete values: the other side of the
differential test against the interpreter (tests/test_differential.py)."""

from __future__ import annotations

from dataclasses import dataclass

import z3

from checker import interp, ir
from checker.smt import flat, limits
from checker.smt.encode import Encoder
from checker.smt.flat import Flat, Term
from checker.smt.query import value_of
from checker.smt.requests import SolverBudgets


def _to_z3(v: interp.Value, t: ir.Type, nr: int) -> z3.ExprRef:
    if isinstance(t, ir.BoolT):
        return z3.BoolVal(bool(v))
    if isinstance(t, ir.ArrayT):
        assert isinstance(v, interp.Array)
        # entries outside the domain are the reset value in the interpreter: write the domain only;
        # the most common scalar value fills the array, the others are stored (SPI arrays have
        # ~1000 entries, mostly equal)
        dom = [int(i) for i in interp.domain(t.index, nr)]
        values = [v.get(i) for i in dom]
        fill = values[0]
        if not isinstance(t.elem, ir.ArrayT):
            fill = max(set(values), key=values.count)
        arr = z3.K(z3.BitVecSort(t.index.width), _to_z3(fill, t.elem, nr))
        for i, x in zip(dom, values):
            if isinstance(t.elem, ir.ArrayT) or x != fill:
                arr = z3.Store(arr, z3.BitVecVal(i, t.index.width), _to_z3(x, t.elem, nr))
        return arr
    return z3.BitVecVal(int(v), ir.width_of(t))  # type: ignore[arg-type]


def _to_term(enc: Encoder, v: interp.Value, t: ir.Type, nr: int) -> Term:
    """`v` as the encoder holds a value of type `t`: a small array Flat when the encoder makes
    it so (Encoder.flat_range), with the value of the first index past it as `other`."""
    small = enc.flat_range(t) if isinstance(t, ir.ArrayT) else None
    if small is None:
        return _to_z3(v, t, nr)
    assert isinstance(t, ir.ArrayT) and isinstance(v, interp.Array)
    elems = tuple(_to_term(enc, v.get(i), t.elem, nr) for i in small)
    outside = small.stop if small.stop < 1 << t.index.width else None
    return Flat(small.start, elems, elems[-1] if outside is None else _to_term(enc, v.get(outside), t.elem, nr))


# A concrete access is a query over constants, yet some drawn at random run on for minutes
# (the first-match definitions and the spec's quantifiers are still the solver's to unfold)
CHECK_MS = 30_000


class Undecided(Exception):
    """The solver did not evaluate the concrete access within CHECK_MS: no answer to compare."""


@dataclass(frozen=True)
class At:
    """Where an action is run: the vCPU count, the pre-state, the configuration parameters, and
    whether the encoder makes small arrays Flat (as in an unrolling from reset)."""

    nr_vcpus: int
    state: interp.State
    params: dict[str, int] | None = None
    flat: bool = False


def run_action(system: ir.System, at: At, action: str, args: dict[str, interp.Value]) -> tuple[bool, interp.State]:
    """(enabled, post-state) of `action` computed by the Z3 encoding and read back from a model."""
    enabled, post, _ = run_access(system, at, action, args)
    return enabled, post


def run_access(
    system: ir.System, at: At, action: str, args: dict[str, interp.Value]
) -> tuple[bool, interp.State, interp.Value | None]:
    """(enabled, post-state, value read) of `action` through the Z3 encoding."""
    nr_vcpus, state, params = at.nr_vcpus, at.state, at.params
    n = z3.BitVecVal(nr_vcpus, ir.VCPU_WIDTH)
    config = {p.name: z3.BitVecVal((params or {})[p.name], p.type.width) for p in system.params.values()}
    enc = Encoder(system, n, nr_vcpus, config, flat_max=SolverBudgets().flat_max if at.flat else 0)
    a = system.action(action)
    pre = {k: _to_term(enc, v, system.states[k].type, nr_vcpus) for k, v in state.items()}
    z_args = {p.name: _to_z3(args[p.name], p.type, nr_vcpus) for p in a.params}
    enabled, post, result = enc.access(a, pre, z_args)
    s = z3.Solver()
    s.set("timeout", CHECK_MS)
    s.add(*enc.defs)
    names = {k: flat.named(f"post.{k}", term, s.add) for k, term in post.items()}
    en = z3.Bool("enabled")
    s.add(en == enabled)
    res, m, why = limits.check(s, (), None, CHECK_MS)
    if res == z3.unknown or m is None:
        raise Undecided(why)
    assert res == z3.sat
    value = None if result is None or a.result is None else value_of(m, result, a.result, nr_vcpus)
    # a state the action leaves as it was (the same term) is read back from the pre-state as is
    post_values = {k: (state[k] if post[k].eq(pre[k]) else value_of(m, names[k], system.states[k].type, nr_vcpus)) for k in post}
    return bool(z3.is_true(m.eval(en, model_completion=True))), post_values, value
