"""GOPs are independent jobs: the job functions, and the runner that keeps them in order.

Encoding is ``read -> GOP jobs -> executor -> ordered writer``; decoding is the mirror
(``read clusters -> GOP jobs -> executor -> ordered frames``). A GOP job is a plain
top-level function of picklable values, so any executor can run it:

    payload, frame_types = encode_gop_job(setup, "yuv420p", frames)    # setup: a CodecSetup
    decoded = decode_gop_job(setup, video_track, cluster)             # MD5-checked frames

``setup`` is the CodecSetup the file records: the model by id, or its weights embedded for
custom models, so a worker rebuilds exactly the caller's coder (every field checked). Each
worker process keeps one GopCoder per (model, weights, groups) and uses one intra-op torch
thread (never oversubscribe torch: two threads per job on busy cores ran 1.9-13x slower).

:class:`GopRunner` runs a stream's jobs: inline with the caller's coder when ``jobs`` is 1
or the stream holds a single GOP (no pool to start), else on a process pool of ``jobs``
workers ("spawn": torch is not fork-safe) started for the stream, or on any executor given
(``nlvc batch`` gives a Dask one). Jobs whose compiled loops release the GIL (the adaptive
stage's pieces of one GOP) may instead run on ``THREADS_PER_JOB`` threads per job in the
caller's process (``map(..., threads=True)``): no worker to start or feed, and a core shared
with another busy process still gives the stream most of its time (below). At most
``executor.slots`` GOPs are in flight (2 per worker), and results come back in stream order,
so the output is byte-identical whatever the number of workers: the GOP coder is deterministic.
"""
from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Callable, Iterable, Iterator

import container

from . import session
from .errors import NlvcAvError

__all__ = ["default_jobs", "encode_gop_job", "encode_piece_job", "decode_gop_job", "GopRunner", "ProcessPool",
           "iter_decoded", "iter_nlvc_planes", "WorkerLostError"]

WAIT_S = 0.5  # how often a wait for a result looks at the stop event
#: Threads per job when jobs run on threads. Linux shares a core among the threads ready to run,
#: so with one other busy process on 2 cores, 2 threads get 2 x 2/3 of a core and 4 get
#: 2 x 4/5: foreman's pieces in one process, 2 threads 8.4-8.6 s idle / 12.7-12.9 s busy
#: (1.49x), 4 threads 8.7-8.9 s / 11.2 s (1.29x; docs/ADAPTIVE.md "Speed"). The compiled loops
#: do not spin while waiting (torch's threads do: they are never oversubscribed).
THREADS_PER_JOB = 2


class WorkerLostError(NlvcAvError, RuntimeError):
    """A worker process died while coding a GOP (killed, or out of memory)."""


def default_jobs() -> int:
    """The CPU cores this process may use (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- the jobs

_CODERS: dict[tuple[str, str, int], object] = {}
_CACHE_SIZE = 4


def _coder(setup: container.CodecSetup):
    """The GopCoder of ``setup``, built once per process (one torch thread per job)."""
    key = (setup.model_id, setup.weights_sha256, setup.groups)
    coder = _CODERS.get(key)
    if coder is None:
        from .codec import GopCoder, nets

        if not _CODERS:
            nets.set_threads(1)
        if len(_CODERS) >= _CACHE_SIZE:
            _CODERS.pop(next(iter(_CODERS)))
        coder = _CODERS[key] = GopCoder.for_setup(setup)
    return coder


def encode_gop_job(setup: container.CodecSetup, pix_fmt: str, frames: list, trials: str = "all") -> tuple[bytes, str]:
    """Code one GOP (frames: lists of 2-D uint8 planes in coding order) -> (payload, frame types);
    ``trials``: the preset's encoder trials."""
    return _coder(setup).encode_gop(frames, pix_fmt, trials)


def encode_piece_job(setup: container.CodecSetup, pix_fmt: str, frames: list, start: int, context: list,
                     trials: str = "all"):
    """Code frames ``start``... of a GOP (see GopCoder.pieces): a part of the GOP's payload."""
    return _coder(setup).encode_piece(frames, start, context, pix_fmt, trials)


def decode_gop_job(setup: container.CodecSetup, track: container.VideoTrack,
                   cluster: container.Cluster) -> list[session.DecodedFrame]:
    """Decode one cluster's GOP and check every frame against its stored MD5."""
    return session.decode_cluster(cluster, _coder(setup), track)


@contextlib.contextmanager
def sigint_ignored():
    """Processes started inside ignore SIGINT from their start (an ignored signal stays ignored
    across exec, and Python then installs no KeyboardInterrupt handler): Ctrl-C reaches the
    whole process group, and it is the parent's to handle, without a traceback per worker."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def init_worker() -> None:
    """Process-pool workers: one torch thread; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .codec import nets

    nets.set_threads(1)


# --------------------------------------------------------------------------- executors


class ProcessPool:
    """``workers`` processes on this machine (multiprocessing "spawn")."""

    def __init__(self, workers: int):
        self.slots = 2 * workers
        self._unstarted = workers  # the pool starts a worker at each submit until it has them all
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=init_worker)

    def submit(self, fn: Callable, *args):
        if self._unstarted <= 0:
            return self._pool.submit(fn, *args)
        self._unstarted -= 1
        with sigint_ignored():
            return self._pool.submit(fn, *args)

    def close(self, abort: bool = False) -> None:
        if not abort:
            self._pool.shutdown(wait=True)
            return
        processes = list((self._pool._processes or {}).values())  # stdlib's own table
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # a GOP in progress is not waited for
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(5)


class ThreadPool:
    """``threads`` threads of this process, for jobs that release the GIL (the ProcessPool's interface)."""

    def __init__(self, threads: int):
        self.slots = 2 * threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="nlvc-job")

    def submit(self, fn: Callable, *args):
        return self._pool.submit(fn, *args)

    def close(self, abort: bool = False) -> None:
        # a job in progress cannot be interrupted: an abort drops the queued ones and waits for it
        self._pool.shutdown(wait=True, cancel_futures=abort)


class GopRunner:
    """Runs a stream's GOP jobs and yields their results in stream order.

    ``jobs``: workers of the process pool started for each stream (1: inline, no pool).
    ``executor``: an object with ``submit(fn, *args)`` (futures with ``result(timeout)``,
    ``done()``, ``cancel()``) and ``slots`` (GOPs in flight); every GOP then runs on it
    (none inline), and it is left open. ``stop``: a ``threading.Event``; once set, the runner
    raises KeyboardInterrupt at its next wait.
    """

    def __init__(self, jobs: int = 1, executor=None, stop=None):
        self.jobs = max(1, int(jobs))
        self.executor = executor
        self.stop = stop

    @property
    def workers(self) -> int:
        """How many jobs run at once (what pieces of a GOP are sized for)."""
        return self.jobs if self.executor is None else max(1, self.executor.slots // 2)

    @property
    def inline_threads(self) -> int:
        """Threads a job run in this process may use: a lone GOP runs inline (no pool is
        worth starting for it), and it gets every worker's core; with an executor, none run here."""
        return self.jobs if self.executor is None else 1

    def map(self, local: Callable, remote: Callable, tasks: Iterable[tuple[tuple, object]],
            count: int | None = None, threads=False) -> Iterator[tuple[object, object]]:
        """``(meta, result)`` for each ``(args, meta)`` of ``tasks``, in order. ``result`` is
        ``local(*args)`` when run inline, else ``remote(*args)`` in a worker (a picklable
        function giving the same result). ``count``: the number of tasks, when known (no more
        workers are started than there are GOPs). ``threads``: ``local`` releases the GIL and
        may run on ``THREADS_PER_JOB * jobs`` threads here instead of on worker processes (a
        bool, or a function asked once the first two tasks are read)."""
        it = iter(tasks)
        if self.executor is not None:  # every GOP goes to it, even a single one
            yield from self._ordered(self.executor, remote, [], it)
            return
        if self.jobs == 1:
            for args, meta in it:
                self._check_stop()
                yield meta, local(*args)
            return
        head: list = []
        try:
            while len(head) < 2 and (item := next(it, None)) is not None:
                head.append(item)
        except Exception:  # reading failed: the GOP read before it still comes out first
            for args, meta in head:
                yield meta, local(*args)
            raise
        if len(head) < 2:  # zero or one GOP: not worth a pool
            for args, meta in head:
                yield meta, local(*args)
            return
        if threads() if callable(threads) else threads:
            executor, fn = ThreadPool(THREADS_PER_JOB * self.jobs), local
        else:
            executor, fn = ProcessPool(min(self.jobs, count) if count and count >= 2 else self.jobs), remote
        ok = False
        try:
            yield from self._ordered(executor, fn, head, it)
            ok = True
        finally:
            executor.close(abort=not ok)

    def _ordered(self, executor, remote, head: list, it: Iterator) -> Iterator[tuple[object, object]]:
        pending: deque = deque()
        try:
            failure: BaseException | None = None
            try:
                for args, meta in _chain_catching(head, it):
                    self._check_stop()
                    pending.append((executor.submit(remote, *args), meta))
                    while pending and (len(pending) >= executor.slots or pending[0][0].done()):
                        future, m = pending.popleft()
                        yield m, self._result(future)
            except _TasksFailed as err:  # reading failed: the GOPs read before it come out first
                failure = err.error
            while pending:
                future, m = pending.popleft()
                yield m, self._result(future)
            if failure is not None:
                raise failure
        finally:
            for future, _ in pending:
                future.cancel()

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise KeyboardInterrupt

    def _result(self, future):
        while True:
            self._check_stop()
            try:
                return future.result(timeout=WAIT_S)
            except TimeoutError:
                continue
            except BrokenProcessPool:
                raise WorkerLostError("a GOP worker process died (killed, or out of memory: "
                                      "try fewer --jobs)") from None


class _TasksFailed(Exception):
    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _chain_catching(head: list, it: Iterator) -> Iterator:
    yield from head
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception as err:  # noqa: BLE001 - re-raised after the GOPs already read
            raise _TasksFailed(err) from None
        yield item


# --------------------------------------------------------------------------- decoding


def iter_decoded(reader, coder, *, jobs: int = 1, runner: GopRunner | None = None,
                 max_frames: int | None = None, packets: list | None = None
                 ) -> Iterator[session.DecodedFrame]:
    """:func:`nlvc_av.session.iter_decoded` with the GOPs decoded by ``jobs`` workers: the
    same frames, in order, each MD5-checked; each cluster's packets are appended to
    ``packets`` before its frames are yielded."""
    runner = runner or GopRunner(jobs)
    if runner.executor is None and runner.jobs == 1:
        yield from session.iter_decoded(reader, coder, max_frames=max_frames, packets=packets)
        return
    track = reader.video_track

    def tasks():
        for cluster in reader.iter_clusters():
            # the packets stay here (the meta), checked against their MD5s when their GOP comes back
            yield (dataclasses.replace(cluster, packets=[]),), dataclasses.replace(cluster, payload=b"")

    count = _cluster_count(reader)
    coder.band_threads = runner.inline_threads
    local = partial(_decode_local, coder, track)
    remote = partial(decode_gop_job, reader.codec_setup, track)
    n = 0
    kinds = session.track_kinds(reader)
    for cluster, frames in runner.map(local, remote, tasks(), count=count):
        if packets is not None:
            session.check_packets(cluster, kinds)
            packets.extend(cluster.packets)
        for frame in frames:
            yield frame
            n += 1
            if max_frames is not None and n >= max_frames:
                return


def _cluster_count(reader) -> int | None:
    try:  # seekable files only; it only caps the number of workers
        return reader.cluster_count
    except Exception:  # noqa: BLE001 - a pipe, or a damaged index: no cap
        return None


def _decode_local(coder, track, cluster):
    return session.decode_cluster(cluster, coder, track)


def iter_nlvc_planes(path: str | os.PathLike, *, jobs: int = 1, max_frames: int | None = None):
    """:func:`nlvc_av.session.iter_nlvc_planes` with the GOPs decoded by ``jobs`` workers."""
    if jobs <= 1:
        return session.iter_nlvc_planes(path, max_frames=max_frames)
    reader = container.open(str(path), "r")
    try:
        video = session.video_info_from_track(reader.video_track, reader.tags)
        video.frames = session.frame_count(reader, max_frames)
        coder = session.coder_for_setup(reader.codec_setup)
    except BaseException:
        reader.close()
        raise

    def frames():
        with reader:
            for frame in iter_decoded(reader, coder, jobs=jobs, max_frames=max_frames):
                yield frame.planes

    return video, frames()
