"""Resolving sysregs, frames, registers and their handlers (and handlers' `refines` clauses)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, cast

from checker import ir
from checker.diagnostics import Note
from checker.model import Frame, Register, Sysreg
from checker.sema.check import ERR_T, Context, always_returns
from checker.sema.declare import Declarer
from checker.sema.mmio import RESERVED, frame_actions
from checker.syntax import ast as A

_FIXED = (ir.Access.RAZ_WI, ir.Access.RAO_WI)  # access kinds that define both accesses


@dataclass(frozen=True)
class ActionSource:
    """What an action or handler declares, before checking."""

    name: str
    kind: ir.ActionKind
    params: tuple[A.Param, ...]
    requires: A.Expr | None
    body: tuple[A.Stmt, ...]
    span: A.Span
    doc: str


@dataclass(frozen=True)
class RegisterSpec:
    """A register or system register whose handlers are checked: `extra` are its implicit
    parameters (`rd` of a per-vCPU frame, `n` of an array)."""

    name: str
    type: ir.Type
    access: ir.Access
    decls: tuple[A.Handler, ...]
    extra: tuple[ir.Local, ...]
    doc: str
    span: A.Span
    mmio: bool


class RegisterResolver(Declarer):
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
            cases.append(ir.RefineCase(c.action, args, cond, c.span))
        if len(self.errors) == before:
            self.d.refinements.append(ir.Refinement(handler.name, handler.params, result, tuple(cases), h.span))

    # ---- declarations -----------------------------------------------------------------------

    def handler_action(
        self, src: ActionSource, register: str | None, result: object = None, extra: tuple[ir.Local, ...] = ()
    ) -> ir.Action | None:
        """An action or handler checked; `extra` are a register's implicit parameters, after `self`."""
        name = src.name
        returns = result if isinstance(result, (ir.BitsT, ir.BoolT, ir.IndexT)) else None
        ctx = Context(f"{'handler' if register else 'action'} {name}", writes_state=True, returns=returns)
        for loc in extra:
            ctx.scope.declare(loc.name, loc.type, False, loc.span)
        ps = self.params(src.params, ctx)
        if ps is not None and extra:
            ps = ps[:1] + list(extra) + ps[1:]
        req = None
        if src.requires is not None:
            req = self.check.cond(self.check.expr(src.requires, ctx), src.requires.span)
        body_ir = self.check.block(src.body, ctx)
        if returns is not None and not always_returns(body_ir):
            self.error(f"handler {name} can reach its end without returning a {returns}", src.span)
        if ps is None:
            return None
        return ir.Action(name, src.kind, tuple(ps), req, body_ir, register, src.doc, src.span, returns)

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

    def handlers(self, reg: RegisterSpec) -> dict[str, ir.Action]:
        """The read and write actions of a register: its handlers, checked against its access
        kind, and what the kind defines (RAZ/WI reads 0 and ignores writes, RAO/WI reads all ones;
        an MMIO write-only register reads as zero, an MMIO read-only register ignores writes)."""
        name, access = reg.name, reg.access
        required, allowed = self._KIND_HANDLERS[access]
        out: dict[str, ir.Action] = {}
        for h in reg.decls:
            if h.kind not in allowed:
                what = "no handlers: the kind defines both accesses" if not allowed else f"only 'on {next(iter(allowed))}'"
                self.error(f"{name} is {access}: it takes {what}", h.span)
                continue
            if h.kind in out:
                self.error(f"{name} has two 'on {h.kind}' handlers", h.span)
                continue
            a = self.handler(reg, h)
            if a is not None:
                out[h.kind] = a
                if h.refines or h.result is not None:
                    self.refining.append((a, h))
        missing = sorted(required - {h.kind for h in reg.decls})
        for k in missing:
            self.error(f"{name} is {access}: it needs an 'on {k}' handler", reg.span)
        if isinstance(reg.type, ir.BitsT) and not missing:
            self.defined_accesses(reg, reg.type, out)
        return out

    def handler(self, reg: RegisterSpec, h: A.Handler) -> ir.Action | None:
        """One declared handler, its parameters checked against the register's type."""
        name, t = reg.name, reg.type
        got = [p.name for p in h.params]
        pt = [self.check.type(p.type) for p in h.params]
        if h.kind == A.HandlerKind.READ:
            if len(h.params) != 1 or pt[0] != ir.VCPU:
                self.error(f"'on read' of {name} takes (self: vcpu), found ({', '.join(got)})", h.span)
                return None
            src = ActionSource(f"{name}.read", ir.ActionKind.of(reg.mmio, write=False), h.params, None, h.body, h.span, reg.doc)
            return self.handler_action(src, name, t, reg.extra)
        if len(h.params) != 2 or pt[0] != ir.VCPU or (pt[1] is not ERR_T and cast(object, t) is not ERR_T and pt[1] != t):
            found = ", ".join(f"{p.name}: {ty}" for p, ty in zip(h.params, pt))
            self.error(f"'on write' of {name} takes (self: vcpu, val: {t}), found ({found})", h.span)
            return None
        src = ActionSource(f"{name}.write", ir.ActionKind.of(reg.mmio, write=True), h.params, None, h.body, h.span, reg.doc)
        return self.handler_action(src, name, None, reg.extra)

    @staticmethod
    def defined_accesses(reg: RegisterSpec, t: ir.BitsT, out: dict[str, ir.Action]) -> None:
        """Add the accesses the register's kind defines and its handlers do not."""
        name, access, mmio, doc, span, extra = reg.name, reg.access, reg.mmio, reg.doc, reg.span, reg.extra
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
        reg = RegisterSpec(d.name, t, access, d.handlers, (), d.doc, d.span, mmio=False)  # type: ignore[arg-type]
        handlers = self.handlers(reg)
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

    def register_index(self, frame: A.FrameDecl, d: A.RegisterDecl, ix: A.FrameIndex, rd: ir.Local | None) -> ir.Local | None:
        """The index `[n: 0..31]` of a register array, or None after an error."""
        it = self.check.index_type(ix.type, f"the index of {d.name}")
        if it is None:
            return None
        if it.is_vcpu:
            self.error(
                "a register array is indexed by a range such as 0..31, not vcpu (per-vCPU frames take [rd: vcpu])",
                ix.type.span,
            )
            return None
        if ix.name in RESERVED:
            self.error(
                f"'{ix.name}' names a parameter of every frame access ({', '.join(RESERVED)}); pick another name",
                ix.span,
            )
            return None
        if rd is not None and ix.name == rd.name:
            self.error(f"'{ix.name}' already names the vCPU of frame {frame.name}", ix.span)
            return None
        return ir.Local(ix.name, it, ix.span)

    def widths_ok(self, d: A.RegisterDecl, t: ir.BitsT, widths: tuple[int, ...]) -> bool:
        for w in widths:
            if w not in (8, 16, 32, 64) or w > t.width:
                self.error(
                    f"{d.name} cannot take {w}-bit accesses: access widths are 8, 16, 32 or 64 and at most the register's {t.width}",
                    d.span,
                )
                return False
        if t.width not in widths:
            self.error(f"{d.name} must accept accesses of its own width ({t.width} bits)", d.span)
            return False
        return True

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
            index = self.register_index(frame, d, d.index, rd)
            if index is None:
                return None
            extra.append(index)
        widths = d.widths or (t.width,)
        if not self.widths_ok(d, t, widths):
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
        handlers = self.handlers(RegisterSpec(d.name, t, access, d.handlers, tuple(extra), d.doc, d.span, mmio=True))
        if set(handlers) != {"read", "write"}:
            return None
        if where is not None:  # an absent element is RAZ/WI: its handlers never run
            handlers = {k: replace(a, requires=where) for k, a in handlers.items()}
        return Register(
            d.name, frame.name, t, access, handlers, index, d.offset, nbytes, tuple(sorted(widths)), where, d.doc, d.span
        )
