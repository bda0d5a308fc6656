"""A one-line progress display on stderr: frames, fps, ETA and the running compression ratio;
first a line of its own when the run will compile NLVC's kernels (numba's cache is cold)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _count(frames: float) -> str:
    """A frame count: whole, or with a tenth while a frame is being coded."""
    return str(int(frames)) if float(frames).is_integer() else f"{frames:.1f}"


class ProgressBar:
    """Redraws one line (``\\r``) at most every ``interval`` seconds; :meth:`close` ends it.

    ``total`` is the expected frame count (0 when unknown: no bar and no ETA). ``update``'s
    ``frames`` moves the bar (an encoder passes the frames read, from the first one on);
    ``coded``, when given (frames coded, planes of a frame in coding counted as fractions of
    it), is shown next to it, drives fps and ETA, and fills the bar with ``#`` (frames read
    and not yet coded are ``=``). The ETA goes at the rate since the first frame done (the
    start-up and a first run's compiling left out). :meth:`note` writes a line of its own above the bar.
    """

    WIDTH = 24

    def __init__(self, label: str, total: int = 0, stream: TextIO | None = None, interval: float = 0.2):
        self.label = label
        self.total = max(0, int(total or 0))
        self.stream = stream or sys.stderr
        self.interval = interval
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False
        self.frames = 0
        self.coded: float | None = None
        self.ratio: float | None = None
        self._first: tuple[float, float] | None = None  # (when, done) at the first frame done

    def update(self, frames: int, raw_bytes: int = 0, coded_bytes: int = 0, force: bool = False,
               coded: float | None = None) -> None:
        self.frames, self.coded = frames, coded
        if raw_bytes and coded_bytes:
            self.ratio = raw_bytes / coded_bytes
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        done = self.frames if self.coded is None else self.coded
        fps = done / elapsed
        if done and self._first is None:
            self._first = (now, done)
        rate = fps  # the ETA's: from the first frame done on (not the start-up, nor the kernels' compiling)
        if self._first is not None and done > self._first[1] and now > self._first[0]:
            rate = (done - self._first[1]) / (now - self._first[0])
        parts = [self.label]
        coded = "" if self.coded is None else f", {_count(self.coded)} coded"
        if self.total:
            read = int(min(self.frames / self.total, 1.0) * self.WIDTH)
            filled = read if self.coded is None else min(read, int(min(self.coded / self.total, 1.0) * self.WIDTH))
            parts.append("[" + "#" * filled + "=" * (read - filled) + "-" * (self.WIDTH - read) + "]")
            parts.append(f"{self.frames}/{self.total} frames{coded}")
        else:
            parts.append(f"{self.frames} frames{coded}")
        parts.append(f"{fps:.2f} fps")
        if self.total and rate > 0 and done < self.total:
            parts.append(f"ETA {_clock((self.total - done) / rate)}")
        else:
            parts.append(f"elapsed {_clock(elapsed)}")
        if self.ratio:
            parts.append(f"ratio {self.ratio:.2f}:1")
        line = "  ".join(parts)
        try:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            return
        self._drawn = True

    def note(self, text: str) -> None:
        """A line of its own (e.g. what a long silence is), above the bar."""
        drawn, self._drawn = self._drawn, False
        try:
            self.stream.write(("\r\x1b[K" if drawn else "") + text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            return
        if drawn:
            self._draw(time.monotonic())

    def close(self) -> None:
        if self._drawn:
            self._draw(time.monotonic())
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False


class NullProgress:
    """Does nothing (progress=False)."""

    frames = 0

    def update(self, *args, **kwargs) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


#: What a bar says first when the run will compile the adaptive stage's kernels (numba's cache is cold).
COMPILING = "compiling NLVC's kernels (once per machine) ..."


def open_progress(progress, label: str, total: int, coder=None, inter: bool = True):
    """The progress of a transcode: ``progress`` True (a bar on stderr), a progress object, or
    False (none). A progress object has ``update(frames, raw_bytes, coded_bytes, force=, coded=)``
    and ``close()``: encoding, ``frames`` are the frames read so far and ``coded`` the frames
    coded (a float: the adaptive stage's planes as they finish, from the threads coding them);
    decoding, ``frames`` are the frames written. A bar first says :data:`COMPILING` when
    ``coder`` is the adaptive stage's and numba's cache lacks its kernels (``inter``: the run
    has P-frames; codec/adaptive/jitcache.py)."""
    if not progress:
        return NullProgress()
    if progress is not True:
        return progress
    bar = ProgressBar(label, total)
    if coder is not None and coder.adaptive:
        from .codec.adaptive import jitcache

        if jitcache.cold("decode" if label == "decoding" else "encode", inter):
            bar.note(COMPILING)
    return bar
