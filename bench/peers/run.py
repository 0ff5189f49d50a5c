"""The peer table of issue 16 (item 7, "Peers, side by side"): the SGI slice of the GICv3 model
checked by Spin (bench/peers/sgi.pml), by Rumur (bench/peers/sgi.m) and by gicheck
(bench/peers/gicheck/), each with the merged dispatch and with the series' v1 dispatch, at
N = 2, 3, 4, 6, 8, 16, 32, ... vCPUs, until each tool passes the time or memory limit.

    python bench/peers/run.py                      # print the table
    python bench/peers/run.py --record             # ... and write bench/peers/results.md
    python bench/peers/run.py --counts 2 3 --tools spin gicheck --timeout 60

Installs Spin and Rumur with apt-get when they are missing (as root, or through sudo). Every
run is alone on one core: Spin's pan is single-threaded, Rumur's verifier is generated with
--threads 1, gicheck runs with --jobs 1. Each run (build and search) has --timeout seconds
(default 300) and --memory-gib of address space (default 8); a run that passes either is
unfinished, and its tool is not run at larger N. Spin's pan exits 0 on a violation and only
warns when its search is cut short: the verdicts come from its output ("errors: N", "assertion
violated", "Search not completed", "max search depth too small"), never from its exit code.
Builds go to a temporary directory. Run it on an idle machine: other load changes the times."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from speed import machine

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "peers"
RESULTS = HERE / "results.md"
COUNTS = [2, 3, 4, 6, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
TOOLS = ["spin", "rumur", "gicheck"]
PROPERTIES = [
    "broadcast_reaches_all_others",
    "broadcast_skips_sender",
    "targeted_reaches_exactly_matching",
    "priority_has_active",
]
# What the v1 dispatch must break, and all it may break.
V1_BROKEN = "broadcast_reaches_all_others"
# Spin's DFS stack: deep enough for every N that finishes here (N = 4 reaches 189,907 steps);
# a search that needs more says so and is unfinished. Its hash table: 2^26 slots (512 MiB).
SPIN_DEPTH = 10_000_000
SPIN_HASH_BITS = 26
GRACE = 15.0  # seconds a tool gets to print its summary after SIGINT


@dataclasses.dataclass
class Run:
    """One tool's check of one dispatch at one N."""

    tool: str
    n: int
    v1: bool
    seconds: float = 0.0  # wall time, build and search
    build_seconds: float = 0.0
    states: int | None = None  # states stored (explicit-state tools); None for gicheck
    finished: bool = False
    why: str = ""  # why unfinished: "time", "memory", "depth", or the error
    violated: list[str] = dataclasses.field(default_factory=list)
    peak_mib: float = 0.0

    def verdict(self) -> str:
        if not self.finished:
            return f"unfinished ({self.why})"
        if not self.violated:
            return "all hold"
        return "violated: " + ", ".join(self.violated)


def limited(argv: Sequence[str], memory_gib: float) -> list[str]:
    """argv run with its address space capped (the shell's ulimit -v, in KiB)."""
    return ["sh", "-c", 'ulimit -v "$0" && exec "$@"', str(int(memory_gib * 2**20)), *argv]


def run(argv: Sequence[str], cwd: Path, deadline: float, memory_gib: float) -> tuple[int | None, str, float, bool]:
    """Run argv until it ends or the deadline (monotonic seconds) passes; then SIGINT to its
    process group, a grace period for its summary, SIGKILL. Exit code (None if a signal ended
    it), output, peak RSS in MiB, and whether the deadline stopped it."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(limited(argv, memory_gib), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        interrupted_at = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.monotonic()
            if not timed_out and now > deadline:
                timed_out = True
                interrupted_at = now
                os.killpg(proc.pid, signal.SIGINT)
            elif timed_out and now > interrupted_at + GRACE:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    code = proc.returncode if proc.returncode >= 0 else None
    return code, text, usage.ru_maxrss / 1024, timed_out


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return (out.stdout + out.stderr).strip().splitlines()[0] if (out.stdout + out.stderr).strip() else "?"


def install() -> bool:
    """Spin and Rumur from Debian's packages, if missing. False if they cannot be had."""
    if shutil.which("spin") and shutil.which("rumur"):
        return True
    prefix: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and not shutil.which("sudo"):
        print("run.py: spin and rumur are missing, and this user can neither apt-get nor sudo", file=sys.stderr)
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "install", "-y", "spin", "rumur"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "spin", "rumur"],
    ):
        print(f"run.py: {' '.join(argv)}", file=sys.stderr)
        subprocess.run([*prefix, *argv], env=env, stdout=subprocess.DEVNULL, check=False)
        if shutil.which("spin") and shutil.which("rumur"):
            return True
    print("run.py: could not install spin and rumur with apt-get", file=sys.stderr)
    return False


def named(text: str) -> list[str]:
    """The properties a violation message names."""
    return [p for p in PROPERTIES if p in text]


def build_error(argv: list[str], tmp: Path, deadline: float, memory_gib: float) -> str:
    """One build step of a checker: why it failed, or "" when it did not."""
    code, text, _, timed_out = run(argv, tmp, deadline, memory_gib)
    if code == 0:
        return ""
    return "time" if timed_out else f"{argv[0]} failed: {text.strip()[-200:]}"


def check_spin(n: int, v1: bool, timeout: float, memory_gib: float, tmp: Path) -> Run:
    r = Run("spin", n, v1)
    t0 = time.monotonic()
    deadline = t0 + timeout
    shutil.copy(HERE / "sgi.pml", tmp / "sgi.pml")
    defines = [f"-DN={n}"] + (["-DV1"] if v1 else [])
    for argv in (
        ["spin", *defines, "-a", "sgi.pml"],
        # SAFETY: the promises are assertions, no cycles to look for. NOBOUNDCHECK: the model's
        # indices are in range (and pan's checks cost time). MEMLIM: pan stops itself at the
        # limit and says so. No BITSTATE or HC: those searches are incomplete.
        ["gcc", "-O2", "-DSAFETY", "-DNOBOUNDCHECK", f"-DMEMLIM={int(memory_gib * 1024)}", "-o", "pan", "pan.c"],
    ):
        r.why = build_error(argv, tmp, deadline, memory_gib)
        if r.why:
            r.seconds = time.monotonic() - t0
            return r
    r.build_seconds = time.monotonic() - t0
    code, text, r.peak_mib, timed_out = run(["./pan", f"-m{SPIN_DEPTH}", f"-w{SPIN_HASH_BITS}"], tmp, deadline, memory_gib)
    r.seconds = time.monotonic() - t0
    (tmp / "pan.out").write_text(text)
    if m := re.search(r"^\s*([\d.e+]+) states, stored", text, re.MULTILINE):
        r.states = int(float(m.group(1)))
    errors = re.search(r"errors: (\d+)", text)
    r.violated = sorted({p for line in text.splitlines() if "assertion violated" in line for p in named(line)})
    if errors and int(errors.group(1)) > 0 and not r.violated:
        r.violated = ["(an error no promise names)"]
    if timed_out:
        r.why = "time"
    elif "-DMEMLIM bound" in text or "out of memory" in text:
        r.why = "memory"
    elif "max search depth too small" in text:
        r.why = "depth"
    elif errors is None:
        r.why = f"no summary (exit {code})"
    elif "Search not completed" in text and not r.violated:
        r.why = "search not completed"
    else:
        r.finished = True
    return r


def murphi(n: int, v1: bool) -> str:
    """sgi.m with its constants set for N vCPUs and the dispatch chosen."""
    text = (HERE / "sgi.m").read_text()
    values = {"N": str(n), "TLMAX": str(2 ** min(n, 16) - 1), "K": str((n + 15) // 16), "V1": "true" if v1 else "false"}
    for name, value in values.items():
        text, count = re.subn(rf"^(  {name}: )\w+;", rf"\g<1>{value};", text, count=1, flags=re.MULTILINE)
        assert count == 1, name
    return text


def check_rumur(n: int, v1: bool, timeout: float, memory_gib: float, tmp: Path) -> Run:
    r = Run("rumur", n, v1)
    t0 = time.monotonic()
    deadline = t0 + timeout
    (tmp / "sgi.m").write_text(murphi(n, v1))
    for argv in (
        # One thread, as the other tools; no deadlock check (the promises are the assertions
        # and the invariant); unpacked auxiliary state: faster, and memory is not what runs out.
        ["rumur", "--threads", "1", "--deadlock-detection", "off", "--pack-state", "off", "sgi.m", "--output", "checker.c"],
        ["gcc", "-std=c11", "-O2", "-o", "checker", "checker.c", "-lpthread"],
    ):
        r.why = build_error(argv, tmp, deadline, memory_gib)
        if r.why:
            r.seconds = time.monotonic() - t0
            return r
    r.build_seconds = time.monotonic() - t0
    # stdbuf: the progress lines reach the file as they are printed (a lower bound on the
    # states if the run is stopped).
    code, text, r.peak_mib, timed_out = run(["stdbuf", "-oL", "./checker"], tmp, deadline, memory_gib)
    r.seconds = time.monotonic() - t0
    (tmp / "checker.out").write_text(text)
    if m := re.search(r"(\d+) states, (\d+) rules fired", text):
        r.states = int(m.group(1))
    elif found := re.findall(r"(\d+) states explored in \S+, with \d+ rules fired and (\d+) states in the queue", text):
        r.states = int(found[-1][0]) + int(found[-1][1])  # stored: explored and still queued
    r.violated = sorted(
        {
            p
            for line in text.splitlines()
            if "Assertion failed" in line or ("invariant" in line.lower() and "failed" in line)
            for p in named(line)
        }
    )
    if timed_out:
        r.why = "time"
    elif "No error found" in text:
        r.finished = True
    elif re.search(r"\d+ error\(s\) found", text):
        r.finished = True
        r.violated = r.violated or ["(an error no promise names)"]
    elif "out of memory" in text.lower() or "alloc" in text.lower():
        r.why = "memory"
    else:
        r.why = f"no summary (exit {code})"
    return r


def check_gicheck(n: int, v1: bool, timeout: float, memory_gib: float, tmp: Path) -> Run:
    r = Run("gicheck", n, v1)
    t0 = time.monotonic()
    report = tmp / "gicheck.json"
    argv = [sys.executable, "-m", "checker", "prove", "--spec", str(HERE / "gicheck"), "--vcpus", str(n)]
    argv += ["--overlay", str(HERE / "gicheck" / "v1.overlay")] if v1 else []
    argv += ["--no-cache", "--jobs", "1", "--format", "json", "--output", str(report), str(HERE / "gicheck" / "sgi.prop")]
    code, text, r.peak_mib, timed_out = run(argv, ROOT, t0 + timeout, memory_gib)
    r.seconds = time.monotonic() - t0
    if timed_out:
        r.why = "time"
        return r
    if not report.exists():
        r.why = "memory" if "MemoryError" in text or "memory" in text.lower() else f"no report (exit {code})"
        return r
    results = json.loads(report.read_text())["results"]
    kinds = {res["name"]: res["verdict"]["kind"] for res in results}
    r.violated = sorted(name for name, kind in kinds.items() if kind == "violated")
    undecided = sorted(name for name, kind in kinds.items() if kind not in ("proved", "violated"))
    if undecided or set(kinds) != set(PROPERTIES):
        r.why = "undecided: " + ", ".join(f"{name} {kinds.get(name, 'missing')}" for name in undecided or PROPERTIES)
    else:
        r.finished = True
    return r


CHECKS: dict[str, Callable[[int, bool, float, float, Path], Run]] = {
    "spin": check_spin,
    "rumur": check_rumur,
    "gicheck": check_gicheck,
}


def agrees(run: Run) -> bool:
    """A finished run says what the slice is known to do: the merged dispatch keeps every
    promise; the v1 dispatch breaks the broadcast one. Explicit-state tools stop at their first
    error, so for v1 they name one promise; gicheck names every one broken."""
    if run.v1:
        return run.violated == [V1_BROKEN]
    return not run.violated


def fmt_time(run: Run) -> str:
    return f"{run.seconds:.1f}" if run.finished else f"> {run.seconds:.0f}"


def fmt_states(run: Run) -> str:
    if run.tool == "gicheck":
        return "(symbolic)"
    if run.states is None:
        return "-"
    return f"{run.states:,}" if run.finished else f"> {run.states:,}"


def ratio(run: Run, base: Run | None) -> str:
    if base is None or not base.finished:
        return "-"
    value = run.seconds / base.seconds
    return f"{value:.1f}" if run.finished else f"> {value:.0f}"


def row(fixed: Run, v1: Run | None, base: Run | None) -> str:
    ok = fixed.finished and v1 is not None and v1.finished and agrees(fixed) and agrees(v1)
    cells = [
        str(fixed.n),
        fixed.tool,
        fmt_time(fixed),
        f"{fixed.build_seconds:.1f}" if fixed.tool != "gicheck" else "-",
        fmt_states(fixed),
        "yes" if fixed.finished else f"no ({fixed.why})",
        fixed.verdict(),
        fmt_time(v1) if v1 else "-",
        v1.verdict() if v1 else "not run",
        f"{fixed.peak_mib:.0f}",
        ratio(fixed, base),
        "yes" if ok else ("-" if not fixed.finished or v1 is None or not v1.finished else "NO"),
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = [
    "| N | tool | merged: s | of which build s | states | finished | merged: promises | v1: s | v1: promises | peak MiB | s / gicheck s | agrees |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def versions() -> str:
    gcc = tool_version(["gcc", "--version"])
    spin = tool_version(["spin", "-V"])
    rumur = tool_version(["rumur", "--version"])
    return f"{spin}; {rumur}; {gcc}"


def describe(args: argparse.Namespace, stopped: dict[str, int]) -> list[str]:
    """What the table is, for results.md."""
    limits = f"{args.timeout:.0f} s and {args.memory_gib:g} GiB"
    return [
        "# The peer table: the SGI slice in Spin, Rumur and gicheck",
        "",
        "Issue 16, item 7. Reproduce: `python bench/peers/run.py --record` (this file is its output).",
        "",
        "## What each tool checks",
        "",
        "The SGI slice of the GICv3 model, written three times by the project: the vCPUs' MPIDR as KVM",
        "assigns it (spec/common/mpidr.gic), ICC_SGI1R_EL1 and vgic_v3_dispatch_sgi() (spec/gicv3/sgi.gic),",
        "each vCPU's SGI pending and active state and its active priority (spec/common/irq.gic), taking an",
        "SGI and ICC_EOIR1_EL1 (spec/gicv3/cpuif.gic); the merged dispatch, and the series' v1 dispatch",
        "(examples/sgi-broadcast-v1/v1.overlay: the early exit on an empty TargetList whatever IRM is).",
        "All three keep SGIs 0 and 1 only (with all 16, one vCPU alone has over 2^32 reachable states), with",
        "every SGI and the distributor enabled; a write naming another SGI changes nothing the slice holds.",
        "",
        "- gicheck: bench/peers/gicheck/sgi.gic with sgi.prop (v1: `--overlay bench/peers/gicheck/v1.overlay`),",
        "  `gicheck prove --spec bench/peers/gicheck --vcpus N --no-cache --jobs 1`. Every 64-bit value of",
        "  ICC_SGI1R_EL1 and ICC_EOIR1_EL1; the three contracts one-step from every state (reachable or",
        "  not), the invariant by induction.",
        "- Spin: bench/peers/sgi.pml, `spin -DN=N [-DV1] -a`, `gcc -O2 -DSAFETY -DNOBOUNDCHECK -DMEMLIM=...`,",
        f"  `./pan -m{SPIN_DEPTH} -w{SPIN_HASH_BITS}` (depth-first, every reachable state stored whole: no",
        "  BITSTATE or hash compaction, which can miss states).",
        "- Rumur: bench/peers/sgi.m with its constants set for N,",
        "  `rumur --threads 1 --deadlock-detection off --pack-state off`, `gcc -std=c11 -O2` (breadth-first).",
        "",
        "The explicit-state models choose each argument of an ICC_SGI1R_EL1 write from one value of each",
        "class that behaves alike, in the dispatch and in the promises: the sender; IRM; INTID 0 or 1;",
        "TargetList over the bits 0..min(N,16)-1 (the others name no vCPU); the cluster Aff3.Aff2.Aff1 as",
        "Aff1 in 0..ceil(N/16) with Aff3 = Aff2 = 0 (the last value names no vCPU, as every other value of",
        "the three fields does); RS is never read. ICC_EOIR1_EL1: INTID 0, 1, or one other private INTID",
        "(a value of 32 and above changes nothing). That is 2^min(N,16) * 4 * (ceil(N/16) + 1) writes per",
        "vCPU and state, where gicheck takes the register whole: gicheck's proof covers more, and the",
        "explicit-state tools had the classes worked out for them.",
        "",
        "The promises (the same four in each tool; bench/peers/gicheck/sgi.prop):",
        "",
        "- `broadcast_reaches_all_others`: after an IRM=1 write, the SGI is pending on every vCPU but the sender;",
        "- `broadcast_skips_sender`: an IRM=1 write leaves the sender's pending bit of that SGI as it was;",
        "- `targeted_reaches_exactly_matching`: after an IRM=0 write, each vCPU's pending bit of that SGI is",
        "  what it was, or'ed with whether the vCPU's Aff3.Aff2.Aff1 equal the write's and TargetList has",
        "  its Aff0 bit;",
        "- `priority_has_active` (invariant): a vCPU with an active priority has an active SGI.",
        "",
        "Spin and Rumur check the first three as assertions after each write and the last in every state",
        "reached; gicheck proves the first three from every state. The v1 dispatch must break",
        "`broadcast_reaches_all_others` and nothing else; Spin and Rumur stop at their first error.",
        "",
        "## Columns",
        "",
        "- merged: s: wall seconds of the whole check of the merged dispatch (for Spin and Rumur: generating",
        "  the C verifier, compiling it, and the search; `of which build s` is the first two). `> t`:",
        f"  stopped at the limit ({limits} of address space per run); the tool is not run at larger N.",
        f"  A run stopped at the time limit gets SIGINT and up to {GRACE:.0f} s more to print its summary",
        "  (pan prints one at once; Rumur's verifier and gicheck go on until SIGKILL), so its `> t` and",
        "  `> s` may include up to that much running past the limit.",
        "- states: states stored (Spin: `states, stored`; Rumur: `states`); `> s`: what it had when stopped.",
        "- finished: the search covered every reachable state (Spin: no `Search not completed`, no",
        "  `max search depth too small`, no MEMLIM stop; Rumur: its `Status` summary), or gicheck decided",
        "  all four promises.",
        "- v1: s / v1: promises: the same check of the v1 dispatch.",
        "- peak MiB: the search's peak resident memory, merged dispatch.",
        "- s / gicheck s: merged seconds over gicheck's at the same N.",
        "- agrees: merged keeps all four, v1 breaks `broadcast_reaches_all_others` only.",
        "",
        "Unfinished first (and not run at larger N): "
        + (", ".join(f"{tool} at N = {n}" for tool, n in stopped.items()) if stopped else "none")
        + "; finished at every N run (up to the last of --counts, or until every tool stopped): "
        + (", ".join(t for t in args.tools if t not in stopped) or "none")
        + ".",
        "",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", type=int, nargs="*", default=COUNTS, help="vCPU counts, in order")
    ap.add_argument("--tools", nargs="*", choices=TOOLS, default=TOOLS)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run (build and search)")
    ap.add_argument("--memory-gib", type=float, default=8.0, help="address space per run")
    ap.add_argument("--record", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    ap.add_argument("--keep", type=Path, default=None, help="keep each run's build and output in this directory")
    args = ap.parse_args()
    if {"spin", "rumur"} & set(args.tools) and not install():
        return 2
    head = f"### {machine()}; {versions()}"
    print(head, flush=True)
    lines = [head, "", *HEADER]
    print("\n".join(HEADER), flush=True)
    live = [t for t in TOOLS if t in args.tools]
    stopped: dict[str, int] = {}
    disagree = 0
    for n in args.counts:
        if not live:
            break
        runs: dict[str, tuple[Run, Run | None]] = {}
        for tool in live:
            pair: list[Run] = []
            for v1 in (False, True):
                with tempfile.TemporaryDirectory(prefix=f"peers-{tool}-{n}-") as tmp:
                    result = CHECKS[tool](n, v1, args.timeout, args.memory_gib, Path(tmp))
                    if args.keep is not None:
                        shutil.copytree(tmp, args.keep / f"{tool}-{n}-{'v1' if v1 else 'merged'}", dirs_exist_ok=True)
                pair.append(result)
                if not result.finished:
                    break
            runs[tool] = (pair[0], pair[1] if len(pair) > 1 else None)
        base = runs["gicheck"][0] if "gicheck" in runs else None
        for tool, (fixed, v1run) in runs.items():
            line = row(fixed, v1run, base if tool != "gicheck" else None)
            print(line, flush=True)
            lines.append(line)
            if fixed.finished and v1run is not None and v1run.finished and not (agrees(fixed) and agrees(v1run)):
                disagree += 1
            if not fixed.finished or v1run is None or not v1run.finished:
                stopped[tool] = n
                live.remove(tool)
    if args.record:
        RESULTS.write_text("\n".join([*describe(args, stopped), *lines]) + "\n")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
