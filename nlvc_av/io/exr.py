"""OpenEXR files: where the pixels are and how they are stored, for reading them
(:mod:`nlvc_av.io.imageread`) and for the byte-for-byte rebuild (:mod:`nlvc_av.io.rebuild`).
Pure Python.

One part, scan lines, uncompressed (compression 0), every channel of one type and full size.
The samples are coded as the integers their bits are, so the rebuild is exact whatever the
values (NaNs, infinities, negative zeros): HALF as 16-bit samples; FLOAT and UINT as 32-bit
words, their high 16 bits in the frame's top half and their low 16 bits in its bottom half (the
frame is twice the image's height). R, G, B (and A) are the planes G, B, R (A); a single
channel is grey; three or four other channels (``Y``, ``RY``, ``BY``...) are planes in file
order, ``Y`` first and ``A`` last. Each scan line's chunk is its y and size (stored) and its
channels' samples one channel after another (``interleave=line``); the header, the offset
table and anything else is stored.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .packing import stream_size, unpack
from .rebuild_ops import OP_PIXELS, OP_STORED, RebuildError, gather

MAGIC = b"v/1\x01"
TYPES = {0: "u32", 1: "u16", 2: "u32"}  # UINT, HALF, FLOAT
TYPE_BYTES = {0: 4, 1: 2, 2: 4}
RGB_PLANES = {"G": 0, "B": 1, "R": 2, "A": 3}
MAX_ATTRIBUTES = 1000


@dataclass
class ExrImage:
    width: int
    height: int  # of the frame (twice the image's for 32-bit samples)
    pix_fmt: str
    planes: int
    packing: dict
    pixel_map: list[int]
    stored: bytes


def _attributes(data: bytes) -> tuple[dict[str, tuple[str, bytes]], int]:
    at, attrs = 8, {}
    for _ in range(MAX_ATTRIBUTES):
        if at >= len(data):
            raise RebuildError("the EXR header is cut")
        if data[at] == 0:
            return attrs, at + 1
        try:
            name_end = data.index(b"\0", at)
            type_end = data.index(b"\0", name_end + 1)
        except ValueError:
            raise RebuildError("the EXR header is cut") from None
        size = struct.unpack_from("<i", data, type_end + 1)[0] if type_end + 5 <= len(data) else -1
        start = type_end + 5
        if size < 0 or start + size > len(data):
            raise RebuildError(f"EXR attribute at byte {at} runs past the end of the file")
        attrs[data[at:name_end].decode("latin-1")] = (data[name_end + 1:type_end].decode("latin-1"),
                                                       data[start:start + size])
        at = start + size
    raise RebuildError(f"more than {MAX_ATTRIBUTES} EXR header attributes")


def _channels(value: bytes) -> list[tuple[str, int, int, int]]:
    out, at = [], 0
    while at < len(value) and value[at] != 0:
        end = value.index(b"\0", at)
        if end + 17 > len(value):
            raise RebuildError("the EXR channel list is cut")
        kind, _, xs, ys = struct.unpack_from("<iB3xii", value, end + 1)
        out.append((value[at:end].decode("latin-1"), kind, xs, ys))
        at = end + 17
    return out


def _plane_order(names: list[str]) -> tuple[str, str]:
    """(order, family): the planes the file's channels (in file order) are."""
    if len(names) == 1:
        return "0", "gray"
    if {"R", "G", "B"} <= set(names) <= set(RGB_PLANES):
        return ",".join(str(RGB_PLANES[n]) for n in names), "gbrap" if "A" in names else "gbrp"
    if len(names) in (3, 4):
        rest = [n for n in names if n not in ("Y", "A")]
        ranked = (["Y"] if "Y" in names else []) + rest + (["A"] if "A" in names else [])
        if len(ranked) == len(names):
            return ",".join(str(ranked.index(n)) for n in names), "gbrap" if len(names) == 4 else "gbrp"
    raise RebuildError(f"EXR channels {', '.join(names)} (one channel, R G B [A], or three or four channels "
                       "are read)")


def read_layout(data: bytes) -> ExrImage:
    """What the file is, where its pixels are; RebuildError naming what is not read."""
    if data[:4] != MAGIC:
        raise RebuildError(f"not an OpenEXR file (starts {data[:4].hex(' ')})")
    if data[4] != 2 or data[5] & 0x1E:  # version 2; tiled, long names, deep data or multi-part
        raise RebuildError(f"EXR version {data[4]} with flags {data[5]:#x} (single-part scan lines are read)")
    attrs, at = _attributes(data)
    for need in ("channels", "compression", "dataWindow"):
        if need not in attrs:
            raise RebuildError(f"the EXR header has no {need}")
    if attrs["compression"][1][:1] != b"\0":
        raise RebuildError(f"compression {attrs['compression'][1][0]} (uncompressed EXR files are read: "
                           "another compressor's output cannot be made again from the pixels)")
    channels = _channels(attrs["channels"][1])
    kinds = {c[1] for c in channels}
    if not channels or len(kinds) != 1 or kinds.pop() not in TYPES or any((c[2], c[3]) != (1, 1) for c in channels):
        raise RebuildError("EXR channels of several types, an unknown type, or subsampled")
    x0, y0, x1, y1 = struct.unpack("<4i", attrs["dataWindow"][1][:16])
    width, height = x1 - x0 + 1, y1 - y0 + 1
    if not (0 < width <= 65536 and 0 < height <= 65536):
        raise RebuildError(f"an EXR image of {width}x{height} pixels")
    order, family = _plane_order([c[0] for c in channels])
    # The scan lines follow the offset table (or, where the header's sizes are not to be trusted,
    # are the file's last bytes), one after another, each its y, its size and its samples; the
    # header, the offset table and anything after the lines are stored as they are. The lines'
    # size says the samples' size (some files' channel list says another).
    found = None
    for size in dict.fromkeys((TYPE_BYTES[channels[0][1]], 2, 4)):
        row_bytes = width * len(channels) * size
        for start in (at + 8 * height, len(data) - height * (8 + row_bytes)):
            if start >= 8 and start + height * (8 + row_bytes) <= len(data) and \
                    _lines(data, start, height, row_bytes, y0) is not None:
                found = found or (size, row_bytes, start)
    if found is None:
        raise RebuildError(f"no {height} scan lines of {width} pixels of {len(channels)} channels after the "
                           "offset table or at the end of the file")
    size, row_bytes, start = found
    packing = {"samples": "u16" if size == 2 else "u32", "byte_order": "le", "order": order,
               "row_bytes": row_bytes, "interleave": "line"}
    if size == 4:
        packing["split"] = 1
    pixel_map, stored = [], [data[:start]]
    for k, y in enumerate(_lines(data, start, height, row_bytes, y0)):
        pixel_map += [OP_STORED, (start if k == 0 else 0) + 8, 0,
                      OP_PIXELS, row_bytes, (y - y0) * row_bytes]
        line = start + k * (8 + row_bytes)
        stored.append(data[line:line + 8])
    end = start + height * (8 + row_bytes)
    if end < len(data):
        pixel_map += [OP_STORED, len(data) - end, 0]
        stored.append(data[end:])
    frame_height = height * 2 if size == 4 else height
    return ExrImage(width, frame_height, f"{family}16le", len(order.split(",")), packing, pixel_map,
                    b"".join(stored))


def _lines(data: bytes, start: int, height: int, row_bytes: int, y0: int) -> list[int] | None:
    """The y of each scan line stored from ``start`` on, when they are each line once."""
    ys = []
    for k in range(height):
        y, size = struct.unpack_from("<ii", data, start + k * (8 + row_bytes))
        if size != row_bytes:
            return None
        ys.append(y)
    return ys if sorted(ys) == list(range(y0, y0 + height)) else None


def read_image(data: bytes) -> tuple[ExrImage, list[np.ndarray]]:
    image = read_layout(data)
    stream = gather(image.pixel_map, data, stream_size(image.packing, image.width, image.height))
    return image, unpack(stream, image.packing, image.width, image.height, image.planes)


def layout(data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of an EXR file (see :mod:`nlvc_av.io.rebuild`)."""
    image = read_layout(data)
    if (image.width, image.height) != (width, height):
        raise RebuildError(f"the EXR file is a {image.width}x{image.height} frame, the decoded frame is "
                           f"{width}x{height}")
    return image.packing, image.pixel_map, image.stored
