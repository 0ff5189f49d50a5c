"""Questions asked of any state, not only reachable ones, or of none: is a fact true for every
vCPU count (engines/prove.py), does a handler's access refine the actions its `refines` clauses
name (engines/refinement.py), can a contract's access happen, and can an invariant's premise
hold (engines/vacuity.py)."""

from __future__ import annotations

import time

import z3

from checker import ir
from checker.irwalk import leading_quants
from checker.smt.answers import Answer, Unknown, Unsat, Witness
from checker.smt.decode import decode_state, value_of
from checker.smt.encode import Env, sort_of
from checker.smt.query import Query
from checker.smt.requests import Setting


def fact(system: ir.System, prop: ir.Fact, setting: Setting) -> Answer:
    """lo <= N <= hi  and  not body(x1..xn): a vCPU count and a binding of the outer `forall`s
    under which the fact is false."""
    q = Query(system, setting)
    outer, body = leading_quants(prop.body, ir.QuantKind.FORALL)
    env: Env = {}
    for v in outer:
        c = z3.Const(v.name, sort_of(v.type))
        q.solver.add(q.enc.in_domain(v.type, c))
        env[v.name] = c
    bad = z3.Not(q.enc.expr(body, env, {}))

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.bindings = {v.name: value_of(m, env[v.name], v.type, w.nr_vcpus) for v in outer}

    return q.solve(bad, decode)


def refinement(system: ir.System, ref: ir.Refinement, case: int, setting: Setting, budget_ms: int | None = None) -> Answer:
    """H(s, a, s') and not c_0(a, s) and ... and c_case(a, s) and not (A_case(s, args_case, s'')
    and s' = s''): from any state, with any arguments that make `case` the first applicable
    `refines` case (case == len(ref.cases): none applies, and A is the stutter), can the handler
    do something other than that case's action? One query per case, not their disjunction
    (bench/heuristics.md), and within a case one check for the action not running, then one
    per state variable the two may leave differently (asked of the same solver in turn), not
    the whole state's equality at once: the first counterexample found, else Unsat. With
    `budget_ms`, the case's checks must all be answered within that time (or it is Unknown)."""
    q = Query(system, setting)
    handler = system.action(ref.handler)
    pre = q.enc.fresh_state("@pre")
    args = q.params(handler, handler.params, "")
    enabled, post, result = q.enc.access(handler, pre, args)
    q.solver.add(enabled)
    env = dict(args)
    if ref.result is not None and result is not None:
        env[ref.result.name] = result
    for c in ref.cases[:case]:
        if c.cond is not None:
            q.solver.add(z3.Not(q.enc.expr(c.cond, env, pre)))
    if case < len(ref.cases):
        c = ref.cases[case]
        if c.cond is not None:
            q.solver.add(q.enc.expr(c.cond, env, pre))
        target = system.action(c.action)
        targs = {p.name: q.enc.expr(a, env, pre) for p, a in zip(target.params, c.args)}
        ok, expect, _ = q.enc.access(target, pre, targs)
        ok = z3.And(ok, *[q.enc.in_domain(p.type, targs[p.name]) for p in target.params])
    else:
        ok, expect = z3.BoolVal(True), pre

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.pre_state = decode_state(m, system, pre, w.nr_vcpus)
        w.steps = [(handler.name, {p.name: value_of(m, args[p.name], p.type, w.nr_vcpus) for p in handler.params})]

    # a state variable neither side writes is the same term on both: nothing to ask
    parts = [z3.Not(ok), *[z3.And(ok, post[n] != expect[n]) for n in post if not post[n].eq(expect[n])]]
    deadline = None if budget_ms is None else time.monotonic() + budget_ms / 1000
    for bad in parts:
        left = None if deadline is None else int((deadline - time.monotonic()) * 1000)
        if left is not None and left <= 0:
            return Unknown(f"timeout ({budget_ms} ms for the case's checks)")
        answer = q.solve(bad, decode, budget_ms=left)
        if not isinstance(answer, Unsat):
            return answer
    return Unsat()


def access_possible(system: ir.System, prop: ir.Contract, setting: Setting) -> Answer:
    """requires(a, s) and where(a, s): does some state allow the contract's access? Only the
    action's `requires` and the `where` clause are encoded, not what the access does (a `where`
    clause cannot name the value a read returns). A Sat's witness has no state."""
    q = Query(system, setting)
    action = system.action(prop.action)
    pre = q.enc.fresh_state("@pre")
    args = q.params(action, prop.params, "", prop.where)
    act_args = {p.name: args[local.name] for p, local in zip(action.params, prop.params)}
    cond = z3.BoolVal(True) if action.requires is None else q.enc.expr(action.requires, act_args, pre)
    if prop.where is not None:
        cond = z3.And(cond, q.enc.expr(prop.where, args, pre))
    return q.solve(cond, _no_state, minimize=False)


def state_possible(system: ir.System, goal: ir.Expr, assume: list[ir.Expr], setting: Setting) -> Answer:
    """assume(s) and goal(s): is there a state (any, not only a reachable one) satisfying the
    invariants `assume` in which `goal` holds? A Sat's witness has no state."""
    q = Query(system, setting)
    pre = q.enc.fresh_state("@pre")
    for inv in assume:
        q.solver.add(q.enc.expr(inv, {}, pre))
    body, env = q.witness_vars(goal, ir.QuantKind.EXISTS, {})
    return q.solve(q.enc.expr(body, env, pre), _no_state, minimize=False)


def _no_state(m: z3.ModelRef, w: Witness) -> None:
    """The vacuity checks ask only whether there is such a state: decoding it (every element of
    every array) took longer than many of the queries."""
