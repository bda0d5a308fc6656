"""The pixel formats beyond 8-bit YUV/gray/RGB: 9 to 16 bits, big-endian layouts, alpha.

Planes and their order (alpha is always the last plane, full size, coded like luma):

===============================================  ==============  =============================
pix_fmt                                          planes          coded as
===============================================  ==============  =============================
yuv420p/422p/444p + 9, 10, 12, 14, 16 (le, be)   Y, U, V         the ``le`` name
yuva420p/422p/444p (8, 9, 10, 16; 422/444: 12)   Y, U, V, A      the ``le`` name
gray + 9, 10, 12, 14, 16 (le, be)                Y               the ``le`` name
gbrp + 9, 10, 12, 14, 16 (le, be)                G, B, R         ``gbrp<N>le``
gbrap, gbrap + 10, 12, 14, 16 (le, be)           G, B, R, A      ``gbrap`` / ``gbrap<N>le``
rgb48, bgr48 (le, be)                            G, B, R         ``gbrp16le``
rgba, bgra, argb, abgr                           G, B, R, A      ``gbrap``
rgba64, bgra64 (le, be)                          G, B, R, A      ``gbrap16le``
===============================================  ==============  =============================

Planes of more than 8 bits are uint16 arrays in native byte order; FFmpeg's byte order (``le``
or ``be``) is applied only when a frame is built (``nlvc_av/io/frames.py``), so a big-endian
source is restored in its own layout. Packed offsets count samples within a pixel.
"""
from __future__ import annotations

DEPTHS = (9, 10, 12, 14, 16)
CHROMA = {"420": (1, 1), "422": (1, 0), "444": (0, 0)}
#: yuva depths FFmpeg defines per subsampling
YUVA_DEPTHS = {"420": (9, 10, 16), "422": (9, 10, 12, 16), "444": (9, 10, 12, 16)}
#: packed layouts: name -> (offsets of G, B, R[, A] within a pixel, samples per pixel, bits)
PACKED = {
    "rgb48": ((1, 2, 0), 3, 16), "bgr48": ((1, 0, 2), 3, 16),
    "rgba64": ((1, 2, 0, 3), 4, 16), "bgra64": ((1, 0, 2, 3), 4, 16),
    "rgba": ((1, 2, 0, 3), 4, 8), "bgra": ((1, 0, 2, 3), 4, 8),
    "argb": ((2, 3, 1, 0), 4, 8), "abgr": ((2, 1, 3, 0), 4, 8),
}


def _endians(name: str, bits: int):
    """(FFmpeg name, big_endian) for each byte order of a >8-bit format."""
    return [(f"{name}le", False), (f"{name}be", True)] if bits > 8 else [(name, False)]


def highdepth_formats(cls) -> list:
    """Every such format as a ``cls`` (formats.PixFmt), in the order messages list them."""
    out = []
    for sub, (cw, ch) in CHROMA.items():
        for bits in DEPTHS:
            for name, be in _endians(f"yuv{sub}p{bits}", bits):
                out.append(cls(name, "yuv", 3, cw, ch, bit_depth=bits, big_endian=be,
                               coding=f"yuv{sub}p{bits}le"))
    for sub, (cw, ch) in CHROMA.items():
        for bits in (8,) + YUVA_DEPTHS[sub]:
            base = f"yuva{sub}p" + (str(bits) if bits > 8 else "")
            for name, be in _endians(base, bits):
                out.append(cls(name, "yuv", 4, cw, ch, bit_depth=bits, big_endian=be,
                               coding=base + ("le" if bits > 8 else "")))
    for bits in DEPTHS:
        for name, be in _endians(f"gray{bits}", bits):
            out.append(cls(name, "gray", 1, bit_depth=bits, big_endian=be, coding=f"gray{bits}le"))
    for bits in DEPTHS:
        for name, be in _endians(f"gbrp{bits}", bits):
            out.append(cls(name, "rgb", 3, bit_depth=bits, big_endian=be, coding=f"gbrp{bits}le"))
    out.append(cls("gbrap", "rgb", 4, coding="gbrap"))
    for bits in (10, 12, 14, 16):
        for name, be in _endians(f"gbrap{bits}", bits):
            out.append(cls(name, "rgb", 4, bit_depth=bits, big_endian=be, coding=f"gbrap{bits}le"))
    for base, (offsets, samples, bits) in PACKED.items():
        coding = ("gbrap" if len(offsets) == 4 else "gbrp") + (f"{bits}le" if bits > 8 else "")
        for name, be in _endians(base, bits):
            out.append(cls(name, "rgb", len(offsets), packed=offsets, pixel_bytes=samples,
                           bit_depth=bits, big_endian=be, coding=coding))
    return out
