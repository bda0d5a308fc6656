"""PackBits (TIFF compression 32773) as the common encoders write it, for the byte-for-byte
rebuild of TIFF files (:mod:`nlvc_av.io.tiff`, :mod:`nlvc_av.io.rebuild`; FORMAT.md 6.2).

PackBits leaves the encoder free to choose its literals and runs; two encoders write most of the
PackBits TIFFs there are, and each choice is a fixed function of the bytes, one row at a time
(no run or literal crosses a row):

- **FFmpeg** (libavcodec ``tiff`` encoder, ``ff_rle_encode`` with one byte per pixel): at each
  position a run of 2 to 127 equal bytes if the next two bytes are equal, else a literal of up to
  127 bytes that ends before two equal bytes (a single pair inside a literal stays in it when the
  byte after the pair differs);
- **libtiff** (``PackBitsEncode``, used by Pillow, ImageMagick, GIMP...): maximal runs of equal
  bytes, a run of 129 or more split into runs of 128; single bytes gathered into literals of up to
  128 bytes; a run of two between literal bytes merged into the literal while it stays shorter
  than 128.

A file whose strips one of them reproduces exactly needs no stored control bytes: its map names
the rule (ops 4 and 5) and the rebuild runs that encoder over the pixel stream. Compiled (numba)
loops; integers only.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .rebuild_ops import OP_PACKBITS_FFMPEG, OP_PACKBITS_LIBTIFF, RebuildError

#: The map op of each encoder's run choice.
RULES = {OP_PACKBITS_FFMPEG: 0, OP_PACKBITS_LIBTIFF: 1}
_BASE, _LITERAL, _RUN, _LITERAL_RUN = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def _ffmpeg_count(row, at, left, same):
    """FFmpeg's count_pixels (bpp 1): up to 127 equal bytes (``same``), or differing ones."""
    limit = min(127, left)
    count, pos = 1, at + 1
    while count < limit:
        if same != (row[pos - 1] == row[pos]):
            if not same:
                if count + 1 < limit and row[pos] != row[pos + 1]:
                    count, pos = count + 1, pos + 1  # 0 1 1 0: the pair stays in the literal
                    continue
                count -= 1  # leave both equal bytes to the run
            break
        count, pos = count + 1, pos + 1
    return count


@njit(cache=True, nogil=True)
def _ffmpeg_row(row, out, o):
    w, x = row.shape[0], 0
    while x < w:
        count = _ffmpeg_count(row, x, w - x, True)
        if count > 1:
            out[o] = 257 - count
            out[o + 1] = row[x]
            o += 2
        else:
            count = _ffmpeg_count(row, x, w - x, False)
            out[o] = count - 1
            out[o + 1:o + 1 + count] = row[x:x + count]
            o += 1 + count
        x += count
    return o


@njit(cache=True, nogil=True)
def _libtiff_row(row, out, o):
    cc, i, state, last = row.shape[0], 0, _BASE, -1  # last: the open literal's control byte
    while i < cc:
        b, n = row[i], 1
        i += 1
        while i < cc and row[i] == b:
            n, i = n + 1, i + 1
        while True:  # libtiff's "again"
            if state == _BASE or state == _RUN:
                if n > 1:
                    state = _RUN
                    if n > 128:
                        out[o], out[o + 1], o, n = 129, b, o + 2, n - 128
                        continue
                    out[o], out[o + 1], o = 257 - n, b, o + 2
                else:
                    last = o
                    out[o], out[o + 1], o, state = 0, b, o + 2, _LITERAL
            elif state == _LITERAL:
                if n > 1:
                    state = _LITERAL_RUN
                    if n > 128:
                        out[o], out[o + 1], o, n = 129, b, o + 2, n - 128
                        continue
                    out[o], out[o + 1], o = 257 - n, b, o + 2
                else:
                    out[last] += 1
                    if out[last] == 127:
                        state = _BASE
                    out[o], o = b, o + 1
            else:  # a literal, then a run: a run of two before a single byte joins the literal
                if n == 1 and out[o - 2] == 255 and out[last] < 126:
                    out[last] += 2
                    state = _BASE if out[last] == 127 else _LITERAL
                    out[o - 2] = out[o - 1]
                else:
                    state = _RUN
                continue
            break
    return o


@njit(cache=True, nogil=True)
def _pack(pixels, start, row_bytes, length, rule):
    """PackBits of whole rows of ``row_bytes`` from ``start`` on, until ``length`` bytes are made;
    (bytes, made): ``made`` != ``length`` when the rows do not end there."""
    out = np.empty(length + 2 * row_bytes + 8, np.uint8)
    o, at = 0, start
    while o < length and at + row_bytes <= pixels.shape[0]:
        row = pixels[at:at + row_bytes]
        o = _ffmpeg_row(row, out, o) if rule == 0 else _libtiff_row(row, out, o)
        at += row_bytes
    return out[:min(o, length)], o


@njit(cache=True, nogil=True)
def _unpack(strip, size):
    """The bytes a PackBits stretch decodes to, and how many (-1: it does not decode to exactly
    ``size`` bytes)."""
    out = np.empty(size, np.uint8)
    at, made = 0, 0
    while at < strip.shape[0]:
        c = strip[at]
        at += 1
        if c < 128:
            if at + c + 1 > strip.shape[0] or made + c + 1 > size:
                return out, -1
            out[made:made + c + 1] = strip[at:at + c + 1]
            at, made = at + c + 1, made + c + 1
        elif c > 128:
            if at >= strip.shape[0] or made + 257 - c > size:
                return out, -1
            out[made:made + 257 - c] = strip[at]
            at, made = at + 1, made + 257 - c
    return out, made if made == size else -1


def pack(op: int, pixels: np.ndarray, start: int, row_bytes: int, length: int) -> bytes:
    """The ``length`` file bytes of map op 4 or 5: the rows of the pixel stream from ``start``
    on, PackBits-coded as that op's encoder codes them; RebuildError when its rows do not make
    exactly ``length`` bytes (a damaged or crafted record)."""
    if row_bytes < 1 or length < 0 or start < 0:
        raise RebuildError(f"a PackBits op over rows of {row_bytes} bytes from {start}, {length} bytes long")
    made, n = _pack(pixels, start, row_bytes, length, RULES[op])
    if n != length:
        raise RebuildError(f"PackBits rows from pixel byte {start} make {n} bytes, the map says {length}")
    return made.tobytes()


def unpack(strip: bytes, size: int) -> np.ndarray | None:
    """The ``size`` bytes a PackBits strip decodes to; None when it decodes to another count."""
    out, made = _unpack(np.frombuffer(strip, np.uint8), size)
    return out if made == size else None


def rule_of(strip: bytes, raw: np.ndarray, row_bytes: int) -> int | None:
    """The map op (4, 5) whose encoder makes exactly ``strip`` from its decoded bytes ``raw``;
    None when neither does."""
    for op, rule in RULES.items():
        made, n = _pack(raw, 0, row_bytes, len(strip), rule)
        if n == len(strip) and made.tobytes() == strip:
            return op
    return None
