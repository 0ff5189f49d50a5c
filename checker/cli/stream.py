"""`gicheck prove`'s text output as results arrive: each model's header, then each verdict line
as soon as it and every line before it are known (a stable order, whatever order the workers
finish in), then the model's refinement claims, traces and summary. On a terminal a live status
line (rich) says what is running, how much is done and for how long, and verdict words are
coloured (NO_COLOR is honoured); anywhere else the same lines are written plain and flushed one by
one, with no control characters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Self, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from checker.engines.pool import Done
from checker.render import text as render_text
from checker.results import PropertyResult, Proved

_STYLES = {
    "PROVED": "green",
    "COVERED": "green",
    "VIOLATED": "bold red",
    "INTERNAL ERROR": "bold red",
    "BOUNDED": "yellow",
    "UNKNOWN": "yellow",
    "UNREACHED": "yellow",
}


@dataclass
class ModelOut:
    """One model's part of the output: what is known before it runs, and its results so far."""

    model: str
    vcpus: str  # the range checked, as the live line shows it
    header: str
    names: list[str]  # its properties, in declaration order
    claims: list[str]  # the handlers with `refines` claims, in declaration order
    width: int
    results: dict[str, PropertyResult] = field(default_factory=dict)
    refinements: dict[str, PropertyResult] = field(default_factory=dict)
    shown: int = -1  # -1: header not yet written; else how many verdict lines are
    finished_at: float | None = None

    @property
    def complete(self) -> bool:
        return len(self.results) == len(self.names)

    def checked_claims(self) -> list[PropertyResult]:
        """The refinement claims the searches checked, in declaration order."""
        return [self.refinements[c] for c in self.claims if c in self.refinements]

    def ordered(self) -> list[PropertyResult]:
        """The refinement claims checked, then the properties, as a serial run lists them."""
        return self.checked_claims() + [self.results[n] for n in self.names]


class Stream:
    """Receives the units' results (on_done) and writes the output in a stable order."""

    def __init__(self, out: TextIO, models: list[ModelOut], *, quiet: bool = False, show_cti: bool = False) -> None:
        self.out = out
        self.models = models
        self.quiet = quiet
        self.show_cti = show_cti
        self.t0 = time.perf_counter()
        self.current = 0
        self.running: set[str] = set()
        self.console = Console(file=out, highlight=False, soft_wrap=True)
        self.live: Live | None = None
        if self.console.is_terminal and not quiet:
            self.live = Live(_Status(self), console=self.console, transient=True, refresh_per_second=4)

    def __enter__(self) -> Self:
        if self.live is not None:
            self.live.start()
        self._flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    @property
    def total(self) -> int:
        return sum(len(m.names) for m in self.models)

    @property
    def finished(self) -> int:
        return sum(len(m.results) for m in self.models)

    def on_done(self, i: int, done: Done) -> None:
        m = self.models[i]
        for r in done.results:
            m.results[r.name] = r
        for r in done.refinements:
            m.refinements.setdefault(r.name, r)
        if m.complete and m.finished_at is None:
            m.finished_at = time.perf_counter()
        self._flush()

    def elapsed(self, m: ModelOut) -> float:
        return (m.finished_at or time.perf_counter()) - self.t0

    def _write(self, line: str, verdict: str | None = None) -> None:
        if self.console.is_terminal and verdict is not None:
            at = line.index(verdict)
            text = Text(line[:at])
            text.append(verdict, style=_STYLES.get(verdict, ""))
            text.append(line[at + len(verdict) :])
            self.console.print(text)
        elif self.console.is_terminal:
            self.console.print(Text(line))
        else:
            self.out.write(line + "\n")
            self.out.flush()

    def _flush(self) -> None:
        while self.current < len(self.models):
            m = self.models[self.current]
            if m.shown < 0:
                self._write(("\n" if self.current else "") + m.header)
                self._write("")
                m.shown = 0
            while m.shown < len(m.names) and m.names[m.shown] in m.results:
                r = m.results[m.names[m.shown]]
                if not (self.quiet and isinstance(r.verdict, Proved)):
                    word = render_text.verdict_word(r)
                    self._write(render_text.verdict_line(r, m.width), word)
                m.shown += 1
            if not m.complete:
                return
            self._finish(m)
            self.current += 1

    def _finish(self, m: ModelOut) -> None:
        for r in m.checked_claims():
            if not (self.quiet and isinstance(r.verdict, Proved)):
                self._write(render_text.verdict_line(r, m.width), render_text.verdict_word(r))
        for line in render_text.details(m.ordered(), self.show_cti):
            self._write(line)
        self._write(f"\n{m.model}: {render_text.summary(m.ordered())} in {self.elapsed(m):.1f}s")


class _Status:
    """The live line, drawn again at each refresh (so the elapsed time moves)."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def __rich__(self) -> Text:
        s = self.stream
        if not s.models:
            return Text("")
        m = s.models[min(s.current, len(s.models) - 1)]
        waiting = [n for n in m.names if n not in m.results]
        now = f"{m.model} ({m.vcpus})"
        if waiting:
            now += f": {waiting[0]}" + (f" and {len(waiting) - 1} more" if len(waiting) > 1 else "")
        mins, secs = divmod(int(time.perf_counter() - s.t0), 60)
        return Text(f"checking {now}  [{s.finished}/{s.total} done, {mins}m{secs:02d}s]", style="dim")
