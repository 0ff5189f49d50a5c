"""The agreement table behind bench/explicit.md: every shipped property of both models, and
every broken variant of tests/test_explicit.py, decided by the symbolic engines (no proof cache,
no vacuity check) and by the explicit-state engine, at the small configuration (vCPUs 1..2,
nr_irqs 64).

    python bench/explicit.py [--max-states N] [MODEL...]      (default: gicv3 gicv2; 2000 states)

Prints Markdown: one row per property (model or variant, symbolic verdict, explicit verdict,
states, whether the explicit search was complete, agreement), then the disagreements. Exits 1 if
there is any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from checker import ir
from checker.engines import explicit
from checker.results import Agreement, Verdict
from tests.test_explicit import BROKEN, PARAMS, VCPUS, model_of, shipped_system, symbolic, variant_system

_WORDS = {"Proved": "PROVED", "Violated": "VIOLATED", "Covered": "COVERED", "Bounded": "BOUNDED", "Unreached": "UNREACHED"}


def _word(v: Verdict) -> str:
    name = type(v).__name__
    return _WORDS.get(name, name.upper())


def _rows(label: str, system: ir.System, names: list[str], limits: explicit.Limits) -> list[tuple[str, ...]]:
    sym = symbolic(system, set(names))
    config = explicit.Config(VCPUS, PARAMS, limits)
    rows = []
    for p in system.properties:
        if p.name not in names:
            continue
        e = explicit.explore(system, p, config)
        s = sym[p.name]
        agree = explicit.agreement(s, e.result.verdict)  # type: ignore[arg-type]
        steps = getattr(e.result.verdict, "trace", None)
        found = f" ({len(steps.steps)} steps)" if steps is not None else ""
        row = (
            p.name,
            label,
            _word(s),
            _word(e.result.verdict) + found,
            str(e.states),
            "yes" if e.complete else "no",
            agree.value,
        )  # type: ignore[arg-type]
        print("| " + " | ".join(row) + " |", flush=True)
        rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=["gicv3", "gicv2"])
    ap.add_argument("--max-states", type=int, default=2000)
    ap.add_argument("--no-variants", action="store_true")
    args = ap.parse_args()
    limits = explicit.Limits(args.max_states, 12)
    print(
        f"vCPUs {VCPUS[0]}..{VCPUS[1]}, {', '.join(f'{n} {v}' for n, v in PARAMS)}; explicit: at most {limits.max_states} states, {limits.max_depth} steps\n"
    )
    print("| property | model / variant | symbolic | explicit | states | complete | agreement |")
    print("|---|---|---|---|---|---|---|")
    rows: list[tuple[str, ...]] = []
    for model in args.models:
        system = shipped_system(model)
        rows += _rows(model, system, [p.name for p in system.properties], limits)
    if not args.no_variants:
        with tempfile.TemporaryDirectory() as tmp:
            for v in BROKEN:
                if model_of(v) in args.models:
                    rows += _rows(v.name, variant_system(v, Path(tmp)), [v.prop], limits)
    bad = [r for r in rows if r[-1] == Agreement.DISAGREE]
    counts = {a: sum(1 for r in rows if r[-1] == a) for a in Agreement}
    print(f"\n{len(rows)} rows: " + ", ".join(f"{n} {a}" for a, n in counts.items()))
    for r in bad:
        print(f"- disagreement: {r[0]} ({r[1]}): symbolic {r[2]}, explicit {r[3]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
