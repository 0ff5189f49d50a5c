"""The fuzz test's machinery: a case (a command line and the files it reads), one run of it in a
child process within a memory and a wall-clock limit, and the rule every run must keep
(issue 18, "Inputs cannot hurt"): it ends in a verdict, or in an error with its place and an exit
code of checker/cli/codes.py; never exit 70, a traceback, a hang or more memory than the limit.

The strategies that make cases are in tests/fuzz_inputs.py; tests/test_fuzz.py runs them in CI,
bench/fuzz.py for as long as it is given."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path

from checker.cli.codes import ExitCode

ROOT = Path(__file__).resolve().parents[1]

# Each case's wall-clock limit and how much address space its run may add; a run past either
# breaks the rule. GICHECK_FUZZ_TIME_LIMIT and GICHECK_FUZZ_MEMORY_LIMIT (MiB) change them.
TIME_LIMIT_S = float(os.environ.get("GICHECK_FUZZ_TIME_LIMIT", "60"))
MEMORY_LIMIT_MB = int(os.environ.get("GICHECK_FUZZ_MEMORY_LIMIT", "2048"))

# What the child runs imported once in the fork server, not in every child.
_PRELOAD = ["checker.cli", "checker.cli.prove", "checker.cli.diff", "checker.cli.run", "checker.cli.replay", "tests.fuzz"]
_KEEP = 20_000  # characters of a run's output kept for the report


class Kind(StrEnum):
    """The input a case varies."""

    SPEC = "spec"
    PROPS = "props"
    OVERLAY = "overlay"
    TRACE = "trace"
    SCRIPT = "script"
    ARGS = "args"
    SOUP = "soup"


@dataclass(frozen=True)
class Case:
    """A command line and the files it reads; `{dir}` in an argument is the case's directory."""

    kind: Kind
    argv: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()
    program: bool = False  # run as `python -m checker`, not main() in the child

    def to_json(self) -> str:
        doc = {"kind": str(self.kind), "argv": list(self.argv), "files": dict(self.files), "program": self.program}
        # ASCII: a file's bytes that are not UTF-8 are lone surrogates here (surrogateescape)
        return json.dumps(doc, indent=1) + "\n"

    @staticmethod
    def from_json(text: str) -> Case:
        doc = json.loads(text)
        return Case(Kind(doc["kind"]), tuple(doc["argv"]), tuple(doc["files"].items()), doc.get("program", False))


@dataclass(frozen=True)
class Outcome:
    """How a case's run ended: its exit code, or why it has none (`over`: a limit, a signal)."""

    code: int | None
    out: str = ""
    err: str = ""
    over: str | None = None
    grew_mb: float = 0.0  # resident memory the run added, as far as the child saw it
    notes: tuple[str, ...] = field(default_factory=tuple)


def _vm_size_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1])
    return 0


def _clip(text: str, keep: int) -> str:
    """The text's head and tail: an error's first line and the summary at the end."""
    return text if len(text) <= keep else text[: keep // 2] + "\n[...]\n" + text[-keep // 2 :]


def _in_process(argv: list[str]) -> tuple[int, str, str]:
    from checker.cli import main

    # the standard streams too: argparse writes --help to sys.stdout
    out = sys.stdout = io.StringIO()
    err = sys.stderr = io.StringIO()
    try:
        code = main(argv, out, err)
    except SystemExit as e:  # --help: argparse prints and exits, as the program does
        code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _program(argv: list[str], directory: str) -> tuple[int, str, str]:
    """`python -m checker ARGV`, this checkout's: what the interpreter's exit adds (an object's
    finalizer, an atexit handler) is in its output too."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "checker", *argv], check=False, cwd=directory, env=env, capture_output=True)
    # a file name that is not UTF-8 is printed as its bytes
    return done.returncode, done.stdout.decode(errors="surrogateescape"), done.stderr.decode(errors="surrogateescape")


def _child(argv: list[str], directory: str, conn: Connection, memory_mb: int, program: bool) -> None:
    """The case's run, in a process group of its own (so a hang's workers go with it)."""
    os.setpgid(0, 0)
    # only the soft limit: the cvc5 worker sets its own, which may not pass a hard one
    soft = (_vm_size_kb() // 1024 + memory_mb) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))
    os.environ["XDG_CACHE_HOME"] = str(Path(directory) / ".cache")
    os.chdir(directory)  # whatever the run writes where it stands stays in the case's directory
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if program and not any("\0" in a for a in argv):  # no command line holds a NUL
        code, text_out, text_err = _program(argv, directory)
    else:
        code, text_out, text_err = _in_process(argv)
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) / 1024
    conn.send((code, _clip(text_out, _KEEP), _clip(text_err, _KEEP), grew))
    conn.close()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_case(case: Case, time_limit: float = TIME_LIMIT_S, memory_mb: int = MEMORY_LIMIT_MB) -> Outcome:
    """Runs the case's command line in a child process on its files, written to a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="gicheck-fuzz-") as d:
        for name, text in case.files:
            p = Path(d) / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8", errors="surrogateescape")
        argv = [a.replace("{dir}", d) for a in case.argv]
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(argv, d, send, memory_mb, case.program))  # type: ignore[attr-defined]
        child.start()
        send.close()
        try:
            if not receive.poll(time_limit):
                return Outcome(None, over=f"no exit within the time limit of {time_limit:g} s")
            try:
                code, out, err, grew = receive.recv()
            except EOFError:
                child.join(5)
                return Outcome(None, over=f"the child ended with no exit code (its exit status {child.exitcode})")
            child.join(time_limit)
            return Outcome(code, out.replace(d, "{dir}"), err.replace(d, "{dir}"), grew_mb=grew)
        finally:
            _kill_group(child.pid)
            child.join(5)
            receive.close()


# an error in a file: `path:line:col: error: message` (LANGUAGE.md, "Errors")
_LOCATED = re.compile(r"^\S.*:\d+:\d+: error: ", re.MULTILINE)
# a trace file gicheck replay cannot read: `gicheck replay: FILE: FIELD: message`
_BAD_TRACE = re.compile(r"^gicheck replay: \S.*: ", re.MULTILINE)
_CODES = {int(c) for c in ExitCode} - {ExitCode.INTERNAL}


def broken_rule(outcome: Outcome) -> str | None:
    """What is wrong with how a run ended, or None when it kept the rule."""
    if outcome.over is not None:
        return outcome.over
    text = outcome.out + outcome.err
    if outcome.code not in _CODES:
        return f"exit {outcome.code}"
    if "internal error" in text or "Traceback" in text:
        return "an internal error or a traceback in the output"
    if outcome.code == ExitCode.USAGE and "gicheck: error: " not in outcome.err:
        return "exit 2 with no 'gicheck: error:' message"
    if outcome.code == ExitCode.SPEC and not (
        _LOCATED.search(outcome.err) or _BAD_TRACE.search(outcome.err) or "DOES NOT APPLY" in outcome.out
    ):
        return "exit 3 with no located error"
    if outcome.code == ExitCode.IO_ERROR and "gicheck: error: " not in outcome.err:
        return "exit 74 with no 'gicheck: error:' message"
    return None


def check(case: Case, time_limit: float = TIME_LIMIT_S) -> Outcome:
    """Runs the case and fails, with the case and what the run said, when it breaks the rule."""
    outcome = run_case(case, time_limit)
    wrong = broken_rule(outcome)
    if wrong is not None:
        raise AssertionError(
            f"{wrong}\ncase:\n{case.to_json()}exit {outcome.code}\n"
            f"stdout:\n{_clip(outcome.out, 3000)}\nstderr:\n{_clip(outcome.err, 3000)}"
        )
    return outcome
