"""The entropy coding of nlvc-pcm-1 (numba, integers only), on the project's range coder
(:mod:`nlvc_av.codec.adaptive.rangecoder`).

- Raw bits: up to 64 at a time, in pieces of at most 16 (uniform frequencies).
- Adaptive bits: a 12-bit probability of a one, moved 1/32 of the way after each bit.
- Residuals: a prediction residual ``e`` (int64, any value: arithmetic wraps) is zigzagged
  to ``u`` (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...; a 64-bit pattern) and coded as its bit length
  ``b`` (0..64) relative to a context, the bit under its leading one (an adaptive bit per
  ``b``), then its ``b - 2`` low bits raw. The context is the running mean of the lengths
  (fixed point, 4 fractional bits, moved 1/4 of the way per residual); the length is coded as
  ``b - ctx`` in -8..8 (17 symbols) or an escape followed by ``b`` in 7 raw bits, with one
  adaptive frequency table per context 0..4 and one for contexts from 5 up.

State: ``tables`` int64[TABLES, NSYM + 1] (frequencies, their total last), ``bits`` int64[65]
(the probabilities of the bit under the leading one). A packet starts them afresh.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..adaptive import rangecoder as rc

NSYM = 18  # b - ctx in -8..8, then the escape
ESCAPE = NSYM - 1
TABLES = 6
INC = 24
PBITS = 12
PONE = 1 << PBITS
LOW63 = 0x7FFFFFFFFFFFFFFF
#: the tables' first frequencies: lengths near the context's are the likely ones
PRIOR = (1, 1, 1, 1, 2, 4, 8, 16, 24, 16, 8, 4, 2, 1, 1, 1, 1, 2)


@njit(cache=True)
def bitlen(u: int) -> int:
    """Bits of ``u`` read as an unsigned 64-bit number (0 for 0, 64 for a set top bit)."""
    if u < 0:
        return 64
    n = 0
    if u >> 32:
        u >>= 32
        n += 32
    if u >> 16:
        u >>= 16
        n += 16
    if u >> 8:
        u >>= 8
        n += 8
    if u >> 4:
        u >>= 4
        n += 4
    if u >> 2:
        u >>= 2
        n += 2
    if u >> 1:
        u >>= 1
        n += 1
    return n + u


@njit(cache=True)
def zigzag(e: int) -> int:
    return (e << 1) ^ (e >> 63)


@njit(cache=True)
def unzigzag(u: int) -> int:
    return ((u >> 1) & LOW63) ^ -(u & 1)


@njit(cache=True)
def new_models():
    tables = np.empty((TABLES, NSYM + 1), np.int64)
    total = 0
    for s in range(NSYM):
        tables[:, s] = PRIOR[s]
        total += PRIOR[s]
    tables[:, NSYM] = total
    bits = np.empty(65, np.int64)
    bits[:] = PONE // 2
    return tables, bits


@njit(cache=True)
def put_bits(st, buf, v, nbits):
    """The low ``nbits`` (0..64) bits of ``v``, raw."""
    done = 0
    while done < nbits:
        c = min(16, nbits - done)
        rc.encode(st, buf, (v >> done) & ((1 << c) - 1), 1, 1 << c)
        done += c


@njit(cache=True)
def get_bits(st, buf, nbits):
    v, done = 0, 0
    while done < nbits:
        c = min(16, nbits - done)
        t = rc.target(st, 1 << c)
        rc.consume(st, buf, t, 1)
        v |= t << done
        done += c
    return v


@njit(cache=True)
def _adapt(p, bit):
    if bit:
        p += (PONE - p) >> 5
    else:
        p -= p >> 5
    return min(max(p, 16), PONE - 16)


@njit(cache=True)
def put_bit(st, buf, probs, at, bit):
    """One bit with the adaptive probability ``probs[at]`` (of a one)."""
    p = probs[at]
    if bit:
        rc.encode(st, buf, 0, p, PONE)
    else:
        rc.encode(st, buf, p, PONE - p, PONE)
    probs[at] = _adapt(p, bit)


@njit(cache=True)
def get_bit(st, buf, probs, at):
    p = probs[at]
    t = rc.target(st, PONE)
    bit = 1 if t < p else 0
    if bit:
        rc.consume(st, buf, 0, p)
    else:
        rc.consume(st, buf, p, PONE - p)
    probs[at] = _adapt(p, bit)
    return bit


@njit(cache=True)
def _update(table, sym):
    table[sym] += INC
    table[NSYM] += INC
    if table[NSYM] > rc.MAX_TOTAL - INC:
        total = 0
        for s in range(NSYM):
            table[s] = (table[s] + 1) >> 1
            total += table[s]
        table[NSYM] = total


@njit(cache=True)
def put_residuals(st, buf, tables, bits, res, n, ctx0):
    """``n`` residuals ``res[:n]``, the context starting at ``ctx0`` (0..64)."""
    avg = ctx0 << 4
    for i in range(n):
        u = zigzag(res[i])
        b = bitlen(u)
        ctx = (avg + 8) >> 4
        table = tables[min(ctx, TABLES - 1)]
        d = b - ctx
        sym = d + 8 if -8 <= d <= 8 else ESCAPE
        cum = 0
        for s in range(sym):
            cum += table[s]
        rc.encode(st, buf, cum, table[sym], table[NSYM])
        _update(table, sym)
        if sym == ESCAPE:
            put_bits(st, buf, b, 7)
        if b >= 2:
            put_bit(st, buf, bits, b, (u >> (b - 2)) & 1)
            put_bits(st, buf, u, b - 2)
        avg += ((b << 4) - avg) >> 2


@njit(cache=True)
def get_residuals(st, buf, tables, bits, res, n, ctx0) -> bool:
    """The residuals :func:`put_residuals` wrote, into ``res[:n]``; False for a damaged
    stream (a length over 64)."""
    avg = ctx0 << 4
    for i in range(n):
        ctx = (avg + 8) >> 4
        table = tables[min(ctx, TABLES - 1)]
        t = rc.target(st, table[NSYM])
        cum, sym = 0, 0
        while sym < ESCAPE and cum + table[sym] <= t:
            cum += table[sym]
            sym += 1
        rc.consume(st, buf, cum, table[sym])
        _update(table, sym)
        b = get_bits(st, buf, 7) if sym == ESCAPE else ctx + sym - 8
        if b < 0 or b > 64:
            return False
        if b == 0:
            u = 0
        elif b == 1:
            u = 1
        else:
            u = (1 << (b - 1)) | (get_bit(st, buf, bits, b) << (b - 2)) | get_bits(st, buf, b - 2)
        res[i] = unzigzag(u)
        avg += ((b << 4) - avg) >> 2
    return True
