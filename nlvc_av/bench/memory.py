"""Peak memory of a benchmark phase: this process's high-water mark, and its workers'.

``peak_rss()`` is getrusage's ru_maxrss (psutil's peak working set where ``resource`` is
missing); ``TreePeak`` samples this process plus its worker processes (NLVC's GOP pool),
which ru_maxrss does not see.
"""
from __future__ import annotations

import os
import sys


def peak_rss() -> int | None:
    """This process's peak resident set size in bytes (None where it cannot be read)."""
    try:
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(kb) if sys.platform == "darwin" else int(kb) * 1024
    except ImportError:
        pass
    try:
        import psutil
        info = psutil.Process().memory_info()
        return int(getattr(info, "peak_wset", 0)) or None
    except Exception:
        return None


class TreePeak:
    """The peak of this process's resident size plus its worker processes' (the GOP pool's),
    sampled every ``every`` seconds on a thread: ru_maxrss sees this process only. Without
    psutil it samples this process alone."""

    def __init__(self, every: float = 0.05):
        import threading
        try:
            import psutil
        except ImportError:
            psutil = None
        self._psutil = psutil
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        psutil = self._psutil
        if psutil is None:
            return current_rss() or 0
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # a worker that just exited
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(self.every)

    def __enter__(self) -> "TreePeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def current_rss() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        pass
    try:
        import psutil
        return int(psutil.Process().memory_info().rss)
    except Exception:
        return None
