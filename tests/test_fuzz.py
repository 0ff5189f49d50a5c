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

from tests.fuzz import ROOT, Case, Kind, check
from tests.fuzz_inputs import STRATEGIES

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
