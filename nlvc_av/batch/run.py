"""Driving a batch: which files to code, coding them on the cluster, the results.

The client reads each source, cuts it into GOPs and submits them as jobs (so one long file
spreads over the whole cluster); two files are in progress at once, so the cluster stays
busy while one file's last GOPs finish. Each ``.nlvc`` is written on the client side,
atomically, by the same ordered writer as ``nlvc-transcode`` (byte-identical output). A file
that fails is reported with its reason and the others go on; Ctrl-C stops every file, and
leaves no partial output under a destination name (see :mod:`.outputs`).
"""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .. import presets
from ..jobs import GopRunner
from . import cluster, outputs

FILES_AT_ONCE = 2

ENCODED, SKIPPED, FAILED = "encoded", "skipped", "failed"


@dataclass
class FileResult:
    source: str
    output: str
    status: str = ""  # "encoded", "skipped" (already finished) or "failed"
    frames: int = 0
    bytes: int = 0  # the .nlvc's size
    seconds: float = 0.0
    ratio: float = 0.0  # raw video / coded video
    error: str = ""  # why it failed, one line
    note: str = ""  # e.g. why an existing output was encoded again


@dataclass
class BatchResult:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    scheduler: str = ""  # the scheduler's address ("" when no cluster was needed)
    workers: int = 0  # worker threads of the cluster

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def frames(self) -> int:
        """Frames encoded by this run (skipped files not counted)."""
        return sum(f.frames for f in self.files if f.status == ENCODED)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"files": [asdict(f) for f in self.files], "encoded": self.count(ENCODED),
                "skipped": self.count(SKIPPED), "failed": self.count(FAILED), "frames": self.frames,
                "seconds": round(self.seconds, 3), "fps": round(self.fps, 3),
                "scheduler": self.scheduler, "workers": self.workers}


def reason(err: BaseException) -> str:
    """One line saying why a file failed."""
    from container import NlvcError

    if isinstance(err, NlvcError):
        text = str(err)
    elif isinstance(err, OSError) and err.filename and err.strerror:
        text = f"{err.filename}: {err.strerror}"
    elif isinstance(err, OSError):
        text = err.strerror or str(err) or type(err).__name__
    elif type(err).__module__.split(".")[0] == "av":
        text = f"FFmpeg: {err}"
    elif type(err).__name__ == "KilledWorker":
        text = "the workers coding it kept dying (killed, or out of memory)"
    else:
        text = f"{type(err).__name__}: {err}"
    return " ".join(text.split())


class _FileProgress:
    """One file's progress (frames coded) fed into the batch's counters."""

    def __init__(self, batch: "_Counters"):
        self.batch, self.frames = batch, 0

    def update(self, frames: int, *args, coded: int | None = None, **kwargs) -> None:
        frames = frames if coded is None else coded  # encoding reports frames read and coded
        if frames != self.frames:
            self.batch.add_frames(frames - self.frames)
            self.frames = frames

    def close(self) -> None:
        pass


class _Counters:
    """Files and frames done so far, shown on one line by ``progress`` (a ProgressBar)."""

    def __init__(self, files: int, frames: int, progress, done_files: int = 0):
        self.files, self.done, self.frames = files, done_files, 0
        self.progress = progress
        self.lock = threading.Lock()
        if progress is not None:
            progress.total = frames
            self._draw(force=True)

    def add_frames(self, n: int) -> None:
        with self.lock:
            self.frames += n
            self._draw()

    def file_done(self) -> None:
        with self.lock:
            self.done += 1
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if self.progress is not None:
            self.progress.label = f"batch {self.done}/{self.files} files"
            self.progress.update(self.frames, force=force)


def run_batch(sources: list[str], out_dir: str | os.PathLike, *, scheduler: str | None = None,
              workers: int | None = None, preset: str | None = None, groups: int | None = None,
              gop: int | None = None, model: str | None = None, max_frames: int | None = None,
              overwrite: bool = False, progress=None,
              on_file: Callable[[FileResult], None] | None = None) -> BatchResult:
    """Code every source into ``out_dir/<name>.nlvc`` on a Dask cluster (a LocalCluster of
    ``workers`` processes, or the one at ``scheduler``). Finished outputs are skipped (see
    :mod:`.outputs`; ``overwrite`` codes them again). ``progress``: a ProgressBar for the
    whole batch; ``on_file`` is called with each file's result as it is known."""
    from ..jobs import default_jobs
    from ..transcode import make_coder

    start = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name, groups, gop = presets.resolve(preset, groups, gop)
    coder = make_coder(groups, model=model)  # a bad --model fails the batch before any file
    results = [FileResult(src, str(dst)) for src, dst in outputs.plan(sources, out)]
    todo: list[tuple[FileResult, bool]] = []  # (result, replace an unfinished output)
    for r in results:
        replace = overwrite
        problem = _not_a_source(Path(r.source))
        if problem:
            r.status, r.error = FAILED, f"{r.source}: {problem}"
            if on_file:
                on_file(r)
            continue
        if not overwrite and Path(r.output).exists():
            why = _unfinished(r, max_frames)
            if why is None or r.status == FAILED:
                r.status = r.status or SKIPPED
                if on_file:
                    on_file(r)
                continue
            r.note, replace = f"existing output not finished ({why}): encoded again", True
        todo.append((r, replace))
    batch = BatchResult(results)
    if todo:
        counts = [outputs.stated_frames(r.source, max_frames) for r, _ in todo]
        total = 0 if 0 in counts else sum(counts)  # one unknown count: no ETA
        counters = _Counters(len(results), total, progress, done_files=len(results) - len(todo))
        with cluster.connect(scheduler, workers or default_jobs()) as client:
            batch.scheduler = client.scheduler.address
            batch.workers = cluster.worker_threads(client)
            stop = threading.Event()
            runner = GopRunner(executor=cluster.DaskExecutor(client, 2 * batch.workers), stop=stop)
            options = dict(coder=coder, gop=gop, preset=name, max_frames=max_frames, runner=runner)
            _run_files(todo, options, counters, stop, on_file)
    if progress is not None:
        progress.close()
    batch.seconds = time.monotonic() - start
    return batch


def _not_a_source(path: Path) -> str | None:
    """Why ``path`` cannot be encoded, said before any work (None: it may be)."""
    if not path.is_file():
        return "is a directory" if path.is_dir() else "no such file"
    if path.suffix.lower() == ".nlvc":  # nlvc-transcode decodes it; a batch only encodes
        return "already an .nlvc file (nlvc batch encodes videos into .nlvc)"
    return None


def _unfinished(r: FileResult, max_frames: int | None) -> str | None:
    try:
        return outputs.unfinished_reason(r.output, r.source, max_frames)
    except Exception as err:  # noqa: BLE001 - the source itself cannot be read
        r.status, r.error = FAILED, reason(err)
        return r.error


def _run_files(todo, options: dict, counters: _Counters, stop: threading.Event, on_file) -> None:
    def one(r: FileResult, replace: bool) -> FileResult:
        from ..transcode import encode_file

        t0 = time.monotonic()
        try:
            if stop.is_set():
                raise KeyboardInterrupt
            outputs.remove_stale_parts(Path(r.output))
            stats = encode_file(r.source, r.output, overwrite=replace, progress=_FileProgress(counters), **options)
            r.status, r.frames, r.bytes, r.ratio = ENCODED, stats.frames, stats.file_bytes, round(stats.ratio, 4)
        except Exception as err:  # noqa: BLE001 - one file's failure is its own
            if stop.is_set():  # the batch is being stopped: not this file's failure
                raise KeyboardInterrupt from None
            r.status, r.error = FAILED, reason(err)
        r.seconds = round(time.monotonic() - t0, 3)
        counters.file_done()
        if on_file:
            on_file(r)
        return r

    with ThreadPoolExecutor(FILES_AT_ONCE, thread_name_prefix="nlvc-batch") as pool:
        futures = [pool.submit(one, r, replace) for r, replace in todo]
        try:
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        except BaseException:  # Ctrl-C: every file stops at its next GOP, its temp file removed
            stop.set()
            for f in futures:
                f.cancel()
            wait(futures)
            raise
    for f in futures:
        f.result()  # a KeyboardInterrupt raised inside a file (stop) comes out here
