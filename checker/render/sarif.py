"""Results as SARIF 2.1.0 (`--format sarif`), for code scanning to annotate the source lines.

A rule per property. A counterexample gives two results under the property's rule: one at the
property (the .prop line) and one at the handler its last access ran (the .gic or .overlay
line, where a fix goes), each pointing at the other, with the trace as a code flow through the
handlers of its steps. A verdict neither proved nor refuted is a warning at the property; an
internal error an error. For gicheck diff: broken properties as above, and each unexpected
difference at the handler of the action that differs. docs/reports.md has the details.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from checker.render import diff as render_diff
from checker.render import text as T
from checker.results import (
    Bounded,
    Covered,
    InternalError,
    ModelDiff,
    PropertyResult,
    Proved,
    Trace,
    Unknown,
    Unreached,
    Violated,
)


def _version() -> str:
    try:
        return metadata.version("gicheck")
    except metadata.PackageNotFoundError:
        return "unknown"


SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def physical(location: str, cwd: Path) -> dict[str, Any] | None:
    """`path:line:col` as a SARIF physicalLocation, the path relative to the working directory
    (uriBaseId SRCROOT) when it is inside it."""
    parts = location.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or int(parts[1]) < 1:
        return None
    path = Path(parts[0])
    artifact: dict[str, Any]
    try:
        rel = (path if not path.is_absolute() else path.relative_to(cwd)).as_posix()
        artifact = {"uri": rel, "uriBaseId": "SRCROOT"}
    except ValueError:
        artifact = {"uri": path.as_uri()}
    return {"artifactLocation": artifact, "region": {"startLine": int(parts[1]), "startColumn": max(1, int(parts[2]))}}


def _loc(location: str | None, text: str, cwd: Path, ident: int | None = None) -> dict[str, Any] | None:
    p = physical(location, cwd) if location else None
    if p is None:
        return None
    out: dict[str, Any] = {"physicalLocation": p, "message": {"text": text}}
    if ident is not None:
        out["id"] = ident
    return out


def _flow(trace: Trace, cwd: Path) -> list[dict[str, Any]]:
    steps = []
    for i, s in enumerate(trace.steps, 1):
        loc = _loc(s.source, T.step_lines(i, s, "")[0], cwd)
        if loc is not None:
            steps.append({"location": loc})
    return [{"threadFlows": [{"locations": steps}]}] if steps else []


class _Log:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.rules: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []

    def rule(self, rule_id: str, name: str, doc: str, kind: str) -> int:
        if rule_id not in self.rules:
            text = doc.replace("\n", " ") or f"the {kind} {name} holds"
            self.rules[rule_id] = {
                "id": rule_id,
                "name": name,
                "shortDescription": {"text": text},
                "properties": {"kind": kind},
            }
        return list(self.rules).index(rule_id)

    def add(self, rule_id: str, level: str, text: str, locations: list[dict[str, Any] | None], **extra: Any) -> None:
        found = [x for x in locations if x is not None]
        if not found:
            return
        primary, *related = found
        result = {"ruleId": rule_id, "ruleIndex": list(self.rules).index(rule_id), "level": level}
        result["message"] = {"text": text}
        result["locations"] = [primary]
        if related:
            result["relatedLocations"] = related
        self.results.append({**result, **extra})

    def document(self) -> str:
        run = {
            "tool": {"driver": {"name": "gicheck", "version": _version(), "rules": list(self.rules.values())}},
            "originalUriBaseIds": {"SRCROOT": {"uri": self.cwd.as_uri() + "/"}},
            "results": self.results,
        }
        return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _property(log: _Log, r: PropertyResult, side: str = "") -> None:
    """The results of one property's verdict (none when it passed)."""
    rule_id = f"{r.model}/{r.name}"
    log.rule(rule_id, r.name, r.doc, str(r.kind))
    word, how = T.verdict_word(r), T.how(r)
    head = f"{r.name}: {word}{side}: {how}"
    match r.verdict:
        case Proved() | Covered():
            if r.vacuity is not None:
                log.add(rule_id, "warning", f"{head}; {r.vacuity.message}", [_loc(r.location, "the property", log.cwd)])
            return
        case Violated(trace=t):
            _violated(log, r, t, head)
        case InternalError():
            log.add(rule_id, "error", head, [_loc(r.location, "the property", log.cwd)])
        case Bounded() | Unknown() | Unreached():
            log.add(rule_id, "warning", head, [_loc(r.location, "the property", log.cwd)])
        case _:
            raise AssertionError(r.verdict)


def _violated(log: _Log, r: PropertyResult, t: Trace, head: str) -> None:
    rule_id = f"{r.model}/{r.name}"
    last = t.steps[-1].source if t.steps else None
    body = "\n".join(T.trace_lines(t, "  "))
    flow = {"codeFlows": _flow(t, log.cwd)} if t.steps else {}
    at_prop = _loc(r.location, "the property", log.cwd)
    at_handler = _loc(last, "the handler its last access runs", log.cwd, 1)
    link = "; the last access runs this [handler](1)" if at_handler is not None else ""
    log.add(rule_id, "error", f"{head}{link}\n{body}", [at_prop, at_handler], **flow)
    if at_handler is not None and at_prop is not None:
        back = {**at_prop, "id": 1}
        handler = {k: v for k, v in at_handler.items() if k != "id"}
        text = f"this handler, run by the last access, breaks [{r.name}](1): {T.how(r)}\n{body}"
        log.add(rule_id, "error", text, [handler, back], **flow)


def prove(results: list[PropertyResult], cwd: Path) -> str:
    log = _Log(cwd)
    for r in results:
        _property(log, r)
    return log.document()


def diff(diffs: list[ModelDiff], locations: Mapping[str, str], cwd: Path) -> str:
    """Broken properties (the new side's counterexample) and unexpected differences, at the
    handlers `locations` names (action -> path:line:col)."""
    log = _Log(cwd)
    for md in diffs:
        for p in md.properties:
            if p.new is not None and (
                p.name in {b.name for b in md.unexpected_broken} or isinstance(p.new.verdict, InternalError)
            ):
                _property(log, p.new, " on the new side")
        unexpected = set(md.unexpected())
        for a in md.actions:
            if a.name not in unexpected:
                continue
            rule_id = f"{md.model}/difference"
            log.rule(rule_id, "difference", "The patch changes only what it declares it changes.", "diff")
            text = f"{a.name}: {render_diff.ACTION_WORDS[a.status]}: the sides differ and the patch does not declare it"
            details = "\n".join(render_diff.action_details(a)).strip("\n")
            log.add(rule_id, "error", text + ("\n" + details if details else ""), [_loc(locations.get(a.name), a.name, cwd)])
    return log.document()
