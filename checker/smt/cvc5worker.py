"""The process that asks cvc5 (`python -m checker.smt.cvc5worker [MEMORY_MB]`), one query after
another, for smt/cvc5run.py.

cvc5's Python API holds the interpreter lock while it solves: in the checker's own process a
query could be stopped neither by a signal nor from another thread. Here the parent kills the
process instead, and a crash or a memory limit reached takes only this process down.

Protocol, on stdin and stdout: a request is one JSON line {"size": bytes, "logic": str,
"timeout_ms": int or null} followed by that many bytes of SMT-LIB (declarations and assertions,
no check-sat); the answer is one JSON line {"result": "sat" | "unsat" | "unknown", "reason": str,
"model": [[symbol, sort, value], ...]}, the model's values in SMT-LIB when sat.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any, BinaryIO


def _limit_memory(megabytes: int) -> None:
    """The address space this process may grow by, from what the interpreter and cvc5's
    libraries already take, so that the limit is the query's own."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    base = pages * os.sysconf("SC_PAGE_SIZE")
    limit = base + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _model(cvc5: Any, solver: Any, symbols: Any) -> list[list[str]]:
    out = []
    for t in symbols.getDeclaredTerms():
        if t.getSort().isFunction():
            raise ValueError(f"the query declares a function, {t.getSymbol()}")
        out.append([t.getSymbol(), str(t.getSort()), str(solver.getValue(t))])
    return out


def _failure(e: Exception, memory_limited: bool) -> str:
    message = str(e).strip()
    # cvc5 reports running out of memory (std::bad_alloc) as this, and nothing else it raises
    # says so little
    if memory_limited and message == "Unknown exception":
        return "memout"
    return f"cannot take this query: {message}"


def solve(cvc5: Any, text: str, logic: str, timeout_ms: int | None, memory_limited: bool = False) -> dict[str, Any]:
    """One query in a fresh solver: its answer as the protocol's JSON object."""
    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    solver.setOption("produce-models", "true")
    # z3 writes constant arrays ((as const ...)), which cvc5 takes only with this option
    solver.setOption("arrays-exp", "true")
    # cvc5's own bit-blaster: with the default one, a handler's chain of stores at indices
    # base + k (a register's word of bits) is out of cvc5's reach (bench/heuristics.md)
    solver.setOption("bv-solver", "bitblast-internal")
    if timeout_ms:
        solver.setOption("tlimit-per", str(timeout_ms))
    if not logic.startswith("QF_"):
        # without model-based instantiation, cvc5 gives up (incomplete) on satisfiable queries
        # whose quantifiers range over bit-vectors (bench/heuristics.md)
        solver.setOption("mbqi", "true")
    solver.setLogic(logic)
    symbols = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "query")
    try:
        while not (cmd := parser.nextCommand()).isNull():
            said = cmd.invoke(solver, symbols)
            if said.startswith("(error"):
                return {"result": "unknown", "reason": f"cannot take this query: {said.strip()}", "model": []}
        result = solver.checkSat()
        if result.isSat():
            return {"result": "sat", "reason": "", "model": _model(cvc5, solver, symbols)}
    except (RuntimeError, ValueError) as e:
        return {"result": "unknown", "reason": _failure(e, memory_limited), "model": []}
    if result.isUnsat():
        return {"result": "unsat", "reason": "", "model": []}
    why = result.getUnknownExplanation().name.lower()
    return {"result": "unknown", "reason": why, "model": []}


def serve(cvc5: Any, inp: BinaryIO, out: BinaryIO, memory_limited: bool) -> None:
    out.write(b'{"ready": true}\n')
    out.flush()
    while header := inp.readline():
        req = json.loads(header)
        text = inp.read(req["size"]).decode()
        try:
            answer = solve(cvc5, text, req["logic"], req["timeout_ms"], memory_limited)
        except MemoryError:
            answer = {"result": "unknown", "reason": "memout", "model": []}
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()


def _die_with_parent(parent: int) -> None:
    """The kernel ends this process when its parent ends, however the parent ends: a query
    without a time limit would otherwise run on, orphaned (Linux only)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)


def main() -> None:
    _die_with_parent(int(os.environ.get("GICHECK_CVC5_PARENT", os.getppid())))
    # Ctrl-C reaches the whole process group: the parent stops this process itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import cvc5
    except ImportError as e:
        sys.stdout.write(json.dumps({"ready": False, "reason": f"cvc5 is not installed ({e})"}) + "\n")
        return
    if len(sys.argv) > 1:
        _limit_memory(int(sys.argv[1]))
    serve(cvc5, sys.stdin.buffer, sys.stdout.buffer, len(sys.argv) > 1)


if __name__ == "__main__":
    main()
