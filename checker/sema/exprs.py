"""Name resolution and type checking of expressions: AST expressions -> typed IR.

Errors are collected, never raised one at a time; an expression that fails to check becomes
`ERR` so one mistake does not cascade into many messages.
"""

from __future__ import annotations

from checker import ir
from checker.diagnostics import Diagnostic, Note
from checker.model import Design
from checker.sema.scope import ERR, ERR_T, Context, ErrType, Lit, is_bits, shown
from checker.syntax import ast as A
from checker.syntax.limits import MAX_LITERAL_BITS

_ARITH = {
    A.BinaryOp.ADD: ir.Op.ADD,
    A.BinaryOp.SUB: ir.Op.SUB,
    A.BinaryOp.MUL: ir.Op.MUL,
    A.BinaryOp.BAND: ir.Op.BAND,
    A.BinaryOp.BOR: ir.Op.BOR,
    A.BinaryOp.BXOR: ir.Op.BXOR,
}
_CMP = {
    A.BinaryOp.EQ: ir.Op.EQ,
    A.BinaryOp.NE: ir.Op.NE,
    A.BinaryOp.LT: ir.Op.ULT,
    A.BinaryOp.LE: ir.Op.ULE,
    A.BinaryOp.GT: ir.Op.UGT,
    A.BinaryOp.GE: ir.Op.UGE,
}
_LOGIC = {A.BinaryOp.AND: ir.Op.AND, A.BinaryOp.OR: ir.Op.OR, A.BinaryOp.IMPLIES: ir.Op.IMPLIES}
_SHIFT = {A.BinaryOp.SHL: ir.Op.SHL, A.BinaryOp.SHR: ir.Op.LSHR}


class ExprChecker:
    def __init__(self, design: Design, errors: list[Diagnostic], decl_spans: dict[str, A.Span]):
        self.d = design
        self.errors = errors
        self.decl_spans = decl_spans
        self.state_fns: set[str] = set()  # functions that read state

    def error(self, msg: str, span: A.Span, *notes: Note) -> None:
        self.errors.append(Diagnostic(msg, span, tuple(notes)))

    # ---- types ----------------------------------------------------------------------------
    def type(self, t: A.TypeExpr) -> ir.Type | ErrType:
        match t:
            case A.BoolType():
                return ir.BOOL
            case A.BitsType(width=w, span=s):
                if not 1 <= w <= 1024:
                    self.error(f"bit width {w} is out of range (1 to 1024)", s)
                    return ERR_T
                return ir.BitsT(w)
            case A.RangeType(lo=lo, hi=hi, span=s):
                if hi < lo:
                    self.error(f"empty range {lo}..{hi}: the upper bound is below the lower", s)
                    return ERR_T
                if hi >= 1 << 16:
                    self.error(f"range {lo}..{hi} is too large to index by (at most 65535)", s)
                    return ERR_T
                return ir.range_type(lo, hi)
            case A.NamedType(name=n, span=s):
                if n == "vcpu":
                    return ir.VCPU
                if n in self.d.layouts:
                    lay = self.d.layouts[n]
                    return ir.BitsT(lay.width, lay.name)
                if n in self.d.types:
                    return self.d.types[n]
                self.error(f"unknown type '{n}'", s)
                return ERR_T
        raise AssertionError(t)

    def index_type(self, t: A.TypeExpr, what: str) -> ir.IndexT | None:
        typ = self.type(t)
        if isinstance(typ, ErrType):
            return None
        if not isinstance(typ, ir.IndexT):
            self.error(f"{what} must range over vcpu or a range such as 0..15, not {typ}", t.span)
            return None
        return typ

    # ---- literals and widths --------------------------------------------------------------
    def sized(self, e: ir.Expr | Lit, width: int, span: A.Span) -> ir.Expr:
        """A literal takes the given width; a narrower bits value is zero-extended."""
        if isinstance(e, Lit):
            value = e.value
            if value < 0:
                value &= (1 << width) - 1
            elif value >= 1 << width:
                self.error(f"literal {shown(e.value)} does not fit in bits({width})", e.span)
                return ERR
            return ir.Const(value, ir.BitsT(width), e.span)
        t = e.type
        if isinstance(t, (ir.BitsT, ir.IndexT)) and t.width < width:
            return ir.ZExt(e, ir.BitsT(width), span)
        return e

    def concrete(self, e: ir.Expr | Lit) -> ir.Expr:
        if isinstance(e, Lit):
            return self.sized(e, 64, e.span)
        return e

    def convert(self, e: ir.Expr | Lit, target: ir.Type | ErrType, span: A.Span, what: str) -> ir.Expr:
        """Check that `e` can be stored where `target` is expected, and convert it."""
        if isinstance(target, ErrType) or e is ERR:
            return ERR
        if isinstance(target, ir.BoolT):
            if isinstance(e, Lit) or not isinstance(e.type, ir.BoolT):
                self.error(f"{what}: expected bool, found {self.describe(e)}", span)
                return ERR
            return e
        if isinstance(target, (ir.BitsT, ir.IndexT)):
            if isinstance(e, Lit):
                return self.sized(e, target.width, span)
            if not is_bits(e.type):
                self.error(f"{what}: expected {target}, found {self.describe(e)}", span)
                return ERR
            w = ir.width_of(e.type)
            if w > target.width:
                shown = f"{target}" if str(target) == f"bits({target.width})" else f"{target} (bits({target.width}))"
                self.error(
                    f"{what}: {self.describe(e)} is wider than {shown}; take a slice such as [{target.width - 1}:0]",
                    span,
                )
                return ERR
            return self.sized(e, target.width, span)
        if isinstance(target, ir.ArrayT):
            if isinstance(e, Lit) or e.type != target:
                self.error(f"{what}: expected {target}, found {self.describe(e)}", span)
                return ERR
            return e
        raise AssertionError(target)

    def describe(self, e: ir.Expr | Lit) -> str:
        if isinstance(e, Lit):
            return f"integer {shown(e.value)}"
        return str(e.type)

    def cond(self, e: ir.Expr | Lit, span: A.Span) -> ir.Expr:
        """A condition: bool, or bits tested against zero as in C."""
        if e is ERR:
            return ERR
        if isinstance(e, Lit):
            return ir.Const(e.value != 0, ir.BOOL, span)
        if isinstance(e.type, ir.BoolT):
            return e
        if is_bits(e.type):
            return ir.NonZero(e, ir.BOOL, span)
        self.error(f"expected a condition, found {e.type}", span)
        return ERR

    def const_int(self, e: A.Expr, ctx: Context) -> int | None:
        v = self.expr(e, ctx)
        if isinstance(v, Lit):
            return v.value
        if isinstance(v, ir.Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
            return v.value
        if v is not ERR:
            self.error("expected a constant", e.span)
        return None

    # ---- expressions ----------------------------------------------------------------------
    def expr(self, e: A.Expr, ctx: Context) -> ir.Expr | Lit:
        match e:
            case A.IntLit(value=v, span=s):
                return Lit(v, s)
            case A.BoolLit(value=v, span=s):
                return ir.Const(v, ir.BOOL, s)
            case A.Name():
                return self.name(e, ctx)
            case A.Call():
                return self.call(e, ctx)
            case A.Construct():
                return self.construct(e, ctx)
            case A.With():
                return self.with_fields(e, ctx)
            case A.Field():
                return self.field_access(e, ctx)
            case A.Index():
                return self.index(e, ctx)
            case A.Slice():
                return self.bit_slice(e, ctx)
            case A.Unary():
                return self.unary(e, ctx)
            case A.Binary():
                return self.binary(e, ctx)
            case A.Cond():
                return self.conditional(e, ctx)
            case A.Quant():
                return self.quant(e, ctx)
        raise AssertionError(f"unhandled expression {type(e).__name__}")

    def construct(self, e: A.Construct, ctx: Context) -> ir.Expr | Lit:
        name, fields, s = e.layout, e.fields, e.span
        lay = self.d.layouts.get(name)
        if lay is None:
            if name in self.d.functions:
                self.error(f"'{name}' is a function; call it with positional arguments", s)
            else:
                self.error(f"unknown layout '{name}'", s)
            return ERR
        base: ir.Expr = ir.Const(0, ir.BitsT(lay.width, lay.name), s)
        return self.set_fields(base, lay, fields, ctx)

    def with_fields(self, e: A.With, ctx: Context) -> ir.Expr | Lit:
        b, fields = e.base, e.fields
        base_e = self.concrete(self.expr(b, ctx))
        if base_e is ERR:
            return ERR
        lay = self.layout_of(base_e)
        if lay is None:
            self.error(f"'with' needs a value with a layout, found {base_e.type}", b.span)
            return ERR
        return self.set_fields(base_e, lay, fields, ctx)

    def field_access(self, e: A.Field, ctx: Context) -> ir.Expr | Lit:
        b, fname, s, ns = e.base, e.name, e.span, e.name_span
        base_e = self.concrete(self.expr(b, ctx))
        if base_e is ERR:
            return ERR
        lay = self.layout_of(base_e)
        if lay is None:
            self.error(f"{base_e.type} has no fields (it is not a layout)", ns)
            return ERR
        fld = lay.field(fname)
        if fld is None:
            self.error(
                f"layout '{lay.name}' has no field '{fname}'",
                ns,
                Note(f"'{lay.name}' declared here", lay.span),
            )
            return ERR
        hi, lo = fld
        return ir.Extract(base_e, hi, lo, ir.BitsT(hi - lo + 1), s)

    def index(self, e: A.Index, ctx: Context) -> ir.Expr | Lit:
        b, i, s = e.base, e.index, e.span
        base_e = self.concrete(self.expr(b, ctx))
        if base_e is ERR:
            return ERR
        idx = self.expr(i, ctx)
        if idx is ERR:
            return ERR
        if isinstance(base_e.type, ir.ArrayT):
            at = base_e.type
            idx_c = self.convert(idx, at.index, i.span, "array index")
            return ir.Select(base_e, idx_c, at.elem, s)
        if is_bits(base_e.type):
            w = ir.width_of(base_e.type)
            if isinstance(idx, Lit):
                if not 0 <= idx.value < w:
                    self.error(f"bit {shown(idx.value)} is outside {base_e.type} (bits {w - 1}..0)", i.span)
                    return ERR
                return ir.Extract(base_e, idx.value, idx.value, ir.BitsT(1), s)
            if not is_bits(idx.type):
                self.error(f"a bit index must be a number, found {idx.type}", i.span)
                return ERR
            return ir.BitAt(base_e, idx, ir.BitsT(1), s)
        self.error(f"{base_e.type} cannot be indexed", b.span)
        return ERR

    def bit_slice(self, e: A.Slice, ctx: Context) -> ir.Expr | Lit:
        b, h, l, s = e.base, e.hi, e.lo, e.span
        base_e = self.concrete(self.expr(b, ctx))
        shi, slo = self.const_int(h, ctx), self.const_int(l, ctx)
        if base_e is ERR or shi is None or slo is None:
            return ERR
        if not is_bits(base_e.type):
            self.error(f"{base_e.type} cannot be sliced", b.span)
            return ERR
        w = ir.width_of(base_e.type)
        if not (0 <= slo <= shi < w):
            self.error(f"slice [{shown(shi)}:{shown(slo)}] is outside {base_e.type} (bits {w - 1}..0)", s)
            return ERR
        return ir.Extract(base_e, shi, slo, ir.BitsT(shi - slo + 1), s)

    def unary(self, e: A.Unary, ctx: Context) -> ir.Expr | Lit:
        op, o, s = e.op, e.operand, e.span
        arg = self.expr(o, ctx)
        if arg is ERR:
            return ERR
        if op == A.UnaryOp.NOT:
            c = self.cond(arg, o.span)
            return ERR if c is ERR else ir.Unop(ir.UnOp.NOT, c, ir.BOOL, s)
        if isinstance(arg, Lit):
            return Lit(-arg.value if op == A.UnaryOp.NEG else ~arg.value, s)
        if not is_bits(arg.type):
            self.error(f"'{op}' needs a number, found {arg.type}", o.span)
            return ERR
        return ir.Unop(ir.UnOp.NEG if op == A.UnaryOp.NEG else ir.UnOp.BNOT, arg, ir.BitsT(ir.width_of(arg.type)), s)

    def conditional(self, e: A.Cond, ctx: Context) -> ir.Expr | Lit:
        c, t, o, s = e.cond, e.then, e.other, e.span
        ce = self.cond(self.expr(c, ctx), c.span)
        te, oe = self.expr(t, ctx), self.expr(o, ctx)
        if ce is ERR or te is ERR or oe is ERR:
            return ERR
        if isinstance(te, Lit) and isinstance(oe, Lit):
            te, oe = self.concrete(te), self.concrete(oe)
        pair = self.unify(te, oe, s)
        if pair is None:
            return ERR
        return ir.Ite(ce, pair[0], pair[1], pair[0].type, s)

    def quant(self, e: A.Quant, ctx: Context) -> ir.Expr | Lit:
        kind, binders, body, s = e.kind, e.binders, e.body, e.span
        ctx.scope.push()
        try:
            vars_: list[ir.Local] = []
            for binder in binders:
                bt = self.type(binder.type)
                if isinstance(bt, ErrType):
                    continue
                if not isinstance(bt, (ir.IndexT, ir.BoolT)):
                    self.error(f"a quantifier ranges over vcpu, a range or bool, not {bt}", binder.type.span)
                    continue
                self.check_fresh(binder.name, binder.span, ctx)
                ctx.scope.declare(binder.name, bt, False, binder.span)
                vars_.append(ir.Local(binder.name, bt, binder.span))
            if len(vars_) != len(binders):
                return ERR  # the body would only repeat the binder's error
            be = self.cond(self.expr(body, ctx), body.span)
        finally:
            ctx.scope.pop()
        if be is ERR:
            return ERR
        return ir.Quant(ir.QuantKind(kind), tuple(vars_), be, ir.BOOL, s)

    def layout_of(self, e: ir.Expr) -> ir.Layout | None:
        if isinstance(e.type, ir.BitsT) and e.type.layout:
            return self.d.layouts.get(e.type.layout)
        return None

    def set_fields(self, base: ir.Expr, lay: ir.Layout, fields: tuple[A.FieldInit, ...], ctx: Context) -> ir.Expr:
        seen: dict[str, A.Span] = {}
        out = base
        failed = False
        for f in fields:
            fld = lay.field(f.name)
            if fld is None:
                self.error(f"layout '{lay.name}' has no field '{f.name}'", f.span, Note(f"'{lay.name}' declared here", lay.span))
                failed = True
                continue
            if f.name in seen:
                self.error(f"field '{f.name}' is given twice", f.span, Note("first given here", seen[f.name]))
                failed = True
                continue
            seen[f.name] = f.span
            hi, lo = fld
            v = self.convert(self.expr(f.value, ctx), ir.BitsT(hi - lo + 1), f.value.span, f"field '{f.name}'")
            if v is ERR:
                failed = True
                continue
            out = ir.SetBits(out, hi, lo, v, ir.BitsT(lay.width, lay.name), f.span)
        return ERR if failed else out

    def unify(self, a: ir.Expr | Lit, b: ir.Expr | Lit, span: A.Span) -> tuple[ir.Expr, ir.Expr] | None:
        """Bring two operands to one type: bool with bool, or bits zero-extended to the wider."""
        if isinstance(a, Lit) and isinstance(b, Lit):
            a = self.concrete(a)
        if isinstance(a, Lit):
            assert not isinstance(b, Lit)
            if not is_bits(b.type):
                self.error(f"cannot combine integer {shown(a.value)} with {b.type}", span)
                return None
            w = ir.width_of(b.type)
            a2 = self.sized(a, w, span)
            return None if a2 is ERR else (a2, b)
        if isinstance(b, Lit):
            pair = self.unify(b, a, span)
            return None if pair is None else (pair[1], pair[0])
        if isinstance(a.type, ir.BoolT) and isinstance(b.type, ir.BoolT):
            return a, b
        if is_bits(a.type) and is_bits(b.type):
            w = max(ir.width_of(a.type), ir.width_of(b.type))
            return self.sized(a, w, span), self.sized(b, w, span)
        self.error(f"cannot combine {a.type} with {b.type}", span)
        return None

    def binary(self, e: A.Binary, ctx: Context) -> ir.Expr | Lit:
        op, s = e.op, e.span
        left, right = self.expr(e.left, ctx), self.expr(e.right, ctx)
        if left is ERR or right is ERR:
            return ERR
        if op in _LOGIC:
            lc, rc = self.cond(left, e.left.span), self.cond(right, e.right.span)
            if lc is ERR or rc is ERR:
                return ERR
            return ir.Binop(_LOGIC[op], lc, rc, ir.BOOL, s)
        if op in _SHIFT and isinstance(right, Lit) and not self.shift_amount_fits(left, right):
            return ERR
        if isinstance(left, Lit) and isinstance(right, Lit):
            return self.fold(op, left.value, right.value, s)
        if op in _SHIFT:
            if isinstance(left, Lit):
                self.error("the value shifted needs a width; write it as a typed constant", e.left.span)
                return ERR
            if not is_bits(left.type):
                self.error(f"'{op}' needs a number, found {left.type}", e.left.span)
                return ERR
            w = ir.width_of(left.type)
            amount = self.sized(right, w, s) if isinstance(right, Lit) else right
            if amount is ERR:
                return ERR
            if not is_bits(amount.type):
                self.error(f"a shift amount must be a number, found {amount.type}", e.right.span)
                return ERR
            aw = ir.width_of(amount.type)
            if aw < w:
                amount = ir.ZExt(amount, ir.BitsT(w), s)
            elif aw > w:
                left = ir.ZExt(left, ir.BitsT(aw), s)
                w = aw
            return ir.Binop(_SHIFT[op], left, amount, ir.BitsT(w), s)
        ranged = self.range_arith(op, left, right, s)
        if ranged is not None:
            return ranged
        if (
            op in (A.BinaryOp.EQ, A.BinaryOp.NE)
            and not isinstance(left, Lit)
            and not isinstance(right, Lit)
            and isinstance(left.type, ir.ArrayT)
        ):
            if left.type != right.type:
                self.error(f"cannot compare {left.type} with {right.type}", s)
                return ERR
            return ir.Binop(_CMP[op], left, right, ir.BOOL, s)  # every entry equal (unchanged state: x' == x)
        pair = self.unify(left, right, s)
        if pair is None or pair[0] is None:
            return ERR
        a, b = pair
        if op in (A.BinaryOp.EQ, A.BinaryOp.NE):
            return ir.Binop(_CMP[op], a, b, ir.BOOL, s)
        if not is_bits(a.type):
            self.error(f"'{op}' needs numbers, found {a.type}", s)
            return ERR
        if op in _CMP:
            return ir.Binop(_CMP[op], a, b, ir.BOOL, s)
        return ir.Binop(_ARITH[op], a, b, ir.BitsT(ir.width_of(a.type)), s)

    @staticmethod
    def _bounds(e: ir.Expr | Lit) -> tuple[int, int] | None:
        if isinstance(e, Lit):
            return (e.value, e.value) if e.value >= 0 else None
        t = e.type
        if isinstance(t, ir.IndexT) and t.hi is not None:
            return t.lo, t.hi
        return None

    def range_arith(self, op: A.BinaryOp, left: ir.Expr | Lit, right: ir.Expr | Lit, s: A.Span) -> ir.Expr | None:
        """`+` and `*` on range-typed values (an INTID, a register array index) and literals give
        a range wide enough for every result, as C's int would: 32 * n + i with n: 1..31 and
        i: 0..31 is 32..1023, ten bits, not a five-bit value that wraps. Bits stay modular."""
        if op not in (A.BinaryOp.ADD, A.BinaryOp.MUL) or (isinstance(left, Lit) and isinstance(right, Lit)):
            return None
        a, b = self._bounds(left), self._bounds(right)
        if a is None or b is None:
            return None
        lo, hi = (a[0] + b[0], a[1] + b[1]) if op == A.BinaryOp.ADD else (a[0] * b[0], a[1] * b[1])
        if hi >= 1 << 16:
            return None
        t = ir.range_type(lo, hi)
        widths = [ir.width_of(x.type) for x in (left, right) if not isinstance(x, Lit)]
        if max(widths) > t.width:  # 0 * n: keep the operands' width
            t = ir.IndexT(t.name, lo, hi, max(widths))
        l2, r2 = self.sized(left, t.width, s), self.sized(right, t.width, s)
        if l2 is ERR or r2 is ERR:
            return ERR
        return ir.Binop(_ARITH[op], l2, r2, t, s)

    def shift_amount_fits(self, value: ir.Expr | Lit, amount: Lit) -> bool:
        """A constant shift amount is at most the width of the value shifted (an unsized
        value's: MAX_LITERAL_BITS); an error if not."""
        if amount.value < 0:
            self.error(f"a shift amount cannot be negative ({shown(amount.value)})", amount.span)
            return False
        if isinstance(value, Lit):
            if amount.value > MAX_LITERAL_BITS:
                self.error(f"shift amount {shown(amount.value)} is larger than {MAX_LITERAL_BITS} bits", amount.span)
                return False
        elif is_bits(value.type) and amount.value > ir.width_of(value.type):
            self.error(
                f"shift amount {shown(amount.value)} is larger than {ir.width_of(value.type)}, the width of {value.type}",
                amount.span,
            )
            return False
        return True

    def fold(self, op: A.BinaryOp, a: int, b: int, s: A.Span) -> ir.Expr | Lit:
        """Two literals combined; an error (ERR) when the result is wider than MAX_LITERAL_BITS."""
        out = self.fold_value(op, a, b, s)
        if isinstance(out, Lit) and out.value.bit_length() > MAX_LITERAL_BITS:
            self.error(f"constant too large (more than {MAX_LITERAL_BITS} bits)", s)
            return ERR
        return out

    @staticmethod
    def fold_value(op: A.BinaryOp, a: int, b: int, s: A.Span) -> ir.Expr | Lit:
        match op:
            case A.BinaryOp.ADD:
                return Lit(a + b, s)
            case A.BinaryOp.SUB:
                return Lit(a - b, s)
            case A.BinaryOp.MUL:
                return Lit(a * b, s)
            case A.BinaryOp.BAND:
                return Lit(a & b, s)
            case A.BinaryOp.BOR:
                return Lit(a | b, s)
            case A.BinaryOp.BXOR:
                return Lit(a ^ b, s)
            case A.BinaryOp.SHL:
                return Lit(a << b, s)
            case A.BinaryOp.SHR:
                return Lit(a >> b, s)
        cmp = {
            A.BinaryOp.EQ: a == b,
            A.BinaryOp.NE: a != b,
            A.BinaryOp.LT: a < b,
            A.BinaryOp.LE: a <= b,
            A.BinaryOp.GT: a > b,
            A.BinaryOp.GE: a >= b,
        }
        return ir.Const(cmp[op], ir.BOOL, s)

    def name(self, e: A.Name, ctx: Context) -> ir.Expr | Lit:
        n, s = e.name, e.span
        local = ctx.scope.lookup(n)
        if local is not None and not e.primed:
            return ir.Local(n, local[0], s)
        if n == "nr_vcpus" and local is None:
            return ir.NrVcpus(ir.VCPU, s)
        if n in self.d.params and local is None:
            return ir.ParamRef(n, self.d.params[n].type, s)
        if n in self.d.consts and local is None:
            c = self.d.consts[n]
            if isinstance(c.type, ir.BitsT) and c.type.width == 0:
                return Lit(int(c.value), s)
            return ir.Const(c.value, c.type, s)
        if n in self.d.states and local is None:
            sv = self.d.states[n]
            if not ctx.reads_state:
                self.error(f"{ctx.what} cannot read state '{n}'", s, Note(f"'{n}' declared here", sv.span))
                return ERR
            if e.primed and not ctx.primes:
                self.error(
                    f"'{n}'' (the state after the access) can only be used in the body of an 'after' property, after its ':'", s
                )
                return ERR
            return ir.StateRef(n, sv.type, e.primed, s)
        if e.primed:
            self.error(f"only state has a primed (after-access) value; '{n}' is not state", s)
            return ERR
        if n in self.d.functions:
            self.error(f"'{n}' is a function; call it as {n}(...)", s)
        else:
            self.error(f"unknown name '{n}'", s)
        return ERR

    def call(self, e: A.Call, ctx: Context) -> ir.Expr | Lit:
        fn = self.d.functions.get(e.func)
        if fn is None:
            if e.func in self.d.layouts and not e.args:
                return ir.Const(0, ir.BitsT(self.d.layouts[e.func].width, e.func), e.span)
            if e.func in self.d.layouts:
                self.error(f"layout constructors name their fields: {e.func}(Field = value, ...)", e.span)
            else:
                self.error(f"unknown function '{e.func}'", e.span)
            return ERR
        if e.func in self.state_fns and not ctx.reads_state:
            self.error(f"{ctx.what} cannot call '{e.func}': it reads state", e.span, Note(f"'{e.func}' declared here", fn.span))
            return ERR
        if len(e.args) != len(fn.params):
            self.error(
                f"'{e.func}' takes {len(fn.params)} argument(s), {len(e.args)} given",
                e.span,
                Note(f"'{e.func}' declared here", fn.span),
            )
            return ERR
        args = []
        for p, a in zip(fn.params, e.args):
            args.append(self.convert(self.expr(a, ctx), p.type, a.span, f"argument '{p.name}' of '{e.func}'"))
        if any(a is ERR for a in args):
            return ERR
        return ir.Call(e.func, tuple(args), fn.ret, e.span)

    def check_fresh(self, name: str, span: A.Span, ctx: Context) -> None:
        prev = ctx.scope.lookup(name)
        if prev is not None:
            self.error(f"'{name}' is already defined in this scope", span, Note("previous definition here", prev[2]))
        elif name in self.d.states or name in self.d.consts:
            where = self.decl_spans.get(name)
            notes = (Note(f"'{name}' declared here", where),) if where else ()
            self.error(f"'{name}' hides a global of the same name", span, *notes)
