"""Hostile input in spec, property and overlay files: huge shifts and numbers, imports that leave
the spec directory, operator chains thousands deep. Each is a located error (exit 3) or a
verdict, never a crash, a hang, or a quoted line of a file that is not the user's spec."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.diagnostics import Diagnostic, format_diagnostic
from checker.span import Span
from checker.syntax.limits import MAX_DEPTH
from tests.helpers import SMALL_SPEC, run, write_tree

SPEC = SMALL_SPEC + "const T : bool = true\n"


def prove(tmp_path: Path, props: str, spec: str = SPEC) -> tuple[int, str, str]:
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": "use model gicv3\n" + props})
    code, out, err = run("prove", "--spec", tmp_path / "spec", "--vcpus", "1..2", tmp_path / "p.prop")
    assert "Traceback" not in out + err
    return code, out, err


def errors_of(tmp_path: Path, props: str) -> list[str]:
    code, _, err = prove(tmp_path, props)
    assert code == 3, err
    p = tmp_path / "p.prop"
    return [line.removeprefix(f"{p}:") for line in err.splitlines() if line.startswith(f"{p}:")]


# ---- D3: shifts ------------------------------------------------------------------------------


def test_a_huge_constant_shift_is_an_error_not_a_huge_number(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "fact p: (1 << 99999999999) == 0\n") == [
        "2:15: error: shift amount 99999999999 is larger than 4096 bits"
    ]


def test_a_huge_right_shift_and_a_negative_one_are_errors(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "fact p: (1 >> 4097) == 0\nfact q: (1 << -1) == 0\n") == [
        "2:15: error: shift amount 4097 is larger than 4096 bits",
        "3:15: error: a shift amount cannot be negative (-1)",
    ]


def test_a_constant_shift_wider_than_the_value_is_an_error(tmp_path: Path) -> None:
    props = "property p: after ICC_SGI1R_EL1.write(self, val): (val << 65) == 0\n"
    assert errors_of(tmp_path, props) == ["2:59: error: shift amount 65 is larger than 64, the width of SGI1R"]


def test_a_shift_by_the_whole_width_still_checks(tmp_path: Path) -> None:
    code, out, _ = prove(tmp_path, "property p: after ICC_SGI1R_EL1.write(self, val): (val << 64) == 0\n")
    assert code == 0
    assert "PROVED     p  one-step" in out


def test_folding_never_builds_a_number_wider_than_the_limit(tmp_path: Path) -> None:
    props = "fact p: ((1 << 4000) * (1 << 4000)) != 0\nconst K = (1 << 4000) << 200\n"
    assert errors_of(tmp_path, props) == [
        "3:11: error: constant too large (more than 4096 bits)",
        "2:10: error: constant too large (more than 4096 bits)",
    ]


# ---- D6: numbers -----------------------------------------------------------------------------


def test_a_number_of_5000_digits_is_an_error(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "fact p: " + "9" * 5000 + " == 0\n") == ["2:9: error: number too large (more than 4096 bits)"]


def test_a_long_hex_number_is_an_error(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "fact p: 0x1" + "0" * 1024 + " == 0\n") == ["2:9: error: number too large (more than 4096 bits)"]


def test_a_wide_number_is_not_printed_whole(tmp_path: Path) -> None:
    props = "property q: after ICC_SGI1R_EL1.write(self, val): val == 0x" + "f" * 1000 + "\n"
    assert errors_of(tmp_path, props) == ["2:58: error: literal of 4000 bits does not fit in bits(64)"]


def test_numbers_with_leading_zeros_or_no_digits_are_errors(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "fact p: 007 == 7\nfact q: 0x_ == 0\nfact r: 00 == 0\n") == [
        "2:9: error: number '007' starts with 0 (there are no octal numbers; write it without the leading zeros)",
        "3:9: error: '0x_' has no digits",
    ]


# ---- D5: nesting -----------------------------------------------------------------------------


def _chains(n: int) -> dict[str, str]:
    """Properties whose expressions nest n levels deep."""
    return {
        "and": "invariant p: T" + " && T" * n + "\n",
        "not": "invariant p: " + "!" * n + "T\n",
        "plus": "fact p: " + "+".join(["1"] * n) + f" == {n}\n",
        "parens": "fact p: " + "(1 + " * (n - 1) + "1" + ")" * (n - 1) + f" == {n}\n",
    }


@pytest.mark.parametrize("kind", ["and", "not", "plus", "parens"])
def test_a_chain_as_deep_as_the_limit_gets_its_verdict(tmp_path: Path, kind: str) -> None:
    code, out, err = prove(tmp_path, _chains(MAX_DEPTH)[kind])
    assert code == 0, err
    assert "  PROVED     p  " in out


def test_a_violated_property_as_deep_as_the_limit_is_replayed_and_shown(tmp_path: Path) -> None:
    code, out, _ = prove(tmp_path, "invariant p: !pending[0][0]" + " && T" * (MAX_DEPTH - 3) + "\n")
    assert code == 1
    assert "VIOLATED   p  counterexample with 1 vCPU, 1 step (replayed)" in out
    assert "pending[0][0]: false -> true" in out


@pytest.mark.parametrize(
    ("kind", "col"),
    [("and", 14), ("not", 14 + MAX_DEPTH), ("plus", 9), ("parens", 10 + 5 * (MAX_DEPTH - 1))],
)
def test_a_chain_5000_deep_is_a_located_error(tmp_path: Path, kind: str, col: int) -> None:
    assert errors_of(tmp_path, _chains(5000)[kind]) == [
        f"2:{col}: error: expression nested too deeply (more than {MAX_DEPTH} levels)"
    ]


def test_5000_parentheses_around_one_name_are_no_nesting(tmp_path: Path) -> None:
    code, out, _ = prove(tmp_path, "fact p: " + "(" * 5000 + "T" + ")" * 5000 + "\n")
    assert code == 0
    assert "  PROVED     p  fact" in out


def test_statements_5000_deep_are_a_located_error(tmp_path: Path) -> None:
    body = "if true { " * 5000 + "pending[self][0] := true" + " }" * 5000
    spec = SPEC + f"sysreg ICC_X : bits(64) write-only {{\n    on write(self: vcpu, val: bits(64)) {{ {body} }}\n}}\n"
    code, _, err = prove(tmp_path, "fact p: true\n", spec)
    assert code == 3
    line = SPEC.count("\n") + 2
    col = 43 + 10 * (MAX_DEPTH // 2 - 1)  # the first 'if' at column 43, two levels per 'if'
    assert f"model.gic:{line}:{col}: error: statement nested too deeply (more than {MAX_DEPTH} levels)" in err


# ---- D4: imports and quoted lines ------------------------------------------------------------


def test_imports_stay_in_the_spec_directory_and_are_never_quoted(tmp_path: Path) -> None:
    imports = 'import "/proc/self/environ"\nimport "../secret.gic"\nimport "notes.txt"\n'
    files = {"secret.gic": "SECRET_ONE\n", "spec/notes.txt": "SECRET_TWO\n", "spec/model.gic": imports + SPEC}
    write_tree(tmp_path, {**files, "p.prop": "use model gicv3\nfact p: true\n"})
    code, out, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert code == 3
    spec, m = tmp_path / "spec", tmp_path / "spec/model.gic"
    assert [line for line in err.splitlines() if " error: " in line] == [
        f"{m}:1:1: error: imported file '/proc/self/environ' is outside the spec directory {spec}",
        f"{m}:2:1: error: imported file '../secret.gic' is outside the spec directory {spec}",
        f"{m}:3:1: error: imported file 'notes.txt' is not a .gic file",
    ]
    assert "SECRET" not in out + err
    assert os.environ["PATH"] not in err


def test_a_spec_file_linking_outside_the_spec_directory_is_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"secret.gic": "SECRET\n", "spec/model.gic": SPEC, "p.prop": "use model gicv3\nfact p: true\n"})
    (tmp_path / "spec/sub").mkdir()
    (tmp_path / "spec/sub/link.gic").symlink_to(tmp_path / "secret.gic")
    code, out, err = run("prove", "--spec", tmp_path / "spec", tmp_path / "p.prop")
    assert (code, out) == (3, "")
    link = tmp_path / "spec/sub/link.gic"
    assert err == f"{link}:1:1: error: a spec file that links outside the spec directory is not read\ngicheck: 1 error\n"


def test_a_message_quotes_only_spec_files_or_the_texts_it_is_given(tmp_path: Path) -> None:
    for name in ("a.txt", "a.gic", "b.run"):
        (tmp_path / name).write_text("SECRET\n")
    (tmp_path / "link.prop").symlink_to(tmp_path / "a.txt")

    def shown(name: str, sources: dict[str, str] | None = None) -> str:
        return format_diagnostic(Diagnostic("bad", Span(str(tmp_path / name), 1, 1, 1, 2)), sources)

    assert shown("a.txt") == f"{tmp_path / 'a.txt'}:1:1: error: bad"
    assert shown("link.prop") == f"{tmp_path / 'link.prop'}:1:1: error: bad"
    assert shown("b.run") == f"{tmp_path / 'b.run'}:1:1: error: bad"
    assert shown("a.gic").endswith(" 1 | SECRET\n   | ^")
    assert shown("b.run", {str(tmp_path / "b.run"): "a script line\n"}).endswith(" 1 | a script line\n   | ^")


def test_a_run_script_of_any_name_is_quoted(tmp_path: Path) -> None:
    script = tmp_path / "my-script"
    script.write_text("cpu 0 write GICD_CTLR Enable=0xg\n")
    code, _, err = run("run", script)
    assert code == 3
    assert " 1 | cpu 0 write GICD_CTLR Enable=0xg\n" in err


def test_a_huge_number_in_a_run_script_is_a_located_error(tmp_path: Path) -> None:
    script = tmp_path / "s.run"
    script.write_text("cpu 0 write GICD_CTLR " + "9" * 5000 + "\ncpu 0 write GICD_CTLR 007\n")
    code, _, err = run("run", script)
    assert code == 3
    assert [line for line in err.splitlines() if " error: " in line] == [
        f"{script}:1:23: error: number too large (more than 4096 bits)",
        f"{script}:2:23: error: number '007' starts with 0 (there are no octal numbers; write it without the leading zeros)",
    ]
