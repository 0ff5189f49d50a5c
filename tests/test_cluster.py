"""`gicheck prove --scheduler` (cli/cluster.py): the units on a Dask cluster, a LocalCluster of
two worker processes started here, give the local pool's and the serial run's results and write
the proof cache under the same keys; the cluster's errors are messages with an exit code."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, run

distributed = pytest.importorskip("distributed")

ENGINES = ROOT / "tests/specs/engines"
# An invariant chain (y_follows is proved assuming x_small), one violated; covers, contracts,
# facts, independence; verdicts of every kind but UNKNOWN, on a spec that loads at once.
SMALL = ["--spec", ENGINES, ENGINES / "props.prop", "--vcpus", "1..3"]
# The shipped spec patched by an overlay, a violated property and a proved one.
V1 = [
    "--overlay",
    ROOT / "examples/sgi-broadcast-v1/v1.overlay",
    ROOT / "properties/sgi.prop",
    "--vcpus",
    "1..2",
    "--property",
    "broadcast_reaches_all_others",
    "--property",
    "broadcast_skips_sender",
]


@pytest.fixture(scope="module")
def worker_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workers' $XDG_CACHE_HOME."""
    return tmp_path_factory.mktemp("worker-xdg")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory, worker_cache: Path) -> Iterator[str]:
    """A LocalCluster's scheduler address: two worker processes of one thread each, started in
    another directory than the tests' (as on another machine) with their own cache directory."""
    here, before = os.getcwd(), os.environ.get("XDG_CACHE_HOME")
    os.chdir(tmp_path_factory.mktemp("worker-cwd"))
    os.environ["XDG_CACHE_HOME"] = str(worker_cache)
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    finally:
        os.chdir(here)
        if before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = before
    with cluster:
        yield cluster.scheduler_address


def _prove(tmp_path: Path, name: str, *argv: Any) -> tuple[int, dict[str, Any], str]:
    """A run's exit code, its JSON report and its standard error."""
    report = tmp_path / f"{name}.json"
    code, _, err = run("prove", *argv, "--format", "json", "--output", report)
    return code, json.loads(report.read_text()), err


def _verdicts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each result as reported, less its time."""
    return {r["name"]: {k: v for k, v in r.items() if k != "seconds"} for r in report["results"]}


@pytest.mark.slow
@pytest.mark.parametrize("argv", [SMALL, V1], ids=["engines", "v1-overlay"])
def test_the_cluster_gives_the_local_pool_s_and_the_serial_run_s_results(scheduler: str, tmp_path: Path, argv: list[Any]) -> None:
    runs = {
        where: _prove(tmp_path, where, *argv, *extra, "--no-cache")
        for where, extra in [("cluster", ["--scheduler", scheduler]), ("pool", ["--jobs", "2"]), ("serial", ["--jobs", "1"])]
    }
    codes = {where: code for where, (code, _, _) in runs.items()}
    assert codes == {"cluster": 1, "pool": 1, "serial": 1}, {w: e for w, (_, _, e) in runs.items()}
    verdicts = {where: _verdicts(report) for where, (_, report, _) in runs.items()}
    assert len(verdicts["serial"]) >= 2
    assert {r["verdict"]["kind"] for r in verdicts["serial"].values()} >= {"proved", "violated"}
    assert verdicts["cluster"] == verdicts["pool"] == verdicts["serial"]
    assert all(not err for _, _, err in runs.values())


@pytest.mark.slow
def test_the_cluster_s_workers_keep_proofs_under_the_local_pool_s_keys(
    scheduler: str, worker_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers write their machine's cache; this process, given the same directory, finds
    every result there, and so does the cluster on a second run."""
    shutil.rmtree(worker_cache / "gicheck", ignore_errors=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(worker_cache))
    first = _prove(tmp_path, "first", *SMALL, "--scheduler", scheduler)
    local = _prove(tmp_path, "local", *SMALL, "--jobs", "1")
    again = _prove(tmp_path, "again", *SMALL, "--scheduler", scheduler)
    kept = {"proved", "violated", "covered"}  # the verdicts the cache keeps
    assert (worker_cache / "gicheck" / "proofs").is_dir()
    for report, cached in [(first, False), (local, True), (again, True)]:
        code, results, _ = report
        assert code == 1
        assert {r["name"]: r["cached"] for r in results["results"] if r["verdict"]["kind"] in kept} == {
            r["name"]: cached for r in results["results"] if r["verdict"]["kind"] in kept
        }
    assert _verdicts(first[1]) == {n: {**r, "cached": False} for n, r in _verdicts(local[1]).items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_scheduler_that_cannot_be_reached_is_exit_69_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.cli import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, out, err = run("prove", *SMALL, "--scheduler", address)
    assert (code, out) == (69, "")
    assert err.startswith(f"gicheck: error: cannot reach the Dask scheduler at {address}: "), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_scheduler_with_no_workers_is_exit_69(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.cli import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        code, _, err = run("prove", *SMALL, "--scheduler", empty.scheduler_address)
    assert (code, err) == (69, f"gicheck: error: the Dask scheduler at {empty.scheduler_address} has no workers\n")


def test_a_worker_with_other_gicheck_code_is_exit_69(scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # what the workers answer when asked for their code's hash: one of them another version's
    monkeypatch.setattr(
        distributed.Client, "run", lambda self, f: {"tcp://127.0.0.1:4000": "another", "tcp://127.0.0.1:4001": f()}
    )
    code, _, err = run("prove", *SMALL, "--scheduler", scheduler, "--no-cache")
    message = (
        f"the Dask cluster at {scheduler}: worker tcp://127.0.0.1:4000 runs other gicheck code than this one: "
        "install the same gicheck on every worker"
    )
    assert (code, err) == (69, f"gicheck: error: {message}\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "nowhere"], "--scheduler nowhere: missing port number in address 'nowhere'"),
        (
            ["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"],
            "--jobs and --scheduler: give one (on a cluster, its workers decide how many units run at once)",
        ),
        (
            ["--scheduler", "tcp://127.0.0.1:1", "--dump-smt", "dump"],
            "--dump-smt writes the queries of one process: not with --scheduler",
        ),
    ],
)
def test_scheduler_usage_errors(extra: list[str], message: str) -> None:
    assert run("prove", *SMALL, *extra) == (2, "", f"gicheck: error: {message}\n")


def test_without_the_cluster_extra_scheduler_is_a_usage_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import checker.cli

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed: ImportError
    monkeypatch.delitem(sys.modules, "checker.cli.cluster", raising=False)
    monkeypatch.delattr(checker.cli, "cluster", raising=False)
    code, out, err = run("prove", *SMALL, "--scheduler", "tcp://127.0.0.1:1")
    assert (code, out) == (2, "")
    assert err.startswith("gicheck: error: --scheduler needs Dask distributed, which cannot be imported ("), err
    assert err.endswith("): pip install 'gicheck[cluster]'\n"), err


@pytest.mark.slow
def test_gicheck_mutate_on_the_cluster_gives_the_serial_run_s_verdicts(scheduler: str) -> None:
    """The workers make each mutant's system from its base's, which this process sends."""
    spec = ROOT / "tests/specs/mutate"
    argv = ["mutate", "--spec", spec, spec / "props.prop", "--no-cache", "--format", "json"]
    verdicts = {}
    for where, extra in [("cluster", ["--scheduler", scheduler]), ("serial", ["--jobs", "1"])]:
        code, out, err = run(*argv, *extra)
        assert (code, err) == (1, ""), where
        verdicts[where] = [(m["index"], m["status"], m["killed_by"]) for m in json.loads(out)["models"][0]["mutants"]]
    assert verdicts["cluster"] == verdicts["serial"]
    assert {s for _, s, _ in verdicts["serial"]} == {"killed", "survived", "equivalent"}
