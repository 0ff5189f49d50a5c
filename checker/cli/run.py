"""`gicheck run SCRIPT`: the spec as an executable reference model (docs/run.md).

Exit codes: 0 every line ran (and every expected value is one the spec allows); 1 a line the
spec does not allow (an expected value it never reads there, an environment action whose
`requires` is false); 2 a bad option; 3 an error in the script, at its place."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TextIO

from checker import api, runner
from checker.cli.codes import ExitCode
from checker.cli.common import find_models, spec_root
from checker.cli.values import option_number
from checker.diagnostics import UsageError
from checker.render import run as render_run
from checker.syntax.script import parse_script


def _params(items: list[str]) -> dict[str, int] | None:
    if not items:
        return None
    out: dict[str, int] = {}
    for item in items:
        m = re.fullmatch(r"\s*(\w+)\s*=\s*(0[xX][0-9a-fA-F]+|\d+)\s*", item)
        if not m:
            raise UsageError(f"--param takes NAME=V (one value: a run is one machine), not '{item}'")
        out[m.group(1)] = option_number(m.group(2), "--param")
    return out


def _vcpus(text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\s*\d+\s*", text):
        raise UsageError(f"--vcpus takes one count N (a run is one machine), not '{text}'")
    return option_number(text.strip(), "--vcpus")


def _read(path: Path) -> str:
    if not path.is_file():
        raise UsageError(f"no such script: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    opts = runner.Options(args.model, _vcpus(args.vcpus), _params(args.param))
    source = _read(args.script)
    script = parse_script(source, str(args.script))
    spec, _ = spec_root(args.spec)
    known = sorted(find_models(spec))
    model = api.load_model(runner.model_name(script, opts.model, known), spec)
    machine = runner.make_machine(script, model, opts)
    report = runner.run_script(machine, script, source)
    out.write(render_run.to_json(report) if args.format == "json" else render_run.text(report))
    return ExitCode.OK if report.passed else ExitCode.VIOLATED
