"""Unrollings from reset (BMC, Biere et al. 2003): is a state satisfying a goal reachable in
exactly k steps?

A search asks that depth after depth. Over every action (no path of actions given, no window),
one solver is kept for the search's system, goal and setting: step t of the unrolling is
asserted in its own scope, the goal at depth k is an assumption, and what the solver learns
proving depth k unreachable stays for depth k+1. A fresh query per depth relearns it, and
runs out of its budget where the kept solver does not (bench/heuristics.md). A depth below
the deepest unrolled one is asked after popping the steps past it: with them asserted, a run
would also need a successor at each step after k, which an action's guard can deny.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import z3

from checker import ir
from checker.smt import limits
from checker.smt.answers import Answer, Unknown, Witness
from checker.smt.decode import decode_trans
from checker.smt.encode import Env, StateT
from checker.smt.query import Query
from checker.smt.requests import Setting, Steps

# the last two unrollings asked for, in any thread (the key has the thread: a solver is not
# shared between threads): a search asks one system and goal at each depth, over at most two
# vCPU ranges (search.search_ranges), and the next property's search has another cone
_KEPT = 2
_UNROLLINGS: OrderedDict[tuple[object, ...], Unrolling] = OrderedDict()


def reach(system: ir.System, goal: ir.Expr, req: Steps) -> Answer:
    """Init(s0) and T(s0, s1) and ... and T(s_k-1, s_k) and goal(s_k): is a state satisfying
    `goal` reachable in exactly k steps from reset (through the actions of `path`, if given)?"""
    if req.path is None and not req.setting.window:
        return _kept(system, goal, req.setting).reach(req.k, req.budget_ms)
    q = Query(system, req.setting, flat=req.path is None)
    states, trans = q.unroll(req.k, req.path)
    body, env = q.witness_vars(goal, ir.QuantKind.EXISTS, {})

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.steps = decode_trans(m, system, trans, w.nr_vcpus)

    return q.solve(q.enc.expr(body, env, states[-1]), decode, budget_ms=req.budget_ms)


def _kept(system: ir.System, goal: ir.Expr, setting: Setting) -> Unrolling:
    key = (threading.get_ident(), id(system), id(goal), setting)
    u = _UNROLLINGS.get(key)
    if u is None or u.system is not system or u.goal is not goal:
        u = _UNROLLINGS[key] = Unrolling(system, goal, setting)
        while len(_UNROLLINGS) > _KEPT:
            _UNROLLINGS.popitem(last=False)
    _UNROLLINGS.move_to_end(key)
    return u


def forget() -> None:
    """Drops every kept unrolling (and the solver memory it holds)."""
    _UNROLLINGS.clear()


class Unrolling:
    """One search's unrolling from reset over every action, in one incremental solver."""

    def __init__(self, system: ir.System, goal: ir.Expr, setting: Setting):
        self.system, self.goal = system, goal
        self.query = Query(system, setting, flat=True)
        self.query.incremental = True
        # the goal's leading `exists` become constants, asserted within their domains once
        self.body, self.env = self.query.witness_vars(goal, ir.QuantKind.EXISTS, {})
        self.states: list[StateT] = [self.query.enc.reset_state()]
        self.trans: list[tuple[z3.ExprRef, dict[str, Env]]] = []

    def to(self, k: int) -> None:
        """Steps 0..k-1 asserted, and no step after them."""
        while len(self.trans) > k:
            self.query.pop()
            self.states.pop()
            self.trans.pop()
        while len(self.trans) < k:
            self.query.push()
            e = self.query.unrolled_step(self.states[-1], len(self.trans), None)
            self.states.append(e.nxt)
            self.trans.append((e.sel, e.args))

    def reach(self, k: int, budget_ms: int | None) -> Answer:
        self.to(k)
        trans = list(self.trans)

        def decode(m: z3.ModelRef, w: Witness) -> None:
            w.steps = decode_trans(m, self.system, trans, w.nr_vcpus)

        # the goal's own definitions land in the last step's scope, and go with it
        bad = self.query.enc.expr(self.body, self.env, self.states[k])
        ans = self.query.solve(bad, decode, budget_ms=budget_ms)
        if isinstance(ans, Unknown) and ("stopped" in ans.reason or limits.is_memory_out(ans.reason)):
            forget()  # stopped by the watchdog or out of memory (smt/limits.py): not asked again
        return ans
