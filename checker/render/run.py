"""gicheck run's report -> text or JSON: every access with its values decoded and the state it
changed, the values the spec allows where it leaves the answer open, and the first line it
does not allow."""

from __future__ import annotations

import json

from checker.render.json import plain
from checker.render.text import step_lines, value_text
from checker.results import Choice, RunFailure, RunLine, RunReport


def _choices(allowed: tuple[Choice, ...]) -> str:
    return ", ".join(f"{value_text(c.value)} [{c.step}]" for c in allowed)


def _line(r: RunLine, label: str) -> list[str]:
    o = r.outcome
    out = step_lines(r.line, o.step, "  ", label)
    cont = "  " + " " * (len(label) + 4)
    if len(o.allowed) == 1:
        out.append(f"{cont}the spec allows only {_choices(o.allowed)}")
    elif o.allowed:
        out.append(f"{cont}the spec allows {_choices(o.allowed)}")
    if r.expected is not None:
        verdict = "as read"
        if o.own is not None:
            verdict = f"allowed (the register's own answer is {value_text(o.own)})"
        elif o.allowed:
            verdict = "allowed"
        out.append(f"{cont}expected {value_text(r.expected)}: {verdict}")
    out += [f"{cont}note: {n}" for n in o.notes]
    return out


def _failure(f: RunFailure) -> list[str]:
    line = f.location.rsplit(":", 2)[-2]
    pad = " " * len(line)
    out = [f"{f.location}: FAILED: {f.message}", f" {line} | {f.source}", f" {pad} | {' ' * (f.col - 1)}^{'~' * (f.length - 1)}"]
    if f.allowed:
        out.append(f"  the values allowed, as steps: {_choices(f.allowed)}")
    return out


def _config(r: RunReport) -> str:
    vcpus = f"{r.nr_vcpus} vCPU{'s' if r.nr_vcpus != 1 else ''}"
    return ", ".join([f"model {r.model}", vcpus, *(f"{k} = {value_text(v)}" for k, v in r.params)])


def text(r: RunReport) -> str:
    out = [f"{r.script}: {_config(r)}", ""]
    width = max((len(str(x.line)) for x in r.lines), default=1)
    for x in r.lines:
        out += _line(x, f"line {x.line:<{width}}")
    reads = sum(1 for x in r.lines if x.outcome.value is not None)
    expects = sum(1 for x in r.lines if x.expected is not None)
    done = f"{len(r.lines)} line{'s' if len(r.lines) != 1 else ''} run, {reads} read{'s' if reads != 1 else ''}"
    if r.failure is not None:
        out += ["", *_failure(r.failure), "", f"{done}, then stopped: the spec does not allow the next line"]
    else:
        tail = f"; the spec allows every value expected ({expects})" if expects else ""
        out += ["", f"{done}{tail}"]
    return "\n".join(out) + "\n"


def to_json(r: RunReport) -> str:
    d = plain(r)
    d["params"] = dict(r.params)
    d["passed"] = r.passed
    return json.dumps(d, indent=2) + "\n"
