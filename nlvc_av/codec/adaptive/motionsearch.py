"""Motion search of 16x16 block vectors, compiled (the adaptive stage's encoder).

``predict/motion.estimate``'s integer search (SAD at half resolution, then +-1 at full; the
same candidates in the same order, the same bias towards short vectors, the same ties) and
``predict/subpel.estimate``'s quarter-pel refinement (SAD of the integer bilinear
prediction, a length bias of 4 per quarter step), both evaluated block by block instead of
over the whole frame per candidate: the same vectors, several times faster (GIL released:
the references' searches run on threads). Encoder only:
what it decides is sent as vectors, so its arithmetic never has to match anything.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..predict import motion

BLOCK = motion.BLOCK
PAD = 48


@njit(cache=True, nogil=True)
def _block_sad(cur, pad, y0, x0, vy, vx):
    """SAD of one block against the bilinear prediction at quarter-pel (vy, vx). The phase
    is the block's own; PAD (48) exceeds the longest vector (32 pixels) plus one, so the
    clamp of subpel.compensate never binds and each row is a plain view."""
    h, w = cur.shape
    fy, fx = vy & 3, vx & 3
    wa, wb, wc, wd = (4 - fy) * (4 - fx), (4 - fy) * fx, fy * (4 - fx), fy * fx
    x1 = min(x0 + BLOCK, w)
    n = x1 - x0
    ix = x0 + (vx >> 2) + PAD
    total = 0
    for y in range(y0, min(y0 + BLOCK, h)):
        iy = y + (vy >> 2) + PAD
        crow = cur[y, x0:x1]
        a = pad[iy, ix:ix + n + 1]
        c = pad[iy + 1, ix:ix + n + 1]
        for t in range(n):
            p = (wa * a[t] + wb * a[t + 1] + wc * c[t] + wd * c[t + 1] + 8) >> 4
            total += abs(crow[t] - p)
    return total


@njit(cache=True, nogil=True)
def _refine(cur, pad, vectors):
    nby, nbx = vectors.shape[0], vectors.shape[1]
    for by in range(nby):
        for bx in range(nbx):
            vy, vx = vectors[by, bx, 0], vectors[by, bx, 1]
            for step in (2, 1):
                best = -1
                bvy, bvx = vy, vx
                for dy in (0, -step, step):
                    for dx in (0, -step, step):
                        cy = min(max(vy + dy, -128), 127)
                        cx = min(max(vx + dx, -128), 127)
                        sad = _block_sad(cur, pad, by * BLOCK, bx * BLOCK, cy, cx) + (abs(dy) + abs(dx)) * BLOCK // 4
                        if best < 0 or sad < best:
                            best, bvy, bvx = sad, cy, cx
                vy, vx = bvy, bvx
            vectors[by, bx, 0] = vy
            vectors[by, bx, 1] = vx
    return vectors


@njit(cache=True, nogil=True)
def _search(c, r, block, margin, start, offsets):
    """``motion._search`` on padded planes: per block the first offset (in ``offsets``' order)
    of the smallest SAD + (|dy| + |dx|) * block, added to the block's start vector. Rows are
    taken as views from their first sample, so the inner sums vectorise."""
    nby, nbx = start.shape[0], start.shape[1]
    out = start.copy()
    for by in range(nby):
        for bx in range(nbx):
            sy, sx = start[by, bx, 0], start[by, bx, 1]
            x0 = bx * block
            best = -1
            for o in range(offsets.shape[0]):
                dy, dx = offsets[o, 0], offsets[o, 1]
                sad = (abs(dy) + abs(dx)) * block
                rx = x0 + margin + sx + dx
                for y in range(by * block, by * block + block):
                    crow = c[y, x0:x0 + block]
                    rrow = r[y + margin + sy + dy, rx:rx + block]
                    for t in range(block):
                        sad += abs(crow[t] - rrow[t])
                if best < 0 or sad < best:
                    best = sad
                    out[by, bx, 0], out[by, bx, 1] = sy + dy, sx + dx
    return out


def _integer_search(cur: np.ndarray, ref: np.ndarray, block: int, radius: int, start) -> np.ndarray:
    """``motion._search``'s signature and vectors, through the compiled loop."""
    h, w = cur.shape
    nby, nbx = -(-h // block), -(-w // block)
    if start is None:
        start = np.zeros((nby, nbx, 2), np.int64)
    margin = radius + int(np.abs(start).max(initial=0))
    c = motion.padded(cur, nby * block, nbx * block, 0).astype(np.int32)   # int32: 8 lanes per vector
    r = motion.padded(ref, nby * block, nbx * block, margin).astype(np.int32)
    return _search(c, r, block, margin, np.ascontiguousarray(start, np.int64),
                   np.array(motion.search_offsets(radius), np.int64))


def integer_estimate(cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``predict.motion.estimate``'s vectors (integer pels), compiled."""
    return motion.estimate(cur, ref, _integer_search).astype(np.int64)


def estimate(cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Quarter-pel vectors (nby, nbx, 2) of ``cur`` against ``ref``: integer search, then refinement."""
    v = integer_estimate(cur, ref) * 4
    pad = np.pad(ref.astype(np.int32), PAD, mode="edge")   # int32: 8 lanes per vector
    return _refine(np.ascontiguousarray(cur, np.int32), pad, np.ascontiguousarray(v))
