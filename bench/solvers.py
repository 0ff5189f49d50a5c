"""The full agreement run behind docs/solvers.md: every shipped property of each model checked
by z3 and by cvc5 at the agreement configuration of tests/test_solvers.py, one after the other.

    python bench/solvers.py [MODEL...]      (default: gicv3 gicv2)

Prints a Markdown table per model: each property's verdict kind and seconds with each solver,
cvc5's reason where the kinds differ, and whether tests/test_solvers.py's CVC5_CANNOT names it.
Exits 1 if the kinds differ where CVC5_CANNOT does not say so (tests/test_solvers.py's
`disagreements`).
"""

from __future__ import annotations

import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.engines import Solver
from checker.results import PropertyResult
from tests.test_solvers import (
    AGREE_PARAMS,
    AGREE_SEARCH_TIME,
    AGREE_TIMEOUT,
    AGREE_VCPUS,
    CVC5_CANNOT,
    agreement_run,
    disagreements,
)


def _why(r: PropertyResult) -> str:
    return str(getattr(r.verdict, "reason", "") or "")


def _model(model: str) -> bool:
    """The model's table; whether its results agree (but for CVC5_CANNOT)."""
    runs: dict[Solver, tuple[float, list[PropertyResult]]] = {}
    for solver in Solver:
        t0 = time.monotonic()
        results = agreement_run(model, solver)
        runs[solver] = (time.monotonic() - t0, results)
    (z3_wall, z3_results), (cvc5_wall, cvc5_results) = runs[Solver.Z3], runs[Solver.CVC5]
    by_cvc5 = {r.name: r for r in cvc5_results}
    print(f"\n### {model}: z3 {z3_wall:.0f} s, cvc5 {cvc5_wall:.0f} s, {len(z3_results)} results\n")
    print("| property | kind | z3 | s | cvc5 | s | cvc5's reason where they differ | CVC5_CANNOT |")
    print("|---|---|---|---|---|---|---|---|")
    for r in z3_results:
        c = by_cvc5[r.name]
        same = type(c.verdict) is type(r.verdict)
        listed = (model, r.name) in CVC5_CANNOT
        print(
            f"| {r.name} | {r.kind} | {type(r.verdict).__name__} | {r.seconds:.1f} | {type(c.verdict).__name__} | "
            f"{c.seconds:.1f} | {'' if same else _why(c)} | {'yes' if listed else ''} |",
            flush=True,
        )
    differ = disagreements(model, z3_results, cvc5_results)
    for name, (z, c) in differ.items():
        print(f"\nDISAGREE {model} {name}: z3 {z}, cvc5 {c}")
    return not differ


def main(argv: list[str]) -> None:
    print(
        f"vCPUs {AGREE_VCPUS[0]}..{AGREE_VCPUS[1]}, params {AGREE_PARAMS}, --timeout {AGREE_TIMEOUT:g}, "
        f"--search-time {AGREE_SEARCH_TIME:g}; {platform.machine()}, Python {platform.python_version()}, "
        f"z3 {version('z3-solver')}, cvc5 {version('cvc5')}"
    )
    agreed = [_model(model) for model in argv or ["gicv3", "gicv2"]]
    sys.exit(0 if all(agreed) else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
