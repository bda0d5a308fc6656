"""Capture and camera layouts: packed 4:2:2, semi-planar and packed 10-bit words (numpy only).

These layouts are coded through the planar stage and restored in their own layout, sample for
sample. :func:`unpack` takes FFmpeg's planes of a frame (rows of storage words, already in
native byte order) and gives the coded planes; :func:`pack` is its inverse.

==============================================  ==============================  ===============
pix_fmt                                         storage                         coded as
==============================================  ==============================  ===============
uyvy422, yuyv422, yvyu422                       one plane, U Y0 V Y1 / Y0 U Y1  yuv422p
                                                V / Y0 V Y1 U bytes per pair
y210, y212, y216 (le, be)                       the same order as yuyv422 in    yuv422p10le,
                                                16-bit words, samples in the    12le, 16le
                                                high bits
nv12, nv21 / nv16 / nv24, nv42                  Y plane, then one plane of U V  yuv420p /
                                                pairs (V U for nv21, nv42)      422p / 444p
nv20 (le, be)                                   nv16 in 16-bit words, 10-bit    yuv422p10le
                                                samples in the low bits
p010, p012, p016 / p210.. / p410.. (le, be)     nv12 / nv16 / nv24 in 16-bit    yuv4xxp10le,
                                                words, samples in the high bits 12le, 16le
x2rgb10, x2bgr10 (le, be)                       one 32-bit word a pixel: 2      gbrp10le
                                                unused bits, then R G B (B G R)
xv30 (le, be) / v30x (le, be)                   one 32-bit word a pixel: 2      yuv444p10le
                                                unused bits, then V Y U / V Y U
                                                then 2 unused bits
==============================================  ==============================  ===============

Exact or refused: a sample word whose unused bits are not zero (the low 6 bits of a p010 or
y210 word, the 2 padding bits of x2rgb10, the 6 high bits of nv20) cannot be coded as samples
of the layout's depth and restored exactly, so :func:`unpack` refuses it (one line naming the
layout). The unused luma of an odd width's last pair in a packed 4:2:2 layout lies outside the
picture: it is written back as 0, like line padding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedPixelFormatError


@dataclass(frozen=True)
class Layout:
    """How a layout stores its samples.

    ``kind``: ``"packed422"`` (``order``: where Y0, U, Y1, V sit in a pair's four words),
    ``"semiplanar"`` (``order``: where U and V sit in a chroma pair), ``"bitfield"``
    (``order``: the bit offsets of the coded planes' samples in a 32-bit word, 10 bits each).
    ``word``: bytes per storage word; ``shift``: samples sit that many bits up in their word.
    """

    kind: str
    order: tuple[int, ...]
    word: int = 1
    shift: int = 0
    bits: int = 8


#: FFmpeg name (without le/be for word sizes over a byte) -> (layout, subsampling, coded family).
_PACKED422 = {"uyvy422": (1, 0, 3, 2), "yuyv422": (0, 1, 2, 3), "yvyu422": (0, 3, 2, 1)}
_SEMI8 = {"nv12": ("420", (0, 1)), "nv21": ("420", (1, 0)), "nv16": ("422", (0, 1)),
          "nv24": ("444", (0, 1)), "nv42": ("444", (1, 0))}
_SUB = {"420": (1, 1), "422": (1, 0), "444": (0, 0)}
#: bitfield layouts: (offsets of the coded planes' samples, family, mask of the unused bits)
_BITFIELD = {"x2rgb10": ((10, 0, 20), "rgb"), "x2bgr10": ((10, 20, 0), "rgb"),
             "xv30": ((10, 0, 20), "yuv"), "v30x": ((12, 2, 22), "yuv")}

LAYOUTS: dict[str, Layout] = {}
#: name -> (family, log2 chroma w, log2 chroma h, bit depth, big-endian, coded pix_fmt)
_FORMATS: dict[str, tuple] = {}


def _endian(base: str, word: int) -> list[tuple[str, bool]]:
    return [(base + "le", False), (base + "be", True)] if word > 1 else [(base, False)]


def _add(name: str, layout: Layout, family: str, sub: str, big: bool) -> None:
    LAYOUTS[name] = layout
    cw, ch = _SUB[sub]
    if family == "rgb":
        coded = "gbrp" + (f"{layout.bits}le" if layout.bits > 8 else "")
    else:
        coded = f"yuv{sub}p" + (f"{layout.bits}le" if layout.bits > 8 else "")
    _FORMATS[name] = (family, cw, ch, layout.bits, big, coded)


for _name, _order in _PACKED422.items():
    _add(_name, Layout("packed422", _order), "yuv", "422", False)
for _bits in (10, 12, 16):
    for _name, _big in _endian(f"y2{_bits}", 2):
        _add(_name, Layout("packed422", _PACKED422["yuyv422"], 2, 16 - _bits, _bits), "yuv", "422", _big)
for _name, (_sub, _order) in _SEMI8.items():
    _add(_name, Layout("semiplanar", _order), "yuv", _sub, False)
for _name, _big in _endian("nv20", 2):
    _add(_name, Layout("semiplanar", (0, 1), 2, 0, 10), "yuv", "422", _big)
for _sub, _lead in (("420", "p0"), ("422", "p2"), ("444", "p4")):
    for _bits in (10, 12, 16):
        for _name, _big in _endian(f"{_lead}{_bits}", 2):
            _add(_name, Layout("semiplanar", (0, 1), 2, 16 - _bits, _bits), "yuv", _sub, _big)
for _base, (_offsets, _family) in _BITFIELD.items():
    for _name, _big in _endian(_base, 4):
        _add(_name, Layout("bitfield", _offsets, 4, 0, 10), _family, "444", _big)


def layout_formats(cls) -> list:
    """Every layout as a ``cls`` (formats.PixFmt), in the order messages list them."""
    return [cls(name, family, 3, cw, ch, bit_depth=bits, big_endian=big, coding=coded, layout=name)
            for name, (family, cw, ch, bits, big, coded) in _FORMATS.items()]


def _refuse(name: str, what: str) -> None:
    raise UnsupportedPixelFormatError(
        f"{name}: {what}; such samples cannot be coded as the layout's {LAYOUTS[name].bits}-bit "
        "samples and restored exactly, so the video is refused")


def _samples(name: str, words: np.ndarray) -> np.ndarray:
    """Storage words -> samples (uint8 or uint16), every unused bit checked to be zero."""
    lay = LAYOUTS[name]
    if lay.word == 1:
        return np.ascontiguousarray(words, dtype=np.uint8)
    words = words.astype(np.uint16)
    if lay.shift and words.size and np.any(words & ((1 << lay.shift) - 1)):
        _refuse(name, f"the low {lay.shift} bits of a {lay.bits}-bit sample's word are not zero")
    words >>= lay.shift
    if lay.bits + lay.shift < 16 and words.size and int(words.max()) >> lay.bits:
        _refuse(name, f"the high {16 - lay.bits} bits of a {lay.bits}-bit sample's word are not zero")
    return words


def unpack(name: str, planes: list[np.ndarray], width: int, height: int) -> list[np.ndarray]:
    """FFmpeg's planes of a ``name`` frame (2-D arrays of storage words, at least the frame's
    rows and words) -> the coded planes, C-contiguous."""
    lay = LAYOUTS[name]
    family, lcw, lch = _FORMATS[name][:3]
    if lay.kind == "packed422":
        pairs = -(-width // 2)
        group = planes[0][:height, : 4 * pairs].reshape(height, pairs, 4)
        y = np.empty((height, 2 * pairs), dtype=group.dtype)
        y[:, 0::2], y[:, 1::2] = group[:, :, lay.order[0]], group[:, :, lay.order[2]]
        out = [y[:, :width], group[:, :, lay.order[1]], group[:, :, lay.order[3]]]
    elif lay.kind == "semiplanar":
        cw, ch = -(-width >> lcw), -(-height >> lch)
        pairs = planes[1][:ch, : 2 * cw].reshape(ch, cw, 2)
        out = [planes[0][:height, :width], pairs[:, :, lay.order[0]], pairs[:, :, lay.order[1]]]
    else:
        words = planes[0][:height, :width].astype(np.uint32)
        used = 0
        for offset in lay.order:
            used |= 0x3FF << offset
        if words.size and np.any(words & ~np.uint32(used)):
            _refuse(name, "a pixel's 2 padding bits are not zero")
        return [np.ascontiguousarray((words >> offset) & 0x3FF, dtype=np.uint16) for offset in lay.order]
    return [np.ascontiguousarray(_samples(name, p)) for p in out]


def pack(name: str, planes: list[np.ndarray], width: int, height: int) -> list[np.ndarray]:
    """The coded planes -> FFmpeg's planes of a ``name`` frame, as 2-D arrays of storage words
    (native integers: uint8, uint16 or uint32; the caller applies the byte order)."""
    lay = LAYOUTS[name]
    dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32}[lay.word]
    if lay.kind == "bitfield":
        word = np.zeros((height, width), dtype=np.uint32)
        for plane, offset in zip(planes, lay.order):
            word |= plane.astype(np.uint32) << offset
        return [word]
    y, u, v = (p.astype(dtype) << lay.shift for p in planes)
    if lay.kind == "packed422":
        pairs = -(-width // 2)
        group = np.zeros((height, pairs, 4), dtype=dtype)
        group[:, :, lay.order[0]] = y[:, 0::2]
        group[:, : width // 2, lay.order[2]] = y[:, 1::2]
        group[:, :, lay.order[1]], group[:, :, lay.order[3]] = u, v
        return [group.reshape(height, 4 * pairs)]
    pairs = np.empty(u.shape + (2,), dtype=dtype)
    pairs[:, :, lay.order[0]], pairs[:, :, lay.order[1]] = u, v
    return [y, pairs.reshape(u.shape[0], 2 * u.shape[1])]
