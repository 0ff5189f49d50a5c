"""Time `gicheck prove` on the shipped spec and properties; write bench/results.md.

Usage: python bench/run.py [--runs N] [--counts 4,64,255]

Each configuration runs N times (default 3) as a separate process; the median wall time is
recorded with the machine, the versions and the commit it ran on.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(args: list[str], timeout: float) -> tuple[float, int | str]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "checker", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, "timeout"
    return time.perf_counter() - t0, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--counts", default="4,64,255")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results.md")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run before it is stopped and recorded as a timeout")
    ap.add_argument("--long", type=float, default=120.0, help="a configuration whose first run takes longer is run once")
    a = ap.parse_args()
    import z3

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    rows = []
    configs = [
        (label, ["prove", "--no-cache", "--vcpus", vc])
        for n in [int(x) for x in a.counts.split(",")]
        for label, vc in ((f"{n}", f"{n}"), (f"1..{n}", f"1..{n}"))
    ]
    configs.append(("(none)", ["prove", "--no-cache"]))  # the README's main job: each model over its whole range
    for label, args in configs:
        times: list[float] = []
        codes: set[int | str] = set()
        for _ in range(a.runs):
            dt, code = _time(args, a.timeout)
            times.append(dt)
            codes.add(code)
            if code == "timeout" or dt > a.long:
                break  # one timeout, or one run over --long seconds, is enough to record
        rows.append((label, statistics.median(times), min(times), max(times), sorted(codes, key=str), len(times)))
        print(f"vcpus {label}: median {statistics.median(times):.2f}s exit {sorted(codes)}", file=sys.stderr)
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        "# gicheck prove: recorded timings",
        "",
        f"- command: `python -m checker prove --vcpus V` (all shipped properties in properties/ on spec/), {a.runs} runs each, wall time",
        f"- reproduce: `python bench/run.py --runs {a.runs} --counts {a.counts} --timeout {a.timeout:g}`",
        f"- when: {datetime.date.today().isoformat()}, commit {commit}",
        f"- machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; z3 {z3.get_version_string()}",
        "- `V = N` checks one vCPU count; `V = 1..N` checks every count from 1 to N in the same queries (the count is a solver variable)",
        (
            "- each model checks the part of V it allows (GICv2: 1..8, so it is skipped for V = 64 and V = 255 and checks 1..8 for"
            " V = 1..64 and 1..255); `(none)` is `gicheck prove` with no --vcpus: GICv2 at 1..8 and GICv3 at 1..255, the README's main job"
        ),
        "",
        (
            f"- a run still going after {a.timeout:.0f} s is stopped and recorded as a timeout (its time is then a lower bound);"
            f" a configuration whose first run takes over {a.long:.0f} s is run once"
        ),
        "",
        "| --vcpus | runs | median (s) | min (s) | max (s) | exit codes |",
        "|---|---|---|---|---|---|",
    ]
    for label, med, lo, hi, codes, n in rows:
        lines.append(f"| {label} | {n} | {med:.2f} | {lo:.2f} | {hi:.2f} | {', '.join(map(str, codes))} |")
    a.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
