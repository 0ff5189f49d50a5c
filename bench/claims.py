"""Time each `refines` claim's queries, one per case, as engines/refinement.py asks them.

    python bench/claims.py MODEL LO..HI [CASES]      e.g. python bench/claims.py gicv3 9..255 1

Prints handler, case, answer and seconds per query; the shipped spec, no properties.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from checker import pipeline
from checker.smt import handlers
from checker.smt.requests import Setting

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    model, span = argv[0], argv[1]
    lo, hi = (int(x) for x in span.split(".."))
    cases = {int(x) for x in argv[2].split(",")} if len(argv) > 2 else None
    system = pipeline.load_system(ROOT / "spec", model, property_files=[], vcpus=(lo, hi))
    for ref in system.refinements:
        for case in range(len(ref.cases) + 1):
            if cases is not None and case not in cases:
                continue
            t0 = time.perf_counter()
            a = handlers.refinement(system, ref, case, Setting((lo, hi)), None)
            print(f"{ref.handler} case {case}: {type(a).__name__} {time.perf_counter() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
