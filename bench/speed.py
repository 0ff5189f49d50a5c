"""The speed table of issue 16: each command run several times from the checkout's root, its
median wall time and peak memory recorded with the machine, versions, date and commit.

    python bench/speed.py                 # every row, 3 runs each (the main job alone takes minutes)
    python bench/speed.py --only help v1  # some rows
    python bench/speed.py --repeat 5 --record bench/speed.md

Appends a dated table to the record file (default: print only). Run it on an idle machine: the
load of other work changes the times, and solver budgets that run out change the searches.

Every run starts with an empty proof cache of its own (XDG_CACHE_HOME in a temporary directory):
a row is the cold figure unless it names a preparing command, which runs first, untimed, with the
same cache (the warm re-run, and the re-run after a one-handler patch)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GICHECK = [sys.executable, "-m", "checker"]
V1 = "examples/sgi-broadcast-v1/v1.overlay"
VCPUS_512 = "examples/today-vcpus-512/vcpus-512.overlay"
ONE_HANDLER = "bench/patches/icfgr.overlay"

ROWS = {
    "help": ["--help"],
    "prove": ["prove"],
    "prove-j1": ["prove", "--jobs", "1"],
    "v1": ["prove", "--overlay", V1, "properties/sgi.prop", "--property", "broadcast_reaches_all_others"],
    "one-property": ["prove", "properties/sgi.prop", "--property", "broadcast_reaches_all_others"],
    "two-properties": [
        "prove",
        "properties/sgi.prop",
        "--property",
        "broadcast_reaches_all_others",
        "--property",
        "active_sgi_enabled",
    ],
    "prove-512": ["prove", "--overlay", VCPUS_512],
    "prove-warm": ["prove"],
    "prove-patch": ["prove", "--overlay", ONE_HANDLER],
}
# the command each of these rows runs first, untimed, on the same proof cache
PREPARE = {"prove-warm": ["prove"], "prove-patch": ["prove"]}


def run_once(argv: list[str], prepare: list[str] | None = None) -> tuple[float, int, int]:
    """Wall seconds, the exit code, and the peak RSS (KiB) of this run: wait4's figure, the
    largest process of those waited for; the pool's workers are the fork server's children, so
    for a parallel run it can be the main process alone (a lower bound). The run has a proof
    cache of its own, filled first by `prepare` when given."""
    with tempfile.TemporaryDirectory(prefix="gicheck-bench-") as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        if prepare is not None:
            subprocess.run(
                [*GICHECK, *prepare], check=False, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        t0 = time.perf_counter()
        proc = subprocess.Popen([*GICHECK, *argv], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
    return dt, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def machine() -> str:
    import z3

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=True, cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()[0]
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, z3 {z3.get_version_string()}, "
        f"commit {commit}, {datetime.date.today().isoformat()}, load average at start {load:.2f}"
    )


def record(path: Path | None, lines: list[str]) -> None:
    """Append a table to the record file, if one was given."""
    if path is not None:
        with path.open("a") as f:
            f.write("\n" + "\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=sorted(ROWS), default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--record", type=Path, default=None, help="append the table to this file")
    args = ap.parse_args()
    lines = [
        f"### {machine()}",
        "",
        "| row | command | runs | median s | min s | max s | exit | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in args.only or list(ROWS):
        argv = ROWS[name]
        runs = [run_once(argv, PREPARE.get(name)) for _ in range(args.repeat)]
        times = [t for t, _, _ in runs]
        codes = sorted({c for _, c, _ in runs})
        rss = max(r for _, _, r in runs) / 1024
        after = f"after `gicheck {' '.join(PREPARE[name])}`: " if name in PREPARE else ""
        line = (
            f"| {name} | {after}`gicheck {' '.join(argv)}` | {len(runs)} | {statistics.median(times):.2f} | {min(times):.2f} | "
            f"{max(times):.2f} | {','.join(map(str, codes))} | {rss:.0f} |"
        )
        print(line, flush=True)
        lines.append(line)
    record(args.record, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
