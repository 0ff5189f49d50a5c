"""gicheck mutate's report: per model, the kill rate, per spec file, and each mutant not killed
with its place and change; as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from checker.render.json import FORMAT_VERSION, plain
from checker.results import MutantResult, MutantStatus, MutationReport

MUTATE_FORMAT = "gicheck-mutate"

_ORDER = (MutantStatus.KILLED, MutantStatus.SURVIVED, MutantStatus.EQUIVALENT, MutantStatus.UNKNOWN)


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.1f}%"


def _counts(r: MutationReport, file: str | None = None) -> str:
    return ", ".join(f"{s} {r.count(s, file)}" for s in _ORDER)


def _line(m: MutantResult) -> str:
    by = f" (by {len(m.checked)} propert{'y' if len(m.checked) == 1 else 'ies'})" if m.checked else ""
    out = f"    {m.location}: {m.handler}: {m.change} [{m.kind}, mutant {m.index}]{by}"
    return out + (f"\n      {m.note}" if m.note else "")


def text(reports: list[MutationReport], seconds: float, verbose: bool = False) -> str:
    out: list[str] = []
    for r in reports:
        k, s = r.count(MutantStatus.KILLED), r.count(MutantStatus.SURVIVED)
        out.append(
            f"gicheck mutate: model {r.model}, vCPUs {r.vcpus[0]}..{r.vcpus[1]}, depth {r.depth}: "
            f"{len(r.mutants)} of {r.enumerated} mutants run"
        )
        out.append(f"  {_counts(r)}")
        out.append(f"  kill rate {_rate(r.kill_rate())} ({k} of {k + s} non-equivalent mutants with an answer)")
        if r.baseline_failed:
            out.append(f"  not proved or covered on the original, so killing nothing: {', '.join(r.baseline_failed)}")
        out.append("  per file:")
        width = max((len(f) for f in r.files), default=0)
        for f in r.files:
            out.append(f"    {f:<{width}}  {_rate(r.kill_rate(f)):>6}  {_counts(r, f)}")
        shown = _ORDER[1:] if not verbose else _ORDER
        for status in shown:
            these = [m for m in r.mutants if m.status == status]
            if these:
                out.append(f"  {status} ({len(these)}):")
                out.extend(_line(m) for m in these)
        out.append(f"  {r.seconds:.1f}s")
    out.append(f"gicheck mutate: {len(reports)} model{'s' if len(reports) != 1 else ''} in {seconds:.1f}s")
    return "\n".join(out) + "\n"


def to_json(reports: list[MutationReport], seconds: float) -> str:
    models: list[dict[str, Any]] = []
    for r in reports:
        d = plain(r)
        d["counts"] = {s.value: r.count(s) for s in _ORDER}
        d["kill_rate"] = r.kill_rate()
        d["files"] = {f: {"kill_rate": r.kill_rate(f), **{s.value: r.count(s, f) for s in _ORDER}} for f in r.files}
        models.append(d)
    doc = {"format": MUTATE_FORMAT, "format_version": FORMAT_VERSION, "seconds": seconds, "models": models}
    return json.dumps(doc, indent=2) + "\n"
