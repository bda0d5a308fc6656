"""Pixel formats NLVC codes, their planes, and the lossless packed <-> planar maps (numpy only).

A frame is handled as a list of 2-D ``uint8`` arrays, one per coded plane, each C-contiguous and
exactly ``height x width`` of that plane (no line padding):

==========================  =================  ==========================================
pix_fmt                     planes             plane sizes (w x h frame)
==========================  =================  ==========================================
yuv420p                     Y, U, V            Y: w x h, U/V: ceil(w/2) x ceil(h/2)
yuv422p                     Y, U, V            Y: w x h, U/V: ceil(w/2) x h
yuv444p                     Y, U, V            all w x h
gray                        Y                  w x h
gbrp                        G, B, R            all w x h
rgb24, bgr24, rgb0, bgr0    G, B, R (planar)   all w x h; the packed byte order is restored
yuva*, gbrap, rgba, ...     ..., A             alpha last, full size (formats_deep.py)
uyvy422, nv12, p010le, ...  Y, U, V (or G,     as the planar format they are coded as
                            B, R)              (capture layouts: layouts.py)
==========================  =================  ==========================================

Formats of 9 to 16 bits (``yuv420p10le``, ``gray16be``, ``gbrp12le``, ``rgb48le``...) have the
same planes as uint16 arrays in native byte order (formats_deep.py lists them); a big-endian
format is coded as its little-endian twin and restored in its own layout.

The full-range aliases ``yuvj420p``/``yuvj422p``/``yuvj444p`` are the same samples as
``yuv420p``/... tagged full range: they are read as the plain format with ``color_range = 2``.
The padding byte of ``rgb0``/``bgr0`` carries no picture and is written back as 0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import UnsupportedPixelFormatError
from .formats_deep import highdepth_formats
from .layouts import layout_formats

__all__ = [
    "PixFmt",
    "PIX_FMTS",
    "SUPPORTED_PIX_FMTS",
    "CODED_PIX_FMTS",
    "FULL_RANGE_ALIASES",
    "lookup",
    "normalize",
    "plane_shapes",
    "raw_frame_bytes",
    "frame_md5",
    "check_planes",
    "unpack",
    "pack",
]

#: FFmpeg's ``AVCOL_RANGE_JPEG`` (full range), the meaning of the ``yuvj*`` formats.
COLOR_RANGE_FULL = 2


@dataclass(frozen=True)
class PixFmt:
    """One supported pixel format.

    ``coding_pix_fmt`` is the planar format the codec sees (``gbrp`` for every RGB layout);
    ``packed`` gives, for a packed RGB layout, the byte offsets of G, B and R within one pixel
    of ``pixel_bytes`` bytes (``None`` for planar formats).
    """

    name: str
    family: str  # "yuv" | "gray" | "rgb"
    nplanes: int
    log2_chroma_w: int = 0
    log2_chroma_h: int = 0
    packed: tuple[int, int, int] | None = None
    pixel_bytes: int = 1   # samples per pixel of a packed layout (bytes when 8-bit)
    bit_depth: int = 8
    big_endian: bool = False  # byte order of >8-bit samples in FFmpeg's layout (planes are native)
    coding: str = ""          # the coded planar format, when not the default rule below
    layout: str = ""          # a capture layout (layouts.py: packed 4:2:2, semi-planar, 10-bit words)

    @property
    def coding_pix_fmt(self) -> str:
        if self.coding:
            return self.coding
        return "gbrp" if self.family == "rgb" else self.name

    @property
    def alpha(self) -> bool:
        """Whether the last plane is alpha (coded like luma, full size)."""
        return self.nplanes in (2, 4)

    @property
    def dtype(self) -> np.dtype:
        """The numpy type of a plane: uint8 up to 8 bits, uint16 (native order) above."""
        return np.dtype(np.uint8 if self.bit_depth <= 8 else np.uint16)

    @property
    def sample_bytes(self) -> int:
        return 1 if self.bit_depth <= 8 else 2

    @property
    def plane_is_chroma(self) -> list[bool]:
        """Per coded plane: whether the codec treats it as chroma (U, V; never RGB or alpha)."""
        return [self.family == "yuv" and k in (1, 2) for k in range(self.nplanes)]


PIX_FMTS: dict[str, PixFmt] = {
    p.name: p
    for p in (
        PixFmt("yuv420p", "yuv", 3, 1, 1),
        PixFmt("yuv422p", "yuv", 3, 1, 0),
        PixFmt("yuv444p", "yuv", 3, 0, 0),
        PixFmt("gray", "gray", 1),
        PixFmt("gbrp", "rgb", 3),
        PixFmt("rgb24", "rgb", 3, packed=(1, 2, 0), pixel_bytes=3),
        PixFmt("bgr24", "rgb", 3, packed=(1, 0, 2), pixel_bytes=3),
        PixFmt("rgb0", "rgb", 3, packed=(1, 2, 0), pixel_bytes=4),
        PixFmt("bgr0", "rgb", 3, packed=(1, 0, 2), pixel_bytes=4),
        *highdepth_formats(PixFmt),
        *layout_formats(PixFmt),
    )
}

#: The pixel formats accepted as input, in the order error messages list them.
SUPPORTED_PIX_FMTS: tuple[str, ...] = tuple(PIX_FMTS)

#: The planar formats the GOP coder itself codes (every RGB layout is coded as gbrp).
CODED_PIX_FMTS: tuple[str, ...] = ("yuv420p", "yuv422p", "yuv444p", "gray", "gbrp") + tuple(sorted(
    {p.coding_pix_fmt for p in PIX_FMTS.values()} - {"yuv420p", "yuv422p", "yuv444p", "gray", "gbrp"}))

#: Deprecated FFmpeg full-range names -> the plain format (read with color_range = full).
FULL_RANGE_ALIASES: dict[str, str] = {
    "yuvj420p": "yuv420p",
    "yuvj422p": "yuv422p",
    "yuvj444p": "yuv444p",
}


def normalize(pix_fmt: str) -> tuple[str, bool]:
    """``(name, full_range_alias)``: maps ``yuvj420p`` to ``("yuv420p", True)``; others unchanged."""
    if pix_fmt in FULL_RANGE_ALIASES:
        return FULL_RANGE_ALIASES[pix_fmt], True
    return pix_fmt, False


def lookup(pix_fmt: str | None) -> PixFmt:
    """The :class:`PixFmt` for a name (aliases accepted); a clear error for anything else."""
    name, _ = normalize(pix_fmt or "")
    try:
        return PIX_FMTS[name]
    except KeyError:
        shown = pix_fmt if pix_fmt else "unknown"
        raise UnsupportedPixelFormatError(
            f"unsupported pixel format '{shown}' (supported: {', '.join(SUPPORTED_PIX_FMTS)})"
        ) from None


def plane_shapes(pix_fmt: str | PixFmt, width: int, height: int) -> list[tuple[int, int]]:
    """``(rows, columns)`` of each coded plane; chroma sizes round up (33x17 4:2:0 -> 17x9)."""
    fmt = pix_fmt if isinstance(pix_fmt, PixFmt) else lookup(pix_fmt)
    if width <= 0 or height <= 0:
        raise ValueError(f"invalid frame size {width}x{height}")
    shapes = [(height, width)]
    if fmt.nplanes >= 3:
        if fmt.family == "yuv":
            cw = -(-width >> fmt.log2_chroma_w)
            ch = -(-height >> fmt.log2_chroma_h)
            shapes += [(ch, cw), (ch, cw)]
        else:
            shapes += [(height, width), (height, width)]
    if fmt.alpha:
        shapes.append((height, width))
    return shapes


def raw_frame_bytes(pix_fmt: str | PixFmt, width: int, height: int) -> int:
    """Bytes of one frame's coded planes (the "raw size" compression ratios refer to)."""
    fmt = pix_fmt if isinstance(pix_fmt, PixFmt) else lookup(pix_fmt)
    return fmt.sample_bytes * sum(h * w for h, w in plane_shapes(fmt, width, height))


def check_planes(planes: Sequence[np.ndarray], pix_fmt: str | PixFmt, width: int, height: int) -> None:
    """Raise ``ValueError`` unless ``planes`` are exactly the planes of one such frame."""
    fmt = pix_fmt if isinstance(pix_fmt, PixFmt) else lookup(pix_fmt)
    shapes = plane_shapes(fmt, width, height)
    if len(planes) != len(shapes):
        raise ValueError(f"{fmt.name} has {len(shapes)} planes, got {len(planes)}")
    for i, (plane, shape) in enumerate(zip(planes, shapes)):
        if plane.dtype != fmt.dtype or plane.shape != shape:
            raise ValueError(
                f"{fmt.name} plane {i}: expected {fmt.dtype} {shape[1]}x{shape[0]}, "
                f"got {plane.dtype} {plane.shape[::-1]}"
            )
        if fmt.bit_depth not in (8, 16) and plane.size and int(plane.max()) >> fmt.bit_depth:
            raise ValueError(f"{fmt.name} plane {i}: sample {int(plane.max())} needs more than "
                             f"{fmt.bit_depth} bits")


def frame_md5(planes: Sequence[np.ndarray]) -> bytes:
    """MD5 (16 bytes) over the planes in order, each row-major without padding.

    This is the per-frame checksum stored in every cluster and compared by ``nlvc verify``.
    """
    h = hashlib.md5()
    for plane in planes:
        if plane.dtype.itemsize > 1:  # >8-bit samples: two bytes each, little-endian
            plane = plane.astype("<u2", copy=False)
        h.update(np.ascontiguousarray(plane).data)
    return h.digest()


def unpack(packed: np.ndarray, pix_fmt: str | PixFmt) -> list[np.ndarray]:
    """A packed RGB picture ``(h, w, pixel_bytes)`` -> planar ``[G, B, R]`` (copies)."""
    fmt = pix_fmt if isinstance(pix_fmt, PixFmt) else lookup(pix_fmt)
    if fmt.packed is None:
        raise ValueError(f"{fmt.name} is not a packed format")
    if packed.ndim != 3 or packed.shape[2] != fmt.pixel_bytes:
        raise ValueError(f"{fmt.name}: expected (h, w, {fmt.pixel_bytes}) samples, got {packed.shape}")
    return [np.ascontiguousarray(packed[:, :, c]) for c in fmt.packed]


def pack(planes: Sequence[np.ndarray], pix_fmt: str | PixFmt) -> np.ndarray:
    """Planar ``[G, B, R]`` -> packed ``(h, w, pixel_bytes)`` in the format's byte order."""
    fmt = pix_fmt if isinstance(pix_fmt, PixFmt) else lookup(pix_fmt)
    if fmt.packed is None:
        raise ValueError(f"{fmt.name} is not a packed format")
    g = planes[0]
    out = np.zeros(g.shape + (fmt.pixel_bytes,), dtype=fmt.dtype)
    for plane, c in zip(planes, fmt.packed):
        out[:, :, c] = plane
    return out
