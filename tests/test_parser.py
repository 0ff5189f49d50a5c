"""The parser builds exact AST nodes with exact spans."""

from checker.syntax import ast as A
from checker.syntax import parse


def S(line: int, col: int, end_line: int, end_col: int) -> A.Span:
    return A.Span("t.gic", line, col, end_line, end_col)


def test_layout_fields_and_doc_comment() -> None:
    src = "/// The affinity register.\nlayout MPIDR : bits(64) {\n    Aff0 [7:0]\n    RES1 [31]\n}\n"
    (decl,) = parse(src, "t.gic").decls
    assert decl == A.LayoutDecl(
        "MPIDR",
        64,
        (A.FieldDecl("Aff0", 7, 0, S(3, 5, 3, 15)), A.FieldDecl("RES1", 31, 31, S(4, 5, 4, 14))),
        S(2, 1, 5, 2),
        doc="The affinity register.",
    )


def test_state_with_named_indices_and_reset_value() -> None:
    (decl,) = parse("state enabled[c: vcpu][i: 0..31] : bool = i < 16", "t.gic").decls
    assert decl == A.StateDecl(
        "enabled",
        (
            A.IndexDecl("c", A.NamedType("vcpu", S(1, 18, 1, 22)), S(1, 14, 1, 23)),
            A.IndexDecl("i", A.RangeType(0, 31, S(1, 27, 1, 32)), S(1, 23, 1, 33)),
        ),
        A.BoolType(S(1, 36, 1, 40)),
        A.Binary("<", A.Name("i", S(1, 43, 1, 44)), A.IntLit(16, S(1, 47, 1, 49)), S(1, 43, 1, 49)),
        S(1, 1, 1, 49),
    )


def test_bitwise_binds_tighter_than_comparison() -> None:
    (decl,) = parse("fact f: 1 & 2 == 3", "t.gic").decls
    assert isinstance(decl, A.FactDecl)
    body = decl.body
    assert isinstance(body, A.Binary) and body.op == "=="
    assert isinstance(body.left, A.Binary) and body.left.op == "&"


def test_implication_is_right_associative_and_quantifier_scopes_to_the_end() -> None:
    (decl,) = parse("fact f: forall a, b: vcpu. a != b -> x -> y", "t.gic").decls
    assert isinstance(decl, A.FactDecl) and isinstance(decl.body, A.Quant)
    q = decl.body
    assert [b.name for b in q.binders] == ["a", "b"]
    assert q.binders[0].span == S(1, 16, 1, 17)
    assert isinstance(q.body, A.Binary) and q.body.op == "->"
    assert isinstance(q.body.right, A.Binary) and q.body.right.op == "->"


def test_contract_with_primed_state() -> None:
    src = "property p:\n    after ICC_SGI1R_EL1.write(self, val) where val.IRM == 1:\n        pending'[self][val.INTID]"
    (decl,) = parse(src, "t.gic").decls
    assert isinstance(decl, A.ContractDecl)
    assert decl.action == A.ActionRef("ICC_SGI1R_EL1", "write", ("self", "val"), S(2, 11, 2, 41))
    body = decl.body
    assert isinstance(body, A.Index) and isinstance(body.base, A.Index)
    assert body.base.base == A.Name("pending", S(3, 9, 3, 17), primed=True)


def test_independence_property() -> None:
    src = "property p: after R.write(s, v): independent of v.TargetList, v.RS"
    (decl,) = parse(src, "t.gic").decls
    assert isinstance(decl, A.IndependenceDecl)
    assert [e.name for e in decl.ignored if isinstance(e, A.Field)] == ["TargetList", "RS"]
    assert decl.where is None


def test_handler_statements() -> None:
    src = """sysreg R : L write-only {
    on write(self: vcpu, val: L) {
        var t = val.T
        for c in vcpu {
            if t == 0 { break } else if c == self { continue }
            t[c[3:0]] := 0
            x.F := 1
        }
        return
    }
}"""
    (decl,) = parse(src, "t.gic").decls
    assert isinstance(decl, A.SysregDecl) and decl.access == "write-only"
    (h,) = decl.handlers
    assert [p.name for p in h.params] == ["self", "val"]
    let, loop, ret = h.body
    assert isinstance(let, A.Let) and let.mutable and let.name == "t"
    assert isinstance(loop, A.For) and loop.var == "c"
    iff, assign_bit, assign_field = loop.body
    assert isinstance(iff, A.If) and isinstance(iff.then[0], A.Break)
    assert isinstance(iff.other[0], A.If) and isinstance(iff.other[0].then[0], A.Continue)
    assert isinstance(assign_bit, A.Assign) and isinstance(assign_bit.target.suffixes[0], A.LvIndex)
    assert isinstance(assign_field, A.Assign) and assign_field.target.suffixes == (A.LvField("F", S(7, 15, 7, 16)),)
    assert ret == A.Return(None, S(9, 9, 9, 15))


def test_literals_in_every_base() -> None:
    (decl,) = parse("const K = 0x1_0 + 0b11 + 7", "t.gic").decls
    assert isinstance(decl, A.ConstDecl)
    v = decl.value
    assert isinstance(v, A.Binary) and isinstance(v.left, A.Binary)
    assert (v.left.left, v.left.right, v.right) == (
        A.IntLit(16, S(1, 11, 1, 16)),
        A.IntLit(3, S(1, 19, 1, 23)),
        A.IntLit(7, S(1, 26, 1, 27)),
    )


def test_constructor_and_with() -> None:
    (decl,) = parse("fn f(v: vcpu) -> M = M(A = v[3:0]) with { B = 1 }", "t.gic").decls
    assert isinstance(decl, A.FnDecl)
    (ret,) = decl.body
    assert isinstance(ret, A.Return) and isinstance(ret.value, A.With)
    assert isinstance(ret.value.base, A.Construct) and ret.value.base.layout == "M"
    assert [f.name for f in ret.value.fields] == ["B"]


def test_shifts_are_one_token_and_bind_tighter_than_comparison() -> None:
    (decl,) = parse("fact f: x << 3 < y >> 1", "t.gic").decls
    assert isinstance(decl, A.FactDecl)
    body = decl.body
    assert isinstance(body, A.Binary) and body.op == "<"
    assert isinstance(body.left, A.Binary) and body.left.op == "<<"
    assert isinstance(body.right, A.Binary) and body.right.op == ">>"


def test_contract_on_a_read_names_its_result() -> None:
    (decl,) = parse("property p: after ICC_SRE_EL1.read(self) -> r: r.SRE == 1", "t.gic").decls
    assert isinstance(decl, A.ContractDecl)
    assert decl.action == A.ActionRef("ICC_SRE_EL1", "read", ("self",), S(1, 19, 1, 46), "r")
