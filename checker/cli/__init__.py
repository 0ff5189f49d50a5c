"""Command line: argv -> exit code. The only package that prints or exits.

Each command is a module with `run(args, out, err) -> int` (prove.py, diff.py, list.py, run.py, conform.py); the
exit codes are codes.ExitCode: 0 every property proved (or covered); 1 a property violated;
2 usage error; 3 error in a spec or property file; 4 nothing violated but something only bounded,
unknown or not reached; 5 --strict and a vacuity warning; 69 prove --scheduler's Dask cluster
cannot be reached or was lost; 70 internal error, including a counterexample the interpreter did not confirm;
74 an output file, directory or standard stream that cannot be written; 130 interrupted (Ctrl-C);
141 the reader of the output went away; 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TextIO

from checker.cli.codes import ExitCode, Parser, Unavailable
from checker.cli.guard import StreamError, Terminated, guarded, sigterm_unwinds
from checker.cli.values import count, megabytes, seconds
from checker.diagnostics import ModelNotFound, SpecError, UsageError, format_diagnostic
from checker.files import OutputError

__all__ = ["ExitCode", "main"]


def _check_options(vcpus_help: str, depth_help: str, timeout_help: str, param_help: str | None, formats: list[str]) -> Parser:
    """The options prove and diff share (their help words each command's defaults)."""
    p = Parser(add_help=False)
    g = p.add_argument_group("check options")
    g.add_argument("--vcpus", default=None, help=vcpus_help)
    g.add_argument("--param", action="append", default=[], metavar="NAME=V|A..B", help=param_help)
    g.add_argument("--depth", type=count, default=4, help=depth_help)
    g.add_argument("--timeout", type=seconds, default=None, help=timeout_help)
    g.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="text (default), json (docs/schemas/), junit (JUnit XML), sarif (SARIF 2.1.0)"
        + (", c (each trace as a guest test in C, contrib/gicheck-guest.h)" if "c" in formats else ""),
    )
    g.add_argument("--output", type=Path, default=None, metavar="FILE", help="write the report to FILE (whole or not at all)")
    g.add_argument(
        "--trace-out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each counterexample and cover witness to DIR as ITF JSON, VCD, DOT and C (docs/traces.md)",
    )
    g.add_argument("--property", action="append", default=None, help="check only this property (repeatable)")
    g.add_argument(
        "--memory",
        type=megabytes,
        default=8192,
        metavar="MB",
        help="memory one solver query may use; one that needs more is UNKNOWN (default 8192)",
    )
    return p


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="gicheck", description="Model-check KVM's vgic: a GIC spec and its properties, proved with Z3.")
    p.add_argument("--debug", action="store_true", help="log each stage and show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_prove(sub)
    _add_diff(sub)
    rp = sub.add_parser("replay", help="run a trace file (--trace-out's .itf.json) again and check its property")
    rp.add_argument("trace", type=Path, metavar="TRACE.itf.json")
    rp.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")
    rp.add_argument(
        "--overlay", action="append", type=Path, default=[], metavar="FILE", help="patch the spec with an overlay file"
    )
    ls = sub.add_parser("list", help="list the models, their registers and actions, and the properties")
    ls.add_argument("files", nargs="*", type=Path)
    ls.add_argument("--spec", type=Path, default=None)
    ls.add_argument("--overlay", action="append", type=Path, default=[], metavar="FILE")
    _add_run(sub)
    _add_conform(sub)
    _add_explore(sub)
    _add_mutate(sub)
    return p


def _add_explore(sub: argparse._SubParsersAction[Parser]) -> None:
    ex = sub.add_parser(
        "explore",
        help="cross-check the properties by explicit-state search: breadth-first from reset in the interpreter, "
        "over a finite sample of inputs, at small configurations (never a proof)",
    )
    ex.add_argument("files", nargs="*", type=Path, help="property files or directories (default: properties/)")
    ex.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")
    ex.add_argument(
        "--overlay", action="append", type=Path, default=[], metavar="FILE", help="patch the spec with an overlay file"
    )
    ex.add_argument("--vcpus", default=None, help="a count N or a range A..B, at most 3 (default 1..2)")
    ex.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=V",
        help="a spec parameter's one value (default: its lowest allowed)",
    )
    ex.add_argument("--property", action="append", default=None, help="check only this property (repeatable)")
    ex.add_argument("--max-states", type=count, default=50_000, metavar="N", help="stop a search after N states (default 50000)")
    ex.add_argument("--depth", type=count, default=12, help="stop a search this many steps from reset (default 12)")
    ex.add_argument(
        "--max-accesses",
        type=count,
        default=1_000_000,
        metavar="N",
        help="stop a search after N accesses run in the interpreter (default 1000000)",
    )
    ex.add_argument("--output", type=Path, default=None, metavar="FILE", help="write the report to FILE (whole or not at all)")


def _add_mutate(sub: argparse._SubParsersAction[Parser]) -> None:
    mu = sub.add_parser(
        "mutate", help="how strong the properties are: mutants of the spec's handlers, and which the properties kill"
    )
    mu.add_argument("files", nargs="*", type=Path, metavar="PROPS", help="property files or directories (default: properties/)")
    mu.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")
    mu.add_argument("--model", default=None, help="mutate only this model's handlers")
    mu.add_argument("--vcpus", default="1..2", help="a count N or a range A..B, clipped to each model's (default 1..2)")
    mu.add_argument("--depth", type=count, default=4, help="steps from reset for BMC and k-induction (default 4)")
    mu.add_argument(
        "--timeout",
        type=seconds,
        default=30.0,
        metavar="S",
        help="seconds per solver query, and for each property's search from reset (default 30)",
    )
    mu.add_argument("--limit", type=count, default=None, metavar="N", help="run at most N mutants per model, spread evenly")
    mu.add_argument(
        "--only",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="mutate only the handlers written in FILE (repeatable)",
    )
    mu.add_argument(
        "--min-rate", type=float, default=90.0, metavar="PCT", help="exit 1 when a model's kill rate is under PCT (default 90)"
    )
    mu.add_argument("--format", choices=["text", "json"], default="text")
    mu.add_argument("--no-cache", action="store_true", help="check every property again, without the proof cache")
    mu.add_argument("--verbose", "-v", action="store_true", help="progress on stderr; list the killed mutants too")
    _add_where(mu)


def _add_run(sub: argparse._SubParsersAction[Parser]) -> None:
    rn = sub.add_parser("run", help="run a script of register accesses on the spec, as a reference model (docs/run.md)")
    rn.add_argument("script", type=Path, help="one access or action per line: cpu 0 write32 GICD_CTLR 0x2, raise_spi 40")
    rn.add_argument("--model", default=None, help="the model to run (default: the script's 'model' line, or the only one)")
    rn.add_argument(
        "--vcpus", default=None, metavar="N", help="vCPU count (default: the script's 'vcpus' line, else the most it names)"
    )
    rn.add_argument(
        "--param", action="append", default=[], metavar="NAME=V", help="a spec parameter's value (default: its lowest allowed)"
    )
    rn.add_argument("--format", choices=["text", "json"], default="text")
    rn.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")


_SEARCH_TIME_HELP = (
    "time for each property's search from reset, checked between solver queries: when it runs "
    "out, the search stops at the depth it reached and says so (default: none; --depth is the "
    "search's maximum)"
)
_SOLVER_HELP = (
    "the solver that answers the queries (default z3); cvc5 needs the cvc5 package "
    "(pip install 'gicheck[cvc5]') and gets the queries as SMT-LIB written by z3"
)
_VACUITY_HOW = "in some state (default), in a run from reset within the depth (slower), or not at all"


def _add_prove(sub: argparse._SubParsersAction[Parser]) -> None:
    shared = _check_options(
        "a count N or a range A..B (default: the model's range)",
        "the most steps from reset for BMC, and the largest k for k-induction (default 8)",
        "seconds per solver query (default 300; the searches' own budgets are shorter)",
        "fix a spec parameter (param nr_irqs) to a value or a range (default: its whole range)",
        ["text", "json", "junit", "sarif", "c"],
    )
    pr = sub.add_parser("prove", parents=[shared], help="prove properties for every vCPU count in a range")
    # GIC scenarios take 4-8 accesses (enable, route, raise, take, send again, complete); diff's
    # lockstep search over both sides keeps 4
    pr.set_defaults(depth=8)
    pr.add_argument("files", nargs="*", type=Path, help="property files or directories (default: properties/)")
    pr.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")
    pr.add_argument(
        "--overlay",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="patch the spec with an overlay file (repeatable; all for one model), then prove",
    )
    pr.add_argument("--search-time", type=seconds, default=None, metavar="SECONDS", help=_SEARCH_TIME_HELP)
    pr.add_argument("--cti", action="store_true", help="show counterexamples to induction of BOUNDED properties")
    pr.add_argument("--solver", choices=["z3", "cvc5"], default="z3", help=_SOLVER_HELP)
    pr.add_argument(
        "--vacuity",
        choices=["none", "any-state", "reachable"],
        default="any-state",
        help=f"check that each proved contract's access, and invariant's premise, can happen: {_VACUITY_HOW}",
    )
    pr.add_argument(
        "--strict",
        action="store_true",
        help="a vacuity warning (a proved contract's access or invariant's premise never happens) is an error: exit 5",
    )
    _add_where(pr)
    pr.add_argument(
        "--quiet", "-q", action="store_true", help="leave out the lines of properties proved, and the live status line"
    )
    pr.add_argument("--verbose", "-v", action="store_true", help="log each property's engine steps and times on stderr")
    pr.add_argument("--dump-smt", type=Path, default=None, help="write every solver query as SMT-LIB into this directory")
    pr.add_argument(
        "--no-cache",
        action="store_true",
        help="check every property again, without reading or writing the proof cache "
        "($XDG_CACHE_HOME/gicheck/proofs; off with --dump-smt too)",
    )


def _add_where(pr: Parser) -> None:
    """Where prove checks: in local processes, or on a Dask cluster."""
    pr.add_argument(
        "--jobs",
        "-j",
        type=count,
        default=None,
        metavar="N",
        help="check properties in N processes (default: the cores available; 1: in this process)",
    )
    pr.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="check properties on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786) instead of in "
        "local processes; its workers need the same gicheck, with pip install 'gicheck[cluster]', but not the "
        "files, which this process loads and sends (not with --jobs or --dump-smt)",
    )


def _add_diff(sub: argparse._SubParsersAction[Parser]) -> None:
    shared = _check_options(
        "a count N or a range A..B (default: each model's range)",
        "steps from reset for the searches (default 4)",
        "seconds per solver query (default 300; the searches' own budgets are shorter)",
        None,
        ["text", "json", "junit", "sarif"],
    )
    df = sub.add_parser(
        "diff", parents=[shared], help="what a patch changes: properties broken or fixed, actions that behave differently"
    )
    df.add_argument(
        "sides",
        nargs="*",
        metavar="SIDE",
        help="OLD NEW, each a spec directory, overlay files, or DIR+OVERLAY[+OVERLAY]; NEW given as overlays alone "
        "patches OLD; one overlay alone patches the default spec",
    )
    df.add_argument(
        "--rev", default=None, metavar="A..B", help="compare two git revisions of this repository's spec/ and properties/"
    )
    df.add_argument(
        "--properties",
        action="append",
        type=Path,
        default=None,
        metavar="PATH",
        help="property files or directories to check on both sides (default: each side's properties/)",
    )
    df.add_argument("--no-properties", action="store_true", help="compare the actions only")
    df.add_argument("--model", default=None, help="diff only this model")
    df.add_argument(
        "--action",
        action="append",
        default=None,
        metavar="NAME",
        help="compare only this action, as the output names it: GICR_IGROUPR0.read, acknowledge, GICD.write (repeatable)",
    )
    df.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="NAME",
        help="an action, register, system register, frame or state the patch means to change (repeatable)",
    )
    df.add_argument(
        "--expect-broken",
        action="append",
        default=[],
        metavar="PROPERTY",
        help="a property of the old side the patch means to break (repeatable)",
    )


def _add_conform(sub: argparse._SubParsersAction[Parser]) -> None:
    cf = sub.add_parser("conform", help="compare the spec with a real GIC emulation, access by access (docs/conform.md)")
    cf.add_argument(
        "--target", choices=["qemu"], required=True, help="the emulation: QEMU's -M virt GIC, through a bare-metal guest"
    )
    cf.add_argument(
        "--gic", type=int, choices=[2, 3], action="append", default=None, help="GIC version (repeatable; default: 3 and 2)"
    )
    cf.add_argument(
        "--vcpus", default=None, metavar="A..B", help="vCPU counts, one per sequence in turn (default: 1..32 GICv3, 1..8 GICv2)"
    )
    cf.add_argument("--seed", type=int, default=1, help="seed of the sequences (default 1)")
    cf.add_argument("--count", type=count, default=1000, help="accesses per GIC version, at least (default 1000)")
    cf.add_argument("--length", type=count, default=40, help="accesses per sequence (default 40)")
    cf.add_argument("--known", type=Path, default=None, help="declared differences (default: conform/qemu.toml)")
    cf.add_argument(
        "--accel",
        choices=["tcg", "kvm"],
        default="tcg",
        help="kvm: -accel kvm -cpu host on an arm64 host (the oracle is then KVM)",
    )
    cf.add_argument("--no-shrink", action="store_true", help="report each class's first sequence as found")
    cf.add_argument("--scripts", type=Path, default=None, metavar="DIR", help="write each undeclared class's script into DIR")
    cf.add_argument("--progress", action="store_true", help="report progress on stderr")
    cf.add_argument("--verbose", "-v", action="store_true", help="list the arms of the spec's branches no sequence took")
    cf.add_argument("--format", choices=["text", "json"], default="text")
    cf.add_argument("--spec", type=Path, default=None, help="spec directory (default: spec/ of this checkout)")


# Each command's module, imported only when it runs: `gicheck --help` never loads the pipeline.
_COMMANDS = {
    "prove": "checker.cli.prove",
    "diff": "checker.cli.diff",
    "list": "checker.cli.list",
    "run": "checker.cli.run",
    "conform": "checker.cli.conform",
    "replay": "checker.cli.replay",
    "explore": "checker.cli.explore",
    "mutate": "checker.cli.mutate",
}


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """gicheck: argv to an exit code. argv None: gicheck is the program, and takes SIGTERM over."""
    out = guarded(stdout or sys.stdout, "standard output")
    err = guarded(stderr or sys.stderr, "standard error")
    given = argv if argv is not None else sys.argv[1:]
    debug = "--debug" in given
    verbose = "--verbose" in given or "-v" in given
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    # --debug lines carry the time since start, to see where a run's time goes between checks
    form = "%(relativeCreated)8.0f ms %(name)s: %(message)s" if debug else "%(name)s: %(message)s"
    logging.basicConfig(level=level, stream=stderr or sys.stderr, format=form)
    try:
        with sigterm_unwinds(owner=argv is None):
            try:
                code = _dispatch(argv, out, err, debug)
                out.flush()
                return code
            except Terminated:
                err.write("gicheck: terminated\n")
                return ExitCode.TERMINATED
    except BrokenPipeError:
        # the reader of our output went away (`gicheck prove | head`): not an error of ours
        _quiet_stdout()
        return ExitCode.BROKEN_PIPE
    except StreamError as e:
        if e.stream is sys.stdout:
            _quiet_stdout()
        try:
            err.write(f"gicheck: error: {e}\n")
        except (StreamError, BrokenPipeError):
            pass  # standard error is what failed: the exit code is all that is left
        return ExitCode.IO_ERROR


def _quiet_stdout() -> None:
    """Standard output replaced by /dev/null: the interpreter's final flush of what could not be
    written would fail again, and change the exit code."""
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    except OSError:
        pass


def _dispatch(argv: list[str] | None, out: TextIO, err: TextIO, debug: bool) -> int:
    """Run the command; every exception that is not its surroundings' doing becomes a message."""
    try:
        args = _parser().parse_args(argv)
        if args.command not in _COMMANDS:
            raise UsageError(f"unknown command {args.command}")
        command = importlib.import_module(_COMMANDS[args.command])
        return int(command.run(args, out, err))
    except UsageError as e:
        err.write(f"gicheck: error: {e}\n")
        return ExitCode.USAGE
    except SpecError as e:
        sources = dict(e.sources)
        err.writelines(format_diagnostic(d, sources) + "\n" for d in e.diagnostics)
        n = len(e.diagnostics)
        err.write(f"gicheck: {n} error{'s' if n != 1 else ''}\n")
        return ExitCode.SPEC
    except ModelNotFound as e:
        err.write(f"gicheck: error: {e.args[0] if e.args else e}\n")
        return ExitCode.USAGE
    except OutputError as e:
        err.write(f"gicheck: error: {e}\n")
        return ExitCode.IO_ERROR
    except Unavailable as e:
        err.write(f"gicheck: error: {e}\n")
        return ExitCode.UNAVAILABLE
    except KeyboardInterrupt:
        err.write("gicheck: interrupted\n")
        return ExitCode.INTERRUPTED
    except (BrokenPipeError, StreamError):
        raise
    except Exception:  # noqa: BLE001 - the one place internal errors become a message
        err.write("gicheck: internal error: this is a bug in gicheck, please report it with the command and files used.\n")
        if debug:
            err.write(traceback.format_exc())
        else:
            err.write("gicheck: run again with --debug for the traceback.\n")
        return ExitCode.INTERNAL


if __name__ == "__main__":
    sys.exit(main())
