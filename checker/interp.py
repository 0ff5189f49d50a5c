"""A plain-Python interpreter of the IR.

It replays every counterexample before it is shown, and it is the oracle the Z3 encoding is
tested against (tests/test_differential.py). Values: bool, int (bits, kept masked to their
width) and `Array` (a dict from index to value, with the reset value for entries never
written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Union

from checker import ir
from checker.irwalk import else_if, leaves_early, quant_filters
from checker.results import Arm

Value = Union[bool, int, "Array"]


class InterpError(Exception):
    """The IR asked for something the interpreter cannot do (an internal error)."""


class Blocked(Exception):
    """The action's `requires` condition is false in this state."""


@dataclass
class Array:
    entries: dict[int, Value]
    default: Callable[[int], Value]

    def get(self, i: int) -> Value:
        if i not in self.entries:
            self.entries[i] = self.default(i)
        return self.entries[i]

    def set(self, i: int, v: Value) -> Array:
        out = self.copy()
        out.entries[i] = v
        return out

    def copy(self) -> Array:
        return Array({k: (v.copy() if isinstance(v, Array) else v) for k, v in self.entries.items()}, self.default)


State = dict[str, Value]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Value | None):
        self.value = value


def _mask(v: int, w: int) -> int:
    return v & ((1 << w) - 1)


def domain(t: ir.IndexT | ir.BoolT, nr_vcpus: int) -> list[int] | list[bool]:
    if isinstance(t, ir.BoolT):
        return [False, True]
    if t.hi is None:
        return list(range(nr_vcpus))
    return list(range(t.lo, t.hi + 1))


def _inside(t: ir.IndexT | ir.BoolT, i: int, nr_vcpus: int) -> bool:
    """Whether `i` is in `domain(t, nr_vcpus)`."""
    if isinstance(t, ir.BoolT):
        return i in (0, 1)
    return t.lo <= i <= (nr_vcpus - 1 if t.hi is None else t.hi)


def where_holds(system: ir.System, nr_vcpus: int, params: dict[str, int], param: ir.Param) -> bool:
    """Whether `param`'s `where` clause holds with the parameters' values `params`."""
    return param.where is None or bool(Interp(system, nr_vcpus, params).eval(param.where, {}, {}))


class Interp:
    def __init__(self, system: ir.System, nr_vcpus: int, params: dict[str, int] | None = None):
        self.sys = system
        self._filters: dict[int, tuple[ir.Quant, tuple[tuple[ir.Expr, ...], ...]]] = {}
        self.n = nr_vcpus
        self.params = dict(params or {})
        missing = sorted(set(system.params) - set(self.params))
        if missing:
            raise InterpError(f"no value for parameter(s) {', '.join(missing)}")

    # ---- state --------------------------------------------------------------------------
    def reset(self) -> State:
        return {name: self._reset_value(sv, sv.type, {}, 0) for name, sv in self.sys.states.items()}

    def _reset_value(self, sv: ir.StateVar, t: ir.Type, env: dict[str, Value], depth: int) -> Value:
        if isinstance(t, ir.ArrayT):
            name = sv.indices[depth].name

            def fill(i: int, env: dict[str, Value] = env) -> Value:
                return self._reset_value(sv, t.elem, {**env, name: i}, depth + 1)

            arr = Array({}, fill)
            for i in domain(t.index, self.n):
                arr.get(int(i))
            return arr
        return self.eval(sv.init, env, {})

    # ---- expressions --------------------------------------------------------------------
    def eval(self, e: ir.Expr, env: dict[str, Value], state: State, post: State | None = None) -> Value:
        match e:
            case ir.Const(value=v):
                return v
            case ir.Local(name=n):
                return env[n]
            case ir.StateRef(name=n, primed=p):
                if p:
                    if post is None:
                        raise InterpError(f"primed state {n}' read outside a contract")
                    return post[n]
                return state[n]
            case ir.NrVcpus():
                return self.n
            case ir.ParamRef(name=n):
                return self.params[n]
            case ir.Unop(op=op, arg=a, type=t):
                operand = self.eval(a, env, state, post)
                if op == ir.UnOp.NOT:
                    return not operand
                w = ir.width_of(t)
                return _mask(~int(operand), w) if op == ir.UnOp.BNOT else _mask(-int(operand), w)  # type: ignore[arg-type]
            case ir.Binop():
                return self._eval_binop(e, env, state, post)
            case ir.NonZero(arg=a):
                return int(self.eval(a, env, state, post)) != 0  # type: ignore[arg-type]
            case ir.ZExt(arg=a):
                return self.eval(a, env, state, post)
            case ir.Extract(arg=a, hi=hi, lo=lo):
                return (int(self.eval(a, env, state, post)) >> lo) & ((1 << (hi - lo + 1)) - 1)  # type: ignore[arg-type]
            case ir.BitAt(arg=a, index=i):
                v = int(self.eval(a, env, state, post))  # type: ignore[arg-type]
                idx = int(self.eval(i, env, state, post))  # type: ignore[arg-type]
                return (v >> idx) & 1 if idx < ir.width_of(a.type) else 0
            case ir.SetBits(arg=a, hi=hi, lo=lo, value=val):
                return _set_bits(int(self.eval(a, env, state, post)), hi, lo, int(self.eval(val, env, state, post)))  # type: ignore[arg-type]
            case ir.Select(array=a, index=i):
                arr = self.eval(a, env, state, post)
                assert isinstance(arr, Array)
                return arr.get(int(self.eval(i, env, state, post)))  # type: ignore[arg-type]
            case ir.Ite(cond=c, then=t, other=o):
                return self.eval(t, env, state, post) if self.eval(c, env, state, post) else self.eval(o, env, state, post)
            case ir.Call():
                return self._call(e, env, state, post)
            case ir.Quant(vars=vs):
                return self._quant(e, vs, env, state, post)
        raise InterpError(f"unhandled expression {type(e).__name__}")

    def _eval_binop(self, e: ir.Binop, env: dict[str, Value], state: State, post: State | None) -> Value:
        op, l, r = e.op, e.left, e.right
        if op in (ir.Op.AND, ir.Op.OR, ir.Op.IMPLIES):
            lv = bool(self.eval(l, env, state, post))
            if op == ir.Op.AND:
                return lv and bool(self.eval(r, env, state, post))
            if op == ir.Op.OR:
                return lv or bool(self.eval(r, env, state, post))
            return (not lv) or bool(self.eval(r, env, state, post))
        lhs, rhs = self.eval(l, env, state, post), self.eval(r, env, state, post)
        if isinstance(l.type, ir.ArrayT):
            same = self._array_eq(lhs, rhs, l.type)
            return same if op == ir.Op.EQ else not same
        return _binop(op, lhs, rhs, e.type, l.type)

    def _call(self, e: ir.Call, env: dict[str, Value], state: State, post: State | None) -> Value:
        fn = self.sys.functions[e.func]
        frame = {p.name: self.eval(a, env, state, post) for p, a in zip(fn.params, e.args)}
        try:
            self._exec_block(fn.body, frame, state)
        except _Return as r:
            assert r.value is not None
            return r.value
        raise InterpError(f"function {e.func} ended without returning")

    def _array_eq(self, a: Value, b: Value, t: ir.ArrayT) -> bool:
        """Arrays are equal when every entry of the index domain is (entries outside it are
        never read)."""
        assert isinstance(a, Array) and isinstance(b, Array)
        indices: Iterable[int | bool]
        if a.default is b.default:
            # an entry neither holds is the same default in both: only those held are compared,
            # and an array the explicit engine rebuilt from its differences stays small
            indices = sorted(i for i in a.entries.keys() | b.entries.keys() if _inside(t.index, i, self.n))
        else:
            indices = domain(t.index, self.n)
        for i in indices:
            x, y = a.get(int(i)), b.get(int(i))
            if isinstance(t.elem, ir.ArrayT):
                if not self._array_eq(x, y, t.elem):
                    return False
            elif x != y:
                return False
        return True

    def _quant(self, q: ir.Quant, vs: tuple[ir.Local, ...], env: dict[str, Value], state: State, post: State | None) -> bool:
        """`q` over its variables `vs` not yet bound in `env`."""
        kind = q.kind
        if not vs:
            return bool(self.eval(q.body, env, state, post))
        first, rest = vs[0], vs[1:]
        filters = self._quant_filters(q)[len(q.vars) - len(vs)]
        for v in domain(first.type, self.n):  # type: ignore[arg-type]
            inner = {**env, first.name: v}
            if not all(self.eval(f, inner, state, post) for f in filters):
                continue  # the body is false (exists) or vacuously true (forall) for all the rest
            r = self._quant(q, rest, inner, state, post)
            if kind == ir.QuantKind.FORALL and not r:
                return False
            if kind == ir.QuantKind.EXISTS and r:
                return True
        return kind == ir.QuantKind.FORALL

    def _quant_filters(self, q: ir.Quant) -> tuple[tuple[ir.Expr, ...], ...]:
        """irwalk.quant_filters of `q`, worked out once: three SPIs bound in one `exists` would
        otherwise evaluate its body about 992^3 times."""
        hit = self._filters.get(id(q))
        if hit is None or hit[0] is not q:
            hit = (q, quant_filters(q))
            self._filters[id(q)] = hit
        return hit[1]

    # ---- statements ---------------------------------------------------------------------
    def run(self, action: ir.Action, state: State, args: dict[str, Value]) -> State:
        """The state after `action` with `args`; raises Blocked if its `requires` is false."""
        return self.access(action, state, args)[0]

    def access(self, action: ir.Action, state: State, args: dict[str, Value]) -> tuple[State, Value | None]:
        """The state after `action` and what it returns (a read's value, else None)."""
        env = dict(args)
        if action.requires is not None and not self.eval(action.requires, env, state):
            raise Blocked(action.name)
        new = {k: (v.copy() if isinstance(v, Array) else v) for k, v in state.items()}
        try:
            self._exec_block(action.body, env, new)
        except _Return as r:
            return new, r.value
        return new, None

    def _exec_block(self, stmts: tuple[ir.Stmt, ...], env: dict[str, Value], state: State) -> None:
        for s in stmts:
            self._exec(s, env, state)

    def _exec(self, s: ir.Stmt, env: dict[str, Value], state: State) -> None:
        match s:
            case ir.Let(name=n, value=v):
                env[n] = self.eval(v, env, state)
            case ir.Assign(target=t, value=v):
                value = self.eval(v, env, state)
                root = state[t.root] if t.is_state else env[t.root]
                new = self._update(root, t.path, value, env, state)
                if t.is_state:
                    state[t.root] = new
                else:
                    env[t.root] = new
            case ir.If(cond=c, then=t, other=o):
                self._exec_block(t if self.eval(c, env, state) else o, env, state)
            case ir.For():
                self._loop(s, env, state)
            case ir.Break():
                raise _Break()
            case ir.Continue():
                raise _Continue()
            case ir.Return(value=v):
                raise _Return(None if v is None else self.eval(v, env, state))
            case ir.Invoke(action=name, args=args, result=res):
                callee = self.sys.action(name)
                frame = {p.name: self.eval(a, env, state) for p, a in zip(callee.params, args)}
                returned: Value | None = None
                try:
                    self._exec_block(callee.body, frame, state)
                except _Return as r:
                    returned = r.value
                if res is not None:
                    if returned is None:
                        raise InterpError(f"{name} returned no value")
                    env[res] = returned
            case _:
                raise InterpError(f"unhandled statement {type(s).__name__}")

    def _loop(self, s: ir.For, env: dict[str, Value], state: State) -> bool:
        """Run a loop; whether a `break` left it before its last index."""
        for i in domain(s.domain, self.n):
            env[s.var] = i
            try:
                self._exec_block(s.body, env, state)
            except _Continue:
                continue
            except _Break:
                return True
        return False

    def _update(self, root: Value, path: tuple[ir.PathStep, ...], value: Value, env: dict[str, Value], state: State) -> Value:
        if not path:
            return value
        step, rest = path[0], path[1:]
        match step:
            case ir.PathIndex(index=i):
                assert isinstance(root, Array)
                idx = int(self.eval(i, env, state))  # type: ignore[arg-type]
                return root.set(idx, self._update(root.get(idx), rest, value, env, state))
            case ir.PathBits(hi=hi, lo=lo):
                cur = (int(root) >> lo) & ((1 << (hi - lo + 1)) - 1)  # type: ignore[arg-type]
                return _set_bits(int(root), hi, lo, int(self._update(cur, rest, value, env, state)))  # type: ignore[arg-type]
            case ir.PathBit(index=i, width=width):
                idx = int(self.eval(i, env, state))  # type: ignore[arg-type]
                if idx >= width:
                    return root
                cur = (int(root) >> idx) & 1  # type: ignore[arg-type]
                return _set_bits(int(root), idx, idx, int(self._update(cur, rest, value, env, state)))  # type: ignore[arg-type]
        raise InterpError(f"unhandled path step {step}")


Taken = set[tuple[ir.Span, Arm]]


class Recorder(Interp):
    """An interpreter that also notes in `taken` the arm each branch of the spec's code takes:
    an `if` or `?:` (THEN, ELSE; the else of an `else if` is the inner `if`'s arms), a loop that
    can leave early (EXIT by `break` or `return`, else END). An arm is keyed by its branch's
    span; checker/branches.py lists every arm a system has. The branches the frames' decoders
    add have no place in the spec (line 0) and are not noted. `Interp` notes nothing, so the
    runs that do not ask for coverage pay nothing for it."""

    def __init__(self, system: ir.System, nr_vcpus: int, params: dict[str, int] | None = None, taken: Taken | None = None):
        super().__init__(system, nr_vcpus, params)
        self.taken: Taken = set() if taken is None else taken
        self._early: dict[int, tuple[ir.For, bool]] = {}

    def eval(self, e: ir.Expr, env: dict[str, Value], state: State, post: State | None = None) -> Value:
        if isinstance(e, ir.Ite) and e.span.line:
            c = bool(self.eval(e.cond, env, state, post))
            self.taken.add((e.span, Arm.THEN if c else Arm.ELSE))
            return self.eval(e.then if c else e.other, env, state, post)
        return super().eval(e, env, state, post)

    def _exec(self, s: ir.Stmt, env: dict[str, Value], state: State) -> None:
        if not (isinstance(s, ir.If) and s.span.line):
            super()._exec(s, env, state)
            return
        c = bool(self.eval(s.cond, env, state))
        if c or not else_if(s):
            self.taken.add((s.span, Arm.THEN if c else Arm.ELSE))
        self._exec_block(s.then if c else s.other, env, state)

    def _loop(self, s: ir.For, env: dict[str, Value], state: State) -> bool:
        hit = self._early.get(id(s))
        if hit is None or hit[0] is not s:
            hit = (s, bool(s.span.line) and leaves_early(s.body))
            self._early[id(s)] = hit
        if not hit[1]:
            return super()._loop(s, env, state)
        try:
            early = super()._loop(s, env, state)
        except _Return:
            self.taken.add((s.span, Arm.EXIT))
            raise
        self.taken.add((s.span, Arm.EXIT if early else Arm.END))
        return early


def _set_bits(v: int, hi: int, lo: int, new: int) -> int:
    m = ((1 << (hi - lo + 1)) - 1) << lo
    return (v & ~m) | ((new << lo) & m)


def _binop(op: ir.Op, a: Value, b: Value, t: ir.Type, operand_t: ir.Type) -> Value:
    if op == ir.Op.EQ:
        return a == b
    if op == ir.Op.NE:
        return a != b
    x, y = int(a), int(b)  # type: ignore[arg-type]
    match op:
        case ir.Op.ULT:
            return x < y
        case ir.Op.ULE:
            return x <= y
        case ir.Op.UGT:
            return x > y
        case ir.Op.UGE:
            return x >= y
    w = ir.width_of(t)
    match op:
        case ir.Op.ADD:
            return _mask(x + y, w)
        case ir.Op.SUB:
            return _mask(x - y, w)
        case ir.Op.MUL:
            return _mask(x * y, w)
        case ir.Op.BAND:
            return x & y
        case ir.Op.BOR:
            return x | y
        case ir.Op.BXOR:
            return x ^ y
        case ir.Op.SHL:
            return _mask(x << y, w) if y < w else 0
        case ir.Op.LSHR:
            return x >> y if y < w else 0
    raise InterpError(f"unhandled operator {op}")
