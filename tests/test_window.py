"""Windows of large state arrays (smt/flat.py, Setting.window): a query over windows finds real
runs only, and its Unsat decides nothing; a search asks it first and keeps only its traces
(engines/search.py: bmc_depth)."""

from __future__ import annotations

from dataclasses import replace

from checker import interp, ir, pipeline
from checker.engines import search as E
from checker.smt import query as q
from tests.helpers import ROOT


def _system() -> ir.System:
    spec = ROOT / "tests/specs/window"
    return pipeline.load_system(spec, "gicv3", property_files=[spec / "props.prop"], vcpus=(1, 2))


def _goal(system: ir.System, name: str) -> ir.Expr:
    [cover] = [p for p in system.properties if p.name == name]
    assert isinstance(cover, ir.Cover)
    return cover.body


def _reach(system: ir.System, name: str, window: int) -> q.Answer:
    return q.reach(system, _goal(system, name), q.Steps(q.Setting((1, 2), window=window), 2))


def test_a_run_inside_the_window_is_found_and_replays() -> None:
    system = _system()
    a = _reach(system, "seen_33", 4)
    assert isinstance(a, q.Sat)
    assert [(name, args["i"]) for name, args in a.witness.steps] == [("set", 33), ("mark", 33)]
    # the interpreter, which keeps every index, agrees
    state = interp.Interp(system, 1, {}).reset()
    for name, args in a.witness.steps:
        state = interp.Interp(system, 1, {}).run(system.action(name), state, args)
    assert interp.Interp(system, 1, {}).eval(_goal(system, "seen_33"), {}, state) is True
    assert a.witness.nr_vcpus == 1 and a.witness.fewest_vcpus  # the range's least: nothing to rule out


def test_a_goal_outside_the_window_is_unsat_there_and_found_without_it() -> None:
    """The Unsat of a query over windows says only that no run inside them has the goal."""
    system = _system()
    assert isinstance(_reach(system, "seen_40", 4), q.Unsat)
    found = _reach(system, "seen_40", 0)
    assert isinstance(found, q.Sat) and [args["i"] for _, args in found.witness.steps] == [40, 40]


def test_a_write_past_the_window_is_not_dropped_but_ruled_out() -> None:
    """`pair` tags slots 33 and 40 together, so tag[33] without tag[40] is never reached. Were
    the write past a window of 4 slots dropped (as a Flat array over all its indices does, having
    none past them), the window would see tag[33] alone; it must see no run instead."""
    system = _system()
    assert isinstance(_reach(system, "tag_alone", 4), q.Unsat)
    assert isinstance(_reach(system, "tag_alone", 0), q.Unsat)
    # with a window of one slot, an exists over every slot finds the run on slot 32
    a = _reach(system, "any_seen", 1)
    assert isinstance(a, q.Sat) and [args["i"] for _, args in a.witness.steps] == [32, 32]


def _target(windowed: q.Answer, whole: q.Answer) -> tuple[E.Target, list[str]]:
    asked: list[str] = []

    def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
        asked.append("whole" if path is None else "sequence")
        return whole

    def in_window(rng: tuple[int, int], path: tuple[str, ...] | None, budget: int | None) -> q.Answer:
        asked.append("window")
        return windowed

    rw = {"a": ({"x"}, {"x"}), "b": ({"y"}, {"y"}), "c": ({"x", "y"}, {"z"})}
    policy = replace(E.DEFAULT_POLICY, sequences_first_max=0)
    return E.Target(None, {"z"}, ask, policy=policy, given_rw=rw, windowed=in_window), asked  # type: ignore[arg-type]


def test_a_search_takes_the_windows_trace_and_never_its_unsat() -> None:
    found = q.Sat(q.Witness(1))
    t, asked = _target(found, q.Unknown("timeout"))
    assert E.bmc_depth(t, (1, 8), 2, E.DepthPass()) is found and asked == ["window"]
    t, asked = _target(q.Unsat(), found)
    assert E.bmc_depth(t, (1, 8), 2, E.DepthPass()) is found and asked == ["window", "whole"]
    t, asked = _target(q.Unsat(), q.Unknown("timeout"))
    assert isinstance(E.bmc_depth(t, (1, 8), 2, E.DepthPass(split=False)), q.Unknown)
    # depth 1 is decided by the whole query alone
    t, asked = _target(found, q.Unsat())
    assert isinstance(E.bmc_depth(t, (1, 8), 1, E.DepthPass()), q.Unsat) and asked == ["whole"]


def test_only_systems_with_arrays_too_large_to_be_flat_get_the_window_pass() -> None:
    assert E.has_wide_arrays(_system(), E.DEFAULT_POLICY)
    engines = pipeline.load_system(ROOT / "tests/specs/engines", "gicv3", property_files=[], vcpus=(1, 2))
    assert not E.has_wide_arrays(engines, E.DEFAULT_POLICY)
