"""Diagnostics: errors in spec and property files, with their place, in `path:line:col:` form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from checker.span import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    span: Span
    notes: tuple[Note, ...] = field(default=())
    severity: Severity = Severity.ERROR
    quote: bool = True  # False: a file not to be read, even for its line


class SpecError(Exception):
    """One or more errors in the user's spec or property files (exit code 3). `sources` are
    texts of other files (a `gicheck run` script) whose lines the messages may quote."""

    def __init__(self, diagnostics: list[Diagnostic], sources: Mapping[str, str] | None = None):
        super().__init__("\n".join(f"{d.span}: {d.severity}: {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = dict(sources or {})


class UsageError(Exception):
    """The command line asks for something that cannot be done (exit code 2)."""


# Files a message may quote from disk: spec, property and overlay files, their links resolved.
# Any other file's lines are quoted only from the texts given (a message about an import of
# /proc/self/environ must not print the environment).
_QUOTED_SUFFIXES = frozenset({".gic", ".prop", ".overlay"})


def _source_line(span: Span, sources: dict[str, str]) -> str | None:
    text = sources.get(span.file)
    if text is None:
        try:
            if Path(span.file).resolve().suffix not in _QUOTED_SUFFIXES:
                return None
            text = Path(span.file).read_text(encoding="utf-8")
        except (OSError, RuntimeError, UnicodeDecodeError):  # RuntimeError: a link loop
            return None
        sources[span.file] = text
    lines = text.splitlines()
    if 1 <= span.line <= len(lines):
        return lines[span.line - 1]
    return None


def _excerpt(span: Span, sources: dict[str, str]) -> list[str]:
    line = _source_line(span, sources)
    if line is None or span.line <= 0:
        return []
    width = len(str(span.line))
    start = max(span.col, 1)
    if span.end_line == span.line and span.end_col > span.col:
        length = span.end_col - span.col
    else:
        length = max(len(line) - start + 1, 1)
    caret = "^" + "~" * (length - 1)
    return [f" {span.line:>{width}} | {line}", f" {'':>{width}} | {' ' * (start - 1)}{caret}"]


def format_diagnostic(diag: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """Render one diagnostic the way compilers and CI annotators expect."""
    cache: dict[str, str] = sources if sources is not None else {}
    out = [f"{diag.span}: {diag.severity}: {diag.message}"]
    if diag.quote:
        out += _excerpt(diag.span, cache)
    for note in diag.notes:
        out.append(f"{note.span}: note: {note.message}")
        out += _excerpt(note.span, cache)
    return "\n".join(out)


class ModelNotFound(LookupError):
    """The spec declares no model of the name asked for (a usage error, not a crash)."""
