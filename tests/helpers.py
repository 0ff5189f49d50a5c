"""Shared helpers for tests: run the CLI in-process, write small spec trees."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from checker.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def run_fresh(*argv: str | Path) -> tuple[int, str, str]:
    """The CLI in a new process, as a user runs it. For the long example runs: Z3's search
    follows the ids of its terms, so in a process where earlier tests have built millions of
    terms, a query that a fresh process answers in seconds can take minutes."""
    proc = subprocess.run(
        [sys.executable, "-m", "checker", *[str(a) for a in argv]],
        cwd=ROOT,
        capture_output=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1"},
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def shown(path: Path) -> str:
    """A spec file as spans name it: from the working directory when it is under it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


# A small GICv3-like spec the error and verdict tests build on.
SMALL_SPEC = """
layout SGI1R : bits(64) {
    TargetList [15:0]
    INTID      [27:24]
    IRM        [40]
}
type sgi = 0..15
state pending[vcpu][sgi] : bool = false
sysreg ICC_SGI1R_EL1 : SGI1R write-only {
    on write(self: vcpu, val: SGI1R) {
        for c in vcpu {
            if val.IRM && c == self { continue }
            if !val.IRM && !val.TargetList[c[3:0]] { continue }
            pending[c][val.INTID] := true
        }
    }
}
model gicv3 { vcpus 1..8 }
"""
