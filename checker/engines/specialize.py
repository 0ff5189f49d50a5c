"""Fold a frame access's decoding down to the registers a property's offsets can reach.

A property such as `after GICD.write(self, offset, width, val) where offset >= 0xF00 && offset <
0xF30: ...` only ever runs the frame's decoder on those offsets, yet the decoder tests every
register of the frame, and each register's branch writes its state arrays. The solver then has to
show, array by array, that branches which cannot be taken change nothing, which can be slow
(bench/heuristics.md). Here every decoding test of the offset that the
`where` clause decides (the same answer for every offset it allows) is replaced by that answer and
the branch dropped, before the query is built. Nothing else changes: for every access the
property considers, the folded body takes the same branches as the original.
"""

from __future__ import annotations

from dataclasses import replace

from checker import ir
from checker.irwalk import cone, state_reads, state_writes

Interval = tuple[int, int]  # [lo, hi)
_TOP = 1 << 32  # offsets are bits(32)


_MAX_PATTERN_INTERVALS = 64  # a bit pattern is an interval per value of its free high bits


def offset_intervals(e: ir.Expr | None, name: str) -> list[Interval] | None:
    """The offsets `e` allows, as intervals, or None when it does not confine them."""
    if e is not None and (_is_and(e) or _fixed_bits(e, name) is not None):
        # the bit patterns among the conjuncts together (each alone may allow too many
        # intervals), intersected with what the other conjuncts allow
        fixed: list[tuple[int, int]] = []
        rest: list[Interval] | None = None
        for part in _conjuncts(e):
            if (bits := _fixed_bits(part, name)) is not None:
                fixed.append(bits)
            else:
                rest = _intersect(rest, offset_intervals(part, name))
        return _intersect(_pattern_intervals(fixed) if fixed else None, rest)
    match e:
        case ir.Binop(op=ir.Op.OR, left=a, right=b):
            x, y = offset_intervals(a, name), offset_intervals(b, name)
            return None if x is None or y is None else _normal(x + y)
        case ir.Binop(op=op, left=ir.Local(name=n), right=ir.Const(value=c)) if n == name and not isinstance(c, bool):
            return _compare(op, int(c))
        case ir.Binop(op=op, left=ir.Const(value=c), right=ir.Local(name=n)) if n == name and not isinstance(c, bool):
            flipped = {
                ir.Op.ULT: ir.Op.UGT,
                ir.Op.ULE: ir.Op.UGE,
                ir.Op.UGT: ir.Op.ULT,
                ir.Op.UGE: ir.Op.ULE,
                ir.Op.EQ: ir.Op.EQ,
            }.get(op)
            return _compare(flipped, int(c)) if flipped else None
    return None


def _is_and(e: ir.Expr) -> bool:
    return isinstance(e, ir.Binop) and e.op == ir.Op.AND


def _conjuncts(e: ir.Expr) -> list[ir.Expr]:
    if isinstance(e, ir.Binop) and _is_and(e):
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _fixed_bits(e: ir.Expr, name: str) -> tuple[int, int] | None:
    """(mask, value) when `e` is `name[hi:lo] == c` (or `c == name[hi:lo]`): the bits it fixes."""
    match e:
        case (
            ir.Binop(op=ir.Op.EQ, left=ir.Extract(arg=ir.Local(name=n), hi=hi, lo=lo), right=ir.Const(value=c))
            | ir.Binop(op=ir.Op.EQ, left=ir.Const(value=c), right=ir.Extract(arg=ir.Local(name=n), hi=hi, lo=lo))
        ) if n == name and not isinstance(c, bool):
            mask = ((1 << (hi - lo + 1)) - 1) << lo
            return mask, (int(c) << lo) & mask
    return None


def _pattern_intervals(fixed: list[tuple[int, int]]) -> list[Interval] | None:
    """The offsets whose bits match every (mask, value), as intervals: the free bits below the
    lowest fixed bit make one interval; each value of the free bits above it, another. None when
    that would be more than _MAX_PATTERN_INTERVALS intervals."""
    mask = value = 0
    for m, v in fixed:
        if (value ^ v) & mask & m:
            return []  # two conjuncts fix a bit to different values
        mask, value = mask | m, value | v
    if mask == 0:
        return None
    low = (mask & -mask).bit_length() - 1  # the free bits below the lowest fixed bit
    high = [b for b in range(low, 32) if not (mask >> b) & 1]
    if len(high) > _MAX_PATTERN_INTERVALS.bit_length() - 1:
        return None
    out = []
    for k in range(1 << len(high)):
        base = value | sum(((k >> i) & 1) << b for i, b in enumerate(high))
        out.append((base, base + (1 << low)))
    return _normal(out)


def _compare(op: ir.Op | None, c: int) -> list[Interval] | None:
    table = {ir.Op.UGE: (c, _TOP), ir.Op.UGT: (c + 1, _TOP), ir.Op.ULT: (0, c), ir.Op.ULE: (0, c + 1), ir.Op.EQ: (c, c + 1)}
    if op not in table:
        return None
    lo, hi = table[op]
    return [(lo, hi)] if lo < hi else []


def _intersect(x: list[Interval] | None, y: list[Interval] | None) -> list[Interval] | None:
    if x is None:
        return y
    if y is None:
        return x
    return _normal([(max(a, c), min(b, d)) for a, b in x for c, d in y if max(a, c) < min(b, d)])


def _normal(xs: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(xs):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _decide(e: ir.Expr, iv: list[Interval], name: str) -> bool | None:
    """The value of `e` when it is the same for every offset in `iv`, else None."""
    match e:
        case ir.Const(value=bool(v)):
            return v
        case ir.Binop(op=ir.Op.AND, left=a, right=b):
            x, y = _decide(a, iv, name), _decide(b, iv, name)
            if x is False or y is False:
                return False
            return True if x is True and y is True else None
        case ir.Binop(op=ir.Op.OR, left=a, right=b):
            x, y = _decide(a, iv, name), _decide(b, iv, name)
            if x is True or y is True:
                return True
            return False if x is False and y is False else None
        case ir.Unop(op=ir.UnOp.NOT, arg=a):
            x = _decide(a, iv, name)
            return None if x is None else not x
        case ir.Binop(op=op, left=lhs, right=ir.Const(value=c)) if op in (
            ir.Op.ULT,
            ir.Op.ULE,
            ir.Op.UGT,
            ir.Op.UGE,
            ir.Op.EQ,
            ir.Op.NE,
        ) and not isinstance(c, bool):
            shift = _offset_plus(lhs, name)
            if shift is None:
                return None
            shifted = [(lo + shift, hi + shift) for lo, hi in iv]
            if any(hi > _TOP for _, hi in shifted):
                return None  # the addition could wrap
            if op in (ir.Op.EQ, ir.Op.NE):
                hit = any(lo <= int(c) < hi for lo, hi in shifted)
                only = all((lo, hi) == (int(c), int(c) + 1) for lo, hi in shifted)
                same = False if not hit else (True if only else None)
                return same if same is None or op == ir.Op.EQ else not same
            # monotone in the offset: the ends of each interval decide
            answers = {_holds(op, v, int(c)) for lo, hi in shifted for v in (lo, hi - 1)}
            return answers.pop() if len(answers) == 1 else None
    return None


def _offset_plus(e: ir.Expr, name: str) -> int | None:
    match e:
        case ir.Local(name=n) if n == name:
            return 0
        case ir.Binop(op=ir.Op.ADD, left=ir.Local(name=n), right=ir.Const(value=c)) if n == name and not isinstance(c, bool):
            return int(c)
    return None


def _holds(op: ir.Op, v: int, c: int) -> bool:
    return {ir.Op.ULT: v < c, ir.Op.ULE: v <= c, ir.Op.UGT: v > c, ir.Op.UGE: v >= c, ir.Op.EQ: v == c, ir.Op.NE: v != c}[op]


def fold(body: tuple[ir.Stmt, ...], iv: list[Interval], name: str) -> tuple[ir.Stmt, ...]:
    """`body` with every `if` whose condition `iv` decides replaced by the branch taken."""
    out: list[ir.Stmt] = []
    for s in body:
        if isinstance(s, ir.If):
            d = _decide(s.cond, iv, name)
            if d is True:
                out += fold(s.then, iv, name)
            elif d is False:
                out += fold(s.other, iv, name)
            else:
                out.append(replace(s, then=fold(s.then, iv, name), other=fold(s.other, iv, name)))
        elif isinstance(s, ir.For):
            out.append(replace(s, body=fold(s.body, iv, name)))
        else:
            out.append(s)
    return tuple(out)


def final_action(system: ir.System, p: ir.Contract | ir.Independence) -> ir.Action:
    """The access `p` names, folded to the offsets `p.where` allows (the action unchanged when
    `p` is not about a whole-VM frame, or its `where` leaves the offset free). Only the
    property's own access may be folded: every earlier step of a trace decodes with the whole
    frame. A per-vCPU frame decodes offset modulo its stride, which this does not follow."""
    action = system.action(p.action)
    frame = system.frames.get(action.register or "")
    if frame is None or frame.per_vcpu or not action.kind.is_mmio or p.where is None:
        return action
    name = p.params[1].name  # (self, offset, width[, val]): the property's name for the offset
    iv = offset_intervals(p.where, name)
    if iv is None:
        return action
    # the action's own parameter is `offset`; the where clause names the property's local
    return replace(action, body=fold(action.body, iv, action.params[1].name))


def cone_for(system: ir.System, p: ir.Property) -> ir.System:
    """The part of `system` property `p` can depend on, as every engine takes it."""
    if isinstance(p, (ir.Contract, ir.Independence)):
        # the access folded to the property's offsets: a property on one register of a frame
        # depends on that register's handler, not on everything the frame's decoder can reach
        action = final_action(system, p)
        roots = (
            state_reads(p, system)
            | state_writes(action.body, system)
            | state_reads(action.body, system)
            | state_reads(action.requires, system)
        )
        return cone(system, roots, keep_actions=[p.action])
    return cone(system, state_reads(p, system))
