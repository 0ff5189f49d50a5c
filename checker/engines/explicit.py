"""The explicit-state engine: breadth-first over the states reachable from reset, in the
interpreter, for small configurations (`gicheck explore`; a cross-check of the symbolic engines).

For one property at one vCPU count (and one value of each parameter), the search runs the
property's cone (irwalk.cone, as the symbolic engines take it): its states and the actions that
write them. Every action runs on each argument tuple of the finite sample engines/inputs.py
documents; a state is kept once, in a canonical form (each state variable as the entries that
differ from reset), with the access that first reached it, so the trace to any state is a
shortest one within the sample.

- invariant: checked in every state reached;
- cover: the first state reached where the goal holds (a shortest trace, within the sample);
- contract: from every state reached, the property's own access on every sampled input its
  `where` clause allows, the body over the states before and after;
- independence: from every state reached, every sampled input and the same input with the
  ignored bits 0, all ones and flipped, both runs compared;
- fact: evaluated over its whole domain at each vCPU count (it reads no state).

A violation or a cover is returned with the trace engines/replay.py builds, so the accesses are
run again from reset before anything is shown. Handlers' `refines` claims are not checked: they
are about one access from any state, which a search from reset cannot decide, and the symbolic
engine decides them in one query each.

The sample is finite and the search stops at `Limits.max_states` states, `Limits.max_depth`
steps or `Limits.max_accesses` interpreter runs (at each vCPU count): no violation found is never
a proof. Such a verdict is BOUNDED (a cover's, UNREACHED) and
its reason says how many states were checked, whether every state the sample reaches was, and
with which inputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from checker import interp, ir
from checker.engines import replay, specialize
from checker.engines.inputs import Args, InputSet
from checker.irwalk import state_reads
from checker.results import (
    Agreement,
    Bounded,
    Covered,
    Explored,
    InternalError,
    PropertyKind,
    PropertyResult,
    Proved,
    Trace,
    Unknown,
    Unreached,
    Verdict,
    Violated,
)
from checker.smt.answers import Witness

Key = tuple[object, ...]
Path = list[tuple[str, Args]]
MAX_VCPUS = 3  # the search's state grows as vCPUs to the power of what each one banks
MAX_PARAM = 256  # a parameter's largest value: each access's loops run over its range (nr_irqs)


@dataclass(frozen=True)
class Limits:
    """Where a search at one vCPU count stops: after this many distinct states, this many steps
    from reset, or (after the state that passes it) this many accesses run in the interpreter,
    the contracts' own accesses from each state counted."""

    max_states: int = 50_000
    max_depth: int = 12
    max_accesses: int = 1_000_000


@dataclass(frozen=True)
class _Found:
    """A trace: the violation (or the cover's state) the search found."""

    trace: Trace


@dataclass
class _Search:
    """One property's search at one vCPU count."""

    sub: ir.System
    it: interp.Interp
    sample: InputSet
    reset: interp.State
    parents: dict[Key, tuple[Key, str, Args] | None]
    depth: int = 0  # every state within this many steps of reset was checked
    stopped: str | None = None  # the limit the search stopped at ("12 steps"); None: none was hit
    accesses: int = 0  # run in the interpreter so far

    def run(self, action: ir.Action, s: interp.State, args: Args) -> tuple[interp.State, interp.Value | None]:
        """`action` from `s` (interp.Blocked if its `requires` is false), counted."""
        self.accesses += 1
        return self.it.access(action, s, args)

    def key(self, s: interp.State) -> Key:
        return tuple(_diff(s[n], self.reset[n]) for n in self.sub.states)

    def state(self, k: Key) -> interp.State:
        return {n: _build(d, self.reset[n]) for n, d in zip(self.sub.states, k)}

    def path(self, k: Key) -> Path:
        out: Path = []
        cur = self.parents[k]
        while cur is not None:
            parent, name, args = cur
            out.append((name, args))
            cur = self.parents[parent]
        return out[::-1]

    def witness(self, k: Key, last: list[tuple[str, Args]] | None = None, alt: Args | None = None) -> Witness:
        params = {n: v for n, v in self.sample.params}
        return Witness(self.sample.nr, params, self.path(k) + (last or []), alt_args=alt)


def _diff(v: interp.Value, ref: interp.Value) -> object:
    """`v` as the entries where it differs from `ref` (its reset value); None when it does not."""
    if isinstance(v, interp.Array):
        assert isinstance(ref, interp.Array)
        items = []
        for i in sorted(v.entries):
            d = _diff(v.entries[i], ref.get(i))
            if d is not None:
                items.append((i, d))
        return tuple(items) or None
    return None if v == ref else v


def _build(d: object, ref: interp.Value) -> interp.Value:
    """The value `_diff` gave `d` for: `ref` with those entries changed."""
    if isinstance(ref, interp.Array):
        # entries never written are filled from reset when read: a copy of a state the
        # interpreter makes (once per access) then copies only what the run has touched
        assert d is None or isinstance(d, tuple)
        out = interp.Array({}, ref.default)
        for i, x in d or ():
            out.entries[i] = _build(x, ref.get(i))
        return out
    return ref if d is None else d  # type: ignore[return-value]


StepCheck = Callable[[_Search, Key, interp.State], "_Found | None"]


@dataclass(frozen=True)
class Check:
    """What a property asks of the search: of each state taken from the queue (a contract's
    access from it), or of each state as it arrives (an invariant, a cover: `hit`, true where
    the search stops, and the trace it then shows)."""

    each: StepCheck | None = None
    hit: Callable[[_Search, interp.State], bool] | None = None
    trace: Callable[[_Search, Witness], Trace] | None = None

    def arrived(self, search: _Search, k: Key, s: interp.State) -> _Found | None:
        """The state `s` (kept as `k`), if the search stops there."""
        if self.hit is None or not self.hit(search, s):
            return None
        assert self.trace is not None
        return _Found(self.trace(search, search.witness(k)))


def _bfs(search: _Search, check: Check, limits: Limits) -> _Found | None:
    """Breadth-first from reset. A state property is checked as each state arrives, a contract
    from each state as it is taken from the queue. At the cap on states nothing more is
    expanded and every state kept is still checked; past the cap on accesses nothing more is
    done."""
    transitions = [(a, search.sample.action_inputs(search.sub, a)) for a in search.sub.actions.values()]
    start = search.key(search.reset)
    search.parents[start] = None
    found = check.arrived(search, start, search.reset)
    frontier, level = [start], 0
    while frontier and found is None:
        whole = search.stopped is None  # the frontier is every state `level` steps from reset
        if whole and level >= limits.max_depth:
            search.stopped = f"{limits.max_depth} steps"
        nxt: list[Key] = []
        for k in frontier:
            if search.accesses >= limits.max_accesses:
                search.stopped = search.stopped or f"{limits.max_accesses} accesses"
                return None  # a contract has not been checked from the rest of this level
            s = search.state(k)
            found = check.each(search, k, s) if check.each is not None else None
            if found is None and search.stopped is None:
                found = _expand(search, (k, s), (transitions, check, limits), nxt)
            if found is not None:
                return found
        if whole:
            # a state property has seen the next level too, if this one was expanded in full
            search.depth = level + 1 if search.stopped is None and check.hit is not None else level
        frontier, level = nxt, level + 1
    return found


def _expand(
    search: _Search,
    at: tuple[Key, interp.State],
    how: tuple[list[tuple[ir.Action, list[Args]]], Check, Limits],
    nxt: list[Key],
) -> _Found | None:
    """The successors of one state: each new one kept (in `nxt`) and checked as it arrives,
    until the cap."""
    k, s = at
    transitions, check, limits = how
    for post, name, args in _successors(search, s, transitions):
        pk = search.key(post)
        if pk in search.parents:
            continue
        if len(search.parents) >= limits.max_states:
            search.stopped = f"{limits.max_states} states"
            return None
        search.parents[pk] = (k, name, args)
        nxt.append(pk)
        found = check.arrived(search, pk, post)
        if found is not None:
            return found
    return None


def _runs(
    search: _Search, action: ir.Action, s: interp.State, inputs: list[Args], allowed: Callable[[Args], bool] = lambda a: True
) -> Iterator[tuple[Args, tuple[interp.State, interp.Value | None]]]:
    """Each of `inputs` that `allowed` admits, with its run of `action` from `s`, unless the
    action is blocked with it."""
    for args in inputs:
        if not allowed(args):
            continue
        try:
            yield args, search.run(action, s, args)
        except interp.Blocked:
            continue


def _successors(
    search: _Search, s: interp.State, transitions: list[tuple[ir.Action, list[Args]]]
) -> Iterator[tuple[interp.State, str, Args]]:
    for action, inputs in transitions:
        for args, (post, _) in _runs(search, action, s, inputs):
            yield post, action.name, args


def _invariant_check(p: ir.Invariant) -> Check:
    bad = ir.Unop(ir.UnOp.NOT, p.body, ir.BOOL, p.span)

    def trace(search: _Search, w: Witness) -> Trace:
        return replay.state_trace(search.sub, p.name, bad, w, "the invariant is false in this state")

    return Check(hit=lambda search, s: not search.it.eval(p.body, {}, s), trace=trace)


def _cover_check(p: ir.Cover) -> Check:
    def trace(search: _Search, w: Witness) -> Trace:
        return replay.state_trace(search.sub, p.name, p.body, w, "reached")

    return Check(hit=lambda search, s: bool(search.it.eval(p.body, {}, s)), trace=trace)


def _stateless_where(system: ir.System, p: ir.Contract | ir.Independence, sample: InputSet, inputs: list[Args]) -> list[Args]:
    """The inputs a `where` clause that reads no state allows (all of them when it reads state:
    the clause is then evaluated in each state)."""
    if p.where is None or state_reads(p.where, system):
        return inputs
    it = interp.Interp(system, sample.nr, dict(sample.params))
    action = system.action(p.action)
    return [a for a in inputs if it.eval(p.where, {l.name: a[x.name] for x, l in zip(action.params, p.params)}, {})]


def _contract_check(system: ir.System, p: ir.Contract, sample: InputSet) -> Check:
    action = specialize.final_action(system, p)
    inputs = _stateless_where(system, p, sample, sample.action_inputs(system, system.action(p.action)))

    def check(search: _Search, k: Key, s: interp.State) -> _Found | None:
        it = search.it
        for args in inputs:
            env: dict[str, interp.Value] = {l.name: args[a.name] for a, l in zip(action.params, p.params)}
            if p.where is not None and not it.eval(p.where, env, s):
                continue
            try:
                post, result = search.run(action, s, args)
            except interp.Blocked:
                continue
            if p.result is not None and result is not None:
                env[p.result.name] = result
            if not it.eval(p.body, env, s, post):
                return _Found(replay.contract_trace(search.sub, p, search.witness(k, [(p.action, args)])))
        return None

    return Check(each=check)


def _variants(p: ir.Independence, action: ir.Action, args: Args) -> list[Args]:
    """`args` with the ignored bits 0, all ones, and flipped."""
    out = []
    for fill in ("zero", "ones", "flip"):
        alt = dict(args)
        for pos, hi, lo in p.ignored:
            name = action.params[pos].name
            v = int(alt[name])  # type: ignore[arg-type]
            mask = ((1 << (hi - lo + 1)) - 1) << lo
            alt[name] = {"zero": v & ~mask, "ones": v | mask, "flip": v ^ mask}[fill]
        if alt != args:
            out.append(alt)
    return out


def _independence_check(system: ir.System, p: ir.Independence, sample: InputSet) -> Check:
    action = specialize.final_action(system, p)
    inputs = _stateless_where(system, p, sample, sample.action_inputs(system, system.action(p.action)))

    def allowed(it: interp.Interp, args: Args, s: interp.State) -> bool:
        env = {l.name: args[a.name] for a, l in zip(action.params, p.params)}
        return p.where is None or bool(it.eval(p.where, env, s))

    def check(search: _Search, k: Key, s: interp.State) -> _Found | None:
        def here(a: Args) -> bool:
            return allowed(search.it, a, s)

        for args, one in _runs(search, action, s, inputs, here):
            for alt, two in _runs(search, action, s, _variants(p, action, args), here):
                if search.key(one[0]) != search.key(two[0]) or one[1] != two[1]:
                    w = search.witness(k, [(p.action, args)], alt)
                    return _Found(replay.independence_trace(search.sub, p, w))
        return None

    return Check(each=check)


def _fact(system: ir.System, p: ir.Fact, sample: InputSet) -> _Found | None:
    it = interp.Interp(system, sample.nr, dict(sample.params))
    binding = replay.failing_binding(it, p.body, {}, {}, None)
    if binding is None:
        return None
    w = Witness(sample.nr, dict(sample.params), bindings=binding)
    return _Found(replay.fact_trace(system, p, w))


def _check_for(system: ir.System, p: ir.Property, sample: InputSet) -> Check:
    match p:
        case ir.Invariant():
            return _invariant_check(p)
        case ir.Cover():
            return _cover_check(p)
        case ir.Contract():
            return _contract_check(system, p, sample)
        case ir.Independence():
            return _independence_check(system, p, sample)
    raise AssertionError(f"unhandled property {type(p).__name__}")


@dataclass(frozen=True)
class Config:
    """What one explicit run covers: the vCPU counts and each parameter's one value."""

    vcpus: tuple[int, int]
    params: tuple[tuple[str, int], ...]
    limits: Limits = Limits()


@dataclass
class _Tally:
    states: int = 0
    depth: int | None = None  # the least depth of the vCPU counts searched
    stops: list[str] = field(default_factory=list)  # where a search stopped short, in words

    def add(self, search: _Search) -> None:
        self.states += len(search.parents)
        self.depth = search.depth if self.depth is None else min(self.depth, search.depth)
        if search.stopped is not None:
            nr = search.sample.nr
            self.stops.append(f"at {search.stopped} with {nr} vCPU{'s' if nr != 1 else ''}")


def _search_at(sub: ir.System, check: Check, sample: InputSet, limits: Limits, tally: _Tally) -> _Found | None:
    """One vCPU count's search of the property's cone `sub`, counted into `tally`."""
    it = interp.Interp(sub, sample.nr, dict(sample.params))
    search = _Search(sub, it, sample, it.reset(), {})
    found = _bfs(search, check, limits)
    tally.add(search)
    return found


_KINDS = {
    ir.Fact: PropertyKind.FACT,
    ir.Contract: PropertyKind.CONTRACT,
    ir.Independence: PropertyKind.INDEPENDENCE,
    ir.Invariant: PropertyKind.INVARIANT,
    ir.Cover: PropertyKind.COVER,
}


def explore(system: ir.System, p: ir.Property, config: Config) -> Explored:
    """`p` decided by breadth-first search at each vCPU count of `config`, fewest first."""
    t0 = time.perf_counter()
    tally = _Tally()
    found: _Found | None = None
    verdict: Verdict
    sample = InputSet(config.vcpus[0], config.params)
    sub = system if isinstance(p, ir.Fact) else specialize.cone_for(system, p)
    try:
        for n in range(config.vcpus[0], config.vcpus[1] + 1):
            sample = InputSet(n, config.params)
            if isinstance(p, ir.Fact):
                found = _fact(system, p, sample)
            else:
                found = _search_at(sub, _check_for(system, p, sample), sample, config.limits, tally)
            if found is not None:
                break
        verdict = _verdict(p, found, tally, config, sample)
    except replay.ReplayMismatch as err:
        verdict = InternalError(f"the explicit search's trace did not replay ({err})")
    ranges = tuple((n, v, v) for n, v in config.params)
    result = PropertyResult(
        p.name, _KINDS[type(p)], p.doc, str(p.span), system.model, config.vcpus, verdict, time.perf_counter() - t0, ranges
    )
    return Explored(result, tally.states, tally.depth or 0, not tally.stops, sample.describe())


def _verdict(p: ir.Property, found: _Found | None, tally: _Tally, config: Config, sample: InputSet) -> Verdict:
    how = f"explicit-state search over {tally.states} state{'s' if tally.states != 1 else ''}"
    if found is not None:
        nr = f"{sample.nr} vCPU{'s' if sample.nr != 1 else ''}"
        note = f"{how}, breadth-first: no shorter trace with {nr} and the input sample"
        return Covered(found.trace, note) if isinstance(p, ir.Cover) else Violated(found.trace, note)
    if isinstance(p, ir.Fact):
        return Bounded(0, f"explicit evaluation over the whole domain at each of vCPUs {config.vcpus[0]}..{config.vcpus[1]}")
    if tally.stops:
        scope = f"stopped {' and '.join(tally.stops)}, incomplete"
    else:
        scope = "every state the input sample reaches was checked"
    reason = f"{how} ({scope}); not a proof, the inputs are a sample: {sample.describe()}"
    depth = tally.depth or 0
    return Unreached(depth, reason) if isinstance(p, ir.Cover) else Bounded(depth, reason)


def agreement(symbolic: Verdict, found: Verdict) -> Agreement:
    """The agreement rule of the cross-check: PROVED, no violation found; VIOLATED, a violation
    found (within the input sample: one it cannot express is a disagreement); COVERED, the goal
    found. A symbolic search that stopped (BOUNDED, UNREACHED within d steps) is contradicted
    only by a trace of at most d steps."""
    match symbolic:
        case Proved():
            return Agreement.DISAGREE if isinstance(found, Violated) else Agreement.AGREE
        case Violated():
            return Agreement.AGREE if isinstance(found, Violated) else Agreement.DISAGREE
        case Covered():
            return Agreement.AGREE if isinstance(found, Covered) else Agreement.DISAGREE
        case Bounded(depth=d) | Unreached(depth=d):
            if isinstance(found, (Violated, Covered)) and len(found.trace.steps) <= d:
                return Agreement.DISAGREE
            return Agreement.UNDECIDED
        case Unknown() | InternalError():
            return Agreement.UNDECIDED
    raise AssertionError(f"unhandled verdict {type(symbolic).__name__}")
