"""Structure figures of a Python package (issue 15): long modules and functions, wide
signatures, import cycles, private names used across modules, string literals compared with
kinds.

Usage: python bench/structure.py [TREE] [--rev REV] [--write]

TREE defaults to checker/; with --rev, TREE as it is at commit REV (git archive). With --write
the report also goes to bench/structure.md, headed by the command, the commit and the date.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import itertools
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]

MODULE_LINES = 600
FUNCTION_LINES = 60
WIDE = 6
KIND_NAMES = frozenset({"kind", "status", "op", "severity", "access", "quant"})


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. checker.sema.check
    path: Path
    tree: ast.Module
    lines: int
    is_package: bool

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Function:
    where: str  # module:qualified.name
    lines: int
    params: int


def load(tree: Path) -> list[Module]:
    base = tree.resolve().parent
    out = []
    for path in sorted(tree.resolve().rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        text = path.read_text()
        out.append(Module(".".join(parts), path, ast.parse(text, str(path)), len(text.splitlines()), is_package))
    return out


def functions(mod: Module) -> Iterator[Function]:
    def walk(node: ast.AST, prefix: str) -> Iterator[Function]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = child.args
                names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
                names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
                n = len([x for x in names if x not in ("self", "cls")])
                end = child.end_lineno or child.lineno
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                yield Function(f"{mod.name}:{prefix}{child.name}", end - start + 1, n)
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    return walk(mod.tree, "")


def resolve_from(mod: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(mod: Module, names: set[str]) -> Iterator[tuple[str, ast.stmt]]:
    """The modules of the tree that mod imports (`from pkg import mod` counts as mod)."""
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in names:
                    yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            src = resolve_from(mod, node)
            for alias in node.names:
                sub = f"{src}.{alias.name}"
                if sub in names:
                    yield sub, node
                elif src in names:
                    yield src, node


def import_graphs(mods: list[Module]) -> tuple[nx.DiGraph, nx.DiGraph]:
    names = {m.name for m in mods}
    by_name = {m.name: m for m in mods}
    g_mod: nx.DiGraph = nx.DiGraph()
    g_pkg: nx.DiGraph = nx.DiGraph()
    for m in mods:
        g_mod.add_node(m.name)
        g_pkg.add_node(m.package)
        for target, _ in imports(m, names):
            if target != m.name:
                g_mod.add_edge(m.name, target)
            tp = by_name[target].package
            if tp != m.package and not m.package.startswith(tp + ".") and not tp.startswith(m.package + "."):
                g_pkg.add_edge(m.package, tp)
    return g_mod, g_pkg


def cycles(g: nx.DiGraph) -> list[list[str]]:
    found = [c for c in nx.simple_cycles(g) if len(c) > 1]
    # each cycle once, starting at its smallest name
    unique = {tuple(c[c.index(min(c)) :] + c[: c.index(min(c))]) for c in found}
    return [list(c) for c in sorted(unique, key=lambda c: (len(c), c))]


def private_uses(mods: list[Module]) -> list[str]:
    names = {m.name for m in mods}
    out = []
    for m in mods:
        aliases: dict[str, str] = {}
        for node in ast.walk(m.tree):
            if isinstance(node, ast.ImportFrom):
                src = resolve_from(m, node)
                for alias in node.names:
                    if src in names and alias.name.startswith("_") and f"{src}.{alias.name}" not in names:
                        out.append(f"{m.name}:{node.lineno}: from {src} import {alias.name}")
                    elif f"{src}.{alias.name}" in names:
                        aliases[alias.asname or alias.name] = f"{src}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in names:
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                target = dotted(node.value)
                if target is not None and target.split(".")[0] in aliases:
                    head, _, rest = target.partition(".")
                    full = aliases[head] + (f".{rest}" if rest else "")
                    if full in names and full != m.name:
                        out.append(f"{m.name}:{node.lineno}: {target}.{node.attr} ({full})")
    return out


def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def last_part(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def is_kind(node: ast.expr) -> bool:
    return last_part(node) in KIND_NAMES


def str_const(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)
    return False


def kind_strings(mods: list[Module]) -> list[str]:
    found: list[tuple[str, int, str]] = []
    for m in mods:

        def hit(node: ast.AST, what: str, m: Module = m) -> None:
            found.append((m.name, getattr(node, "lineno", 0), what))

        for node in ast.walk(m.tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                for a, b in itertools.pairwise(sides):
                    if (is_kind(a) and str_const(b)) or (is_kind(b) and str_const(a)):
                        hit(node, "compare")
                        break
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("startswith", "endswith")
            ):
                if is_kind(node.func.value):
                    hit(node, node.func.attr)
            elif isinstance(node, ast.MatchClass):
                for key, pat in zip(node.kwd_attrs, node.kwd_patterns):
                    if key in KIND_NAMES and isinstance(pat, (ast.MatchValue, ast.MatchOr)):
                        values = [pat] if isinstance(pat, ast.MatchValue) else pat.patterns
                        if all(isinstance(v, ast.MatchValue) and str_const(v.value) for v in values):
                            hit(pat, "match pattern")
            elif isinstance(node, ast.Match) and is_kind(node.subject):
                for case in node.cases:
                    if isinstance(case.pattern, ast.MatchValue) and str_const(case.pattern.value):
                        hit(case.pattern, "match on a kind")
    sources = {m.name: m.path.read_text().splitlines() for m in mods}
    return [f"{name}:{line}: {what}: {sources[name][line - 1].strip()[:110]}" for name, line, what in sorted(set(found))]


def report(tree: Path) -> str:
    mods = load(tree)
    fns = [f for m in mods for f in functions(m)]
    long_mods = sorted((m for m in mods if m.lines > MODULE_LINES), key=lambda m: -m.lines)
    long_fns = sorted((f for f in fns if f.lines > FUNCTION_LINES), key=lambda f: -f.lines)
    wide = sorted((f for f in fns if f.params >= WIDE), key=lambda f: -f.params)
    g_mod, g_pkg = import_graphs(mods)
    mod_cycles, pkg_cycles = cycles(g_mod), cycles(g_pkg)
    private = private_uses(mods)
    kinds = kind_strings(mods)
    longest_mod = max(mods, key=lambda m: m.lines)
    longest_fn = max(fns, key=lambda f: f.lines)

    shown = tree.resolve().relative_to(ROOT) if tree.resolve().is_relative_to(ROOT) else tree
    out = [f"## {shown}/: {len(mods)} modules, {sum(m.lines for m in mods)} lines, {len(fns)} functions\n"]
    out.append("| figure | value |\n|---|---|")
    out.append(f"| modules over {MODULE_LINES} lines | {len(long_mods)} |")
    out.append(f"| longest module | {longest_mod.name} ({longest_mod.lines} lines) |")
    out.append(f"| functions over {FUNCTION_LINES} lines | {len(long_fns)} |")
    out.append(f"| longest function | {longest_fn.where} ({longest_fn.lines} lines) |")
    pct = 100 * len(wide) / len(fns) if fns else 0.0
    out.append(f"| functions with {WIDE}+ parameters (self/cls not counted) | {len(wide)} ({pct:.1f}% of {len(fns)}) |")
    out.append(f"| import cycles between modules | {len(mod_cycles)} |")
    out.append(f"| import cycles between packages | {len(pkg_cycles)} |")
    out.append(f"| private names used across modules | {len(private)} |")
    out.append(f"| string literals compared with a kind | {len(kinds)} |")

    def section(title: str, items: list[str]) -> None:
        out.append(f"\n### {title} ({len(items)})\n")
        out.extend(f"- {i}" for i in items)

    section(f"Modules over {MODULE_LINES} lines", [f"{m.name}: {m.lines}" for m in long_mods])
    section(f"Functions over {FUNCTION_LINES} lines", [f"{f.where}: {f.lines}" for f in long_fns])
    section(f"Functions with {WIDE} or more parameters", [f"{f.where}: {f.params}" for f in wide])
    section("Import cycles between modules", [" -> ".join([*c, c[0]]) for c in mod_cycles])
    section("Import cycles between packages", [" -> ".join([*c, c[0]]) for c in pkg_cycles])
    section("Private names used across modules", private)
    section(f"String literals compared with a kind ({', '.join(sorted(KIND_NAMES))})", kinds)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", nargs="?", default=str(ROOT / "checker"), type=Path)
    ap.add_argument("--rev", help="measure the tree as committed at REV instead of the working copy")
    ap.add_argument("--write", action="store_true", help="also write bench/structure.md")
    args = ap.parse_args()
    rel = args.tree.resolve().relative_to(ROOT)
    if args.rev:
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(["git", "archive", args.rev, str(rel)], cwd=ROOT, capture_output=True, check=True)
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(tmp, filter="data")
            text = report(Path(tmp) / rel).replace(f"## {tmp}/", "## ")
    else:
        text = report(args.tree)
    print(text, end="")
    if args.write:
        rev = args.rev or "HEAD"
        commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=False)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(rel)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if args.rev:
            dirty = subprocess.CompletedProcess(dirty.args, 0, "", "")
        head = [
            "# Structure figures (issue 15)\n",
            (
                f"Written by `python bench/structure.py{' --rev ' + args.rev if args.rev else ''} --write`"
                f" at commit {commit.stdout.strip()}{' (with uncommitted changes)' if dirty.stdout.strip() else ''},"
                f" {datetime.date.today().isoformat()}.\n"
            ),
        ]
        (ROOT / "bench/structure.md").write_text("\n".join(head) + "\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
