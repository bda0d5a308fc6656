"""One packet of nlvc-pcm-1 (numba): ``n`` sample frames of ``C`` channels, coded on its own.

Everything goes through one range coder stream (:mod:`.bitmodels`), in this order:

0. ``n`` (16 raw bits), then one bit: 1 for a verbatim packet (what follows is the width
   ``w`` - 1 in 6 bits, then every sample, frame by frame, in ``w`` bits: integers in two's
   complement, floats their bit patterns; the encoder's choice where the coded packet would be
   larger), 0 for a coded one:
1. for two channels the stereo mode (2 bits: 0 left/right, 1 left/side,
   2 side/right, 3 mid/side; side = left - right, mid = (left + right) >> 1).
2. Float samples (:mod:`.floats`): ``emax`` (11 bits), ``T`` (6), ``H`` (6); then per channel
   its number of exceptions (16 bits) and, when there are some, a flag per sample (an
   adaptive bit) and each exception's bit pattern (32 or 64 raw bits).
3. Per coded channel: its wasted bits ``w`` (7 bits; 64: the channel is all zero and nothing
   follows), the predictor (:mod:`.lpc`: order in 6 bits; for orders 1..4 one bit: LPC or
   fixed; an LPC's precision - 1 in 4 bits, its shift in 5 and its coefficients in
   ``precision`` bits each, two's complement), the context the residuals start from (7 bits)
   and the ``n`` residuals of the channel's samples shifted right by ``w``.
4. Float samples: the extra bits of every sample that has some, channel by channel.

Integer samples are the signed values; float samples their grid values ``k``. Arithmetic on
them wraps, so any 64-bit value round trips.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..adaptive import rangecoder as rc
from . import floats
from .bitmodels import bitlen, get_bit, get_bits, get_residuals, new_models, put_bit, put_bits, put_residuals, zigzag
from .lpc import MAX_ORDER, choose, fixed_coefs, restore, residuals

MAX_FRAMES = 65535
#: decode_packet's failures
DAMAGED, WRONG_SIZE = -1, -2
#: stereo mode -> its two coded channels among left, right, side, mid
STEREO = ((0, 1), (0, 2), (2, 1), (3, 2))


@njit(cache=True)
def _signals(k, n, channels):
    """The signals the predictor search looks at: the channels, or for two channels left,
    right, side and mid (mid left out, its row zero, where left + right could overflow)."""
    if channels != 2:
        return k.T.copy(), True
    sig = np.zeros((4, n), np.int64)
    small = True
    for i in range(n):
        a, b = k[i, 0], k[i, 1]
        sig[0, i], sig[1, i], sig[2, i], sig[3, i] = a, b, a - b, (a + b) >> 1
        if abs(a) >= (1 << 61) or abs(b) >= (1 << 61):
            small = False
    return sig, small


def _search(sig, n, bests):
    """Each signal's cheapest predictor (``bests[j]``) and its cost estimate."""
    costs = np.zeros(sig.shape[0], np.int64)
    work = np.empty(n, np.int64)
    for j in range(sig.shape[0]):
        w = _wasted(sig[j], n)
        if w < 64:
            costs[j] = choose(sig[j] >> w, n, bests[j], work)
    return costs


@njit(cache=True)
def _wasted(x, n) -> int:
    """The low zero bits every ``x[:n]`` has (64: all zero)."""
    acc = 0
    for i in range(n):
        acc |= x[i]
    if acc == 0:
        return 64
    w = 0
    while not (acc >> w) & 1:
        w += 1
    return w


@njit(cache=True)
def _mode(costs, mid):
    """The stereo mode whose two signals cost least (mid/side only where ``mid``)."""
    best, mode = costs[0] + costs[1], 0
    for m in range(1, 4 if mid else 3):
        c = costs[STEREO[m][0]] + costs[STEREO[m][1]]
        if c < best:
            best, mode = c, m
    return mode


@njit(cache=True)
def _from_coded(coded, n, channels, mode, k):
    for i in range(n):
        for c in range(channels):
            k[i, c] = coded[i, c]
        if channels == 2 and mode:
            a, b = coded[i, 0], coded[i, 1]
            if mode == 1:
                k[i, 1] = a - b
            elif mode == 2:
                k[i, 0] = a + b
            else:
                mid = (a << 1) | (b & 1)
                k[i, 0], k[i, 1] = (mid + b) >> 1, (mid - b) >> 1


@njit(cache=True)
def _put_channel(st, buf, tables, bits, x, n, best):
    """One coded channel with the predictor the search found for it (``best``)."""
    w = _wasted(x, n)
    put_bits(st, buf, w, 7)
    if w == 64:
        return
    xs = np.empty(n, np.int64)
    for i in range(n):
        xs[i] = x[i] >> w
    order, precision, shift = best[0], best[1], best[2]
    put_bits(st, buf, order, 6)
    if 1 <= order <= 4:
        put_bits(st, buf, 1 if precision else 0, 1)
    if precision:
        put_bits(st, buf, precision - 1, 4)
        put_bits(st, buf, shift, 5)
        for j in range(order):
            put_bits(st, buf, best[3 + j], precision)
    res = np.empty(n, np.int64)
    residuals(xs, n, best[3:], order, shift, res)
    total = 0
    for i in range(min(n, 64)):
        total += bitlen(zigzag(res[i]))
    ctx0 = (total + min(n, 64) // 2) // min(n, 64)
    put_bits(st, buf, ctx0, 7)
    put_residuals(st, buf, tables, bits, res, n, ctx0)


@njit(cache=True)
def _get_channel(st, buf, tables, bits, x, n) -> bool:
    w = get_bits(st, buf, 7)
    if w == 64:
        x[:n] = 0
        return True
    if w > 63:
        return False
    order = get_bits(st, buf, 6)
    if order > MAX_ORDER:
        return False
    coefs = np.zeros(MAX_ORDER, np.int64)
    lpc = order > 4 or (order >= 1 and get_bits(st, buf, 1) == 1)
    shift = 0
    if lpc:
        precision = get_bits(st, buf, 4) + 1
        shift = get_bits(st, buf, 5)
        for j in range(order):
            v = get_bits(st, buf, precision)
            coefs[j] = v - (1 << precision) if v >> (precision - 1) else v
    else:
        fixed_coefs(order, coefs)
    ctx0 = get_bits(st, buf, 7)
    if ctx0 > 64:
        return False
    res = np.empty(n, np.int64)
    if not get_residuals(st, buf, tables, bits, res, n, ctx0):
        return False
    restore(res, n, coefs, order, shift, x)
    for i in range(n):
        x[i] = x[i] << w
    return True


@njit(cache=True)
def _grid(p, n, channels, fbits, k, exc, extra, nextra):
    """(emax, T, H) of the cheapest grid for float samples ``p``; ``k`` etc. filled for it.
    ``emax`` is the largest exponent, or a lower one that leaves at most 1/64 of the samples
    above it as exceptions (at most 8 tried)."""
    hist = np.zeros(2048, np.int64)
    tz = floats.analyse(p, n, channels, fbits, hist)
    width = (24 if fbits == 32 else 53) - tz
    emin = 1
    while emin < 2047 and hist[emin] == 0:
        emin += 1
    tops = np.zeros(8, np.int64)  # the emax to try
    tried, above, e = 0, 0, 2046
    while e >= emin and tried < 8:
        if hist[e]:
            tops[tried] = e
            tried += 1
            above += hist[e]
            if above * 64 > n * channels:
                break
        e -= 1
    tried = max(tried, 1)  # (no normal sample: emax 0, every sample +0.0 or an exception)
    tk, texc = np.empty_like(k), np.empty_like(exc)
    textra, tnextra = np.empty_like(extra), np.empty_like(nextra)
    best, best_e, best_h = -1, 0, 0
    for j in range(tried):
        e = tops[j]
        for h in range(max(0, min(floats.MAX_GRID - width, e - emin, 63)) + 1):
            floats.split(p, n, channels, fbits, e, tz, h, tk, texc, textra, tnextra)
            c = floats.estimate(tk, texc, tnextra, n, channels, fbits)
            if best < 0 or c < best:
                best, best_e, best_h = c, e, h
                k[:], exc[:], extra[:], nextra[:] = tk, texc, textra, tnextra
    return best_e, tz, best_h


def encode_packet(p, n, channels, fbits, buf) -> int:
    """Code ``p[:n, :channels]`` (int64: integer samples, or with ``fbits`` 32 or 64 float bit
    patterns) into ``buf``; the bytes written (more than ``buf.size``: it did not fit). Python
    runs the steps, each a compiled kernel of its own (compiled once, not into one another)."""
    k = np.empty((n, channels), np.int64)
    exc = np.zeros((n, channels), np.int8)
    extra = np.zeros((n, channels), np.int64)
    nextra = np.zeros((n, channels), np.int64)
    grid = np.zeros(3, np.int64)  # emax, T, H
    if fbits:
        grid[:] = _grid(p, n, channels, fbits, k, exc, extra, nextra)
    else:
        k[:, :] = p[:n, :channels]
    sig, mid = _signals(k, n, channels)
    bests = np.zeros((sig.shape[0], 3 + MAX_ORDER), np.int64)
    costs = _search(sig, n, bests)
    mode = _mode(costs, mid) if channels == 2 else 0
    rows = np.array(STEREO[mode] if channels == 2 else range(channels), np.int64)
    used = _write_coded(p, n, channels, fbits, buf, grid, exc, extra, nextra, mode, sig, bests, rows)
    width = fbits or max(1, _widest(p, n, channels))
    if used <= (n * channels * width + 7) // 8 + 4:
        return used
    return _write_verbatim(p, n, channels, width, buf)


@njit(cache=True)
def _widest(p, n, channels) -> int:
    width = 0
    for i in range(n):
        for c in range(channels):
            width = max(width, bitlen(zigzag(p[i, c])))
    return width


@njit(cache=True)
def _write_verbatim(p, n, channels, width, buf) -> int:
    st = rc.encoder_state()  # the samples in ``width``-bit two's complement (floats: patterns)
    put_bits(st, buf, n, 16)
    put_bits(st, buf, 1, 1)
    put_bits(st, buf, width - 1, 6)
    for i in range(n):
        for c in range(channels):
            put_bits(st, buf, p[i, c], width)
    return rc.finish(st, buf)


@njit(cache=True)
def _write_coded(p, n, channels, fbits, buf, grid, exc, extra, nextra, mode, sig, bests, rows) -> int:
    st = rc.encoder_state()
    tables, bits = new_models()
    put_bits(st, buf, n, 16)
    put_bits(st, buf, 0, 1)
    if channels == 2:
        put_bits(st, buf, mode, 2)
    if fbits:
        put_bits(st, buf, grid[0], 11)
        put_bits(st, buf, grid[1], 6)
        put_bits(st, buf, grid[2], 6)
        probs = np.zeros(1, np.int64)
        for c in range(channels):
            count = 0
            for i in range(n):
                count += exc[i, c]
            put_bits(st, buf, count, 16)
            if count:
                probs[0] = min(max(count * 4096 // n, 16), 4080)
                for i in range(n):
                    put_bit(st, buf, probs, 0, exc[i, c])
                for i in range(n):
                    if exc[i, c]:
                        put_bits(st, buf, p[i, c], fbits)
    for c in range(channels):
        _put_channel(st, buf, tables, bits, sig[rows[c]], n, bests[rows[c]])
    if fbits:
        for c in range(channels):
            for i in range(n):
                if nextra[i, c]:
                    put_bits(st, buf, extra[i, c], nextra[i, c])
    return rc.finish(st, buf)


@njit(cache=True)
def decode_packet(buf, n, channels, fbits, out) -> int:
    """``out[:n, :channels]`` from a packet; 0, or DAMAGED / WRONG_SIZE."""
    st = rc.decoder_state(buf)
    tables, bits = new_models()
    if get_bits(st, buf, 16) != n:
        return WRONG_SIZE
    if get_bits(st, buf, 1):
        width = get_bits(st, buf, 6) + 1
        for i in range(n):
            for c in range(channels):
                v = get_bits(st, buf, width)
                out[i, c] = v if fbits or width == 64 else (v << (64 - width)) >> (64 - width)
        return 0
    mode = get_bits(st, buf, 2) if channels == 2 else 0
    emax, tz, headroom = 0, 0, 0
    exc = np.zeros((n, channels), np.int8)
    if fbits:
        emax = get_bits(st, buf, 11)
        tz = get_bits(st, buf, 6)
        headroom = get_bits(st, buf, 6)
        if tz > (23 if fbits == 32 else 52) or emax >= (255 if fbits == 32 else 2047):
            return DAMAGED
        probs = np.zeros(1, np.int64)
        for c in range(channels):
            count = get_bits(st, buf, 16)
            if count > n:
                return DAMAGED
            if count:
                probs[0] = min(max(count * 4096 // n, 16), 4080)
                for i in range(n):
                    exc[i, c] = get_bit(st, buf, probs, 0)
                for i in range(n):
                    if exc[i, c]:
                        out[i, c] = get_bits(st, buf, fbits)
    coded = np.empty((n, channels), np.int64)
    x = np.empty(n, np.int64)
    for c in range(channels):
        if not _get_channel(st, buf, tables, bits, x, n):
            return DAMAGED
        coded[:, c] = x
    k = np.empty((n, channels), np.int64)
    _from_coded(coded, n, channels, mode, k)
    if not fbits:
        out[:n, :channels] = k
        return 0
    for c in range(channels):
        for i in range(n):
            if exc[i, c]:
                continue
            sh = floats.depth(k[i, c], fbits, tz, headroom)
            bits_in = get_bits(st, buf, sh) if sh else 0
            v = floats.pattern(k[i, c], fbits, emax, tz, headroom, bits_in, sh)
            if v == -1:
                return DAMAGED
            out[i, c] = v
    return 0
