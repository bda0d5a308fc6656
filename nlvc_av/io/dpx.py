"""DPX (SMPTE 268M) files: where the pixels are and how they are packed, for reading them
(:mod:`nlvc_av.io.imageread`) and for the byte-for-byte rebuild (:mod:`nlvc_av.io.rebuild`).
Pure Python.

One image element, uncompressed (encoding 0): RGB (descriptor 50), RGBA (51), ABGR (52), or
one component (luma 6, alpha 4, red 1, green 2, blue 3); 8 bits; 10 bits filled in 32-bit
words, method A (packing 1: the two padding bits low) or B (packing 2: high); 10 and 12 bits
packed (packing 0: one sample after another in 32-bit words, from the low bit up); 12 bits in
16-bit words, method A (padding low) or B; 16 bits. Either endianness (magic ``SDPX``:
big-endian, ``XPDS``: little-endian). Rows start on 32-bit boundaries, or, where the image data
is too short for that (Scanity's luma files), the image is one stream of samples. The image
data starts at the generic header's offset (the image element's when that is 0). Everything
before the image data (the headers, user data) and after it (trailing bytes) is stored as it
is; padding bits that are not zero are kept by the rebuild's patch.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .packing import pixel_stream, stream_size, unpack
from .rebuild_ops import OP_PIXELS, OP_STORED, RebuildError

GENERIC_HEADER = 1664  # file, image, orientation, film and television headers
#: Descriptor -> (the file's components as indices into the codec's planes, the planes' family).
COMPONENTS = {50: ("2,0,1", "gbrp"), 51: ("2,0,1,3", "gbrap"), 52: ("3,1,0,2", "gbrap"),
              6: ("0", "gray"), 4: ("0", "gray"), 1: ("0", "gray"), 2: ("0", "gray"), 3: ("0", "gray")}
PLANES = {"gray": 1, "gbrp": 3, "gbrap": 4}
#: Luma descriptors whose 10-bit filled words hold the first sample in the low bits.
FIRST_LOW = (6, 4, 1, 2, 3)


@dataclass
class DpxImage:
    """What the header of a DPX file says of its pixels."""

    width: int
    height: int
    pix_fmt: str  # the codec's planes for its samples (gbrp10le, gray, ...)
    packing: dict  # SourcePacking params (:mod:`nlvc_av.io.packing`)
    offset: int  # first byte of the image data
    size: int  # bytes of the image data
    planes: int  # planes of the frame (1 luma or one component, 3 RGB, 4 RGBA)


#: The pixel formats FFmpeg's decoder gives 8- and 16-bit files (the same samples; a file
#: restored as video keeps the format FFmpeg would have given it).
PACKED_NAMES = {("gbrp", 8): "rgb24", ("gbrap", 8): "rgba", ("gbrp", 16): "rgb48", ("gbrap", 16): "rgba64",
                ("gray", 16): "gray16"}


def pix_fmt_of(family: str, bits: int, byte_order: str) -> str:
    name = PACKED_NAMES.get((family, bits), family)
    if bits == 8:
        return name
    return f"{name}{byte_order}" if bits == 16 else f"{name}{bits}le"


def read_header(data: bytes) -> list[DpxImage]:
    """The readings of a DPX file's bytes the header allows (one, or two where the rows'
    alignment is open); RebuildError naming what is not read."""
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

    offset, elements, width, height = u32(4) or u32(808), u16(770), u32(772), u32(776)
    if elements != 1:
        raise RebuildError(f"{elements} image elements (one is read)")
    if not (0 < width <= 65536 and 0 < height <= 65536):
        raise RebuildError(f"an image of {width}x{height} pixels")
    descriptor, bits, packing, encoding = data[800], data[803], u16(804), u16(806)
    if encoding != 0:
        raise RebuildError(f"run-length encoded image data (encoding {encoding})")
    if descriptor not in COMPONENTS:
        raise RebuildError(f"descriptor {descriptor} (RGB 50, RGBA 51, ABGR 52, and one component 1-4 and 6 "
                           "are read)")
    order, family = COMPONENTS[descriptor]
    eol = u32(812) if u32(812) != 0xFFFFFFFF else 0
    if bits == 8:
        params = {"samples": "u8"}
    elif bits == 10 and packing in (1, 2):
        params = {"samples": "10a" if packing == 1 else "10b"}
        if descriptor in FIRST_LOW:
            params["first"] = "low"
    elif bits in (10, 12) and packing == 0:
        params = {"samples": "lsb32", "bits": bits}
    elif bits == 12 and packing in (1, 2):
        params = {"samples": "u16", "shift": 4 if packing == 1 else 0, "bits": 12}
    elif bits == 16:
        params = {"samples": "u16", "shift": 0}
    else:
        raise RebuildError(f"{bits}-bit samples with packing {packing} (8, 10, 12 and 16 bits are read)")
    params |= {"byte_order": "be" if e == ">" else "le", "order": order}
    if offset < 768 or offset > len(data):
        raise RebuildError(f"the image data starts at byte {offset}, outside the file ({len(data)} bytes)")
    aligned = {**params, "row_bytes": -(-stream_size({**params, "row_bytes": 0}, width, 1) // 4) * 4 + eol}
    candidates = [aligned]
    unaligned = {**params, "row_bytes": 0}  # rows not word-aligned: one stream of samples
    if params["samples"] in ("10a", "10b", "lsb32") and stream_size(unaligned, width, height) != \
            stream_size(aligned, width, height):
        candidates.append(unaligned)
    images = [DpxImage(width, height, pix_fmt_of(family, bits, params['byte_order']), c, offset, stream_size(c, width, height),
                       PLANES[family]) for c in candidates]
    images = [im for im in images if offset + im.size <= len(data)]
    if not images:
        raise RebuildError(f"the image data ({stream_size(aligned, width, height)} bytes at byte {offset}) is not "
                           f"inside the file ({len(data)} bytes)")
    return images


def read_image(data: bytes) -> tuple[DpxImage, list[np.ndarray]]:
    """The image of a DPX file and its planes. Where the header leaves the rows' alignment open
    (some scanners pack a luma image as one stream of samples), the reading whose re-packing
    differs least from the file (padding bits that are not zero) is the one."""
    best = None
    for image in read_header(data):
        region = data[image.offset:image.offset + image.size]
        planes = unpack(region, image.packing, image.width, image.height, image.planes)
        made = np.frombuffer(pixel_stream(planes, image.packing, image.width, image.height), np.uint8)
        differ = int(np.unpackbits(made ^ np.frombuffer(region, np.uint8)).sum())
        if best is None or differ < best[0]:
            best = (differ, image, planes)
        if differ == 0:
            break
    return best[1], best[2]


def layout(data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of a DPX file (see :mod:`nlvc_av.io.rebuild`). The samples
    are unpacked only where the header leaves the rows' alignment open (the common file has
    one reading: the frame was unpacked once already, when it was read)."""
    images = read_header(data)
    image = images[0] if len(images) == 1 else read_image(data)[0]
    if (image.width, image.height) != (width, height):
        raise RebuildError(f"the DPX header says {image.width}x{image.height}, the decoded frame is {width}x{height}")
    offset, size = image.offset, image.size
    pixel_map = [OP_STORED, offset, 0, OP_PIXELS, size, 0]
    if offset + size < len(data):
        pixel_map += [OP_STORED, len(data) - offset - size, 0]
    return image.packing, pixel_map, data[:offset] + data[offset + size:]
