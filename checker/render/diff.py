"""gicheck diff results -> text (for a reviewer) and JSON (for CI)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from typing import Any

from checker.render import json as render_json
from checker.render import text as T
from checker.results import ActionDiff, ActionStatus, Distinction, ModelDiff, PropertyDiff, PropertyStatus, Violated

ACTION_WORDS = {
    ActionStatus.SAME: "SAME",
    ActionStatus.SAME_REACHABLE: "SAME*",
    ActionStatus.DIFFERENT: "DIFFERENT",
    ActionStatus.THROUGH: "THROUGH",
    ActionStatus.UNKNOWN: "UNKNOWN",
    ActionStatus.OLD_ONLY: "REMOVED",
    ActionStatus.NEW_ONLY: "ADDED",
    ActionStatus.SIGNATURE: "SIGNATURE",
}
PROP_WORDS = {
    PropertyStatus.STILL_HOLDING: "HOLDS",
    PropertyStatus.BROKEN: "BROKEN",
    PropertyStatus.FIXED: "FIXED",
    PropertyStatus.STILL_FAILING: "FAILS",
    PropertyStatus.ADDED: "ADDED",
    PropertyStatus.REMOVED: "REMOVED",
    PropertyStatus.INCONCLUSIVE: "OPEN",
}


def _val(v: int | bool | None) -> str:
    if v is None:
        return "-"
    return T.value_text(v)


def distinction_lines(d: Distinction, indent: str = "    ") -> list[str]:
    vc = f"with {d.nr_vcpus} vCPU{'s' if d.nr_vcpus != 1 else ''}" + "".join(f", {k} = {T.value_text(v)}" for k, v in d.params)
    if d.from_reset:
        out = [f"{indent[:-2]}{vc}, from reset (replayed on both sides):"]
    else:
        out = [f"{indent[:-2]}{vc}, from a state both sides share (one-step check; maybe unreachable; replayed on both sides):"]
    for i, s in enumerate(d.prefix, 1):
        out += T.step_lines(i, s, indent)
    if d.prefix and not d.prefix_same:
        out.append(f"{indent}(the new side's state after these accesses differs from the old side's)")
    n = len(d.prefix) + 1
    shown = d.old or d.new
    assert shown is not None
    out += T.step_lines(n, replace(shown, changes=()), indent)[:-1]  # the access and its fields, not "(no state changed)"
    for label, side in (("old", d.old), ("new", d.new)):
        if side is None:
            out.append(f"{indent}  {label}: not enabled")
            continue
        res = f" -> {T.hex_text(side.result)}" if side.result is not None else ""
        if side.changes:
            out.append(
                f"{indent}  {label}{res}: "
                + ", ".join(f"{c.location}: {T.value_text(c.before)} -> {T.value_text(c.after)}" for c in side.changes[:8])
                + (" ..." if len(side.changes) > 8 else "")
            )
        else:
            out.append(f"{indent}  {label}{res}: (no state changed)")
    if d.rows:
        w = max(len("location"), *(len(r[0]) for r in d.rows))
        out.append(f"{indent}  {'location':<{w}}  {'before':>8}  {'old after':>10}  {'new after':>10}")
        for loc, b, o, nw in d.rows:
            out.append(f"{indent}  {loc:<{w}}  {_val(b):>8}  {_val(o):>10}  {_val(nw):>10}")
    elif d.results[0] != d.results[1]:
        out.append(f"{indent}  the read returns {_val(d.results[0])} (old) and {_val(d.results[1])} (new); no state differs")
    return out


def _action_line(a: ActionDiff, width: int) -> str:
    word = ACTION_WORDS[a.status]
    note = a.detail
    if a.status == ActionStatus.DIFFERENT:
        if a.reached is not None:
            k = len(a.reached.prefix)
            note = (
                "reachable: the first access from reset tells the sides apart"
                if k == 0
                else f"reachable: after {k} access{'es' if k != 1 else ''} from reset"
            )
            if a.reach_note:
                note += " (a shorter run not ruled out)"
        else:
            note = f"on some state; {a.reach_note}" if a.reach_note else "on some state"
        if a.parts:
            note += "; at " + ", ".join(p.name.split(" at ", 1)[1] for p in a.parts)
    exp = "  (expected)" if a.expected and not a.status.agrees else ""
    return f"  {word:<10} {a.name:<{width}}  {note}{exp}  [{a.seconds:.2f}s]"


def _prop_line(p: PropertyDiff, width: int) -> str:
    def v(r: Any) -> str:
        return "-" if r is None else T.verdict_word(r).lower()

    notes = []
    if p.changed:
        notes.append("the property itself is changed by the patch")
    if p.carried:
        notes.append("carried over: its cone is proved the same")
    if p.expected:
        notes.append("expected: the patch declares it broken")
    extra = f"  ({'; '.join(notes)})" if notes else ""
    return f"  {PROP_WORDS[p.status]:<8} {p.name:<{width}}  old {v(p.old)}, new {v(p.new)}{extra}"


_ACTION_ORDER = {
    ActionStatus.DIFFERENT: 0,
    ActionStatus.THROUGH: 1,
    ActionStatus.SIGNATURE: 2,
    ActionStatus.OLD_ONLY: 3,
    ActionStatus.NEW_ONLY: 4,
    ActionStatus.UNKNOWN: 5,
    ActionStatus.SAME_REACHABLE: 6,
    ActionStatus.SAME: 7,
}
_PROP_ORDER = {
    PropertyStatus.BROKEN: 0,
    PropertyStatus.FIXED: 1,
    PropertyStatus.STILL_FAILING: 2,
    PropertyStatus.INCONCLUSIVE: 3,
    PropertyStatus.ADDED: 4,
    PropertyStatus.REMOVED: 5,
    PropertyStatus.STILL_HOLDING: 6,
}


def _head_lines(md: ModelDiff) -> list[str]:
    """The model's sides, the patch applied, and the state that differs."""
    lines = [
        "",
        f"model {md.model}: old {md.old_label} (vCPUs {md.old_vcpus[0]}..{md.old_vcpus[1]}), new {md.new_label} (vCPUs {md.new_vcpus[0]}..{md.new_vcpus[1]})",
    ]
    for what in md.applied:
        lines.append(f"  patch: {what}")
    if md.old_vcpus != md.new_vcpus:
        lines.append(
            f"  the vCPU range changed: {md.old_vcpus[0]}..{md.old_vcpus[1]} -> {md.new_vcpus[0]}..{md.new_vcpus[1]}; actions are compared at {md.vcpus[0]}..{md.vcpus[1]}, properties on each side over its own range"
        )
    lines += ["", "state:"]
    if not md.states:
        lines.append("  the same variables, types and reset values on both sides")
    for s in md.states:
        lines.append(f"  {s.status.upper():<10} {s.detail}")
    return lines


def _action_table(md: ModelDiff) -> list[str]:
    counts: dict[ActionStatus, int] = {}
    for a in md.actions:
        counts[a.status] = counts.get(a.status, 0) + 1
    summary = ", ".join(f"{n} {ACTION_WORDS[k].lower()}" for k, n in counts.items())
    lines = ["", f"actions (compared at vCPUs {md.vcpus[0]}..{md.vcpus[1]}): {summary}"]
    width = max((len(a.name) for a in md.actions), default=10)
    identical = [a.name for a in md.actions if a.identical]
    for a in sorted(md.actions, key=lambda a: _ACTION_ORDER[a.status]):
        if a.name not in identical:
            lines.append(_action_line(a, width))
    if identical:
        lines.append(f"  SAME       {len(identical)} more with the same code over the same state and functions on both sides:")
        lines += textwrap.wrap(", ".join(identical), width=100, initial_indent="             ", subsequent_indent="             ")
    return lines


def _property_table(md: ModelDiff) -> list[str]:
    if not md.properties:
        return []
    pc: dict[PropertyStatus, int] = {}
    for p in md.properties:
        pc[p.status] = pc.get(p.status, 0) + 1
    carried = sum(p.carried for p in md.properties)
    lines = [
        "",
        "properties: " + ", ".join(f"{n} {k}" for k, n in pc.items()) + (f" ({carried} carried over)" if carried else ""),
    ]
    pw = max(len(p.name) for p in md.properties)
    for p in sorted(md.properties, key=lambda p: _PROP_ORDER[p.status]):
        lines.append(_prop_line(p, pw))
    return lines


def action_details(a: ActionDiff) -> list[str]:
    """The replayed input that tells the sides apart, for an action that differs."""
    if a.status not in (ActionStatus.DIFFERENT, ActionStatus.UNKNOWN) or (a.one_step is None and a.reached is None):
        return []
    lines = [
        "",
        f"{a.name}: {a.status}{' (expected)' if a.expected else ''}",
    ]
    if a.reached is not None:
        if a.reach_note:
            lines.append(f"  {a.reach_note}")
        lines += distinction_lines(a.reached)
    else:
        if a.reach_note:
            lines.append(f"  {a.reach_note}")
        if a.one_step is not None and not a.parts:
            lines += distinction_lines(a.one_step)
    for part in a.parts:
        if part.one_step is not None:
            lines += [f"  at {part.name.split(' at ', 1)[1]}:"] + distinction_lines(part.one_step, "      ")
    return lines


def property_details(p: PropertyDiff) -> list[str]:
    """The new side's counterexample, for a property broken or still failing."""
    if p.status not in (PropertyStatus.BROKEN, PropertyStatus.STILL_FAILING) or p.new is None:
        return []
    if not isinstance(p.new.verdict, Violated):
        return []
    lines = ["", f"{p.new.location}: {p.name}: {p.status.upper()} on the new side{' (expected)' if p.expected else ''}"]
    if p.new.doc:
        lines += [f"  /// {d}" for d in p.new.doc.splitlines()]
    if p.new.verdict.note:
        lines.append(f"  {p.new.verdict.note}")
    lines += T.trace_lines(p.new.verdict.trace)
    return lines


def render(diffs: list[ModelDiff], header: str) -> str:
    lines = [header]
    for md in diffs:
        lines += _head_lines(md) + _action_table(md) + _property_table(md)
        for a in md.actions:
            lines += action_details(a)
        for p in md.properties:
            lines += property_details(p)
    return "\n".join(lines) + "\n"


def to_json(diffs: list[ModelDiff], meta: dict[str, Any]) -> str:
    out = []
    for md in diffs:
        d = render_json.plain(md)
        d["properties"] = [
            {
                "name": p.name,
                "status": p.status,
                "carried": p.carried,
                "changed": p.changed,
                "expected": p.expected,
                "old": render_json.to_dict(p.old) if p.old else None,
                "new": render_json.to_dict(p.new) if p.new else None,
            }
            for p in md.properties
        ]
        out.append(d)
    head = {"format": render_json.DIFF_FORMAT, "format_version": render_json.FORMAT_VERSION}
    return json.dumps({**head, **meta, "models": out}, indent=2) + "\n"
