"""The handlers' `refines` claims: one query per case, from every state (engines/prove.py runs
them through a Refiner, the first time a search would branch on the handler)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from checker import ir
from checker.engines import cache, replay
from checker.engines.search import Options, search_ranges, unknown_verdict
from checker.engines.simplify import simplified
from checker.results import InternalError, PropertyKind, PropertyResult, Proved, Verdict, Violated
from checker.smt import handlers
from checker.smt import query as q

log = logging.getLogger("gicheck.engines")


def check_refinement(system: ir.System, ref: ir.Refinement, opts: Options) -> Verdict:
    """One query per case and vCPU range (small counts first): the handler, from every state and
    with every argument, does what its first applicable case's action does, or nothing."""
    for rng in search_ranges(opts.vcpus, opts.policy.small_vcpus):
        for case in range(len(ref.cases) + 1):
            a = handlers.refinement(system, ref, case, opts.setting(rng), opts.policy.refinement_budget_ms)
            if isinstance(a, q.Unknown):
                return unknown_verdict(a)
            if isinstance(a, q.Sat):
                build = simplified(system, lambda w: replay.refinement_trace(system, ref, w))
                return Violated(build(a.witness))
    cases = " or ".join(dict.fromkeys(c.action for c in ref.cases))
    return Proved(f"refinement: from every state, each access is a step of {cases}, or changes nothing")


class Refiner:
    """The handlers' `refines` claims, each checked the first time a search would branch on
    that handler, once per run. A handler whose claim is proved leaves the transitions: each of
    its steps is a step of an action that stays, or a stutter, so every state reachable with it
    is reachable without it, and BMC and induction need not branch on it. It stays callable, for
    properties about it and for replaying traces. A handler whose claim is not proved stays a
    transition, so no verdict depends on an unproved claim. A run whose searches never reach a
    handler (one-step contracts, say) does not check its claim."""

    def __init__(self, system: ir.System, opts: Options):
        self.system = system
        self.opts = opts
        self.claims = {r.handler: r for r in system.refinements}
        self.results: dict[str, PropertyResult] = {}
        self.asked: set[str] = set()  # the claims asked for since the caller last cleared it

    def proved(self, sub: ir.System) -> set[str]:
        """The handlers among `sub`'s transitions whose claims are proved (checking them now if
        this run has not yet)."""
        return {name for name in sub.actions if name in self.claims and isinstance(self.result(name).verdict, Proved)}

    def result(self, handler: str) -> PropertyResult:
        """The claim of `handler`, checked (or taken from the proof cache) the first time."""
        self.asked.add(handler)
        if handler not in self.results:
            self.results[handler] = self._cached(self.claims[handler])
        return self.results[handler]

    def _cached(self, ref: ir.Refinement) -> PropertyResult:
        if self.opts.cache_dir is None:
            return self.check(ref)
        store = cache.ProofCache(self.opts.cache_dir)
        key = cache.claim_key(self.system, ref, self.opts)
        hit = store.get(key)
        if hit is not None:
            return replace(hit.result, location=str(ref.span), seconds=0.0, cached=True)
        result = self.check(ref)
        store.put(key, cache.Entry(result, ()))
        return result

    def check(self, ref: ir.Refinement) -> PropertyResult:
        t0 = time.perf_counter()
        try:
            verdict = check_refinement(self.system, ref, self.opts)
        except replay.ReplayMismatch as err:
            verdict = InternalError(f"the interpreter did not confirm the solver's counterexample ({err})")
        dt = time.perf_counter() - t0
        log.info("%s refinement: %s in %.2fs", ref.handler, type(verdict).__name__, dt)
        cases = ", ".join(dict.fromkeys(c.action for c in ref.cases))
        doc = f"Every {ref.handler} is a step of {cases}, or changes nothing (its 'refines' clauses)."
        ranges = tuple((c.name, c.type.lo, c.type.hi) for c in self.system.params.values())
        return PropertyResult(
            ref.handler,
            PropertyKind.REFINEMENT,
            doc,
            str(ref.span),
            self.system.model,
            self.opts.vcpus,
            verdict,
            dt,
            ranges,  # type: ignore[arg-type]
        )
