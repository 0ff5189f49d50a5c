"""Outputs, signals and resource limits: an output that cannot be written is exit 74 with its
path and the OS's reason, found before the check where it can be; every file is written whole
or not at all; SIGTERM removes what the run made and exits 143; a solver query past --memory is
UNKNOWN with the limit as its reason."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

import pytest

from checker.cli import main
from checker.engines.search import unknown_verdict
from checker.smt import query as q
from tests.helpers import ROOT, run

# one quick property of the shipped spec, checked in this process
QUICK = ("prove", "--spec", ROOT / "spec", ROOT / "properties/sgi.prop", "--vcpus", "1")
QUICK_PROP = ("--property", "broadcast_reaches_all_others", "--jobs", "1")


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "file"
    f.write_text("a regular file\n")
    return f


def test_a_dump_directory_that_cannot_be_made_fails_at_once(a_file: Path) -> None:
    code, out, err = run(*QUICK, *QUICK_PROP, "--dump-smt", a_file / "dump")
    assert (code, err) == (74, f"gicheck: error: --dump-smt: cannot create directory {a_file / 'dump'}: Not a directory\n")
    assert out == ""  # before any model was loaded or checked


@pytest.mark.parametrize("option", ["--trace-out", "--output"])
def test_an_output_that_cannot_be_written_fails_before_the_check(a_file: Path, option: str) -> None:
    target = a_file / "sub" / ("report.json" if option == "--output" else "")
    code, out, err = run(*QUICK, *QUICK_PROP, option, target)
    place = (
        f"{option} {target}: cannot create directory {a_file / 'sub'}"
        if option == "--output"
        else f"{option}: cannot create directory {target}"
    )
    assert (code, out, err) == (74, "", f"gicheck: error: {place}: Not a directory\n")


def test_diff_output_that_cannot_be_written_is_an_io_error(a_file: Path) -> None:
    code, _, err = run("diff", ROOT / "spec", ROOT / "spec", "--trace-out", a_file / "traces")
    assert (code, err) == (74, f"gicheck: error: --trace-out: cannot create directory {a_file / 'traces'}: Not a directory\n")


class _Full(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _Closed(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def test_a_full_standard_output_is_an_io_error_not_a_bug() -> None:
    err = io.StringIO()
    code = main(["list", "--spec", str(ROOT / "spec")], _Full(), err)
    assert (code, err.getvalue()) == (74, "gicheck: error: cannot write to standard output: No space left on device\n")
    err = io.StringIO()
    assert main(["list", "--spec", str(ROOT / "spec")], _Closed(), err) == 141  # a closed pipe stays 141
    assert err.getvalue() == ""
    # standard error full as well: the exit code is all there is
    assert main(["list", "--spec", str(ROOT / "spec")], _Full(), _Full()) == 74


def test_dev_full_on_standard_output() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "checker", "list", "--spec", str(ROOT / "spec")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            check=False,
        )
    assert (proc.returncode, proc.stderr) == (74, "gicheck: error: cannot write to standard output: No space left on device\n")


class _HalfWriter:
    """A file object whose write puts half the text down, then fails as a full disk does."""

    def __init__(self, f: Any) -> None:
        self._f = f

    def write(self, data: Any) -> int:
        self._f.write(data[: len(data) // 2])
        self._f.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


@pytest.fixture
def disk_fills_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    real = io.open

    def half_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        f = real(file, mode, *a, **k)
        return _HalfWriter(f) if "w" in mode else f

    monkeypatch.setattr(io, "open", half_open)


def test_a_write_that_fails_midway_leaves_the_old_file_or_none(tmp_path: Path, disk_fills_midway: None) -> None:
    from checker.files import OutputError, write_atomic

    old = tmp_path / "old.txt"
    fd = os.open(old, os.O_WRONLY | os.O_CREAT)  # not through io.open
    os.write(fd, b"before\n")
    os.close(fd)
    with pytest.raises(OutputError) as e:
        write_atomic(old, "after, and longer\n")
    assert str(e.value) == f"cannot write {old}: No space left on device"
    with pytest.raises(OutputError):
        write_atomic(tmp_path / "new.txt", "text\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]
    assert old.read_bytes() == b"before\n"


def test_dumped_queries_are_whole_or_absent(tmp_path: Path, disk_fills_midway: None) -> None:
    code, _, err = run(*QUICK, *QUICK_PROP, "--dump-smt", tmp_path / "dump")
    assert code == 74, err
    assert err == f"gicheck: error: cannot write {tmp_path / 'dump' / 'query0001.smt2'}: No space left on device\n"
    assert list((tmp_path / "dump").iterdir()) == []


def test_the_report_is_whole_or_absent(tmp_path: Path, disk_fills_midway: None) -> None:
    report = tmp_path / "report.json"
    code, out, err = run(*QUICK, *QUICK_PROP, "--format", "json", "--output", report)
    assert (code, out, err) == (74, "", f"gicheck: error: --output: cannot write {report}: No space left on device\n")
    assert list(tmp_path.iterdir()) == []


def _temp_trees(tmp: Path) -> list[Path]:
    return [p for p in tmp.iterdir() if p.name.startswith("gicheck-diff-")]


@pytest.mark.slow
def test_sigterm_removes_diff_s_temporary_tree_and_exits_143(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker", "diff", "--rev", "HEAD..HEAD", "--model", "gicv2", "--vcpus", "1..2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + 60
        while not any((t / "new" / "spec").is_dir() for t in _temp_trees(tmp_path)) and time.monotonic() < end:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert _temp_trees(tmp_path), "the temporary tree never appeared"
        time.sleep(0.5)  # into the checks
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, err) == (143, "gicheck: terminated\n"), out
    assert list(tmp_path.iterdir()) == []


def test_a_query_past_the_memory_limit_is_unknown_with_the_limit_as_reason() -> None:
    code, out, err = run(*QUICK, *QUICK_PROP, "--memory", "1")
    assert code == 4, out + err
    assert "UNKNOWN    broadcast_reaches_all_others  solver memory limit (1 MB)" in out


def test_memory_and_time_reasons_are_named() -> None:
    from checker.smt.limits import memory_reason

    assert memory_reason("out of memory", 64) == "memory limit (64 MB)"
    assert memory_reason("max. memory exceeded", 64) == "memory limit (64 MB)"
    assert memory_reason("timeout", 64) == "timeout"
    assert memory_reason("out of memory", None) == "out of memory"
    assert unknown_verdict(q.Unknown("memory limit (64 MB)")).reason == "solver memory limit (64 MB)"
    assert unknown_verdict(q.Unknown("timeout")).reason == "solver timeout (timeout)"


def test_memory_must_be_a_positive_number_of_megabytes() -> None:
    code, _, err = run(*QUICK, *QUICK_PROP, "--memory", "0")
    assert (code, err) == (2, "gicheck: error: argument --memory: takes a whole number of megabytes, at least 1, not '0'\n")
