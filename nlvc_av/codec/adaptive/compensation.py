"""Quarter-pel motion compensation of the adaptive stage, compiled.

``predict/subpel.compensate``'s integer arithmetic sample by sample (bilinear between the
four nearest reference samples at the vector's phase, edges replicated, rounded by
``+ den // 2`` and floor division): the same integers, without the whole-frame index arrays
that made it the slowest step of a 1080p P-frame (0.46 s per reference, encoder and decoder).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..predict import subpel

BLOCK = subpel.BLOCK
PAD = subpel.PAD


@njit(cache=True, nogil=True)
def _compensate(ref, vectors, sub_y, sub_x, out):
    h, w = ref.shape
    fy_den, fx_den = 4 * sub_y, 4 * sub_x
    by, bx = BLOCK // sub_y, BLOCK // sub_x
    den = fy_den * fx_den
    shift = 0
    while (1 << shift) < den:
        shift += 1
    exact_shift = (1 << shift) == den   # num >= 0, so >> is the floor division
    nby, nbx = vectors.shape[0], vectors.shape[1]
    # subpel pads by PAD and clips the top-left corner to the padded plane; padded row r is
    # the reference's row clip(r - PAD, 0, h - 1) (columns alike)
    top, left = h + 2 * PAD - 2, w + 2 * PAD - 2
    for y in range(h):
        iy = min(y // by, nby - 1)
        for jx in range(nbx):
            xs = jx * bx
            if xs >= w:
                break
            xe = w if jx == nbx - 1 else min(xs + bx, w)
            vy, vx = vectors[iy, jx, 0], vectors[iy, jx, 1]
            # y * fy_den + vy = (y + vy // fy_den) * fy_den + the phase fy (floor division)
            y0 = y + vy // fy_den
            fy = vy - (vy // fy_den) * fy_den
            dxi = vx // fx_den
            fx = vx - dxi * fx_den
            r0 = min(max(y0 + PAD, 0), top) - PAD
            ya, yb = min(max(r0, 0), h - 1), min(max(r0 + 1, 0), h - 1)
            wa, wb = (fy_den - fy) * (fx_den - fx), (fy_den - fy) * fx
            wc, wd = fy * (fx_den - fx), fy * fx
            for x in range(xs, xe):
                c0 = min(max(x + dxi + PAD, 0), left) - PAD
                xa, xb = min(max(c0, 0), w - 1), min(max(c0 + 1, 0), w - 1)
                num = (wa * np.int64(ref[ya, xa]) + wb * np.int64(ref[ya, xb])
                       + wc * np.int64(ref[yb, xa]) + wd * np.int64(ref[yb, xb])) + den // 2
                out[y, x] = (num >> shift) if exact_shift else num // den


def compensate(ref: np.ndarray, vectors: np.ndarray, sub_y: int = 1, sub_x: int = 1) -> np.ndarray:
    """``subpel.compensate(ref, vectors, sub_y, sub_x)``, compiled (a test checks they agree)."""
    out = np.empty(ref.shape, ref.dtype)
    _compensate(np.ascontiguousarray(ref), np.ascontiguousarray(vectors, np.int64), sub_y, sub_x, out)
    return out


def compensate_frame(frame: list[np.ndarray], vectors: np.ndarray) -> list[np.ndarray]:
    """Every plane of ``frame`` predicted with the luma vectors at its own subsampling
    (``subpel.QuarterPelMotion().compensate``)."""
    h, w = frame[0].shape
    return [compensate(p, vectors, -(-h // p.shape[0]), -(-w // p.shape[1])) for p in frame]
