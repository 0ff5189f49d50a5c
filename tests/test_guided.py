"""The contract trace search guided by its one-step counterexample: the counterexample minimized
in the interpreter, the runs writing what it needs tried first, and a depth the solver leaves
undecided named in the verdict instead of stopping the search."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from checker import interp, ir, irwalk, pipeline
from checker.engines import Options, check_properties, induction, replay
from checker.engines import search as E
from checker.render.text import how
from checker.results import Covered, Proved, Unknown, Unreached, Violated
from checker.smt import handlers
from checker.smt import query as q
from tests.helpers import write_tree
from tests.test_diff import SPEC

# Interrupt 7 can be taken, but only after an enable and a doorbell: two accesses from reset.
PROPS = """
use model small

/// Interrupt 7 is never taken (false: enable it, ring it, take it).
property seven_never_taken: after take(s, i): i != 7
"""


# As on a depth with more live sequences than sequences_first_max: the query over every action
# first, then (when it gives up) the guided runs and the sequences one by one.
WHOLE_FIRST = replace(E.DEFAULT_POLICY, sequences_first_max=0)


def _system(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": PROPS})
    return pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))


def test_the_counterexample_is_minimized_to_what_it_needs_away_from_reset(tmp_path: Path) -> None:
    system = _system(tmp_path)
    prop = system.properties[0]
    ans = q.contract(system, prop, q.OneStep(q.Setting((1, 2))))  # type: ignore[arg-type]
    assert isinstance(ans, q.Sat) and ans.witness.pre_state is not None
    confirm = lambda w: replay.contract_trace(system, prop, w)
    assert replay.moved_from_reset(system, ans.witness, confirm) == {"enabled", "pending"}
    # with either put back to reset, the access takes nothing, or takes another interrupt
    at_reset = interp.Interp(system, ans.witness.nr_vcpus, ans.witness.params).reset()
    for n in ("enabled", "pending"):
        with pytest.raises(replay.ReplayMismatch):
            confirm(replace(ans.witness, pre_state={**ans.witness.pre_state, n: at_reset[n]}))


def test_a_trace_past_an_undecided_depth_is_shown_with_what_was_left_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver is made to give up on every query at depth 1, whole or one sequence at a time
    (as it does on today-igroupr at depth 2): the search goes on to depth 2, where the query
    over every action finds the trace (enable, doorbell, take); depth 1 is then searched one
    sequence at a time, and stays undecided: the verdict says a shorter trace was not ruled
    out, and why."""
    system = _system(tmp_path)
    real = q.contract
    asked: list[tuple[int | None, tuple[str, ...] | None]] = []

    def contract(sys: ir.System, prop: ir.Contract, req: q.OneStep) -> q.Answer:
        asked.append((req.prefix, req.path))
        if req.prefix == 1:
            return q.Unknown("timeout (made to give up by the test)")
        return real(sys, prop, req)

    monkeypatch.setattr(q, "contract", contract)
    [r] = check_properties(system, Options((1, 2), policy=WHOLE_FIRST))
    v = r.verdict
    assert isinstance(v, Violated)
    assert (
        v.note
        == "a shorter trace is not ruled out: the solver gave up on traces of 2 steps (timeout (made to give up by the test))"
    )
    assert (v.shortest, v.fewest_vcpus) == (False, True)  # the query over every action chose the vCPU count
    assert how(r).endswith("(replayed); none of 3 steps has fewer vCPUs; " + v.note)
    names = [s.target or s.register or s.action for s in v.trace.steps]
    assert [n.split()[0] for n in names[:2]] in (["ENABLE", "DOORBELL"], ["DOORBELL", "ENABLE"])
    assert v.trace.steps[-1].action == "take" and v.trace.from_reset
    # the trace came from depth 2's query over every action: no guided run was needed
    assert (2, None) in asked
    assert not any(k == 2 and p is not None for k, p in asked)
    # after the trace was found, depth 1 was asked again one sequence at a time
    found_at = asked.index((2, None))
    assert any(k == 1 and p is not None for k, p in asked[found_at:])


def test_a_depth_left_undecided_is_decided_after_a_deeper_trace_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As above, but only depth 1's query over all actions gives up: once the deeper trace is
    found, the sequences of depth 1 are searched one at a time, all unsat, so the trace is the
    shortest and carries no note."""
    system = _system(tmp_path)
    real = q.contract
    asked: list[tuple[int | None, tuple[str, ...] | None]] = []

    def contract(sys: ir.System, prop: ir.Contract, req: q.OneStep) -> q.Answer:
        asked.append((req.prefix, req.path))
        if req.prefix == 1 and req.path is None:
            return q.Unknown("timeout (made to give up by the test)")
        return real(sys, prop, req)

    monkeypatch.setattr(q, "contract", contract)
    [r] = check_properties(system, Options((1, 2)))
    assert isinstance(r.verdict, Violated) and r.verdict.note is None and r.verdict.shortest
    assert len(r.verdict.trace.steps) == 3
    assert any(k == 1 and p is not None for k, p in asked)


def test_without_a_gap_the_trace_is_the_shortest_and_carries_no_note(tmp_path: Path) -> None:
    [r] = check_properties(_system(tmp_path), Options((1, 2)))
    assert isinstance(r.verdict, Violated) and r.verdict.note is None
    assert len(r.verdict.trace.steps) == 3
    assert (r.verdict.shortest, r.verdict.fewest_vcpus) == (True, True)
    assert how(r) == (
        "counterexample with 1 vCPU, 3 steps (replayed); minimal: no trace is shorter, and none of 3 steps has fewer vCPUs"
    )


FACT = """
use model small

/// False from three vCPUs on.
fact fewer_than_three: nr_vcpus < 3
"""


def test_fewest_vcpus_is_claimed_only_where_the_solver_ruled_the_lower_counts_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fact false from 3 vCPUs, over 1..4: the trace has 3, the fewest. When the solver
    leaves the lower counts undecided, the count it gives is not claimed to be the fewest; and a
    trace found along one sequence of actions is the fewest only at the range's lowest count
    (another sequence of the same length might need fewer)."""
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": FACT})
    system = pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 4))
    [r] = check_properties(system, Options((1, 4)))
    assert isinstance(r.verdict, Violated)
    assert (r.verdict.trace.nr_vcpus, r.verdict.shortest, r.verdict.fewest_vcpus) == (3, True, True)
    real = q.Query.check

    def check(self, bad, *extra, budget_ms=None):  # type: ignore[no-untyped-def]
        if extra:  # the minimization's "at most m vCPUs" checks
            return q.z3.unknown, None, "timeout (made to give up by the test)"
        return real(self, bad, *extra, budget_ms=budget_ms)

    monkeypatch.setattr(q.Query, "check", check)
    a = handlers.fact(system, system.properties[0], q.Setting((1, 4)))  # type: ignore[arg-type]
    assert isinstance(a, q.Sat) and a.witness.nr_vcpus >= 3 and not a.witness.fewest_vcpus
    assert not E._one_sequence(q.Sat(q.Witness(2, fewest_vcpus=True)), (1, 3)).witness.fewest_vcpus
    assert E._one_sequence(q.Sat(q.Witness(2)), (2, 3)).witness.fewest_vcpus


def test_more_guides_holds_shared_variables_at_reset_one_more_at_a_time() -> None:
    """Routes: the first counterexample needs {a, b}; holding a at reset leaves one needing
    {b, c}; holding a and b too, none is left. Each set is asked for once."""
    asked: list[list[set[str]]] = []

    def ask(avoid: list[set[str]]) -> q.Answer:
        asked.append(avoid)
        held = set().union(*avoid)
        if "a" in held and "b" in held:
            return q.Unsat()
        return q.Sat(q.Witness(1, pre_state={"route": "bc" if "a" in held else "ab"}))

    guides = E.more_guides({"a", "b"}, ask, lambda w: set(w.pre_state["route"]))  # type: ignore[index]
    assert guides == [{"a", "b"}, {"b", "c"}]
    assert asked == [[{"a"}], [{"a"}, {"b"}], [{"a"}, {"c"}]]
    # once the time for guides has run out, nothing more is asked
    asked.clear()
    late = E.more_guides({"a", "b"}, ask, lambda w: set(w.pre_state["route"]), deadline=time.monotonic() - 1)  # type: ignore[index]
    assert (late, asked) == ([{"a", "b"}], [])


COVER = """
use model small

/// Two interrupts pending on one vCPU, both enabled: one ENABLE write and two doorbells.
cover two_ready: exists c: vcpu. pending[c][7] && enabled[7] && pending[c][3] && enabled[3]
"""


def test_a_cover_is_found_along_the_runs_a_state_one_access_from_it_points_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every query over all actions from depth 2 on gives up: the cover is found at depth 3
    along a run guided by a state one access from the goal (minimized: enabled and pending away
    from reset), and depth 2, searched one sequence at a time afterwards, has no trace: the
    trace is the shortest and carries no note."""
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": COVER})
    system = pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))
    real = q.reach
    asked: list[tuple[int, tuple[str, ...] | None]] = []

    def reach(sys: ir.System, goal: ir.Expr, req: q.Steps) -> q.Answer:
        asked.append((req.k, req.path))
        if req.k >= 2 and req.path is None:
            return q.Unknown("timeout (made to give up by the test)")
        return real(sys, goal, req)

    guides: list[list[set[str]]] = []
    real_guides = induction.goal_guides

    def goal_guides(*args):  # type: ignore[no-untyped-def]
        guides.append(real_guides(*args))
        return guides[-1]

    monkeypatch.setattr(q, "reach", reach)
    monkeypatch.setattr(induction, "goal_guides", goal_guides)
    [r] = check_properties(system, Options((1, 2), policy=WHOLE_FIRST))
    v = r.verdict
    assert isinstance(v, Covered) and v.note is None, v
    assert sorted((s.target or s.register or "").split()[0] for s in v.trace.steps) == ["DOORBELL", "DOORBELL", "ENABLE"]
    assert guides == [[{"enabled", "pending"}]]
    # at depth 3 the query over every action came first, gave up, and a guided run found the trace
    whole_at = asked.index((3, None))
    found_at = next(i for i, (k, p) in enumerate(asked) if k == 3 and p is not None)
    assert whole_at < found_at
    assert any(k == 2 and p is not None for k, p in asked[found_at:])


def test_two_accesses_that_commute_are_searched_in_one_order_only() -> None:
    """a and b touch different state (they commute); c reads what both write. Of the runs of
    two accesses before c, only a-then-b is listed, and b-then-a is not; a and c do not
    commute (c reads x), so both their orders stay."""
    rw = {"a": ({"x"}, {"x"}), "b": ({"y"}, {"y"}), "c": ({"x", "y"}, {"z"})}
    assert irwalk.commuting(rw) == {("a", "b")}
    paths = E.live_paths(rw, 2, {"x", "y"})
    assert ("a", "b") in paths and ("b", "a") not in paths
    # every run of three ending in c, each access feeding a later one, but never b right before a
    assert sorted(E.live_paths(rw, 3, {"z"})) == sorted(
        [
            ("a", "a", "c"),
            ("c", "a", "c"),
            ("a", "b", "c"),
            ("b", "b", "c"),
            ("c", "b", "c"),
            ("a", "c", "c"),
            ("b", "c", "c"),
            ("c", "c", "c"),
        ]
    )


def test_a_search_whose_time_runs_out_says_how_far_it_got(tmp_path: Path) -> None:
    """With no time for the search, the cover is searched at depth 0 only (reset is not the
    goal) and reported UNREACHED within 0 steps, naming --search-time; with the maximum depth
    too small, UNREACHED within it, naming --depth."""
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": COVER})
    system = pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))
    [r] = check_properties(system, Options((1, 2), search_time=1e-9))
    assert r.verdict == Unreached(0, "the search time (1e-09 s, --search-time) ran out: no trace of 0 accesses or fewer")
    [r] = check_properties(system, Options((1, 2), depth=2))
    assert r.verdict == Unreached(2, "the maximum depth (--depth 2)")


def _recording_target(answer: q.Answer) -> tuple[E.Target, list[tuple[tuple[int, int], tuple[str, ...] | None]]]:
    """A target over three actions whose every query answers `answer`, and the queries it got."""
    asked: list[tuple[tuple[int, int], tuple[str, ...] | None]] = []

    def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
        asked.append((rng, path))
        return answer

    rw = {"a": ({"x"}, {"x"}), "b": ({"y"}, {"y"}), "c": ({"x", "y"}, {"z"})}
    return E.Target(None, {"z"}, ask, given_rw=rw), asked  # type: ignore[arg-type]


def test_a_depth_with_few_sequences_is_searched_one_sequence_at_a_time_first() -> None:
    """Every live sequence is asked before (and here instead of) the query over every action;
    with more sequences than sequences_first_max, the query over every action comes first and
    decides."""
    few, asked = _recording_target(q.Unsat())
    assert isinstance(E.bmc_depth(few, (9, 255), 2, E.DepthPass()), q.Unsat)
    assert asked and all(path is not None for _, path in asked)
    assert sorted(p for _, p in asked if p is not None) == sorted(E.live_paths(few.rw, 2, {"z"}))
    many, asked = _recording_target(q.Unsat())
    many = replace(many, policy=replace(E.DEFAULT_POLICY, sequences_first_max=1))
    assert isinstance(E.bmc_depth(many, (1, 8), 2, E.DepthPass()), q.Unsat)
    assert asked == [((1, 8), None)]


RW3 = {"a": ({"x"}, {"x"}), "b": ({"y"}, {"y"}), "c": ({"x", "y"}, {"z"})}


def _first_sequence_has_three(later: q.Answer) -> tuple[E.Target, list[tuple[tuple[int, int], tuple[str, ...] | None]]]:
    """A target whose first live sequence of 2 has a trace with 3 vCPUs (the fewest along it),
    every other answering `later`; and the queries it got."""
    first = E.live_paths(RW3, 2, {"z"})[0]
    asked: list[tuple[tuple[int, int], tuple[str, ...] | None]] = []

    def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
        asked.append((rng, path))
        if path != first:
            return later
        w = q.Witness(3)
        w.fewest_vcpus = True
        return q.Sat(w)

    return E.Target(None, {"z"}, ask, given_rw=RW3), asked  # type: ignore[arg-type]


def test_a_trace_along_one_sequence_claims_the_fewest_vcpus_once_the_others_are_ruled_out() -> None:
    """The first sequence with a trace has 3 vCPUs; the others are asked over 1..2 only. None
    has a trace there: 3 is the fewest of every trace of this length. When one is undecided,
    the fewest is not claimed."""
    paths = E.live_paths(RW3, 2, {"z"})
    for later, claimed in ((q.Unsat(), True), (q.Unknown("timeout"), False)):
        t, asked = _first_sequence_has_three(later)
        a = E.bmc_depth(t, (1, 8), 2, E.DepthPass())
        assert isinstance(a, q.Sat) and (a.witness.nr_vcpus, a.witness.fewest_vcpus) == (3, claimed)
        assert asked == [((1, 8), paths[0])] + [((1, 2), p) for p in paths[1:]]


def test_an_undecided_sequence_sends_the_depth_to_the_query_over_every_action() -> None:
    """A sequence the solver leaves undecided decides nothing: the query over every action is
    asked once, and its answer stands (the sequences are not asked again)."""
    t, asked = _recording_target(q.Unknown("timeout"))
    answer = E.bmc_depth(t, (9, 255), 2, E.DepthPass())
    assert isinstance(answer, q.Unknown) and answer.reason == "timeout"
    paths = E.live_paths(t.rw, 2, {"z"})
    assert asked == [((9, 255), p) for p in paths] + [((9, 255), None)]


# Interrupt 7 ready on some vCPU: enabled and pended, two accesses from reset (ENABLE, DOORBELL).
NOT_READY = """
use model small

/// False: enable 7, ring 7.
invariant seven_never_ready: !(exists c: vcpu. pending[c][7] && enabled[7])
"""

# As on a deep scenario's depth: too many sequences to search one at a time.
NO_SPLIT = replace(E.DEFAULT_POLICY, sequences_first_max=0, max_paths=0)


def _invariant_system(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": NOT_READY})
    return pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))


def _one_invariant(tmp_path: Path, text: str) -> ir.System:
    """The small spec with the property file `text`, at vCPUs 1..2."""
    write_tree(tmp_path, {"spec/small.gic": SPEC, "properties/p.prop": text})
    return pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, 2))


def _giving_up(monkeypatch: pytest.MonkeyPatch, times: int) -> list[tuple[int, tuple[str, ...] | None]]:
    """q.reach made to give up the first `times` times it is asked over every action at depth 1."""
    real = q.reach
    asked: list[tuple[int, tuple[str, ...] | None]] = []

    def reach(sys: ir.System, goal: ir.Expr, req: q.Steps) -> q.Answer:
        asked.append((req.k, req.path))
        if req.k == 1 and req.path is None and asked.count((1, None)) <= times:
            return q.Unknown("timeout (made to give up by the test)")
        return real(sys, goal, req)

    monkeypatch.setattr(q, "reach", reach)
    return asked


def test_an_invariant_s_undecided_base_case_is_left_for_later_and_the_violation_found_deeper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base case at depth 1 gives up, and its sequences are too many to split: the
    violation is searched for at depth 2 (found: enable, ring), and depth 1's query over every
    action is then asked again and decided (no violation), so the trace is the shortest. Before,
    the invariant was UNKNOWN at depth 1."""
    asked = _giving_up(monkeypatch, 1)
    [r] = check_properties(_invariant_system(tmp_path), Options((1, 2), policy=NO_SPLIT))
    v = r.verdict
    assert isinstance(v, Violated) and v.note is None and v.shortest, v
    assert sorted((s.target or s.register or "").split()[0] for s in v.trace.steps) == ["DOORBELL", "ENABLE"]
    assert v.trace.from_reset and asked.count((1, None)) == 2
    assert asked.index((2, None)) < len(asked) - 1 - asked[::-1].index((1, None))  # depth 1 again, after depth 2


def test_an_invariant_s_base_case_still_undecided_is_named_in_the_violation_s_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _giving_up(monkeypatch, 99)
    [r] = check_properties(_invariant_system(tmp_path), Options((1, 2), policy=NO_SPLIT))
    v = r.verdict
    assert isinstance(v, Violated) and not v.shortest and len(v.trace.steps) == 2
    assert v.note == (
        "a shorter trace is not ruled out: the solver gave up on traces of 1 step (timeout (made to give up by the test); "
        "and more than 0 action sequences of length 1 to search one by one)"
    )


def test_a_first_induction_step_out_of_its_budget_leaves_the_search_from_reset_to_find_the_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 1-induction step gives up (as a step that runs to its limit does): the base cases go
    on and find the 2-access violation, and the step is never asked again. Before, the step had
    no budget of its own and its Unknown was the invariant's verdict."""
    budgets: list[int | None] = []
    real = q.induction_step

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        if req.k == 1:
            budgets.append(req.budget_ms)
            return q.Unknown("timeout (made to give up by the test)")
        return real(system, prop, req)

    monkeypatch.setattr(q, "induction_step", step)
    [r] = check_properties(_invariant_system(tmp_path), Options((1, 2)))
    v = r.verdict
    assert isinstance(v, Violated) and v.shortest and len(v.trace.steps) == 2, v
    assert budgets == [E.DEFAULT_POLICY.first_step_budget_ms]


def test_a_step_that_had_all_of_timeout_still_leaves_the_base_cases_to_find_the_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under --timeout 30 (mutate's default) the 1-induction step's budget is --timeout itself.
    Its Unknown used to be the invariant's verdict at once, before any base case past 0 was
    searched; now the base cases go on and find the 2-access violation."""
    asked: list[int | None] = []
    real = q.induction_step

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        asked.append(req.budget_ms)
        if req.k == 1:
            return q.Unknown("timeout (made to give up by the test)")
        return real(system, prop, req)

    monkeypatch.setattr(q, "induction_step", step)
    [r] = check_properties(_invariant_system(tmp_path), Options((1, 2), timeout=30))
    v = r.verdict
    assert isinstance(v, Violated) and v.shortest and len(v.trace.steps) == 2, v
    assert asked == [None]


def test_a_step_that_had_all_of_timeout_is_the_verdict_once_no_violation_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invariant whose violation needs 4 accesses, checked to depth 3, whose 1-induction step
    runs out of --timeout: every base case to the depth is searched, then the step's Unknown is
    the verdict; it is not asked again."""
    system = _one_invariant(
        tmp_path,
        "use model small\n\ninvariant three_never_pending: "
        "!(exists c: vcpu. pending[c][7] && pending[c][6] && pending[c][5] && enabled[0])\n",
    )
    asked: list[int] = []
    reached: list[int] = []

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        asked.append(req.k)
        return q.Unknown("timeout (made to give up by the test)")

    real_reach = q.reach

    def reach(sys: ir.System, goal: ir.Expr, req: q.Steps) -> q.Answer:
        reached.append(req.k)
        return real_reach(sys, goal, req)

    monkeypatch.setattr(q, "induction_step", step)
    monkeypatch.setattr(q, "reach", reach)
    [r] = check_properties(system, Options((1, 2), depth=3, timeout=30))
    v = r.verdict
    assert isinstance(v, Unknown) and "made to give up by the test" in v.reason, v
    assert asked == [1]
    assert max(reached) == 3


def test_a_waiting_step_still_proves_the_invariant_when_the_base_cases_go_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A true invariant whose 1-induction step runs out of its first-pass budget (as under load,
    GICv3 absent_spis_keep_reset_state in a test suite), and whose base cases from depth 2 on
    are undecided: the step, which needs only the base case at 0, is asked again without a
    budget and proves it. Before, the base cases' Unknown was the verdict (UNKNOWN)."""
    system = _one_invariant(
        tmp_path, "use model small\n\ninvariant kept: forall c: vcpu, i: irq. pending[c][i] -> pending[c][i]\n"
    )
    budgets: list[int | None] = []
    real_step, real_reach = q.induction_step, q.reach

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        if not req.setting.plain:
            budgets.append(req.budget_ms)
        if req.budget_ms is not None and not req.setting.plain:
            return q.Unknown("timeout (made to give up by the test)")
        return real_step(system, prop, req)

    def reach(sys: ir.System, goal: ir.Expr, req: q.Steps) -> q.Answer:
        if req.k >= 2:
            return q.Unknown("timeout (made to give up by the test)")
        return real_reach(sys, goal, req)

    monkeypatch.setattr(q, "induction_step", step)
    monkeypatch.setattr(q, "reach", reach)
    [r] = check_properties(system, Options((1, 2), depth=4))
    assert r.verdict == Proved("1-induction"), r.verdict
    assert budgets == [E.DEFAULT_POLICY.first_step_budget_ms, None]


def test_the_first_pass_s_induction_steps_do_not_spend_the_search_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--search-time is the search's from reset: a 1-induction step that uses it all up (as
    under mutate's --timeout 30, which is also its search time) no longer ends the invariant
    BOUNDED at depth 0 before the base case that has the violation is searched."""
    clock = [1000.0]
    real = q.induction_step

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        if req.k == 1:
            clock[0] += 100.0  # longer than the search time
            return q.Unknown("timeout (made to give up by the test)")
        return real(system, prop, req)

    monkeypatch.setattr(induction.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(q, "induction_step", step)
    [r] = check_properties(_invariant_system(tmp_path), Options((1, 2), search_time=30))
    v = r.verdict
    assert isinstance(v, Violated) and len(v.trace.steps) == 2, v


def test_induction_steps_past_one_left_undecided_wait_for_the_search_from_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3-access violation (enable, ring 7, ring 6) whose 2-induction step gives up: the
    3-induction step is not asked on the first pass (before, it was, and gave up too, each
    within its budget), and the base cases find the violation."""
    system = _one_invariant(
        tmp_path,
        "use model small\n\ninvariant two_never_ready: !(exists c: vcpu. pending[c][7] && pending[c][6] && enabled[7])\n",
    )
    asked: list[int] = []
    real = q.induction_step

    def step(system: ir.System, prop: ir.Expr, req: q.Steps) -> q.Answer:
        asked.append(req.k)
        if req.k >= 2:
            return q.Unknown("timeout (made to give up by the test)")
        return real(system, prop, req)

    monkeypatch.setattr(q, "induction_step", step)
    [r] = check_properties(system, Options((1, 2)))
    v = r.verdict
    assert isinstance(v, Violated) and v.shortest and len(v.trace.steps) == 3, v
    assert asked == [1, 2]


def test_a_quantifier_over_vcpus_is_expanded_when_loops_over_vcpus_unroll_short(tmp_path: Path) -> None:
    """An induction step assuming a `forall c: vcpu` invariant: at up to 4 vCPUs the forall is
    one case per vCPU, guarded by the count (Z3's quantifier instantiation had left such a step
    unknown); past that it stays a quantifier."""
    write_tree(
        tmp_path,
        {"spec/small.gic": SPEC, "properties/p.prop": "use model small\n\ninvariant i: forall c: vcpu. !pending[c][7]\n"},
    )
    dumped: dict[int, str] = {}
    for hi in (2, 4, 5):
        system = pipeline.load_system(tmp_path / "spec", "small", property_files=[tmp_path / "properties/p.prop"], vcpus=(1, hi))
        [p] = system.properties
        assert isinstance(p, ir.Invariant)
        setting = q.Setting((1, hi), dump=lambda text, hi=hi: dumped.__setitem__(hi, text))  # type: ignore[misc]
        ans = q.induction_step(system, p.body, q.Steps(setting, 1))
        assert isinstance(ans, q.Sat)  # the doorbell pends 7 from a state where it was not
    assert "forall" not in dumped[2] and "forall" not in dumped[4]
    assert "forall" in dumped[5]


def test_a_search_stopped_before_any_length_is_decided_over_every_count_says_so() -> None:
    """A range of many vCPUs: depth 0 is searched over a few first and left undecided for the
    others; the search time then runs out. The verdict says no length was decided, not "no
    trace of -1 accesses"."""
    from checker.engines.deepen import Stopped, deepening
    from checker.results import PropertyKind, PropertyResult

    def at(k: int, how: E.DepthPass) -> q.Unknown:
        return q.Unknown(f"{E.NOT_YET_SEARCHED} 8 vCPUs")

    stopped = deepening(at, 4, Options((1, 255), search_time=0.0))
    assert isinstance(stopped, Stopped)
    assert (stopped.decided, stopped.reason) == (
        -1,
        "the search time (0 s, --search-time) ran out before any length of run was decided over every vCPU count",
    )
    r = PropertyResult("c", PropertyKind.COVER, "", "x:1:1", "small", (1, 255), Unreached(-1, stopped.reason), 0.0)
    assert how(r).startswith("not reached in the runs from reset searched, vCPUs 1..255")
