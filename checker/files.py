"""Files written whole or not at all (into a temporary file beside the target, then renamed
over it), and the input files found under a directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from checker.diagnostics import Diagnostic, SpecError
from checker.span import Span


def tree_files(root: Path, suffix: str) -> list[Path]:
    """The files under `root` whose names end in `suffix`, sorted. A directory that cannot be
    read is an error in the input, as an unreadable file is (Path.rglob skips it silently)."""

    def unreadable(err: OSError) -> None:
        where = err.filename if err.filename is not None else root
        raise SpecError([Diagnostic(f"cannot read directory: {err.strerror}", Span(str(where), 1, 1, 1, 1))])

    out: list[Path] = []
    for top, _dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        out += [Path(top) / n for n in names if n.endswith(suffix) and (Path(top) / n).is_file()]
    return sorted(out)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's file is private; a report is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
