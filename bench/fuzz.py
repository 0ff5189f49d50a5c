"""The long fuzz run (bench/fuzz.md): tests/test_fuzz.py's input kinds in turn, a round of
Hypothesis examples of each with a fresh seed, until the time is up. Each example runs in a child
process within the memory and time limits of tests/fuzz.py. An input that breaks the rule is
shrunk by Hypothesis and written to OUT as a case file (the form of tests/fuzz-regressions/),
and the run goes on. At the end: examples per kind, exit codes, the largest memory growth, the
failures.

    nice -n 19 python bench/fuzz.py --seconds 3600 --out /tmp/fuzz-found > bench/fuzz-run.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as with_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz import Case, Kind, broken_rule, run_case
from tests.fuzz_inputs import STRATEGIES


@dataclass
class Tally:
    """One input kind's runs so far."""

    examples: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    grew_mb: float = 0.0
    failures: list[str] = field(default_factory=list)


class Broken(Exception):
    pass


def fuzz_round(kind: Kind, n: int, seed: int, tally: Tally) -> tuple[Case, str] | None:
    """n examples of one kind; the smallest input that broke the rule, if one did."""
    found: list[tuple[Case, str]] = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @with_seed(seed)
    @given(case=STRATEGIES[kind])
    def one(case: Case) -> None:
        try:
            outcome = run_case(case)
        except Exception as e:  # the harness's own fault: kept with its input, as a finding is
            found.append((case, f"the harness failed: {e!r}"))
            raise Broken("harness") from e
        tally.examples += 1
        tally.codes[str(outcome.code) if outcome.code is not None else "none"] += 1
        tally.grew_mb = max(tally.grew_mb, outcome.grew_mb)
        wrong = broken_rule(outcome)
        if wrong is not None:
            found.append((case, f"{wrong}; exit {outcome.code}; stderr: {outcome.err[:400]!r}"))
            raise Broken(wrong)

    try:
        one()
    except Exception as e:  # Broken, or Hypothesis's Flaky when the shrunk input kept the rule
        if not found:
            raise
        case, why = found[-1]  # Hypothesis runs the shrunk input last
        return case, why if isinstance(e, Broken) else f"{why} (not every time: {type(e).__name__})"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--round", type=int, default=25, help="examples of one kind per round")
    ap.add_argument("--out", type=Path, required=True, help="directory for the inputs that broke the rule")
    ap.add_argument("--kind", action="append", default=None, choices=[str(k) for k in Kind])
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    kinds = [Kind(k) for k in args.kind] if args.kind else list(Kind)
    tallies = {k: Tally() for k in kinds}
    start, rounds = time.monotonic(), 0
    rng = random.Random(1)
    while time.monotonic() - start < args.seconds:
        kind = kinds[rounds % len(kinds)]
        seed = rng.randrange(2**32)
        failure = fuzz_round(kind, args.round, seed, tallies[kind])
        if failure is not None:
            case, why = failure
            name = f"{kind}-{seed}.json"
            (args.out / name).write_text(case.to_json())
            tallies[kind].failures.append(f"{name}: {why}")
            print(f"{kind}: {name}: {why}", file=sys.stderr, flush=True)
        rounds += 1
        print(
            f"{time.monotonic() - start:7.0f}s round {rounds} {kind}: {tallies[kind].examples} examples",
            file=sys.stderr,
            flush=True,
        )
    report = {
        "seconds": round(time.monotonic() - start),
        "rounds": rounds,
        "kinds": {
            str(k): {
                "examples": t.examples,
                "exit codes": dict(t.codes),
                "largest memory growth MB": round(t.grew_mb),
                "failures": t.failures,
            }
            for k, t in tallies.items()
        },
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
