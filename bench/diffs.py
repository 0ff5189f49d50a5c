"""Time `gicheck diff` on the examples; write bench/diff-results.md.

Usage: python bench/diffs.py [--only NAME,...] [--timeout S]

Each example diff runs once, as a separate process, with the arguments of its command in
examples/README.md, which give the vCPU range the example covers; the wall time, the exit code
and the summary lines of its output are recorded with the machine and the commit.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name, arguments of `gicheck diff`, what it shows
EXAMPLES: list[tuple[str, list[str], str]] = [
    (
        "sgi-broadcast-v1",
        ["examples/sgi-broadcast-v1/v1.overlay", "--vcpus", "1..8", "--properties", "properties/sgi.prop"],
        "the v1 SGI dispatch: the broadcast properties broken (GICv3)",
    ),
    (
        "half-order",
        ["examples/half-order/lower-first.overlay", "--no-properties", "--vcpus", "1..8"],
        "64-bit accesses split lower word first: actions only (GICv3)",
    ),
    (
        "gicv2-before-split",
        ["examples/gicv2-before-split/spec", "spec", "--model", "gicv2"],
        "the GICv2 model before the 2014 split against the split one (GICv2, its whole range 1..8)",
    ),
    (
        "today-sgi-enable",
        ["examples/today-sgi-enable/sgi-enable.overlay", "--vcpus", "1..8"],
        "SGI enables no longer forced on (GICv3)",
    ),
    (
        "today-igroupr",
        ["examples/today-igroupr/igroupr.overlay", "--vcpus", "1..8"],
        "GICD_IGROUPR / GICR_IGROUPR0 writable (GICv3)",
    ),
    (
        "today-vcpus-512",
        ["examples/today-vcpus-512/vcpus-512.overlay", "--vcpus", "1..8"],
        "the GICv3 vCPU limit raised to 512, spi_cpu widened and related (GICv3)",
    ),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None, help="comma-separated example names")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/diff-results.md")
    a = ap.parse_args()
    import z3

    only = set(a.only.split(",")) if a.only else None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    rows = []
    for name, args, what in EXAMPLES:
        if only is not None and name not in only:
            continue
        if not (ROOT / args[0]).exists():
            print(f"{name}: {args[0]} missing, skipped", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "checker", "diff", *args],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=a.timeout,
                check=False,
            )
            code: int | str = proc.returncode
            summary = [
                line for line in proc.stdout.splitlines() if line.startswith(("actions (", "properties:", "gicv2:", "gicv3:"))
            ]
        except subprocess.TimeoutExpired:
            code, summary = "timeout", []
        dt = time.perf_counter() - t0
        rows.append((name, " ".join(args), what, dt, code, summary))
        print(f"{name}: {dt:.1f}s exit {code}", file=sys.stderr)
    cpu = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    lines = [
        "# gicheck diff: recorded timings of the examples",
        "",
        "- command: `python -m checker diff ARGS` from the repository root, one run each, wall time",
        f"- reproduce: `python bench/diffs.py --timeout {a.timeout:g}`",
        f"- when: {datetime.date.today().isoformat()}, commit {commit}",
        f"- machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; z3 {z3.get_version_string()}",
        "",
        "| example | arguments | what | seconds | exit |",
        "|---|---|---|---|---|",
    ]
    for name, args, what, dt, code, _ in rows:
        lines.append(f"| {name} | `{args}` | {what} | {dt:.1f} | {code} |")
    lines += ["", "Summary lines of each run:", ""]
    for name, _, _, _, _, summary in rows:
        lines.append(f"- {name}: " + ("; ".join(s.strip() for s in summary) if summary else "(none)"))
    a.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
