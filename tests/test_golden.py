"""Golden output: the README's tour and every example, run from the checkout's root and compared
byte for byte with tests/golden/<name>.txt once times and the checkout's path are replaced by
placeholders. `python -m pytest tests/test_golden.py --regen-golden` rewrites the files; review
the git diff before committing them.

Each command runs as `python -m checker` in a process of its own with PYTHONHASHSEED=0: the
values the solver picks for a trace (an access's value, which vCPU sends) depend on the order
Python iterates sets of strings in, which changes with the hash seed from process to process."""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.helpers import ROOT

GOLDEN = ROOT / "tests/golden"


@dataclass(frozen=True)
class Golden:
    name: str
    argv: tuple[str, ...]
    slow: bool = False


V1 = "examples/sgi-broadcast-v1/v1.overlay"
IGROUPR = "examples/today-igroupr/igroupr.overlay"
VCPUS_512 = "examples/today-vcpus-512/vcpus-512.overlay"
SGI_ENABLE = "examples/today-sgi-enable/sgi-enable.overlay"
HALF_ORDER = "examples/half-order/lower-first.overlay"

V1_ONLY = ("--vcpus", "1..2", "--property", "broadcast_reaches_all_others")

# Per example the cheapest command that still shows its point (the examples' own commands at
# vCPUs 1..8 take minutes; they are in FULL below, not run here).
CASES = (
    # README.md, "A five-minute tour"
    Golden("tour-prove-v1", ("prove", "--overlay", V1, "properties/sgi.prop", "--property", "broadcast_reaches_all_others")),
    Golden(
        "tour-prove-v1-json",
        (
            "prove",
            "--overlay",
            V1,
            "properties/sgi.prop",
            "--vcpus",
            "1..8",
            "--property",
            "broadcast_reaches_all_others",
            "--format",
            "json",
        ),
    ),
    # the same counterexample in each report format (docs/reports.md)
    *(
        Golden(f"tour-prove-v1-{fmt}", ("prove", "--overlay", V1, "properties/sgi.prop", *V1_ONLY, "--format", fmt))
        for fmt in ("junit", "sarif", "c")
    ),
    Golden("tour-list", ("list",)),
    Golden("tour-usage-vcpus-0", ("prove", "--vcpus", "0")),
    # examples/README.md
    # the broken properties' traces vary from run to run (tests/test_cli.py checks them): the actions only
    Golden("sgi-broadcast-v1-diff", ("diff", V1, "--vcpus", "1..8", "--no-properties")),
    *(
        Golden(
            f"sgi-broadcast-v1-diff-{fmt}", ("diff", V1, *V1_ONLY, "--action", "ICC_SGI1R_EL1.write", "--format", fmt), slow=True
        )
        for fmt in ("junit", "sarif")
    ),
    Golden("half-order-diff", ("diff", HALF_ORDER, "--no-properties", "--vcpus", "1..2"), slow=True),
    Golden(
        "gicv2-before-split-diff", ("diff", "examples/gicv2-before-split/spec", "spec", "--model", "gicv2", "--no-properties")
    ),
    Golden(
        "today-igroupr-diff",
        (
            "diff",
            IGROUPR,
            "--vcpus",
            "1..2",
            "--action",
            "GICR_IGROUPR0.read",
            "--action",
            "GICR_IGROUPR0.write",
            "--no-properties",
        ),
    ),
    Golden(
        "today-vcpus-512-diff",
        (
            "diff",
            VCPUS_512,
            "--vcpus",
            "1..2",
            "--action",
            "GICD_IROUTER.write",
            "--action",
            "acknowledge_spi",
            "--property",
            "irouter_routes_to_named_vcpu",
            "--property",
            "spi_taken_only_by_target",
            "--property",
            "spi_target_exists",
        ),
    ),
    Golden(
        "today-igroupr-diff-json",
        (
            "diff",
            IGROUPR,
            "--vcpus",
            "1..2",
            "--action",
            "GICR_IGROUPR0.read",
            "--action",
            "GICR_IGROUPR0.write",
            "--no-properties",
            "--format",
            "json",
        ),
    ),
    Golden(
        "today-sgi-enable-diff",
        ("diff", SGI_ENABLE, "--vcpus", "1..2", "--action", "GICR_ICENABLER0.write", "--action", "GICR.write", "--no-properties"),
    ),
    # docs/run.md: the spec as a reference model, on both models
    Golden("run-sgi-broadcast", ("run", "examples/run/sgi-broadcast.run")),
    Golden("run-spi-and-sgi", ("run", "examples/run/spi-and-sgi.run")),
    Golden("run-spi-and-sgi-json", ("run", "examples/run/spi-and-sgi.run", "--format", "json")),
    Golden("run-gicv2-sgi-sources", ("run", "examples/run/gicv2-sgi-sources.run")),
    Golden("run-gicv2-vcpu-past-count", ("run", "examples/run/gicv2-sgi-sources.run", "--vcpus", "2")),
)

# The examples' commands as examples/README.md gives them, over their whole ranges (minutes
# each): recorded for bench/diffs.py and a reader, not run by the tests.
FULL = {
    "sgi-broadcast-v1": ("prove", "--overlay", V1, "properties/sgi.prop"),
    "sgi-broadcast-v1-diff": ("diff", V1, "--vcpus", "1..8", "--properties", "properties/sgi.prop"),
    "half-order": ("diff", HALF_ORDER, "--no-properties", "--vcpus", "1..8"),
    "gicv2-before-split": ("diff", "examples/gicv2-before-split/spec", "spec", "--model", "gicv2"),
    "today-igroupr": ("diff", IGROUPR, "--vcpus", "1..8"),
    "today-vcpus-512": ("diff", VCPUS_512, "--vcpus", "1..8"),
    "today-sgi-enable": ("diff", SGI_ENABLE, "--vcpus", "1..8"),
}

_TIMES = (
    (re.compile(r"\[\d+(?:\.\d+)?s\]"), "[<time>]"),
    (re.compile(r"\(\d+(?:\.\d+)? ?s\)"), "(<time>)"),
    (re.compile(r" in \d+(?:\.\d+)?s\b"), " in <time>"),
    (re.compile(r'"seconds": \d+(?:\.\d+)?(?:e-?\d+)?'), '"seconds": "<time>"'),
    (re.compile(r' time="\d+(?:\.\d+)?"'), ' time="<time>"'),
)


def normalise(text: str) -> str:
    text = text.replace(str(ROOT), "<ROOT>")
    for pattern, placeholder in _TIMES:
        text = pattern.sub(placeholder, text)
    return text


def render(case: Golden, code: int, out: str, err: str) -> str:
    parts = [f"$ gicheck {shlex.join(case.argv)}\n", f"exit {code}\n", "--- stdout\n", normalise(out)]
    if err:
        parts += ["--- stderr\n", normalise(err)]
    return "".join(parts)


def produce(case: Golden) -> str:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "checker", *case.argv], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return render(case, proc.returncode, proc.stdout, proc.stderr)


def compare(name: str, expected: str, got: str) -> None:
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), got.splitlines(keepends=True), f"tests/golden/{name}.txt", "output"
        )
        pytest.fail("output differs from the golden file (--regen-golden rewrites it):\n" + "".join(diff), pytrace=False)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.slow else []) for c in CASES])
def test_output_matches_the_golden_file(case: Golden, regen_golden: bool) -> None:
    path = GOLDEN / f"{case.name}.txt"
    got = produce(case)
    if regen_golden:
        path.write_text(got)
        return
    assert path.exists(), f"no golden file {path.relative_to(ROOT)}: run with --regen-golden"
    compare(case.name, path.read_text(), got)


def test_every_golden_file_has_its_command() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(c.name for c in CASES)
    for case in CASES:
        path = GOLDEN / f"{case.name}.txt"
        if path.exists():
            assert path.read_text().splitlines()[0] == f"$ gicheck {shlex.join(case.argv)}", path


def _quoted_blocks(markdown: str, command: str) -> list[str]:
    """The fenced blocks of a README that start with `$ <command>`: the lines quoted after it."""
    blocks, block = [], None
    for line in markdown.splitlines(keepends=True):
        if line.startswith("```"):
            if block is not None:
                blocks.append("".join(block))
            block = [] if block is None else None
        elif block is not None:
            block.append(line)
    return [b.split("\n", 1)[1] for b in blocks if b.startswith(f"$ {command}\n")]


def test_the_readme_tour_quotes_the_golden_output() -> None:
    """README.md's output block for the v1 example is made of lines of the golden file, in order
    ('...' stands for lines left out), so the README cannot drift from what the checker prints."""
    case = next(c for c in CASES if c.name == "tour-prove-v1")
    (block,) = _quoted_blocks((ROOT / "README.md").read_text(), f"gicheck {shlex.join(case.argv)}")
    golden = (GOLDEN / f"{case.name}.txt").read_text().split("--- stdout\n", 1)[1]
    golden = re.sub(r"  \[<time>\]$", "", golden, flags=re.MULTILINE)  # the README leaves the times out
    chunks = [c.strip("\n") for c in block.split("...\n") if c.strip("\n")]
    assert chunks, block
    at = 0
    for chunk in chunks:
        i = golden.find(chunk + "\n", at)
        assert i >= 0, f"README.md quotes lines the checker does not print:\n{chunk}\n--- golden:\n{golden}"
        at = i + len(chunk)
