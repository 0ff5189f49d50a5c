"""Memory-mapped frames as actions: decode an access (offset, width) to a register and run it.

A frame access is `F.read(self, offset, width) -> bits(64)` or `F.write(self, offset, width, val)`
with `width` in bits (8, 16, 32 or 64) and `offset` from the start of the frame (of the first
frame, for a per-vCPU frame: the vCPU is `offset / stride`). The decoding follows KVM:

- an offset that no register covers, an element of an array whose `where` is false (per-IRQ
  registers beyond the configured number of interrupts), a width the register does not accept
  and an access not aligned to its own width read as zero and ignore writes (new vgic:
  check_region() and dispatch_mmio_read/write(); the 2014 vgic gave the same for unmapped
  offsets and injected an abort for wrong widths);
- a narrower access than the register reaches its handlers as a whole-register access, as
  vgic_reg_access() does in the 2014 vgic: a read returns the addressed bytes of the register's
  value; a write to a read-write register merges the bytes into the value read, and a write to
  a write-1-to-set or write-1-to-clear register writes the bytes with zeros around them (zeros
  change nothing there);
- in a frame declared `split 64 upper-first` (the 2014 GICv3 frames: vgic_v3_handle_mmio
  splits any access wider than 4 bytes), a 64-bit access is two 32-bit accesses, the upper word
  (offset + 4) first, and a read returns upper << 32 | lower.
"""

from __future__ import annotations

from checker import ir
from checker.model import Frame, Register
from checker.span import Span
from checker.syntax import ast as A

OFFSET_T = ir.BitsT(32)
WIDTH_T = ir.IndexT("width", 8, 64, 7)
VALUE_T = ir.BitsT(64)
RESERVED = ("self", "offset", "width", "val")  # the frame actions' own parameters


def _c(v: int, t: ir.Type) -> ir.Const:
    return ir.Const(v, t)


def _b(op: ir.Op, a: ir.Expr, b: ir.Expr, t: ir.Type | None = None) -> ir.Expr:
    if t is None:
        t = ir.BOOL if op.is_bool else a.type
    return ir.Binop(op, a, b, t)


def _resize(e: ir.Expr, w: int) -> ir.Expr:
    have = ir.width_of(e.type)
    if have == w:
        return e
    if have > w:
        return ir.Extract(e, w - 1, 0, ir.BitsT(w))
    return ir.ZExt(e, ir.BitsT(w))


def _and(*xs: ir.Expr) -> ir.Expr:
    out = xs[0]
    for x in xs[1:]:
        out = _b(ir.Op.AND, out, x)
    return out


def _or(xs: list[ir.Expr]) -> ir.Expr:
    out = xs[0]
    for x in xs[1:]:
        out = _b(ir.Op.OR, out, x)
    return out


def _log2(v: int) -> int:
    return v.bit_length() - 1


def _assign_local(name: str, t: ir.Type, value: ir.Expr) -> ir.Assign:
    return ir.Assign(ir.Target(name, False, (), t), value)


class _Builder:
    def __init__(self, frame: Frame, regs: list[Register], span: Span):
        self.f = frame
        self.regs = regs
        self.span = span

    def _args(self, r: Register, extra: tuple[ir.Expr, ...] = ()) -> tuple[ir.Expr, ...]:
        out: list[ir.Expr] = [ir.Local("self", ir.VCPU)]
        if self.f.index is not None:
            out.append(ir.Local(self.f.index.name, ir.VCPU))
        if r.index is not None:
            out.append(ir.Local(r.index.name, r.index.type))
        return (*out, *extra)

    def dispatch(self, off: ir.Expr, width: ir.Expr, val: ir.Expr | None, res: str | None) -> tuple[ir.Stmt, ...]:
        """One access that is not split: decode `off`, run the register, leave a read in `res`."""
        pre: list[ir.Stmt] = []
        inner: ir.Expr = off
        mapped: list[ir.Expr] = []
        if self.f.index is not None:
            rd = self.f.index.name
            shift = _log2(self.f.stride)
            pre.append(ir.Let(rd, _b(ir.Op.LSHR, off, _c(shift, OFFSET_T))))
            pre.append(ir.Let("_inner", _b(ir.Op.BAND, off, _c(self.f.stride - 1, OFFSET_T))))
            inner = ir.Local("_inner", OFFSET_T)
            mapped.append(_b(ir.Op.ULT, ir.Local(rd, ir.VCPU), ir.NrVcpus()))
        if self.f.size < (1 << 32):
            mapped.append(_b(ir.Op.ULT, inner, _c(self.f.size, OFFSET_T)))
        chain: tuple[ir.Stmt, ...] = ()
        for r in reversed(self.regs):
            lo, hi = (r.index.type.lo, r.index.type.hi) if r.index else (0, 0)  # type: ignore[union-attr]
            first, end = r.offset + lo * r.bytes, r.offset + (hi + 1) * r.bytes  # type: ignore[operator]
            hit = _and(_b(ir.Op.UGE, inner, _c(first, OFFSET_T)), _b(ir.Op.ULT, inner, _c(end, OFFSET_T)))
            chain = (ir.If(hit, self.register(r, inner, width, val, res), chain),)
        return (*pre, ir.If(_and(*mapped), chain, ())) if mapped else (*pre, *chain)

    def register(self, r: Register, inner: ir.Expr, width: ir.Expr, val: ir.Expr | None, res: str | None) -> tuple[ir.Stmt, ...]:
        rw = r.bytes * 8
        rt = r.type
        out: list[ir.Stmt] = []
        rel = _b(ir.Op.SUB, inner, _c(r.offset, OFFSET_T))
        if r.index is not None:
            out.append(ir.Let(r.index.name, _resize(_b(ir.Op.LSHR, rel, _c(_log2(r.bytes), OFFSET_T)), r.index.type.width)))  # type: ignore[union-attr]
        out.append(ir.Let("_lane", _b(ir.Op.BAND, rel, _c(r.bytes - 1, OFFSET_T))))
        lane = ir.Local("_lane", OFFSET_T)
        shift = _b(ir.Op.SHL, _resize(lane, rw), _c(3, ir.BitsT(rw)))  # the lane's first bit
        ok = [
            _and(
                _b(ir.Op.EQ, width, _c(w, WIDTH_T)), _b(ir.Op.EQ, _b(ir.Op.BAND, lane, _c(w // 8 - 1, OFFSET_T)), _c(0, OFFSET_T))
            )
            for w in r.widths
        ]
        cond = _or(ok)
        if r.where is not None:
            cond = _and(cond, r.where)
        body: list[ir.Stmt] = []
        if val is None:
            assert res is not None
            body.append(ir.Invoke(f"{r.name}.read", self._args(r), "_reg"))
            reg = ir.Local("_reg", rt)
            for w in r.widths:
                part = _resize(_resize(_b(ir.Op.LSHR, reg, shift), w), 64)
                body.append(ir.If(_b(ir.Op.EQ, width, _c(w, WIDTH_T)), (_assign_local(res, VALUE_T, part),), ()))
        else:
            for w in r.widths:
                part = _b(ir.Op.SHL, _resize(_resize(val, w), rw), shift) if w < rw else _resize(val, rw)
                if w < rw and r.access == ir.Access.READ_WRITE:
                    mask = _b(ir.Op.SHL, _c((1 << w) - 1, ir.BitsT(rw)), shift)
                    merged = _b(ir.Op.BOR, _b(ir.Op.BAND, ir.Local("_cur", rt), ir.Unop(ir.UnOp.BNOT, mask, ir.BitsT(rw))), part)
                    steps: tuple[ir.Stmt, ...] = (
                        ir.Invoke(f"{r.name}.read", self._args(r), "_cur"),
                        ir.Invoke(f"{r.name}.write", self._args(r, (merged,))),
                    )
                else:
                    steps = (ir.Invoke(f"{r.name}.write", self._args(r, (part,))),)
                body.append(ir.If(_b(ir.Op.EQ, width, _c(w, WIDTH_T)), steps, ()))
        out.append(ir.If(cond, tuple(body), ()))
        return tuple(out)

    def write(self) -> ir.Action:
        off, width, val = ir.Local("offset", OFFSET_T), ir.Local("width", WIDTH_T), ir.Local("val", VALUE_T)
        whole = self.dispatch(off, width, val, None)
        body: tuple[ir.Stmt, ...] = whole
        if self.f.split is not None:
            halves = [
                (_b(ir.Op.ADD, off, _c(4, OFFSET_T)), ir.Extract(val, 63, 32, ir.BitsT(32))),
                (off, ir.Extract(val, 31, 0, ir.BitsT(32))),
            ]
            if self.f.split[1] == A.SplitOrder.LOWER_FIRST:
                halves.reverse()
            split: list[ir.Stmt] = []
            for o, v in halves:
                split += self.dispatch(o, _c(32, WIDTH_T), _resize(v, 64), None)
            body = (ir.If(_b(ir.Op.EQ, width, _c(64, WIDTH_T)), tuple(split), whole),)
        return self._action(True, (off, width, val), body, None)

    def read(self) -> ir.Action:
        off, width = ir.Local("offset", OFFSET_T), ir.Local("width", WIDTH_T)
        res = ir.Local("_res", VALUE_T)
        whole = (ir.Let("_res", _c(0, VALUE_T)), *self.dispatch(off, width, None, "_res"))
        body: tuple[ir.Stmt, ...] = whole
        if self.f.split is not None:
            hi_first = self.f.split[1] == A.SplitOrder.UPPER_FIRST
            parts: list[ir.Stmt] = []
            order = [(_b(ir.Op.ADD, off, _c(4, OFFSET_T)), "_hi"), (off, "_lo")]
            if not hi_first:
                order.reverse()
            for o, name in order:
                parts += [ir.Let(name, _c(0, VALUE_T)), *self.dispatch(o, _c(32, WIDTH_T), None, name)]
            combined = _b(
                ir.Op.BOR,
                _b(ir.Op.SHL, ir.Local("_hi", VALUE_T), _c(32, VALUE_T)),
                _b(ir.Op.BAND, ir.Local("_lo", VALUE_T), _c(0xFFFFFFFF, VALUE_T)),
            )
            parts.append(_assign_local("_res", VALUE_T, combined))
            body = (ir.Let("_res", _c(0, VALUE_T)), ir.If(_b(ir.Op.EQ, width, _c(64, WIDTH_T)), tuple(parts), whole[1:]))
        return self._action(False, (off, width), (*body, ir.Return(res)), VALUE_T)

    def _action(self, write: bool, params: tuple[ir.Local, ...], body: tuple[ir.Stmt, ...], result: ir.Type | None) -> ir.Action:
        off, width = params[0], params[1]
        legal = _or([_b(ir.Op.EQ, width, _c(w, WIDTH_T)) for w in (8, 16, 32, 64)])
        if self.f.index is not None:
            inside = _b(ir.Op.ULT, _b(ir.Op.LSHR, off, _c(_log2(self.f.stride), OFFSET_T)), ir.NrVcpus())
        else:
            inside = _b(ir.Op.ULT, off, _c(self.f.size, OFFSET_T))
        return ir.Action(
            f"{self.f.name}.{'write' if write else 'read'}",
            ir.ActionKind.of(mmio=True, write=write),
            (ir.Local("self", ir.VCPU, self.span), *params),
            _and(legal, inside),
            body,
            self.f.name,
            self.f.doc,
            self.span,
            result,
        )


def frame_actions(frame: Frame, regs: list[Register]) -> tuple[ir.Action, ir.Action]:
    """The read and write access actions of a frame."""
    b = _Builder(frame, sorted(regs, key=lambda r: r.offset), frame.span)
    return b.read(), b.write()
