"""TIFF files: where the pixels are and how they are packed, for the byte-for-byte rebuild
(:mod:`nlvc_av.io.rebuild`). Pure Python.

The first image (IFD 0): strips, chunky (PlanarConfiguration 1), no predictor, uncompressed
(Compression 1) or PackBits (32773, FFmpeg's default); RGB (3 samples), RGBA (4) or grey
(1), 8 or 16 bits, either byte order (``II``, ``MM``). A PackBits strip that FFmpeg's or
libtiff's encoder makes from its rows, byte for byte, is made again from the pixels (map ops 4
and 5, :mod:`nlvc_av.io.packbits`); another keeps its control bytes. Every byte that is not
pixels (the header, the IFDs, their values, other images, gaps, those control bytes) is stored,
zlib-compressed (op 6) when that is smaller.
"""
from __future__ import annotations

import struct
import zlib

from . import packbits
from .rebuild_ops import OP_INFLATE, OP_PACKBITS, OP_PIXELS, OP_STORED, RebuildError

TYPES = {1: (1, "B"), 3: (2, "H"), 4: (4, "I"), 16: (8, "Q")}  # BYTE, SHORT, LONG, LONG8 (BigTIFF)
WIDTH, HEIGHT, BITS, COMPRESSION, PHOTOMETRIC = 256, 257, 258, 259, 262
STRIP_OFFSETS, SAMPLES, ROWS_PER_STRIP, STRIP_BYTES, PLANAR, PREDICTOR, TILE_WIDTH = 273, 277, 278, 279, 284, 317, 322
COMPONENTS = {1: "0", 3: "2,0,1", 4: "2,0,1,3"}  # samples per pixel -> codec planes (Y; G, B, R[, A])
TRIPLE = 24  # bytes of a map triple in the file (SourceMap: three int64)


def _ifd(data: bytes, e: str, at: int) -> dict[int, list[int]]:
    if at + 2 > len(data):
        raise RebuildError(f"the first IFD (byte {at}) is outside the file")
    count = struct.unpack_from(e + "H", data, at)[0]
    if at + 2 + 12 * count > len(data):
        raise RebuildError(f"the first IFD (byte {at}, {count} entries) is cut")
    fields = {}
    for k in range(count):
        tag, typ, n, value = struct.unpack_from(e + "HHI4s", data, at + 2 + 12 * k)
        if typ not in TYPES:
            continue  # a field this reader does not need: stored with the rest
        size, code = TYPES[typ]
        where = at + 10 + 12 * k if size * n <= 4 else struct.unpack(e + "I", value)[0]
        if where + size * n > len(data):
            raise RebuildError(f"field {tag}'s values are outside the file")
        fields[tag] = list(struct.unpack_from(f"{e}{n}{code}", data, where))
    return fields


def layout(data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of a TIFF file (see :mod:`nlvc_av.io.rebuild`)."""
    if data[:4] not in (b"II*\0", b"MM\0*"):
        raise RebuildError("not a classic TIFF file (BigTIFF is not rebuilt)" if data[2:4] in (b"+\0", b"\0+")
                           else f"not a TIFF file (starts {data[:4].hex(' ')})")
    e = "<" if data[:2] == b"II" else ">"
    f = _ifd(data, e, struct.unpack_from(e + "I", data, 4)[0])

    def one(tag: int, default: int | None = None) -> int:
        values = f.get(tag, [default] if default is not None else [])
        if not values:
            raise RebuildError(f"field {tag} is missing")
        return values[0]

    if (one(WIDTH), one(HEIGHT)) != (width, height):
        raise RebuildError(f"the TIFF says {one(WIDTH)}x{one(HEIGHT)}, the decoded frame is {width}x{height}")
    if TILE_WIDTH in f:
        raise RebuildError("a tiled TIFF (strips are rebuilt)")
    compression, spp, bits = one(COMPRESSION, 1), one(SAMPLES, 1), f.get(BITS, [1])
    if compression not in (1, 32773):
        raise RebuildError(f"compression {compression} (uncompressed and PackBits are rebuilt)")
    if one(PLANAR, 1) != 1 or one(PREDICTOR, 1) != 1:
        raise RebuildError("planar configuration or predictor other than 1")
    if spp not in COMPONENTS or len(set(bits)) != 1 or bits[0] not in (8, 16) or one(PHOTOMETRIC) not in (1, 2):
        raise RebuildError(f"{spp} samples of {bits} bits, photometric {one(PHOTOMETRIC)} (grey, RGB and "
                           "RGBA of 8 or 16 bits are rebuilt)")
    row_bytes = width * spp * bits[0] // 8
    rows, offsets, counts = one(ROWS_PER_STRIP, height), f.get(STRIP_OFFSETS, []), f.get(STRIP_BYTES, [])
    rows = min(max(rows, 1), height)
    if len(offsets) != -(-height // rows) or len(counts) != len(offsets):
        raise RebuildError(f"{len(offsets)} strip offsets and {len(counts)} byte counts for {height} rows "
                           f"of {rows} per strip")
    pixel_map, stored, at = [], [], 0
    for k in sorted(range(len(offsets)), key=lambda i: offsets[i]):
        start, length = offsets[k], counts[k]
        raw = min(rows, height - k * rows) * row_bytes
        if start < at or start + length > len(data):
            raise RebuildError(f"strip {k} overlaps another or the end of the file")
        if compression == 1 and length != raw:
            raise RebuildError(f"strip {k} is {length} bytes, its rows are {raw}")
        if start > at:
            pixel_map += [OP_STORED, start - at, 0]
            stored.append(data[at:start])
        if compression == 1:
            pixel_map += [OP_PIXELS, length, k * rows * row_bytes]
        else:
            op, control = _packbits_strip(data[start:start + length], raw, row_bytes, k)
            pixel_map += [op, length, k * rows * row_bytes]
            stored.append(control)
        at = start + length
    if at < len(data):
        pixel_map += [OP_STORED, len(data) - at, 0]
        stored.append(data[at:])
    stored, packed = b"".join(stored), zlib.compress(b"".join(stored), 9)
    if len(packed) + TRIPLE < len(stored):
        pixel_map, stored = [OP_INFLATE, len(packed), 0] + pixel_map, packed
    packing = {"samples": "u8" if bits[0] == 8 else "u16", "byte_order": "le" if e == "<" else "be",
               "order": COMPONENTS[spp], "row_bytes": row_bytes}
    if bits[0] == 16:
        packing["shift"] = 0
    return packing, pixel_map, stored


def _packbits_strip(strip: bytes, raw: int, row_bytes: int, k: int) -> tuple[int, bytes]:
    """The map op of a PackBits strip and its stored bytes: FFmpeg's or libtiff's run choice
    (4, 5; nothing stored) where re-encoding its decoded rows gives its exact bytes, else op 2
    and its control bytes."""
    decoded = packbits.unpack(strip, raw)
    if decoded is None:
        raise RebuildError(f"PackBits strip {k} does not decode to the {raw} bytes of its rows")
    op = packbits.rule_of(strip, decoded, row_bytes)
    return (op, b"") if op is not None else (OP_PACKBITS, _control_bytes(strip, raw, k))


def _control_bytes(strip: bytes, raw: int, k: int) -> bytes:
    """The control bytes of a PackBits strip (its literals and runs come from the pixels)."""
    out, at, made = bytearray(), 0, 0
    while at < len(strip):
        c = strip[at]
        out.append(c)
        if c < 128:
            at, made = at + c + 2, made + c + 1
        elif c > 128:
            at, made = at + 2, made + 257 - c
        else:
            at += 1
    if at != len(strip) or made != raw:
        raise RebuildError(f"PackBits strip {k} decodes to {made} bytes, its rows are {raw}")
    return bytes(out)
