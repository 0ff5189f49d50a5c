"""A query asked of cvc5 instead of Z3 (`gicheck prove --solver cvc5`).

The query is still built with z3's API: its assertions go to cvc5 as SMT-LIB, written by z3, and
cvc5 answers sat, unsat or unknown in a worker process (smt/cvc5worker.py, one per checker
process, started at the first query). When sat, cvc5's values of the query's constants are
fixed in a z3 solver given the same assertions: z3's model of that is cvc5's model, read by the
usual decoders, and a value z3 does not accept makes the answer unknown. The engines replay
every witness in the interpreter either way.

A query cvc5 cannot take answers unknown with the reason: z3's own extensions of SMT-LIB
(lambdas, pseudo-Boolean constraints) named before cvc5 is asked, or cvc5's message; so does a
worker that ends without answering.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import z3

from checker.smt import limits
from checker.smt.requests import Solver

# what z3 writes for its own extensions of SMT-LIB, which cvc5 does not read, and their names
_Z3_ONLY = (
    ("(lambda (", "lambda terms"),
    ("(_ as-array ", "as-array terms"),
    ("(_ pbeq ", "pseudo-Boolean constraints"),
    ("(_ pble ", "pseudo-Boolean constraints"),
    ("(_ pbge ", "pseudo-Boolean constraints"),
    ("(_ at-most ", "pseudo-Boolean constraints"),
    ("(_ at-least ", "pseudo-Boolean constraints"),
)

# past a query's own limit (cvc5's tlimit-per counts the search, not reading the query): the
# worker is stopped, and the query is unknown (timeout)
_GRACE_MS = 10_000


class _Unavailable(Exception):
    """The worker could not be started, or ended without answering: the reason."""


@dataclass(frozen=True)
class Answer:
    result: z3.CheckSatResult
    reason: str
    model: tuple[tuple[str, str, str], ...]  # symbol, sort, value (SMT-LIB) when sat


class _Worker:
    def __init__(self, memory_mb: int | None) -> None:
        cmd = [sys.executable, "-m", "checker.smt.cvc5worker"] + ([str(memory_mb)] if memory_mb is not None else [])
        self.memory_mb = memory_mb
        self.owner = os.getpid()
        self.stopped = ""  # why this process stopped the worker, if it did
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "GICHECK_CVC5_PARENT": str(self.owner)},
        )
        hello = self._line()
        ready = json.loads(hello) if hello else {"ready": False, "reason": "the cvc5 worker did not start"}
        if not ready.get("ready"):
            self.stop("")
            raise _Unavailable(ready.get("reason", "the cvc5 worker did not start"))

    def _line(self) -> bytes:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline()

    def ask(self, text: str, logic: str, timeout_ms: int | None) -> Answer:
        """The worker's answer, or _Unavailable when it ends without one."""
        assert self.proc.stdin is not None
        body = text.encode()
        header = json.dumps({"size": len(body), "logic": logic, "timeout_ms": timeout_ms or None}).encode()
        timer = threading.Timer((timeout_ms + max(timeout_ms, _GRACE_MS)) / 1000, self.stop, ("timeout",)) if timeout_ms else None
        try:
            if timer is not None:
                timer.start()
            self.proc.stdin.write(header + b"\n" + body)
            self.proc.stdin.flush()
            line = self._line()
        except OSError:
            line = b""
        except BaseException:
            self.stop("canceled")  # Ctrl-C, SIGTERM: the worker is mid-query
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if not line:
            status = self.proc.wait()
            raise _Unavailable(self.stopped or f"the cvc5 worker ended without an answer (exit status {status})")
        a = json.loads(line)
        result = {"sat": z3.sat, "unsat": z3.unsat}.get(a["result"], z3.unknown)
        return Answer(result, a["reason"], tuple((n, s, v) for n, s, v in a["model"]))

    def stop(self, why: str) -> None:
        self.stopped = why
        self.proc.kill()

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None


_worker: _Worker | None = None


def _ask(text: str, logic: str, timeout_ms: int | None, memory_mb: int | None) -> Answer:
    global _worker
    if _worker is None or not _worker.alive() or _worker.memory_mb != memory_mb:
        if _worker is not None and _worker.owner == os.getpid():
            _worker.stop("")
        _worker = None
        _worker = _Worker(memory_mb)
    try:
        return _worker.ask(text, logic, timeout_ms)
    except _Unavailable:
        _worker = None
        raise


def interrupt() -> None:
    """Stop the query running in the worker, if any, from another thread: it answers unknown
    ('canceled')."""
    w = _worker
    if w is not None and w.alive():
        w.stop("canceled")


limits.also_interrupt(interrupt)


def version() -> str:
    """The installed cvc5's version, without loading it in this process."""
    try:
        return importlib.metadata.version("cvc5")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def solver_version(solver: Solver = Solver.Z3) -> str:
    """The versions of the solvers that answer with `solver` (a proof cache key part: another
    version may answer otherwise). Z3's always: it writes cvc5's queries and checks its models."""
    own = str(z3.get_full_version())
    return own if solver == Solver.Z3 else f"{own}; cvc5 {version()}"


def check(
    text: str, assertions: Sequence[z3.BoolRef], timeout_ms: int | None, memory_mb: int | None
) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
    """`text` (the SMT-LIB of `assertions`) asked of cvc5 within `timeout_ms` (None: no limit)
    and `memory_mb`: (result, model, reason unknown), as limits.check answers."""
    unread = sorted({name for mark, name in _Z3_ONLY if mark in text})
    if unread:
        return z3.unknown, None, f"cvc5: cannot take this query: it has z3's {' and '.join(unread)}"
    # a quantifier-free query gets cvc5's quantifier-free strategies, much the faster (bench/heuristics.md)
    logic = "ABV" if "(forall (" in text or "(exists (" in text else "QF_ABV"
    try:
        a = _ask(text, logic, timeout_ms, memory_mb)
    except _Unavailable as e:
        return z3.unknown, None, f"cvc5: {e}"
    if a.result == z3.unknown:
        why = limits.memory_reason(a.reason, memory_mb)
        return z3.unknown, None, why if limits.is_memory_out(why) else f"cvc5: {why}"
    if a.result == z3.unsat:
        return z3.unsat, None, ""
    return _model(a, assertions, timeout_ms, memory_mb)


def _model(
    a: Answer, assertions: Sequence[z3.BoolRef], timeout_ms: int | None, memory_mb: int | None
) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
    """cvc5's values fixed in z3, with the query's assertions: z3's model, or unknown."""
    pins = "".join(f"(declare-fun |{n}| () {sort})(assert (= |{n}| {value}))\n" for n, sort, value in a.model)
    try:
        fixed = z3.parse_smt2_string(pins)
    except z3.Z3Exception as e:
        return z3.unknown, None, f"cvc5: its model cannot be read ({e})"
    s = z3.Solver()
    if timeout_ms:
        s.set("timeout", timeout_ms)
    s.add(*assertions)
    s.add(fixed)
    res, model, why = limits.check(s, (), memory_mb, timeout_ms)
    if res == z3.sat:
        return res, model, ""
    said = "unsat" if res == z3.unsat else f"unknown ({why})"
    return z3.unknown, None, f"cvc5: z3 does not confirm cvc5's model of the query ({said})"
