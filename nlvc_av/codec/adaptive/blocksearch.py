"""ls-v6's encoder: the block field of blockpred.py, searched for exact predictions.

Per 8x8 luma block, by SAD against the HEVC (or H.264: h264pred.py) interpolation of each
reference (looked up in the reference's 16 quarter-pel phase planes, built once per frame):
first the whole prediction (kind and vectors) of the left, top, top-right or top-left block
where it reproduces the block exactly (HEVC's merge; measured on B-frames decoded from x265
and x264: 1-5 points more exact luma, a field up to 40 % smaller, 2.1-2.2 % fewer bytes on
bus); else each reference's best
vector +-``R`` quarter pels around the best start among ls-v5's 16x16 vector and the left and
top blocks' vectors (HEVC's merge candidates, roughly); then the two averaged, refined one
side at a time, and, for a frame midway between its references, the symmetric pairs (the
first reference at -v, the second at +v) +-``R_SYM`` around the second's vector: the search
measured on the HEVC clip found the most exact blocks that way (docs/ADAPTIVE.md). Encoder
only: what it decides is sent, so its arithmetic never has to match anything.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import h264pred, motionsearch
from .blockpred import BLOCK, H264, HEVC, LUMA_TAPS, MAX_VECTOR, family_of, interpolate, shifts

PAD = 80             # phase planes reach this far beyond the frame (candidates stay inside)
PAD_TRIAL = 48       # ... and beyond a trial's rows, above and below (vectors of +-32 pels and more)
R = 4                # quarter pels around the start, each reference alone
R_JOINT = 2          # ... around each side's vector when refining the average
R_SYM = 8            # ... around the second reference's vector, symmetric pairs
TIE = 64             # SADs scaled by this, plus the distance from the start: ties go to short moves


@njit(cache=True, nogil=True)
def phase_planes(ref, top, shift1, shift3, out):
    """out[fy * 4 + fx, y, x]: the 14-bit intermediate at (top + y + fy / 4, x - PAD + fx / 4)."""
    hp, wp = out.shape[1], out.shape[2]
    for fy in range(4):
        for fx in range(4):
            interpolate(ref, top, -PAD, hp, wp, fy, fx, 2, LUMA_TAPS, shift1, shift3, out[fy * 4 + fx])


@njit(cache=True, nogil=True)
def _inside(ph, top, y0, x0, vy, vx):
    yy, xx = y0 + (vy >> 2) - top, x0 + (vx >> 2) + PAD
    return (yy >= 0 and xx >= 0 and yy + BLOCK <= ph.shape[1] and xx + BLOCK <= ph.shape[2]
            and abs(vy) <= MAX_VECTOR and abs(vx) <= MAX_VECTOR)


@njit(cache=True, nogil=True)
def _sad(cur, top, y0, x0, eh, ew, pa, va, pb, vb, kind, shift3, maxval):
    """SAD of the block against kind 0 (pa at va), 1 (pb at vb) or 2 (both averaged); the
    phase planes' first row is frame row ``top``."""
    total = 0
    ka = (va[0] & 3) * 4 + (va[1] & 3)
    kb = (vb[0] & 3) * 4 + (vb[1] & 3)
    ya, xa = y0 + (va[0] >> 2) - top, x0 + (va[1] >> 2) + PAD
    yb, xb = y0 + (vb[0] >> 2) - top, x0 + (vb[1] >> 2) + PAD
    for i in range(eh):
        for j in range(ew):
            if kind == 2:
                sh = shift3 + 1
                p = (np.int64(pa[ka, ya + i, xa + j]) + pb[kb, yb + i, xb + j] + (1 << (sh - 1))) >> sh
            elif kind == 0:
                p = (np.int64(pa[ka, ya + i, xa + j]) + (1 << (shift3 - 1))) >> shift3
            else:
                p = (np.int64(pb[kb, yb + i, xb + j]) + (1 << (shift3 - 1))) >> shift3
            p = min(max(p, 0), maxval)
            total += abs(cur[y0 + i, x0 + j] - p)
    return total


@njit(cache=True, nogil=True)
def _merged(cur, top, y0, x0, eh, ew, ph0, ph1, two, shift3, maxval, by0, by, bx, kinds, v0, v1):
    """Whether a neighbour's whole prediction (kind and vectors) reproduces this block exactly;
    it then takes it (HEVC's merge: a field the source's encoder made smooth,
    and cheap to code)."""
    nbx = kinds.shape[1]
    for c in range(4):   # left, top, top-right, top-left (HEVC's merge candidates A1, B1, B0, B2)
        ny, nx = (by, bx - 1) if c == 0 else (by - 1, bx + c - 1 if c < 3 else bx - 1)
        if ny < by0 or nx < 0 or nx >= nbx:
            continue
        k = kinds[ny, nx]
        if k > 0 and not two:
            continue
        va, vb = v0[ny, nx], v1[ny, nx]
        if not ((k == 1 or _inside(ph0, top, y0, x0, va[0], va[1]))
                and (k == 0 or _inside(ph1, top, y0, x0, vb[0], vb[1]))):
            continue
        if _sad(cur, top, y0, x0, eh, ew, ph0, va, ph1, vb, k, shift3, maxval) == 0:
            kinds[by, bx] = k
            v0[by, bx, 0], v0[by, bx, 1] = va[0], va[1]
            v1[by, bx, 0], v1[by, bx, 1] = vb[0], vb[1]
            return True
    return False


@njit(cache=True, nogil=True)
def search_rows(cur, ph0, ph1, top, base0, base1, symmetric, shift3, maxval, by0, by1, kinds, v0, v1):
    """Fill kinds / v0 / v1 for block rows by0..by1 - 1. ``base0``/``base1``: 16x16 vectors
    (quarter pels) of each reference; ``ph1`` may be ``ph0`` (one reference: kind 0 only)."""
    h, w = cur.shape
    nbx = kinds.shape[1]
    two = ph1.shape[1] > 1
    va = np.zeros(2, np.int64)
    vb = np.zeros(2, np.int64)
    cand = np.zeros(2, np.int64)
    best_v = np.zeros((2, 2), np.int64)
    best_s = np.zeros(2, np.int64)
    for by in range(by0, by1):
        for bx in range(nbx):
            y0, x0 = by * BLOCK, bx * BLOCK
            eh, ew = min(BLOCK, h - y0), min(BLOCK, w - x0)
            gy, gx = min(y0 // 16, base0.shape[0] - 1), min(x0 // 16, base0.shape[1] - 1)
            if _merged(cur, top, y0, x0, eh, ew, ph0, ph1, two, shift3, maxval, by0, by, bx, kinds, v0, v1):
                continue
            for side in range(2 if two else 1):
                ph = ph0 if side == 0 else ph1
                base = base0 if side == 0 else base1
                v = v0 if side == 0 else v1
                bs = np.int64(-1)
                # the start: ls-v5's vector, or the left or top block's for this reference
                for c in range(3):
                    if c == 0:
                        cand[0], cand[1] = base[gy, gx, 0], base[gy, gx, 1]
                    elif c == 1:
                        if bx == 0:
                            continue
                        cand[0], cand[1] = v[by, bx - 1, 0], v[by, bx - 1, 1]
                    else:
                        if by == by0:
                            continue
                        cand[0], cand[1] = v[by - 1, bx, 0], v[by - 1, bx, 1]
                    if not _inside(ph, top, y0, x0, cand[0], cand[1]):
                        continue
                    s = _sad(cur, top, y0, x0, eh, ew, ph, cand, ph, cand, 0, shift3, maxval)
                    if bs < 0 or s < bs:
                        bs = s
                        best_v[side, 0], best_v[side, 1] = cand[0], cand[1]
                if bs < 0:
                    best_v[side, 0], best_v[side, 1] = 0, 0
                    bs = _sad(cur, top, y0, x0, eh, ew, ph, best_v[side], ph, best_v[side], 0, shift3, maxval)
                cy, cx = best_v[side, 0], best_v[side, 1]
                # ties go to the vector nearest the start (the neighbours' vectors: cheaper to code)
                bs *= TIE
                for dy in range(-R, R + 1):
                    for dx in range(-R, R + 1):
                        cand[0], cand[1] = cy + dy, cx + dx
                        if bs < TIE or not _inside(ph, top, y0, x0, cand[0], cand[1]):
                            continue
                        s = _sad(cur, top, y0, x0, eh, ew, ph, cand, ph, cand, 0, shift3, maxval) * TIE + abs(dy) + abs(dx)
                        if s < bs:
                            bs = s
                            best_v[side, 0], best_v[side, 1] = cand[0], cand[1]
                bs //= TIE
                best_s[side] = bs
            kind = 0
            score = best_s[0]
            va[:] = best_v[0]
            vb[:] = best_v[0]
            if two:
                if best_s[1] < score:
                    kind, score = 1, best_s[1]
                vb[:] = best_v[1]
                if score > 0:
                    bi = _sad(cur, top, y0, x0, eh, ew, ph0, best_v[0], ph1, best_v[1], 2, shift3, maxval)
                    pa, pb = best_v[0].copy(), best_v[1].copy()
                    for side in range(2):  # the average, refined one side at a time
                        mv = pa if side == 0 else pb
                        cy, cx = mv[0], mv[1]
                        for dy in range(-R_JOINT, R_JOINT + 1):
                            for dx in range(-R_JOINT, R_JOINT + 1):
                                cand[0], cand[1] = cy + dy, cx + dx
                                if not _inside(ph0 if side == 0 else ph1, top, y0, x0, cand[0], cand[1]):
                                    continue
                                if side == 0:
                                    s = _sad(cur, top, y0, x0, eh, ew, ph0, cand, ph1, pb, 2, shift3, maxval)
                                else:
                                    s = _sad(cur, top, y0, x0, eh, ew, ph0, pa, ph1, cand, 2, shift3, maxval)
                                if s < bi:
                                    bi = s
                                    mv[0], mv[1] = cand[0], cand[1]
                    if symmetric and bi > 0:
                        sa = np.zeros(2, np.int64)
                        sb = np.zeros(2, np.int64)
                        cy, cx = base1[gy, gx, 0], base1[gy, gx, 1]
                        for dy in range(-R_SYM, R_SYM + 1):
                            for dx in range(-R_SYM, R_SYM + 1):
                                sb[0], sb[1] = cy + dy, cx + dx
                                sa[0], sa[1] = -sb[0], -sb[1]
                                if not (_inside(ph1, top, y0, x0, sb[0], sb[1]) and _inside(ph0, top, y0, x0, sa[0], sa[1])):
                                    continue
                                s = _sad(cur, top, y0, x0, eh, ew, ph0, sa, ph1, sb, 2, shift3, maxval)
                                if s < bi:
                                    bi = s
                                    pa[:] = sa
                                    pb[:] = sb
                    if bi < score:
                        kind, score = 2, bi
                        va[:] = pa
                        vb[:] = pb
                    else:
                        va[:] = best_v[0]
            kinds[by, bx] = kind
            v0[by, bx, 0], v0[by, bx, 1] = va[0], va[1]
            v1[by, bx, 0], v1[by, bx, 1] = vb[0], vb[1]


def grid(luma_shape) -> tuple[int, int]:
    """Blocks of the field: 8x8 luma blocks, the last row and column partial."""
    return -(-luma_shape[0] // BLOCK), -(-luma_shape[1] // BLOCK)


def spans_of(rows: np.ndarray) -> list[tuple[int, int]]:
    """The runs of 8x8 block rows that cover the luma ``rows`` (sorted)."""
    blocks = np.unique(np.asarray(rows) // BLOCK)
    breaks = np.flatnonzero(np.diff(blocks) > 1) + 1
    return [(int(run[0]), int(run[-1]) + 1) for run in np.split(blocks, breaks) if run.size]



def phases_of(ref: np.ndarray, bits: int, rows=None, family: int = HEVC) -> tuple[np.ndarray, int]:
    """(phase planes, the frame row of their first row) of the whole plane, or of the rows
    ``rows`` = (a, b) and PAD_TRIAL beyond them (a trial's: a third of a 1080p frame's work);
    ``family`` H264: H.264's values in HEVC's intermediate scale (h264pred.py)."""
    shift1, shift3 = shifts(bits)
    top, height = (-PAD, ref.shape[0] + 2 * PAD) if rows is None else (rows[0] - PAD_TRIAL, rows[1] - rows[0] + 2 * PAD_TRIAL)
    out = np.empty((16, height, ref.shape[1] + 2 * PAD), np.int32)
    if family == H264:
        h264pred.phase_planes(np.ascontiguousarray(ref, np.int32), top, -PAD, shift3, (1 << bits) - 1, out)
    else:
        phase_planes(np.ascontiguousarray(ref, np.int32), top, shift1, shift3, out)
    return out, top


def search(cur, refs, bases, symmetric: bool, bits: int, spans=None, mapper=map, family: int = HEVC):
    """The block field (kinds, v0, v1) of luma plane ``cur`` from ``refs`` = (first frame's luma,
    second's or None) and their 16x16 vectors ``bases``. ``spans``: the block rows to search
    (a trial's, each with phase planes of its own rows), else all (two halves on ``mapper``:
    the stage's threads, the search releases the GIL)."""
    nby, nbx = grid(cur.shape)
    kinds = np.zeros((nby, nbx), np.int64)
    v0 = np.zeros((nby, nbx, 2), np.int64)
    v1 = np.zeros((nby, nbx, 2), np.int64)
    cur = np.ascontiguousarray(cur, np.int64)
    one = np.zeros((1, 1, 1), np.int32)
    b0 = np.ascontiguousarray(bases[0], np.int64)
    b1 = np.ascontiguousarray(bases[1] if bases[1] is not None else bases[0], np.int64)
    _, shift3 = shifts(bits)
    whole = None
    if spans is None:
        whole = [phases_of(r, bits, None, family) if r is not None else (one, 0) for r in refs]
        spans = [(0, nby // 2), (nby // 2, nby)]

    def run(span):
        by0, by1 = span
        rows = (by0 * BLOCK, min(cur.shape[0], by1 * BLOCK))
        (ph0, top), (ph1, _) = whole or [phases_of(r, bits, rows, family) if r is not None else (one, 0) for r in refs]
        search_rows(cur, ph0, ph1, top, b0, b1, symmetric, shift3, (1 << bits) - 1, by0, by1, kinds, v0, v1)

    list(mapper(run, [s for s in spans if s[1] > s[0]]))
    return kinds, v0, v1


def searcher(cur: np.ndarray, pair, bits: int, mapper=map, known=()):
    """``search(spans)``: the block field of luma plane ``cur`` on block-row spans (None: all),
    from ``pair`` = (first frame's planes, second's or None, whether ``cur`` is midway[, the
    interpolation family]). ``known``: (frame, 16x16 vectors of ``cur`` against it) already
    searched (the stage's mc)."""
    first, second, symmetric = pair[:3]

    def base(frame):
        if frame is None:
            return None
        for f, vectors in known:
            if f is frame:
                return vectors
        return motionsearch.estimate(cur, frame[0])

    bases = (base(first), base(second))
    refs = (first[0], second[0] if second is not None else None)
    return lambda spans: search(cur, refs, bases, symmetric, bits, spans, mapper, family_of(pair))
