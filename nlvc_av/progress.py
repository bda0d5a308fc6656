"""A one-line progress display on stderr: frames, fps, ETA and the running compression ratio."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """Redraws one line (``\\r``) at most every ``interval`` seconds; :meth:`close` ends it.

    ``total`` is the expected frame count (0 when unknown: no bar and no ETA). ``update``'s
    ``frames`` moves the bar (an encoder passes the frames read, from the first one on);
    ``coded``, when given, is shown next to it and drives fps and ETA.
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
        self.coded: int | None = None
        self.ratio: float | None = None

    def update(self, frames: int, raw_bytes: int = 0, coded_bytes: int = 0, force: bool = False,
               coded: int | None = None) -> None:
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
        parts = [self.label]
        coded = "" if self.coded is None else f", {self.coded} coded"
        if self.total:
            filled = int(min(self.frames / self.total, 1.0) * self.WIDTH)
            parts.append("[" + "#" * filled + "-" * (self.WIDTH - filled) + "]")
            parts.append(f"{self.frames}/{self.total} frames{coded}")
        else:
            parts.append(f"{self.frames} frames{coded}")
        parts.append(f"{fps:.2f} fps")
        if self.total and fps > 0 and done < self.total:
            parts.append(f"ETA {_clock((self.total - done) / fps)}")
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

    def close(self) -> None:
        pass
