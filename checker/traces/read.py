"""An ITF trace file read back: checked against the ITF shape and gicheck's extras
(schemas/), every fault named by the field it is in."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from checker.results import PropertyKind
from checker.traces.itf import schema


class BadTraceFile(Exception):
    """The file is not a trace gicheck can read; the message names the field."""


Inputs = dict[str, int | bool]

# Levels of nesting a trace file may have; gicheck writes about three per dimension of a state
# array. The JSON decoder and the schema's validator recurse, and would overflow the stack.
MAX_NESTING = 64
# Digits of a JSON integer: as many as a #bigint's (2**4096 has 1234); int() refuses over 4300.
_MAX_DIGITS = 1234


@dataclass(frozen=True)
class Recorded:
    """What a trace file says: the property, the configuration, the accesses."""

    path: Path
    model: str
    property: str
    kind: PropertyKind
    verdict: str
    nr_vcpus: int
    params: dict[str, int]  # the spec's parameters (nr_vcpus apart)
    from_reset: bool
    steps: tuple[tuple[str, Inputs], ...]  # action, inputs
    states: tuple[dict[str, int | bool], ...]  # each state, location by location
    alternative: tuple[str, Inputs] | None
    bindings: dict[str, int | bool]
    spec_hash: str
    overlays: tuple[str, ...]
    source: str | None  # the property's location when the trace was written


def field_path(parts: Iterable[str | int]) -> str:
    """`states[1].#meta.access.inputs.val`"""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the document)"


def _validate(doc: Any, name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return
    found = json.dumps(error.instance)
    if len(found) > 60:
        found = found[:57] + "..."
    message = error.message
    if message.startswith(repr(error.instance)):  # jsonschema shows the value as Python writes it
        message = found + message[len(repr(error.instance)) :]
    if len(message) > 160:
        message = f"{found} is not valid here"
    raise BadTraceFile(f"{field_path(error.absolute_path)}: {message}")


def load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BadTraceFile(f"cannot read it: {e.strerror}") from None
    except UnicodeDecodeError as e:  # JSON is UTF-8 (RFC 8259)
        raise BadTraceFile(f"byte {e.start}: not UTF-8 text ({e.reason})") from None
    try:
        doc = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as e:
        raise BadTraceFile(f"line {e.lineno}, column {e.colno}: not JSON: {e.msg}") from None
    except RecursionError:
        raise BadTraceFile(f"nested more than {MAX_NESTING} levels deep") from None
    if _deeper_than(doc, MAX_NESTING):
        raise BadTraceFile(f"nested more than {MAX_NESTING} levels deep")
    return doc


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise BadTraceFile(f"an integer of {len(text.lstrip('-'))} digits: at most {_MAX_DIGITS}")
    return int(text)


def _deeper_than(doc: Any, limit: int) -> bool:
    todo = [(doc, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
    return False


def scalar(v: Any) -> int | bool:
    if isinstance(v, bool):
        return v
    return int(v["#bigint"])


def flatten(name: str, v: Any, out: dict[str, int | bool]) -> None:
    if isinstance(v, dict) and "#map" in v:
        for key, item in v["#map"]:
            k = scalar(key)
            flatten(f"{name}[{str(k).lower() if isinstance(k, bool) else k}]", item, out)
    else:
        out[name] = scalar(v)


def _state(doc: dict[str, Any], i: int, names: list[str]) -> dict[str, int | bool]:
    st = doc["states"][i]
    missing = [n for n in names if n not in st]
    if missing:
        raise BadTraceFile(f"states[{i}]: no value for {', '.join(missing)} (vars names it)")
    out: dict[str, int | bool] = {}
    for n in names:
        flatten(n, st[n], out)
    return out


def _access(a: dict[str, Any]) -> tuple[str, Inputs]:
    return a["action"], {k: scalar(v) for k, v in a["inputs"].items()}


def read(path: Path) -> Recorded:
    doc = load(path)
    _validate(doc, "gicheck-itf")  # the ITF shape, narrowed to what gicheck writes
    g = doc["#meta"]["gicheck"]
    names = list(doc["vars"])
    states = tuple(_state(doc, i, names) for i in range(len(doc["states"])))
    steps = []
    for i, st in enumerate(doc["states"][1:], 1):
        if "access" not in st["#meta"]:
            raise BadTraceFile(f"states[{i}].#meta: no access (every state after the first has the access that led to it)")
        steps.append(_access(st["#meta"]["access"]))
    params = dict(g["params"])
    first = doc["states"][0]
    for p in doc["params"]:
        if p not in first:
            raise BadTraceFile(f"states[0]: no value for the parameter {p} (params names it)")
        if p in params and scalar(first[p]) != params[p]:
            raise BadTraceFile(f"states[0].{p}: {scalar(first[p])}, but #meta.gicheck.params.{p} is {params[p]}")
    nr = params.pop("nr_vcpus")
    alt = _access(g["alternative"]) if g["alternative"] is not None else None
    return Recorded(
        path,
        g["model"],
        g["property"],
        PropertyKind(g["kind"]),
        g["verdict"],
        nr,
        params,
        g["from_reset"],
        tuple(steps),
        states,
        alt,
        {k: v for k, v in g["failure"]["bindings"]},
        g["spec_hash"],
        tuple(g.get("overlays", ())),
        doc["#meta"].get("source"),
    )
