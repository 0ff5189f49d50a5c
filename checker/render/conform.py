"""gicheck conform's report -> text or JSON: the counts, the agreement rate, the branch
coverage of the spec (the arms not taken: in JSON always, in text with --verbose), and each class of
disagreement (declared with its reason and source, or not, with the `gicheck run` script that
shows it)."""

from __future__ import annotations

import json

from checker.render.json import plain
from checker.render.text import value_text
from checker.results import Arm, BranchCoverage, ConformReport, DisagreementClass


def _value(v: int | None) -> str:
    return "a data abort" if v is None else value_text(v)


def _class(c: DisagreementClass) -> list[str]:
    d = c.example
    word = "DECLARED" if c.declared else "DIFFERS"
    reads = f"{c.count} read{'s' if c.count != 1 else ''}"
    out = [f"  {word:<9} {c.key}  ({reads}{f'; {c.declared}' if c.declared else ''})"]
    allowed = ", ".join(value_text(v) for v in d.allowed)
    out.append(f"            target {_value(d.target)}; spec {value_text(d.spec)} (allows {allowed}), {d.nr_vcpus} vCPUs")
    if c.declared:
        out.append(f"            {c.reason}")
        return out
    out.append(f"            as a gicheck run script ({'shrunk' if d.shrunk else 'not shrunk'}):")
    out += [f"              {line}" for line in d.script.splitlines()]
    return out


# How an arm reads in the list of those not taken.
_ARM_WORDS = {
    Arm.THEN: "then",
    Arm.ELSE: "else",
    Arm.EXIT: "loop left early (break or return)",
    Arm.END: "loop ran to its end",
}


def _branches(b: BranchCoverage, verbose: bool) -> list[str]:
    rate = f"{100 * b.hit / b.total:.1f}%" if b.total else "-"
    out = [f"  branches: {b.hit} of {b.total} arms taken ({rate})"]
    if verbose and b.missed:
        out.append(f"  arms not taken ({len(b.missed)}):")
        out += [f"    {a.file}:{a.line}:{a.col}: {_ARM_WORDS[a.arm]}  ({a.owner})" for a in b.missed]
    return out


def text(r: ConformReport, verbose: bool = False) -> str:
    """The report; `verbose` lists the arms of the spec's branches no replay took."""
    params = "".join(f", {k} = {value_text(v)}" for k, v in r.params)
    lo, hi = r.vcpus
    out = [f"gicheck conform: {r.target} against model {r.model}, seed {r.seed}, vCPUs {lo}..{hi}{params}", ""]
    rate = f"{100 * r.agreed / r.reads:.1f}%" if r.reads else "-"
    out.append(f"  {r.sequences} sequences, {r.accesses} accesses, {r.reads} reads compared, {r.agreed} agreed ({rate})")
    out.append(f"  access kinds reached (register, width, read or write): {r.kinds_hit} of {r.kinds}")
    out += _branches(r.branches, verbose)
    declared = [c for c in r.classes if c.declared]
    out.append(
        f"  disagreement classes: {len(r.undeclared)} not declared ({sum(c.count for c in r.undeclared)} reads), "
        f"{len(declared)} declared ({sum(c.count for c in declared)} reads)  [{r.seconds:.1f}s]"
    )
    for c in r.classes:
        out += ["", *_class(c)]
    if r.errors:
        out += ["", f"  the target did not finish {len(r.errors)} sequence{'s' if len(r.errors) != 1 else ''}:"]
        out += [f"    {e}" for e in r.errors[:10]]
    return "\n".join(out) + "\n"


def to_json(reports: list[ConformReport]) -> str:
    return json.dumps({"reports": [{**plain(r), "passed": r.passed} for r in reports]}, indent=2) + "\n"
