"""A check with a time limit is held to it: when Z3 runs past its own timeout (some of its steps
never look at the clock), a watchdog interrupts it, and the answer is unknown with the reason."""

from __future__ import annotations

import time

import pytest
import z3

from checker.smt import limits


def _hard() -> z3.Solver:
    """A query no solver answers in seconds, on any machine: 13 pigeons in 12 holes, as clauses
    (unsatisfiable, and every resolution refutation of it is exponentially long, so CDCL cannot be
    quick; factoring a product of two primes was, once, on a faster machine)."""
    holes = 12
    p = [[z3.Bool(f"p{i}_{j}") for j in range(holes)] for i in range(holes + 1)]
    s = z3.Solver()
    s.add(*[z3.Or(*row) for row in p])
    for j in range(holes):
        for i in range(holes + 1):
            s.add(*[z3.Or(z3.Not(p[i][j]), z3.Not(p[k][j])) for k in range(i + 1, holes + 1)])
    return s


def test_a_check_past_its_limit_is_stopped_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "GRACE_FACTOR", 1)
    monkeypatch.setattr(limits, "GRACE_MS", 0)
    res, model, why = limits.check(_hard(), (), None, timeout_ms=300)  # Z3's own timeout not set
    assert (res, model) == (z3.unknown, None)
    assert why == "timeout (300 ms; the solver ran past it and was stopped)"


def test_the_watchdog_never_interrupts_a_check_that_has_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    fired: list[bool] = []
    monkeypatch.setattr(limits, "interrupt", lambda: fired.append(True))
    monkeypatch.setattr(limits, "GRACE_FACTOR", 1)
    monkeypatch.setattr(limits, "GRACE_MS", 0)
    s = z3.Solver()
    s.add(z3.Bool("p"))
    assert limits.check(s, (), None, timeout_ms=50)[0] == z3.sat
    time.sleep(0.2)
    assert fired == []


def test_no_query_runs_without_a_limit_and_its_reason_names_the_one_it_used_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --timeout a query still has the budgets' query_ms; running out of it is Unknown,
    and the reason says which query and which limit (issue 22: no query without a budget)."""
    from checker import pipeline
    from checker.smt import query as q
    from tests.helpers import ROOT

    monkeypatch.setattr(limits, "GRACE_FACTOR", 1)
    monkeypatch.setattr(limits, "GRACE_MS", 0)
    system = pipeline.load_system(ROOT / "tests/specs/engines", "gicv3", property_files=[], vcpus=(1, 2))
    query = q.Query(system, q.Setting((1, 2), budgets=q.SolverBudgets(query_ms=1_000)))
    assert query.timeout_ms == 1_000
    hard = _hard()
    query.solver.add(*hard.assertions())
    res, model, why = query.check()
    assert (res, model) == (z3.unknown, None)
    assert why.startswith("timeout: a one-step query over vCPUs 1..2 used up the 1 s every query is allowed without --timeout (")
    # --timeout, when given, is the limit instead, and its reason is the solver's own
    given = q.Query(system, q.Setting((1, 2), timeout=0.5, budgets=q.SolverBudgets(query_ms=1_000)))
    given.solver.add(*hard.assertions())
    res, _, why = given.check()
    assert res == z3.unknown and not why.startswith("timeout: a one-step query")
