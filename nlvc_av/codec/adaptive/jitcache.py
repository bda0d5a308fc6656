"""Whether numba's cache holds the adaptive stage's compiled kernels, asked before a run so that
the CLI can say why the first run on a machine is silent for a while (it compiles them: about
16 s with nothing else running, README).

Every kernel is ``@njit(cache=True)``: numba writes an index file per function
(``<module>.<function>-<line>.py<ver>.nbi``) in the function's cache folder (the package's
``__pycache__``, numba's per-user cache when that is read-only, or ``NUMBA_CACHE_DIR``), and
recompiles when the source file changed after it. :func:`cold` looks for the index files of the
kernels a run compiles first (:func:`kernels`): nothing is compiled, nothing is read but file
names and times. Not seen: a cache that lacks only one bit depth's signatures (a first 10-bit
run after 8-bit ones compiles for some seconds; its index exists).
"""
from __future__ import annotations

import os
from pathlib import Path


def kernels(direction: str, inter: bool = True) -> list:
    """The kernels a run in ``direction`` ("encode" or "decode") compiles first: the plane loop
    (its callees, both halves of the range coder among them, are compiled and cached with it)
    and, when its GOPs have P-frames (``inter``), the ones P-frames call from Python."""
    from . import compensation, lsplane, motionsearch, vectorcoder

    found = [lsplane.code_plane]
    if inter:
        found += [compensation._compensate, vectorcoder.code_field]
        found += [motionsearch._search] if direction == "encode" else []
    return found


def _indexed(dispatcher) -> bool:
    """Whether ``dispatcher``'s cache folder holds an index for it no older than its source
    (True when that cannot be told: nothing is said then)."""
    func = dispatcher.py_func
    source = Path(func.__code__.co_filename)
    stem = f"{source.stem}.{func.__qualname__}-{func.__code__.co_firstlineno}."
    try:
        folder = Path(dispatcher._cache.cache_path)   # the folder numba's locator chose
        built = source.stat().st_mtime
    except (AttributeError, OSError):
        return True
    try:
        return any(p.name.startswith(stem) and p.suffix == ".nbi" and p.stat().st_mtime >= built
                   for p in folder.iterdir())
    except FileNotFoundError:
        return False   # no cache folder yet
    except OSError:
        return True


def cold(direction: str, inter: bool = True) -> bool:
    """Whether a run in ``direction`` will first compile the stage's kernels (:func:`kernels`).
    False when numba's JIT is disabled."""
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return False
    return not all(_indexed(k) for k in kernels(direction, inter))
