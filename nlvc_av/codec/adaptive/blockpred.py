"""ls-v6's block prediction: HEVC's motion-compensated prediction on 8x8 luma blocks.

Video decoded from an HEVC file was predicted, block by block, by HEVC's own interpolation
(H.265 8.5.3.3: the 8-tap luma and 4-tap chroma filters, 14-bit intermediates, edges
replicated) from one or two decoded frames; where the source coded no residual, the same
arithmetic at the source's vectors reproduces its samples exactly (docs/ADAPTIVE.md: 50-60 %
of the luma of the HEVC clip's inter frames, against 24 % for ls-v5's bilinear 16x16
prediction). A frame's block field gives each 8x8 luma block a kind (the first reference
alone, the second alone, or the average of both, HEVC's default bi-prediction) and a
quarter-pel vector per reference it uses; chroma follows at the same vector (4:2:0: the
vector in eighth chroma samples), as in HEVC. The field is coded in the P-frame's side chunk
(``code_block_field``); the prediction is a reference plane of the stage (references.py's
"hv"), whose samples the stage also gives a point mass (lsplane.py).

Integer arithmetic only: the decoder computes the same planes on every machine.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import h264pred
from . import rangecoder as rc
from . import sao
from .vectorcoder import _code_bits, _code_symbol, _context, _median, start_counts, LIMIT, SYMBOLS

BLOCK = 8
LUMA_TAPS = np.array([[0, 0, 0, 64, 0, 0, 0, 0], [-1, 4, -10, 58, 17, -5, 1, 0],
                      [-1, 4, -11, 40, 40, -11, 4, -1], [0, 1, -5, 17, 58, -10, 4, -1]], np.int64)
CHROMA_TAPS = np.array([[0, 64, 0, 0], [-2, 58, 10, -2], [-4, 54, 16, -2], [-6, 46, 28, -4],
                        [-4, 36, 36, -4], [-4, 28, 46, -6], [-2, 16, 54, -4], [-2, 10, 58, -2]], np.int64)
KINDS = 3            # 0: first reference, 1: second, 2: both averaged
HEVC, H264 = 0, 1    # ls-v11: the interpolation family (h264pred.py), per window
MAX_VECTOR = 1023    # quarter pels; decoded vectors are clamped to +-this (a damaged field stays in bounds)


def shifts(bits: int) -> tuple[int, int]:
    """HEVC's (shift1, shift3) for a bit depth: the first filter pass's right shift and the
    14-bit intermediate's headroom (8.5.3.3.3.1: Min(4, BitDepth - 8), Max(2, 14 - BitDepth))."""
    return min(4, bits - 8), max(2, 14 - bits)


@njit(cache=True, nogil=True)
def _at(ref, y, x):
    h, w = ref.shape
    return np.int64(ref[min(max(y, 0), h - 1), min(max(x, 0), w - 1)])


@njit(cache=True, nogil=True)
def interpolate(ref, y0, x0, bh, bw, vy, vx, frac_bits, taps, shift1, shift3, out):
    """HEVC's 14-bit intermediate prediction of the bh x bw block at (y0, x0) of ``ref`` moved
    by (vy, vx) in units of 1 / 2^frac_bits sample, into ``out[:bh, :bw]``."""
    n = taps.shape[1]
    off = n // 2 - 1
    mask = (1 << frac_bits) - 1
    fy, fx = vy & mask, vx & mask
    iy, ix = y0 + (vy >> frac_bits), x0 + (vx >> frac_bits)
    if fy == 0 and fx == 0:
        for i in range(bh):
            for j in range(bw):
                out[i, j] = _at(ref, iy + i, ix + j) << shift3
        return
    if fy == 0:
        for i in range(bh):
            for j in range(bw):
                s = 0
                for t in range(n):
                    s += taps[fx, t] * _at(ref, iy + i, ix + j + t - off)
                out[i, j] = s >> shift1
        return
    if fx == 0:
        for i in range(bh):
            for j in range(bw):
                s = 0
                for t in range(n):
                    s += taps[fy, t] * _at(ref, iy + i + t - off, ix + j)
                out[i, j] = s >> shift1
        return
    tmp = np.empty((bh + n - 1, bw), np.int64)
    for i in range(bh + n - 1):
        for j in range(bw):
            s = 0
            for t in range(n):
                s += taps[fx, t] * _at(ref, iy + i - off, ix + j + t - off)
            tmp[i, j] = s >> shift1
    for i in range(bh):
        for j in range(bw):
            s = 0
            for t in range(n):
                s += taps[fy, t] * tmp[i + t, j]
            out[i, j] = s >> 6


@njit(cache=True, nogil=True)
def _finish(p, q, kind, bh, bw, shift3, maxval, out, y0, x0):
    """HEVC's default weighted prediction: one intermediate rounded down to samples, or the
    two averaged (8.5.3.3.4.2)."""
    if kind == 2:
        sh = shift3 + 1
        for i in range(bh):
            for j in range(bw):
                out[y0 + i, x0 + j] = min(max((p[i, j] + q[i, j] + (1 << (sh - 1))) >> sh, 0), maxval)
    else:
        src = p if kind == 0 else q
        for i in range(bh):
            for j in range(bw):
                out[y0 + i, x0 + j] = min(max((src[i, j] + (1 << (shift3 - 1))) >> shift3, 0), maxval)


@njit(cache=True, nogil=True)
def predict_plane(ref0, ref1, kinds, v0, v1, sub_y, sub_x, chroma, shift1, shift3, maxval, family, out):
    """One plane of the prediction from the block field (kinds, v0, v1: per 8x8 luma block;
    vectors in quarter luma samples). ``sub_y``, ``sub_x``: the plane's subsampling; chroma
    planes take the 4-tap filter at eighth-sample phases (``family`` H264: H.264's filters)."""
    h, w = out.shape
    bh, bw = max(1, BLOCK // sub_y), max(1, BLOCK // sub_x)
    p = np.empty((bh, bw), np.int64)
    q = np.empty((bh, bw), np.int64)
    taps = CHROMA_TAPS if chroma else LUMA_TAPS
    frac = 3 if chroma else 2
    for by in range(kinds.shape[0]):
        for bx in range(kinds.shape[1]):
            y0, x0 = by * bh, bx * bw
            if y0 >= h or x0 >= w:
                continue
            eh, ew = min(bh, h - y0), min(bw, w - x0)
            k = kinds[by, bx]
            for side in range(2):
                if k == side or k == 2:
                    v = v0 if side == 0 else v1
                    vy, vx = v[by, bx, 0], v[by, bx, 1]
                    if chroma:  # eighth chroma samples (HEVC: mv * 2 / SubWidthC)
                        vy, vx = vy * 2 // sub_y, vx * 2 // sub_x
                    if family == H264:
                        h264pred.interpolate(ref0 if side == 0 else ref1, y0, x0, eh, ew, vy, vx, chroma, shift3,
                                             maxval, p if side == 0 else q)
                    else:
                        interpolate(ref0 if side == 0 else ref1, y0, x0, eh, ew, vy, vx, frac, taps, shift1, shift3,
                                    p if side == 0 else q)
            _finish(p, q, k, eh, ew, shift3, maxval, out, y0, x0)


# -- the field in the side chunk

KIND_CONTEXTS = KINDS * KINDS


@njit(cache=True)
def _predict_vector(v, by, bx, comp):
    """Median of the left, top and top-right blocks' vectors (vectorcoder's rule, no base)."""
    nbx = v.shape[1]
    left = v[by, bx - 1, comp] if bx > 0 else 0
    if by == 0:
        return left
    top = v[by - 1, bx, comp]
    if bx == 0:
        left = top
    third = v[by - 1, bx + 1, comp] if bx + 1 < nbx else (v[by - 1, bx - 1, comp] if bx > 0 else top)
    return _median(left, top, third)


@njit(cache=True)
def code_block_field(kinds, v0, v1, kind_counts, counts, enc, dec, buf, decoding):
    """Code (or, decoding, fill) a block field in raster order: each block's kind (context:
    the left and top kinds), then the vector of each reference it uses as the residual from
    the median of its neighbours' (vectorcoder's symbols and contexts). A reference the
    block does not use takes the predicted vector, so that later medians stay smooth."""
    nby, nbx = kinds.shape
    res = np.zeros((2, nby, nbx, 2), np.int64)
    for by in range(nby):
        for bx in range(nbx):
            kl = kinds[by, bx - 1] if bx > 0 else 2
            kt = kinds[by - 1, bx] if by > 0 else 2
            kctx = kl * KINDS + kt
            k = _code_symbol(enc, dec, buf, decoding, kind_counts, kctx, 0 if decoding else kinds[by, bx])
            if decoding:
                kinds[by, bx] = k
            for side in range(2):
                v = v0 if side == 0 else v1
                uses = k == side or k == 2
                for comp in range(2):
                    p = _predict_vector(v, by, bx, comp)
                    if not uses:
                        v[by, bx, comp] = p
                        continue
                    ctx = _context(res[side], by, bx, comp)
                    r = 0 if decoding else v[by, bx, comp] - p
                    sym = LIMIT + r if -LIMIT <= r <= LIMIT else SYMBOLS - 1
                    sym = _code_symbol(enc, dec, buf, decoding, counts, side * 6 + ctx, sym)
                    if sym == SYMBOLS - 1:
                        mag = _code_bits(enc, dec, buf, decoding, abs(r) - LIMIT - 1, 11)
                        neg = _code_bits(enc, dec, buf, decoding, 1 if r < 0 else 0, 1)
                        r = -(mag + LIMIT + 1) if neg else mag + LIMIT + 1
                    else:
                        r = sym - LIMIT
                    res[side, by, bx, comp] = r
                    if decoding:
                        v[by, bx, comp] = min(max(p + r, -MAX_VECTOR), MAX_VECTOR)


def field_counts() -> tuple[np.ndarray, np.ndarray]:
    """Fresh adaptive counts: the kinds' (their own symbols: SYMBOLS wide, KINDS used) and the vectors'."""
    kinds = np.zeros((KIND_CONTEXTS, SYMBOLS), np.int64)
    kinds[:, :KINDS] = 1
    return kinds, np.concatenate([start_counts(), start_counts()])


def encode_field(kinds: np.ndarray, v0: np.ndarray, v1: np.ndarray, offsets=None, bits: int = 8) -> bytes:
    """The block field's bytes (the stage's range coder); ls-v8 codes the luma's edge offsets
    (sao.py: ``offsets`` = (types, offsets)) after it in the same stream."""
    buf = np.zeros(8 * kinds.size + 64 + (0 if offsets is None else 8 * offsets[1].size), np.uint8)
    kc, vc = field_counts()
    enc = rc.encoder_state()
    code_block_field(kinds, v0.copy(), v1.copy(), kc, vc, enc, np.zeros(4, np.int64), buf, False)
    if offsets is not None:
        sao.code_params(offsets[0], offsets[1], sao.max_offset(bits), enc, np.zeros(4, np.int64), buf, False)
    return buf[:rc.finish(enc, buf)].tobytes()


def decode_field(data: bytes, grid: tuple[int, int], offsets_grid=None, bits: int = 8):
    """(kinds, v0, v1), and with ``offsets_grid`` (ls-v8) the edge offsets' (types, offsets)."""
    buf = np.frombuffer(data, np.uint8).copy()
    kinds = np.zeros(grid, np.int64)
    v0 = np.zeros(grid + (2,), np.int64)
    v1 = np.zeros(grid + (2,), np.int64)
    kc, vc = field_counts()
    dec = rc.decoder_state(buf)
    enc = np.zeros(5, np.int64)
    code_block_field(kinds, v0, v1, kc, vc, enc, dec, buf, True)
    if kinds.max(initial=0) >= KINDS:
        raise ValueError("damaged block field: a block kind out of range")
    if offsets_grid is None:
        return (kinds, v0, v1), None
    types = np.zeros(offsets_grid, np.int64)
    offsets = np.zeros(offsets_grid + (5,), np.int64)
    sao.code_params(types, offsets, sao.max_offset(bits), enc, dec, buf, True)
    return (kinds, v0, v1), (types, offsets)


def family_of(pair) -> int:
    """The interpolation family of a block prediction's pair (first, second, midway[, family])."""
    return pair[3] if len(pair) > 3 else HEVC


def predict(field, first: list[np.ndarray], second: list[np.ndarray] | None, bits: int,
            family: int = HEVC) -> list[np.ndarray]:
    """Every plane of the block prediction from ``first`` and ``second`` (the references'
    planes; None: one reference, which then stands for both)."""
    second = second if second is not None else first
    return [predict_one(field, a, b, k, first[0].shape, bits, family) for k, (a, b) in enumerate(zip(first, second))]


def predict_one(field, a: np.ndarray, b: np.ndarray, k: int, luma_shape, bits: int, family: int = HEVC) -> np.ndarray:
    """Plane k of the block prediction from the two references' plane k (``a``, ``b``)."""
    kinds, v0, v1 = field
    shift1, shift3 = shifts(bits)
    sub_y, sub_x = -(-luma_shape[0] // a.shape[0]), -(-luma_shape[1] // a.shape[1])
    plane = np.zeros(a.shape, np.int32)
    predict_plane(np.ascontiguousarray(a, np.int32), np.ascontiguousarray(b, np.int32), kinds, v0, v1,
                  sub_y, sub_x, k in (1, 2), shift1, shift3, (1 << bits) - 1, family, plane)
    return plane
