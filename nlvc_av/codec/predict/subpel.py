"""Quarter-pel block motion (syntax gop-v3): search, integer-exact compensation, vector coding.

One vector per 16x16 luma block, in quarter luma pixels. A plane subsampled by (sy, sx)
uses the same vector in units of 1/(4 sy) x 1/(4 sx) of its own pixels, so chroma sits at
its own sub-pel phase (never rounded). The prediction is bilinear between the four
nearest reference samples (edges replicated):

    p = ((Fy - fy)(Fx - fx) a + (Fy - fy) fx b + fy (Fx - fx) c + fy fx d + Fy Fx / 2) // (Fy Fx)

with Fy = 4 sy, Fx = 4 sx and (fy, fx) the fractional phase: integers only, the same on any
machine. Vectors are coded as the difference to the left neighbour's (the first column's
to zero), each component as a byte (v is in [-128, 127]; the difference wraps mod 256),
with one adaptive table.
"""
from __future__ import annotations

import numpy as np

from . import motion

BLOCK = motion.BLOCK
SYMBOLS = 256
PAD = 48  # reference margin: covers the largest vector (|v| <= 127 quarter pixels < 32 pixels)


def grid(shape: tuple[int, int]) -> tuple[int, int]:
    h, w = shape
    return -(-h // BLOCK), -(-w // BLOCK)


def compensate(ref: np.ndarray, vectors: np.ndarray, sub_y: int = 1, sub_x: int = 1) -> np.ndarray:
    """The prediction of a plane (subsampled by sub_y, sub_x) from quarter-pel luma vectors."""
    h, w = ref.shape
    fy_den, fx_den = 4 * sub_y, 4 * sub_x
    by, bx = BLOCK // sub_y, BLOCK // sub_x
    padded = np.pad(ref.astype(np.int64), PAD, mode="edge")
    yy, xx = np.mgrid[0:h, 0:w]
    iy = np.minimum(yy // by, vectors.shape[0] - 1)
    ix = np.minimum(xx // bx, vectors.shape[1] - 1)
    py = yy * fy_den + vectors[iy, ix, 0]
    px = xx * fx_den + vectors[iy, ix, 1]
    y0, fy = np.divmod(py, fy_den)
    x0, fx = np.divmod(px, fx_den)
    y0 = np.clip(y0 + PAD, 0, h + 2 * PAD - 2)
    x0 = np.clip(x0 + PAD, 0, w + 2 * PAD - 2)
    a, b = padded[y0, x0], padded[y0, x0 + 1]
    c, d = padded[y0 + 1, x0], padded[y0 + 1, x0 + 1]
    den = fy_den * fx_den
    num = ((fy_den - fy) * (fx_den - fx) * a + (fy_den - fy) * fx * b + fy * (fx_den - fx) * c + fy * fx * d)
    return ((num + den // 2) // den).astype(ref.dtype)


def _block_sad(cur: np.ndarray, pred: np.ndarray) -> np.ndarray:
    h, w = cur.shape
    nby, nbx = grid(cur.shape)
    d = np.abs(cur.astype(np.int32) - pred.astype(np.int32))
    d = np.pad(d, ((0, nby * BLOCK - h), (0, nbx * BLOCK - w)))
    return d.reshape(nby, BLOCK, nbx, BLOCK).sum(axis=(1, 3))


def estimate(cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Quarter-pel vectors: the integer search, then half- and quarter-pel refinement by SAD
    (ties and a small length bias favour the shorter step). Encoder side: any arithmetic."""
    v = motion.estimate(cur, ref).astype(np.int64) * 4
    for step in (2, 1):
        best, best_v = None, v
        for dy in (0, -step, step):
            for dx in (0, -step, step):
                cand = np.clip(v + (dy, dx), -128, 127)
                sad = _block_sad(cur, compensate(ref, cand)) + (abs(dy) + abs(dx)) * BLOCK // 4
                if best is None:
                    best, best_v = sad, cand.copy()
                else:
                    better = sad < best
                    best = np.where(better, sad, best)
                    best_v[better] = cand[better]
        v = best_v
    return v


def code_vectors(coder, table, shape: tuple[int, int], vectors: np.ndarray | None) -> np.ndarray:
    """Code (or decode, ``vectors`` None) the vectors of a luma plane of ``shape``."""
    nby, nbx = grid(shape)
    zeros = np.zeros(nby * nbx * 2, np.int64)
    if vectors is not None:
        left = np.concatenate([np.zeros((nby, 1, 2), np.int64), vectors[:, :-1]], axis=1)
        symbols = ((vectors - left) & 255).reshape(-1).astype(np.int32)
        coder.code_group(table, zeros, symbols)
        return vectors
    diffs = coder.code_group(table, zeros, None).astype(np.int64).reshape(nby, nbx, 2)
    out = np.empty_like(diffs)
    left = np.zeros((nby, 2), np.int64)
    for j in range(nbx):  # a column at a time: each depends on the one to its left
        left = ((left + diffs[:, j] + 128) & 255) - 128
        out[:, j] = left
    return out


class QuarterPelMotion(motion.IntegerMotion):
    """Syntax gop-v3: the functions above, as the GOP syntax uses them."""

    symbols = SYMBOLS
    search = staticmethod(estimate)
    predict_plane = staticmethod(compensate)

    def code(self, coder, table, shape: tuple[int, int], vectors: np.ndarray | None) -> np.ndarray:
        return code_vectors(coder, table, shape, vectors)
