"""`gicheck prove --scheduler ADDRESS`: the units on a Dask cluster (the `cluster` extra,
distributed) through the concurrent.futures executor its client gives, run by engines/pool.py's
run_parallel as on the local pool. This module imports distributed, and cli/prove.py imports it
only when the option is given: gicheck starts as fast without it, and works without the extra.

As the local pool's workers do, the cluster's workers receive the systems this process loaded
(a worker plugin: those joining during the run get them too, and the run's end removes them), so
their results name the files as this process does, and the workers need gicheck but not the
spec's files. A worker without the system (none should be) loads it from the Source's paths.
"""

from __future__ import annotations

import concurrent.futures
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum

from distributed import Client, KilledWorker, Worker, WorkerPlugin
from distributed.comm.addressing import get_address_host_port

from checker import ir
from checker.cli.codes import Unavailable
from checker.diagnostics import UsageError
from checker.engines import cache, pool

# Seconds to reach the scheduler (Dask retries a refused connection until then), for a worker
# to be there, and to close.
CONNECT_SECONDS = 10.0


class _ClientStatus(StrEnum):
    """The states of a Dask Client (distributed keeps them as plain strings) that gicheck reads."""

    RUNNING = "running"


class _Systems(WorkerPlugin):
    """One run's systems, on each worker of the cluster from its start (or its joining) to the
    run's end."""

    def __init__(self, systems: dict[pool.Source, ir.System]) -> None:
        self.systems = systems

    def setup(self, worker: Worker) -> None:
        pool.receive(self.systems)

    def teardown(self, worker: Worker) -> None:
        pool.forget(self.systems)


class Cluster:
    """A connected client: runs jobs' units on the cluster's workers."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.address = address

    def check_workers(self) -> None:
        """Every worker there now runs this gicheck: a worker with other code would unpickle the
        systems and units as its own classes say."""
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise Unavailable(f"the Dask scheduler at {self.address} has no workers") from None
        try:
            # by reference: a worker imports checker.engines.cache, there in every gicheck since the cache
            codes = self.client.run(cache.code_hash)
        except Exception as e:  # noqa: BLE001 - Dask passes a worker's ImportError on as a plain Exception
            raise Unavailable(f"a worker of the Dask cluster at {self.address} cannot run gicheck: {e}") from None
        other = sorted(w for w, code in codes.items() if code != cache.code_hash())
        if other:
            raise Unavailable(
                f"the Dask cluster at {self.address}: worker {', '.join(other)} runs other gicheck code than this one: "
                "install the same gicheck on every worker"
            )

    def run(self, jobs: Sequence[pool.Job], on_done: pool.OnDone, stop: pool.Stop | None = None) -> None:
        """Every job's units on the cluster (pool.run_parallel with pool.run_on_cluster); a job
        `stop` says is done gets no more units. A mutant's system is made on the worker from its
        base's (gicheck mutate)."""
        name = f"gicheck-systems-{uuid.uuid4().hex}"
        self.client.register_plugin(_Systems({j.source.base: pool.system_for(j.source.base) for j in jobs}), name=name)
        executor = self.client.get_executor(pure=False)  # pure=False: no task key from hashing the unit
        work = pool.Work(pool.run_on_cluster, stop) if stop is not None else pool.Work(pool.run_on_cluster)
        try:
            pool.run_parallel(executor, jobs, on_done, work)
        except concurrent.futures.CancelledError:
            raise Unavailable(f"the Dask cluster at {self.address} dropped the run's units (its scheduler was lost)") from None
        except KilledWorker as e:
            raise Unavailable(f"the Dask cluster at {self.address}: {e}") from None
        finally:
            # queued units are cancelled; a unit a worker is running finishes there (Dask does
            # not stop a task's thread), its result dropped
            executor.shutdown(wait=False)
            if self.client.status == _ClientStatus.RUNNING:
                with suppress(Exception):
                    self.client.unregister_worker_plugin(name)


@contextmanager
def connect(address: str) -> Iterator[Cluster]:
    """The cluster whose scheduler is at `address`, its workers checked; the client is closed on
    the way out however the run ends (an error, Ctrl-C, SIGTERM)."""
    try:
        # before a Client exists: one whose address is refused within its constructor is left
        # half-made, and its finalizer at exit waits for a loop that never ran, then prints a traceback
        if not address.startswith("inproc://"):  # a scheduler in this process has no host and port
            get_address_host_port(address)
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except ValueError as e:  # not an address: a missing port, an unknown protocol
        raise UsageError(f"--scheduler {address}: {e}") from None
    except (OSError, TimeoutError) as e:
        raise Unavailable(f"cannot reach the Dask scheduler at {address}: {e}") from None
    try:
        cluster = Cluster(client, address)
        cluster.check_workers()
        yield cluster
    finally:
        _close(client)


def _close(client: Client) -> None:
    # A client whose scheduler is gone is trying to reconnect; closing it cancels that, and Dask
    # logs the cancelled attempt's traceback: noise after the error gicheck reports.
    logs = [logging.getLogger(name) for name in ("distributed", "distributed.client")]  # each checks its own
    before = [log.disabled for log in logs]
    for log in logs:
        log.disabled = True
    try:
        client.close(timeout=CONNECT_SECONDS)
    finally:
        for log, disabled in zip(logs, before, strict=True):
            log.disabled = disabled
