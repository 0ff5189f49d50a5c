"""Solver queries behind the engines: one-step checks, unrollings from reset, k-induction steps.

Each query answers with plain Python values (`Sat` with a `Witness`, `Unsat`, `Unknown`), so the
engines never touch a solver object. Formulas follow Biere et al., "Bounded Model Checking"
(2003) for the unrolling and Sheeran, Singh and Stalmarck, "Checking Safety Properties Using
Induction and a SAT-Solver" (FMCAD 2000) for k-induction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import z3

from checker import ir
from checker.irwalk import leading_quants, pinned_fields
from checker.smt import cvc5run, flat, limits, steps
from checker.smt.answers import Answer, Sat, Unknown, Unsat, Witness
from checker.smt.decode import decode_state, decode_trans, value_of
from checker.smt.encode import Encoder, Env, StateT, mk_ite, mk_not, mk_or, sort_of
from checker.smt.requests import OneStep, Setting, Solver, SolverBudgets, Steps

log = logging.getLogger("gicheck.smt")

_NO_TIMEOUT = 4_294_967_295  # Z3's default: no limit


class Query:
    """One solver with the vCPU count N constrained to a range. With `flat`, the state arrays
    of at most the budgets' flat_max elements are Flat (smt/flat.py): the unrollings from reset
    that choose between actions at each step use it; one given sequence of actions (a path)
    is straight-line code, which Z3's arrays handle well and builds faster."""

    def __init__(self, system: ir.System, setting: Setting, flat: bool = False):
        self.system = system
        self.lo, self.hi = setting.vcpus
        self.budgets = setting.budgets
        self.engine = setting.solver
        self.n = z3.BitVec("nr_vcpus", ir.VCPU_WIDTH)
        self.config = {p.name: z3.BitVec(p.name, p.type.width) for p in system.params.values()}
        self.plain = setting.plain
        flat_max = self.budgets.flat_max if flat and not self.plain else 0
        # an Unsat of a query over windows decides nothing, so no fewer vCPUs are ruled out either
        self.windowed = bool(flat_max and setting.window)
        self.enc = Encoder(
            system,
            self.n,
            self.hi,
            self.config,
            flat_max=flat_max,
            window=setting.window if self.windowed else 0,
            first_match=not self.plain,
        )
        self.solver = z3.Solver()
        # no query runs without a time limit: --timeout's, else the budgets' default
        self.default_limit = not setting.timeout
        self.timeout_ms = int(setting.timeout * 1000) if setting.timeout else self.budgets.query_ms
        self.solver.set("timeout", self.timeout_ms)
        self.has_transitions = False  # set by step(): decides how check() solves
        # a query with transitions tries Z3's SAT-based core first (this long), unless cleared
        self.sat_core_first, self.sat_core_ms = True, self.budgets.sat_core_ms
        self.solver.add(
            z3.ULE(z3.BitVecVal(self.lo, ir.VCPU_WIDTH), self.n), z3.ULE(self.n, z3.BitVecVal(self.hi, ir.VCPU_WIDTH))
        )
        for p in system.params.values():
            v = self.config[p.name]
            self.solver.add(self.enc.in_domain(p.type, v))
            if p.where is not None:
                self.solver.add(self.enc.expr(p.where, {}, {}))
        self.dump = setting.dump
        self.memory_mb = setting.memory_mb
        self.decoders: list[Callable[[z3.ModelRef, Witness], None]] = []
        self._defs_added = 0
        self._built = time.perf_counter()  # --debug logs how long encoding took before each check

    # ---- building blocks ----------------------------------------------------------------
    def params(
        self,
        action: ir.Action,
        names: tuple[ir.Local, ...],
        suffix: str,
        where: ir.Expr | None = None,
        add: Callable[[z3.BoolRef], None] | None = None,
    ) -> Env:
        """Fresh arguments for an action, each within its domain (constraints to `add`, default
        this query's solver). A layout-typed argument is one variable per field, and a field the
        `where` clause pins to a constant (val.IRM == 1) is that constant: the handler's
        conditions on it then fold away before the solver sees them."""
        env: Env = {}
        pins = pinned_fields(where)
        for p, local in zip(action.params, names):
            name = f"{local.name}{suffix}"
            if isinstance(p.type, ir.BitsT) and p.type.layout in self.system.layouts:
                v = self.fielded(name, self.system.layouts[p.type.layout], pins.get(local.name, {}))
            else:
                v = z3.Const(name, sort_of(p.type))
            (add or self.solver.add)(self.enc.in_domain(p.type, v))
            env[local.name] = v
        return env

    def fielded(self, name: str, layout: ir.Layout, pins: dict[tuple[int, int], int]) -> z3.ExprRef:
        parts = []
        bit = layout.width - 1
        for fname, hi, lo in sorted(layout.fields, key=lambda f: -f[1]):
            if bit > hi:
                parts.append(z3.BitVec(f"{name}[{bit}:{hi + 1}]", bit - hi))
            if (hi, lo) in pins:
                parts.append(z3.BitVecVal(pins[(hi, lo)], hi - lo + 1))
            else:
                parts.append(z3.BitVec(f"{name}.{fname}", hi - lo + 1))
            bit = lo - 1
        if bit >= 0:
            parts.append(z3.BitVec(f"{name}[{bit}:0]", bit + 1))
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)

    def step(
        self, state: StateT, t: int, only: str | None = None, add: Callable[[z3.BoolRef], None] | None = None
    ) -> tuple[StateT, z3.ExprRef, dict[str, Env]]:
        """One transition: some enabled action, with fresh arguments, from `state`; its
        constraints go to `add` (default: this query's solver).

        Each action runs from `state`; the next state picks the chosen action's result with an
        If per state variable: the encoding that holds up on every query tried, where the
        alternatives made some much slower (bench/heuristics.md)."""
        self.has_transitions = True
        add = add or self.solver.add
        acts = list(self.system.actions.values())
        all_args: dict[str, Env] = {}
        nxt = dict(state)
        if only is not None:
            # one given action: the step is straight-line code, no choice between actions
            k = [a.name for a in acts].index(only)
            a = acts[k]
            fixed: Env = {p.name: z3.Const(f"{a.name}.{p.name}@{t}", sort_of(p.type)) for p in a.params}
            for p in a.params:
                add(self.enc.in_domain(p.type, fixed[p.name]))
            enabled, post = self.enc.run(a, state, fixed)
            add(enabled)
            nxt.update(post)
            all_args[a.name] = fixed
            return nxt, z3.BitVecVal(k, 16), all_args
        sel = z3.BitVec(f"action@{t}", 16)
        add(z3.ULT(sel, z3.BitVecVal(len(acts), 16)))
        for k, a in enumerate(acts):
            args: Env = {}
            for p in a.params:
                v = z3.Const(f"{a.name}.{p.name}@{t}", sort_of(p.type))
                args[p.name] = v
            chosen = sel == k
            for p in a.params:
                add(z3.Implies(chosen, self.enc.in_domain(p.type, args[p.name])))
            if self.windowed:
                # a write past a window is ruled out only in the action chosen (Encoder.update)
                enabled, post, _ = self.enc.access(a, state, args, chosen)
            else:
                enabled, post = self.enc.run(a, state, args)
            add(z3.Implies(chosen, enabled))
            for name, term in post.items():
                if not term.eq(state[name]):
                    nxt[name] = mk_ite(chosen, term, nxt[name])
            all_args[a.name] = args
        return nxt, sel, all_args

    def unroll(self, k: int, path: tuple[str, ...] | None = None) -> tuple[list[StateT], list[tuple[z3.ExprRef, dict[str, Env]]]]:
        """States s0..sk from reset and the k transitions between them: any enabled action at
        each step, or the actions of `path` in order."""
        assert path is None or len(path) == k
        if path is not None:  # Z3 arrays along one sequence: the SAT core can stall (bench/heuristics.md)
            self.sat_core_ms = self.budgets.path_sat_core_ms
        states = [self.enc.reset_state()]
        trans = []
        for t in range(k):
            e = self._unrolled_step(states[-1], t, path[t] if path is not None else None)
            states.append(e.nxt)
            trans.append((e.sel, e.args))
        return states, trans

    def _unrolled_step(self, state: StateT, t: int, only: str | None) -> steps.Encoded:
        """Step t of an unrolling from `state`, its next state named `name@t+1`: encoded once
        per process for the same system, vCPU bound, arrays and pre-state (smt/steps.py), and
        its constraints asserted in this query."""
        self.has_transitions = True
        key = None if self.enc.facts else steps.key(self.enc, t, only, state)
        e = steps.kept(key, self.system)
        if e is not None:
            self.solver.add(*e.asserted)
            self.enc.defs.extend(e.defs)
            return e
        added: list[z3.BoolRef] = []
        first_def = len(self.enc.defs)
        nxt, sel, args = self.step(state, t, only, added.append)
        # name each state so models and dumped queries stay readable
        named = {name: flat.named(f"{name}@{t + 1}", term, added.append) for name, term in nxt.items()}
        self.solver.add(*added)
        e = steps.Encoded(self.system, state, tuple(added), tuple(self.enc.defs[first_def:]), named, sel, args)
        steps.keep(key, e)
        return e

    def witness_vars(self, e: ir.Expr, kind: ir.QuantKind, env: Env) -> tuple[ir.Expr, Env]:
        """Leading `kind` quantifiers of `e` (exists in a goal, forall under a negation) become
        free constants within their domains: the query stays quantifier-free, and Z3 picks its
        faster solver for arrays and bit-vectors."""
        env = dict(env)
        if (
            kind == ir.QuantKind.EXISTS
            and isinstance(e, ir.Unop)
            and e.op == ir.UnOp.NOT
            and isinstance(e.arg, ir.Quant)
            and e.arg.kind == ir.QuantKind.FORALL
        ):
            inner, env = self.witness_vars(e.arg, ir.QuantKind.FORALL, env)  # !forall x. P  ==  exists x. !P
            return ir.Unop(ir.UnOp.NOT, inner, ir.BOOL, e.span), env
        vs, e = leading_quants(e, kind)
        for v in vs:
            c = z3.Const(f"{v.name}!w", sort_of(v.type))
            self.solver.add(self.enc.in_domain(v.type, c))
            env[v.name] = c
        return e, env

    # ---- solving and decoding -------------------------------------------------------------
    def add_defs(self) -> None:
        """Asserts the definitions the encoder has made since the last call."""
        new = self.enc.defs[self._defs_added :]
        if new:
            self.solver.add(*new)
            self._defs_added += len(new)

    def check(self, *extra: z3.BoolRef, budget_ms: int | None = None) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
        """Solve the assertions plus `extra`: (result, model, reason unknown).

        Two ways: a query with transitions in it (an unrolling from reset, an induction step)
        goes to a fresh solver running Z3's SAT-based SMT core (sat.smt), which preprocesses and
        bit-blasts the whole query; a one-step query over a single access (a loop unrolled to
        255 vCPUs) goes to the incremental solver, with `extra` as assumptions. Each is much
        slower on the other's queries (bench/heuristics.md). With the setting's solver cvc5,
        the query is asked of cvc5 once, within the limit (smt/cvc5run.py); a plain one, of a
        fresh solver with Z3's defaults, within the limit.
        """
        self.add_defs()
        text = ""
        if self.dump is not None or self.engine == Solver.CVC5:
            d = z3.Solver()
            d.add(self.solver.assertions())
            d.add(*extra)
            text = d.sexpr()
        if self.dump is not None:
            self.dump(text)
        limit = (min(budget_ms, self.timeout_ms) if self.timeout_ms else budget_ms) if budget_ms is not None else None
        if self.engine == Solver.CVC5:
            return cvc5run.check(text, [*self.solver.assertions(), *extra], limit or self.timeout_ms or None, self.memory_mb)
        if self.plain:
            ms = limit if limit is not None else self.timeout_ms
            return limits.check(limits.plain([*self.solver.assertions(), *extra], ms), (), self.memory_mb, ms or None)
        t0 = time.perf_counter()
        res, model, why = self._check(extra, limit)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "query over vCPUs %d..%d (%s): encoded in %.2fs, %s in %.2fs%s",
                self.lo,
                self.hi,
                "transitions" if self.has_transitions else "one step",
                t0 - self._built,
                res,
                time.perf_counter() - t0,
                f" (limit {limit} ms)" if limit is not None else "",
            )
        self._built = time.perf_counter()
        if res == z3.unknown and self.default_limit and (limit is None or limit >= self.timeout_ms) and limits.timed_out(why):
            why = limits.default_limit_reason(
                "transition" if self.has_transitions else "one-step", (self.lo, self.hi), self.timeout_ms, why
            )
        # An unknown that is not a timeout is Z3's model-based quantifier instantiation giving up,
        # which depends on the order of its search (bench/heuristics.md): the query is asked
        # again, with another seed each time, while time is left.
        total = limit if limit is not None else self.timeout_ms
        for seed in self.budgets.reseeds:
            if res != z3.unknown or "incomplete quantifiers" not in why:
                break
            rest = None if not total else total - int((time.perf_counter() - t0) * 1000)
            if rest is not None and rest <= 0:
                break
            log.info("solver: %s; asking again with random seed %d", why, seed)
            res, model, why = self._fresh(extra, rest or 0, sat_core=False, seed=seed)
        return res, model, why

    def _check(self, extra: tuple[z3.BoolRef, ...], limit: int | None) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
        if not self.has_transitions:
            return self._one_step(extra, limit if limit is not None else self.timeout_ms)
        total = limit if limit is not None else self.timeout_ms  # None or 0: no limit
        if not self.sat_core_first:
            return self._fresh(extra, total or 0, sat_core=False)
        # Z3's SAT-based core first, for a bounded time; then the default core for the rest.
        first = self.sat_core_ms if not total else min(self.sat_core_ms, total)
        res, model, why = self._fresh(extra, first, sat_core=True)
        if res != z3.unknown or (total and total <= first) or limits.is_memory_out(why):
            return res, model, why
        rest = total - first if total else 0
        return self._fresh(extra, rest, sat_core=False)

    def _one_step(self, extra: tuple[z3.BoolRef, ...], limit_ms: int | None) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
        """A one-step query: the incremental solver briefly, then the SAT-based core briefly,
        then the incremental solver for the rest of the time: most proofs are quick on the
        incremental solver, but a counterexample over nested boolean arrays can be out of its
        reach and quick on the SAT-based core (bench/heuristics.md)."""
        t0 = time.perf_counter()

        def incremental(ms: int | None) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
            self.solver.set("timeout", ms if ms else _NO_TIMEOUT)
            try:
                return limits.check(self.solver, extra, self.memory_mb, ms or None)
            finally:
                self.solver.set("timeout", self.timeout_ms if self.timeout_ms else _NO_TIMEOUT)

        def left() -> int | None:
            return None if not limit_ms else limit_ms - int((time.perf_counter() - t0) * 1000)

        first = self.budgets.one_step_incremental_ms if not limit_ms else min(self.budgets.one_step_incremental_ms, limit_ms)
        res, model, why = incremental(first)
        if res != z3.unknown or not limits.timed_out(why):
            return res, model, why
        rest = left()
        if rest is not None and rest <= 0:
            return res, model, why
        res, model, why = self._fresh(
            extra,
            self.budgets.one_step_sat_core_ms if rest is None else min(self.budgets.one_step_sat_core_ms, rest),
            sat_core=True,
        )
        if res != z3.unknown:
            return res, model, why
        rest = left()
        if rest is not None and rest <= 0:
            return res, model, why
        return incremental(rest)

    def _fresh(
        self, extra: tuple[z3.BoolRef, ...], timeout_ms: int, sat_core: bool, seed: int | None = None
    ) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
        z3.set_param("sat.smt", sat_core)
        try:
            s = z3.Solver()
            if timeout_ms:
                s.set("timeout", timeout_ms)
            if seed is not None:
                s.set("random_seed", seed)
            s.add(self.solver.assertions())
            s.add(*extra)
            return limits.check(s, (), self.memory_mb, timeout_ms or None)
        finally:
            z3.set_param("sat.smt", False)

    def solve(
        self, bad: z3.BoolRef, decode: Callable[[z3.ModelRef, Witness], None], minimize: bool = True, budget_ms: int | None = None
    ) -> Answer:
        """Is `bad` satisfiable? If so, with the fewest vCPUs the range allows (the witness says
        whether that was shown: a lower count the solver left undecided is not ruled out). With
        `budget_ms`, the first answer must come within that time (or it is Unknown)."""
        res, model, why = self.check(bad, budget_ms=budget_ms)
        if res == z3.unknown:
            return Unknown(why)
        if res == z3.unsat or model is None:
            return Unsat()
        nr = model.eval(self.n, model_completion=True).as_long()
        decided = True
        if minimize and nr > self.lo:
            lo, hi = self.lo, nr - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                r, m, _ = self.check(bad, z3.ULE(self.n, z3.BitVecVal(mid, ir.VCPU_WIDTH)), budget_ms=budget_ms)
                if r == z3.sat and m is not None:
                    model = m
                    nr = model.eval(self.n, model_completion=True).as_long()
                    hi = nr - 1
                else:
                    decided = decided and r == z3.unsat
                    lo = mid + 1
        w = Witness(nr, {k: model.eval(v, model_completion=True).as_long() for k, v in self.config.items()})
        w.fewest_vcpus = nr == self.lo or (minimize and decided and not self.windowed)
        decode(model, w)
        return Sat(w)


# ---- the queries the engines ask -----------------------------------------------------------


def _final_action(
    q: Query, action: ir.Action, prop: ir.Contract | ir.Independence, pre: StateT, suffix: str
) -> tuple[Env, StateT, z3.ExprRef | None]:
    """The property's own access from `pre`: encoded once per process for the same system,
    vCPU bound, action, property and pre-state (smt/steps.py: Final), asserted in this query."""
    key = None if q.enc.facts else steps.final_key(q.enc, action, prop, suffix, pre)
    e = steps.kept_final(key, q.system)
    if e is None:
        added: list[z3.BoolRef] = []
        first_def = len(q.enc.defs)
        args = q.params(action, prop.params, suffix, prop.where, added.append)
        act_args = {p.name: args[local.name] for p, local in zip(action.params, prop.params)}
        enabled, post, result = q.enc.access(action, pre, act_args)
        added.append(enabled)
        if prop.where is not None:
            added.append(q.enc.expr(prop.where, args, pre))
        e = steps.Final(q.system, (action, prop), tuple(added), tuple(q.enc.defs[first_def:]), args, post, result)
        steps.keep(key, e)
    else:
        q.enc.defs.extend(e.defs)
    q.solver.add(*e.asserted)
    return e.args, e.post, e.result


def _pre_state(q: Query, req: OneStep) -> tuple[StateT, list[tuple[z3.ExprRef, dict[str, Env]]]]:
    """The state an access starts from: any state satisfying `assume` (prefix None), with a
    variable of each set in `avoid` at its reset value; or the state after `prefix` steps from
    reset, with those steps."""
    if req.prefix is None:
        pre = q.enc.fresh_state("@pre")
        for inv in req.assume:
            q.solver.add(q.enc.expr(inv, {}, pre))
        _avoid(q, pre, req.avoid or [])
        return pre, []
    states, trans = q.unroll(req.prefix, req.path)
    return states[-1], trans


def _avoid(q: Query, pre: StateT, avoid: list[set[str]]) -> None:
    """A variable of each set in `avoid` at its reset value in `pre`."""
    if avoid:
        reset = q.enc.reset_state()
        for names in avoid:
            q.solver.add(mk_or(*[pre[n] == reset[n] for n in sorted(names) if n in pre]))


def contract(system: ir.System, prop: ir.Contract, req: OneStep) -> Answer:
    """Pre(s) and where(a, s) and Access(s, a, s', r) and not body(a, r, s, s'), where Pre(s) is
    Init(s0) and T(s0, s1) and ... and T(s_k-1, s) (prefix k), or assume(s) and avoid(s)
    (prefix None): can the access make the contract's body false (`req` says where it starts)?"""
    q = Query(system, req.setting, flat=req.prefix is not None and req.path is None)
    action = req.final or system.action(prop.action)
    prefix = req.prefix
    pre, trans = _pre_state(q, req)
    args, post, result = _final_action(q, action, prop, pre, "")
    env = dict(args)
    if prop.result is not None and result is not None:
        env[prop.result.name] = result
    body, env = q.witness_vars(prop.body, ir.QuantKind.FORALL, env)
    bad = z3.Not(q.enc.expr(body, env, pre, post))

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.steps = decode_trans(m, system, trans, w.nr_vcpus)
        if prefix is None:
            w.pre_state = decode_state(m, system, pre, w.nr_vcpus)
        w.steps.append(
            (action.name, {p.name: value_of(m, args[l.name], p.type, w.nr_vcpus) for p, l in zip(action.params, prop.params)})
        )

    return q.solve(bad, decode, minimize=prefix is not None, budget_ms=req.budget_ms)


def independence(system: ir.System, prop: ir.Independence, req: OneStep) -> Answer:
    """Pre(s) and Access(s, a1, s1, r1) and Access(s, a2, s2, r2) and a1 = a2 but for the ignored
    bits and (s1 != s2 or r1 != r2), Pre as for contract: can two runs of the access from one
    state, with arguments equal but for the ignored bits, end differently?"""
    q = Query(system, req.setting, flat=req.prefix is not None and req.path is None)
    action = req.final or system.action(prop.action)
    prefix = req.prefix
    pre, trans = _pre_state(q, req)
    args1, post1, result1 = _final_action(q, action, prop, pre, "@run1")
    args2, post2, result2 = _final_action(q, action, prop, pre, "@run2")
    for i, local in enumerate(prop.params):
        a, b = args1[local.name], args2[local.name]
        ignored = [(hi, lo) for (pos, hi, lo) in prop.ignored if pos == i]
        if not ignored:
            q.solver.add(a == b)
            continue
        keep = _mask_except(flat.plain(a).size(), ignored)
        q.solver.add(a & keep == b & keep)
    differ = [mk_not(flat.equal(post1[n], post2[n])) for n in post1]
    if result1 is not None and result2 is not None:
        differ.append(result1 != result2)  # a read must return the same value too
    bad = mk_or(*differ)

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.steps = decode_trans(m, system, trans, w.nr_vcpus)
        if prefix is None:
            w.pre_state = decode_state(m, system, pre, w.nr_vcpus)
        w.steps.append(
            (action.name, {p.name: value_of(m, args1[l.name], p.type, w.nr_vcpus) for p, l in zip(action.params, prop.params)})
        )
        w.alt_args = {p.name: value_of(m, args2[l.name], p.type, w.nr_vcpus) for p, l in zip(action.params, prop.params)}

    return q.solve(bad, decode, minimize=prefix is not None, budget_ms=req.budget_ms)


def _mask_except(width: int, ranges: list[tuple[int, int]]) -> z3.BitVecRef:
    m = (1 << width) - 1
    for hi, lo in ranges:
        m &= ~(((1 << (hi - lo + 1)) - 1) << lo)
    return z3.BitVecVal(m, width)


def reach(system: ir.System, goal: ir.Expr, req: Steps) -> Answer:
    """Init(s0) and T(s0, s1) and ... and T(s_k-1, s_k) and goal(s_k): is a state satisfying
    `goal` reachable in exactly k steps from reset (through the actions of `path`, if given)?
    (BMC, one depth)"""
    q = Query(system, req.setting, flat=req.path is None)
    states, trans = q.unroll(req.k, req.path)
    body, env = q.witness_vars(goal, ir.QuantKind.EXISTS, {})

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.steps = decode_trans(m, system, trans, w.nr_vcpus)

    return q.solve(q.enc.expr(body, env, states[-1]), decode, budget_ms=req.budget_ms)


def pre_goal(system: ir.System, goal: ir.Expr, req: Steps) -> Answer:
    """Assume(s0) and not goal(s0) and T(s0, s1) and goal(s1): a state (any, not only a
    reachable one) from which one access makes `goal` true. Its pre-state, minimized, guides
    the search from reset."""
    q = Query(system, req.setting)
    # the SAT-based core's E-matching does not heed an interrupt: over the assumed invariants'
    # quantifiers it has run one of these queries for over 15 minutes past its limit
    q.sat_core_first = False
    s0 = q.enc.fresh_state("@0")
    for inv in req.assume:
        q.solver.add(q.enc.expr(inv, {}, s0))
    _avoid(q, s0, req.avoid)
    q.solver.add(z3.Not(q.enc.expr(goal, {}, s0)))
    nxt, sel, args = q.step(s0, 0)
    body, env = q.witness_vars(goal, ir.QuantKind.EXISTS, {})

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.pre_state = decode_state(m, system, s0, w.nr_vcpus)
        w.steps = decode_trans(m, system, [(sel, args)], w.nr_vcpus)

    return q.solve(q.enc.expr(body, env, nxt), decode, minimize=False, budget_ms=req.budget_ms)


def induction_step(system: ir.System, prop: ir.Expr, req: Steps) -> Answer:
    """P(s0) and T(s0, s1) and P(s1) and ... and T(s_k-1, s_k) and not P(s_k), with `assume` in
    every state: k consecutive states satisfying `prop` (from any state, not only reset)
    followed by one that does not. Unsat proves `prop` given the base case. There is no
    simple-path constraint (the states need not differ), so a property that needs one to be
    k-inductive stays unproved at every k; it makes no Unsat wrong. With `budget_ms`, an answer
    must come within that time (or it is Unknown)."""
    q = Query(system, req.setting)
    k, assume = req.k, req.assume
    s0 = q.enc.fresh_state("@0")
    states = [s0]
    trans = []
    for t in range(k):
        nxt, sel, args = q.step(states[-1], t)
        named = {}
        for name, term in nxt.items():
            v = z3.Const(f"{name}@{t + 1}", flat.plain(term).sort())
            q.solver.add(v == term)
            named[name] = v
        states.append(named)
        trans.append((sel, args))
    for s in states[:-1]:
        q.solver.add(q.enc.expr(prop, {}, s))
        for inv in assume:
            q.solver.add(q.enc.expr(inv, {}, s))
    for inv in assume:
        q.solver.add(q.enc.expr(inv, {}, states[-1]))
    body, env = q.witness_vars(prop, ir.QuantKind.FORALL, {})
    bad = z3.Not(q.enc.expr(body, env, states[-1]))

    def decode(m: z3.ModelRef, w: Witness) -> None:
        w.pre_state = decode_state(m, system, s0, w.nr_vcpus)
        w.steps = decode_trans(m, system, trans, w.nr_vcpus)

    return q.solve(bad, decode, minimize=False, budget_ms=req.budget_ms)


is_memory_out = limits.is_memory_out

__all__ = [
    "Answer",
    "OneStep",
    "Sat",
    "Setting",
    "Solver",
    "SolverBudgets",
    "Steps",
    "Unknown",
    "Unsat",
    "Witness",
    "contract",
    "decode_state",
    "decode_trans",
    "independence",
    "induction_step",
    "is_memory_out",
    "pre_goal",
    "reach",
    "value_of",
]
