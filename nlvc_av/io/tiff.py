"""TIFF files: where the pixels are and how they are packed, for reading them
(:mod:`nlvc_av.io.imageread`) and for the byte-for-byte rebuild (:mod:`nlvc_av.io.rebuild`).

The first image (IFD 0): strips, chunky or planar (PlanarConfiguration 1 or 2), no predictor,
uncompressed (Compression 1) or PackBits (32773, FFmpeg's default); grey or palette (1 sample:
the palette's indices are the samples, the palette is stored), grey and alpha (2), RGB (3),
RGBA (4), CMYK (4, photometric 5); 1 to 32 bits per sample (integer or float: the bits are the
samples), either byte order (``II``, ``MM``). Samples of 8, 16 and 32 bits are words in the
file's byte order; others are bit strings, from the high bit of each byte down, each row padded
to a byte; samples of more than 16 bits are split in two (:mod:`nlvc_av.io.packing`). A
PackBits strip that FFmpeg's or libtiff's encoder makes from its rows, byte for byte, is made
again from the pixels (map ops 4 and 5, :mod:`nlvc_av.io.packbits`); another keeps its control
bytes. Every byte that is not pixels (the header, the IFDs, their values, other images, gaps,
those control bytes) is stored, zlib-compressed (op 6) when that is smaller.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import packbits
from .packing import stream_size, unpack
from .rebuild_ops import OP_INFLATE, OP_PACKBITS, OP_PIXELS, OP_STORED, RebuildError

TYPES = {1: (1, "B"), 3: (2, "H"), 4: (4, "I"), 16: (8, "Q")}  # BYTE, SHORT, LONG, LONG8 (BigTIFF)
WIDTH, HEIGHT, BITS, COMPRESSION, PHOTOMETRIC = 256, 257, 258, 259, 262
STRIP_OFFSETS, SAMPLES, ROWS_PER_STRIP, STRIP_BYTES, PLANAR, PREDICTOR, TILE_WIDTH = 273, 277, 278, 279, 284, 317, 322
FILL_ORDER = 266
#: (photometric, samples per pixel) -> (the file's components as codec planes, the planes' family).
#: Photometric 0/1 grey, 2 RGB, 3 palette, 5 CMYK (its four inks as four planes).
COMPONENTS = {(0, 1): ("0", "gray"), (1, 1): ("0", "gray"), (3, 1): ("0", "gray"), (0, 2): ("0,3", "gbrap"),
              (1, 2): ("0,3", "gbrap"), (2, 3): ("2,0,1", "gbrp"), (2, 4): ("2,0,1,3", "gbrap"),
              (5, 4): ("0,1,2,3", "gbrap")}
#: FFmpeg's names for 8- and 16-bit chunky files (the pixel format FFmpeg's decoder gives them).
FFMPEG_NAMES = {("gbrp", 8): "rgb24", ("gbrap", 8): "rgba", ("gbrp", 16): "rgb48", ("gbrap", 16): "rgba64",
                ("gray", 16): "gray16"}
DEPTHS = {"gray": (8, 9, 10, 12, 14, 16), "gbrp": (8, 9, 10, 12, 14, 16), "gbrap": (8, 10, 12, 14, 16)}
TRIPLE = 24  # bytes of a map triple in the file (SourceMap: three int64)


@dataclass
class TiffImage:
    width: int
    height: int  # of the frame (twice the image's for samples of more than 16 bits)
    pix_fmt: str
    planes: int
    packing: dict
    pixel_map: list[int]
    stored: bytes
    strips: list = field(default_factory=list)  # (file offset, bytes, stream offset, raw bytes, packbits)


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


def _pix_fmt(family: str, bits: int, planar: bool, byte_order: str) -> str:
    depth = 16 if bits > 16 else next(d for d in DEPTHS[family] if d >= bits)
    if not planar and (family, bits) in FFMPEG_NAMES:
        name = FFMPEG_NAMES[family, bits]
        return name if bits == 8 else f"{name}{byte_order}"
    return family if depth == 8 else f"{family}{depth}le"


def read_layout(data: bytes) -> TiffImage:
    """What the file is, where its pixels are; RebuildError naming what is not read."""
    if data[:4] not in (b"II*\0", b"MM\0*"):
        raise RebuildError("not a classic TIFF file (BigTIFF is not read)" if data[2:4] in (b"+\0", b"\0+")
                           else f"not a TIFF file (starts {data[:4].hex(' ')})")
    e = "<" if data[:2] == b"II" else ">"
    f = _ifd(data, e, struct.unpack_from(e + "I", data, 4)[0])

    def one(tag: int, default: int | None = None) -> int:
        values = f.get(tag, [default] if default is not None else [])
        if not values:
            raise RebuildError(f"field {tag} is missing")
        return values[0]

    width, height = one(WIDTH), one(HEIGHT)
    if not (0 < width <= 65536 and 0 < height <= 65536):
        raise RebuildError(f"an image of {width}x{height} pixels")
    if TILE_WIDTH in f:
        raise RebuildError("a tiled TIFF (strips are read)")
    compression, spp, bits = one(COMPRESSION, 1), one(SAMPLES, 1), f.get(BITS, [1])
    if compression not in (1, 32773):
        raise RebuildError(f"compression {compression} (uncompressed and PackBits are read: another "
                           "compressor's output cannot be made again from the pixels)")
    if one(PREDICTOR, 1) != 1 or one(FILL_ORDER, 1) != 1:
        raise RebuildError("a predictor, or bits filled from the low bit (FillOrder 2)")
    photometric, planar = one(PHOTOMETRIC), one(PLANAR, 1) == 2
    if (photometric, spp) not in COMPONENTS or len(set(bits)) != 1 or not 1 <= bits[0] <= 32:
        raise RebuildError(f"{spp} samples of {bits} bits, photometric {photometric} (grey, palette, grey and "
                           "alpha, RGB, RGBA and CMYK of 1 to 32 bits are read)")
    order, family = COMPONENTS[photometric, spp]
    b, byte_order = bits[0], "le" if e == "<" else "be"
    packing = {"samples": {8: "u8", 16: "u16", 32: "u32"}.get(b, "msb8"), "byte_order": byte_order, "order": order}
    if b == 16:
        packing["shift"] = 0
    if packing["samples"] == "msb8":
        packing["bits"] = b
    if b > 16:
        packing["split"] = 1
    if planar and spp > 1:
        packing["interleave"] = "plane"
    row_bytes = -(-width * (1 if planar else spp) * b // 8)
    packing["row_bytes"] = row_bytes
    rows, offsets, counts = one(ROWS_PER_STRIP, height), f.get(STRIP_OFFSETS, []), f.get(STRIP_BYTES, [])
    rows = min(max(rows, 1), height)
    per_plane = -(-height // rows)
    if len(offsets) != per_plane * (spp if planar else 1) or len(counts) != len(offsets):
        raise RebuildError(f"{len(offsets)} strip offsets and {len(counts)} byte counts for {height} rows "
                           f"of {rows} per strip")
    pixel_map, stored, strips, at = [], [], [], 0
    for k in sorted(range(len(offsets)), key=lambda i: offsets[i]):
        start, length = offsets[k], counts[k]
        plane, j = divmod(k, per_plane)
        raw = min(rows, height - j * rows) * row_bytes
        where = (plane * height + j * rows) * row_bytes
        if start < at or start + length > len(data):
            raise RebuildError(f"strip {k} overlaps another or the end of the file")
        if compression == 1 and length != raw:
            raise RebuildError(f"strip {k} is {length} bytes, its rows are {raw}")
        if start > at:
            pixel_map += [OP_STORED, start - at, 0]
            stored.append(data[at:start])
        if compression == 1:
            pixel_map += [OP_PIXELS, length, where]
        else:
            op, control = _packbits_strip(data[start:start + length], raw, row_bytes, k)
            pixel_map += [op, length, where]
            stored.append(control)
        strips.append((start, length, where, raw, compression != 1))
        at = start + length
    if at < len(data):
        pixel_map += [OP_STORED, len(data) - at, 0]
        stored.append(data[at:])
    stored, packed = b"".join(stored), zlib.compress(b"".join(stored), 9)
    if len(packed) + TRIPLE < len(stored):
        pixel_map, stored = [OP_INFLATE, len(packed), 0] + pixel_map, packed
    frame_height = height * 2 if b > 16 else height
    return TiffImage(width, frame_height, _pix_fmt(family, b, planar and spp > 1, byte_order),
                     4 if family == "gbrap" else 3 if family == "gbrp" else 1, packing, pixel_map, stored, strips)


def read_image(data: bytes) -> tuple[TiffImage, list[np.ndarray]]:
    """The image of a TIFF file and its planes (PackBits strips decoded)."""
    image = read_layout(data)
    stream = bytearray(stream_size(image.packing, image.width, image.height))
    for start, length, where, raw, is_packbits in image.strips:
        strip = data[start:start + length]
        rows = packbits.unpack(strip, raw) if is_packbits else np.frombuffer(strip, np.uint8)
        stream[where:where + raw] = bytes(rows)
    return image, unpack(bytes(stream), image.packing, image.width, image.height, image.planes)


def layout(data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of a TIFF file (see :mod:`nlvc_av.io.rebuild`)."""
    image = read_layout(data)
    if (image.width, image.height) != (width, height):
        raise RebuildError(f"the TIFF is a {image.width}x{image.height} frame, the decoded frame is {width}x{height}")
    return image.packing, image.pixel_map, image.stored


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
