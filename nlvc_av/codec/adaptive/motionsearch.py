"""Quarter-pel refinement of 16x16 block vectors, compiled (the adaptive stage's encoder).

The same criterion as ``predict/subpel.estimate`` (SAD of the integer bilinear prediction,
candidates in the same order, a length bias of 4 per quarter step), evaluated block by block
instead of compensating the whole frame per candidate. Encoder only: what it decides is sent
as vectors, so its arithmetic never has to match anything.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..predict import motion

BLOCK = motion.BLOCK
PAD = 48


@njit(cache=True)
def _block_sad(cur, pad, y0, x0, vy, vx):
    h, w = cur.shape
    hp, wp = pad.shape
    total = 0
    for y in range(y0, min(y0 + BLOCK, h)):
        for x in range(x0, min(x0 + BLOCK, w)):
            py = y * 4 + vy
            px = x * 4 + vx
            iy = (py >> 2) + PAD
            ix = (px >> 2) + PAD
            fy = py & 3
            fx = px & 3
            iy = min(max(iy, 0), hp - 2)
            ix = min(max(ix, 0), wp - 2)
            p = ((4 - fy) * (4 - fx) * pad[iy, ix] + (4 - fy) * fx * pad[iy, ix + 1]
                 + fy * (4 - fx) * pad[iy + 1, ix] + fy * fx * pad[iy + 1, ix + 1] + 8) // 16
            total += abs(np.int64(cur[y, x]) - p)
    return total


@njit(cache=True)
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


def estimate(cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Quarter-pel vectors (nby, nbx, 2) of ``cur`` against ``ref``: integer search, then refinement."""
    v = motion.estimate(cur, ref).astype(np.int64) * 4
    pad = np.pad(ref.astype(np.int64), PAD, mode="edge")
    return _refine(np.ascontiguousarray(cur, np.int64), pad, np.ascontiguousarray(v))
