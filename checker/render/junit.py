"""Results as JUnit XML, the test report CI systems read (`--format junit`).

One <testsuite> per model, one <testcase> per property (and, for gicheck diff, per compared
action). A violated property is a <failure> whose text is the trace as the text output shows
it; an internal error is an <error>; a verdict that is neither proved nor refuted (bounded,
unknown, unreached) is <skipped> with the reason, so no dashboard counts it as passed.
docs/reports.md describes the mapping; tests/schemas/junit.xsd is the schema it is checked with.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from checker.render import diff as render_diff
from checker.render import text as T
from checker.results import (
    ActionDiff,
    ActionStatus,
    Bounded,
    Covered,
    InternalError,
    ModelDiff,
    PropertyDiff,
    PropertyResult,
    PropertyStatus,
    Proved,
    Unknown,
    Unreached,
    Violated,
)


@dataclass
class _Case:
    name: str
    classname: str
    seconds: float
    outcome: str  # "", "failure", "error", "skipped"
    message: str = ""
    kind: str = ""
    text: str = ""
    location: str | None = None
    out: list[str] = field(default_factory=list)


def _location(case: ET.Element, location: str | None) -> None:
    if location is None:
        return
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit():
        case.set("file", parts[0])
        case.set("line", parts[1])


def _suite(name: str, cases: list[_Case]) -> ET.Element:
    s = ET.Element("testsuite", name=name)
    counts = {k: sum(c.outcome == k for c in cases) for k in ("failure", "error", "skipped")}
    s.set("tests", str(len(cases)))
    s.set("failures", str(counts["failure"]))
    s.set("errors", str(counts["error"]))
    s.set("skipped", str(counts["skipped"]))
    s.set("time", f"{sum(c.seconds for c in cases):.3f}")
    for c in cases:
        e = ET.SubElement(s, "testcase", name=c.name, classname=c.classname, time=f"{c.seconds:.3f}")
        _location(e, c.location)
        if c.outcome:
            sub = ET.SubElement(e, c.outcome, message=c.message)
            if c.outcome != "skipped":
                sub.set("type", c.kind)
                sub.text = c.text
        if c.out:
            ET.SubElement(e, "system-out").text = "\n".join(c.out) + "\n"
    return s


def _document(name: str, suites: list[ET.Element]) -> str:
    root = ET.Element("testsuites", name=name)
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(sum(int(s.get(k, "0")) for s in suites)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _trace_text(r: PropertyResult) -> str:
    return "\n".join(T.trace_block(r))


def property_case(r: PropertyResult, classname: str) -> _Case:
    word, how = T.verdict_word(r), T.how(r)
    case = _Case(r.name, classname, r.seconds, "", location=r.location, out=[f"{word}: {how}"])
    match r.verdict:
        case Proved() | Covered():
            pass
        case Violated():
            case.outcome, case.kind, case.message, case.text = "failure", "violated", f"{word}: {how}", _trace_text(r)
        case InternalError():
            case.outcome, case.kind, case.message, case.text = "error", "internal-error", f"{word}: {how}", how
        case Bounded() | Unknown() | Unreached():
            case.outcome, case.message = "skipped", f"{word}: {how}"
        case _:
            raise AssertionError(r.verdict)
    if isinstance(r.verdict, Covered):
        case.out.append(_trace_text(r))
    if r.vacuity is not None:
        case.out.append(T.vacuity_line(r))
    return case


def prove(results: list[PropertyResult], models: list[str]) -> str:
    """gicheck prove's results: a suite per model."""
    suites = [
        _suite(f"gicheck prove: model {m}", [property_case(r, f"gicheck.{m}") for r in results if r.model == m]) for m in models
    ]
    return _document("gicheck prove", suites)


def _diff_property(md: ModelDiff, p: PropertyDiff) -> _Case:
    classname = f"gicheck.diff.{md.model}.properties"
    new = p.new.seconds if p.new is not None else 0.0
    either = p.new or p.old
    case = _Case(p.name, classname, new, "", location=either.location if either is not None else None)
    word = render_diff.PROP_WORDS[p.status]
    case.out.append(f"{word}: old {_v(p.old)}, new {_v(p.new)}")
    if p.status == PropertyStatus.BROKEN and not p.expected:
        case.outcome, case.kind, case.message = "failure", "broken", f"BROKEN: old {_v(p.old)}, new {_v(p.new)}"
        case.text = "\n".join(render_diff.property_details(p)).strip("\n")
    elif any(r is not None and isinstance(r.verdict, InternalError) for r in (p.old, p.new)):
        case.outcome, case.kind, case.message = "error", "internal-error", f"{word}: internal error"
    elif p.status in (PropertyStatus.INCONCLUSIVE, PropertyStatus.STILL_FAILING):
        case.outcome, case.message = "skipped", f"{word}: old {_v(p.old)}, new {_v(p.new)}"
    return case


def _v(r: PropertyResult | None) -> str:
    return "-" if r is None else T.verdict_word(r).lower()


def _diff_action(md: ModelDiff, a: ActionDiff) -> _Case:
    case = _Case(a.name, f"gicheck.diff.{md.model}.actions", a.seconds, "")
    word = render_diff.ACTION_WORDS[a.status]
    case.out.append(f"{word}: {a.kind}" + (f"; {a.detail}" if a.detail else ""))
    if a.name in md.unexpected():
        case.outcome, case.kind, case.message = (
            "failure",
            "different",
            f"{word}: the sides differ and the patch does not expect it",
        )
        case.text = "\n".join(render_diff.action_details(a)).strip("\n") or word
    elif a.status == ActionStatus.UNKNOWN:
        case.outcome, case.message = "skipped", f"UNKNOWN: {a.detail or a.reach_note}"
    return case


def diff(diffs: list[ModelDiff], only_one_side: list[str]) -> str:
    """gicheck diff's results: a suite per model, properties then actions."""
    suites = []
    for md in diffs:
        cases = [_diff_property(md, p) for p in md.properties] + [_diff_action(md, a) for a in md.actions]
        for s in md.states:
            if s.name in md.unexpected():
                cases.append(
                    _Case(s.name, f"gicheck.diff.{md.model}.state", 0.0, "failure", "reset value changed", "state", s.detail)
                )
        suites.append(_suite(f"gicheck diff: model {md.model}", cases))
    if only_one_side:
        cases = [_Case(line, "gicheck.diff.models", 0.0, "failure", line, "model") for line in only_one_side]
        suites.append(_suite("gicheck diff: models", cases))
    return _document("gicheck diff", suites)
