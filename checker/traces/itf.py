"""Traces as ITF JSON, the Informal Trace Format Apalache and Quint write and read
(Apalache ADR-015, revision of 2023-09-14: every integer a `{"#bigint": "..."}`), and back.

gicheck's own facts go under `#meta`: the trace's under `#meta.gicheck`, each step's access
under its state's `#meta.access`. docs/traces.md describes them; schemas/ holds the JSON schemas
of the ITF shape and of gicheck's extras, which `read` checks a file against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from checker import interp, ir
from checker.files import tree_files
from checker.results import Arg, PropertyResult, Step, Trace
from checker.traces.run import Run

FORMAT_VERSION = 1
ITF_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def spec_digest(spec: Path, overlays: Sequence[Path] = ()) -> str:
    """sha256 of the spec's files (path and text, in path order) and the overlays' text."""
    h = hashlib.sha256()
    for f in tree_files(spec, ".gic"):
        h.update(f.relative_to(spec).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    for o in overlays:
        h.update(b"overlay\0" + o.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True)
class Origin:
    """What a trace was found on."""

    spec: Path
    overlays: tuple[Path, ...] = ()
    side: str | None = None  # gicheck diff: "old" or "new"


def bigint(v: int) -> dict[str, str]:
    return {"#bigint": str(v)}


def value(v: interp.Value, t: ir.Type, nr_vcpus: int) -> Any:
    """A state value in ITF: a bool, a `#bigint`, or a `#map` from index to value."""
    if isinstance(v, interp.Array):
        assert isinstance(t, ir.ArrayT)
        return {"#map": [[_key(i), value(v.get(int(i)), t.elem, nr_vcpus)] for i in interp.domain(t.index, nr_vcpus)]}
    if isinstance(v, bool):
        return v
    return bigint(v)


def _key(i: int | bool) -> Any:
    return i if isinstance(i, bool) else bigint(i)


def _raw(a: Arg) -> dict[str, Any]:
    out: dict[str, Any] = {"name": a.name, "type": a.type}
    if isinstance(a.value, bool):
        out["value"] = a.value
    else:
        digits = max(1, ((a.width or a.value.bit_length()) + 3) // 4)
        out["raw"] = f"0x{a.value:0{digits}x}"
    if a.fields:
        out["fields"] = {f.name: f.value for f in a.fields}
    return out


def access(step: Step) -> dict[str, Any]:
    """One step's access: what the interpreter ran (`action`, `inputs`) and the same decoded."""
    return {
        "action": step.action,
        "inputs": {k: (v if isinstance(v, bool) else bigint(v)) for k, v in step.inputs},
        "vcpu": step.vcpu,
        "register": step.register,
        "target": step.target,
        "source": step.source,
        "args": [_raw(a) for a in step.args],
        "result": _raw(step.result) if step.result is not None else None,
        "changes": [[c.location, c.before, c.after] for c in step.changes],
    }


def _failure(trace: Trace) -> dict[str, Any]:
    f = trace.failure
    return {
        "property": f.property,
        "message": f.message,
        "bindings": [[k, v] for k, v in f.bindings],
        "values": [[k, v] for k, v in f.values],
        "differences": [[loc, a, b] for loc, a, b in trace.differences],
    }


def to_itf(run: Run, r: PropertyResult, trace: Trace, origin: Origin) -> dict[str, Any]:
    """The trace as an ITF document; `run` is `trace` run again (every state in full)."""
    system = run.system
    names = list(system.states)
    params = {"nr_vcpus": run.nr_vcpus, **{k: v for k, v in trace.params}}
    states: list[dict[str, Any]] = []
    for i, st in enumerate(run.states):
        state: dict[str, Any] = {"#meta": {"index": i}}
        if i == 0:
            state.update({k: bigint(v) for k, v in params.items()})
        else:
            state["#meta"]["access"] = access(trace.steps[i - 1])
        state.update({n: value(st[n], system.states[n].type, run.nr_vcpus) for n in names})
        states.append(state)
    word = type(r.verdict).__name__.lower()
    meta = {
        "format": "ITF",
        "format-description": ITF_DESCRIPTION,
        "source": r.location,
        "description": f"gicheck: {r.name} ({r.kind}) {word} on model {r.model} with {run.nr_vcpus} vCPUs",
        "gicheck": {
            "version": FORMAT_VERSION,
            "model": r.model,
            "property": r.name,
            "kind": str(r.kind),
            "verdict": word,
            "side": origin.side,
            "spec": str(origin.spec),
            "spec_hash": spec_digest(origin.spec, origin.overlays),
            "overlays": [str(o) for o in origin.overlays],
            "params": dict(params),
            "from_reset": trace.from_reset,
            "failure": _failure(trace),
            "alternative": access(trace.alternative) if trace.alternative is not None else None,
            "types": {n: str(system.states[n].type) for n in names},
        },
    }
    return {"#meta": meta, "params": list(params), "vars": names, "states": states}


def dumps(doc: dict[str, Any]) -> str:
    """The document as JSON: `#meta` indented for a reader, then one state per line."""
    meta = json.dumps(doc["#meta"], indent=1).replace("\n", "\n ")
    states = ",\n  ".join(json.dumps(s, separators=(",", ":")) for s in doc["states"])
    return (
        f'{{\n "#meta": {meta},\n "params": {json.dumps(doc["params"])},\n "vars": {json.dumps(doc["vars"])},\n'
        f' "states": [\n  {states}\n ]\n}}\n'
    )


def schema(name: str) -> dict[str, Any]:
    """One of the JSON schemas shipped with the package (schemas/NAME.schema.json)."""
    text = resources.files("checker.traces").joinpath("schemas", f"{name}.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]
