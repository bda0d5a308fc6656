"""DPX (SMPTE 268M) files: where the pixels are and how they are packed, for the byte-for-byte
rebuild (:mod:`nlvc_av.io.rebuild`). Pure Python.

One image element, uncompressed (encoding 0): RGB (descriptor 50), RGBA (51) or luma (6);
8 bits; 10 bits filled in 32-bit words, method A (packing 1: the two padding bits low) or B
(packing 2: high); 12 bits in 16-bit words, method A (padding low) or B; 16 bits. Either
endianness (magic ``SDPX``: big-endian, ``XPDS``: little-endian). Rows start on 32-bit
boundaries. Everything before the image data (the headers, user data) and after it (trailing
bytes) is stored as it is.
"""
from __future__ import annotations

import struct

from .rebuild_ops import OP_PIXELS, OP_STORED, RebuildError

GENERIC_HEADER = 1664  # file, image, orientation, film and television headers
#: Descriptor -> the file's components as indices into the codec's planes (G, B, R[, A]; Y).
COMPONENTS = {50: "2,0,1", 51: "2,0,1,3", 6: "0"}


def layout(data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of a DPX file (see :mod:`nlvc_av.io.rebuild`)."""
    if len(data) < GENERIC_HEADER:
        raise RebuildError(f"the DPX header is cut ({len(data)} bytes, it has {GENERIC_HEADER})")
    magic = data[:4]
    if magic not in (b"SDPX", b"XPDS"):
        raise RebuildError(f"not a DPX file (starts {magic.hex(' ')})")
    e = ">" if magic == b"SDPX" else "<"

    def u32(at: int) -> int:
        return struct.unpack_from(e + "I", data, at)[0]

    def u16(at: int) -> int:
        return struct.unpack_from(e + "H", data, at)[0]

    offset, elements = u32(4), u16(770)
    if (u32(772), u32(776)) != (width, height):
        raise RebuildError(f"the DPX header says {u32(772)}x{u32(776)}, the decoded frame is {width}x{height}")
    if elements != 1:
        raise RebuildError(f"{elements} image elements (one is rebuilt)")
    descriptor, bits, packing, encoding = data[800], data[803], u16(804), u16(806)
    if encoding != 0:
        raise RebuildError(f"run-length encoded image data (encoding {encoding})")
    if descriptor not in COMPONENTS:
        raise RebuildError(f"descriptor {descriptor} (RGB 50, RGBA 51 and luma 6 are rebuilt)")
    if u32(812) not in (0, 0xFFFFFFFF):
        raise RebuildError(f"end-of-line padding of {u32(812)} bytes")
    order = COMPONENTS[descriptor]
    per_row = width * len(order.split(","))
    if bits == 8:
        samples, row = {"samples": "u8"}, per_row
    elif bits == 10 and packing in (1, 2):
        samples, row = {"samples": "10a" if packing == 1 else "10b"}, -(-per_row // 3) * 4
    elif bits == 12 and packing in (1, 2):
        samples, row = {"samples": "u16", "shift": 4 if packing == 1 else 0}, per_row * 2
    elif bits == 16:
        samples, row = {"samples": "u16", "shift": 0}, per_row * 2
    else:
        raise RebuildError(f"{bits}-bit samples with packing {packing} (only 8 and 16 bits, and 10 and "
                           "12 bits filled to words, method A or B, are rebuilt)")
    row_bytes = -(-row // 4) * 4
    size = row_bytes * height
    if offset < GENERIC_HEADER or offset + size > len(data):
        raise RebuildError(f"the image data ({size} bytes at byte {offset}) is not inside the "
                           f"file ({len(data)} bytes)")
    packing_params = {**samples, "byte_order": "be" if e == ">" else "le", "order": order, "row_bytes": row_bytes}
    pixel_map = [OP_STORED, offset, 0, OP_PIXELS, size, 0]
    if offset + size < len(data):
        pixel_map += [OP_STORED, len(data) - offset - size, 0]
    return packing_params, pixel_map, data[:offset] + data[offset + size:]
