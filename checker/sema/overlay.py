"""Patch overlays: a file that names the model it patches and replaces or adds declarations.

An overlay is applied to the AST of a model's files before name resolution, so a patched spec is
checked exactly like a spec written that way; an error in the overlay's own declarations is
reported at the overlay's lines. What the overlay does to its spec (replace a declaration that
does not exist, add one that does, change a signature) is checked here, and each error points at
both places: the overlay's line and the spec's.

    overlay for model gicv3
    replace fn sgi_targets(...) -> ... { ... }          // any declaration, by kind and name
    replace register GICD_IGROUPR[n: 0..31] at ...     // a register keeps its frame
    replace ICC_SGI1R_EL1 on write(self: vcpu, val: SGI1R) { ... }   // one handler
    replace model gicv3 { vcpus 1..512 }
    replace frame GICD split 64 lower-first            // a frame's options; its registers stay
    replace property broadcast_reaches_all_others: ...
    state group[vcpu][private_intid]: bool = false      // plain declarations are additions
    expect different GICD_IGROUPR                      // what `gicheck diff` may find changed
    relate spi_cpu by widen_cpu                        // a state whose type changed: new = fn(old)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from checker.diagnostics import Diagnostic, Note, SpecError
from checker.syntax import ast as A
from checker.syntax import parse_file

_KIND_WORDS: dict[type, str] = {
    A.ConstDecl: "const",
    A.TypeDecl: "type",
    A.LayoutDecl: "layout",
    A.StateDecl: "state",
    A.FnDecl: "fn",
    A.ParamDecl: "param",
    A.SysregDecl: "sysreg",
    A.ActionDecl: "action",
    A.ModelDecl: "model",
    A.RegisterDecl: "register",
    A.FrameDecl: "frame",
    A.ContractDecl: "property",
    A.IndependenceDecl: "property",
    A.InvariantDecl: "invariant",
    A.FactDecl: "fact",
    A.CoverDecl: "cover",
}
PROPERTY_DECLS = (A.ContractDecl, A.IndependenceDecl, A.InvariantDecl, A.FactDecl, A.CoverDecl)
_SPEC_ADDS = (A.ConstDecl, A.TypeDecl, A.LayoutDecl, A.StateDecl, A.FnDecl, A.ParamDecl, A.SysregDecl, A.ActionDecl, A.FrameDecl)


@dataclass
class Overlay:
    """One or more overlay files for one model, parsed and sorted by what they patch."""

    model: str
    files: tuple[str, ...]
    span: A.Span  # the first `overlay for model` line
    spec_replaces: list[A.Replace] = field(default_factory=list)
    spec_adds: list[A.Decl] = field(default_factory=list)
    prop_replaces: list[A.Replace] = field(default_factory=list)
    prop_adds: list[A.Decl] = field(default_factory=list)
    model_decl: A.ModelDecl | None = None  # `replace model`
    expected: dict[str, A.Span] = field(default_factory=dict)  # `expect different` names
    expected_broken: dict[str, A.Span] = field(default_factory=dict)  # `expect broken` property names
    related: dict[str, A.Relate] = field(default_factory=dict)  # `relate STATE by FN`, by state
    applied: list[tuple[str, A.Span]] = field(default_factory=list)  # "replaced fn x", filled as applied


def kind_word(d: object) -> str:
    if isinstance(d, A.HandlerPatch):
        return "handler"
    if isinstance(d, A.FramePatch):
        return "frame"
    return _KIND_WORDS.get(type(d), type(d).__name__)


def _name(d: object) -> str:
    if isinstance(d, A.HandlerPatch):
        return f"{d.target} on {d.handler.kind}"
    return getattr(d, "name", "?")


def load_overlays(paths: list[Path]) -> Overlay:
    """Parse overlay files; they must all patch the same model. Raises SpecError."""
    srcs = _parse_all(paths)
    errors: list[Diagnostic] = []
    ov: Overlay | None = None
    for src in srcs:
        heads = [d for d in src.decls if isinstance(d, A.OverlayFor)]
        if not heads:
            errors.append(
                Diagnostic("an overlay file starts with 'overlay for model NAME', naming the model it patches", src.span)
            )
            continue
        for extra in heads[1:]:
            errors.append(
                Diagnostic("an overlay file names its model once", extra.span, (Note("first named here", heads[0].span),))
            )
        if ov is None:
            ov = Overlay(heads[0].model, (), heads[0].span)
        elif heads[0].model != ov.model:
            errors.append(
                Diagnostic(
                    f"this overlay patches model {heads[0].model}, another one given patches {ov.model}: one model per diff side",
                    heads[0].span,
                    (Note(f"patches {ov.model}", ov.span),),
                )
            )
            continue
        ov.files = (*ov.files, src.path)
        for d in src.decls:
            if not isinstance(d, A.OverlayFor):
                _add_decl(ov, d, heads[0].span, errors)
    if errors or ov is None:
        raise SpecError(errors or [Diagnostic("no overlay files given", A.Span("<overlay>", 1, 1, 1, 1))])
    _check_duplicates(ov.spec_replaces + ov.prop_replaces)
    return ov


def _parse_all(paths: list[Path]) -> list[A.SourceFile]:
    errors: list[Diagnostic] = []
    srcs: list[A.SourceFile] = []
    for p in paths:
        try:
            srcs.append(parse_file(p))
        except SpecError as err:
            errors += err.diagnostics
    if errors:
        raise SpecError(errors)
    return srcs


def _add_decl(ov: Overlay, d: A.Decl, head: A.Span, errors: list[Diagnostic]) -> None:
    """File one declaration of an overlay (`head` is its 'overlay for model' line)."""
    if isinstance(d, A.ExpectDifferent):
        for n in d.names:
            (ov.expected_broken if d.what == "broken" else ov.expected).setdefault(n, d.span)
    elif isinstance(d, A.Relate):
        if d.state in ov.related:
            errors.append(
                Diagnostic(f"state {d.state} is related twice", d.span, (Note("first related here", ov.related[d.state].span),))
            )
        else:
            ov.related[d.state] = d
    elif isinstance(d, A.Replace):
        _add_replace(ov, d, head, errors)
    elif isinstance(d, PROPERTY_DECLS):
        ov.prop_adds.append(d)
    elif isinstance(d, _SPEC_ADDS):
        ov.spec_adds.append(d)
    elif isinstance(d, A.ModelDecl):
        errors.append(Diagnostic(f"an overlay changes a model with 'replace model {d.name} {{ ... }}'", d.span))
    else:
        word = "import" if isinstance(d, A.Import) else "use model"
        errors.append(
            Diagnostic(f"an overlay cannot '{word}': it patches the model it names, with declarations of its own", d.span)
        )


def _add_replace(ov: Overlay, d: A.Replace, head: A.Span, errors: list[Diagnostic]) -> None:
    inner = d.decl
    if isinstance(inner, A.ModelDecl):
        if inner.name != ov.model:
            errors.append(
                Diagnostic(
                    f"this overlay patches model {ov.model}, not {inner.name}", inner.span, (Note("the model it patches", head),)
                )
            )
        elif ov.model_decl is not None:
            errors.append(
                Diagnostic(f"model {ov.model} is replaced twice", inner.span, (Note("first replaced here", ov.model_decl.span),))
            )
        else:
            ov.model_decl = inner
    elif isinstance(inner, PROPERTY_DECLS):
        ov.prop_replaces.append(d)
    else:
        ov.spec_replaces.append(d)


def _check_duplicates(reps: list[A.Replace]) -> None:
    seen: dict[tuple[str, str], A.Span] = {}
    errors = []
    for r in reps:
        key = (kind_word(r.decl), _name(r.decl))
        if key in seen:
            errors.append(Diagnostic(f"{key[0]} '{key[1]}' is replaced twice", r.span, (Note("first replaced here", seen[key]),)))
        else:
            seen[key] = r.span
    if errors:
        raise SpecError(errors)


def type_text(t: A.TypeExpr | None) -> str:
    match t:
        case A.BoolType():
            return "bool"
        case A.BitsType(width=w):
            return f"bits({w})"
        case A.RangeType(lo=lo, hi=hi):
            return f"{lo}..{hi}"
        case A.NamedType(name=n):
            return n
    return "?"


def _sig(params: tuple[A.Param, ...]) -> str:
    return "(" + ", ".join(f"{p.name}: {type_text(p.type)}" for p in params) + ")"


def _types(params: tuple[A.Param, ...]) -> list[str]:
    return [type_text(p.type) for p in params]


@dataclass(frozen=True)
class _Patching:
    """The spec's declarations while an overlay patches them, and where to find each by name."""

    ov: Overlay
    out: list[A.Decl]
    errors: list[Diagnostic]
    where: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, name) -> index in out
    regs: dict[str, tuple[int, int]] = field(default_factory=dict)  # register name -> (frame index, register index)
    by_name: dict[str, A.Decl] = field(default_factory=dict)

    def set_register(self, fi: int, ri: int, reg: A.RegisterDecl) -> None:
        frame = self.out[fi]
        assert isinstance(frame, A.FrameDecl)
        regs_t = list(frame.registers)
        regs_t[ri] = reg
        self.out[fi] = replace(frame, registers=tuple(regs_t))


def apply_to_spec(ov: Overlay, decls: list[A.Decl], errors: list[Diagnostic]) -> list[A.Decl]:
    """The spec's declarations with the overlay's replacements made and its additions appended."""
    p = _Patching(ov, list(decls), errors)
    for i, d in enumerate(p.out):
        if isinstance(d, A.FrameDecl):
            for j, r in enumerate(d.registers):
                p.regs[r.name] = (i, j)
                p.by_name.setdefault(r.name, r)  # type: ignore[arg-type]
        name = getattr(d, "name", None)
        if name is not None:
            p.where[(kind_word(d), name)] = i
            p.by_name.setdefault(name, d)
    for rep in ov.spec_replaces:
        new = rep.decl
        if isinstance(new, A.HandlerPatch):
            _patch_handler(p, rep, new)
        elif isinstance(new, A.FramePatch):
            _patch_frame(p, rep, new)
        elif isinstance(new, A.RegisterDecl):
            _replace_register(p, rep, new)
        else:
            _replace_decl(p, rep)
    for d in ov.spec_adds:
        name = getattr(d, "name", "?")
        if name in p.by_name:
            old = p.by_name[name]
            errors.append(
                Diagnostic(
                    f"{kind_word(d)} '{name}' adds a name the spec already has (a {kind_word(old)}); to change it, 'replace {kind_word(old)} {name} ...'",
                    d.span,
                    (Note("the spec's declaration", old.span),),
                )
            )
            continue
        p.out.append(d)
        ov.applied.append((f"added {kind_word(d)} {name}", d.span))
    return p.out


def _patch_frame(p: _Patching, rep: A.Replace, new: A.FramePatch) -> None:
    kind, name = kind_word(new), _name(new)
    if (kind, name) not in p.where:
        _missing(p, kind, name, rep)
        return
    i = p.where[(kind, name)]
    frame = p.out[i]
    assert isinstance(frame, A.FrameDecl)
    if new.stride is not None and frame.index is None:
        p.errors.append(
            Diagnostic(
                f"frame {name} is one frame, not one per vCPU: it has no stride",
                new.span,
                (Note(f"the spec's frame {name}", frame.span),),
            )
        )
        return
    p.out[i] = replace(
        frame,
        stride=new.stride if new.stride is not None else frame.stride,
        split=new.split if new.split is not None else frame.split,
    )
    what = ", ".join(
        x
        for x in (
            f"stride {new.stride:#x}" if new.stride is not None else "",
            f"split {new.split[0]} {new.split[1]}" if new.split else "",
        )
        if x
    )
    p.ov.applied.append((f"replaced frame {name} options: {what}", rep.span))


def _replace_register(p: _Patching, rep: A.Replace, new: A.RegisterDecl) -> None:
    kind, name = kind_word(new), _name(new)
    if name not in p.regs:
        _missing(p, kind, name, rep)
        return
    fi, ri = p.regs[name]
    frame = p.out[fi]
    assert isinstance(frame, A.FrameDecl)
    old_reg = frame.registers[ri]
    if (new.index is None) != (old_reg.index is None):
        shape = "a register array" if old_reg.index is not None else "a single register"
        p.errors.append(
            Diagnostic(
                f"register {name} is {shape} in the spec; its replacement must be too",
                new.span,
                (Note("the spec's register", old_reg.span),),
            )
        )
        return
    p.set_register(fi, ri, replace(new, doc=new.doc or old_reg.doc))
    p.ov.applied.append((f"replaced register {name} (frame {frame.name})", rep.span))


def _replace_decl(p: _Patching, rep: A.Replace) -> None:
    new = rep.decl
    kind, name = kind_word(new), _name(new)
    if (kind, name) not in p.where:
        _missing(p, kind, name, rep)
        return
    i = p.where[(kind, name)]
    old = p.out[i]
    if isinstance(new, (A.FnDecl, A.ActionDecl)) and _types(new.params) != _types(old.params):  # type: ignore[union-attr]
        p.errors.append(
            Diagnostic(
                f"{kind} {name} takes {_sig(old.params)} in the spec; its replacement takes {_sig(new.params)}",  # type: ignore[union-attr]
                new.span,
                (Note(f"the spec's {kind} {name}", old.span),),
            )
        )
        return
    if isinstance(new, A.FnDecl) and type_text(new.ret) != type_text(old.ret):  # type: ignore[union-attr]
        p.errors.append(
            Diagnostic(
                f"fn {name} returns {type_text(old.ret)} in the spec; its replacement returns {type_text(new.ret)}",  # type: ignore[union-attr]
                new.ret.span,
                (Note(f"the spec's fn {name}", old.span),),
            )
        )
        return
    p.out[i] = replace(new, doc=getattr(new, "doc", "") or getattr(old, "doc", ""))  # type: ignore[type-var,call-overload]
    p.ov.applied.append((f"replaced {kind} {name}", rep.span))


def _missing(p: _Patching, kind: str, name: str, rep: A.Replace) -> None:
    ov = p.ov
    other = p.by_name.get(name)
    if other is not None:
        p.errors.append(
            Diagnostic(
                f"replace {kind} {name}: {name} is a {kind_word(other)} in the spec of model {ov.model}, not a {kind}",
                rep.span,
                (Note(f"the {kind_word(other)} {name}", other.span),),
            )
        )
    else:
        p.errors.append(
            Diagnostic(
                f"replace {kind} {name}: the spec of model {ov.model} has no {kind} named {name} (to add one, declare it without 'replace')",
                rep.span,
                (Note(f"model {ov.model}", ov.span),),
            )
        )


def _handler_owner(p: _Patching, rep: A.Replace, target: str, kind: str) -> A.RegisterDecl | A.SysregDecl | None:
    """The register or sysreg whose handler a `replace TARGET on KIND` patches, or None after an error."""
    if target in p.regs:
        fi, ri = p.regs[target]
        frame = p.out[fi]
        assert isinstance(frame, A.FrameDecl)
        return frame.registers[ri]
    if ("sysreg", target) in p.where:
        return p.out[p.where[("sysreg", target)]]  # type: ignore[return-value]
    other = p.by_name.get(target)
    if other is not None:
        p.errors.append(
            Diagnostic(
                f"replace {target} on {kind}: {target} is a {kind_word(other)}, not a register; handlers belong to registers and system registers",
                rep.span,
                (Note(f"the {kind_word(other)} {target}", other.span),),
            )
        )
    else:
        p.errors.append(
            Diagnostic(
                f"replace {target} on {kind}: the spec of model {p.ov.model} has no register or system register named {target}",
                rep.span,
                (Note(f"model {p.ov.model}", p.ov.span),),
            )
        )
    return None


def _patch_handler(p: _Patching, rep: A.Replace, new: A.HandlerPatch) -> None:
    target = new.target
    kind = new.handler.kind
    owner = _handler_owner(p, rep, target, kind)
    if owner is None:
        return
    old = next((h for h in owner.handlers if h.kind == kind), None)
    if old is None:
        p.errors.append(
            Diagnostic(
                f"replace {target} on {kind}: {target} declares no 'on {kind}' handler (its access kind {owner.access} defines that access); replace the register instead",
                rep.span,
                (Note(f"the spec's {target}", owner.span),),
            )
        )
        return
    if _types(new.handler.params) != _types(old.params):
        p.errors.append(
            Diagnostic(
                f"the 'on {kind}' handler of {target} takes {_sig(old.params)} in the spec; its replacement takes {_sig(new.handler.params)}",
                new.handler.span,
                (Note("the spec's handler", old.span),),
            )
        )
        return
    handlers = tuple(new.handler if h is old else h for h in owner.handlers)
    if isinstance(owner, A.RegisterDecl):
        fi, ri = p.regs[target]
        p.set_register(fi, ri, replace(owner, handlers=handlers))
    else:
        p.out[p.where[("sysreg", target)]] = replace(owner, handlers=handlers)
    p.ov.applied.append((f"replaced the 'on {kind}' handler of {target}", rep.span))


def apply_to_properties(ov: Overlay, decls: list[A.Decl], errors: list[Diagnostic]) -> list[A.Decl]:
    """Property declarations (of the spec and property files) with the overlay's replaced and
    added properties."""
    out = list(decls)
    index = {getattr(d, "name", None): i for i, d in enumerate(out)}
    for rep in ov.prop_replaces:
        new = rep.decl
        name = _name(new)
        if name not in index:
            errors.append(
                Diagnostic(
                    f"replace {kind_word(new)} {name}: model {ov.model} has no property named {name} in the property files checked (to add one, declare it without 'replace')",
                    rep.span,
                    (Note(f"model {ov.model}", ov.span),),
                )
            )
            continue
        old = out[index[name]]
        out[index[name]] = replace(new, doc=getattr(new, "doc", "") or getattr(old, "doc", ""))  # type: ignore[type-var,call-overload]
        ov.applied.append((f"replaced {kind_word(new)} {name}", rep.span))
    for d in ov.prop_adds:
        name = getattr(d, "name", "?")
        if name in index:
            errors.append(
                Diagnostic(
                    f"property '{name}' is already declared; to change it, 'replace {kind_word(d)} {name} ...'",
                    d.span,
                    (Note("declared here", out[index[name]].span),),
                )
            )
            continue
        out.append(d)
        ov.applied.append((f"added {kind_word(d)} {name}", d.span))
    return out
