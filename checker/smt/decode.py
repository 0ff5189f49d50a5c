"""Solver models decoded into the interpreter's plain values: states, arguments, the actions of
an unrolling."""

from __future__ import annotations

import z3

from checker import interp, ir
from checker.smt import flat
from checker.smt.encode import Env, StateT
from checker.smt.flat import Term


def value_of(model: z3.ModelRef, term: Term, t: ir.Type, nr_vcpus: int) -> interp.Value:
    if isinstance(t, ir.ArrayT):
        arr_t = t
        whole = term if isinstance(term, flat.Flat) else model.eval(term, model_completion=True)

        def fill(i: int) -> interp.Value:
            idx = z3.BitVecVal(i, arr_t.index.width)
            at = flat.select(whole, idx) if isinstance(whole, flat.Flat) else z3.Select(whole, idx)
            return value_of(model, at, arr_t.elem, nr_vcpus)

        arr = interp.Array({}, fill)
        for i in interp.domain(t.index, nr_vcpus):
            arr.get(int(i))
        return arr
    v = model.eval(flat.plain(term), model_completion=True)
    if isinstance(t, ir.BoolT):
        return bool(z3.is_true(v))
    return int(v.as_long())


def decode_state(model: z3.ModelRef, system: ir.System, state: StateT, nr: int) -> interp.State:
    return {n: value_of(model, term, system.states[n].type, nr) for n, term in state.items()}


def decode_trans(
    model: z3.ModelRef, system: ir.System, trans: list[tuple[z3.ExprRef, dict[str, Env]]], nr: int
) -> list[tuple[str, dict[str, interp.Value]]]:
    acts = list(system.actions.values())
    out = []
    for sel, args in trans:
        a = acts[model.eval(sel, model_completion=True).as_long()]
        out.append((a.name, {p.name: value_of(model, args[a.name][p.name], p.type, nr) for p in a.params}))
    return out
