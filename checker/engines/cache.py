"""The proof cache: a property's result kept under a content hash of everything its check reads,
so that a run after a patch checks again only what the patch can change.

The key hashes, each with its source spans and doc comments removed (irwalk.strip): the property;
its cone (engines/prove.py: the state that can affect it and the actions that write that state);
the handlers and functions those actions, the property's own action and the cone's `refines`
claims reach; the invariants the check may assume; the options a verdict depends on (the
solver, `--solver`, and its version among them); the checker's own source. A refinement claim
is kept the same way, under its handler and the actions it names. Only answers no budget
decides are kept: PROVED, VIOLATED and COVERED (a trace shown from the cache was replayed by
the run that found it, under the same key). Entries are pickles of frozen results in the user's
own cache directory, written whole or not at all (files.write_atomic); one that does not load
is a miss.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import checker
from checker import ir
from checker.engines import replay
from checker.engines.search import Options
from checker.files import OutputError, write_atomic
from checker.irwalk import reached, strip
from checker.results import Covered, PropertyResult, Proved, Step, Violated
from checker.smt.cvc5run import solver_version

log = logging.getLogger("gicheck.engines")

# Entries written by another layout of Entry are misses, never wrong answers.
FORMAT = 1


def default_dir() -> Path:
    """$XDG_CACHE_HOME/gicheck/proofs, or ~/.cache/gicheck/proofs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gicheck" / "proofs"


@cache
def code_hash() -> str:
    """A hash of the checker's own source: an entry made by other code is a miss."""
    h = hashlib.sha256()
    root = Path(checker.__file__).parent
    for f in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark") and p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    result: PropertyResult
    claims: tuple[str, ...]  # the handlers whose `refines` claims the check asked for


def _reached_code(roots: object, system: ir.System) -> list[tuple[str, object]]:
    """The handlers and functions `roots` reach, by name, in a stable order."""
    names: dict[str, object] = {}
    for n in reached(roots, system):
        if isinstance(n, ir.Invoke):
            names[f"handler {n.action}"] = system.action(n.action)
        elif isinstance(n, ir.Call) and n.func in system.functions:
            names[f"fn {n.func}"] = system.functions[n.func]
    return sorted(names.items())


def _options(opts: Options) -> object:
    """The options a verdict depends on, the solver and its version among them."""
    solver = (opts.solver, solver_version(opts.solver))
    return (opts.vcpus, opts.depth, opts.timeout, opts.memory_mb, opts.vacuity, opts.search_time, opts.policy, solver)


def _tuples(x: object) -> object:
    """Lists as tuples, all the way down to the IR values, which strip() walks itself."""
    return tuple(_tuples(y) for y in x) if isinstance(x, (list, tuple)) else x


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in (FORMAT, code_hash(), *parts):
        h.update(repr(strip(_tuples(part))).encode())
        h.update(b"\0")
    return h.hexdigest()


def property_key(system: ir.System, sub: ir.System, p: ir.Property, opts: Options, assumed: dict[str, ir.Expr]) -> str:
    """The key of `p`'s check over its cone `sub` of `system`, assuming `assumed`."""
    actions = [(n, a) for n, a in sorted(sub.actions.items())]
    roots: list[object] = [p, [(a.body, a.requires) for _, a in actions]]
    if isinstance(p, (ir.Contract, ir.Independence)):
        own = system.action(p.action)
        roots.append((own.body, own.requires))
        actions.append((f"own {p.action}", own))
    claims = [r for r in system.refinements if r.handler in sub.actions]
    cone = (sub.model, sub.vcpus, sorted(sub.states.items()), sorted(sub.params.items()), sorted(sub.layouts.items()))
    code = _reached_code(roots, system)
    return _digest("property", p, cone, actions, code, claims, sorted(assumed.items()), _options(opts))


def claim_key(system: ir.System, ref: ir.Refinement, opts: Options) -> str:
    """The key of a handler's `refines` claim: the handler, the actions its cases name, what they
    reach, and the state and parameters they are checked over."""
    handler = system.action(ref.handler)
    named = sorted({c.action: system.action(c.action) for c in ref.cases}.items())
    roots = [(handler.body, handler.requires), [(a.body, a.requires) for _, a in named]]
    state = (system.model, system.vcpus, sorted(system.states.items()), sorted(system.params.items()))
    return _digest("claim", ref, handler, named, _reached_code(roots, system), state, _options(opts))


class ProofCache:
    """Results on disk under their keys (two-level directories, one file each)."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.pickle"

    def get(self, key: str) -> Entry | None:
        try:
            entry = pickle.loads(self._path(key).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError) as err:
            # a damaged or foreign file is a miss, and is written again
            log.info("proof cache: %s unreadable (%s)", self._path(key), err)
            return None
        return entry if isinstance(entry, Entry) else None

    def put(self, key: str, entry: Entry) -> None:
        if not isinstance(entry.result.verdict, (Proved, Violated, Covered)):
            return
        try:
            write_atomic(self._path(key), pickle.dumps(entry))
        except OutputError as err:  # a cache that cannot be written only costs time
            log.warning("proof cache: %s", err)


def from_cache(entry: Entry, system: ir.System, p: ir.Property) -> PropertyResult:
    """The cached result shown for `p` as declared now: the key ignores places and comments, so
    its place, its doc and the source each trace step names are taken from `system`."""
    verdict = entry.result.verdict
    if isinstance(verdict, (Violated, Covered)):
        t = verdict.trace
        steps = tuple(_placed(system, s) for s in t.steps)
        alternative = _placed(system, t.alternative) if t.alternative is not None else None
        verdict = replace(verdict, trace=replace(t, steps=steps, alternative=alternative))
    return replace(entry.result, name=p.name, doc=p.doc, location=str(p.span), verdict=verdict, seconds=0.0, cached=True)


def _placed(system: ir.System, s: Step) -> Step:
    if s.source is None:
        return s
    return replace(s, source=str(replay.handler_span(system, system.action(s.action), dict(s.inputs))))
