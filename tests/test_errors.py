"""Bad input: every error names its place, all errors of a file are reported, exit code 3 or 2."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SMALL_SPEC, run, write_tree

PROPS = "use model gicv3\nfact ok: true\n"


def check_spec(tmp_path: Path, spec: str, props: str = PROPS) -> tuple[int, str]:
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": props})
    code, out, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert "Traceback" not in err + out
    return code, err


def test_syntax_error_in_spec(tmp_path: Path) -> None:
    code, err = check_spec(tmp_path, "model gicv3 { vcpus 1..8 }\nstate s : = false\n")
    assert code == 3
    path = tmp_path / "spec/model.gic"
    assert f"{path}:2:11: error: expected 'bits', 'bool', a name or a number, found '='" in err
    assert " 2 | state s : = false\n   |           ^" in err


def test_syntax_error_in_handler_body(tmp_path: Path) -> None:
    spec = SMALL_SPEC.replace("pending[c][val.INTID] := true", "pending[c][val.INTID] = true")
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    assert "model.gic:14:35: error: expected '.', ':=' or '[', found '='" in err


def test_unknown_register_in_property(tmp_path: Path) -> None:
    props = "use model gicv3\nproperty p: after ICC_SGI0R_EL1.write(self, val): true\n"
    code, err = check_spec(tmp_path, SMALL_SPEC, props)
    assert code == 3
    assert (
        f"{tmp_path / 'p.prop'}:2:19: error: unknown register or action 'ICC_SGI0R_EL1' in model gicv3 (known: ICC_SGI1R_EL1)"
        in err
    )


def test_overlapping_fields(tmp_path: Path) -> None:
    spec = SMALL_SPEC.replace("IRM        [40]", "IRM        [40]\n    Bad        [27:26]")
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    path = tmp_path / "spec/model.gic"
    assert f"{path}:6:5: error: field 'Bad' overlaps field 'INTID' (bit 26)" in err
    assert f"{path}:4:5: note: 'INTID' declared here" in err


def test_property_names_missing_field(tmp_path: Path) -> None:
    props = "use model gicv3\nproperty p: after ICC_SGI1R_EL1.write(self, val) where val.RS == 0: true\n"
    code, err = check_spec(tmp_path, SMALL_SPEC, props)
    assert code == 3
    assert f"{tmp_path / 'p.prop'}:2:60: error: layout 'SGI1R' has no field 'RS'" in err
    assert "model.gic:2:1: note: 'SGI1R' declared here" in err


def test_all_errors_of_a_file_are_reported(tmp_path: Path) -> None:
    spec = SMALL_SPEC + "state a : bits(4) = 99\nfn f(x: vcpu) -> bool = y\nstate pending : bool\n"
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    assert "literal 99 does not fit in bits(4)" in err
    assert "unknown name 'y'" in err
    assert "state 'pending' is already defined" in err
    assert "gicheck: 3 errors" in err


def test_a_conditional_whose_literal_branch_does_not_fit_is_an_error_not_a_crash(tmp_path: Path) -> None:
    spec = SMALL_SPEC + "fn widen(x: bits(8)) -> bits(16) = x == 0xFF ? 0xFFFF : x\n"
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    n = len(SMALL_SPEC.splitlines()) + 1
    assert f"model.gic:{n}:48: error: literal 65535 does not fit in bits(8)" in err
    assert "internal error" not in err


def test_type_errors_point_at_the_expression(tmp_path: Path) -> None:
    spec = SMALL_SPEC.replace("pending[c][val.INTID] := true", "pending[c][val.INTID] := val.TargetList")
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    assert "model.gic:14:38: error: assignment: expected bool, found bits(16)" in err


def test_assigning_a_let_or_parameter(tmp_path: Path) -> None:
    spec = SMALL_SPEC.replace("for c in vcpu {", "let k = val.INTID\n        k := 1\n        for c in vcpu {")
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    assert "error: cannot assign to 'k': it is not a var" in err
    assert "note: 'k' defined here; declare it with 'var' to change it" in err


def test_function_reading_state_and_recursion(tmp_path: Path) -> None:
    """Functions may read state (enable_bits(c)), but a fact, which has no state, cannot call one,
    not even through another function."""
    spec = SMALL_SPEC + (
        "fn f(c: vcpu) -> bool = pending[c][0]\nfn f2(c: vcpu) -> bool = !f(c)\n"
        "fact x: forall c: vcpu. f2(c)\n"
        "fn g(c: vcpu) -> bool = h(c)\nfn h(c: vcpu) -> bool = g(c)\n"
    )
    code, err = check_spec(tmp_path, spec)
    assert code == 3
    line = SMALL_SPEC.count("\n") + 3
    assert f"model.gic:{line}:25: error: fact 'x' cannot call 'f2': it reads state" in err
    assert "functions must not recurse" in err


def test_import_cycle_and_missing_import(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "spec/a.gic": 'import "b.gic"\nmodel gicv3 { vcpus 1..2 }\n',
            "spec/b.gic": 'import "a.gic"\nimport "nope.gic"\n',
            "p.prop": PROPS,
        },
    )
    code, _, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    assert "b.gic:2:1: error: imported file 'nope.gic' does not exist" in err
    assert "error: import cycle:" in err


def test_bad_model_vcpu_range(tmp_path: Path) -> None:
    code, err = check_spec(tmp_path, "model gicv3 { vcpus 0..0 }\n")
    assert code == 3
    assert "model.gic:1:15: error: vCPU range 0..0 is not valid" in err


def test_vcpu_range_zero_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"spec/model.gic": SMALL_SPEC, "p.prop": PROPS})
    code, out, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop", "--vcpus", "0..0")
    assert (code, out) == (2, "")
    assert err == "gicheck: error: vCPU range 0..0 starts at 0: a VM has at least one vCPU\n"


def test_vcpu_range_outside_the_model(tmp_path: Path) -> None:
    write_tree(tmp_path, {"spec/model.gic": SMALL_SPEC, "p.prop": PROPS})
    code, _, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop", "--vcpus", "1..9")
    assert code == 2
    assert "model gicv3 allows 1..8 vCPUs; --vcpus 1..9 is outside it" in err


def test_property_file_without_model(tmp_path: Path) -> None:
    write_tree(tmp_path, {"spec/model.gic": SMALL_SPEC, "p.prop": "fact ok: true\n"})
    code, _, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    assert "p.prop:1:1: error: a property file must say which model it checks: 'use model gicv3'" in err


def test_missing_file_and_bad_flag(tmp_path: Path) -> None:
    code, _, err = run("prove", tmp_path / "nope.prop")
    assert code == 2 and "no such file or directory" in err
    code, _, err = run("prove", "--format", "xml")
    assert code == 2 and "invalid choice: 'xml'" in err


def test_unreadable_bytes_are_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec/model.gic").write_bytes(b"\xff\xfe model")
    (tmp_path / "p.prop").write_text(PROPS)
    code, _, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    assert "model.gic:1:1: error: cannot read file" in err


def test_every_declaration_with_a_syntax_error_is_reported(tmp_path: Path) -> None:
    props = "use model gicv3\nfact a: 1 +\nfact b: forall x: vcpu x\n/// fine\nfact c: true\nfact d: (1\n"
    code, err = check_spec(tmp_path, SMALL_SPEC, props)
    assert code == 3
    p = tmp_path / "p.prop"
    assert f"{p}:2:12: error: expected an expression, found 'fact' (the next declaration)" in err
    assert f"{p}:3:24: error: expected ',' or '.', found 'x'" in err
    assert f"{p}:6:11: error: expected ')', found end of file" in err
    assert "gicheck: 3 errors" in err


def test_read_handler_rules(tmp_path: Path) -> None:
    spec = (
        SMALL_SPEC + "sysreg R : bits(8) read-only {\n    on read(self: vcpu, x: bool) {\n        return 1\n    }\n}\n"
        "sysreg Q : bits(8) read-only {\n    on read(self: vcpu) {\n        if true { return 1 }\n    }\n}\n"
    )
    props = "use model gicv3\nproperty p: after ICC_SGI1R_EL1.write(self, val) -> r: true\n"
    code, err = check_spec(tmp_path, spec, props)
    assert code == 3
    assert "error: 'on read' of R takes (self: vcpu), found (self, x)" in err
    assert "error: handler Q.read can reach its end without returning a bits(8)" in err


def test_result_name_on_a_write(tmp_path: Path) -> None:
    props = "use model gicv3\nproperty p: after ICC_SGI1R_EL1.write(self, val) -> r: true\n"
    code, err = check_spec(tmp_path, SMALL_SPEC, props)
    assert code == 3
    assert "p.prop:2:19: error: ICC_SGI1R_EL1.write returns no value: drop '-> r'" in err
