"""Verdicts and traces: plain Python values, never solver objects."""

from __future__ import annotations

from dataclasses import dataclass


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


Verdict = Proved | Violated | Bounded | Unknown | Covered | Unreached


@dataclass(frozen=True)
class PropertyResult:
    name: str
    kind: str  # fact | contract | independence | invariant | cover
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
