"""Encode IR expressions, statements and actions as Z3 terms.

State indexed by vCPU stays a Z3 array and the vCPU count is a solver variable `N`, so one query
covers every count in a range. A loop over vCPUs is unrolled up to the largest count asked for,
iteration i guarded by i < N; quantifiers over vCPUs become Z3 quantifiers bounded by N, and
quantifiers over small ranges (INTIDs) are expanded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import z3

from checker import ir
from checker.irwalk import locals_used
from checker.smt import flat
from checker.smt.flat import Flat, Term, is_false, is_true

_EXPAND_LIMIT = 64  # ranges up to this size are expanded rather than quantified
# a quantifier over vCPUs is expanded, each case guarded by the vCPU count, when loops over
# vCPUs unroll at most this far: left to Z3's quantifier instantiation, an induction step that
# assumes a `forall c: vcpu` invariant came back "incomplete quantifiers" and ran to its limit
# (bench/heuristics.md)
_VCPU_EXPAND_LIMIT = 4

Env = dict[str, Term]
StateT = dict[str, Term]


def sort_of(t: ir.Type) -> z3.SortRef:
    match t:
        case ir.BoolT():
            return z3.BoolSort()
        case ir.BitsT(width=w) | ir.IndexT(width=w):
            return z3.BitVecSort(w)
        case ir.ArrayT(index=i, elem=e):
            return z3.ArraySort(z3.BitVecSort(i.width), sort_of(e))
    raise AssertionError(f"no sort for {t}")


_TRUE = z3.BoolVal(True)
_FALSE = z3.BoolVal(False)


def _free_names(e: z3.ExprRef) -> set[str]:
    """The names of the uninterpreted constants in `e` (a small term: a branch condition)."""
    out: set[str] = set()
    seen: set[int] = set()
    todo = [e]
    while todo:
        x = todo.pop()
        if x.get_id() in seen:
            continue
        seen.add(x.get_id())
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(x.decl().name())
        else:
            todo.extend(x.children())
    return out


def mk_and(*xs: z3.BoolRef) -> z3.BoolRef:
    out = [x for x in xs if not is_true(x)]
    if any(is_false(x) for x in out):
        return _FALSE
    if not out:
        return _TRUE
    return out[0] if len(out) == 1 else z3.And(*out)


def mk_or(*xs: z3.BoolRef) -> z3.BoolRef:
    out = [x for x in xs if not is_false(x)]
    if any(is_true(x) for x in out):
        return _TRUE
    if not out:
        return _FALSE
    return out[0] if len(out) == 1 else z3.Or(*out)


def mk_not(x: z3.BoolRef) -> z3.BoolRef:
    if is_true(x):
        return _FALSE
    if is_false(x):
        return _TRUE
    return z3.Not(x)


def mk_ite(c: z3.BoolRef, a: Term, b: Term) -> Term:
    return flat.ite(c, a, b)


@dataclass
class _Flow:
    """Symbolic control flow: under which condition execution has left the block."""

    done: z3.BoolRef = _FALSE  # returned
    brk: z3.BoolRef = _FALSE
    cont: z3.BoolRef = _FALSE
    ret: z3.ExprRef | None = None

    def guard(self, path: z3.BoolRef) -> z3.BoolRef:
        return mk_and(path, mk_not(self.done), mk_not(self.brk), mk_not(self.cont))


@dataclass
class Encoder:
    system: ir.System
    n: z3.BitVecRef  # the vCPU count
    max_n: int  # loops over vCPUs unroll this far
    params: dict[str, z3.ExprRef] = field(default_factory=dict)  # configuration parameters
    _fresh: int = field(default=0)
    # Facts about a few argument variables (a frame access's offset lies in one register's range):
    # a branch condition over those variables alone that the facts decide is folded while
    # encoding, so the branches no access in that range takes are never encoded.
    facts: list[z3.BoolRef] = field(default_factory=list)
    fact_vars: frozenset[str] = frozenset()
    _folded: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = field(default_factory=dict)  # id -> (condition, folded)
    # Definitions of the fresh constants the encoding introduces (_first_match): each is
    # satisfiable whatever the other constants are, and the solver must assert every one.
    # Encoders that share a solver share this list. With windows, it also holds the
    # constraints that keep writes inside them, which are not definitions (Flat.window).
    defs: list[z3.BoolRef] = field(default_factory=list)
    _bound: int = 0  # quantifiers with Z3-bound variables around the expression being encoded
    # state arrays over index ranges of at most this many elements are Flat (smt/flat.py); 0: none
    flat_max: int = 0
    # larger state arrays of one dimension with one reset value are Flat windows over their first
    # this many indices, writes past them asserted to change nothing (smt/flat.py); 0: none
    window: int = 0
    first_match: bool = True  # False: first-match loops are if-chains like any other (_first_match)
    # the locals the loops being encoded assign: their terms grow with every iteration
    _accumulating: frozenset[str] = frozenset()

    def fold(self, cv: z3.BoolRef) -> z3.BoolRef:
        """`cv` as true or false if the facts decide it (it mentions only fact_vars), else as is."""
        if not self.facts or is_true(cv) or is_false(cv):
            return cv
        key = cv.get_id()
        hit = self._folded.get(key)
        if hit is not None and hit[0].eq(cv):  # the condition is kept alive, so its id is not reused
            return hit[1]
        out = cv
        if _free_names(cv) <= self.fact_vars:
            s = z3.Solver()
            s.add(*self.facts)
            if s.check(z3.Not(cv)) == z3.unsat:
                out = _TRUE
            elif s.check(cv) == z3.unsat:
                out = _FALSE
        self._folded[key] = (cv, out)
        return out

    # ---- domains ------------------------------------------------------------------------
    def in_domain(self, t: ir.Type, v: z3.ExprRef) -> z3.BoolRef:
        if isinstance(t, ir.IndexT):
            if t.hi is None:
                return z3.ULT(v, self.n)
            conds = []
            if t.lo > 0:
                conds.append(z3.UGE(v, z3.BitVecVal(t.lo, t.width)))
            if t.hi < (1 << t.width) - 1:
                conds.append(z3.ULE(v, z3.BitVecVal(t.hi, t.width)))
            return mk_and(*conds)
        return _TRUE

    def var(self, name: str, t: ir.Type) -> z3.ExprRef:
        return z3.Const(name, sort_of(t))

    def fresh_state(self, suffix: str, states: dict[str, ir.StateVar] | None = None) -> StateT:
        sv = self.system.states if states is None else states
        return {n: self.var(f"{n}{suffix}", s.type) for n, s in sv.items()}

    def reset_state(self) -> StateT:
        return {n: self._reset(s, s.type, {}, 0) for n, s in self.system.states.items()}

    def flat_range(self, t: ir.ArrayT) -> range | None:
        """The indices of a state array of type `t` when it is encoded Flat, else None."""
        indices = range(self.max_n) if t.index.hi is None else range(t.index.lo, t.index.hi + 1)
        return indices if len(indices) <= self.flat_max else None

    def _windowed(self, t: ir.ArrayT) -> bool:
        """Whether a state array of type `t` is encoded as a window (given flat_range is None)."""
        hi = t.index.hi
        return bool(self.window) and hi is not None and hi - t.index.lo + 1 > self.window and not isinstance(t.elem, ir.ArrayT)

    def _reset(self, sv: ir.StateVar, t: ir.Type, env: Env, depth: int, flat_ok: bool = True) -> Term:
        """Reset values as constant arrays, with stores where the value depends on the index
        (or, for a small array in an unrolling from reset, as the tuple of its elements).

        Lambdas would be shorter, but Z3's array solver handles K/Store terms far better.
        """
        if isinstance(t, ir.ArrayT):
            idx = sv.indices[depth]
            index_sort = z3.BitVecSort(t.index.width)
            small = self.flat_range(t) if flat_ok else None
            if small is not None and idx.name not in locals_used(sv.init):
                same = self._reset(sv, t.elem, env, depth + 1)
                return Flat(small.start, (same,) * len(small), same)
            if small is None and flat_ok and self._windowed(t) and idx.name not in locals_used(sv.init):
                same = self._reset(sv, t.elem, env, depth + 1, False)
                return Flat(t.index.lo, (same,) * self.window, same, window=True)
            if small is not None:
                elems = [self._reset(sv, t.elem, {**env, idx.name: z3.BitVecVal(i, t.index.width)}, depth + 1) for i in small]
                return Flat(small.start, tuple(elems), _most_common(list(enumerate(elems))))
            if idx.name not in locals_used(sv.init):
                return z3.K(index_sort, self._reset(sv, t.elem, env, depth + 1, False))
            if t.index.hi is None:
                indices = range(self.max_n)
            else:
                indices = range(t.index.lo, t.index.hi + 1)
            values = [
                (i, self._reset(sv, t.elem, {**env, idx.name: z3.BitVecVal(i, t.index.width)}, depth + 1, False)) for i in indices
            ]
            base = _most_common(values)
            arr = z3.K(index_sort, base)
            for i, v in values:
                if not v.eq(base):
                    arr = z3.Store(arr, z3.BitVecVal(i, t.index.width), v)
            return arr
        return z3.simplify(self.expr(sv.init, env, {}))

    # ---- expressions --------------------------------------------------------------------
    def expr(self, e: ir.Expr, env: Env, state: StateT, post: StateT | None = None) -> z3.ExprRef:
        match e:
            case ir.Const(value=v, type=t):
                if isinstance(t, ir.BoolT):
                    return z3.BoolVal(bool(v))
                return z3.BitVecVal(int(v), ir.width_of(t))
            case ir.Local(name=n):
                return env[n]
            case ir.StateRef(name=n, primed=p):
                if p:
                    assert post is not None, "primed state outside a contract"
                    return post[n]
                return state[n]
            case ir.NrVcpus():
                return self.n
            case ir.ParamRef(name=n):
                return self.params[n]
            case ir.Unop(op=op, arg=a):
                v = self.expr(a, env, state, post)
                if op == ir.UnOp.NOT:
                    return mk_not(v)
                return ~v if op == ir.UnOp.BNOT else -v
            case ir.Binop(op=op, left=l, right=r):
                a = self.expr(l, env, state, post)
                b = self.expr(r, env, state, post)
                return _binop(op, a, b)
            case ir.NonZero(arg=a):
                v = self.expr(a, env, state, post)
                return v != z3.BitVecVal(0, v.size())
            case ir.ZExt(arg=a, type=t):
                v = self.expr(a, env, state, post)
                return z3.ZeroExt(ir.width_of(t) - v.size(), v)
            case ir.Extract(arg=a, hi=hi, lo=lo):
                return z3.Extract(hi, lo, self.expr(a, env, state, post))
            case ir.BitAt(arg=a, index=i):
                v = self.expr(a, env, state, post)
                idx = self.expr(i, env, state, post)
                w = max(v.size(), idx.size())
                v2 = z3.ZeroExt(w - v.size(), v) if w > v.size() else v
                i2 = z3.ZeroExt(w - idx.size(), idx) if w > idx.size() else idx
                # A bit at or past the value's width reads 0: it lies in the zero extension.
                return z3.Extract(0, 0, z3.LShR(v2, i2))
            case ir.SetBits(arg=a, hi=hi, lo=lo, value=val):
                return _set_bits(self.expr(a, env, state, post), hi, lo, self.expr(val, env, state, post))
            case ir.Select(array=a, index=i):
                return select(self.expr(a, env, state, post), self.expr(i, env, state, post))
            case ir.Ite(cond=c, then=t, other=o):
                return mk_ite(self.expr(c, env, state, post), self.expr(t, env, state, post), self.expr(o, env, state, post))
            case ir.Call(func=f, args=args):
                fn = self.system.functions[f]
                frame = {p.name: self.expr(a, env, state, post) for p, a in zip(fn.params, args)}
                flow = _Flow()
                self.block(fn.body, frame, dict(state), flow, _TRUE)
                assert flow.ret is not None, f"function {f} has no return"
                return flow.ret
            case ir.Quant(vars=vs):
                return self.quant(e, vs, env, state, post)
        raise AssertionError(f"unhandled expression {type(e).__name__}")

    def quant(self, q: ir.Quant, vs: tuple[ir.Local, ...], env: Env, state: StateT, post: StateT | None) -> z3.BoolRef:
        """`q` over its variables `vs` not yet bound in `env`."""
        kind, body = q.kind, q.body
        if not vs:
            return self.expr(body, env, state, post)
        v, rest = vs[0], vs[1:]
        t = v.type
        if isinstance(t, ir.BoolT) or (isinstance(t, ir.IndexT) and t.hi is not None and t.hi - t.lo < _EXPAND_LIMIT):
            values = [_TRUE, _FALSE] if isinstance(t, ir.BoolT) else [z3.BitVecVal(i, t.width) for i in range(t.lo, t.hi + 1)]  # type: ignore[operator, unused-ignore]
            parts = [self.quant(q, rest, {**env, v.name: x}, state, post) for x in values]
            return mk_and(*parts) if kind == ir.QuantKind.FORALL else mk_or(*parts)
        if isinstance(t, ir.IndexT) and t.hi is None and self.max_n <= _VCPU_EXPAND_LIMIT:
            ids = [z3.BitVecVal(i, t.width) for i in range(self.max_n)]
            cases = [(z3.ULT(i, self.n), self.quant(q, rest, {**env, v.name: i}, state, post)) for i in ids]
            if kind == ir.QuantKind.FORALL:
                return mk_and(*[z3.Implies(live, x) for live, x in cases])
            return mk_or(*[z3.And(live, x) for live, x in cases])
        self._fresh += 1
        x = z3.Const(f"{v.name}!q{self._fresh}", sort_of(t))
        self._bound += 1
        try:
            inner = self.quant(q, rest, {**env, v.name: x}, state, post)
        finally:
            self._bound -= 1
        dom = self.in_domain(t, x)
        if kind == ir.QuantKind.FORALL:
            return z3.ForAll([x], z3.Implies(dom, inner))
        return z3.Exists([x], z3.And(dom, inner))

    # ---- statements ---------------------------------------------------------------------
    def run(self, action: ir.Action, state: StateT, args: Env) -> tuple[z3.BoolRef, StateT]:
        """(enabled, post-state) of `action` from `state` with `args`."""
        enabled, new, _ = self.access(action, state, args)
        return enabled, new

    def access(
        self, action: ir.Action, state: StateT, args: Env, path: z3.BoolRef = _TRUE
    ) -> tuple[z3.BoolRef, StateT, z3.ExprRef | None]:
        """(enabled, post-state, result) of `action`; the result is None for writes and events.
        With `path`, every write is guarded by it (the state is unchanged where it is false)."""
        env = dict(args)
        enabled = _TRUE if action.requires is None else self.expr(action.requires, env, state)
        new = dict(state)
        flow = _Flow()
        self.block(action.body, env, new, flow, path)
        return enabled, new, flow.ret

    def block(self, stmts: tuple[ir.Stmt, ...], env: Env, state: StateT, flow: _Flow, path: z3.BoolRef) -> None:
        if is_false(path):
            # never runs: no write, break or return happens under a false path, and the block's
            # own locals are out of scope after it (a frame access at a pinned offset then
            # encodes one handler instead of all of them: bench/heuristics.md)
            return
        for s in stmts:
            self.stmt(s, env, state, flow, path)

    def stmt(self, s: ir.Stmt, env: Env, state: StateT, flow: _Flow, path: z3.BoolRef) -> None:
        match s:
            case ir.Let(name=n, value=v):
                env[n] = self.expr(v, env, state)
            case ir.Assign(target=t, value=v):
                g = flow.guard(path)
                value = self.expr(v, env, state)
                root = state[t.root] if t.is_state else env[t.root]
                new = self.update(root, t.path, value, lambda i: self.expr(i, env, state), g)
                if t.is_state:
                    state[t.root] = new
                else:
                    env[t.root] = new
            case ir.If(cond=c, then=t, other=o):
                # simplify folds conditions that pinned arguments make constant (val.IRM == 1);
                # not a condition on a local its loop accumulates (ICC_SGI1R_EL1's `targets`),
                # whose term grows with each iteration: simplifying it at each one took 16 s of
                # the 38 s of sgi_taken at 1..255 vCPUs, and such a term folds to no constant
                cv = self.expr(c, env, state)
                if not (self._accumulating and locals_used(c) & self._accumulating):
                    cv = self.fold(z3.simplify(cv))
                self.block(t, env, state, flow, mk_and(path, cv))
                self.block(o, env, state, flow, mk_and(path, mk_not(cv)))
            case ir.For() if self._first_match(s, env, state, flow.guard(path)):
                pass
            case ir.For():
                self._loop(s, env, state, flow, path)
            case ir.Break():
                flow.brk = mk_or(flow.brk, flow.guard(path))
            case ir.Continue():
                flow.cont = mk_or(flow.cont, flow.guard(path))
            case ir.Return(value=v):
                g = flow.guard(path)
                if v is not None:
                    rv = self.expr(v, env, state)
                    flow.ret = rv if flow.ret is None else mk_ite(g, rv, flow.ret)
                flow.done = mk_or(flow.done, g)
            case ir.Invoke(action=name, args=args, result=res):
                callee = self.system.action(name)
                frame = {p.name: self.expr(a, env, state) for p, a in zip(callee.params, args)}
                sub = _Flow()
                self.block(callee.body, frame, state, sub, flow.guard(path))
                if res is not None:
                    assert sub.ret is not None, f"{name} returns no value"
                    env[res] = sub.ret
            case _:
                raise AssertionError(f"unhandled statement {type(s).__name__}")

    def _loop(self, s: ir.For, env: Env, state: StateT, flow: _Flow, path: z3.BoolRef) -> None:
        """A loop unrolled over its domain (over vCPUs: to max_n, each iteration live below n)."""
        # a break or continue of an enclosing loop before this one stops it too
        path = flow.guard(path)
        outer_brk, outer_cont = flow.brk, flow.cont
        outer_acc = self._accumulating
        self._accumulating = outer_acc | {
            n.target.root for n in ir.walk(s.body) if isinstance(n, ir.Assign) and not n.target.is_state
        }
        flow.brk = _FALSE
        dom = s.domain
        for i in range(self.max_n) if dom.hi is None else range(dom.lo, dom.hi + 1):
            flow.cont = _FALSE
            iv = z3.BitVecVal(i, dom.width)
            env[s.var] = iv
            active = path if dom.hi is not None else mk_and(path, z3.ULT(iv, self.n))
            self.block(s.body, env, state, flow, active)
        flow.brk, flow.cont = outer_brk, outer_cont
        self._accumulating = outer_acc

    def _first_match(self, loop: ir.For, env: Env, state: StateT, guard: z3.BoolRef) -> bool:
        """Encodes `for i in D { if C(i) { r := v(i); break } }` (r a local) as r := v(x), for a
        fresh x defined as the first i in D with C(i), when there is one; False (nothing
        encoded) for any other loop. Unrolled as an if-chain, the loop makes the solver split
        on every i to learn that C holds of the result; the definition states it (x is in D,
        C(x), and no i < x has C(i)), and determines x, so the two encodings agree on every
        state (tests/test_differential.py)."""
        match loop.body:
            case (ir.If(cond=cond, then=(ir.Assign(target=t, value=value), ir.Break()), other=()),):
                if t.is_state or t.path:
                    return False
            case _:
                return False
        if not self.first_match or self._bound or is_false(guard):
            return False  # a fresh constant cannot stand for a term over a bound variable
        dom = loop.domain
        indices = range(self.max_n) if dom.hi is None else range(dom.lo, dom.hi + 1)
        hits = []
        for i in indices:
            iv = z3.BitVecVal(i, dom.width)
            c = self.expr(cond, {**env, loop.var: iv}, state)
            hits.append((iv, c if dom.hi is not None else mk_and(z3.ULT(iv, self.n), c)))
        x = z3.FreshConst(z3.BitVecSort(dom.width), f"{loop.var}!first")
        found = mk_or(*[c for _, c in hits])
        first = [self.in_domain(dom, x), self.expr(cond, {**env, loop.var: x}, state)]
        first += [z3.Implies(z3.ULT(iv, x), mk_not(c)) for iv, c in hits if not is_false(c)]
        self.defs.append(z3.Implies(found, mk_and(*first)))
        val = self.expr(value, {**env, loop.var: x}, state)
        env[t.root] = self.update(env[t.root], (), val, lambda i: self.expr(i, env, state), mk_and(guard, found))
        return True

    def update(
        self,
        root: z3.ExprRef,
        path: tuple[ir.PathStep, ...],
        value: z3.ExprRef,
        index: Callable[[ir.Expr], z3.ExprRef],
        guard: z3.BoolRef,
    ) -> z3.ExprRef:
        """`root` with the element at `path` set to `value` where `guard` holds; `index` encodes
        the path's index expressions.

        The guard is pushed down to the element (a Store of an If, never an If of arrays):
        Z3 reasons about a chain of stores far better than about a choice between arrays.
        """
        if not path:
            return mk_ite(guard, value, root)
        step, rest = path[0], path[1:]
        match step:
            case ir.PathIndex(index=i):
                idx = index(i)
                if is_false(guard):
                    return root
                if isinstance(root, Flat):
                    if root.window:
                        # a write past the window must leave its element at the value they all hold
                        changed = self.update(root.other, rest, value, index, guard)
                        if not changed.eq(root.other):
                            self.defs.append(mk_or(mk_not(flat.outside(root, idx)), changed == root.other))
                    return flat.update_at(root, idx, lambda e: self.update(e, rest, value, index, guard))
                return store(root, idx, self.update(select(root, idx), rest, value, index, guard))
            case ir.PathBits(hi=hi, lo=lo):
                cur = z3.Extract(hi, lo, root)
                return _set_bits(root, hi, lo, self.update(cur, rest, value, index, guard))
            case ir.PathBit(index=i, width=w):
                idx = index(i)
                iw = max(w, idx.size())
                i2 = z3.ZeroExt(iw - idx.size(), idx) if iw > idx.size() else idx
                wide = z3.ZeroExt(iw - w, root) if iw > w else root
                cur = z3.Extract(0, 0, z3.LShR(wide, i2))
                bit = self.update(cur, rest, value, index, guard)
                mask = z3.BitVecVal(1, iw) << i2
                new = (wide & ~mask) | (z3.ZeroExt(iw - 1, bit) << i2)
                # A bit at or past the width lands in the extension (or shifts out): no change.
                return z3.Extract(w - 1, 0, new) if iw > w else new
        raise AssertionError(f"unhandled path step {step}")


# A store this module made carries its parts as this attribute of the Python term, so that a
# select can walk a chain of stores without asking Z3 for each store's arguments.
_PARTS = "_gicheck_store"


def _index_key(t: z3.ExprRef) -> tuple[bool, int]:
    """(True, value) for a constant index, else (False, the term's id): Z3 shares equal terms, so
    two indices are the same term exactly when their keys are equal."""
    if z3.is_bv_value(t):
        return (True, t.as_long())
    return (False, t.get_id())


def _parts(arr: z3.ExprRef) -> tuple[z3.ExprRef, tuple[bool, int], z3.ExprRef] | None:
    """A store's array, index key and value: kept on the term if this module made it."""
    parts: tuple[z3.ExprRef, tuple[bool, int], z3.ExprRef] | None = getattr(arr, _PARTS, None)
    if parts is None and z3.is_store(arr):
        parts = (arr.arg(0), _index_key(arr.arg(1)), arr.arg(2))
    return parts


def select(arr: Term, idx: Term) -> Term:
    """Select, looking through stores at the same or at a different constant index.

    A handler's loop updates one row of a per-vCPU array many times (one INTID per iteration):
    without this, every iteration selects through all the stores before it, and the solver
    has to untangle a chain Z3 does not simplify while building terms.
    """
    assert not isinstance(idx, Flat)
    if isinstance(arr, Flat):
        return flat.select(arr, idx)
    key = _index_key(idx)
    while (parts := _parts(arr)) is not None:
        if parts[1] == key:
            return parts[2]
        if not (parts[1][0] and key[0]):
            break  # not both constants: they may be the same index
        arr = parts[0]
    return z3.Select(arr, idx)


def store(arr: z3.ExprRef, idx: z3.ExprRef, value: z3.ExprRef) -> z3.ExprRef:
    """Store, replacing a store at the same index instead of stacking on it."""
    key = _index_key(idx)
    parts = _parts(arr)
    if parts is not None and parts[1] == key:
        arr = parts[0]
    new = z3.Store(arr, idx, value)
    setattr(new, _PARTS, (arr, key, value))
    return new


def _most_common(values: list[tuple[int, Term]]) -> Term:
    groups: list[list[Term]] = []
    for _, v in values:
        same = next((g for g in groups if g[0].eq(v)), None)
        if same is None:
            groups.append([v])
        else:
            same.append(v)
    return max(groups, key=len)[0]


def _set_bits(v: z3.BitVecRef, hi: int, lo: int, new: z3.BitVecRef) -> z3.BitVecRef:
    w = v.size()
    parts = []
    if hi < w - 1:
        parts.append(z3.Extract(w - 1, hi + 1, v))
    parts.append(new)
    if lo > 0:
        parts.append(z3.Extract(lo - 1, 0, v))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def _binop(op: ir.Op, a: Term, b: Term) -> z3.ExprRef:
    if isinstance(a, Flat) or isinstance(b, Flat):
        assert op in (ir.Op.EQ, ir.Op.NE), f"{op} of arrays"
        same = flat.equal(a, b)
        return same if op == ir.Op.EQ else mk_not(same)
    match op:
        case ir.Op.AND:
            return mk_and(a, b)
        case ir.Op.OR:
            return mk_or(a, b)
        case ir.Op.IMPLIES:
            return mk_or(mk_not(a), b)
        case ir.Op.EQ:
            return a == b
        case ir.Op.NE:
            return a != b
        case ir.Op.ULT:
            return z3.ULT(a, b)
        case ir.Op.ULE:
            return z3.ULE(a, b)
        case ir.Op.UGT:
            return z3.UGT(a, b)
        case ir.Op.UGE:
            return z3.UGE(a, b)
        case ir.Op.ADD:
            return a + b
        case ir.Op.SUB:
            return a - b
        case ir.Op.MUL:
            return a * b
        case ir.Op.BAND:
            return a & b
        case ir.Op.BOR:
            return a | b
        case ir.Op.BXOR:
            return a ^ b
        case ir.Op.SHL:
            return a << b
        case ir.Op.LSHR:
            return z3.LShR(a, b)
    raise AssertionError(f"unhandled operator {op}")
