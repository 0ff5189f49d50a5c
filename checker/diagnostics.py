"""Diagnostics: errors in spec and property files, with their place, in `path:line:col:` form."""

from __future__ import annotations

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


class SpecError(Exception):
    """One or more errors in the user's spec or property files (exit code 3)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(f"{d.span}: {d.severity}: {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics


class UsageError(Exception):
    """The command line asks for something that cannot be done (exit code 2)."""


def _source_line(span: Span, sources: dict[str, str]) -> str | None:
    text = sources.get(span.file)
    if text is None:
        try:
            text = Path(span.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
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
    out += _excerpt(diag.span, cache)
    for note in diag.notes:
        out.append(f"{note.span}: note: {note.message}")
        out += _excerpt(note.span, cache)
    return "\n".join(out)


class ModelNotFound(LookupError):
    """The spec declares no model of the name asked for (a usage error, not a crash)."""
