"""Verdicts and traces: plain Python values, never solver objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Field:
    name: str
    hi: int
    lo: int
    value: int


@dataclass(frozen=True)
class Arg:
    name: str
    type: str
    value: int | bool
    fields: tuple[Field, ...] = ()
    width: int | None = None  # bits, for values that have a width


@dataclass(frozen=True)
class Change:
    location: str  # "pending[1][3]"
    before: int | bool
    after: int | bool


@dataclass(frozen=True)
class Step:
    action: str  # "ICC_SGI1R_EL1.write"
    register: str | None
    vcpu: int | None  # the accessing vCPU, for register accesses
    args: tuple[Arg, ...]
    changes: tuple[Change, ...]
    result: Arg | None = None  # what a read returned
    target: str | None = None  # a frame access: the register its offset reaches
    inputs: tuple[tuple[str, int | bool], ...] = ()  # the action's arguments as the interpreter ran them
    source: str | None = None  # path:line:col of the handler (or action) that ran


@dataclass(frozen=True)
class Failure:
    """Why the property fails at the end of the trace."""

    property: str
    message: str
    bindings: tuple[tuple[str, int | bool], ...] = ()
    values: tuple[tuple[str, int | bool], ...] = ()


@dataclass(frozen=True)
class Trace:
    nr_vcpus: int
    steps: tuple[Step, ...]
    failure: Failure
    params: tuple[tuple[str, int], ...] = ()  # the configuration parameters of this run
    alternative: Step | None = None  # two-run properties: the second run of the last access
    differences: tuple[tuple[str, int | bool, int | bool], ...] = ()  # location, run 1, run 2
    from_reset: bool = True
    labels: tuple[str, str] = ("first run", "second run")  # what `differences` compares
    start: tuple[tuple[str, int | bool], ...] = ()  # the state it starts from, location by location, when not reset


@dataclass(frozen=True)
class Proved:
    method: str


@dataclass(frozen=True)
class Violated:
    trace: Trace
    note: str | None = None  # what the search left undecided: "a shorter trace is not ruled out: ..."


@dataclass(frozen=True)
class Bounded:
    depth: int
    reason: str
    cti: Trace | None = None  # a counterexample to induction, from a state perhaps unreachable


@dataclass(frozen=True)
class Unknown:
    reason: str
    cti: Trace | None = None


@dataclass(frozen=True)
class Covered:
    trace: Trace


@dataclass(frozen=True)
class Unreached:
    depth: int


@dataclass(frozen=True)
class InternalError:
    """A bug of gicheck's: the interpreter did not confirm what the solver found."""

    reason: str


Verdict = Proved | Violated | Bounded | Unknown | Covered | Unreached | InternalError


class PropertyKind(StrEnum):
    FACT = "fact"
    CONTRACT = "contract"
    INDEPENDENCE = "independence"
    INVARIANT = "invariant"
    COVER = "cover"
    REFINEMENT = "refinement"


@dataclass(frozen=True)
class PropertyResult:
    name: str
    kind: PropertyKind
    doc: str
    location: str  # path:line:col
    model: str
    vcpus: tuple[int, int]
    verdict: Verdict
    seconds: float
    params: tuple[tuple[str, int, int], ...] = ()  # each parameter's range the verdict covers

    @property
    def passed(self) -> bool:
        return isinstance(self.verdict, (Proved, Covered))


# ---- gicheck replay -----------------------------------------------------------------------


class ReplayStatus(StrEnum):
    FAILS = "fails"  # the property still fails after the trace's accesses
    HOLDS = "holds"  # it holds after them
    REACHED = "reached"  # a cover goal the trace still reaches
    NOT_REACHED = "not reached"  # a cover goal it no longer reaches
    NOT_APPLICABLE = "not applicable"  # the trace cannot run on this spec (an access, a state, the property gone)


@dataclass(frozen=True)
class Replayed:
    """A trace file run again on a spec."""

    status: ReplayStatus
    property: str
    kind: PropertyKind
    model: str
    nr_vcpus: int
    params: tuple[tuple[str, int], ...]
    steps: int
    reason: str  # why it holds, or why the trace does not apply (at which step)
    trace: Trace | None = None  # the run, when it still fails or reaches the goal
    notes: tuple[str, ...] = ()  # what changed since the trace was written


# ---- gicheck diff -------------------------------------------------------------------------


class ActionStatus(StrEnum):
    SAME = "same"
    SAME_REACHABLE = "same-reachable"  # different only on states no run from reset reaches
    DIFFERENT = "different"
    THROUGH = "through"  # a frame access whose decoding is the same: it differs where its handlers do
    UNKNOWN = "unknown"
    OLD_ONLY = "old-only"
    NEW_ONLY = "new-only"
    SIGNATURE = "signature"

    @property
    def agrees(self) -> bool:
        """The sides agree: everywhere, or on every reachable state."""
        return self in (ActionStatus.SAME, ActionStatus.SAME_REACHABLE)


class ActionClass(StrEnum):
    """What a compared action is, for the reader."""

    ENVIRONMENT = "environment action"
    SYSTEM_REGISTER = "system register"
    REGISTER = "register"
    FRAME_ACCESS = "frame access"


class PropertyStatus(StrEnum):
    STILL_HOLDING = "still holding"
    BROKEN = "broken"
    FIXED = "fixed"
    STILL_FAILING = "still failing"
    ADDED = "added"
    REMOVED = "removed"
    INCONCLUSIVE = "inconclusive"


class StateStatus(StrEnum):
    OLD_ONLY = "old-only"
    NEW_ONLY = "new-only"
    TYPE = "type"
    RELATED = "related"
    RESET = "reset"


@dataclass(frozen=True)
class Distinction:
    """A replayed input on which the two sides differ."""

    nr_vcpus: int
    params: tuple[tuple[str, int], ...]
    from_reset: bool
    prefix: tuple[Step, ...]  # accesses from reset before the distinguishing one (old side's run)
    prefix_same: bool  # the prefix changed the shared state alike on both sides
    old: Step | None  # the access on each side (None: not enabled there)
    new: Step | None
    rows: tuple[
        tuple[str, int | bool | None, int | bool | None, int | bool | None], ...
    ]  # location, before, old after, new after
    results: tuple[int | bool | None, int | bool | None] = (None, None)


@dataclass(frozen=True)
class ActionDiff:
    name: str
    kind: ActionClass
    status: ActionStatus
    expected: bool
    detail: str = ""
    one_step: Distinction | None = None  # from some shared state
    reached: Distinction | None = None  # from reset
    reach_note: str = ""  # how far the search from reset went, when it found nothing
    seconds: float = 0.0
    parts: tuple[ActionDiff, ...] = ()  # a frame access, register by register
    # the same code over the same state and functions on both sides (not in the JSON output)
    identical: bool = field(default=False, metadata={"json": False})


@dataclass(frozen=True)
class PropertyDiff:
    name: str
    status: PropertyStatus
    old: PropertyResult | None
    new: PropertyResult | None
    carried: bool = False  # the new verdict is the old one, by equivalence of its cone
    changed: bool = False  # the property itself differs between the sides (a replaced property)
    expected: bool = False  # broken, and the patch declared it (`expect broken`)


@dataclass(frozen=True)
class StateDiff:
    name: str
    status: StateStatus
    detail: str


@dataclass(frozen=True)
class ModelDiff:
    model: str
    old_label: str
    new_label: str
    old_vcpus: tuple[int, int]
    new_vcpus: tuple[int, int]
    vcpus: tuple[int, int]  # where actions are compared
    applied: tuple[str, ...]
    states: tuple[StateDiff, ...]
    actions: tuple[ActionDiff, ...]
    properties: tuple[PropertyDiff, ...]
    seconds: float = 0.0
    expected: frozenset[str] = frozenset()

    @property
    def broken(self) -> list[PropertyDiff]:
        return [p for p in self.properties if p.status == PropertyStatus.BROKEN]

    @property
    def unexpected_broken(self) -> list[PropertyDiff]:
        """Broken properties the patch did not declare with `expect broken`."""
        return [p for p in self.broken if not p.expected]

    def unexpected(self) -> list[str]:
        """Differences a guest can see that the patch did not declare: actions that differ (or
        exist on one side only), and state whose reset value changed."""
        out = [a.name for a in self.actions if a.status not in _NO_DIFFERENCE and not a.expected]
        return out + [s.name for s in self.states if s.status == StateStatus.RESET and s.name not in self.expected]


# statuses that show no difference a guest can see (through: its handlers' own results do)
_NO_DIFFERENCE = frozenset({ActionStatus.SAME, ActionStatus.SAME_REACHABLE, ActionStatus.UNKNOWN, ActionStatus.THROUGH})
