"""AIFF and AIFF-C files for :mod:`nlvc_av.io.soundfile`: the COMM chunk (channels, sample
frames, sample size, the 80-bit extended sample rate, AIFF-C's compression type) and the SSND
chunk (its offset and block size, then the sound data). Big-endian chunk sizes, a pad byte after
an odd-sized chunk. Pure Python."""
from __future__ import annotations

import struct

from .rebuild_ops import RebuildError
from .soundlayout import AIFC_TYPES, MAX_CHANNELS, Samples, SoundLayout, chunk_name, make_layout, one, walk


def extended(raw: bytes) -> float:
    """An IEEE 754 80-bit extended number (sign, 15-bit exponent, 64-bit mantissa with its
    integer bit), as AIFF writes its sample rate; NaN for infinities and NaNs."""
    exp, mantissa = struct.unpack(">HQ", raw)
    sign, exp = -1.0 if exp & 0x8000 else 1.0, exp & 0x7FFF
    if exp == 0x7FFF:
        return float("nan")
    if exp == 0 and mantissa == 0:
        return 0.0
    return sign * float(mantissa) * 2.0 ** (exp - 16383 - 63)


def read_aiff(data: bytes) -> SoundLayout:
    """The layout of an AIFF or AIFF-C file's bytes (see :func:`nlvc_av.io.soundfile.read_layout`)."""
    form = data[8:12]
    if form not in (b"AIFF", b"AIFC"):
        raise RebuildError(f"a FORM file of type {chunk_name(form)}, not AIFF or AIFF-C")
    end = 8 + struct.unpack_from(">I", data, 4)[0]
    if end > len(data):
        raise RebuildError(f"truncated: the FORM header says {end} bytes, the file has {len(data)}")
    chunks = walk(data, 12, end, ">")
    comm, ssnd = one(chunks, b"COMM"), one(chunks, b"SSND")
    if comm is None:
        raise RebuildError("no COMM chunk")
    if ssnd is None:
        raise RebuildError("no SSND chunk")
    samples, frames = _comm(data[comm[1] + 8:comm[1] + 8 + comm[2]], form == b"AIFC")
    size = ssnd[2]
    if size < 8:
        raise RebuildError(f"an SSND chunk of {size} bytes (at least 8)")
    skip = struct.unpack_from(">I", data, ssnd[1] + 8)[0]
    if skip > size - 8:
        raise RebuildError(f"the SSND chunk's offset {skip} is past its {size - 8} bytes of sound data")
    block = samples.channels * samples.bits // 8
    held = (size - 8 - skip) // block
    if held < frames:
        raise RebuildError(f"the SSND chunk holds {held} sample frames, the COMM chunk says {frames}")
    layout = make_layout(data, "aifc" if form == b"AIFC" else "aiff", samples, ssnd[1] + 16 + skip, frames * block)
    return layout


def _comm(body: bytes, aifc: bool) -> tuple[Samples, int]:
    """The samples and sample frames a COMM chunk describes."""
    need = 22 if aifc else 18
    if len(body) < need:
        raise RebuildError(f"the COMM chunk has {len(body)} bytes (at least {need})")
    channels, frames, size = struct.unpack_from(">hIh", body)
    compression = body[18:22] if aifc else b"NONE"
    if compression not in AIFC_TYPES:
        raise RebuildError(f"AIFF-C compression {chunk_name(compression)} (NONE, twos, sowt, raw , in24, in32, 42ni, "
                           "fl32 and fl64 are read)")
    kind, signed, byte_order, width = AIFC_TYPES[compression]
    if not 1 <= channels <= MAX_CHANNELS:
        raise RebuildError(f"{channels} channels (1 to {MAX_CHANNELS} are read)")
    if kind == "int" and not 1 <= size <= 64:
        raise RebuildError(f"a sample size of {size} bits (1 to 64 are read)")
    if width and kind == "int" and size > 8 * width:
        raise RebuildError(f"a sample size of {size} bits in {compression.decode()}'s {width}-byte samples")
    width = width or (size + 7) // 8
    rate = extended(body[8:18])
    if not rate >= 0.5 or rate > 2 ** 31:  # (NaN too)
        raise RebuildError(f"a sample rate of {rate} Hz")
    valid = size if kind == "int" else 8 * width
    return Samples(int(rate + 0.5), channels, 8 * width, kind, signed,
                    byte_order, valid), frames
