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


class VacuityKind(StrEnum):
    VACUOUS = "vacuous"  # no state allows the access (or has the premise) the property is about: it holds of nothing
    UNWITNESSED = "unwitnessed"  # no run from reset within the depth makes that access (reaches that premise)


@dataclass(frozen=True)
class Vacuity:
    """Why a proved property may say nothing: the access a contract or independence property is
    about (its action enabled, its `where` clause true), or the premise of an invariant
    `forall xs. A -> B`, never happens, or was not seen to."""

    kind: VacuityKind
    message: str


@dataclass(frozen=True)
class Violated:
    trace: Trace
    note: str | None = None  # what the search left undecided: "a shorter trace is not ruled out: ..."
    shortest: bool = False  # from reset, and every shorter length was searched and has no trace
    fewest_vcpus: bool = False  # no trace of this length within the run's vCPU range has fewer


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
    note: str | None = None  # as Violated's: a shorter trace the search did not rule out
    shortest: bool = False  # as Violated's
    fewest_vcpus: bool = False


@dataclass(frozen=True)
class Unreached:
    depth: int
    reason: str | None = None  # why the search stopped there: its maximum depth, or its time


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
    vacuity: Vacuity | None = None  # a proved contract's access that never happens (a warning)
    cached: bool = False  # from the proof cache (engines/cache.py): not checked again by this run

    @property
    def passed(self) -> bool:
        return isinstance(self.verdict, (Proved, Covered))


@dataclass(frozen=True)
class Explored:
    """The explicit-state engine's account of one property (engines/explicit.py, `gicheck
    explore`): its result, and how much of the state space the finite input sample reaches it
    saw."""

    result: PropertyResult
    states: int  # distinct states checked, summed over the vCPU counts searched
    depth: int  # every state within this many steps of reset was checked, at every vCPU count searched
    complete: bool  # every state the sample reaches was checked: no limit on states or steps was hit
    inputs: str  # the input sample, in words


class Agreement(StrEnum):
    """How an explicit-state verdict compares with the symbolic engines' (engines/explicit.py)."""

    AGREE = "agree"
    DISAGREE = "disagree"
    UNDECIDED = "undecided"  # the symbolic verdict decides nothing the explicit search could contradict


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


# ---- gicheck run --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A value a read may return where the spec leaves the answer open (a handler with `refines`
    clauses), and the action that read is then a step of."""

    value: int
    step: str  # "acknowledge(self=1, intid=27)"; the handler's name for its own answer outside every case


@dataclass(frozen=True)
class Outcome:
    """One register access or environment action run on a machine (checker.api)."""

    step: Step  # the access as a trace shows it: arguments decoded, the state it changed
    value: int | None = None  # what a read returned
    allowed: tuple[Choice, ...] = ()  # a read the spec leaves open: every value it allows here
    own: int | None = None  # the handler's own answer, when the value is another the caller chose
    notes: tuple[str, ...] = ()  # what a reader may not expect: a width the register refuses, ...


@dataclass(frozen=True)
class RunLine:
    line: int  # in the script
    text: str  # the line as written, without its comment
    outcome: Outcome
    expected: int | None = None  # the value the script expects a read to return


@dataclass(frozen=True)
class RunFailure:
    """A line the spec does not allow: an expected value it never reads, an action not enabled."""

    location: str  # path:line:col
    message: str
    source: str  # the script's line, for the excerpt
    col: int
    length: int
    allowed: tuple[Choice, ...] = ()  # what the spec allows instead, for a read


@dataclass(frozen=True)
class RunReport:
    script: str
    model: str
    nr_vcpus: int
    params: tuple[tuple[str, int], ...]
    lines: tuple[RunLine, ...]
    failure: RunFailure | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


# ---- gicheck conform ----------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """A read whose value on the target the spec does not allow, shown as a `gicheck run`
    script (shrunk to the accesses it needs, when shrinking could replay it)."""

    key: str  # its class: the register and the fields that differ
    register: str
    target: int | None  # None: the target took a data abort
    spec: int  # the spec's own answer
    allowed: tuple[int, ...]  # every value the spec allows there
    nr_vcpus: int
    script: str
    declared: str | None = None  # the known difference that covers it
    shrunk: bool = False


@dataclass(frozen=True)
class DisagreementClass:
    key: str
    count: int
    example: Disagreement
    declared: str | None = None
    reason: str = ""  # the known difference's reason and source


class Arm(StrEnum):
    """One way through a branch of the spec's code: an `if`'s two (a condition `?:` the same),
    and a loop that can leave early by `break` or `return`: left early, or ran to its end."""

    THEN = "then"
    ELSE = "else"
    EXIT = "exit"
    END = "end"


@dataclass(frozen=True)
class BranchArm:
    """An arm at its branch's place (the `if`, the `?:`, the `for`), in the handler or function
    whose code holds it."""

    file: str
    line: int
    col: int
    arm: Arm
    owner: str  # "ICC_IAR1_EL1.read", "spi_ready"


@dataclass(frozen=True)
class BranchCoverage:
    """The arms of the branches in the code a run could reach, and those it took."""

    total: int = 0
    hit: int = 0
    missed: tuple[BranchArm, ...] = ()  # in source order


@dataclass(frozen=True)
class ConformReport:
    target: str  # "qemu gic-version=3 (tcg)"
    model: str
    seed: int
    params: tuple[tuple[str, int], ...]
    vcpus: tuple[int, int]
    sequences: int
    accesses: int
    reads: int  # compared
    agreed: int
    classes: tuple[DisagreementClass, ...]
    kinds_hit: int  # access kinds (register, width, direction) reached
    kinds: int
    errors: tuple[str, ...] = ()  # target runs that did not finish
    seconds: float = 0.0
    branches: BranchCoverage = BranchCoverage()  # of the handlers the register accesses reach

    @property
    def undeclared(self) -> tuple[DisagreementClass, ...]:
        return tuple(c for c in self.classes if c.declared is None)

    @property
    def passed(self) -> bool:
        return not self.undeclared and not self.errors
