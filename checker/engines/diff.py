"""gicheck diff: what a patch changes, between an old and a new system of one model.

1. Structure: state, actions and vCPU ranges on one side only, or of another type; state whose
   reset value changed.
2. Every action on both sides (environment actions, system register and register handlers, and
   the frame accesses by offset and width) is compared in one relational step (smt/product.py):
   proved the same from every shared state with every argument, or a distinguishing input. A
   frame access that differs is then compared register by register, to say where.
3. A difference is then looked for on reachable states: first in one step from states that
   satisfy the invariants the old side proved (none found: the sides agree on every reachable
   state, which is a proof), then by a lockstep search from reset for the shortest sequence of
   accesses after which the action tells the sides apart, guided by what the one-step input
   needs away from reset; a shorter depth the solver left undecided is named with the run.
4. Properties are checked on both sides and classified. A property whose cone of influence holds
   only actions proved the same, over the same state, reset and vCPU range, has the same verdict
   on both sides: a proof on the old side is carried over instead of being redone.

Every distinguishing input is replayed by the interpreter on both sides before it is shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from checker import ir
from checker.engines.diffprops import Compared, PropertyRun, carried_over, classify, diff_properties, proved_invariants
from checker.engines.diffreplay import SideBySide
from checker.engines.search import Ask, DepthPass, Options, Target, bmc_depth, more_guides, search_ranges
from checker.engines.simplify import simplest_pair
from checker.irwalk import RW, FnRef, action_rw, calls, cone, invoked, state_reads, state_writes, strip
from checker.results import (
    ActionClass,
    ActionDiff,
    ActionStatus,
    Change,
    Covered,
    Distinction,
    ModelDiff,
    PropertyDiff,
    StateDiff,
    StateStatus,
)
from checker.smt import product as P
from checker.smt import query as q

log = logging.getLogger("gicheck.diff")

# Where a frame access is compared: ((stride of a per-vCPU frame or None, [lo, hi) offset ranges
# within the frame), pinned arguments such as the width).
Scope = tuple[tuple[int | None, list[tuple[int, int]]], dict[str, int]]


@dataclass(frozen=True)
class Reached:
    """What the search from reset found: a replayed run, or none, with what the search left
    undecided on the way."""

    distinction: Distinction | None
    note: str = ""


def _kind(a: ir.Action, system: ir.System) -> ActionClass:
    if a.register in system.frames:
        return ActionClass.FRAME_ACCESS
    if a.kind.is_sysreg:
        return ActionClass.SYSTEM_REGISTER
    if a.kind.is_mmio:
        return ActionClass.REGISTER
    return ActionClass.ENVIRONMENT


def _sig(a: ir.Action) -> str:
    return "(" + ", ".join(f"{p.name}: {p.type}" for p in a.params) + ")"


def compared_actions(system: ir.System) -> dict[str, ir.Action]:
    """Every action a guest or the environment can perform, by name: transitions, handlers and
    frame accesses."""
    out = dict(system.actions)
    for n, a in system.callables.items():
        out.setdefault(n, a)
    return out


class Differ:
    def __init__(self, old: ir.System, new: ir.System, opts: Options, expected: set[str], related: dict[str, str] | None = None):
        self.old, self.new = old, new
        self.vcpus = opts.vcpus
        self.opts = opts
        self.expected = expected
        self.related = related or {}  # state -> the new side's function of the old element (`relate`)
        self.invariants: list[ir.Expr] = []  # proved on the old side
        self.sides = SideBySide(old, new, self.related)
        self.compared = self.sides.compared  # the state both sides are compared on

    def pair(self, vcpus: tuple[int, int] | None = None) -> P.Pair:
        return P.Pair(self.old, self.new, self.opts.setting(vcpus or self.vcpus), self.related)

    def is_expected(self, *names: str | None) -> bool:
        return any(n is not None and n in self.expected for n in names)

    # ---- structure ----------------------------------------------------------------------
    def states(self) -> list[StateDiff]:
        out = []
        for n, s in self.old.states.items():
            if n not in self.new.states:
                out.append(StateDiff(n, StateStatus.OLD_ONLY, f"{n}: {s.type}"))
            elif n in self.related:
                out.append(
                    StateDiff(
                        n,
                        StateStatus.RELATED,
                        f"{n}: {s.type} (old)  vs  {self.new.states[n].type} (new), compared as {self.related[n]}(old)",
                    )
                )
            elif not P.same_type(s.type, self.new.states[n].type):
                out.append(StateDiff(n, StateStatus.TYPE, f"{n}: {s.type} (old)  vs  {self.new.states[n].type} (new)"))
        for n, s in self.new.states.items():
            if n not in self.old.states:
                out.append(StateDiff(n, StateStatus.NEW_ONLY, f"{n}: {s.type}"))
        for n in self.compared:
            if n not in self.related and strip(self.old.states[n].init) == strip(self.new.states[n].init):
                continue
            ans = self.pair().reset_differs(n)
            if isinstance(ans, q.Sat):
                out.append(StateDiff(n, StateStatus.RESET, f"{n} resets to another value (with {ans.witness.nr_vcpus} vCPUs)"))
            elif isinstance(ans, q.Unknown):
                out.append(StateDiff(n, StateStatus.RESET, f"{n}: whether its reset value changed is unknown ({ans.reason})"))
        return out

    # ---- actions ------------------------------------------------------------------------
    def actions(self, log_progress: Callable[[str], None] | None = None, only: set[str] | None = None) -> list[ActionDiff]:
        """Every action of either side compared (or those named in `only`, with the handlers a
        frame access named there reaches: it is the same where they all are)."""
        olds, news = compared_actions(self.old), compared_actions(self.new)
        if only is not None:
            only = set(only)
            for n in list(only):
                if n in olds and _kind(olds[n], self.old) == ActionClass.FRAME_ACCESS:
                    only |= invoked(calls(olds[n], self.old))
            olds = {n: a for n, a in olds.items() if n in only}
            news = {n: a for n, a in news.items() if n in only}
        # frame accesses last: one whose decoding is unchanged differs exactly where the handlers it reaches do
        olds = dict(sorted(olds.items(), key=lambda kv: _kind(kv[1], self.old) == ActionClass.FRAME_ACCESS))
        out: list[ActionDiff] = []
        self.done: dict[str, ActionDiff] = {}
        for name, a in olds.items():
            if name not in news:
                out.append(
                    ActionDiff(
                        name,
                        _kind(a, self.old),
                        ActionStatus.OLD_ONLY,
                        self.is_expected(name, a.register),
                        f"{name}{_sig(a)} exists on the old side only",
                    )
                )
                continue
            b = news[name]
            if [str(p.type) for p in a.params] != [str(p.type) for p in b.params]:
                out.append(
                    ActionDiff(
                        name,
                        _kind(a, self.old),
                        ActionStatus.SIGNATURE,
                        self.is_expected(name, a.register),
                        f"old {name}{_sig(a)}, new {name}{_sig(b)}",
                    )
                )
                continue
            t0 = time.perf_counter()
            d = replace(self.action(a, b), seconds=time.perf_counter() - t0)
            self.done[name] = d
            if log_progress:
                log_progress(f"{name}: {d.status} ({d.seconds:.1f}s)")
            out.append(d)
        for name, b in news.items():
            if name not in olds:
                out.append(
                    ActionDiff(
                        name,
                        _kind(b, self.new),
                        ActionStatus.NEW_ONLY,
                        self.is_expected(name, b.register),
                        f"{name}{_sig(b)} exists on the new side only",
                    )
                )
        return out

    def action(self, a: ir.Action, b: ir.Action) -> ActionDiff:
        kind = _kind(a, self.old)
        d = ActionDiff(a.name, kind, ActionStatus.SAME, self.is_expected(a.name, a.register))
        if strip(a) == strip(b) and self._same_context(a, b):
            return replace(d, detail="the same code over the same state and functions", identical=True)
        if kind == ActionClass.FRAME_ACCESS and strip(a) == strip(b):
            reached = sorted(invoked(calls(a, self.old)))
            differing = [n for n in reached if n not in self.done or self.done[n].status != ActionStatus.SAME]
            if not differing:
                return replace(
                    d,
                    detail="the same decoding of offsets and widths, and every handler it reaches is the same"
                    + self._unseen(a, b),
                )
            return replace(
                d,
                status=ActionStatus.THROUGH,
                expected=all(self.done[n].expected for n in differing if n in self.done),
                detail="the same decoding of offsets and widths; it differs wherever these handlers do: " + ", ".join(differing),
            )
        if kind == ActionClass.FRAME_ACCESS:
            return self.frame_action(a, b, d)
        first = self.first_access(a, b)
        if first is not None:
            return replace(d, status=ActionStatus.DIFFERENT, one_step=first, reached=first)
        ans = self.one_step(a, b)
        if isinstance(ans, q.Unknown):
            return replace(d, status=ActionStatus.UNKNOWN, detail=f"the solver gave up: {ans.reason}")
        if isinstance(ans, q.Unsat):
            return replace(d, detail="proved the same from every state, with every argument" + self._unseen(a, b))
        w = P.to_pair_witness(ans.witness, a.name, prefix=False)
        d = replace(d, status=ActionStatus.DIFFERENT, one_step=self.replay(a, b, w))
        if self.invariants:
            inv = self.one_step(a, b, assume=self.invariants)
            if isinstance(inv, q.Unsat):
                return replace(
                    d,
                    status=ActionStatus.SAME_REACHABLE,
                    detail=f"the same on every state satisfying the {len(self.invariants)} invariant(s) the old side proved (so on every reachable state); different only on unreachable states",
                )
        found = self.search_from_reset(a, b, None, self.guides(a, b, w))
        return replace(d, reached=found.distinction, reach_note=found.note)

    def _unseen(self, a: ir.Action, b: ir.Action) -> str:
        """What "the same" leaves out: state one side's access writes that the other side does
        not have (a GICD_IGROUPR write that sets groups only the new side models). The
        comparison covers shared state and the value read; the effect of such a write shows in
        the actions that read that state."""
        shared = set(self.compared)
        parts = []
        for side, act, system in (("new", b, self.new), ("old", a, self.old)):
            only = sorted(state_writes(act.body, system) - shared)
            if only:
                parts.append(f"{', '.join(only)}, which only the {side} side has")
        return f"; it also writes {' and '.join(parts)}" if parts else ""

    def frame_action(self, a: ir.Action, b: ir.Action, d: ActionDiff) -> ActionDiff:
        """A frame access whose decoding changed, compared one register's offsets and one access
        width at a time: the encoding then decodes only the registers those offsets reach
        (Encoder.fold), instead of every register of the frame twice over for a split access:
        the one query over the whole frame can be out of the solver's reach (bench/heuristics.md)."""
        scopes = self.frame_scopes(a)
        parts: list[ActionDiff] = []
        unknown: list[ActionDiff] = []
        witnesses: dict[str, P.PairWitness] = {}
        for label, scope in scopes:
            ans = self.one_step(a, b, scope=scope)
            if isinstance(ans, q.Unsat):
                continue
            part = ActionDiff(
                f"{a.name} at {label}",
                ActionClass.FRAME_ACCESS,
                ActionStatus.DIFFERENT,
                self.is_expected(a.name, a.register, label.split(",")[0]),
            )
            if isinstance(ans, q.Unknown):
                unknown.append(replace(part, status=ActionStatus.UNKNOWN, detail=f"the solver gave up: {ans.reason}"))
                continue
            w = P.to_pair_witness(ans.witness, a.name, prefix=False)
            part = replace(part, one_step=self.replay(a, b, w))
            witnesses[part.name] = w
            if self.invariants and isinstance(self.one_step(a, b, assume=self.invariants, scope=scope), q.Unsat):
                part = replace(part, status=ActionStatus.SAME_REACHABLE)
            parts.append(part)
        real = [p for p in parts if p.status == ActionStatus.DIFFERENT]
        if not parts and not unknown:
            return replace(
                d,
                detail=f"proved the same from every state, at every offset and width ({len(scopes)} queries: one per register and width)",
            )
        if not real:
            return replace(
                d,
                status=ActionStatus.UNKNOWN if unknown else ActionStatus.SAME_REACHABLE,
                parts=(*parts, *unknown),
                detail="the solver gave up on some offsets"
                if unknown
                else "differs only on states that violate an invariant the old side proved",
            )
        label = real[0].name.split(" at ", 1)[1]
        found = self.search_from_reset(a, b, dict(scopes)[label], self.guides(a, b, witnesses[real[0].name], dict(scopes)[label]))
        return replace(
            d,
            status=ActionStatus.DIFFERENT,
            one_step=real[0].one_step,
            parts=(*parts, *unknown),
            expected=d.expected or all(p.expected for p in real),
            reached=found.distinction,
            reach_note=found.note,
        )

    def frame_scopes(self, a: ir.Action) -> list[tuple[str, Scope]]:
        """(label, (offset ranges, pinned width)) for each register of the frame and each access
        width, and the offsets no register uses."""
        frame = self.old.frames[a.register]  # type: ignore[index]
        other = self.new.frames.get(a.register)  # type: ignore[arg-type]
        regs = {r.name: (r.offset + r.lo * r.bytes, r.offset + (r.hi + 1) * r.bytes) for r in frame.registers}
        for r in other.registers if other is not None else ():
            rng = (r.offset + r.lo * r.bytes, r.offset + (r.hi + 1) * r.bytes)
            if regs.get(r.name, rng) != rng:
                regs[f"{r.name} (new offsets)"] = rng
            else:
                regs[r.name] = rng
        size = max(frame.size, other.size if other is not None else 0)
        gaps, at = [], 0
        for lo, hi in sorted(regs.values()):
            if lo > at:
                gaps.append((at, lo))
            at = max(at, hi)
        if at < size:
            gaps.append((at, size))
        stride = frame.stride if frame.per_vcpu else None
        regions = [(n, [rng]) for n, rng in regs.items()] + ([("offsets with no register", gaps)] if gaps else [])
        return [(f"{n}, {w}-bit", ((stride, rs), {"width": w})) for n, rs in regions for w in (8, 16, 32, 64)]

    def _same_context(self, a: ir.Action, b: ir.Action) -> bool:
        """The functions and handlers the two actions call are the same code, and the state they
        touch has the same type on both sides."""
        touched = state_reads((a.body, a.requires), self.old) | state_writes(a.body, self.old)
        touched |= state_reads((b.body, b.requires), self.new) | state_writes(b.body, self.new)
        shared = set(P.shared_states(self.old, self.new))
        if not touched <= shared:
            return False
        for ref in calls(a, self.old) | calls(b, self.new):
            if isinstance(ref, FnRef):
                f = ref.name
                if (
                    f not in self.old.functions
                    or f not in self.new.functions
                    or strip(self.old.functions[f]) != strip(self.new.functions[f])
                ):
                    return False
            else:
                h = ref.name
                if h not in compared_actions(self.new) or h not in compared_actions(self.old):
                    return False
                if strip(self.old.action(h)) != strip(self.new.action(h)):
                    return False
        return True

    def first_access(self, a: ir.Action, b: ir.Action) -> Distinction | None:
        """The first access from reset, with a few vCPUs, if it tells the sides apart (within the
        policy's first_access_budget_ms): the commonest difference of a patch, and a query over
        the reset state, whose values are known, where the one over every shared state can take
        the solver much longer. It is then both the one-step difference and the shortest run."""
        small = search_ranges(self.vcpus, self.opts.policy.small_vcpus)[0]
        req = P.PairReach(0, [], budget_ms=self.opts.policy.first_access_budget_ms)
        ans = self.pair(small).reach(a, b, req)
        if not isinstance(ans, q.Sat):
            return None
        return self.replay(a, b, P.to_pair_witness(ans.witness, a.name, prefix=True))

    def one_step(self, a: ir.Action, b: ir.Action, assume: list[ir.Expr] | None = None, scope: Scope | None = None) -> q.Answer:
        """Small vCPU counts first (a loop over vCPUs unrolls only that far), then the rest."""
        offsets, pins = scope if scope is not None else (None, None)
        req = P.PairStep(assume or [], offsets, pins)
        for rng in search_ranges(self.vcpus, self.opts.policy.small_vcpus):
            ans = self.pair(rng).one_step(a, b, req)
            if not isinstance(ans, q.Unsat):
                return ans
        return q.Unsat()

    def search_from_reset(
        self, a: ir.Action, b: ir.Action, scope: Scope | None = None, guides: list[set[str]] | None = None
    ) -> Reached:
        """The shortest lockstep run from reset after which `a` (within `scope`) tells the sides
        apart, depth by depth: at each depth k, the runs guided by the one-step difference
        (`guides`: the state a one-step input needs away from reset) and then one query over
        every access at every step, which decides the depth (within the policy's
        reach_whole_budget_ms from k = 2 on). vCPU ranges are the outer loop, depths the inner
        one, so that a difference at a few vCPUs is found before a deeper search at many. A depth
        the solver did not decide is named in the result: a run found past it is a run, not
        necessarily the shortest. Guided runs first: a difference that needs a few accesses is
        easy along them and out of reach of the whole query (bench/heuristics.md)."""
        prefix = self.prefix_actions(a, b)
        need = self._roots(a, b)
        rw = self._prefix_rw(prefix)
        lo, hi = self.vcpus
        policy = self.opts.policy
        guides = sorted(guides or [], key=len)
        for g in guides:
            log.info("%s: a one-step difference needs %s away from reset", a.name, ", ".join(sorted(g)))
        how = DepthPass(guides=lambda: guides, split=False, whole_budget_ms=policy.reach_whole_budget_ms, whole_first=False)
        undecided: list[str] = []
        for rng in search_ranges(self.vcpus, policy.small_vcpus):
            for k in range(self.opts.depth + 1):
                ans = bmc_depth(
                    Target(self.old, need, self._reach_at(a, b, k, prefix, scope), policy=policy, given_rw=rw), rng, k, how
                )
                if isinstance(ans, q.Sat):
                    return self._reached(a, b, ans, undecided)
                if isinstance(ans, q.Unknown):
                    undecided.append(f"{k} access{'es' if k != 1 else ''} with vCPUs {rng[0]}..{rng[1]} ({ans.reason})")
        note = f"not reached from reset within {self.opts.depth} accesses before it (vCPUs {lo}..{hi}): a bounded search, not a proof that it cannot be"
        if undecided:
            note += "; the solver gave up at " + ", ".join(undecided)
        return Reached(None, note)

    def _reach_at(self, a: ir.Action, b: ir.Action, k: int, prefix: list[str], scope: Scope | None) -> Ask:
        """The lockstep query of k accesses from reset, as the search asks it."""
        offsets, pins = scope if scope is not None else (None, None)

        def ask(rng: tuple[int, int], path: tuple[str, ...] | None, budget_ms: int | None) -> q.Answer:
            return self.pair(rng).reach(a, b, P.PairReach(k, prefix, offsets, pins, path, budget_ms))

        return ask

    def _reached(self, a: ir.Action, b: ir.Action, ans: q.Sat, undecided: list[str]) -> Reached:
        found = self.replay(a, b, P.to_pair_witness(ans.witness, a.name, prefix=True))
        return Reached(
            found, "a shorter run is not ruled out: the solver gave up at " + ", ".join(undecided) if undecided else ""
        )

    def _roots(self, a: ir.Action, b: ir.Action) -> set[str]:
        roots = state_reads((a.body, a.requires), self.old) | state_writes(a.body, self.old)
        return roots | state_reads((b.body, b.requires), self.new) | state_writes(b.body, self.new)

    def _prefix_rw(self, prefix: list[str]) -> RW:
        """What each lockstep access reads and writes, on either side."""
        ro, rn = action_rw(self.old), action_rw(self.new)
        return {n: (ro[n][0] | rn[n][0], ro[n][1] | rn[n][1]) for n in prefix}

    def prefix_actions(self, a: ir.Action, b: ir.Action) -> list[str]:
        """The shared transitions that can affect what `a` reads or writes on either side."""
        roots = self._roots(a, b)
        keep_old = cone(self.old, roots & set(self.old.states))
        keep_new = cone(self.new, roots & set(self.new.states))
        names = set(keep_old.actions) | set(keep_new.actions)
        return [n for n in self.old.actions if n in names and n in self.new.actions]

    def replay(self, a: ir.Action, b: ir.Action, w: P.PairWitness) -> Distinction:
        """Run the input on both sides in the interpreter, its arguments simplified first
        (engines/simplify.py); raise ReplayMismatch unless they differ."""
        return self.sides.replay(a, b, simplest_pair(self.old, self.new, w, lambda x: self.sides.replay(a, b, x)))

    def moved_from_reset(self, a: ir.Action, b: ir.Action, w: P.PairWitness) -> set[str]:
        """The state variables a distinguishing pre-state needs away from their reset values
        (SideBySide.moved_from_reset)."""
        return self.sides.moved_from_reset(a, b, w)

    def guides(self, a: ir.Action, b: ir.Action, w: P.PairWitness, scope: Scope | None = None) -> list[set[str]]:
        """Sets of state variables that distinguishing pre-states need away from reset, one per
        route to the difference (search.more_guides): the solver's input minimized
        (moved_from_reset), then inputs with more and more variables held at their reset values,
        each query within the policy's guide_budget_ms, with at most 8 vCPUs."""
        offsets, pins = scope if scope is not None else (None, None)
        policy = self.opts.policy
        small = search_ranges(self.vcpus, policy.small_vcpus)[0]
        return more_guides(
            self.moved_from_reset(a, b, w),
            lambda avoid: self.pair(small).one_step(
                a, b, P.PairStep([], offsets, pins, avoid=avoid, budget_ms=policy.guide_budget_ms)
            ),
            lambda found: self.moved_from_reset(a, b, P.to_pair_witness(found, a.name, prefix=False)),
            policy.guides,
            policy.guides_deadline(),
        )


__all__ = [
    "ActionDiff",
    "Change",
    "Compared",
    "Covered",
    "Differ",
    "Distinction",
    "ModelDiff",
    "PropertyDiff",
    "PropertyRun",
    "Reached",
    "StateDiff",
    "carried_over",
    "classify",
    "diff_properties",
    "proved_invariants",
]
