"""No input, however broken, hurts: specs, properties, overlays, run scripts, ITF traces and
command lines, mutated from the shipped ones or made from nothing, each run in a child process
within a memory and a time limit (tests/fuzz.py), end in a verdict or in an error with its place
and a documented exit code (issue 18, "Inputs cannot hurt").

About a minute in all in CI; GICHECK_FUZZ_EXAMPLES=N runs N examples of each input kind instead
(bench/fuzz.py runs them for a time). Every input a run found breaking the rule is kept in
tests/fuzz-regressions/ and run again here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from checker.cli.codes import ExitCode
from tests.fuzz import ROOT, Case, Kind, Outcome, broken_rule, check, run_case
from tests.fuzz_inputs import SCRIPT_TOKENS, STRATEGIES, TOKENS
from tests.helpers import SMALL_SPEC

# examples of each kind in CI: the cheap ones more (a prove of the small spec, a replay), the
# ones that load the whole shipped spec fewer
CI_EXAMPLES = {
    Kind.SPEC: 20,
    Kind.PROPS: 25,
    Kind.OVERLAY: 12,
    Kind.TRACE: 40,
    Kind.SCRIPT: 15,
    Kind.ARGS: 60,
    Kind.SOUP: 40,
}
REGRESSIONS = sorted((ROOT / "tests/fuzz-regressions").glob("*.json"))


def examples(kind: Kind) -> int:
    given_n = os.environ.get("GICHECK_FUZZ_EXAMPLES")
    return int(given_n) if given_n else CI_EXAMPLES[kind]


def _fuzz(kind: Kind):  # type: ignore[no-untyped-def]
    @pytest.mark.slow
    @settings(max_examples=examples(kind), deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=STRATEGIES[kind])
    def test(case: Case) -> None:
        check(case)

    test.__name__ = f"test_fuzzed_{kind}_input_ends_in_a_verdict_or_a_located_error"
    return test


test_fuzzed_spec = _fuzz(Kind.SPEC)
test_fuzzed_props = _fuzz(Kind.PROPS)
test_fuzzed_overlay = _fuzz(Kind.OVERLAY)
test_fuzzed_trace = _fuzz(Kind.TRACE)
test_fuzzed_script = _fuzz(Kind.SCRIPT)
test_fuzzed_args = _fuzz(Kind.ARGS)
test_fuzzed_soup = _fuzz(Kind.SOUP)


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_an_input_a_fuzz_run_found_keeps_the_rule(path: Path) -> None:
    check(Case.from_json(path.read_text()))


# ---- the harness itself ----------------------------------------------------------------------

SMALL = Case(
    Kind.ARGS,
    ("prove", "--spec", "{dir}/spec", "{dir}/p.prop", "--vcpus", "2", "-j", "1"),
    (("spec/model.gic", SMALL_SPEC), ("p.prop", (ROOT / "tests/fuzz-inputs/small.prop").read_text())),
)


def test_a_run_keeps_the_rule_with_its_verdict() -> None:
    outcome = check(SMALL)
    assert outcome.code == ExitCode.VIOLATED
    assert "VIOLATED   not_two" in outcome.out


def test_a_whole_program_run_that_names_a_file_not_utf8_keeps_the_rule() -> None:
    argv = ("prove", "--spec", "{dir}/spec", "{dir}/p\udcff.prop", "--vcpus", "2", "-j", "1")
    files = (SMALL.files[0], ("p\udcff.prop", SMALL.files[1][1]))
    outcome = check(Case(Kind.ARGS, argv, files, program=True))
    assert outcome.code == ExitCode.VIOLATED
    assert "p\udcff.prop:2:1" in outcome.out


def test_every_token_can_be_written_to_a_file() -> None:
    for token in TOKENS + SCRIPT_TOKENS:
        token.encode(errors="surrogateescape")


def test_a_run_past_its_time_limit_breaks_the_rule() -> None:
    assert broken_rule(run_case(SMALL, time_limit=0.001)) == "no exit within the time limit of 0.001 s"


def test_a_run_past_its_memory_limit_breaks_the_rule() -> None:
    outcome = run_case(SMALL, memory_mb=1)
    assert outcome.code != ExitCode.VIOLATED
    assert broken_rule(outcome) is not None


@pytest.mark.parametrize(
    ("outcome", "wrong"),
    [
        (Outcome(70, err="gicheck: internal error: this is a bug"), "exit 70"),
        (Outcome(1, out="Traceback (most recent call last):"), "an internal error or a traceback in the output"),
        (Outcome(2, err="usage: gicheck"), "exit 2 with no 'gicheck: error:' message"),
        (Outcome(3, err="gicheck: 1 error\n"), "exit 3 with no located error"),
        (Outcome(3, err="p.prop:2:1: error: unknown name x\n"), None),
        (Outcome(3, err="gicheck replay: t.itf.json: states[0]: no value for pending\n"), None),
        (Outcome(9), "exit 9"),
    ],
)
def test_the_rule(outcome: Outcome, wrong: str | None) -> None:
    assert broken_rule(outcome) == wrong
