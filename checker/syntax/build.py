"""The lark Transformer that turns a parse tree into AST nodes."""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from checker.syntax import ast as A


def _int(token: Token) -> int:
    return int(str(token).replace("_", ""), 0)


class _Result:
    """`-> r` after a handler's parameters (a parse-tree value, not in the AST)."""

    def __init__(self, name: str):
        self.name = name


class Build(Transformer[Token, Any]):
    """Builds AST nodes; every rule of the grammar has a method, the default raises."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:
        raise AssertionError(f"grammar rule {data!r} has no AST builder")

    def _span(self, meta: Any) -> A.Span:
        if getattr(meta, "empty", True):
            return A.Span(self.path, 0, 0, 0, 0)
        return A.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> A.Span:
        return A.Span(self.path, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0)

    # ---- file and declarations ------------------------------------------------------------
    @v_args(meta=True)
    def start(self, meta: Any, items: list[Any]) -> tuple[Any, ...]:
        return tuple(items)

    @v_args(meta=True)
    def import_decl(self, meta: Any, c: list[Any]) -> A.Import:
        return A.Import(str(c[0])[1:-1], self._span(meta))

    @v_args(meta=True)
    def use_decl(self, meta: Any, c: list[Any]) -> A.UseModel:
        return A.UseModel(str(c[0]), self._span(meta))

    @v_args(meta=True)
    def model_decl(self, meta: Any, c: list[Any]) -> A.ModelDecl:
        vcpus = None
        vspan = None
        for entry in c[1:]:
            vcpus, vspan = entry
        return A.ModelDecl(str(c[0]), vcpus, vspan, self._span(meta))

    @v_args(meta=True)
    def model_vcpus(self, meta: Any, c: list[Any]) -> tuple[tuple[int, int], A.Span]:
        return (_int(c[0]), _int(c[1])), self._span(meta)

    @v_args(meta=True)
    def const_decl(self, meta: Any, c: list[Any]) -> A.ConstDecl:
        if len(c) == 3:
            return A.ConstDecl(str(c[0]), c[1], c[2], self._span(meta))
        return A.ConstDecl(str(c[0]), None, c[1], self._span(meta))

    @v_args(meta=True)
    def type_decl(self, meta: Any, c: list[Any]) -> A.TypeDecl:
        return A.TypeDecl(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def layout_decl(self, meta: Any, c: list[Any]) -> A.LayoutDecl:
        return A.LayoutDecl(str(c[0]), _int(c[1]), tuple(c[2:]), self._span(meta))

    @v_args(meta=True)
    def field_decl(self, meta: Any, c: list[Any]) -> A.FieldDecl:
        hi = _int(c[1])
        lo = _int(c[2]) if len(c) > 2 else hi
        return A.FieldDecl(str(c[0]), hi, lo, self._span(meta))

    @v_args(meta=True)
    def state_decl(self, meta: Any, c: list[Any]) -> A.StateDecl:
        name = str(c[0])
        indices = tuple(x for x in c[1:] if isinstance(x, A.IndexDecl))
        rest = [x for x in c[1:] if not isinstance(x, A.IndexDecl)]
        init = rest[1] if len(rest) > 1 else None
        return A.StateDecl(name, indices, rest[0], init, self._span(meta))

    @v_args(meta=True)
    def index_decl(self, meta: Any, c: list[Any]) -> A.IndexDecl:
        if len(c) == 2:
            return A.IndexDecl(str(c[0]), c[1], self._span(meta))
        return A.IndexDecl(None, c[0], self._span(meta))

    @v_args(meta=True)
    def fn_decl(self, meta: Any, c: list[Any]) -> A.FnDecl:
        name = str(c[0])
        params: tuple[A.Param, ...] = ()
        rest = c[1:]
        if rest and isinstance(rest[0], tuple) and all(isinstance(p, A.Param) for p in rest[0]):
            params = rest[0]
            rest = rest[1:]
        ret, body = rest
        return A.FnDecl(name, params, ret, body, self._span(meta))

    @v_args(meta=True)
    def fn_expr_body(self, meta: Any, c: list[Any]) -> tuple[A.Stmt, ...]:
        return (A.Return(c[0], self._span(meta)),)

    def params(self, c: list[Any]) -> tuple[A.Param, ...]:
        return tuple(c)

    @v_args(meta=True)
    def param(self, meta: Any, c: list[Any]) -> A.Param:
        return A.Param(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def sysreg_decl(self, meta: Any, c: list[Any]) -> A.SysregDecl:
        return A.SysregDecl(str(c[0]), c[1], str(c[2]), tuple(c[3:]), self._span(meta))

    @v_args(meta=True)
    def param_decl(self, meta: Any, c: list[Any]) -> A.ParamDecl:
        return A.ParamDecl(str(c[0]), c[1], c[2] if len(c) > 2 else None, self._span(meta))

    @v_args(meta=True)
    def frame_index(self, meta: Any, c: list[Any]) -> A.FrameIndex:
        return A.FrameIndex(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def frame_decl(self, meta: Any, c: list[Any]) -> A.FrameDecl:
        name = str(c[0])
        index = next((x for x in c[1:] if isinstance(x, A.FrameIndex)), None)
        rest = [x for x in c[1:] if not isinstance(x, A.FrameIndex)]
        size = _int(rest[0])
        stride = next((x[1] for x in rest[1:] if isinstance(x, tuple) and x[0] == "stride"), None)
        split = next((x[1] for x in rest[1:] if isinstance(x, tuple) and x[0] == "split"), None)
        regs = tuple(x for x in rest[1:] if isinstance(x, A.RegisterDecl))
        return A.FrameDecl(name, index, size, stride, split, regs, self._span(meta))

    def frame_stride(self, c: list[Any]) -> tuple[str, int]:
        return "stride", _int(c[0])

    def frame_split(self, c: list[Any]) -> tuple[str, tuple[int, A.SplitOrder]]:
        return "split", (_int(c[0]), A.SplitOrder(str(c[1])))

    @v_args(meta=True)
    def register_decl(self, meta: Any, c: list[Any]) -> A.RegisterDecl:
        name = str(c[0])
        index = c[1] if isinstance(c[1], A.FrameIndex) else None
        rest = c[2:] if index is not None else c[1:]
        offset, typ, access = _int(rest[0]), rest[1], str(rest[2])
        widths: tuple[int, ...] = ()
        where = None
        handlers: tuple[A.Handler, ...] = ()
        for x in rest[3:]:
            if isinstance(x, tuple) and x and x[0] == "widths":
                widths = x[1]
            elif isinstance(x, tuple) and x and x[0] == "where":
                where = x[1]
            elif isinstance(x, list):
                handlers = tuple(x)
        return A.RegisterDecl(name, index, offset, typ, access, widths, where, handlers, self._span(meta))

    def reg_widths(self, c: list[Any]) -> tuple[str, tuple[int, ...]]:
        return "widths", tuple(_int(x) for x in c)

    def reg_where(self, c: list[Any]) -> tuple[str, A.Expr]:
        return "where", c[0]

    def register_body(self, c: list[Any]) -> list[A.Handler]:
        return list(c)

    @v_args(meta=True)
    def handler(self, meta: Any, c: list[Any]) -> A.Handler:
        kind = A.HandlerKind(str(c[0]))
        body = c[-1]
        mid = c[1:-1]
        params: tuple[A.Param, ...] = ()
        if mid and isinstance(mid[0], tuple):
            params, mid = mid[0], mid[1:]
        result = next((x.name for x in mid if isinstance(x, _Result)), None)
        refines = tuple(x for x in mid if isinstance(x, A.Refines))
        return A.Handler(kind, params, body, self._span(meta), result, refines)

    def handler_result(self, c: list[Any]) -> _Result:
        return _Result(str(c[0]))

    @v_args(meta=True)
    def refines_clause(self, meta: Any, c: list[Any]) -> A.Refines:
        name = str(c[0])
        rest = c[1:]
        args: tuple[A.Expr, ...] = ()
        if rest and isinstance(rest[0], tuple):
            args, rest = rest[0], rest[1:]
        return A.Refines(name, args, rest[0] if rest else None, self._span(meta))

    @v_args(meta=True)
    def action_decl(self, meta: Any, c: list[Any]) -> A.ActionDecl:
        name = str(c[0])
        params: tuple[A.Param, ...] = ()
        requires = None
        for x in c[1:-1]:
            if isinstance(x, tuple):
                params = x
            else:
                requires = x
        return A.ActionDecl(name, params, requires, c[-1], self._span(meta))

    def requires(self, c: list[Any]) -> A.Expr:
        return c[0]  # type: ignore[no-any-return]

    # ---- properties -----------------------------------------------------------------------
    @v_args(meta=True)
    def contract_decl(self, meta: Any, c: list[Any]) -> A.ContractDecl | A.IndependenceDecl:
        name, ref = str(c[0]), c[1]
        where = c[2] if len(c) == 4 else None
        body = c[-1]
        if isinstance(body, _Independence):
            return A.IndependenceDecl(name, ref, where, body.exprs, self._span(meta))
        return A.ContractDecl(name, ref, where, body, self._span(meta))

    def independence(self, c: list[Any]) -> _Independence:
        return _Independence(tuple(c))

    def where(self, c: list[Any]) -> A.Expr:
        return c[0]  # type: ignore[no-any-return]

    @v_args(meta=True)
    def action_ref(self, meta: Any, c: list[Any]) -> A.ActionRef:
        target = str(c[0])
        kind = None
        result = None
        names: tuple[str, ...] = ()
        for x in c[1:]:
            if isinstance(x, Token) and x.type == "HANDLER_KIND":
                kind = str(x)
            elif isinstance(x, Token) and x.type == "NAME":
                result = str(x)
            elif isinstance(x, tuple):
                names = x
        return A.ActionRef(target, kind, names, self._span(meta), result)

    def names(self, c: list[Any]) -> tuple[str, ...]:
        return tuple(str(x) for x in c)

    @v_args(meta=True)
    def invariant_decl(self, meta: Any, c: list[Any]) -> A.InvariantDecl:
        return A.InvariantDecl(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def fact_decl(self, meta: Any, c: list[Any]) -> A.FactDecl:
        return A.FactDecl(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def cover_decl(self, meta: Any, c: list[Any]) -> A.CoverDecl:
        return A.CoverDecl(str(c[0]), c[1], self._span(meta))

    # ---- patch overlays -------------------------------------------------------------------
    @v_args(meta=True)
    def overlay_decl(self, meta: Any, c: list[Any]) -> A.OverlayFor:
        return A.OverlayFor(str(c[0]), self._span(meta))

    @v_args(meta=True)
    def replace_decl(self, meta: Any, c: list[Any]) -> A.Replace:
        return A.Replace(c[0], self._span(meta))

    @v_args(meta=True)
    def handler_patch(self, meta: Any, c: list[Any]) -> A.HandlerPatch:
        return A.HandlerPatch(str(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def frame_patch(self, meta: Any, c: list[Any]) -> A.FramePatch:
        stride = next((x[1] for x in c[1:] if x[0] == "stride"), None)
        split = next((x[1] for x in c[1:] if x[0] == "split"), None)
        return A.FramePatch(str(c[0]), stride, split, self._span(meta))

    @v_args(meta=True)
    def expect_different(self, meta: Any, c: list[Any]) -> A.ExpectDifferent:
        return A.ExpectDifferent(tuple(c), self._span(meta))

    @v_args(meta=True)
    def expect_broken(self, meta: Any, c: list[Any]) -> A.ExpectDifferent:
        return A.ExpectDifferent(tuple(str(x) for x in c), self._span(meta), "broken")

    @v_args(meta=True)
    def relate_decl(self, meta: Any, c: list[Any]) -> A.Relate:
        return A.Relate(str(c[0]), str(c[1]), self._span(meta))

    def expect_name(self, c: list[Any]) -> str:
        return ".".join(str(x) for x in c)

    # ---- statements -----------------------------------------------------------------------
    def block(self, c: list[Any]) -> tuple[A.Stmt, ...]:
        return tuple(c)

    @v_args(meta=True)
    def let_stmt(self, meta: Any, c: list[Any]) -> A.Let:
        return A.Let(str(c[0]), c[1] if len(c) == 3 else None, c[-1], False, self._span(meta))

    @v_args(meta=True)
    def var_stmt(self, meta: Any, c: list[Any]) -> A.Let:
        return A.Let(str(c[0]), c[1] if len(c) == 3 else None, c[-1], True, self._span(meta))

    @v_args(meta=True)
    def assign_stmt(self, meta: Any, c: list[Any]) -> A.Assign:
        return A.Assign(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def if_stmt(self, meta: Any, c: list[Any]) -> A.If:
        other: tuple[A.Stmt, ...] = ()
        if len(c) == 3:
            other = c[2] if isinstance(c[2], tuple) else (c[2],)
        return A.If(c[0], c[1], other, self._span(meta))

    @v_args(meta=True)
    def for_stmt(self, meta: Any, c: list[Any]) -> A.For:
        return A.For(str(c[0]), c[1], c[2], self._span(meta))

    @v_args(meta=True)
    def break_stmt(self, meta: Any, c: list[Any]) -> A.Break:
        return A.Break(self._span(meta))

    @v_args(meta=True)
    def continue_stmt(self, meta: Any, c: list[Any]) -> A.Continue:
        return A.Continue(self._span(meta))

    @v_args(meta=True)
    def return_stmt(self, meta: Any, c: list[Any]) -> A.Return:
        return A.Return(c[0] if c else None, self._span(meta))

    @v_args(meta=True)
    def lvalue(self, meta: Any, c: list[Any]) -> A.LValue:
        return A.LValue(str(c[0]), tuple(c[1:]), self._span(meta))

    @v_args(meta=True)
    def lv_index(self, meta: Any, c: list[Any]) -> A.LvIndex:
        return A.LvIndex(c[0], self._span(meta))

    @v_args(meta=True)
    def lv_slice(self, meta: Any, c: list[Any]) -> A.LvSlice:
        return A.LvSlice(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def lv_field(self, meta: Any, c: list[Any]) -> A.LvField:
        return A.LvField(str(c[0]), self._tok_span(c[0]))

    # ---- types ----------------------------------------------------------------------------
    @v_args(meta=True)
    def bool_type(self, meta: Any, c: list[Any]) -> A.BoolType:
        return A.BoolType(self._span(meta))

    @v_args(meta=True)
    def bits_type(self, meta: Any, c: list[Any]) -> A.BitsType:
        return A.BitsType(_int(c[0]), self._span(meta))

    @v_args(meta=True)
    def range_type(self, meta: Any, c: list[Any]) -> A.RangeType:
        return A.RangeType(_int(c[0]), _int(c[1]), self._span(meta))

    @v_args(meta=True)
    def named_type(self, meta: Any, c: list[Any]) -> A.NamedType:
        return A.NamedType(str(c[0]), self._span(meta))

    # ---- expressions ----------------------------------------------------------------------
    @v_args(meta=True)
    def quantifier(self, meta: Any, c: list[Any]) -> A.Quant:
        return A.Quant(str(c[0]), c[1], c[2], self._span(meta))

    def binders(self, c: list[Any]) -> tuple[A.Binder, ...]:
        return tuple(b for group in c for b in group)

    @v_args(meta=True)
    def binder(self, meta: Any, c: list[Any]) -> list[A.Binder]:
        typ = c[-1]
        return [A.Binder(str(n), typ, self._tok_span(n)) for n in c[:-1]]

    @v_args(meta=True)
    def cond_expr(self, meta: Any, c: list[Any]) -> A.Cond:
        return A.Cond(c[0], c[1], c[2], self._span(meta))

    def _bin(self, op: A.BinaryOp, meta: Any, c: list[Any]) -> A.Binary:
        return A.Binary(op, c[0], c[-1], self._span(meta))

    @v_args(meta=True)
    def implies_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.IMPLIES, meta, c)

    @v_args(meta=True)
    def or_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.OR, meta, c)

    @v_args(meta=True)
    def and_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.AND, meta, c)

    @v_args(meta=True)
    def cmp_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp(str(c[1])), meta, c)

    @v_args(meta=True)
    def bin_or(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.BOR, meta, c)

    @v_args(meta=True)
    def bin_xor(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.BXOR, meta, c)

    @v_args(meta=True)
    def bin_and(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.BAND, meta, c)

    @v_args(meta=True)
    def shift_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp(str(c[1])), meta, c)

    @v_args(meta=True)
    def add_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp(str(c[1])), meta, c)

    @v_args(meta=True)
    def mul_expr(self, meta: Any, c: list[Any]) -> A.Binary:
        return self._bin(A.BinaryOp.MUL, meta, c)

    @v_args(meta=True)
    def unary_expr(self, meta: Any, c: list[Any]) -> A.Unary:
        return A.Unary(A.UnaryOp(str(c[0])), c[1], self._span(meta))

    @v_args(meta=True)
    def index_expr(self, meta: Any, c: list[Any]) -> A.Index:
        return A.Index(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def slice_expr(self, meta: Any, c: list[Any]) -> A.Slice:
        return A.Slice(c[0], c[1], c[2], self._span(meta))

    @v_args(meta=True)
    def field_expr(self, meta: Any, c: list[Any]) -> A.Field:
        return A.Field(c[0], str(c[1]), self._span(meta), self._tok_span(c[1]))

    @v_args(meta=True)
    def with_expr(self, meta: Any, c: list[Any]) -> A.With:
        return A.With(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def int_lit(self, meta: Any, c: list[Any]) -> A.IntLit:
        return A.IntLit(_int(c[0]), self._span(meta))

    @v_args(meta=True)
    def true_lit(self, meta: Any, c: list[Any]) -> A.BoolLit:
        return A.BoolLit(True, self._span(meta))

    @v_args(meta=True)
    def false_lit(self, meta: Any, c: list[Any]) -> A.BoolLit:
        return A.BoolLit(False, self._span(meta))

    @v_args(meta=True)
    def name_expr(self, meta: Any, c: list[Any]) -> A.Name:
        return A.Name(str(c[0]), self._span(meta))

    @v_args(meta=True)
    def primed_expr(self, meta: Any, c: list[Any]) -> A.Name:
        return A.Name(str(c[0]), self._span(meta), primed=True)

    @v_args(meta=True)
    def call_expr(self, meta: Any, c: list[Any]) -> A.Call:
        return A.Call(str(c[0]), tuple(c[1]) if len(c) > 1 else (), self._span(meta))

    @v_args(meta=True)
    def construct_expr(self, meta: Any, c: list[Any]) -> A.Construct:
        return A.Construct(str(c[0]), c[1], self._span(meta))

    def args(self, c: list[Any]) -> tuple[A.Expr, ...]:
        return tuple(c)

    def field_inits(self, c: list[Any]) -> tuple[A.FieldInit, ...]:
        return tuple(c)

    @v_args(meta=True)
    def field_init(self, meta: Any, c: list[Any]) -> A.FieldInit:
        return A.FieldInit(str(c[0]), c[1], self._span(meta))


class _Independence:
    def __init__(self, exprs: tuple[A.Expr, ...]):
        self.exprs = exprs
