"""Only checker/smt imports z3 and only checker/syntax imports lark (STYLE.md)."""

from __future__ import annotations

import ast

from tests.helpers import ROOT


def _imports(path) -> set[str]:  # type: ignore[no-untyped-def]
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_solver_and_parser_imports_stay_in_their_packages() -> None:
    files = sorted((ROOT / "checker").rglob("*.py"))
    assert len(files) > 20
    for f in files:
        rel = f.relative_to(ROOT / "checker").parts
        mods = _imports(f)
        if "z3" in mods:
            assert rel[0] == "smt", f
        if "lark" in mods:
            assert rel[0] == "syntax", f


def test_nothing_but_the_cli_prints() -> None:
    for f in sorted((ROOT / "checker").rglob("*.py")):
        if f.name in ("cli.py", "__main__.py"):
            continue
        tree = ast.parse(f.read_text())
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("print", "exit")
        ]
        assert not calls, f
