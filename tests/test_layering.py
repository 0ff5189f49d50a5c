"""Only checker/smt imports z3 and cvc5, and only checker/syntax imports lark (STYLE.md)."""

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
        if "z3" in mods or "cvc5" in mods:
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


def test_help_loads_neither_the_solver_nor_the_parser_nor_networkx() -> None:
    """`gicheck --help` and `gicheck prove --help` import only the command line: each command's
    module, and with it the pipeline, is imported when the command runs."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from checker.cli import main\n"
        "for argv in (['--help'], ['prove', '--help'], ['diff', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "print(sorted(m for m in ('z3', 'lark', 'networkx', 'checker.engines', 'checker.pipeline') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
