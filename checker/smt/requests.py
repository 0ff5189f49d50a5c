"""What a solver query is asked with: the setting every query shares and the request of each
kind of query (smt/query.py), each a frozen value the engines build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from checker import ir


class Solver(StrEnum):
    """Which solver answers the queries (`gicheck prove --solver`); they are built with z3's API
    either way, and a cvc5 query goes to it as SMT-LIB (smt/cvc5run.py)."""

    Z3 = "z3"
    CVC5 = "cvc5"


@dataclass(frozen=True)
class SolverBudgets:
    """How a query spends its time (Query.check); engines/search.py's SearchPolicy carries the
    one in use, and bench/heuristics.md records why each is what it is."""

    # a query with transitions runs this long on Z3's SAT-based core before the default core gets it:
    # the SAT core wins on small unrollings, the default core on loops unrolled to hundreds of vCPUs
    sat_core_ms: int = 10_000
    # the same for a query along one given sequence of actions (its arrays not Flat)
    path_sat_core_ms: int = 2_000
    # one-step queries: the incremental solver this long, then the SAT-based core this long, then
    # the incremental solver again for the rest
    one_step_incremental_ms: int = 2_000
    one_step_sat_core_ms: int = 3_000
    reseeds: tuple[int, ...] = (1, 2, 3)  # random seeds for asking again after 'incomplete quantifiers'
    # an unrolling from reset (reach) encodes a state array over at most this many indices as
    # one term per element (smt/flat.py): a choice between actions is then plain Booleans and
    # bit-vectors to the SAT-based core, not an If between arrays; 0 turns it off
    flat_max: int = 64
    # every query's time limit when --timeout gives none: no query waits without one (a query
    # past it is Unknown, and its reason says which limit it used up)
    query_ms: int = 300_000


@dataclass(frozen=True)
class Setting:
    """What every query shares: the vCPU range, the time limit per query (seconds, None for
    none), where to dump each query as SMT-LIB, the solver's budgets, the memory a check may
    use (MB, None for no limit), and the solver that answers. A `plain` query has none of the
    encoding's shortcuts (first-match definitions, Flat arrays) and goes to a fresh solver with
    its default parameters (Z3's, or cvc5 with `solver` cvc5), within its budget and the time
    limit, never Z3's strategies or reseeds: a proof checked again with nothing the proof's own
    query relied on. A `window` query looks for runs only: see the field."""

    vcpus: tuple[int, int]
    timeout: float | None = None
    dump: Callable[[str], None] | None = None
    budgets: SolverBudgets = field(default_factory=SolverBudgets)
    memory_mb: int | None = None
    solver: Solver = Solver.Z3
    plain: bool = False
    # > 0: the unrollings from reset keep each state array too large to be Flat to a window of
    # its first `window` indices (smt/flat.py): its runs are real, its Unsat decides nothing
    window: int = 0


@dataclass(frozen=True)
class OneStep:
    """A contract or independence query: its access starts `prefix` steps from reset (through
    the actions of `path`, if given) or, prefix None, from any state satisfying `assume` with a
    variable of each set in `avoid` at its reset value. The access is `final` when given (the
    property's action folded to its offsets); the steps before run the system's own actions.
    With `budget_ms`, the first answer must come within that time (or it is Unknown)."""

    setting: Setting
    prefix: int | None = None
    assume: list[ir.Expr] = field(default_factory=list)
    path: tuple[str, ...] | None = None
    budget_ms: int | None = None
    avoid: list[set[str]] | None = None
    final: ir.Action | None = None


@dataclass(frozen=True)
class Steps:
    """A query over k steps: from reset through `path` if given (reach), or from any state
    satisfying `assume` (induction_step, pre_goal: with a variable of each set in `avoid` at
    its reset value); `budget_ms` as for OneStep."""

    setting: Setting
    k: int
    path: tuple[str, ...] | None = None
    assume: list[ir.Expr] = field(default_factory=list)
    budget_ms: int | None = None
    avoid: list[set[str]] = field(default_factory=list)
