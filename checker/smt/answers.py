"""What a solver query answers, as plain Python values: `Sat` with a decoded `Witness`, `Unsat`,
or `Unknown` with the solver's reason. The engines never touch a solver object."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker import interp


@dataclass
class Witness:
    """A satisfying assignment, decoded: the vCPU count, accesses and values."""

    nr_vcpus: int
    params: dict[str, int] = field(default_factory=dict)
    steps: list[tuple[str, dict[str, interp.Value]]] = field(default_factory=list)
    pre_state: interp.State | None = None  # set when the run starts from an arbitrary state
    bindings: dict[str, interp.Value] = field(default_factory=dict)
    alt_args: dict[str, interp.Value] | None = None
    # No assignment of the query has fewer vCPUs: the count is the range's lowest, or the
    # solver ruled out every lower one. Only the query's own minimum: a search that asked one
    # sequence of actions knows nothing of the others (engines/search.py).
    fewest_vcpus: bool = False


@dataclass
class Sat:
    witness: Witness


@dataclass
class Unsat:
    pass


@dataclass
class Unknown:
    reason: str


Answer = Sat | Unsat | Unknown
