"""Small arrays as the tuple of their elements, for unrollings from reset.

A state array indexed by a small range (the vCPUs of a search with a few of them, the 32 SGIs
and PPIs) is encoded as one term per element instead of a Z3 array: a read at a symbolic
index is a chain of Ifs over the elements, a write an If per element. After a step that
chooses between actions, every element is then a plain Boolean or bit-vector term, which the
SAT-based core bit-blasts; as Z3 arrays, the same choice is an If between arrays, which the
array solver handles badly (bench/heuristics.md).

An index outside the elements reads `other`, the value every such index holds at reset; a
write there is dropped. Only the unrollings from reset that choose among every action use
this form (Encoder.flat_max, Query(flat=True)), and every trace they find is replayed by the
interpreter, which keeps every index.

A `window` is a large array (the 992 SPIs) cut to its first few indices: the indices past them
exist, and the encoder asserts that every write there leaves them at `other` (Encoder.update).
A query over windows is an under-approximation: its runs are real runs, but an Unsat only says
that no run touching the window alone has the goal (Setting.window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import z3


@dataclass(frozen=True, eq=False)
class Flat:
    """An array whose element at index `lo + j` is `elems[j]`; `other` at any other index."""

    lo: int
    elems: tuple[Term, ...]
    other: Term
    window: bool = False

    def eq(self, o: object) -> bool:
        """The same terms (z3's ExprRef.eq, element by element)."""
        if self is o:
            return True
        return (
            isinstance(o, Flat)
            and o.lo == self.lo
            and o.window == self.window
            and len(o.elems) == len(self.elems)
            and all(a.eq(b) for a, b in zip(self.elems, o.elems))
            and self.other.eq(o.other)
        )


Term: TypeAlias = z3.ExprRef | Flat


_TRUE_ID = z3.BoolVal(True).get_id()
_FALSE_ID = z3.BoolVal(False).get_id()


def is_true(c: z3.ExprRef) -> bool:
    """z3.is_true by the term's id (true is one shared term in the context): z3.is_true builds
    the term's declaration each time, and the encoder asks this of most terms it makes."""
    return bool(c.get_id() == _TRUE_ID)


def is_false(c: z3.ExprRef) -> bool:
    return bool(c.get_id() == _FALSE_ID)


def ite(c: z3.BoolRef, a: Term, b: Term) -> Term:
    """If(c, a, b), element by element for small arrays."""
    if is_true(c):
        return a
    if is_false(c):
        return b
    if a.eq(b):
        return a
    if isinstance(a, Flat):
        assert isinstance(b, Flat) and b.lo == a.lo and len(b.elems) == len(a.elems)
        return Flat(a.lo, tuple(ite(c, x, y) for x, y in zip(a.elems, b.elems)), ite(c, a.other, b.other), a.window)
    assert not isinstance(b, Flat)
    return z3.If(c, a, b)


def _at(arr: Flat, idx: z3.BitVecRef, j: int) -> z3.BoolRef:
    return idx == z3.BitVecVal(arr.lo + j, idx.size())


def _covers(arr: Flat, idx: z3.BitVecRef) -> bool:
    """Every value of `idx` names an element (the array spans the index's whole width)."""
    return arr.lo == 0 and len(arr.elems) == 1 << idx.size()


def select(arr: Flat, idx: z3.ExprRef) -> Term:
    assert isinstance(idx, z3.BitVecRef)
    if z3.is_bv_value(idx):
        j = idx.as_long() - arr.lo
        return arr.elems[j] if 0 <= j < len(arr.elems) else arr.other
    out = arr.elems[-1] if _covers(arr, idx) else arr.other
    last = len(arr.elems) - 1 if _covers(arr, idx) else len(arr.elems)
    for j in reversed(range(last)):
        out = ite(_at(arr, idx, j), arr.elems[j], out)
    return out


def update_at(arr: Flat, idx: z3.ExprRef, f: Callable[[Term], Term]) -> Flat:
    """`arr` with the element at `idx` replaced by f(that element); nothing changes when `idx`
    names no element."""
    assert isinstance(idx, z3.BitVecRef)
    if z3.is_bv_value(idx):
        j = idx.as_long() - arr.lo
        if not 0 <= j < len(arr.elems):
            return arr
        return Flat(arr.lo, arr.elems[:j] + (f(arr.elems[j]),) + arr.elems[j + 1 :], arr.other, arr.window)
    return Flat(arr.lo, tuple(ite(_at(arr, idx, j), f(e), e) for j, e in enumerate(arr.elems)), arr.other, arr.window)


def outside(arr: Flat, idx: z3.ExprRef) -> z3.BoolRef:
    """`idx` names no element of `arr`."""
    assert isinstance(idx, z3.BitVecRef)
    w = idx.size()
    lo, hi = arr.lo, arr.lo + len(arr.elems)  # hi is past the last element
    below = z3.ULT(idx, z3.BitVecVal(lo, w)) if lo > 0 else z3.BoolVal(False)
    above = z3.UGE(idx, z3.BitVecVal(hi, w)) if hi < 1 << w else z3.BoolVal(False)
    return z3.simplify(z3.Or(below, above))


def equal(a: Term, b: Term) -> z3.BoolRef:
    """a == b, element by element for small arrays."""
    if isinstance(a, Flat):
        assert isinstance(b, Flat)
        return z3.And(*[equal(x, y) for x, y in zip(a.elems, b.elems)], equal(a.other, b.other))
    assert not isinstance(b, Flat)
    return a == b


def named(name: str, term: Term, add: Callable[[z3.BoolRef], None]) -> Term:
    """A constant named `name` standing for `term` (its definition given to `add`); a small
    array gets one per element, named by index, so models and dumped queries stay readable."""
    if isinstance(term, Flat):
        return Flat(
            term.lo,
            tuple(named(f"{name}[{term.lo + j}]", e, add) for j, e in enumerate(term.elems)),
            term.other,
            term.window,
        )
    v = z3.Const(name, term.sort())
    add(v == z3.simplify(term))
    return v


def plain(t: Term) -> z3.ExprRef:
    """`t`, which a query without small arrays (flat_max 0) or an argument always is, as a Z3 term."""
    assert not isinstance(t, Flat), "a small array where a Z3 term is needed"
    return t
