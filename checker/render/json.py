"""Results -> JSON: the same facts as the text output, for CI and other tools."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from checker.results import PropertyResult


def plain(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        out = {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x) if f.metadata.get("json", True)}
        return out
    if isinstance(x, (list, tuple)):
        return [plain(y) for y in x]
    if isinstance(x, (set, frozenset)):
        return sorted(plain(y) for y in x)
    return x


def to_dict(r: PropertyResult) -> dict[str, Any]:
    d = plain(r)
    d["verdict"] = {"kind": type(r.verdict).__name__.lower(), **plain(r.verdict)}
    d["passed"] = r.passed
    return d  # type: ignore[no-any-return]


# The JSON documents' format and its version (docs/reports.md; docs/schemas/ has their JSON
# schemas): a version changes when a field is removed or changes meaning, not when one is added.
PROVE_FORMAT = "gicheck-prove"
DIFF_FORMAT = "gicheck-diff"
FORMAT_VERSION = 1


def render(results: list[PropertyResult], meta: dict[str, Any]) -> str:
    head = {"format": PROVE_FORMAT, "format_version": FORMAT_VERSION}
    return json.dumps({**head, **meta, "results": [to_dict(r) for r in results]}, indent=2) + "\n"
