"""Load a model's files (following imports), resolve its declarations, check property files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from checker import ir
from checker.diagnostics import Diagnostic, ModelNotFound, Note, SpecError
from checker.files import tree_files
from checker.model import Design
from checker.sema.check import ERR, Context
from checker.sema.overlay import PROPERTY_DECLS, Overlay, apply_to_properties, apply_to_spec
from checker.sema.registers import ActionSource, RegisterResolver
from checker.syntax import ast as A
from checker.syntax import parse_file

# The first vCPU count a model may declare, and the largest any KVM has allowed so far (512).
_VCPU_LIMIT = 4096


_OVERLAY_ONLY = "'overlay', 'replace', 'expect' and 'relate' belong in an overlay file (given to gicheck diff, or to --overlay)"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    file: str
    decl: A.ModelDecl


def _spec_files(root: Path) -> list[Path]:
    return tree_files(root, ".gic")


def _inside(path: Path, root: Path) -> bool:
    """Whether path, its links resolved, lies in root's tree."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def find_models(spec_root: Path) -> dict[str, ModelInfo]:
    """Every `model` declared under spec_root. Raises SpecError on parse errors or duplicates."""
    errors: list[Diagnostic] = []
    models: dict[str, ModelInfo] = {}
    for path in _spec_files(spec_root):
        if not _inside(path, spec_root):
            where = A.Span(str(path), 1, 1, 1, 1)
            errors.append(Diagnostic("a spec file that links outside the spec directory is not read", where, quote=False))
            continue
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


def _import_problem(d: A.Import, target: Path, root: Path) -> str | None:
    """Why an import is not followed; the file's text is never read for the message."""
    if not _inside(target, root):
        return f"imported file '{d.path}' is outside the spec directory {_display(root)}"
    if target.suffix != ".gic":
        return f"imported file '{d.path}' is not a .gic file"
    if not target.is_file():
        return f"imported file '{d.path}' does not exist"
    return None


def _load_closure(entry: Path, root: Path, errors: list[Diagnostic]) -> list[A.SourceFile]:
    """The entry file and everything it imports, dependencies first (a networkx DAG). Imports
    stay in root's tree."""
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
                problem = _import_problem(d, target, root)
                if problem is not None:
                    errors.append(Diagnostic(problem, d.span))
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


class _Resolver(RegisterResolver):
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

    def action(self, d: A.ActionDecl) -> None:
        if not self.claim(d.name, d.span, "action"):
            return
        a = self.handler_action(ActionSource(d.name, ir.ActionKind.ENV, d.params, d.requires, d.body, d.span, d.doc), None)
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
    files = _load_closure(Path(info.file), spec_root, errors)
    decl = info.decl
    if overlay is not None and overlay.model_decl is not None:
        decl = overlay.model_decl
        overlay.applied.append(
            (
                f"replaced model {model}: vCPUs {decl.vcpus[0]}..{decl.vcpus[1]}" if decl.vcpus else f"replaced model {model}",
                decl.span,
            )
        )
    design = Design(model, _vcpu_range(model, decl, errors), tuple(f.path for f in files), span=decl.span)
    r = _Resolver(design, errors)
    decls = _spec_decls(files, info, errors)
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


def _vcpu_range(model: str, decl: A.ModelDecl, errors: list[Diagnostic]) -> tuple[int, int]:
    if decl.vcpus is None:
        errors.append(Diagnostic(f"model '{model}' must declare its vCPU range, e.g. 'vcpus 1..255'", decl.span))
        return (1, 1)
    lo, hi = decl.vcpus
    if lo < 1 or hi < lo or hi > _VCPU_LIMIT:
        errors.append(
            Diagnostic(
                f"vCPU range {lo}..{hi} is not valid: it must lie within 1..{_VCPU_LIMIT} and not be empty",
                decl.vcpus_span or decl.span,
            )
        )
    return (max(lo, 1), max(min(hi, _VCPU_LIMIT), 1))


def _spec_decls(files: list[A.SourceFile], info: ModelInfo, errors: list[Diagnostic]) -> list[A.Decl]:
    """The declarations of a model's files, less those that do not belong in a spec file."""
    model = info.name
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
    return decls


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
        prop_files = [(d, origin.get(id(d), d.span.file)) for d in patched]
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
