"""Traces as C: a guest regression test per trace (`--format c`).

Each trace becomes `int gicheck_test_<property>(void)`: its accesses in order, each run on its
vCPU through `gicheck_on_cpu`, MMIO by frame and offset, system registers by name, and every
read checked against the value the model returned. The guest supplies the few hooks that
contrib/gicheck-guest.h declares (frame bases, running on a CPU, reporting); the style follows
the helpers of kvm-unit-tests' arm/gic.c (an access per line, `report`-like checks), written
here. A trace from an arbitrary state, which a guest cannot set up, becomes a comment only.
"""

from __future__ import annotations

import re

from checker.render.text import failure_lines, step_lines, value_text, verdict_word
from checker.results import Covered, PropertyResult, Step, Trace, Violated

HEADER = "gicheck-guest.h"


def ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _u64(v: int | bool, width: int | None = None) -> str:
    digits = (width + 3) // 4 if width else 1
    return f"UINT64_C(0x{int(v):0{digits}x})"


def _written(s: Step) -> str:
    val = next(a for a in s.args if a.name == "val")
    return _u64(val.value, val.width)


def _cstr(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(lines: list[str], indent: str = "") -> list[str]:
    body = [line.replace("*/", "* /").rstrip() for line in lines]
    return [f"{indent}/*", *(f"{indent} * {line}".rstrip() for line in body), f"{indent} */"]


def _access(i: int, s: Step) -> list[str]:
    """The C statements of one register access (inside its step function)."""
    inputs = dict(s.inputs)
    what = _cstr(s.target or s.register or s.action)
    if s.target is not None and "offset" in inputs and s.register is not None:
        frame, offset, bits = _cstr(s.register), f"0x{int(inputs['offset']):x}", int(inputs["width"])
        if "val" in inputs:
            return [f"gicheck_write({frame}, {offset}, {bits}, {_written(s)});"]
        got = f"gicheck_read({frame}, {offset}, {bits})"
    else:
        reg = ident(s.register or s.action)
        if "val" in inputs:
            return [f"gicheck_write_sysreg({reg}, {_written(s)});"]
        got = f"gicheck_read_sysreg({reg})"
    if s.result is None:
        return [f"(void){got};"]
    return [f"gicheck_expect(run, {i}, {what}, {got}, {_u64(s.result.value, s.result.width)});"]


def _is_access(s: Step) -> bool:
    return s.vcpu is not None and s.register is not None


def _environment(i: int, s: Step) -> list[str]:
    args = [v for _, v in s.inputs]
    names = ", ".join(f"{k}={value_text(v)}" for k, v in s.inputs)
    array = f"(const uint64_t[]){{ {', '.join(_u64(v) for v in args)} }}" if args else "NULL"
    return [
        f"/* #{i} {s.action}({names}): not a guest access; the harness makes it happen */",
        f"gicheck_environment(&run, {i}, {_cstr(s.action)}, {array}, {len(args)});",
    ]


def function(r: PropertyResult, t: Trace) -> list[str]:
    name = ident(r.name)
    about = [f"{r.name} ({r.kind}, {r.location}) {verdict_word(r)} on model {r.model}", *r.doc.splitlines()]
    config = f"{t.nr_vcpus} vCPU{'s' if t.nr_vcpus != 1 else ''}" + "".join(f", {k} = {value_text(v)}" for k, v in t.params)
    if not t.from_reset or not t.steps:
        why = "it starts from an arbitrary state, which a guest cannot set up" if t.steps else "it has no accesses"
        return _comment([*about, f"No guest test: {why}."])
    if t.alternative is not None:
        about.append(f"The property compares the last access with a second run from the same state: {t.labels[1]}.")
    out = _comment([*about, f"From reset, with {config}; after the last access:", *failure_lines(t)])
    calls = []
    for i, s in enumerate(t.steps, 1):
        if not _is_access(s):
            calls += [f"\t{line}" for line in _environment(i, s)]
            continue
        fn = f"{name}_step{i}"
        lines = step_lines(i, s, "")
        out += ["", *_comment([line.strip() for line in lines[: len(lines) - max(1, len(s.changes))]])]
        out += [f"static void {fn}(void *data)", "{", "\tstruct gicheck_run *run = data;", ""]
        out += [f"\t{line}" for line in _access(i, s)] + ["\t(void)run;", "}"]
        calls.append(f"\tgicheck_on_cpu({s.vcpu}, {fn}, &run);")
    out += ["", f"int gicheck_test_{name}(void)", "{", f"\tstruct gicheck_run run = {{ {_cstr(r.name)}, 0 }};", ""]
    out += [
        f"\tif (gicheck_nr_cpus() < {t.nr_vcpus})",
        "\t\treturn gicheck_skip(&run, " + _cstr(f"needs {t.nr_vcpus} vCPUs") + ");",
    ]
    return out + calls + ["\treturn run.failures;", "}"]


def render(results: list[PropertyResult]) -> str:
    """Every counterexample and cover witness of `results` as C, one translation unit."""
    out = [
        "/* Guest regression tests written by gicheck (--format c) from its traces: the accesses",
        " * of each trace in order, each read checked against the value the model returned. */",
        f'#include "{HEADER}"',
    ]
    n = 0
    for r in results:
        if isinstance(r.verdict, (Violated, Covered)):
            out += ["", *function(r, r.verdict.trace)]
            n += 1
    if n == 0:
        out += ["", "/* no counterexample or cover witness in these results */"]
    return "\n".join(out) + "\n"
