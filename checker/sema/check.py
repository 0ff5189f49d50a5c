"""Type checking of statements and assignment targets: AST statements -> typed IR.

The expression checker is in exprs.py; `Checker` adds statements on top of it.
"""

from __future__ import annotations

from checker import ir
from checker.diagnostics import Note
from checker.sema.exprs import ExprChecker
from checker.sema.scope import ERR, ERR_T, Context, ErrType, Lit, Scope, is_bits, shown
from checker.syntax import ast as A

__all__ = ["ERR", "ERR_T", "Checker", "Context", "ErrType", "Lit", "Scope", "always_returns"]


class Checker(ExprChecker):
    def block(self, stmts: tuple[A.Stmt, ...], ctx: Context) -> tuple[ir.Stmt, ...]:
        ctx.scope.push()
        try:
            return tuple(s for s in (self.stmt(x, ctx) for x in stmts) if s is not None)
        finally:
            ctx.scope.pop()

    def stmt(self, st: A.Stmt, ctx: Context) -> ir.Stmt | None:
        match st:
            case A.Let(name=n, type=t, value=v, mutable=m, span=s):
                val = self.expr(v, ctx)
                if t is not None:
                    typ = self.type(t)
                    val_c = self.convert(val, typ, v.span, f"'{n}'")
                else:
                    val_c = self.concrete(val)
                    typ = ERR_T if val_c is ERR else val_c.type
                self.check_fresh(n, s, ctx)
                if not isinstance(typ, ErrType):
                    ctx.scope.declare(n, typ, m, s)
                else:
                    ctx.scope.declare(n, ir.BitsT(1), m, s)
                return ir.Let(n, val_c, s)
            case A.Assign(target=lv, value=v, span=s):
                target = self.lvalue(lv, ctx)
                val = self.expr(v, ctx)
                if target is None:
                    return None
                return ir.Assign(target, self.convert(val, target.type, v.span, "assignment"), s)
            case A.If(cond=c, then=t, other=o, span=s):
                ce = self.cond(self.expr(c, ctx), c.span)
                return ir.If(ce, self.block(t, ctx), self.block(o, ctx), s)
            case A.For(var=var, domain=dom, body=body, span=s):
                it = self.index_type(dom, "a loop")
                ctx.scope.push()
                ctx.in_loop += 1
                try:
                    self.check_fresh(var, s, ctx)
                    ctx.scope.declare(var, it if it else ir.VCPU, False, s)
                    body_ir = self.block(body, ctx)
                finally:
                    ctx.in_loop -= 1
                    ctx.scope.pop()
                return ir.For(var, it, body_ir, s) if it else None
            case A.Break(span=s) | A.Continue(span=s):
                if not ctx.in_loop:
                    self.error(f"'{'break' if isinstance(st, A.Break) else 'continue'}' outside a loop", s)
                    return None
                return ir.Break(s) if isinstance(st, A.Break) else ir.Continue(s)
            case A.Return(value=v, span=s):
                if ctx.returns is None:
                    if v is not None:
                        self.error(f"{ctx.what} returns no value", v.span)
                        return None
                    return ir.Return(None, s)
                if v is None:
                    self.error(f"{ctx.what} must return a {ctx.returns}", s)
                    return None
                return ir.Return(self.convert(self.expr(v, ctx), ctx.returns, v.span, "return value"), s)
        raise AssertionError(f"unhandled statement {type(st).__name__}")

    def lvalue(self, lv: A.LValue, ctx: Context) -> ir.Target | None:
        root = self.lvalue_root(lv, ctx)
        if root is None:
            return None
        typ, is_state = root
        path: list[ir.PathStep] = []
        for suf in lv.suffixes:
            step = self.lvalue_step(suf, typ, ctx)
            if step is None:
                return None
            path.append(step[0])
            typ = step[1]
        return ir.Target(lv.name, is_state, tuple(path), typ)

    def lvalue_root(self, lv: A.LValue, ctx: Context) -> tuple[ir.Type, bool] | None:
        """The assigned name's type, and whether it is state (not a local)."""
        local = ctx.scope.lookup(lv.name)
        root_span = A.Span(lv.span.file, lv.span.line, lv.span.col, lv.span.line, lv.span.col + len(lv.name))
        if local is not None:
            typ, mutable, decl = local
            if not mutable:
                self.error(
                    f"cannot assign to '{lv.name}': it is not a var",
                    root_span,
                    Note(f"'{lv.name}' defined here; declare it with 'var' to change it", decl),
                )
                return None
            return typ, False
        if lv.name in self.d.states:
            if not ctx.writes_state:
                self.error(f"{ctx.what} cannot change state '{lv.name}'", root_span)
                return None
            return self.d.states[lv.name].type, True
        self.error(f"unknown name '{lv.name}'", root_span)
        return None

    def lvalue_step(self, suf: A.LvSuffix, typ: ir.Type, ctx: Context) -> tuple[ir.PathStep, ir.Type] | None:
        match suf:
            case A.LvIndex(index=i):
                if isinstance(typ, ir.ArrayT):
                    idx = self.convert(self.expr(i, ctx), typ.index, i.span, "array index")
                    return ir.PathIndex(idx), typ.elem
                if is_bits(typ):
                    bit = self.lvalue_bit(i, typ, ctx)
                    return None if bit is None else (bit, ir.BitsT(1))
                self.error(f"{typ} cannot be indexed", suf.span)
                return None
            case A.LvSlice(hi=h, lo=l, span=s):
                hi, lo = self.const_int(h, ctx), self.const_int(l, ctx)
                if hi is None or lo is None:
                    return None
                if not is_bits(typ) or not (0 <= lo <= hi < ir.width_of(typ)):
                    self.error(f"slice [{hi}:{lo}] is outside {typ}", s)
                    return None
                return ir.PathBits(hi, lo), ir.BitsT(hi - lo + 1)
            case A.LvField(name=fname, span=s):
                lay = self.d.layouts.get(typ.layout) if isinstance(typ, ir.BitsT) and typ.layout else None
                if lay is None:
                    self.error(f"{typ} has no fields (it is not a layout)", s)
                    return None
                fld = lay.field(fname)
                if fld is None:
                    self.error(f"layout '{lay.name}' has no field '{fname}'", s, Note(f"'{lay.name}' declared here", lay.span))
                    return None
                return ir.PathBits(*fld), ir.BitsT(fld[0] - fld[1] + 1)
        raise AssertionError(f"unhandled assignment target {type(suf).__name__}")

    def lvalue_bit(self, i: A.Expr, typ: ir.Type, ctx: Context) -> ir.PathStep | None:
        """`x[i] = ...` on bits: a constant bit, or a bit chosen at run time."""
        w = ir.width_of(typ)
        iv = self.expr(i, ctx)
        if isinstance(iv, Lit):
            if not 0 <= iv.value < w:
                self.error(f"bit {shown(iv.value)} is outside {typ} (bits {w - 1}..0)", i.span)
                return None
            return ir.PathBits(iv.value, iv.value)
        if iv is ERR:
            return None
        if not is_bits(iv.type):
            self.error(f"a bit index must be a number, found {iv.type}", i.span)
            return None
        return ir.PathBit(iv, w)


def always_returns(stmts: tuple[ir.Stmt, ...]) -> bool:
    for s in stmts:
        if isinstance(s, ir.Return):
            return True
        if isinstance(s, ir.If) and always_returns(s.then) and always_returns(s.other):
            return True
    return False
