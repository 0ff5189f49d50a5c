"""The scenario table of issue 22: each cover goal and deliberately false property in
bench/scenarios/<model>.prop checked alone, at 1..4 vCPUs and at the model's whole range, with
the default options unless given; its verdict, the accesses of the trace shown, the accesses its
script (bench/scenarios/<model>-<name>.run) takes, the wall time of the command, and how much of
it went to the `refines` claims proved before the search (each run is `--no-cache`).

    python bench/scenarios.py                          # every scenario, one run each
    python bench/scenarios.py --only gicv3 --repeat 3 --record bench/scenarios/results.md
    python bench/scenarios.py --ranges small -- --search-time 60
                                                       # options after `--` go to gicheck prove

A scenario passes when it is COVERED (a cover) or VIOLATED (a false property) by a replayed
trace as short as its script, shown to be the shortest (no "a shorter trace is not ruled out"
note), in under 60 s. Appends a dated table to the record file (default: print only).
Run it on an idle machine: other load changes the times, and a budget that runs out changes a
search."""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import machine, record

ROOT = Path(__file__).resolve().parents[1]
DIR = ROOT / "bench" / "scenarios"
GICHECK = [sys.executable, "-m", "checker"]
WHOLE = {"gicv2": "1..8", "gicv3": "1..255"}
STEP = re.compile(r"#\s*(\d+)\b")


def scenarios(model: str) -> list[tuple[str, str]]:
    """(name, kind) of each cover and false property in the model's file, in file order."""
    text = (DIR / f"{model}.prop").read_text()
    return [(m.group(2), m.group(1)) for m in re.finditer(r"^(cover|invariant|property) (\w+):", text, re.MULTILINE)]


def script_steps(model: str, name: str) -> int | None:
    """The steps of the scenario's script: the largest `# n` step number on its lines."""
    path = DIR / f"{model}-{name}.run"
    if not path.exists():
        return None
    nums = [int(m.group(1)) for line in path.read_text().splitlines() if (m := STEP.search(line))]
    return max(nums, default=None)


def check(model: str, name: str, vcpus: str, extra: list[str]) -> tuple[float, str, int | None, str, bool, float]:
    """Wall seconds, the verdict word, the trace's accesses (None without a trace), its note,
    whether the search showed that no shorter trace exists, and the seconds of the `refines`
    claims proved for the search (part of the wall time; under `--no-cache` every run pays them,
    where a user's second run has them from the proof cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        argv = [*GICHECK, "prove", "--no-cache", "--jobs", "1", "--vcpus", vcpus, "--format", "json", "--output", str(out)]
        argv += [*extra, "--property", name, str(DIR / f"{model}.prop")]
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        dt = time.perf_counter() - t0
        if not out.exists():
            return dt, "NO REPORT", None, "", False, 0.0
        every = json.loads(out.read_text())["results"]
    claims = sum(r["seconds"] for r in every if r["kind"] == "refinement")
    results = [r for r in every if r["name"] == name]
    if not results:
        return dt, "NOT RUN", None, "", False, claims
    v = results[0]["verdict"]
    trace = v.get("trace")
    note = v.get("note") or v.get("reason") or ""
    return dt, v["kind"].upper(), len(trace["steps"]) if trace else None, note, bool(v.get("shortest")), claims


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=sorted(WHOLE), default=None)
    ap.add_argument("--names", nargs="*", default=None, help="only these scenarios")
    ap.add_argument("--ranges", choices=["small", "whole", "both"], default="both", help="1..4, the model's range, or both")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--record", type=Path, default=None, help="append the table to this file")
    ap.add_argument("extra", nargs="*", help="options for gicheck prove (after --)")
    args = ap.parse_args()
    lines = [
        f"### {machine()}",
        "",
        f"`gicheck prove --jobs 1 --vcpus R {' '.join(args.extra)} --property NAME bench/scenarios/MODEL.prop`",
        "",
        "| model | scenario | kind | script steps | vCPUs | verdict | trace steps | median s | of which claims s | runs | ok | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    failed = 0
    for model in args.only or sorted(WHOLE):
        for name, kind in scenarios(model):
            if args.names and name not in args.names:
                continue
            steps = script_steps(model, name)
            for vcpus in {"small": ["1..4"], "whole": [WHOLE[model]], "both": ["1..4", WHOLE[model]]}[args.ranges]:
                runs = [check(model, name, vcpus, args.extra) for _ in range(args.repeat)]
                dt = statistics.median(r[0] for r in runs)
                _, word, n, note, shortest, _ = runs[-1]
                claims = statistics.median(r[5] for r in runs)
                want = "COVERED" if kind == "cover" else "VIOLATED"
                ok = word == want and n is not None and shortest and (steps is None or n <= steps) and dt < 60
                failed += not ok
                line = (
                    f"| {model} | {name} | {kind} | {steps or '-'} | {vcpus} | {word} | {n if n is not None else '-'} | "
                    f"{dt:.1f} | {claims:.1f} | {len(runs)} | {'yes' if ok else 'NO'} | {note.replace('|', '/')} |"
                )
                print(line, flush=True)
                lines.append(line)
    record(args.record, lines)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
