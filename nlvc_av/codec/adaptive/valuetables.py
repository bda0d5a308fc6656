"""ls-v9's value tables: a plane whose samples take few of its values codes their indices.

A 16-bit DPX made from an 8-bit image through a LUT holds 256 of 65536 values; a float EXR
split into 16-bit halves some hundred; a test pattern a handful. Coded as they are, every
sample's distribution spreads over the values in between that never occur (the 16-bit DPX:
4x the bytes of the same image at 8 bits). So, per frame and plane, the encoder may send the
sorted table of the values the plane takes, and the plane is coded as indices into it (values
0 .. n - 1: the stage's ``maxval`` is n - 1), exact by construction; a plane of one value is
not coded at all.

Each frame's **table chunk** (first of its chunks) holds, per plane, a mode uniform over 3:
0 no table; 1 a table; 2 the table of the same plane of the frame's nearest earlier coded
frame (order.neighbours' first; that plane must have one); then whether the plane takes the
exact-value mass (exactmass.py), uniform over 2. An empty chunk: every mode and flag 0.
A table: n - 1 and the first value in ``bits`` bits each, then each gap g = v_i - v_(i-1) >= 1
as its bit length L (1 .. bits, adaptive over ``bits`` symbols in context L of the previous
gap, 0 for the first) and the L - 1 bits below its leading one, most significant first (each
adaptive over 2 symbols in context (L, bit position)); adaptive tables as in vectorcoder.py
(start at 1, + 24 per symbol, halved past 2^13), shared by the chunk's planes.

References and side planes of a frame are taken in its own domain: a sample value maps to
the index of the nearest table value (the lower one on ties); decoded indices map back to
values through the table. The encoder's rule (``choose``) needs only the plane itself, so a
piece of a GOP can tell its first frame's inheritance from the source frames before it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ...errors import PayloadError
from . import rangecoder as rc
from .vectorcoder import code_adaptive, code_uniform

MODES = 3                 # 0 none, 1 a table, 2 the nearest earlier coded frame's table
STEP = 24
SHARE = 0.5               # encoder: a plane takes a table where it holds at most this share of its range


def choose(plane: np.ndarray, bits: int) -> np.ndarray | None:
    """Encoder: the plane's sorted values (int64) where it takes a table, else None: one value,
    or at most SHARE of the values between its least and greatest (a dense range costs the
    same either way, and keeps ls-v8's coding)."""
    counts = np.bincount(np.asarray(plane).ravel(), minlength=1 << bits)
    values = np.flatnonzero(counts).astype(np.int64)
    n, span = values.size, int(values[-1] - values[0]) + 1
    return values if n == 1 or n <= SHARE * span else None


def lookup(table: np.ndarray, bits: int) -> np.ndarray:
    """Value -> index of the nearest table value (the lower on ties), for every value of ``bits`` bits."""
    v = np.arange(1 << bits, dtype=np.int64)
    if table.size == 1:
        return np.zeros(v.size, np.int32)
    i = np.clip(np.searchsorted(table, v), 1, table.size - 1)
    return np.where(v - table[i - 1] <= table[i] - v, i - 1, i).astype(np.int32)


def to_domain(plane: np.ndarray, table: np.ndarray | None, bits: int, lut: np.ndarray | None = None) -> np.ndarray:
    """A plane of sample values in the domain of ``table`` (its indices; None: the values)."""
    if table is None:
        return np.asarray(plane, np.int32)
    return (lookup(table, bits) if lut is None else lut)[np.asarray(plane, np.int64)]


def to_values(indices: np.ndarray, table: np.ndarray | None) -> np.ndarray:
    return indices if table is None else table[indices].astype(np.int32)


def maxval(table: np.ndarray | None) -> int:
    """The stage's maxval for a plane with this table (-1: the bit depth's)."""
    return -1 if table is None else int(table.size - 1)


def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and np.array_equal(a, b)


@njit(cache=True)
def _raw(enc, dec, buf, decoding, value, nbits):
    out = 0
    for i in range(nbits - 1, -1, -1):
        out |= code_uniform(enc, dec, buf, decoding, (value >> i) & 1, 2) << i
    return out


@njit(cache=True)
def _code_table(values, bits, lengths, mantissa, enc, dec, buf, decoding):
    """Code (or, decoding, fill and return the size of) the sorted table ``values``; -1 where a
    decoded table leaves the bit depth."""
    n = _raw(enc, dec, buf, decoding, values.size - 1, bits) + 1
    values[0] = _raw(enc, dec, buf, decoding, values[0], bits)
    prev = 0
    for i in range(1, n):
        gap = values[i] - values[i - 1]
        length = 0
        if not decoding:
            while (gap >> length) > 0:
                length += 1
        length = code_adaptive(enc, dec, buf, decoding, lengths, prev, length - 1, STEP) + 1
        g = 1
        for b in range(length - 2, -1, -1):
            bit = (gap >> b) & 1
            g = (g << 1) | code_adaptive(enc, dec, buf, decoding, mantissa, length * 16 + b, bit, STEP)
        values[i] = values[i - 1] + g
        if values[i] >= (1 << bits):
            return -1
        prev = length
    return n


def _counts(bits: int) -> tuple[np.ndarray, np.ndarray]:
    return np.ones((bits + 1, bits), np.int64), np.ones(((bits + 1) * 16, 2), np.int64)


def encode_chunk(tables: list, inherited: list | None, masses: list, bits: int) -> bytes:
    """A frame's table chunk. ``tables``: per plane its table or None; ``inherited``: the tables
    of the frame mode 2 names (None for the GOP's first frame); ``masses``: per plane whether
    it takes the exact-value mass (exactmass.py)."""
    if all(t is None for t in tables) and not any(masses):
        return b""
    size = sum(0 if t is None else t.size for t in tables)
    buf = np.zeros(8 * size + 64, np.uint8)
    enc, dec = rc.encoder_state(), np.zeros(4, np.int64)
    lengths, mantissa = _counts(bits)
    for k, t in enumerate(tables):
        mode = 0 if t is None else 2 if inherited is not None and same(t, inherited[k]) else 1
        code_uniform(enc, dec, buf, False, mode, MODES)
        if mode == 1:
            _code_table(t.astype(np.int64), bits, lengths, mantissa, enc, dec, buf, False)
        code_uniform(enc, dec, buf, False, int(masses[k]), 2)
    return buf[:rc.finish(enc, buf)].tobytes()


def decode_chunk(data: bytes, planes: int, inherited: list | None, bits: int) -> tuple[list, list]:
    """(tables, masses) of a frame's planes (None: no table; bools) from its table chunk."""
    if not data:
        return [None] * planes, [False] * planes
    buf = np.frombuffer(data, np.uint8).copy()
    enc, dec = np.zeros(5, np.int64), rc.decoder_state(buf)
    lengths, mantissa = _counts(bits)
    tables, masses = [], []
    for k in range(planes):
        mode = int(code_uniform(enc, dec, buf, True, 0, MODES))
        if mode == 0:
            tables.append(None)
        elif mode == 2:
            if inherited is None or inherited[k] is None:
                raise PayloadError("damaged GOP: a value table names a frame plane that has none")
            tables.append(inherited[k])
        else:
            values = np.zeros(1 << bits, np.int64)
            n = _code_table(values, bits, lengths, mantissa, enc, dec, buf, True)
            if n < 0:
                raise PayloadError(f"damaged GOP: a value table leaves the {bits}-bit range")
            tables.append(values[:n].copy())
        masses.append(bool(code_uniform(enc, dec, buf, True, 0, 2)))
    return tables, masses
