"""The branches of a system's code and their arms (results.Arm), for coverage: each `if` (then,
else; the else of an `else if` is the inner `if`'s arms), each `?:`, and each loop that can
leave early by `break` or `return` (exit, end), in the actions asked for, the handlers they
invoke and the functions they call. An arm is keyed by its branch's span, as interp.Recorder
notes the arms a run takes; the branches the frames' decoders add have no place in the spec
and are left out."""

from __future__ import annotations

from collections.abc import Iterable

from checker import ir
from checker.irwalk import ActionRef, CallRef, FnRef, else_if, leaves_early
from checker.results import Arm, BranchArm, BranchCoverage

Key = tuple[ir.Span, Arm]

_ORDER = {a: i for i, a in enumerate(Arm)}


def _code(ref: CallRef, system: ir.System) -> object:
    if isinstance(ref, FnRef):
        return system.functions[ref.name].body
    a = system.action(ref.name)
    return (a.body, a.requires)


def _arms_of(n: ir.If | ir.Ite | ir.For) -> tuple[Arm, ...]:
    match n:
        case ir.If(span=s) if s.line:
            return (Arm.THEN,) if else_if(n) else (Arm.THEN, Arm.ELSE)
        case ir.Ite(span=s) if s.line:
            return (Arm.THEN, Arm.ELSE)
        case ir.For(span=s, body=b) if s.line and leaves_early(b):
            return (Arm.EXIT, Arm.END)
    return ()


def arms(system: ir.System, roots: Iterable[str] | None = None) -> dict[Key, str]:
    """Every arm in the code the actions `roots` (default: every transition) reach, in source
    order, with the handler or function whose code holds it."""
    todo: list[CallRef] = [ActionRef(n) for n in (system.actions if roots is None else roots)]
    seen: set[CallRef] = set()
    found: dict[Key, str] = {}
    while todo:
        ref = todo.pop(0)
        if ref in seen:
            continue
        seen.add(ref)
        for n in ir.walk(_code(ref, system)):
            if isinstance(n, ir.Invoke):
                todo.append(ActionRef(n.action))
            elif isinstance(n, ir.Call):
                todo.append(FnRef(n.func))
            elif isinstance(n, (ir.If, ir.Ite, ir.For)):
                for arm in _arms_of(n):
                    found.setdefault((n.span, arm), ref.name)
    order = sorted(found, key=lambda k: (k[0].file, k[0].line, k[0].col, _ORDER[k[1]]))
    return {k: found[k] for k in order}


def coverage(every: dict[Key, str], taken: Iterable[Key]) -> BranchCoverage:
    """How many of the arms `every` lists (arms()) a run took, and those it did not."""
    hit = set(taken) & every.keys()
    missed = tuple(BranchArm(s.file, s.line, s.col, arm, owner) for (s, arm), owner in every.items() if (s, arm) not in hit)
    return BranchCoverage(len(every), len(hit), missed)
