"""The numeric options' value types (argparse `type=`): each refuses, as a usage error, a value
that would mean nothing or something else than it says. Kept free of the pipeline, like codes.py."""

from __future__ import annotations

import argparse
import math

from checker.diagnostics import UsageError

# The solver takes its timeout in whole milliseconds, as an unsigned 32-bit number: a value
# that rounds down to 0 would mean no timeout, and a larger one wraps.
_MS_MAX = 2**32 - 1
# The most digits of a number --vcpus or --param gives: more than any range a spec declares,
# and int() refuses a decimal number of more than 4300 digits.
MAX_DIGITS = 20


def option_number(text: str, option: str) -> int:
    """A number --vcpus or --param gives: decimal, or hexadecimal after 0x."""
    hexadecimal = text[:2] in ("0x", "0X")
    digits = text[2:] if hexadecimal else text
    if len(digits) > MAX_DIGITS:
        raise UsageError(f"{option} takes numbers of at most {MAX_DIGITS} digits, not one of {len(digits)}")
    return int(digits, 16 if hexadecimal else 10)


def count(text: str) -> int:
    """A whole number, at least 1: --depth, --jobs, --count, --length."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, not '{text}'") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return n


def megabytes(text: str) -> int:
    """--memory: a whole number of megabytes, at least 1 (0 would mean no limit to Z3)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"takes a whole number of megabytes, at least 1, not '{text}'")
    return int(text)


def seconds(text: str) -> float:
    """--timeout: seconds, finite and positive, at least the solver's 1 ms and at most its largest timeout."""
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a number of seconds, not '{text}'") from None
    if not math.isfinite(s):
        raise argparse.ArgumentTypeError(f"takes a finite number of seconds, not '{text}'")
    if s <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    if int(s * 1000) < 1:
        raise argparse.ArgumentTypeError(f"{text} seconds is less than the solver's 1 ms: give at least 0.001")
    if int(s * 1000) > _MS_MAX:
        raise argparse.ArgumentTypeError(f"{text} seconds is more than the solver takes: give at most {_MS_MAX // 1000}")
    return s
