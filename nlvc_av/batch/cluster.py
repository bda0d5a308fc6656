"""The Dask side of ``nlvc batch``: a client (a LocalCluster, or a running scheduler) and the
executor that sends GOP jobs (:mod:`nlvc_av.jobs`) to its workers.

A LocalCluster has ``workers`` processes of one thread each (processes=True): one GOP per
core, one torch thread per GOP. On a running cluster, every worker thread takes GOPs; the
job functions set one torch thread per worker process themselves. The frames of a GOP are
scattered to the cluster as data (never embedded in the task), and at most ``slots`` GOPs
(2 per worker thread) are in flight, so the client's memory stays bounded.
"""
from __future__ import annotations

import contextlib
import importlib.util
import logging
from typing import Callable, Iterator

from ..jobs import sigint_ignored

INSTALL_HINT = "pip install -c constraints.txt -e '.[cluster]'"


def available() -> bool:
    """Whether Dask distributed is installed."""
    return importlib.util.find_spec("distributed") is not None


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int = 1) -> Iterator[object]:
    """A ``distributed.Client``: of a new LocalCluster (``workers`` processes, one thread
    each) or of the scheduler at ``scheduler`` (``tcp://host:8786``)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        with client:
            yield client
        return
    with sigint_ignored():  # the workers leave Ctrl-C to the client
        local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=logging.CRITICAL)
    with local, Client(local) as client:
        yield client


def worker_threads(client) -> int:
    """The threads of all the cluster's workers (at least 1)."""
    return max(1, sum(client.nthreads().values()))


class DaskExecutor:
    """Sends GOP jobs to a Dask cluster (the :class:`nlvc_av.jobs.GopRunner` executor)."""

    def __init__(self, client, slots: int):
        self.client = client
        self.slots = max(2, slots)

    def submit(self, fn: Callable, *args):
        data = self.client.scatter(list(args), hash=False)  # the frames travel as data
        return self.client.submit(fn, *data, pure=False)

    def close(self, abort: bool = False) -> None:  # the client belongs to the batch
        pass
