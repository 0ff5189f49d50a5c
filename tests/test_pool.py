"""Properties on every core (engines/pool.py) and prove's streamed output (cli/stream.py): the
same verdicts and traces as a serial run, lines in declaration order whatever order units finish
in, no control characters off a terminal, and Ctrl-C in a real terminal ends with exit 130."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from checker.cli.stream import ModelOut, Stream
from checker.engines import Options, check_properties, pool
from checker.results import PropertyKind, PropertyResult, Proved, Violated
from tests.helpers import ROOT, run, write_tree
from tests.test_refines import SPEC

ENGINES = ROOT / "tests/specs/engines"


def _shape(r: PropertyResult) -> tuple[str, str, tuple[tuple[str, tuple[object, ...]], ...]]:
    v = r.verdict
    steps = tuple((s.action, tuple(a.value for a in s.args)) for s in v.trace.steps) if isinstance(v, Violated) else ()
    return r.name, type(v).__name__, steps


def test_a_pool_gives_the_serial_run_s_verdicts_and_traces() -> None:
    source = pool.Source(ENGINES, "gicv3", (ENGINES / "props.prop",), vcpus=(1, 3))
    system = source.load()
    pool.register(source, system)
    job = pool.Job(source, Options((1, 3), 4))
    got: dict[str, PropertyResult] = {}

    def keep(i: int, done: pool.Done) -> None:
        assert i == 0
        got.update({r.name: r for r in done.results})

    with pool.local_pool(2, [source]) as executor:
        pool.run_parallel(executor, [job], keep)
    serial = [r for r in check_properties(system, Options((1, 3), 4)) if r.kind != PropertyKind.REFINEMENT]
    assert len(serial) >= 5
    assert sorted(_shape(r) for r in got.values()) == sorted(_shape(r) for r in serial)


def _result(name: str) -> PropertyResult:
    return PropertyResult(name, PropertyKind.FACT, "", "p.prop:1:1", "m", (1, 2), Proved("fact"), 0.5, ())


def _done(*names: str) -> pool.Done:
    unit = pool.Unit(pool.Source(Path("."), "m"), names, Options((1, 2)))
    return pool.Done(unit, tuple(_result(n) for n in names), ())


def test_lines_come_out_in_declaration_order_as_soon_as_those_before_are_known() -> None:
    out = io.StringIO()
    model = ModelOut("m", "vCPUs 1..2", "gicheck prove: model m", ["a", "b", "c"], [], 1)
    with Stream(out, [model]) as stream:
        stream.on_done(0, _done("c"))
        assert out.getvalue() == "gicheck prove: model m\n\n"  # c waits for a and b
        stream.on_done(0, _done("a"))
        assert out.getvalue().splitlines()[-1].split()[:2] == ["PROVED", "a"]
        stream.on_done(0, _done("b"))
    lines = out.getvalue().splitlines()
    assert [ln.split()[1] for ln in lines if ln.startswith("  PROVED")] == ["a", "b", "c"]
    assert re.fullmatch(r"m: 3 proved in \d+\.\ds", lines[-1])
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_quiet_leaves_out_proved_lines() -> None:
    out = io.StringIO()
    model = ModelOut("m", "vCPUs 1..2", "gicheck prove: model m", ["a"], [], 1)
    with Stream(out, [model], quiet=True) as stream:
        stream.on_done(0, _done("a"))
    assert "PROVED" not in out.getvalue() and "m: 1 proved in " in out.getvalue()


def test_jobs_must_be_positive() -> None:
    code, _, err = run("prove", ROOT / "properties/mpidr.prop", "--jobs", "0")
    assert (code, err) == (2, "gicheck: error: argument --jobs/-j: must be at least 1, not 0\n")


def _read_until(fd: int, pattern: bytes, seconds: float) -> bytes:
    got = b""
    end = time.monotonic() + seconds
    while pattern not in got and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                got += os.read(fd, 65536)
            except OSError:
                break
    return got


@pytest.mark.slow
def test_in_a_terminal_a_live_line_shows_and_ctrl_c_exits_130_without_a_traceback() -> None:
    master, slave = os.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    # A shell starts a foreground command with Ctrl-C at its default action. The test runner's
    # worker may have it ignored by now (found so in full runs), and an ignored signal stays
    # ignored across exec: gicheck would never see the interrupt. A handled one does not.
    runner_sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "checker", "prove", "--jobs", "2"],
            cwd=ROOT,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
    finally:
        if runner_sigint is not None:
            signal.signal(signal.SIGINT, runner_sigint)
    os.close(slave)
    try:
        seen = _read_until(master, b"checking gicv3 (vCPUs 1..255)", 60)
        assert b"checking gicv3 (vCPUs 1..255)" in seen, seen
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends the foreground group on Ctrl-C
        # read on while it stops, as a terminal does: a pty nobody reads fills up and blocks the writer
        end = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < end:
            seen += _read_until(master, b"\x00", 0.5)
        proc.wait(timeout=1)
        seen += _read_until(master, b"\x00", 1)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = seen.decode(errors="replace")
    assert proc.returncode == 130, f"SIGINT in the test runner was {runner_sigint!r}\n{text}"
    assert "gicheck: interrupted: " in text and "properties had finished" in text
    assert "Traceback" not in text


def test_claims_a_finished_unit_checked_are_handed_to_the_units_started_after_it(tmp_path: Path) -> None:
    """The invariant's unit checks the `refines` claim its induction needs; the cover, whose
    cone holds the invariant's state, starts after it, assuming it, with that claim's result,
    so no worker checks the claim again."""
    props = "use model gicv3\ninvariant act_kept: forall c: vcpu, i: irq. act[c][i] -> act[c][i]\ncover some_active: exists c: vcpu, i: irq. act[c][i]\n"
    write_tree(tmp_path, {"spec/model.gic": SPEC, "p.prop": props})
    source = pool.Source(tmp_path / "spec", "gicv3", (tmp_path / "p.prop",), vcpus=(1, 2))
    plan = pool.Plan(pool.Job(source, Options((1, 2), 3)))
    (first,) = plan.ready()
    assert first.names == ("act_kept",) and first.proved == ()
    assert plan.ready() == []  # the cover waits for the invariant
    done = pool.run_unit(first)
    assert [(r.name, type(r.verdict)) for r in done.refinements] == [("ACKR.read", Proved)]
    (cover,) = plan.finished(done)
    assert cover.names == ("some_active",) and cover.claims == done.refinements and cover.proved == ("act_kept",)
    # a unit of a system no worker has seen yet: the claim it carries (marked) is the one used
    other = replace(source, vcpus=(1, 3))
    marked = replace(done.refinements[0], seconds=123.0)
    later = pool.run_unit(replace(cover, source=other, opts=Options((1, 3), 3), claims=(marked,)))
    assert later.refinements == (marked,)
    (result,) = later.results
    assert result.name == "some_active" and type(result.verdict).__name__ == "Covered"


def test_a_claim_an_invariant_needs_is_a_unit_of_its_own_that_the_units_on_its_handler_wait_for(tmp_path: Path) -> None:
    """With claims_first (gicheck prove's jobs), the `refines` claim the invariant's induction
    will need is checked first, alone; the invariant, whose cone holds the handler, waits for
    it and gets its result, so two workers never both check it. Without, the invariant starts
    at once (the test above)."""
    props = "use model gicv3\ninvariant act_kept: forall c: vcpu, i: irq. act[c][i] -> act[c][i]\ncover some_active: exists c: vcpu, i: irq. act[c][i]\n"
    write_tree(tmp_path, {"spec/model.gic": SPEC, "p.prop": props})
    source = pool.Source(tmp_path / "spec", "gicv3", (tmp_path / "p.prop",), vcpus=(1, 2))
    plan = pool.Plan(pool.Job(source, Options((1, 2), 3), claims_first=True))
    (claim,) = plan.ready()
    assert (claim.claim, claim.names) == ("ACKR.read", ())
    assert plan.ready() == []  # the invariant and the cover wait for the claim
    done = pool.run_unit(claim)
    assert done.results == () and [(r.name, type(r.verdict)) for r in done.refinements] == [("ACKR.read", Proved)]
    (first,) = plan.finished(done)
    assert first.names == ("act_kept",) and first.claims == done.refinements
    (cover,) = plan.finished(pool.run_unit(first))
    assert cover.names == ("some_active",) and cover.proved == ("act_kept",)
    # a job that asks only a contract, which needs no search unless its one-step check fails,
    # does not check the claim first
    write_tree(tmp_path, {"q.prop": props + "property ack_reads: after ACKR.read(self) -> r: r.ID <= 4\n"})
    other = replace(source, property_files=(tmp_path / "q.prop",))
    only = pool.Plan(pool.Job(other, Options((1, 2), 3), frozenset({"ack_reads"}), claims_first=True))
    assert [(u.claim, u.names) for u in only.ready()] == [(None, ("ack_reads",))]


def test_a_property_no_invariant_speaks_of_does_not_wait_for_the_invariants(tmp_path: Path) -> None:
    """Two invariants over state apart (`act`, and a counter no action on `act` touches) start
    at once, where they used to run one after the other in one unit; each cover waits only for
    the invariant over its own state, and assumes it once it is proved."""
    spec = SPEC.replace(
        "model gicv3",
        "state count : bits(2) = 0\n\naction tick() {\n    count := count + 1\n}\n\nmodel gicv3",
    )
    props = (
        "use model gicv3\n"
        "invariant act_kept: forall c: vcpu, i: irq. act[c][i] -> act[c][i]\n"
        "invariant count_small: count <= 3\n"
        "cover some_active: exists c: vcpu, i: irq. act[c][i]\n"
        "cover count_three: count == 3\n"
    )
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": props})
    source = pool.Source(tmp_path / "spec", "gicv3", (tmp_path / "p.prop",), vcpus=(1, 2))
    plan = pool.Plan(pool.Job(source, Options((1, 2), 3)))
    assert plan.waits == {"act_kept": (), "count_small": (), "some_active": ("act_kept",), "count_three": ("count_small",)}
    act_kept, count_small = plan.ready()
    assert (act_kept.names, count_small.names) == (("act_kept",), ("count_small",))
    (count_three,) = plan.finished(pool.run_unit(count_small))
    assert count_three.names == ("count_three",) and count_three.proved == ("count_small",)
    (some_active,) = plan.finished(pool.run_unit(act_kept))
    assert some_active.names == ("some_active",) and some_active.proved == ("act_kept",)
    assert plan.ready() == []
