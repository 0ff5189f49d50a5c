"""The agreement table behind bench/explicit.md: every shipped property of both models, and
every broken variant of tests/test_explicit.py, decided by the symbolic engines (no proof cache,
no vacuity check) and by the explicit-state engine, at the small configuration (vCPUs 1..2,
nr_irqs 64).

    python bench/explicit.py [--no-variants] [--write] [MODEL...]      (default: gicv3 gicv2)

The explicit searches' limits are tests/test_explicit.py's `table_limits`, by property kind.

Prints Markdown as it goes: one row per property (model or variant, symbolic verdict, explicit
verdict, states checked, whether the explicit search saw every state the sample reaches,
agreement by `explicit.agreement`), then the counts and the disagreements. With --write, the
same goes to bench/explicit.md, headed by the command, the commit and the date; the test
tests/test_explicit.py reads it. Exits 1 if there is any disagreement.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from checker.engines import explicit
from checker.results import Agreement
from tests.test_explicit import (
    BROKEN,
    PARAMS,
    TABLE,
    TABLE_LIMITS,
    TABLE_OTHER_LIMITS,
    VCPUS,
    Row,
    model_of,
    shipped_system,
    table_rows,
    variant_system,
)


def _limits(limits: explicit.Limits) -> str:
    return f"{limits.max_states} states, {limits.max_depth} steps and {limits.max_accesses} accesses"


def _header(argv: list[str]) -> list[str]:
    kinds = "; ".join(f"{k.__name__.lower()}s {_limits(v)}" for k, v in TABLE_LIMITS.items())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "checker", "tests/test_explicit.py", "bench/explicit.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
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
            f"engine, per vCPU count at most: {kinds}; the others {_limits(TABLE_OTHER_LIMITS)}. "
            "`states` is the sum over the vCPU counts, `complete` whether the search saw every state the "
            "input sample reaches. Agreement (`explicit.agreement`): PROVED needs no violation found, VIOLATED a "
            "violation, COVERED the goal; a symbolic BOUNDED or UNREACHED within d steps is contradicted only by a trace "
            "of at most d steps, else `undecided`.\n"
        ),
        "| property | model / variant | symbolic | explicit | states | complete | agreement |",
        "|---|---|---|---|---|---|---|",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=["gicv3", "gicv2"])
    ap.add_argument("--no-variants", action="store_true")
    ap.add_argument("--write", action="store_true", help=f"also write {TABLE.relative_to(ROOT)}")
    args = ap.parse_args()
    out = _header(sys.argv[1:])
    print("\n".join(out), flush=True)
    rows: list[Row] = []

    def show(new: Iterator[Row]) -> None:
        for row in new:
            out.append("| " + " | ".join(row) + " |")
            print(out[-1], flush=True)
            rows.append(row)

    for model in args.models:
        system = shipped_system(model)
        show(table_rows(model, system, [p.name for p in system.properties]))
    if not args.no_variants:
        with tempfile.TemporaryDirectory() as tmp:
            for v in BROKEN:
                if model_of(v) in args.models:
                    show(table_rows(v.name, variant_system(v, Path(tmp)), [v.prop]))
    counts = {a: sum(1 for r in rows if r[-1] == a) for a in Agreement}
    tail = ["", f"{len(rows)} rows: " + ", ".join(f"{n} {a}" for a, n in counts.items())]
    tail += [f"- disagreement: {r[0]} ({r[1]}): symbolic {r[2]}, explicit {r[3]}" for r in rows if r[-1] == Agreement.DISAGREE]
    print("\n".join(tail))
    if args.write:
        TABLE.write_text("\n".join(out + tail) + "\n")
    return 1 if counts[Agreement.DISAGREE] else 0


if __name__ == "__main__":
    sys.exit(main())
