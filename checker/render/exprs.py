"""Print IR expressions back in the spec language, for failure explanations."""

from __future__ import annotations

from collections.abc import Callable

from checker import ir

_OPS = {
    ir.Op.AND: "&&",
    ir.Op.OR: "||",
    ir.Op.IMPLIES: "->",
    ir.Op.EQ: "==",
    ir.Op.NE: "!=",
    ir.Op.ULT: "<",
    ir.Op.ULE: "<=",
    ir.Op.UGT: ">",
    ir.Op.UGE: ">=",
    ir.Op.ADD: "+",
    ir.Op.SUB: "-",
    ir.Op.MUL: "*",
    ir.Op.BAND: "&",
    ir.Op.BOR: "|",
    ir.Op.BXOR: "^",
    ir.Op.SHL: "<<",
    ir.Op.LSHR: ">>",
}
_UNOPS = {ir.UnOp.NOT: "!", ir.UnOp.BNOT: "~", ir.UnOp.NEG: "-"}

Evaluate = Callable[[ir.Expr], object]


def show_expr(e: ir.Expr, layouts: dict[str, ir.Layout] | None = None, index_value: Evaluate | None = None) -> str:
    """`index_value`, when given, prints array indices as the numbers they evaluate to."""

    def show(x: ir.Expr) -> str:
        match x:
            case ir.Const(value=v, type=t):
                if isinstance(t, ir.BoolT):
                    return "true" if v else "false"
                return str(int(v)) if int(v) < 16 else hex(int(v))
            case ir.Local(name=n) | ir.ParamRef(name=n):
                return n
            case ir.StateRef(name=n, primed=p):
                return n + ("'" if p else "")
            case ir.NrVcpus():
                return "nr_vcpus"
            case ir.Unop(op=op, arg=a):
                return _UNOPS[op] + atom(a)
            case ir.Binop(op=op, left=l, right=r):
                return f"{atom(l)} {_OPS[op]} {atom(r)}"
            case ir.NonZero(arg=a):
                return show(a)
            case ir.ZExt(arg=a):
                return show(a)
            case ir.Extract(arg=a, hi=hi, lo=lo):
                if isinstance(a.type, ir.BitsT) and a.type.layout and layouts and a.type.layout in layouts:
                    for name, fh, fl in layouts[a.type.layout].fields:
                        if (fh, fl) == (hi, lo):
                            return f"{atom(a)}.{name}"
                return f"{atom(a)}[{hi}]" if hi == lo else f"{atom(a)}[{hi}:{lo}]"
            case ir.BitAt(arg=a, index=i):
                return f"{atom(a)}[{index(i)}]"
            case ir.SetBits(arg=a, hi=hi, lo=lo, value=v):
                return f"{atom(a)} with {{[{hi}:{lo}] = {show(v)}}}"
            case ir.Select(array=a, index=i):
                return f"{atom(a)}[{index(i)}]"
            case ir.Ite(cond=c, then=t, other=o):
                return f"{atom(c)} ? {atom(t)} : {atom(o)}"
            case ir.Call(func=f, args=args):
                return f"{f}({', '.join(show(a) for a in args)})"
            case ir.Quant(kind=k, vars=vs, body=b):
                return f"{k} {', '.join(f'{v.name}: {v.type}' for v in vs)}. {show(b)}"
        raise AssertionError(f"unhandled expression {type(x).__name__}")

    def index(i: ir.Expr) -> str:
        if index_value is not None:
            try:
                return str(index_value(i))
            except (KeyError, AssertionError):
                pass
        return show(i)

    def atom(x: ir.Expr) -> str:
        s = show(x)
        if isinstance(x, (ir.Binop, ir.Ite, ir.Quant)):
            return f"({s})"
        return s

    return show(e)
