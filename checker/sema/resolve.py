"""Load a model's files (following imports), resolve its declarations, check property files."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import networkx as nx

from checker import ir
from checker.diagnostics import Diagnostic, Note, SpecError
from checker.irwalk import called_functions, state_reads
from checker.model import Design, Frame, Register, Sysreg
from checker.sema.check import ERR, ERR_T, Checker, Context, Lit, Scope, always_returns
from checker.sema.mmio import RESERVED, frame_actions
from checker.sema.overlay import PROPERTY_DECLS, Overlay, apply_to_properties, apply_to_spec
from checker.syntax import ast as A
from checker.syntax import parse_file

# The first vCPU count a model may declare, and the largest any KVM has allowed so far (512).
_VCPU_LIMIT = 4096

_FIXED = (ir.Access.RAZ_WI, ir.Access.RAO_WI)  # access kinds that define both accesses


_OVERLAY_ONLY = "'overlay', 'replace', 'expect' and 'relate' belong in an overlay file (given to gicheck diff, or to --overlay)"


class ModelNotFound(LookupError):
    """The spec declares no model of the name asked for (a usage error, not a crash)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    file: str
    decl: A.ModelDecl


def _spec_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.gic") if p.is_file())


def find_models(spec_root: Path) -> dict[str, ModelInfo]:
    """Every `model` declared under spec_root. Raises SpecError on parse errors or duplicates."""
    errors: list[Diagnostic] = []
    models: dict[str, ModelInfo] = {}
    for path in _spec_files(spec_root):
        try:
            src = parse_file(path)
        except SpecError as err:
            errors += err.diagnostics
            continue
        for d in src.decls:
            if isinstance(d, A.ModelDecl):
                if d.name in models:
                    errors.append(
                        Diagnostic(
                            f"model '{d.name}' is declared twice",
                            d.span,
                            (Note("first declared here", models[d.name].decl.span),),
                        )
                    )
                else:
                    models[d.name] = ModelInfo(d.name, _display(path), d)
    if errors:
        raise SpecError(errors)
    return models


def _load_closure(entry: Path, errors: list[Diagnostic]) -> list[A.SourceFile]:
    """The entry file and everything it imports, dependencies first (a networkx DAG)."""
    graph: nx.DiGraph = nx.DiGraph()
    files: dict[str, A.SourceFile] = {}
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        key = str(path)
        if key in files:
            continue
        try:
            src = parse_file(_display(path))
        except SpecError as err:
            errors += err.diagnostics
            files[key] = A.SourceFile(key, ())
            continue
        files[key] = src
        graph.add_node(key)
        for d in src.decls:
            if isinstance(d, A.Import):
                target = (path.parent / d.path).resolve()
                if not target.is_file():
                    errors.append(Diagnostic(f"imported file '{d.path}' does not exist", d.span))
                    continue
                graph.add_edge(key, str(target), span=d.span)
                todo.append(target)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        first = graph.edges[cycle[0][0], cycle[0][1]]["span"]
        chain = " -> ".join(_display(Path(a)) for a, _ in cycle) + f" -> {_display(Path(cycle[0][0]))}"
        errors.append(Diagnostic(f"import cycle: {chain}", first))
        return list(files.values())
    order = list(reversed(list(nx.topological_sort(graph)))) if graph.number_of_nodes() else []
    return [files[k] for k in order if k in files]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Resolver:
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

    def declarations(self, decls: list[A.Decl]) -> None:
        by_kind: dict[type, list[A.Decl]] = {}
        for d in decls:
            by_kind.setdefault(type(d), []).append(d)
        for d in by_kind.get(A.LayoutDecl, []):
            self.layout(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.TypeDecl, []):
            self.typedef(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.ConstDecl, []):
            self.const(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.ParamDecl, []):
            self.param(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.StateDecl, []):
            self.state(d)  # type: ignore[arg-type]
        fns = [d for d in by_kind.get(A.FnDecl, []) if self.fn_signature(d)]  # type: ignore[arg-type]
        for d in fns:
            self.fn_body(d)  # type: ignore[arg-type]
        self.check_recursion()
        self.mark_state_functions()
        for d in by_kind.get(A.SysregDecl, []):
            self.sysreg(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.FrameDecl, []):
            self.frame(d)  # type: ignore[arg-type]
        for d in by_kind.get(A.ActionDecl, []):
            self.action(d)  # type: ignore[arg-type]
        for a, h in self.refining:
            self.refinement(a, h)
        self.refining = []

    def refinement(self, handler: ir.Action, h: A.Handler) -> None:
        """`on read(self: vcpu) -> r refines acknowledge(self, r.INTID[4:0]) if r.INTID < 32 ...`:
        each clause names an action and its arguments over the handler's parameters and value."""
        ctx = Context(f"'refines' of {handler.name}")
        for p in handler.params:
            ctx.scope.declare(p.name, p.type, False, p.span)
        result = None
        if h.result is not None:
            if handler.result is None:
                self.error(f"'-> {h.result}' names the value a read returns; {handler.name} returns none", h.span)
                return
            self.check.check_fresh(h.result, h.span, ctx)
            ctx.scope.declare(h.result, handler.result, False, h.span)
            result = ir.Local(h.result, handler.result, h.span)
            if not h.refines:
                self.error(f"'-> {h.result}' is for 'refines' clauses, and {handler.name} has none", h.span)
                return
        cases = []
        before = len(self.errors)
        for i, c in enumerate(h.refines):
            if c.cond is None and i != len(h.refines) - 1:
                self.error("this 'refines' clause has no 'if', so the clauses after it never apply", c.span)
            target = self.d.actions.get(c.action)
            if target is None:
                what = "a register access" if c.action in self.d.registers or c.action in self.d.sysregs else "unknown"
                known = ", ".join(sorted(self.d.actions)) or "none"
                self.error(f"'refines' names an action declared with 'action' ('{c.action}' is {what}; actions: {known})", c.span)
                continue
            if len(c.args) != len(target.params):
                sig = ", ".join(f"{p.name}: {p.type}" for p in target.params)
                self.error(
                    f"{c.action} takes {len(target.params)} argument(s) ({sig}), {len(c.args)} given",
                    c.span,
                    Note(f"'{c.action}' declared here", target.span),
                )
                continue
            args = tuple(
                self.check.convert(self.check.expr(a, ctx), p.type, a.span, f"argument '{p.name}' of '{c.action}'")
                for p, a in zip(target.params, c.args)
            )
            cond = self.check.cond(self.check.expr(c.cond, ctx), c.cond.span) if c.cond is not None else None
            cases.append(ir.RefineCase(c.action, args, cond, c.span))  # type: ignore[arg-type]
        if len(self.errors) == before:
            self.d.refinements.append(ir.Refinement(handler.name, handler.params, result, tuple(cases), h.span))

    # ---- declarations -----------------------------------------------------------------------
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

    def handler_action(
        self,
        name: str,
        kind: ir.ActionKind,
        params: tuple[A.Param, ...],
        requires: A.Expr | None,
        body: tuple[A.Stmt, ...],
        span: A.Span,
        register: str | None,
        doc: str,
        result: object = None,
        extra: list[ir.Local] | None = None,
    ) -> ir.Action | None:
        returns = result if isinstance(result, (ir.BitsT, ir.BoolT, ir.IndexT)) else None
        ctx = Context(f"{'handler' if register else 'action'} {name}", writes_state=True, returns=returns)
        for loc in extra or []:
            ctx.scope.declare(loc.name, loc.type, False, loc.span)
        ps = self.params(params, ctx)
        if ps is not None and extra:
            ps = ps[:1] + list(extra) + ps[1:]
        req = None
        if requires is not None:
            req = self.check.cond(self.check.expr(requires, ctx), requires.span)
        body_ir = self.check.block(body, ctx)
        if returns is not None and not always_returns(body_ir):
            self.error(f"handler {name} can reach its end without returning a {returns}", span)
        if ps is None:
            return None
        return ir.Action(name, kind, tuple(ps), req, body_ir, register, doc, span, returns)

    def param(self, d: A.ParamDecl) -> None:
        if not self.claim(d.name, d.span, "parameter"):
            return
        t = self.check.index_type(d.type, f"parameter '{d.name}'")
        if t is None:
            return
        if t.is_vcpu:
            self.error(f"parameter '{d.name}' must range over numbers such as 64..1024; the vCPU count is nr_vcpus", d.type.span)
            return
        t = ir.IndexT(d.name, t.lo, t.hi, t.width)
        self.d.params[d.name] = ir.Param(d.name, t, None, d.doc, d.span)
        if d.where is not None:
            where = self.check.cond(self.check.expr(d.where, Context(f"parameter '{d.name}'", reads_state=False)), d.where.span)
            self.d.params[d.name] = ir.Param(d.name, t, where, d.doc, d.span)

    # Which handlers each access kind takes: (required, allowed). The rest the kind defines.
    _KIND_HANDLERS: ClassVar[dict[ir.Access, tuple[set[A.HandlerKind], set[A.HandlerKind]]]] = {
        ir.Access.READ_WRITE: ({A.HandlerKind.READ, A.HandlerKind.WRITE}, {A.HandlerKind.READ, A.HandlerKind.WRITE}),
        ir.Access.W1S: ({A.HandlerKind.READ, A.HandlerKind.WRITE}, {A.HandlerKind.READ, A.HandlerKind.WRITE}),
        ir.Access.W1C: ({A.HandlerKind.READ, A.HandlerKind.WRITE}, {A.HandlerKind.READ, A.HandlerKind.WRITE}),
        ir.Access.READ_ONLY: ({A.HandlerKind.READ}, {A.HandlerKind.READ}),
        ir.Access.WRITE_ONLY: ({A.HandlerKind.WRITE}, {A.HandlerKind.WRITE}),
        ir.Access.RAZ_WI: (set(), set()),
        ir.Access.RAO_WI: (set(), set()),
    }

    def handlers(
        self,
        name: str,
        t: ir.Type,
        access: ir.Access,
        decls: tuple[A.Handler, ...],
        extra: list[ir.Local],
        doc: str,
        span: A.Span,
        mmio: bool,
    ) -> dict[str, ir.Action]:
        """The read and write actions of a register: its handlers, checked against its access
        kind, and what the kind defines (RAZ/WI reads 0 and ignores writes, RAO/WI reads all ones;
        an MMIO write-only register reads as zero, an MMIO read-only register ignores writes).
        `extra` are the implicit parameters (`rd` of a per-vCPU frame, `n` of an array)."""
        required, allowed = self._KIND_HANDLERS[access]
        out: dict[str, ir.Action] = {}
        for h in decls:
            if h.kind not in allowed:
                what = "no handlers: the kind defines both accesses" if not allowed else f"only 'on {next(iter(allowed))}'"
                self.error(f"{name} is {access}: it takes {what}", h.span)
                continue
            if h.kind in out:
                self.error(f"{name} has two 'on {h.kind}' handlers", h.span)
                continue
            got = [p.name for p in h.params]
            pt = [self.check.type(p.type) for p in h.params]
            if h.kind == A.HandlerKind.READ:
                if len(h.params) != 1 or pt[0] != ir.VCPU:
                    self.error(f"'on read' of {name} takes (self: vcpu), found ({', '.join(got)})", h.span)
                    continue
                a = self.handler_action(
                    f"{name}.read", ir.ActionKind.of(mmio, write=False), h.params, None, h.body, h.span, name, doc, t, extra
                )
            else:
                if len(h.params) != 2 or pt[0] != ir.VCPU or (pt[1] is not ERR_T and t is not ERR_T and pt[1] != t):
                    found = ", ".join(f"{p.name}: {ty}" for p, ty in zip(h.params, pt))
                    self.error(f"'on write' of {name} takes (self: vcpu, val: {t}), found ({found})", h.span)
                    continue
                a = self.handler_action(
                    f"{name}.write", ir.ActionKind.of(mmio, write=True), h.params, None, h.body, h.span, name, doc, None, extra
                )
            if a is not None:
                out[h.kind] = a
                if h.refines or h.result is not None:
                    self.refining.append((a, h))
        missing = sorted(required - {h.kind for h in decls})
        for k in missing:
            self.error(f"{name} is {access}: it needs an 'on {k}' handler", span)
        if not isinstance(t, ir.BitsT) or missing:
            return out
        selfp = ir.Local("self", ir.VCPU, span)
        valp = ir.Local("val", t, span)
        ones = (1 << t.width) - 1
        if "read" not in out and (access in _FIXED or mmio and access == ir.Access.WRITE_ONLY):
            value = ir.Const(ones if access == ir.Access.RAO_WI else 0, t, span)
            out["read"] = ir.Action(
                f"{name}.read",
                ir.ActionKind.of(mmio, write=False),
                (selfp, *extra),
                None,
                (ir.Return(value, span),),
                name,
                doc,
                span,
                t,
            )
        if "write" not in out and (access in _FIXED or mmio and access == ir.Access.READ_ONLY):
            out["write"] = ir.Action(
                f"{name}.write", ir.ActionKind.of(mmio, write=True), (selfp, *extra, valp), None, (), name, doc, span
            )
        return out

    def sysreg(self, d: A.SysregDecl) -> None:
        if not self.claim(d.name, d.span, "register"):
            return
        t = self.check.type(d.type)
        if t is not ERR_T and not isinstance(t, ir.BitsT):
            self.error(f"a system register holds bits, not {t}", d.type.span)
            return
        access = ir.Access(d.access)
        if access in (ir.Access.W1S, ir.Access.W1C):
            self.error(
                f"{d.access} is an access kind of memory-mapped registers; a system register is read-write, read-only, write-only, raz/wi or rao/wi",
                d.span,
            )
            return
        handlers = self.handlers(d.name, t, access, d.handlers, [], d.doc, d.span, mmio=False)  # type: ignore[arg-type]
        self.d.sysregs[d.name] = Sysreg(d.name, t, access, handlers, d.doc, d.span)  # type: ignore[arg-type]

    def frame(self, d: A.FrameDecl) -> None:
        if not self.claim(d.name, d.span, "frame"):
            return
        rd: ir.Local | None = None
        if d.index is not None:
            it = self.check.index_type(d.index.type, f"the index of frame {d.name}")
            if it is not None and not it.is_vcpu:
                self.error(f"a per-vCPU frame is indexed by vcpu, not {it}: write [{d.index.name}: vcpu]", d.index.type.span)
            rd = ir.Local(d.index.name, ir.VCPU, d.index.span)
            if d.index.name in RESERVED:
                self.error(
                    f"'{d.index.name}' names a parameter of every frame access ({', '.join(RESERVED)}); pick another name",
                    d.index.span,
                )
                return
        if d.size <= 0 or d.size > 1 << 24:
            self.error(f"frame size {d.size:#x} is out of range (1 byte to 16 MiB)", d.span)
            return
        stride = d.size
        if d.stride is not None:
            if rd is None:
                self.error(f"only a per-vCPU frame has a stride: write 'frame {d.name}[rd: vcpu] ...'", d.span)
            elif d.stride < d.size or d.stride & (d.stride - 1):
                self.error(f"stride {d.stride:#x} must be a power of two no smaller than the frame size {d.size:#x}", d.span)
            else:
                stride = d.stride
        elif rd is not None and d.size & (d.size - 1):
            self.error(f"per-vCPU frame {d.name} needs a power-of-two stride: add 'stride <bytes>'", d.span)
        if d.split is not None and d.split[0] != 64:
            self.error(f"only 64-bit accesses can be split into two 32-bit halves, not {d.split[0]}-bit ones", d.span)
        names: list[str] = []
        placed: list[tuple[int, int, A.RegisterDecl]] = []
        for r in d.registers:
            reg = self.register(d, r, rd)
            if reg is None:
                continue
            first = reg.offset + (reg.index.type.lo if reg.index else 0) * reg.bytes  # type: ignore[union-attr]
            last = reg.offset + ((reg.index.type.hi if reg.index else 0) + 1) * reg.bytes  # type: ignore[union-attr,operator]
            if last > d.size:
                self.error(f"{r.name} ends at offset {last:#x}, past the end of frame {d.name} (size {d.size:#x})", r.span)
                continue
            clash = next((o for o in placed if o[0] < last and first < o[1]), None)
            if clash is not None:
                self.error(
                    f"{r.name} ({first:#x}..{last - 1:#x}) overlaps {clash[2].name} ({clash[0]:#x}..{clash[1] - 1:#x})",
                    r.span,
                    Note(f"'{clash[2].name}' declared here", clash[2].span),
                )
                continue
            placed.append((first, last, r))
            names.append(reg.name)
            self.d.registers[reg.name] = reg
        frame = Frame(d.name, rd, d.size, stride, d.split, tuple(names), d.doc, d.span)
        read, write = frame_actions(frame, [self.d.registers[n] for n in names])
        frame.actions.update(read=read, write=write)
        self.d.frames[d.name] = frame

    def register(self, frame: A.FrameDecl, d: A.RegisterDecl, rd: ir.Local | None) -> Register | None:
        if not self.claim(d.name, d.span, "register"):
            return None
        t = self.check.type(d.type)
        if t is ERR_T:
            return None
        if not isinstance(t, ir.BitsT) or t.width not in (8, 16, 32, 64):
            self.error(f"a memory-mapped register is 8, 16, 32 or 64 bits wide, not {t}", d.type.span)
            return None
        access = ir.Access(d.access)
        nbytes = t.width // 8
        if d.offset % nbytes:
            self.error(f"{d.name} at {d.offset:#x} is not aligned to its width ({nbytes} bytes)", d.span)
            return None
        extra: list[ir.Local] = [rd] if rd is not None else []
        index = None
        if d.index is not None:
            it = self.check.index_type(d.index.type, f"the index of {d.name}")
            if it is None:
                return None
            if it.is_vcpu:
                self.error(
                    "a register array is indexed by a range such as 0..31, not vcpu (per-vCPU frames take [rd: vcpu])",
                    d.index.type.span,
                )
                return None
            if d.index.name in RESERVED:
                self.error(
                    f"'{d.index.name}' names a parameter of every frame access ({', '.join(RESERVED)}); pick another name",
                    d.index.span,
                )
                return None
            if rd is not None and d.index.name == rd.name:
                self.error(f"'{d.index.name}' already names the vCPU of frame {frame.name}", d.index.span)
                return None
            index = ir.Local(d.index.name, it, d.index.span)
            extra.append(index)
        widths = d.widths or (t.width,)
        for w in widths:
            if w not in (8, 16, 32, 64) or w > t.width:
                self.error(
                    f"{d.name} cannot take {w}-bit accesses: access widths are 8, 16, 32 or 64 and at most the register's {t.width}",
                    d.span,
                )
                return None
        if t.width not in widths:
            self.error(f"{d.name} must accept accesses of its own width ({t.width} bits)", d.span)
            return None
        where = None
        if d.where is not None:
            ctx = Context(f"the 'where' of {d.name}", reads_state=False)
            for loc in extra:
                ctx.scope.declare(loc.name, loc.type, False, loc.span)
            where = self.check.cond(self.check.expr(d.where, ctx), d.where.span)
        if frame.split is not None and t.width == 64 and access not in (ir.Access.READ_ONLY, *_FIXED) and 32 not in widths:
            self.error(
                f"{d.name} is a writable 64-bit register in frame {frame.name}, which splits 64-bit accesses into two"
                " 32-bit ones: let it take them ('widths 32, 64'), declare it as 32-bit halves, or drop the split",
                d.span,
            )
            return None
        handlers = self.handlers(d.name, t, access, d.handlers, extra, d.doc, d.span, mmio=True)
        if set(handlers) != {"read", "write"}:
            return None
        if where is not None:  # an absent element is RAZ/WI: its handlers never run
            handlers = {k: replace(a, requires=where) for k, a in handlers.items()}
        return Register(
            d.name, frame.name, t, access, handlers, index, d.offset, nbytes, tuple(sorted(widths)), where, d.doc, d.span
        )

    def action(self, d: A.ActionDecl) -> None:
        if not self.claim(d.name, d.span, "action"):
            return
        a = self.handler_action(d.name, ir.ActionKind.ENV, d.params, d.requires, d.body, d.span, None, d.doc)
        if a is not None:
            self.d.actions[d.name] = a

    # ---- properties -------------------------------------------------------------------------
    def action_for(self, ref: A.ActionRef) -> ir.Action | None:
        if ref.target in self.d.frames:
            frame = self.d.frames[ref.target]
            if ref.kind is None:
                self.error(
                    f"say which access of frame {ref.target}: {ref.target}.write(self, offset, width, val) or {ref.target}.read(self, offset, width)",
                    ref.span,
                )
                return None
            return frame.actions[ref.kind]
        if ref.target in self.d.sysregs or ref.target in self.d.registers:
            reg = self.d.sysregs.get(ref.target) or self.d.registers[ref.target]
            if ref.kind is None:
                self.error(f"say which access of {ref.target}: {ref.target}.write(...) or {ref.target}.read(...)", ref.span)
                return None
            if ref.kind not in reg.handlers:
                self.error(
                    f"{ref.target} has no '{ref.kind}' access ({reg.access})",
                    ref.span,
                    Note(f"{ref.target} declared here", reg.span),
                )
                return None
            return reg.handlers[ref.kind]
        if ref.target in self.d.actions:
            if ref.kind is not None:
                self.error(f"'{ref.target}' is an action, not a register: write {ref.target}(...)", ref.span)
                return None
            return self.d.actions[ref.target]
        known = sorted(self.d.sysregs) + sorted(self.d.registers) + sorted(self.d.frames) + sorted(self.d.actions)
        hint = f" (known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})" if known else ""
        self.error(f"unknown register or action '{ref.target}' in model {self.d.model}{hint}", ref.span)
        return None

    def bind_action(self, ref: A.ActionRef, action: ir.Action, ctx: Context) -> tuple[ir.Local, ...] | None:
        if len(ref.names) != len(action.params):
            sig = ", ".join(f"{p.name}: {p.type}" for p in action.params)
            self.error(f"{action.name} takes {len(action.params)} argument(s) ({sig}), {len(ref.names)} named", ref.span)
            return None
        out = []
        for n, p in zip(ref.names, action.params):
            self.check.check_fresh(n, ref.span, ctx)
            ctx.scope.declare(n, p.type, False, ref.span)
            out.append(ir.Local(n, p.type, ref.span))
        if ref.result is not None:
            if action.result is None:
                self.error(f"{action.name} returns no value: drop '-> {ref.result}'", ref.span)
                return None
            self.check.check_fresh(ref.result, ref.span, ctx)
        return tuple(out)

    def prop(self, d: A.ContractDecl | A.IndependenceDecl | A.InvariantDecl | A.FactDecl | A.CoverDecl, file: str) -> None:
        name = d.name
        span = d.span
        if name in self.d.property_files:
            self.error(
                f"property '{name}' is already defined",
                span,
                Note("previous definition here", self.spans.get("prop:" + name, span)),
            )
            return
        self.spans["prop:" + name] = span
        self.d.property_files[name] = file
        before = len(self.errors)
        prop: ir.Property | None = None
        match d:
            case A.FactDecl(body=b, doc=doc):
                ctx = Context(f"fact '{name}'", reads_state=False)
                prop = ir.Fact(name, self.check.cond(self.check.expr(b, ctx), b.span), doc, span)
            case A.InvariantDecl(body=b, doc=doc):
                ctx = Context(f"invariant '{name}'")
                prop = ir.Invariant(name, self.check.cond(self.check.expr(b, ctx), b.span), doc, span)
            case A.CoverDecl(body=b, doc=doc):
                ctx = Context(f"cover '{name}'")
                prop = ir.Cover(name, self.check.cond(self.check.expr(b, ctx), b.span), doc, span)
            case A.ContractDecl(action=ref, where=w, body=b, doc=doc):
                action = self.action_for(ref)
                ctx = Context(f"property '{name}'", primes=True)
                params = self.bind_action(ref, action, ctx) if action else None
                where = (
                    self.check.cond(self.check.expr(w, Context(f"property '{name}'", scope=ctx.scope)), w.span)
                    if w and params is not None
                    else None
                )
                if action and action.result is not None and ref.result and params is not None:
                    ctx.scope.declare(ref.result, action.result, False, ref.span)  # after `where`: the result is not known there
                body = self.check.cond(self.check.expr(b, ctx), b.span) if params is not None else None
                if action and params is not None and body is not None:
                    res = ir.Local(ref.result, action.result, ref.span) if ref.result and action.result else None
                    prop = ir.Contract(name, action.name, params, res, where, body, doc, span)
            case A.IndependenceDecl(action=ref, where=w, ignored=ign, doc=doc):
                action = self.action_for(ref)
                ctx = Context(f"property '{name}'")
                params = self.bind_action(ref, action, ctx) if action else None
                if action and params is not None:
                    where = self.check.cond(self.check.expr(w, ctx), w.span) if w else None
                    ignored = []
                    texts = []
                    for e in ign:
                        item = self.ignored_input(e, params, ctx)
                        if item is not None:
                            ignored.append(item)
                            texts.append(_expr_text(e))
                    prop = ir.Independence(name, action.name, params, where, tuple(ignored), tuple(texts), doc, span)
            case _:
                raise AssertionError(d)
        if prop is not None and len(self.errors) == before:
            self.d.properties.append(prop)

    def ignored_input(self, e: A.Expr, params: tuple[ir.Local, ...], ctx: Context) -> tuple[int, int, int] | None:
        pos = {p.name: i for i, p in enumerate(params)}
        v = self.check.expr(e, ctx)
        if isinstance(v, ir.Local) and v.name in pos and isinstance(v.type, (ir.BitsT, ir.IndexT)):
            return pos[v.name], ir.width_of(v.type) - 1, 0
        if isinstance(v, ir.Extract) and isinstance(v.arg, ir.Local) and v.arg.name in pos:
            return pos[v.arg.name], v.hi, v.lo
        if v is not ERR:  # an expression that failed to check has its error already
            self.error("'independent of' takes arguments of the access or their fields, such as val.TargetList", e.span)
        return None


def _expr_text(e: A.Expr) -> str:
    match e:
        case A.Name(name=n):
            return n
        case A.Field(base=b, name=n):
            return f"{_expr_text(b)}.{n}"
        case A.Slice(base=b, hi=A.IntLit(value=h), lo=A.IntLit(value=lo)):
            return f"{_expr_text(b)}[{h}:{lo}]"
    return "<expr>"


def load_design(spec_root: Path, model: str, overlay: Overlay | None = None) -> Design:
    """Resolve one model: the file that declares it and everything that file imports, with the
    overlay's replacements and additions (sema/overlay.py) if one is given."""
    models = find_models(spec_root)
    if model not in models:
        known = ", ".join(sorted(models)) or "none"
        raise ModelNotFound(f"no model '{model}' under {spec_root} (models found: {known})")
    info = models[model]
    errors: list[Diagnostic] = []
    files = _load_closure(Path(info.file), errors)
    decl = info.decl
    if overlay is not None and overlay.model_decl is not None:
        decl = overlay.model_decl
        overlay.applied.append(
            (
                f"replaced model {model}: vCPUs {decl.vcpus[0]}..{decl.vcpus[1]}" if decl.vcpus else f"replaced model {model}",
                decl.span,
            )
        )
    if decl.vcpus is None:
        errors.append(Diagnostic(f"model '{model}' must declare its vCPU range, e.g. 'vcpus 1..255'", decl.span))
        rng = (1, 1)
    else:
        lo, hi = decl.vcpus
        if lo < 1 or hi < lo or hi > _VCPU_LIMIT:
            errors.append(
                Diagnostic(
                    f"vCPU range {lo}..{hi} is not valid: it must lie within 1..{_VCPU_LIMIT} and not be empty",
                    decl.vcpus_span or decl.span,
                )
            )
        rng = (max(lo, 1), max(min(hi, _VCPU_LIMIT), 1))
    design = Design(model, rng, tuple(f.path for f in files), span=decl.span)
    r = _Resolver(design, errors)
    decls: list[A.Decl] = []
    for f in files:
        for d in f.decls:
            if isinstance(d, (A.ModelDecl, A.Import)):
                if isinstance(d, A.ModelDecl) and d.name != model:
                    if f.path == info.file or Path(f.path).resolve() == Path(info.file).resolve():
                        errors.append(
                            Diagnostic(
                                f"model '{d.name}' is declared in the same file as model '{model}'; declare one model per file",
                                d.span,
                            )
                        )
                    else:
                        errors.append(Diagnostic(f"model '{d.name}' is declared in a file imported by model '{model}'", d.span))
                continue
            if isinstance(d, A.UseModel):
                errors.append(Diagnostic("'use model' belongs in property files, not in spec files", d.span))
                continue
            if isinstance(d, (A.OverlayFor, A.Replace, A.ExpectDifferent, A.Relate)):
                errors.append(Diagnostic(_OVERLAY_ONLY, d.span))
                continue
            decls.append(d)
    if overlay is not None:
        decls = apply_to_spec(overlay, decls, errors)
        design.overlay = overlay
    r.declarations(decls)
    for f in files:
        for d in f.decls:
            if isinstance(d, (A.ContractDecl, A.IndependenceDecl, A.InvariantDecl, A.FactDecl, A.CoverDecl)):
                r.prop(d, f.path)
    if errors:
        raise SpecError(errors)
    return design


def property_models(paths: list[Path], known: set[str] | None = None) -> tuple[dict[str, list[A.SourceFile]], list[Diagnostic]]:
    """Parse property files and group them by the model each one `use`s (one of `known`, if given)."""
    errors: list[Diagnostic] = []
    groups: dict[str, list[A.SourceFile]] = {}
    for p in paths:
        try:
            src = parse_file(_display(p))
        except SpecError as err:
            errors += err.diagnostics
            continue
        uses = [d for d in src.decls if isinstance(d, A.UseModel)]
        if not uses:
            errors.append(Diagnostic("a property file must say which model it checks: 'use model gicv3'", src.span))
            continue
        if len(uses) > 1:
            errors.append(
                Diagnostic("a property file uses one model", uses[1].span, (Note("first 'use model' here", uses[0].span),))
            )
        if known is not None and uses[0].name not in known:
            errors.append(
                Diagnostic(f"no model '{uses[0].name}' in the spec (models: {', '.join(sorted(known)) or 'none'})", uses[0].span)
            )
            continue
        groups.setdefault(uses[0].name, []).append(src)
    return groups, errors


def load_properties(design: Design, files: list[A.SourceFile]) -> None:
    """Check property files against a resolved design, adding their properties to it."""
    errors: list[Diagnostic] = []
    r = _Resolver(design, errors)
    if design.overlay is not None:
        props = [(d, src.path) for src in files for d in src.decls if isinstance(d, PROPERTY_DECLS)]
        patched = apply_to_properties(design.overlay, [d for d, _ in props], errors)
        origin = {id(d): path for d, path in props}
        prop_files = [(d, origin.get(id(d), d.span.file)) for d in patched]  # type: ignore[union-attr]
    else:
        prop_files = None
    for src in files:
        helpers: list[A.Decl] = []
        for d in src.decls:
            if isinstance(d, (A.FnDecl, A.ConstDecl, A.TypeDecl, A.LayoutDecl)):
                helpers.append(d)
            elif isinstance(d, (A.StateDecl, A.SysregDecl, A.ActionDecl, A.ModelDecl, A.Import, A.ParamDecl, A.FrameDecl)):
                kind = type(d).__name__.replace("Decl", "").lower()
                errors.append(Diagnostic(f"a property file cannot declare {kind}s; put them in the spec", d.span))
            elif isinstance(d, (A.OverlayFor, A.Replace, A.ExpectDifferent, A.Relate)):
                errors.append(Diagnostic(_OVERLAY_ONLY, d.span))
        r.declarations(helpers)
        if prop_files is None:
            for d in src.decls:
                if isinstance(d, (A.ContractDecl, A.IndependenceDecl, A.InvariantDecl, A.FactDecl, A.CoverDecl)):
                    r.prop(d, src.path)
    for d, path in prop_files or []:
        r.prop(d, path)  # type: ignore[arg-type]
    if errors:
        raise SpecError(errors)
