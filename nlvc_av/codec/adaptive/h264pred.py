"""H.264's motion-compensated sample values, for the block prediction of video decoded from H.264.

H.264 (8.4.2.2) interpolates luma at half-sample positions with the 6-tap filter
(1, -5, 20, 20, -5, 1) / 32, the centre from the unrounded horizontal halves (/ 1024), and at
quarter positions averages the two nearest integer or half samples, rounding up; chroma takes
the bilinear eighth-sample filter. Every value is a sample (rounded and clipped), and its
default bi-prediction is the two averaged, rounding up. Returned here shifted left by HEVC's
``shift3``, these values stand in for HEVC's 14-bit intermediates in blockpred.py and
blocksearch.py, whose rounding then gives exactly H.264's: (A << s + (1 << s - 1)) >> s = A,
and (A << s + B << s + (1 << s)) >> (s + 1) = (A + B + 1) >> 1.

Integer arithmetic only, edges replicated (H.264's reference padding).
"""
from __future__ import annotations

import numpy as np
from numba import njit

TAPS = (1, -5, 20, 20, -5, 1)


@njit(cache=True, nogil=True)
def _at(ref, y, x):
    h, w = ref.shape
    return np.int64(ref[min(max(y, 0), h - 1), min(max(x, 0), w - 1)])


@njit(cache=True, nogil=True)
def _tap6(ref, y, x, dy, dx):
    """The 6-tap sum between (y, x) and (y + dy, x + dx), unrounded."""
    return (_at(ref, y - 2 * dy, x - 2 * dx) - 5 * _at(ref, y - dy, x - dx) + 20 * _at(ref, y, x)
            + 20 * _at(ref, y + dy, x + dx) - 5 * _at(ref, y + 2 * dy, x + 2 * dx) + _at(ref, y + 3 * dy, x + 3 * dx))


@njit(cache=True, nogil=True)
def _clip(v, maxval):
    return min(max(v, 0), maxval)


@njit(cache=True, nogil=True)
def _half_h(ref, y, x, maxval):   # b: half a sample right of (y, x)
    return _clip((_tap6(ref, y, x, 0, 1) + 16) >> 5, maxval)


@njit(cache=True, nogil=True)
def _half_v(ref, y, x, maxval):   # h: half a sample below (y, x)
    return _clip((_tap6(ref, y, x, 1, 0) + 16) >> 5, maxval)


@njit(cache=True, nogil=True)
def _centre(ref, y, x, maxval):   # j: from the unrounded horizontal halves of six rows
    s = (_tap6(ref, y - 2, x, 0, 1) - 5 * _tap6(ref, y - 1, x, 0, 1) + 20 * _tap6(ref, y, x, 0, 1)
         + 20 * _tap6(ref, y + 1, x, 0, 1) - 5 * _tap6(ref, y + 2, x, 0, 1) + _tap6(ref, y + 3, x, 0, 1))
    return _clip((s + 512) >> 10, maxval)


@njit(cache=True, nogil=True)
def luma_sample(ref, y, x, fy, fx, maxval):
    """The luma sample at (y + fy / 4, x + fx / 4) (H.264's Table 8-12)."""
    if fx == 0 and fy == 0:
        return _at(ref, y, x)
    if fy == 0:
        b = _half_h(ref, y, x, maxval)
        return b if fx == 2 else (_at(ref, y, x + (1 if fx == 3 else 0)) + b + 1) >> 1
    if fx == 0:
        h = _half_v(ref, y, x, maxval)
        return h if fy == 2 else (_at(ref, y + (1 if fy == 3 else 0), x) + h + 1) >> 1
    if fx == 2 or fy == 2:
        j = _centre(ref, y, x, maxval)
        if fx == 2 and fy == 2:
            return j
        if fx == 2:   # f, q: with the horizontal half above / below
            return (j + _half_h(ref, y + (1 if fy == 3 else 0), x, maxval) + 1) >> 1
        return (j + _half_v(ref, y, x + (1 if fx == 3 else 0), maxval) + 1) >> 1   # i, k
    # e, g, p, r: the two nearest halves, diagonally
    return (_half_h(ref, y + (1 if fy == 3 else 0), x, maxval) + _half_v(ref, y, x + (1 if fx == 3 else 0), maxval) + 1) >> 1


@njit(cache=True, nogil=True)
def chroma_sample(ref, y, x, fy, fx):
    """The chroma sample at (y + fy / 8, x + fx / 8): H.264's bilinear filter."""
    return ((8 - fx) * (8 - fy) * _at(ref, y, x) + fx * (8 - fy) * _at(ref, y, x + 1)
            + (8 - fx) * fy * _at(ref, y + 1, x) + fx * fy * _at(ref, y + 1, x + 1) + 32) >> 6


@njit(cache=True, nogil=True)
def interpolate(ref, y0, x0, bh, bw, vy, vx, chroma, shift3, maxval, out):
    """blockpred.interpolate's block, with H.264's values shifted left by ``shift3``: luma
    vectors in quarter samples, chroma in eighths."""
    frac = 3 if chroma else 2
    mask = (1 << frac) - 1
    fy, fx = vy & mask, vx & mask
    iy, ix = y0 + (vy >> frac), x0 + (vx >> frac)
    for i in range(bh):
        for j in range(bw):
            v = chroma_sample(ref, iy + i, ix + j, fy, fx) if chroma else luma_sample(ref, iy + i, ix + j, fy, fx, maxval)
            out[i, j] = v << shift3


@njit(cache=True, nogil=True)
def phase_planes(ref, top, left, shift3, maxval, out):
    """out[fy * 4 + fx, y, x]: the luma value at (top + y + fy / 4, left + x + fx / 4) << shift3
    (blocksearch's phase planes, left = -PAD): ``luma_sample``'s values, each half sample and
    centre computed once per position instead of once per phase that uses it."""
    hp, wp = out.shape[1], out.shape[2]
    g = np.empty((hp + 1, wp + 1), np.int32)
    b = np.empty((hp + 1, wp + 1), np.int32)
    h = np.empty((hp + 1, wp + 1), np.int32)
    for y in range(hp + 1):
        for x in range(wp + 1):
            g[y, x] = _at(ref, top + y, left + x)
            b[y, x] = _half_h(ref, top + y, left + x, maxval)
            h[y, x] = _half_v(ref, top + y, left + x, maxval)
    for y in range(hp):
        for x in range(wp):
            j = _centre(ref, top + y, left + x, maxval)
            for fy in range(4):
                dy = 1 if fy == 3 else 0
                for fx in range(4):
                    dx = 1 if fx == 3 else 0
                    if fx == 0 and fy == 0:
                        v = np.int64(g[y, x])
                    elif fy == 0:
                        v = b[y, x] if fx == 2 else (g[y, x + dx] + b[y, x] + 1) >> 1
                    elif fx == 0:
                        v = h[y, x] if fy == 2 else (g[y + dy, x] + h[y, x] + 1) >> 1
                    elif fx == 2 and fy == 2:
                        v = j
                    elif fx == 2:
                        v = (j + b[y + dy, x] + 1) >> 1
                    elif fy == 2:
                        v = (j + h[y, x + dx] + 1) >> 1
                    else:
                        v = (b[y + dy, x] + h[y, x + dx] + 1) >> 1
                    out[fy * 4 + fx, y, x] = np.int64(v) << shift3
