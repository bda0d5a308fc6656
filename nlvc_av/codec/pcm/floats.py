"""Float samples as integers for nlvc-pcm-1 (numba, integer arithmetic on the bit patterns).

A packet's float samples (IEEE 754 binary32 or binary64 bit patterns in int64) are put on one
fixed-point grid: ``k = +-(M' << (H - d))`` where ``M'`` is the significand (the implicit one
included) without the ``T`` trailing zero bits every normal sample of the packet has, ``d`` is
how far the sample's exponent is below the packet's largest ``emax`` and ``H`` the grid's
headroom (chosen by the encoder). A sample with ``d > H`` keeps the ``d - H`` low bits of
``M'`` that the grid drops as extra bits, coded raw after the packet's residuals. The decoder
reads the exponent back from the bit length of ``k`` (``d = W + H - bitlen(|k|)``, ``W`` the
significand's width), so the map is exact. ``k = 0`` is +0.0. Exceptions, kept as their raw
bit patterns: infinities, NaNs (every payload), -0.0, subnormals, samples so small that the
grid drops every bit, and samples above ``emax`` (the encoder may put a few outliers there
rather than spread the grid over them); the grid holds the sample before them in their place.
"""
from __future__ import annotations

from numba import njit

from .bitmodels import bitlen, zigzag

MAX_GRID = 61  # W + H: |k| < 2^61


@njit(cache=True)
def fields(fbits):
    """(mantissa bits, exponent mask) of binary32 or binary64."""
    return (23, 0xFF) if fbits == 32 else (52, 0x7FF)


@njit(cache=True)
def analyse(p, n, channels, fbits, hist) -> int:
    """``hist``: how many normal samples of ``p[:n, :channels]`` have each exponent; returns
    T, the trailing zero bits every normal sample's significand has (0 when there is none)."""
    mbits, emask = fields(fbits)
    tz, normal = mbits, False
    hist[:] = 0
    for i in range(n):
        for c in range(channels):
            v = p[i, c]
            e = (v >> mbits) & emask
            if 0 < e < emask:
                hist[e] += 1
                normal = True
                m = (v & ((1 << mbits) - 1)) | (1 << mbits)
                t = 0
                while t < tz and not (m >> t) & 1:
                    t += 1
                tz = t
    return tz if normal else 0


@njit(cache=True)
def split(p, n, channels, fbits, emax, tz, headroom, k, exc, extra, nextra) -> int:
    """``k``, the exception flags ``exc`` and the extra bits (``extra``, their count
    ``nextra``) of every sample; returns the number of exceptions."""
    mbits, emask = fields(fbits)
    width = mbits + 1 - tz
    count = 0
    for c in range(channels):
        last = 0
        for i in range(n):
            v = p[i, c]
            e = (v >> mbits) & emask
            exc[i, c], extra[i, c], nextra[i, c] = 0, 0, 0
            if v == 0:
                k[i, c] = 0
                last = 0
                continue
            is_exc = not 0 < e <= emax or e == emask
            if not is_exc:
                m = ((v & ((1 << mbits) - 1)) | (1 << mbits)) >> tz
                d = emax - e
                if d <= headroom:
                    mag = m << (headroom - d)
                elif d - headroom < width:
                    sh = d - headroom
                    mag = m >> sh
                    extra[i, c] = m & ((1 << sh) - 1)
                    nextra[i, c] = sh
                else:
                    is_exc = True
            if is_exc:
                exc[i, c] = 1
                k[i, c] = last
                count += 1
            else:
                k[i, c] = -mag if (v >> (fbits - 1)) & 1 else mag
                last = k[i, c]
    return count


@njit(cache=True)
def pattern(kv, fbits, emax, tz, headroom, extra_bits, sh) -> int:
    """The bit pattern of a sample that is not an exception, from its ``k`` and (where
    :func:`depth` says ``sh > 0``) its extra bits; -1 when ``k`` cannot be a sample."""
    if kv == 0:
        return 0
    mbits, emask = fields(fbits)
    mag = -kv if kv < 0 else kv
    width = mbits + 1 - tz
    d = width + headroom - bitlen(mag)
    if d < 0 or d >= emax:
        return -1
    if d <= headroom:
        m = mag >> (headroom - d)
    else:
        m = (mag << sh) | extra_bits
    m = (m << tz) & ((1 << mbits) - 1)
    sign = 1 if kv < 0 else 0
    out = ((emax - d) << mbits) | m
    if sign:
        out |= 1 << (fbits - 1)
    return out


@njit(cache=True)
def depth(kv, fbits, tz, headroom) -> int:
    """How many extra bits the sample of grid value ``kv`` has (0 for +0.0)."""
    if kv == 0:
        return 0
    mbits, _ = fields(fbits)
    mag = -kv if kv < 0 else kv
    d = mbits + 1 - tz + headroom - bitlen(mag)
    return d - headroom if d > headroom else 0


@njit(cache=True)
def estimate(k, exc, nextra, n, channels, fbits) -> int:
    """The bits a grid would cost, roughly: each channel's second differences (its trailing
    zero bits dropped), the extra bits and the exceptions."""
    total = 0
    for c in range(channels):
        acc = 0
        for i in range(n):
            acc |= k[i, c]
        w = 0
        while w < 63 and acc != 0 and not (acc >> w) & 1:
            w += 1
        for i in range(n):
            x0 = k[i, c] >> w
            x1 = k[i - 1, c] >> w if i >= 1 else 0
            x2 = k[i - 2, c] >> w if i >= 2 else 0
            total += bitlen(zigzag(x0 - 2 * x1 + x2)) + nextra[i, c] + exc[i, c] * fbits
    return total
