"""The exit codes and the argument parser's error hook: what `gicheck --help` needs, kept
free of the pipeline so that it starts at once."""

from __future__ import annotations

import argparse
from enum import IntEnum

from checker.diagnostics import UsageError


class ExitCode(IntEnum):
    OK = 0  # every property proved (or covered); diff: nothing unexpected
    VIOLATED = 1  # a property violated; diff: a property broken or an unexpected difference
    USAGE = 2
    SPEC = 3  # an error in a spec, property or overlay file
    INCOMPLETE = 4  # nothing violated, but something only bounded, unknown or not reached
    VACUOUS = 5  # --strict: nothing violated, but a proved contract's access never happens
    UNAVAILABLE = 69  # EX_UNAVAILABLE: prove --scheduler's Dask cluster cannot be reached, or was lost
    INTERNAL = 70
    IO_ERROR = 74  # EX_IOERR: an output file, directory or standard stream cannot be written
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143  # 128 + SIGTERM


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


class Unavailable(Exception):
    """A service the run needs, prove --scheduler's Dask cluster, cannot be reached or was lost
    (exit 69): the command line may be right, and the same run may work later."""
