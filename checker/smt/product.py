"""Queries over two systems at once (gicheck diff): the product of an old and a new spec.

Both sides share the vCPU count, the configuration parameters, the arguments of the access and
the pre-state of every state variable they both declare with the same type; a variable only one
side has is free on that side. "The same" is then one query per action (relational induction,
one step): from every shared pre-state, with every argument, the two sides are enabled alike,
return the same value and end in the same shared state. Only if they can differ is a trace from
reset searched, the two sides run in lockstep (BMC of the product), for the shortest sequence of
accesses after which the action tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from checker import interp, ir
from checker.smt import flat
from checker.smt.encode import Encoder, Env, StateT, mk_and, mk_ite, mk_or, sort_of
from checker.smt.query import Answer, Query, Sat, Setting, Unknown, Unsat, Witness, decode_state, value_of

__all__ = ["Answer", "Pair", "PairReach", "PairStep", "PairWitness", "Sat", "Unknown", "Unsat"]

# A frame access's offsets: (stride of a per-vCPU frame or None, [lo, hi) ranges within the frame)
Offsets = tuple[int | None, list[tuple[int, int]]]


@dataclass(frozen=True)
class PairStep:
    """A one-step query over both sides (Pair.one_step): from any shared state where `assume`
    (the old side's invariants) holds, with each set in `avoid` (of state variable names) having
    a variable at its reset value; the access at `offsets` only, with `pins` (argument -> value)
    pinned. With `budget_ms`, the answer must come within that time (or it is Unknown)."""

    assume: list[ir.Expr] = field(default_factory=list)
    offsets: Offsets | None = None
    pins: dict[str, int] | None = None
    avoid: list[set[str]] | None = None
    budget_ms: int | None = None


@dataclass(frozen=True)
class PairReach:
    """A lockstep query from reset (Pair.reach): k accesses, any of `prefix_actions` at each step
    or the actions of `path` in order, then the access at `offsets` with `pins`; `budget_ms` as
    for PairStep."""

    k: int
    prefix_actions: list[str]
    offsets: Offsets | None = None
    pins: dict[str, int] | None = None
    path: tuple[str, ...] | None = None
    budget_ms: int | None = None


@dataclass
class PairWitness:
    """A distinguishing input, decoded: the shared pre-state (each side's view of it) or the
    accesses from reset before it, and the arguments of the access."""

    nr_vcpus: int
    params: dict[str, int]
    action: str
    args: dict[str, interp.Value]  # by the old side's parameter names
    pre_old: interp.State | None = None  # None: from reset, after `prefix`
    pre_new: interp.State | None = None
    prefix: list[tuple[str, dict[str, interp.Value]]] = field(default_factory=list)


def shared_states(old: ir.System, new: ir.System) -> list[str]:
    """State both sides declare with the same type (compared by solver sort and index range)."""
    return [n for n, s in old.states.items() if n in new.states and same_type(s.type, new.states[n].type)]


def same_type(a: ir.Type, b: ir.Type) -> bool:
    return str(a) == str(b) and sort_of(a) == sort_of(b)


class Pair:
    """One solver over both sides: the old side's Query, and an encoder for the new side on the
    same vCPU count and parameters."""

    def __init__(self, old: ir.System, new: ir.System, setting: Setting, related: dict[str, str] | None = None):
        self.old, self.new = old, new
        self.related = related or {}  # state -> the new side's function from an old element to a new one
        self.q = Query(old, setting)
        self._witness = 0  # numbers the witness indices of _differ_at
        config = dict(self.q.config)
        for p in new.params.values():
            if p.name not in config:
                config[p.name] = z3.BitVec(p.name, p.type.width)
        self.q.config = config
        self.enc_new = Encoder(new, self.q.n, self.q.hi, config, defs=self.q.enc.defs)
        for p in new.params.values():
            self.q.solver.add(self.enc_new.in_domain(p.type, config[p.name]))
            if p.where is not None:
                self.q.solver.add(self.enc_new.expr(p.where, {}, {}))
        self.shared = shared_states(old, new)

    # ---- states -------------------------------------------------------------------------
    def fresh_pre(self) -> tuple[StateT, StateT]:
        pre_old = self.q.enc.fresh_state("@pre")
        pre_new = {
            n: (pre_old[n] if n in self.shared else self.enc_new.var(f"{n}@pre.new", s.type)) for n, s in self.new.states.items()
        }
        for n in self.related:
            pre_new[n] = self.mapped(n, pre_old[n])
        return pre_old, pre_new

    def relate_elem(self, name: str, x: z3.ExprRef) -> z3.ExprRef:
        """The new side's element value that the old side's element value `x` of state `name`
        corresponds to: the overlay's `relate` function applied to it."""
        f = self.new.functions[self.related[name]]
        p = f.params[0]
        return self.enc_new.expr(ir.Call(f.name, (ir.Local(p.name, p.type),), f.ret), {p.name: x}, {})

    def mapped(self, name: str, old: z3.ExprRef) -> z3.ExprRef:
        """The old side's whole value of `name`, element by element through its relation: an
        array as a lambda over its indices."""

        def go(t: ir.Type, v: z3.ExprRef, depth: int) -> z3.ExprRef:
            if not isinstance(t, ir.ArrayT):
                return self.relate_elem(name, v)
            i = z3.Const(f"{name}!rel.{depth}", z3.BitVecSort(t.index.width))
            return z3.Lambda([i], go(t.elem, z3.Select(v, i), depth + 1))

        return go(self.old.states[name].type, old, 0)

    def args_for(
        self, a_old: ir.Action, a_new: ir.Action, suffix: str = "", pins: dict[str, int] | None = None
    ) -> tuple[Env, Env]:
        """Fresh arguments within their domains, the same values on both sides (matched by
        position; the caller checked that the types agree). A pinned argument is a constant, so
        the encoding folds every branch on it (a frame access at one offset and width reaches
        one register's handler only)."""
        env = self.q.params(a_old, a_old.params, suffix)
        for name, v in (pins or {}).items():
            env[name] = z3.BitVecVal(v, flat.plain(env[name]).size())
        return env, {pn.name: env[po.name] for po, pn in zip(a_old.params, a_new.params)}

    def differs(self, a_old: ir.Action, a_new: ir.Action, pre: tuple[StateT, StateT], args: tuple[Env, Env]) -> z3.BoolRef:
        """The two sides' accesses (from the pre-state and with the arguments of each side) are
        enabled differently, or both run and return different values or end in different shared
        state."""
        pre_old, pre_new = pre
        args_old, args_new = args
        en_o, post_o, res_o = self.q.enc.access(a_old, pre_old, args_old)
        en_n, post_n, res_n = self.enc_new.access(a_new, pre_new, args_new)
        diffs = [
            self._differ_at(n, post_o[n], post_n[n])
            for n in [*self.shared, *self.related]
            if not (post_o[n].eq(pre_old[n]) and post_n[n].eq(pre_new[n]))
        ]
        if res_o is not None and res_n is not None:
            diffs.append(res_o != res_n)
        elif (res_o is None) != (res_n is None):
            diffs.append(z3.BoolVal(True))
        return mk_or(en_o != en_n, mk_and(en_o, en_n, mk_or(*diffs)))

    def _differ_at(self, name: str, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
        """The two values of state `name` differ at some element inside the index domains: a
        witness index per dimension (a fresh constant within its domain), not an array
        disequality; for a related state, the relation of the old element against the new one.
        (An array disequality can be out of the solver's reach where element-wise it answers
        at once: bench/heuristics.md. It also keeps a difference beyond nr_vcpus, where no guest
        looks, from counting.)"""
        t = self.old.states[name].type
        self._witness += 1
        conds = []
        depth = 0
        while isinstance(t, ir.ArrayT):
            i = z3.Const(f"{name}!diff{self._witness}.{depth}", z3.BitVecSort(t.index.width))
            conds.append(self.q.enc.in_domain(t.index, i))
            a, b = z3.Select(a, i), z3.Select(b, i)
            t = t.elem
            depth += 1
        if name in self.related:
            a = self.relate_elem(name, a)
        return mk_and(*conds, a != b)

    # ---- queries ------------------------------------------------------------------------
    def one_step(self, a_old: ir.Action, a_new: ir.Action, req: PairStep = PairStep()) -> Answer:
        """Can the two sides' `a` differ from some shared state, with some argument? Within what
        `req` asks (PairStep); `avoid` asks for another input than those found."""
        pre_old, pre_new = self.fresh_pre()
        args_old, args_new = self.args_for(a_old, a_new, "", req.pins)
        for e in req.assume:
            self.q.solver.add(self.q.enc.expr(e, {}, pre_old))
        if req.avoid:
            reset_old, reset_new = self.q.enc.reset_state(), self.enc_new.reset_state()

            def at_reset(n: str) -> z3.BoolRef:
                eqs = [pre_old[n] == reset_old[n]] if n in self.old.states else []
                if n in self.new.states and n not in self.shared and n not in self.related:
                    eqs.append(pre_new[n] == reset_new[n])
                return mk_and(*eqs)

            for names in req.avoid:
                self.q.solver.add(mk_or(*[at_reset(n) for n in sorted(names)]))
        self._restrict(args_old, req.offsets)
        bad = self.differs(a_old, a_new, (pre_old, pre_new), (args_old, args_new))

        def decode(m: z3.ModelRef, w: Witness) -> None:
            w.pre_state = decode_state(m, self.old, pre_old, w.nr_vcpus)
            w.bindings = {"__new__": decode_state(m, self.new, pre_new, w.nr_vcpus)}  # type: ignore[dict-item]
            w.steps = [(a_old.name, {p.name: value_of(m, args_old[p.name], p.type, w.nr_vcpus) for p in a_old.params})]

        return self.q.solve(bad, decode, budget_ms=req.budget_ms)

    def reach(self, a_old: ir.Action, a_new: ir.Action, req: PairReach) -> Answer:
        """From reset, k accesses in lockstep (`req`: any of its prefix actions at each step, or
        the actions of its path in order; the same arguments on both sides), then `a` tells the
        sides apart."""
        assert req.path is None or len(req.path) == req.k
        so = self.q.enc.reset_state()
        sn = self.enc_new.reset_state()
        trans: list[tuple[z3.ExprRef, dict[str, Env]]] = []
        acts = [(self.old.action(n), self.new.action(n)) for n in req.prefix_actions]
        self.q.has_transitions = req.k > 0
        for t in range(req.k):
            so, sn, step = self._lockstep(t, acts, req, (so, sn))
            trans.append(step)
        args_old, args_new = self.args_for(a_old, a_new, "", req.pins)
        self._restrict(args_old, req.offsets)
        bad = self.differs(a_old, a_new, (so, sn), (args_old, args_new))

        def decode(m: z3.ModelRef, w: Witness) -> None:
            steps = []
            for sel, all_args in trans:
                ao = acts[m.eval(sel, model_completion=True).as_long()][0]
                steps.append((ao.name, {p.name: value_of(m, all_args[ao.name][p.name], p.type, w.nr_vcpus) for p in ao.params}))
            steps.append((a_old.name, {p.name: value_of(m, args_old[p.name], p.type, w.nr_vcpus) for p in a_old.params}))
            w.steps = steps

        return self.q.solve(bad, decode, budget_ms=req.budget_ms)

    def _lockstep(
        self, t: int, acts: list[tuple[ir.Action, ir.Action]], req: PairReach, pre: tuple[StateT, StateT]
    ) -> tuple[StateT, StateT, tuple[z3.ExprRef, dict[str, Env]]]:
        """Step t of a lockstep run: each side's state after it, the step's action selector and
        the arguments of each action it may take."""
        so, sn = pre
        sel = z3.BitVec(f"action@{t}", 16)
        if req.path is None:
            self.q.solver.add(z3.ULT(sel, z3.BitVecVal(len(acts), 16)))
        else:  # one given action: straight-line code, no choice between actions
            self.q.solver.add(sel == req.prefix_actions.index(req.path[t]))
        nxt_o, nxt_n = dict(so), dict(sn)
        all_args: dict[str, Env] = {}
        for j, (ao, an) in enumerate(acts):
            if req.path is not None and ao.name != req.path[t]:
                continue
            chosen = sel == j if req.path is None else z3.BoolVal(True)
            args_o: Env = {}
            for p in ao.params:
                v = z3.Const(f"{ao.name}.{p.name}@{t}", sort_of(p.type))
                self.q.solver.add(z3.Implies(chosen, self.q.enc.in_domain(p.type, v)))
                args_o[p.name] = v
            args_n = {pn.name: args_o[po.name] for po, pn in zip(ao.params, an.params)}
            en_o, post_o, _ = self.q.enc.access(ao, so, args_o)
            en_n, post_n, _ = self.enc_new.access(an, sn, args_n)
            self.q.solver.add(z3.Implies(chosen, z3.And(en_o, en_n)))
            for name, term in post_o.items():
                if not term.eq(so[name]):
                    nxt_o[name] = mk_ite(chosen, term, nxt_o[name])
            for name, term in post_n.items():
                if not term.eq(sn[name]):
                    nxt_n[name] = mk_ite(chosen, term, nxt_n[name])
            all_args[ao.name] = args_o
        return self._name(nxt_o, f"@{t + 1}"), self._name(nxt_n, f"@{t + 1}.new"), (sel, all_args)

    def _restrict(self, args: Env, offsets: Offsets | None) -> None:
        """A frame access's offset within these ranges of its frame (of each vCPU's frame, for a
        per-vCPU one): asserted, and given to both encoders as a fact to fold branches with."""
        if offsets is None:
            return
        stride, ranges = offsets
        off = flat.plain(args["offset"])
        inner = z3.URem(off, z3.BitVecVal(stride, off.size())) if stride is not None else off
        region = mk_or(*[z3.And(z3.UGE(inner, lo), z3.ULT(inner, hi)) for lo, hi in ranges])
        self.q.solver.add(region)
        if z3.is_const(off) and not z3.is_bv_value(off):
            for enc in (self.q.enc, self.enc_new):  # decode only the registers this range reaches
                enc.facts, enc.fact_vars = [region], frozenset({off.decl().name()})

    def reset_differs(self, name: str) -> Answer:
        """Do the two sides reset `name` (a shared or related state variable) to different
        values (for a related one: a new value other than the relation of the old)?"""
        a = self.q.enc.reset_state()[name]
        b = self.enc_new.reset_state()[name]

        def decode(m: z3.ModelRef, w: Witness) -> None:
            pass

        return self.q.solve(self._differ_at(name, a, b) if name in self.related else a != b, decode)

    def _name(self, state: StateT, suffix: str) -> StateT:
        out = {}
        for name, term in state.items():
            v = z3.Const(f"{name}{suffix}", flat.plain(term).sort())
            self.q.solver.add(v == z3.simplify(term))
            out[name] = v
        return out


def to_pair_witness(w: Witness, action: str, prefix: bool) -> PairWitness:
    if prefix:
        return PairWitness(w.nr_vcpus, w.params, action, w.steps[-1][1], None, None, list(w.steps[:-1]))
    pre_new = w.bindings.get("__new__")
    return PairWitness(w.nr_vcpus, w.params, action, w.steps[-1][1], w.pre_state, pre_new, [])  # type: ignore[arg-type]
