"""Resolving declarations: layouts, types, consts, state variables and functions."""

from __future__ import annotations

import networkx as nx

from checker import ir
from checker.diagnostics import Diagnostic, Note
from checker.irwalk import called_functions, state_reads
from checker.model import Design
from checker.sema.check import ERR_T, Checker, Context, Lit, Scope, always_returns
from checker.syntax import ast as A


class Declarer:
    """Declarations other than registers and properties: layouts, types, consts, state and functions."""

    def __init__(self, design: Design, errors: list[Diagnostic]):
        self.d = design
        self.errors = errors
        self.spans = design.names
        self.check = Checker(design, errors, self.spans)
        self.refining: list[tuple[ir.Action, A.Handler]] = []  # handlers with `refines`, resolved last

    def error(self, msg: str, span: A.Span, *notes: Note) -> None:
        self.errors.append(Diagnostic(msg, span, tuple(notes)))

    def claim(self, name: str, span: A.Span, what: str) -> bool:
        """Names of layouts, types, consts, state, functions, registers and actions are one namespace."""
        if name in self.spans:
            self.error(f"{what} '{name}' is already defined", span, Note("previous definition here", self.spans[name]))
            return False
        if name in ("vcpu", "bool", "nr_vcpus"):
            self.error(f"'{name}' is a built-in name", span)
            return False
        self.spans[name] = span
        return True

    def layout(self, d: A.LayoutDecl) -> None:
        if not self.claim(d.name, d.span, "layout"):
            return
        if not 1 <= d.width <= 1024:
            self.error(f"layout width {d.width} is out of range (1 to 1024)", d.span)
            return
        owner: dict[int, A.FieldDecl] = {}
        fields: list[tuple[str, int, int]] = []
        names: dict[str, A.FieldDecl] = {}
        for f in d.fields:
            if f.name in names:
                self.error(
                    f"field '{f.name}' is declared twice in '{d.name}'", f.span, Note("first declared here", names[f.name].span)
                )
                continue
            if f.hi < f.lo:
                self.error(f"field '{f.name}' has its bits reversed: write [{f.lo}:{f.hi}]", f.span)
                continue
            if f.hi >= d.width:
                self.error(f"field '{f.name}' [{f.hi}:{f.lo}] does not fit in bits({d.width})", f.span)
                continue
            clash = next((owner[b] for b in range(f.lo, f.hi + 1) if b in owner), None)
            if clash is not None:
                bit = next(b for b in range(f.lo, f.hi + 1) if b in owner)
                self.error(
                    f"field '{f.name}' overlaps field '{clash.name}' (bit {bit})",
                    f.span,
                    Note(f"'{clash.name}' declared here", clash.span),
                )
                continue
            for b in range(f.lo, f.hi + 1):
                owner[b] = f
            names[f.name] = f
            fields.append((f.name, f.hi, f.lo))
        self.d.layouts[d.name] = ir.Layout(d.name, d.width, tuple(fields), d.span)

    def typedef(self, d: A.TypeDecl) -> None:
        if not self.claim(d.name, d.span, "type"):
            return
        t = self.check.type(d.type)
        if t is ERR_T:
            return
        if isinstance(t, ir.IndexT) and not t.is_vcpu:
            t = ir.IndexT(d.name, t.lo, t.hi, t.width)
        self.d.types[d.name] = t  # type: ignore[assignment]

    def const(self, d: A.ConstDecl) -> None:
        if not self.claim(d.name, d.span, "constant"):
            return
        ctx = Context(f"constant '{d.name}'", reads_state=False)
        v = self.check.expr(d.value, ctx)
        if d.type is not None:
            t = self.check.type(d.type)
            v = self.check.convert(v, t, d.value.span, f"constant '{d.name}'")
        if isinstance(v, Lit):
            self.d.consts[d.name] = ir.Const(v.value, ir.BitsT(0), d.span)  # width 0: unsized
        elif isinstance(v, ir.Const):
            self.d.consts[d.name] = ir.Const(v.value, v.type, d.span)
        else:
            self.error(f"constant '{d.name}' must have a value known before checking", d.value.span)

    def state(self, d: A.StateDecl) -> None:
        if not self.claim(d.name, d.span, "state"):
            return
        elem = self.check.type(d.type)
        idx_types: list[ir.IndexT] = []
        scope = Scope()
        locals_: list[ir.Local] = []
        for i, ix in enumerate(d.indices):
            it = self.check.index_type(ix.type, "a state array")
            if it is None:
                return
            idx_types.append(it)
            name = ix.name or f"_i{i}"
            scope.declare(name, it, False, ix.span)
            locals_.append(ir.Local(name, it, ix.span))
        if elem is ERR_T:
            return
        if isinstance(elem, ir.IndexT):
            elem = ir.BitsT(elem.width)
        ctx = Context(f"the reset value of '{d.name}'", reads_state=False, scope=scope)
        if d.init is None:
            init: ir.Expr = ir.Const(False, ir.BOOL) if isinstance(elem, ir.BoolT) else ir.Const(0, elem)  # type: ignore[arg-type]
        else:
            init = self.check.convert(self.check.expr(d.init, ctx), elem, d.init.span, f"reset value of '{d.name}'")
        typ: ir.Type = elem  # type: ignore[assignment]
        for it in reversed(idx_types):
            typ = ir.ArrayT(it, typ)
        self.d.states[d.name] = ir.StateVar(d.name, typ, tuple(locals_), init, d.doc, d.span)

    def params(self, params: tuple[A.Param, ...], ctx: Context) -> list[ir.Local] | None:
        out = []
        ok = True
        for p in params:
            t = self.check.type(p.type)
            if t is ERR_T:
                ok = False
                continue
            if isinstance(t, ir.ArrayT):
                self.error("parameters cannot be arrays", p.type.span)
                ok = False
                continue
            self.check.check_fresh(p.name, p.span, ctx)
            ctx.scope.declare(p.name, t, False, p.span)  # type: ignore[arg-type]
            out.append(ir.Local(p.name, t, p.span))  # type: ignore[arg-type]
        return out if ok else None

    def fn_signature(self, d: A.FnDecl) -> bool:
        if not self.claim(d.name, d.span, "function"):
            return False
        ctx = Context(f"function '{d.name}'", reads_state=False)
        ps = self.params(d.params, ctx)
        ret = self.check.type(d.ret)
        if ps is None or ret is ERR_T:
            return False
        self.d.functions[d.name] = ir.Function(d.name, tuple(ps), ret, (), d.span)  # type: ignore[arg-type]
        return True

    def fn_body(self, d: A.FnDecl) -> None:
        sig = self.d.functions[d.name]
        ctx = Context(f"function '{d.name}'", returns=sig.ret)
        for p in sig.params:
            ctx.scope.declare(p.name, p.type, False, p.span)
        body = self.check.block(d.body, ctx)
        if not always_returns(body):
            self.error(f"function '{d.name}' can reach its end without returning a {sig.ret}", d.span)
        self.d.functions[d.name] = ir.Function(d.name, sig.params, sig.ret, body, d.span)

    def mark_state_functions(self) -> None:
        """Functions may read state (never write it); those that do, directly or through a call,
        cannot be called where no state exists (facts, register `where` clauses)."""
        graph: nx.DiGraph = nx.DiGraph()
        direct = set()
        for f in self.d.functions.values():
            graph.add_node(f.name)
            for callee in called_functions(f.body):
                graph.add_edge(f.name, callee)
            if state_reads(f.body):
                direct.add(f.name)
        for name in direct:
            self.check.state_fns |= {name} | nx.ancestors(graph, name)

    def check_recursion(self) -> None:
        graph: nx.DiGraph = nx.DiGraph()
        for f in self.d.functions.values():
            graph.add_node(f.name)
            for callee in called_functions(f.body):
                graph.add_edge(f.name, callee)
        for cycle in nx.simple_cycles(graph):
            name = cycle[0]
            self.error(
                f"function '{name}' calls itself (through {' -> '.join(cycle + [name])}); functions must not recurse",
                self.d.functions[name].span,
            )
            return
