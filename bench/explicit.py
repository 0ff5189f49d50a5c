"""The agreement table behind bench/explicit.md: every shipped property of both models, and
every broken variant of tests/test_explicit.py, decided by the symbolic engines (no proof cache,
no vacuity check) and by the explicit-state engine, at the small configuration (vCPUs 1..2,
nr_irqs 64).

    python bench/explicit.py [--max-states N] [--no-variants] [--write] [MODEL...]
        (default: gicv3 gicv2; 2000 states, 12 steps and 100000 accesses per vCPU count)

Prints Markdown as it goes: one row per property (model or variant, symbolic verdict, explicit
verdict, states checked, whether the explicit search saw every state the sample reaches,
agreement by `explicit.agreement`), then the counts and the disagreements. With --write, the
same goes to bench/explicit.md, headed by the command, the commit and the date. Exits 1 if there
is any disagreement.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from checker import ir
from checker.engines import explicit
from checker.results import Agreement, Covered, Violated
from tests.test_explicit import BROKEN, PARAMS, VCPUS, model_of, shipped_system, symbolic, variant_system

_WORDS = {"Proved": "PROVED", "Violated": "VIOLATED", "Covered": "COVERED", "Bounded": "BOUNDED", "Unreached": "UNREACHED"}
Row = tuple[str, str, str, str, str, str, str]


def _word(v: object) -> str:
    name = type(v).__name__
    word = _WORDS.get(name, name.upper())
    if isinstance(v, (Violated, Covered)):
        n = len(v.trace.steps)
        word += f" ({n} step{'s' if n != 1 else ''}, {v.trace.nr_vcpus} vCPU{'s' if v.trace.nr_vcpus != 1 else ''})"
    return word


def _rows(label: str, system: ir.System, names: list[str], limits: explicit.Limits, out: list[str]) -> list[Row]:
    sym = symbolic(system, set(names))
    config = explicit.Config(VCPUS, PARAMS, limits)
    rows: list[Row] = []
    for p in system.properties:
        if p.name not in names:
            continue
        e = explicit.explore(system, p, config)
        s = sym[p.name]
        agree = explicit.agreement(s, e.result.verdict)
        row = (p.name, label, _word(s), _word(e.result.verdict), str(e.states), "yes" if e.complete else "no", agree.value)
        out.append("| " + " | ".join(row) + " |")
        print(out[-1], flush=True)
        rows.append(row)
    return rows


def _header(argv: list[str], limits: explicit.Limits) -> list[str]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "checker"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return [
        "# The explicit-state engine against the symbolic engines (issue 18)\n",
        (
            f"Written by `python bench/explicit.py {' '.join(argv)}` at commit {commit.stdout.strip()}"
            f"{' (with uncommitted changes)' if dirty.stdout.strip() else ''}, {datetime.date.today().isoformat()}.\n"
        ),
        (
            f"Configuration: vCPUs {VCPUS[0]}..{VCPUS[1]}, {', '.join(f'{n} {v}' for n, v in PARAMS)}. Symbolic: "
            "`check_properties` with the default options, no proof cache, no vacuity check. Explicit: `gicheck explore`'s "
            f"engine, at most {limits.max_states} states, {limits.max_depth} steps and {limits.max_accesses} accesses "
            "per vCPU count; `states` is the sum over the vCPU counts, `complete` whether the search saw every state the "
            "input sample reaches. Agreement "
            "(`explicit.agreement`): PROVED needs no violation found, VIOLATED a violation, COVERED the goal; a symbolic "
            "BOUNDED or UNREACHED within d steps is contradicted only by a trace of at most d steps, else `undecided`.\n"
        ),
        "| property | model / variant | symbolic | explicit | states | complete | agreement |",
        "|---|---|---|---|---|---|---|",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=["gicv3", "gicv2"])
    ap.add_argument("--max-states", type=int, default=2000)
    ap.add_argument("--max-accesses", type=int, default=100_000)
    ap.add_argument("--no-variants", action="store_true")
    ap.add_argument("--write", action="store_true", help="also write bench/explicit.md")
    args = ap.parse_args()
    limits = explicit.Limits(args.max_states, 12, args.max_accesses)
    out = _header(sys.argv[1:], limits)
    print("\n".join(out), flush=True)
    rows: list[Row] = []
    for model in args.models:
        system = shipped_system(model)
        rows += _rows(model, system, [p.name for p in system.properties], limits, out)
    if not args.no_variants:
        with tempfile.TemporaryDirectory() as tmp:
            for v in BROKEN:
                if model_of(v) in args.models:
                    rows += _rows(v.name, variant_system(v, Path(tmp)), [v.prop], limits, out)
    counts = {a: sum(1 for r in rows if r[-1] == a) for a in Agreement}
    tail = ["", f"{len(rows)} rows: " + ", ".join(f"{n} {a}" for a, n in counts.items())]
    tail += [f"- disagreement: {r[0]} ({r[1]}): symbolic {r[2]}, explicit {r[3]}" for r in rows if r[-1] == Agreement.DISAGREE]
    print("\n".join(tail))
    if args.write:
        (ROOT / "bench/explicit.md").write_text("\n".join(out + tail) + "\n")
    return 1 if counts[Agreement.DISAGREE] else 0


if __name__ == "__main__":
    sys.exit(main())
