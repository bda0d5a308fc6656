"""A small integer range coder that runs inside compiled loops (numba).

The adaptive stage decides each sample's distribution from the samples before it, so its
coder cannot leave the compiled loop per symbol. This is the LZMA-style carry-propagating
range coder: a 32-bit range renormalised bytewise below 2^24, a 64-bit ``low`` whose carry
is resolved through a cached byte and a run of 0xFF bytes. Frequencies are integers with a
total of at most 2^16 (every coded symbol has frequency >= 1), so each step loses at most
log2(1 + 2^-8) bits to the truncated division.

State lives in small int64 arrays so that the calling kernel owns it:
    encoder: [low, range, cache, cache_size, pos]
    decoder: [code, range, pos, r]
Everything is integer arithmetic: the same bytes on every machine.
"""
from __future__ import annotations

import numpy as np
from numba import njit

TOP = 1 << 24
MASK32 = 0xFFFFFFFF
MAX_TOTAL = 1 << 16


@njit(cache=True)
def encoder_state() -> np.ndarray:
    st = np.zeros(5, np.int64)
    st[1] = MASK32
    st[3] = 1
    return st


@njit(cache=True)
def _shift_low(st, buf):
    low = st[0]
    if (low & MASK32) < 0xFF000000 or (low >> 32) != 0:
        carry = low >> 32
        temp = st[2]
        while True:
            pos = st[4]
            if pos < buf.size:
                buf[pos] = (temp + carry) & 0xFF
            st[4] = pos + 1
            temp = 0xFF
            st[3] -= 1
            if st[3] == 0:
                break
        st[2] = (low >> 24) & 0xFF
    st[3] += 1
    st[0] = (low & 0x00FFFFFF) << 8


@njit(cache=True)
def encode(st, buf, cum, freq, total):
    """Code the interval [cum, cum + freq) of ``total`` (freq >= 1, total <= 2^16)."""
    r = st[1] // total
    st[0] += r * cum
    st[1] = r * freq
    while st[1] < TOP:
        st[1] <<= 8
        _shift_low(st, buf)


@njit(cache=True)
def finish(st, buf) -> int:
    """Flush; returns the number of bytes written (more than ``buf.size`` means it overflowed)."""
    for _ in range(5):
        _shift_low(st, buf)
    return st[4]


@njit(cache=True)
def _next_byte(st, buf):
    pos = st[2]
    st[2] = pos + 1
    if pos < buf.size:
        return np.int64(buf[pos])
    return np.int64(0)  # past the end (a cut stream): zeros; the frame MD5 catches the damage


@njit(cache=True)
def decoder_state(buf) -> np.ndarray:
    st = np.zeros(4, np.int64)
    st[1] = MASK32
    for _ in range(5):
        st[0] = ((st[0] << 8) | _next_byte(st, buf)) & MASK32
    return st


@njit(cache=True)
def target(st, total) -> int:
    """The value in [0, total) that names the next symbol's interval."""
    r = st[1] // total
    st[3] = r
    v = st[0] // r
    if v >= total:  # only in damaged streams
        v = total - 1
    return v


@njit(cache=True)
def consume(st, buf, cum, freq):
    """After ``target``: remove the symbol [cum, cum + freq) from the decoder state."""
    r = st[3]
    st[0] -= r * cum
    st[1] = r * freq
    while st[1] < TOP:
        st[0] = ((st[0] << 8) | _next_byte(st, buf)) & MASK32
        st[1] <<= 8
