"""The per-sample distribution: a discretised logistic mixture as integer frequencies.

Each sample's value is coded in a window of values around its prediction ``mu``; the
window's boundaries b = v - 1/2 are mapped through an integer logistic table at two scales
(``s`` and ``wide * s``, mixed narrow_weight : 1 for heavier tails) into a cumulative mass M(b). The
frequencies over the window, plus one escape symbol for the mass outside it when the window
does not cover every value, are

    cum(j) = floor((T - n) * (M_j - M_0) / D) + j        (T = 2^16, n symbols)

so every symbol has frequency >= 1 and the total is exactly T. Escaped values are coded
uniformly among the values outside the window. The table is shipped with the model (its
SHA-256 in the registry), so no libm function reaches the coder.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import rangecoder as rc

TOTAL = 1 << 16
TABLE_STEPS = 64          # table entries per unit of t = (b - mu) / s
TABLE_RANGE = 20          # |t| covered; beyond it the logistic is flat at 24-bit precision
TABLE_ONE = 1 << 24
MAX_WINDOW = 2047         # half window, values (4095 symbols at most)


def logistic_table() -> np.ndarray:
    """round(2^24 / (1 + exp(-k / 64))) for |k| <= 20 * 64: how the shipped table was made.

    libm's exp may differ by an ulp between machines, so this never feeds the coder: the
    coder reads the integer table shipped in the model file (its SHA-256 in the registry);
    this function only documents it and lets a test check the two agree."""
    k = np.arange(-TABLE_RANGE * TABLE_STEPS, TABLE_RANGE * TABLE_STEPS + 1, dtype=np.float64)
    # libm's exp (may differ by an ulp between machines): fine only because this result never
    # reaches the coder; the coder reads the shipped table, and only a test calls this function
    table = np.rint(TABLE_ONE / (1.0 + np.exp(-k / TABLE_STEPS)))
    return table.astype(np.int64)


@njit(cache=True)
def _lookup(table, t):
    half = (table.size - 1) // 2
    if t <= -half:
        return table[0]
    if t >= half:
        return table[table.size - 1]
    return table[np.int64(np.floor(t)) + half]


@njit(cache=True)
def _mass(table, b, mu, inv_s, inv_wide, narrow):
    """Cumulative mixture mass below boundary b (integer, monotone in b)."""
    t = (b - mu) * inv_s * TABLE_STEPS
    return narrow * _lookup(table, t) + _lookup(table, t * inv_wide)


@njit(cache=True)
def window(mu, s, maxval):
    """(lo, hi) of the coded window around mu for scale s."""
    half = np.int64(s * 12.0) + 4
    if half > MAX_WINDOW:
        half = MAX_WINDOW
    m = np.int64(np.floor(mu + 0.5))
    lo = m - half
    hi = m + half
    if lo < 0:
        lo = 0
    if hi > maxval:
        hi = maxval
    return lo, hi


@njit(cache=True)
def code_value(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow):
    """Encode x (or decode and return it) under the mixture at (mu, s); returns (x, bits).
    ``wide``: the wide component's scale factor; ``narrow``: the narrow one's integer weight."""
    lo, hi = window(mu, s * wide, maxval)
    x, bits, _ = _code_window(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, lo, hi, -1, 0)
    return x, bits


@njit(cache=True)
def _cum_spike(table, j, lo, n, m0, denom, mu, inv_s, inv_wide, narrow, spike_at, spike):
    """The cumulative frequency below symbol j: ``floor((T - n - spike) (M_j - M_0) / D) + j``,
    plus ``spike`` past symbol ``spike_at`` (ls-v6's point mass; 0 before it)."""
    if j == 0:
        return np.int64(0)
    if j >= n:
        return np.int64(TOTAL)
    rest = TOTAL - spike
    if denom == 0:
        c = (rest * j) // n
    else:
        mj = _mass(table, lo + j - 0.5, mu, inv_s, inv_wide, narrow)
        c = ((rest - n) * (mj - m0)) // denom + j
    if j > spike_at:
        c += spike
    return c


@njit(cache=True)
def code_value_spike(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, ref, spike):
    """``code_value`` with a point mass of ``spike`` / 2^16 on the value ``ref`` (a prediction
    that is often exact: video decoded from a lossy codec); the window always holds ``ref``."""
    lo, hi, spike = _spike_window(mu, s, maxval, wide, ref, spike)
    x, bits, _ = _code_window(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, lo, hi, ref - lo, spike)
    return x, bits


@njit(cache=True)
def code_value_mass(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, ref, spike):
    """``code_value_spike``, also returning the coded symbol's frequency and the point mass as
    limited here (ls-v9's exact-value mass learns from both: exactmass.py):
    (x, bits, frequency, spike)."""
    lo, hi, spike = _spike_window(mu, s, maxval, wide, ref, spike)
    x, bits, freq = _code_window(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, lo, hi, ref - lo,
                                 spike)
    return x, bits, freq, spike


@njit(cache=True)
def _spike_window(mu, s, maxval, wide, ref, spike):
    """The window of ``code_value`` widened to hold ``ref``, and ``spike`` limited to
    [0, 2^16 - 8 n] for its n symbols: (lo, hi, spike)."""
    lo, hi = window(mu, s * wide, maxval)
    if ref < lo:
        lo = ref
    if ref > hi:
        hi = ref
    nw = hi - lo + 1
    n = nw + 1 if nw < maxval + 1 else nw
    if spike > TOTAL - 8 * n:
        spike = TOTAL - 8 * n
    if spike < 0:
        spike = 0
    return lo, hi, spike


@njit(cache=True)
def _code_window(table, enc, dec, buf, decoding, x, mu, s, maxval, wide, narrow, lo, hi, spike_at, spike):
    """The coding of ``code_value`` over the window [lo, hi] plus an escape where it does not
    cover every value, with ``spike`` of the total on symbol ``spike_at`` (0 and -1: none).
    Returns (x, bits, the frequency of the symbol coded)."""
    nw = hi - lo + 1
    escape = nw < maxval + 1
    n = nw + 1 if escape else nw
    inv_s = 1.0 / s
    inv_wide = 1.0 / wide
    narrow = np.int64(narrow)
    m0 = _mass(table, lo - 0.5, mu, inv_s, inv_wide, narrow)
    if escape:
        denom = (narrow + 1) * TABLE_ONE
    else:
        denom = _mass(table, hi + 0.5, mu, inv_s, inv_wide, narrow) - m0
    if decoding:
        v = rc.target(dec, TOTAL)
        a = np.int64(0)
        b = n  # find j with cum(j) <= v < cum(j + 1)
        while b - a > 1:
            mid = (a + b) >> 1
            if _cum_spike(table, mid, lo, n, m0, denom, mu, inv_s, inv_wide, narrow, spike_at, spike) <= v:
                a = mid
            else:
                b = mid
        j = a
    else:
        j = x - lo if (x >= lo and x <= hi) else nw
    c0 = _cum_spike(table, j, lo, n, m0, denom, mu, inv_s, inv_wide, narrow, spike_at, spike)
    c1 = _cum_spike(table, j + 1, lo, n, m0, denom, mu, inv_s, inv_wide, narrow, spike_at, spike)
    if decoding:
        rc.consume(dec, buf, c0, c1 - c0)
    else:
        rc.encode(enc, buf, c0, c1 - c0, TOTAL)
    bits = math.log2(TOTAL / (c1 - c0))  # statistics only (nlvc stats); never reaches the coder
    if j < nw:
        return lo + j, bits, c1 - c0
    outside = maxval + 1 - nw  # escaped: uniform over the values outside the window
    if decoding:
        idx = rc.target(dec, outside)
        rc.consume(dec, buf, idx, 1)
        x = idx if idx < lo else idx + nw
    else:
        idx = x if x < lo else x - nw
        rc.encode(enc, buf, idx, 1, outside)
    return x, bits + math.log2(outside), c1 - c0
