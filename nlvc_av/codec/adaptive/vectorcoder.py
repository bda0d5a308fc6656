"""Motion vectors of ls-v4's side chunk: predicted from their neighbours, coded adaptively.

ls-v1..v3 code each 16x16 block's quarter-pel vector as its difference from the left block
through a table that stays uniform within the frame: 16 bits a vector, up to 4 % of a
P-frame with three motion-compensated references (calendar). Here, block by block in raster
order and for each component, the vector is predicted by the median of its left, top and
top-right neighbours (H.264's rule; a missing neighbour counts as the left one, the first
block predicts 0); for the second and third reference, whose motion is about twice and three
times the first's, the median takes the first reference's vector at the block, scaled by the
distance, in place of the top-right one (and the first block predicts that). The residual is
coded with adaptive integer frequencies (every symbol >= 1, counts halved past 2^13) in one of
six contexts (component x how far off the left and top residuals were): values within +-LIMIT
directly, larger ones as an escape, 9 raw bits of |r| - LIMIT - 1 and a sign bit. The range coder is the stage's (rangecoder.py): integers
only, the same bytes everywhere.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import rangecoder as rc

LIMIT = 12                      # residuals coded directly: -LIMIT..LIMIT
SYMBOLS = 2 * LIMIT + 2         # ... and the escape
CONTEXTS = 6
STEP = 24                       # count added per coded symbol
HALVE_AT = 1 << 13              # total past which a context's counts are halved


@njit(cache=True)
def _median(a, b, c):
    return max(min(a, b), min(max(a, b), c))


@njit(cache=True)
def _predict(v, by, bx, comp, base, scale):
    """Median of left, top and top-right (or, with a first reference, its vector x scale)."""
    nbx = v.shape[1]
    left = v[by, bx - 1, comp] if bx > 0 else 0
    if by == 0:
        if bx == 0 and base.shape[0] > 1:
            return min(max(base[0, 0, comp] * scale, -128), 127)
        return left
    top = v[by - 1, bx, comp]
    if bx == 0:
        left = top
    if base.shape[0] > 1:
        third = base[by, bx, comp] * scale
    elif bx + 1 < nbx:
        third = v[by - 1, bx + 1, comp]
    else:
        third = v[by - 1, bx - 1, comp] if bx > 0 else top
    return _median(left, top, third)


@njit(cache=True)
def _context(res, by, bx, comp):
    a = abs(res[by, bx - 1, comp]) if bx > 0 else 0
    b = abs(res[by - 1, bx, comp]) if by > 0 else 0
    s = a + b
    k = 0 if s == 0 else (1 if s <= 4 else 2)
    return comp * 3 + k


@njit(cache=True)
def _code_symbol(enc, dec, buf, decoding, counts, ctx, sym):
    return code_adaptive(enc, dec, buf, decoding, counts, ctx, sym, STEP)


@njit(cache=True)
def code_adaptive(enc, dec, buf, decoding, counts, ctx, sym, step):
    """One symbol under the adaptive frequencies ``counts[ctx]`` (its row: the alphabet): each
    use adds ``step`` to the symbol's; where the total before that plus ``step`` exceeds
    HALVE_AT every frequency of the row becomes (f + 1) >> 1."""
    row = counts[ctx]
    total = 0
    for k in range(row.size):
        total += row[k]
    if decoding:
        t = rc.target(dec, total)
        cum = 0
        sym = 0
        while cum + row[sym] <= t:
            cum += row[sym]
            sym += 1
        rc.consume(dec, buf, cum, row[sym])
    else:
        cum = 0
        for k in range(sym):
            cum += row[k]
        rc.encode(enc, buf, cum, row[sym], total)
    row[sym] += step
    if total + step > HALVE_AT:
        for k in range(row.size):
            row[k] = (row[k] + 1) >> 1
    return sym


@njit(cache=True)
def _code_bits(enc, dec, buf, decoding, value, n):
    out = 0
    for i in range(n - 1, -1, -1):
        bit = 0 if decoding else (value >> i) & 1
        if decoding:
            bit = rc.target(dec, 2)
            rc.consume(dec, buf, bit, 1)
        else:
            rc.encode(enc, buf, bit, 1, 2)
        out |= bit << i
    return out


@njit(cache=True)
def code_field(v, base, scale, counts, enc, dec, buf, decoding):
    """Code (or, decoding, fill) the vector field ``v`` (nby, nbx, 2) int64. ``base``: the first
    reference's field for a later reference (else a (1, 1, 2) dummy), ``scale`` its distance."""
    nby, nbx = v.shape[0], v.shape[1]
    res = np.zeros((nby, nbx, 2), np.int64)
    for by in range(nby):
        for bx in range(nbx):
            for comp in range(2):
                p = _predict(v, by, bx, comp, base, scale)
                ctx = _context(res, by, bx, comp)
                r = 0 if decoding else v[by, bx, comp] - p
                sym = LIMIT + r if -LIMIT <= r <= LIMIT else SYMBOLS - 1
                sym = _code_symbol(enc, dec, buf, decoding, counts, ctx, sym)
                if sym == SYMBOLS - 1:
                    mag = _code_bits(enc, dec, buf, decoding, abs(r) - LIMIT - 1, 9)
                    neg = _code_bits(enc, dec, buf, decoding, 1 if r < 0 else 0, 1)
                    r = -(mag + LIMIT + 1) if neg else mag + LIMIT + 1
                else:
                    r = sym - LIMIT
                res[by, bx, comp] = r
                if decoding:
                    v[by, bx, comp] = p + r
    return v


def start_counts() -> np.ndarray:
    return np.ones((CONTEXTS, SYMBOLS), np.int64)


@njit(cache=True)
def code_uniform(enc, dec, buf, decoding, mode, n_modes):
    """One symbol of ``n_modes`` equally likely ones (a mode, a flag, a raw bit)."""
    if decoding:
        mode = rc.target(dec, n_modes)
        rc.consume(dec, buf, mode, 1)
    else:
        rc.encode(enc, buf, mode, 1, n_modes)
    return mode


_NO_BASE = np.zeros((1, 1, 2), np.int64)


def encode_side(mode: int, n_modes: int, fields: list[tuple[int, np.ndarray]]) -> bytes:
    """The side chunk: the mode, then each (age, field) of its motion-compensated references,
    the first of them the base of the later ones."""
    total = sum(f.size for _, f in fields)
    buf = np.zeros(4 * total + 64, np.uint8)
    enc, dec, counts = rc.encoder_state(), np.zeros(4, np.int64), start_counts()
    code_uniform(enc, dec, buf, False, mode, n_modes)
    for k, (age, field) in enumerate(fields):
        base, scale = (fields[0][1], age // fields[0][0]) if k else (_NO_BASE, 1)
        code_field(np.ascontiguousarray(field, np.int64), base, scale, counts, enc, dec, buf, False)
    return buf[:rc.finish(enc, buf)].tobytes()


def decode_side(data: bytes, n_modes: int, grid: tuple[int, int], ages_of) -> tuple[int, list[np.ndarray]]:
    """(mode, fields) from a side chunk; ``ages_of(mode)``: the ages of its motion-compensated
    references, in order (ValueError for a mode the frame may not use)."""
    buf = np.frombuffer(data, np.uint8).copy()
    enc, dec, counts = np.zeros(5, np.int64), rc.decoder_state(buf), start_counts()
    mode = int(code_uniform(enc, dec, buf, True, 0, n_modes))
    ages = ages_of(mode)
    fields: list[np.ndarray] = []
    for k, age in enumerate(ages):
        base, scale = (fields[0], age // ages[0]) if k else (_NO_BASE, 1)
        field = code_field(np.zeros((grid[0], grid[1], 2), np.int64), base, scale, counts, enc, dec, buf, True)
        fields.append(np.clip(field, -128, 127))  # the encoder's range (a damaged chunk stays in bounds)
    return mode, fields
