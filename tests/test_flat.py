"""Small arrays held as their elements (checker/smt/flat.py) against Z3's arrays, at symbolic
indices (the differential test runs accesses on concrete values, whose indices are constants),
and the interpreter's quantifier filters (irwalk.quant_filters)."""

from __future__ import annotations

import z3

from checker import interp, ir
from checker.irwalk import quant_filters
from checker.smt import flat
from checker.smt.flat import Flat

W = 3  # index width: indices 0..7; the Flat holds 2..5, `other` elsewhere


def _pair() -> tuple[Flat, z3.ArrayRef]:
    elems = [z3.BitVec(f"e{i}", 8) for i in range(4)]
    other = z3.BitVec("other", 8)
    arr = z3.K(z3.BitVecSort(W), other)
    for j, e in enumerate(elems):
        arr = z3.Store(arr, z3.BitVecVal(2 + j, W), e)
    return Flat(2, tuple(elems), other), arr


def _valid(claim: z3.BoolRef) -> bool:
    s = z3.Solver()
    s.add(z3.Not(claim))
    return s.check() == z3.unsat


def test_a_read_at_a_symbolic_index_is_the_arrays_read_at_every_index() -> None:
    small, arr = _pair()
    i = z3.BitVec("i", W)
    assert _valid(flat.select(small, i) == z3.Select(arr, i))
    assert flat.select(small, z3.BitVecVal(3, W)).eq(small.elems[1])
    assert flat.select(small, z3.BitVecVal(7, W)).eq(small.other)


def test_a_write_at_a_symbolic_index_is_the_arrays_store_inside_and_nothing_outside() -> None:
    small, arr = _pair()
    i = z3.BitVec("i", W)
    new = flat.update_at(small, i, lambda e: e + 1)  # type: ignore[operator]
    stored = z3.Store(arr, i, z3.Select(arr, i) + 1)
    inside = z3.And(z3.UGE(i, 2), z3.ULE(i, 5))
    for j in range(8):
        jv = z3.BitVecVal(j, W)
        assert _valid(z3.Implies(inside, flat.select(new, jv) == z3.Select(stored, jv)))
        assert _valid(z3.Implies(z3.Not(inside), flat.select(new, jv) == z3.Select(arr, jv)))


def test_ite_and_equality_go_element_by_element() -> None:
    a, _ = _pair()
    b = Flat(a.lo, tuple(e + 1 for e in a.elems), a.other + 1)  # type: ignore[operator]
    c = z3.Bool("c")
    i = z3.BitVec("i", W)
    chosen = flat.ite(c, a, b)
    assert _valid(flat.select(chosen, i) == z3.If(c, flat.select(a, i), flat.select(b, i)))
    assert _valid(flat.equal(a, a)) and _valid(z3.Not(flat.equal(a, b)))
    assert flat.ite(z3.BoolVal(True), a, b) is a and flat.ite(c, a, a) is a


def test_nested_small_arrays_read_and_write_at_symbolic_indices() -> None:
    """pending[c][i] with both indices symbolic: a vCPU row of SGI/PPI bits, as in the spec."""
    rows = Flat(
        0, tuple(Flat(0, tuple(z3.Bool(f"p{c}_{i}") for i in range(4)), z3.BoolVal(False)) for c in range(2)), z3.BoolVal(False)
    )
    c, i = z3.BitVec("c", 1), z3.BitVec("i", 2)
    cleared = flat.update_at(rows, c, lambda row: flat.update_at(row, i, lambda _: z3.BoolVal(False)))  # type: ignore[arg-type]
    assert _valid(z3.Not(flat.select(flat.select(cleared, c), i)))  # type: ignore[arg-type]
    other_c = z3.BitVec("d", 1)
    kept = z3.Implies(other_c != c, flat.select(flat.select(cleared, other_c), i) == flat.select(flat.select(rows, other_c), i))  # type: ignore[arg-type]
    assert _valid(kept)


def _three_spis_goal() -> ir.Quant:
    """exists i, j, k: 0..99. i != j && j != k && i != k && a[i] && a[j] && a[k]"""
    idx = ir.IndexT("n", 0, 99, 7)
    arr_t = ir.ArrayT(idx, ir.BOOL)
    i, j, k = (ir.Local(n, idx) for n in "ijk")

    def act(v: ir.Local) -> ir.Expr:
        return ir.Select(ir.StateRef("a", arr_t), v, ir.BOOL)

    def ne(x: ir.Local, y: ir.Local) -> ir.Expr:
        return ir.Binop(ir.Op.NE, x, y, ir.BOOL)

    def conj(*xs: ir.Expr) -> ir.Expr:
        out = xs[0]
        for x in xs[1:]:
            out = ir.Binop(ir.Op.AND, out, x, ir.BOOL)
        return out

    return ir.Quant(ir.QuantKind.EXISTS, (i, j, k), conj(ne(i, j), ne(j, k), ne(i, k), act(i), act(j), act(k)))


def test_quantifier_filters_group_conjuncts_by_their_last_bound_variable() -> None:
    goal = _three_spis_goal()
    filters = quant_filters(goal)
    shown = [sorted(str(sorted(x.name for x in ir.walk(c) if isinstance(x, ir.Local))) for c in group) for group in filters]
    assert shown == [["['i']"], ["['i', 'j']", "['j']"], ["['i', 'k']", "['j', 'k']", "['k']"]]


def test_the_interpreter_decides_three_nested_bindings_by_their_filters() -> None:
    """Three of 100 entries true, then two: the answer is the brute force one."""
    goal = _three_spis_goal()
    system = ir.System("t", ir.VcpuRange(1, 1), {}, {}, {}, {})
    it = interp.Interp(system, 1)
    for ones, want in (({5, 50, 99}, True), ({5, 50}, False)):
        arr = interp.Array({}, lambda i, ones=ones: i in ones)  # type: ignore[misc]
        assert it.eval(goal, {}, {"a": arr}) is want
