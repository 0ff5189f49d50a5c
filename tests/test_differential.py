"""Differential test: the interpreter (checker/interp.py) against the Z3 encoding
(checker/smt/encode.py, run on concrete values by checker/smt/concrete.py).

Random accesses are run through both from random pre-states and the post-states (and whether
the action was enabled at all) must agree entry by entry. Strategies are built from the IR
types of the actions' parameters and of the state, so new actions and state are covered without
touching this file; bit-vector parameters with a layout (ICC_SGI1R_EL1's SGI1R) are composed
field by field so that the interesting cases (IRM set/clear, empty/non-empty TargetList, small
Aff1, every INTID) come up often.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from checker import interp, ir, pipeline
from checker.engines.replay import changes, flat_state
from checker.results import Change
from checker.sema.overlay import load_overlays
from checker.smt.concrete import At, Undecided, run_access, run_action

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec"
V1 = ROOT / "examples" / "sgi-broadcast-v1" / "v1.overlay"  # an overlay of SPEC
MODEL = "gicv3"
MAX_VCPUS = 20


# ---- loading (cached: sema + lowering once per spec and vCPU count) -------------------------


@functools.cache
def _design(spec: str):
    if spec.endswith(".overlay"):  # the shipped spec patched by this overlay
        return pipeline.load_design(SPEC, MODEL, overlay=load_overlays([Path(spec)]))
    return pipeline.load_design(Path(spec), MODEL)


@functools.cache
def system_for(spec: str, n: int) -> ir.System:
    return pipeline.lower(_design(spec), (n, n))


def interp_for(spec: str, n: int, params: tuple[tuple[str, int], ...] = ()) -> interp.Interp:
    return interp.Interp(system_for(spec, n), n, dict(params))


@functools.cache
def param_values(spec: str) -> dict[str, list[int]]:
    """Every allowed value of each spec parameter (nr_irqs: the multiples of 32 in 64..1024)."""
    system = system_for(spec, 1)
    out: dict[str, list[int]] = {}
    for p in system.params.values():
        out[p.name] = [
            v
            for v in range(p.type.lo, p.type.hi + 1)
            if p.where is None or interp.Interp(system, 1, {q: v for q in system.params}).eval(p.where, {}, {})
        ]
    return out


def params_strategy(spec: str) -> st.SearchStrategy[tuple[tuple[str, int], ...]]:
    """Parameter values, weighted toward the ends of their ranges (64 and 1024 SPIs' edges)."""
    choices = param_values(spec)
    if not choices:
        return st.just(())
    parts = [
        st.one_of(st.sampled_from(vs), st.sampled_from([vs[0], vs[-1]])).map(lambda v, k=k: (k, v)) for k, vs in choices.items()
    ]
    return st.tuples(*parts)


# ---- strategies from IR types -----------------------------------------------------------------


def _field_values(width: int) -> st.SearchStrategy[int]:
    top = (1 << width) - 1
    if width == 1:
        return st.integers(0, 1)
    return st.one_of(
        st.just(0),
        st.integers(0, min(3, top)),  # small values: Aff1 0/1 reaches the vCPUs 16..31
        st.integers(0, width - 1).map(lambda k: 1 << k),  # one bit: a single TargetList entry
        st.just(top),
        st.integers(0, top),
    )


def _layout_value(lay: ir.Layout) -> st.SearchStrategy[int]:
    """A register value composed field by field, sometimes with junk in the unnamed bits."""
    named = 0
    for _, hi, lo in lay.fields:
        named |= ((1 << (hi - lo + 1)) - 1) << lo
    junk = st.one_of(st.just(0), st.integers(0, (1 << lay.width) - 1))

    @st.composite
    def compose(draw: st.DrawFn) -> int:
        v = draw(junk) & ~named
        for _, hi, lo in lay.fields:
            v |= draw(_field_values(hi - lo + 1)) << lo
        return v

    return compose()


def _sgi1r_value(lay: ir.Layout) -> st.SearchStrategy[int]:
    """What software actually writes to ICC_SGI1R_EL1: Aff3/Aff2/RS zero, Aff1 small (0 for
    vCPUs 0-15, 1 for 16-31), IRM set or clear, TargetList empty, one bit or a few bits."""
    pos = {name: lo for name, _, lo in lay.fields}

    @st.composite
    def compose(draw: st.DrawFn) -> int:
        targets = draw(st.one_of(st.just(0), st.integers(0, 15).map(lambda k: 1 << k), st.integers(0, 0xFFFF)))
        aff1 = draw(st.one_of(st.integers(0, 1), st.integers(0, 2)))
        return (
            (targets << pos["TargetList"])
            | (aff1 << pos["Aff1"])
            | (draw(st.integers(0, 15)) << pos["INTID"])
            | (draw(st.integers(0, 1)) << pos["IRM"])
        )

    return compose()


def value_strategy(system: ir.System, t: ir.Type, n: int) -> st.SearchStrategy[interp.Value]:
    """A scalar value of type `t` (parameters, array entries)."""
    match t:
        case ir.BoolT():
            return st.booleans()
        case ir.IndexT():
            return st.sampled_from(interp.domain(t, n))
        case ir.BitsT(width=w, layout=layout):
            raw = st.integers(0, (1 << w) - 1)
            if layout is not None and layout in system.layouts:
                lay = system.layouts[layout]
                composed = _layout_value(lay)
                if layout == "SGI1R":
                    return st.one_of(raw, composed, _sgi1r_value(lay), _sgi1r_value(lay))
                return st.one_of(raw, composed, composed)
            return st.one_of(raw, st.just(0), st.just((1 << w) - 1))
    raise AssertionError(f"no strategy for {t}")


def _random_value(draw: st.DrawFn, system: ir.System, t: ir.Type, reset: interp.Value, n: int) -> interp.Value:
    """Random contents for every in-domain entry; entries outside the domain keep the reset
    default (the interpreter's Array fills them from it)."""
    if isinstance(t, ir.ArrayT):
        assert isinstance(reset, interp.Array)
        dom = interp.domain(t.index, n)
        if isinstance(t.elem, ir.BoolT):
            # one draw per row rather than one per entry: far cheaper for Hypothesis at n=20
            full = (1 << len(dom)) - 1
            bits = draw(st.one_of(st.integers(0, full), st.integers(0, full), st.just(0), st.just(full)))
            return interp.Array({int(i): bool((bits >> k) & 1) for k, i in enumerate(dom)}, reset.default)
        if len(dom) > 64:  # SPI-sized arrays: a few entries differ from reset, the rest keep it
            picked = draw(st.lists(st.sampled_from(dom), max_size=8, unique=True))
            return interp.Array(
                {int(i): _random_value(draw, system, t.elem, reset.get(int(i)), n) for i in picked}, reset.default
            )
        entries = {}
        for i in interp.domain(t.index, n):
            entries[int(i)] = _random_value(draw, system, t.elem, reset.get(int(i)), n)
        return interp.Array(entries, reset.default)
    return draw(value_strategy(system, t, n))


@st.composite
def pre_state(draw: st.DrawFn, spec: str, n: int, params: tuple[tuple[str, int], ...] = ()) -> interp.State:
    system = system_for(spec, n)
    reset = interp_for(spec, n, params).reset()
    kind = draw(st.sampled_from(["random", "random", "random", "reset"]))
    if kind == "reset":
        return reset
    return {name: _random_value(draw, system, sv.type, reset[name], n) for name, sv in system.states.items()}


def _frame_offset(system: ir.System, frame: str, n: int) -> st.SearchStrategy[int]:
    """Offsets into a frame: mostly at or inside a register (any byte of it, so narrow and
    misaligned accesses come up), sometimes anywhere; for a per-vCPU frame, of vCPU 0..n
    (n: one past the last, which no redistributor answers)."""
    f = system.frames[frame]
    inner: list[int] = []
    for r in f.registers:
        for k in sorted({r.lo, r.lo + 1, r.hi} & set(range(r.lo, r.hi + 1))):
            inner += [r.offset + k * r.bytes + b for b in range(r.bytes)]
    within = st.one_of(st.sampled_from(inner), st.sampled_from(inner), st.integers(0, f.size - 1))
    if not f.per_vcpu:
        return within
    return st.tuples(st.integers(0, n), within).map(lambda p: p[0] * f.stride + p[1])


def _frame_actions(system: ir.System) -> list[str]:
    return sorted(a for a in system.callables if a.split(".")[0] in system.frames)


@st.composite
def access(draw: st.DrawFn, spec: str, n: int) -> tuple[str, dict[str, interp.Value]]:
    """A transition, or an access to a frame by offset and width (what a guest does)."""
    system = system_for(spec, n)
    frames = _frame_actions(system)
    name = draw(st.sampled_from(sorted(system.actions) + frames * 3))
    action = system.action(name)
    if name in frames:
        args: dict[str, interp.Value] = {"self": draw(st.integers(0, n - 1)), "width": draw(st.sampled_from([8, 16, 32, 32, 64]))}
        args["offset"] = draw(_frame_offset(system, action.register, n))  # type: ignore[arg-type]
        if "val" in {p.name for p in action.params}:
            args["val"] = draw(st.one_of(st.integers(0, (1 << 64) - 1), st.integers(0, 0xFFFFFFFF), st.just(0)))
        return name, args
    return name, {p.name: draw(value_strategy(system, p.type, n)) for p in action.params}


# Every count 1..MAX_VCPUS, weighted toward small ones (the encoding's cost grows with n) and
# toward the edges: a single vCPU, and 16/17 where vCPU 16 is the first with Aff1 = 1.
vcpu_counts = st.one_of(st.integers(1, MAX_VCPUS), st.integers(1, 4), st.sampled_from([1, 2, 16, 17]))


Case = tuple[int, tuple[tuple[str, int], ...], interp.State, str, dict[str, interp.Value]]


@st.composite
def case(draw: st.DrawFn, spec: str) -> Case:
    n = draw(vcpu_counts)
    params = draw(params_strategy(spec))
    state = draw(pre_state(spec, n, params))
    name, args = draw(access(spec, n))
    return n, params, state, name, args


# ---- the comparison ---------------------------------------------------------------------------


def _diff(a: dict[str, int | bool], b: dict[str, int | bool]) -> list[str]:
    return [f"{k}: interp={a.get(k)!r} z3={b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def step_both(
    spec: str,
    n: int,
    state: interp.State,
    name: str,
    args: dict[str, interp.Value],
    params: tuple[tuple[str, int], ...] = (),
    flat: bool = False,
) -> interp.State | None:
    """Run one access through both sides, assert they agree; the post-state (None if blocked).
    With `flat`, the encoder holds small arrays as Flat, as an unrolling from reset does."""
    system = system_for(spec, n)
    it = interp_for(spec, n, params)
    value: interp.Value | None = None
    try:
        want, value = it.access(system.action(name), state, args)
    except interp.Blocked:
        want = None
    try:
        enabled, got, z_value = run_access(system, At(n, state, dict(params), flat), name, args)
    except Undecided:
        reject()  # nothing to compare; Hypothesis fails the test if it has to reject many

    def where() -> str:
        nonzero = {k: v for k, v in flat_state(system, state, n).items() if v}
        return f"n={n} {dict(params)} {name}({args}) from the pre-state whose true/non-zero entries are {nonzero}"

    assert enabled == (want is not None), f"enabled: interp={want is not None} z3={enabled} for {where()}"
    if want is None:
        return None
    moved = changes(system, state, want, n)  # before flat_state fills the arrays' entries
    before, a, b = flat_state(system, state, n), flat_state(system, want, n), flat_state(system, got, n)
    assert moved == tuple(Change(k, before[k], a[k]) for k in before if before[k] != a[k]), f"replay.changes for {where()}"
    assert a == b, f"post-states differ for {where()}:\n" + "\n".join(_diff(a, b))
    assert value == z_value, f"values read differ: interp={value!r} z3={z_value!r} for {where()}"
    return want


# ---- tests ------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case(str(SPEC)))
def test_single_access_agrees(c: Case) -> None:
    n, params, state, name, args = c
    step_both(str(SPEC), n, state, name, args, params)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case(str(SPEC)))
def test_single_access_agrees_with_small_arrays_flat(c: Case) -> None:
    """The same with the vCPU-indexed arrays (up to 20 vCPUs here) and the 32 SGIs and PPIs
    held as Flat (smt/flat.py), as in every unrolling from reset."""
    n, params, state, name, args = c
    step_both(str(SPEC), n, state, name, args, params, flat=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case(str(V1)))
def test_single_access_agrees_v1_example(c: Case) -> None:
    n, params, state, name, args = c
    step_both(str(V1), n, state, name, args, params)


Seq = tuple[int, tuple[tuple[str, int], ...], list[tuple[str, dict[str, interp.Value]]]]


@st.composite
def sequence(draw: st.DrawFn, spec: str) -> Seq:
    n = draw(vcpu_counts)
    params = draw(params_strategy(spec))
    steps = draw(st.lists(access(spec, n), min_size=1, max_size=5))
    return n, params, steps


@pytest.mark.parametrize("flat", [False, True], ids=["z3-arrays", "small-arrays-flat"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seq=sequence(str(SPEC)))
def test_sequences_from_reset_agree(flat: bool, seq: Seq) -> None:
    n, params, steps = seq
    state = interp_for(str(SPEC), n, params).reset()
    for name, args in steps:
        post = step_both(str(SPEC), n, state, name, args, params, flat=flat)
        if post is not None:
            state = post


def test_broadcast_sgi_known_answer() -> None:
    """n=3, from reset, vCPU 1 writes IRM=1 INTID=5: vCPUs 0 and 2 get SGI 5, the sender does not."""
    n, spec, name = 3, str(SPEC), "ICC_SGI1R_EL1.write"
    system = system_for(spec, n)
    it = interp_for(spec, n, (("nr_irqs", 256),))
    reset = it.reset()
    args: dict[str, interp.Value] = {"self": 1, "val": (1 << 40) | (5 << 24)}
    ours = flat_state(system, it.run(system.actions[name], reset, args), n)
    enabled, post = run_action(system, At(n, reset, {"nr_irqs": 256}), name, args)
    assert enabled is True
    theirs = flat_state(system, post, n)
    for flat in (ours, theirs):
        assert flat["pending[0][5]"] is True
        assert flat["pending[1][5]"] is False
        assert flat["pending[2][5]"] is True
        # nothing else became pending
        assert [k for k, v in flat.items() if k.startswith("pending[") and v] == ["pending[0][5]", "pending[2][5]"]
    assert ours == theirs


def test_read_results_agree() -> None:
    """A read's value is computed the same way by both sides (ICC_SRE_EL1 reads SRE=1)."""
    system = pipeline.load_system(ROOT / "spec", "gicv3", vcpus=(2, 2))
    it = interp.Interp(system, 2, {"nr_irqs": 64})
    state = it.reset()
    post, value = it.access(system.actions["ICC_SRE_EL1.read"], state, {"self": 1})
    enabled, z_post, z_value = run_access(system, At(2, state, {"nr_irqs": 64}), "ICC_SRE_EL1.read", {"self": 1})
    assert (value, z_value, enabled) == (1, 1, True)
    assert flat_state(system, post, 2) == flat_state(system, z_post, 2)


LOOPS = ROOT / "tests" / "specs" / "loops"  # first-match loops and an outer continue (model.gic)


@st.composite
def loops_case(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 4))
    state = draw(pre_state(str(LOOPS), n))
    name, args = draw(access(str(LOOPS), n))
    return n, (), state, name, args


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(loops_case())
def test_first_match_loops_and_outer_continue_agree(c: Case) -> None:
    """The fresh constant a first-match loop is encoded with (smt/encode.py: _first_match)
    gives the interpreter's value, over a range and over vCPUs, found and not found; an outer
    loop's `continue` stops the loop inside it."""
    n, params, state, name, args = c
    step_both(str(LOOPS), n, state, name, args, params)
