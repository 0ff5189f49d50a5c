"""Files written whole or not at all (into a temporary file beside the target, then renamed
over it; a file or directory that cannot be written is an OutputError naming its path and the
operating system's reason), and the input files found under a directory."""

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


class OutputError(Exception):
    """A file or directory gicheck was asked to write cannot be written (exit 74)."""


def reason(e: OSError) -> str:
    return e.strerror or str(e)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` (UTF-8) or bytes to `path` so that a reader sees the old file or the new one,
    never a part."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {reason(e)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            # a file name that is not UTF-8 (decoded with surrogateescape, as Python decodes
            # names) written back as its bytes, as the standard streams write it
            f.write(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's file is private; a report is not
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {reason(e)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def writable_dir(directory: Path) -> Path:
    """`directory`, made if missing and checked to take new files (by making one), so that an
    output directory that cannot be written fails before the work whose results go there."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create directory {directory}: {reason(e)}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".gicheck-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise OutputError(f"cannot write in directory {directory}: {reason(e)}") from None
    os.close(fd)
    os.unlink(probe)
    return directory


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
