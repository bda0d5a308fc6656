"""RIFF/WAVE files for :mod:`nlvc_av.io.soundfile`: the fmt chunk (PCM, IEEE float, extensible),
RF64 and BW64 (the ds64 chunk's RIFF and data sizes, its table of other big chunks). Pure
Python."""
from __future__ import annotations

import struct

from .rebuild_ops import RebuildError
from .soundlayout import GUID_TAIL, MAX_CHANNELS, TAG_NAMES, Samples, SoundLayout, chunk_name, make_layout, one, walk


def read_wav(data: bytes, magic: bytes) -> SoundLayout:
    """The layout of a RIFF/WAVE, RF64 or BW64 file's bytes (``magic``: its first four)."""
    name = magic.decode()
    form = data[8:12]
    if form != b"WAVE":
        raise RebuildError(f"a {name} file of type {chunk_name(form)}, not WAVE")
    riff_size = struct.unpack_from("<I", data, 4)[0]
    big, sizes = None, {}
    if magic != b"RIFF":
        riff_size, big = _ds64(data, name, riff_size)
    end = 8 + riff_size
    if end > len(data):
        raise RebuildError(f"truncated: the {name} header says {end} bytes, the file has {len(data)}")
    chunks = walk(data, 12, end, "<", sizes, big)
    fmt, found = one(chunks, b"fmt "), one(chunks, b"data")
    if fmt is None:
        raise RebuildError("no fmt chunk")
    if found is None:
        raise RebuildError("no data chunk")
    samples = _fmt(data[fmt[1] + 8:fmt[1] + 8 + fmt[2]])
    container = {b"RIFF": "wav", b"RF64": "rf64", b"BW64": "bw64"}[magic]
    return make_layout(data, container, samples, found[1] + 8, found[2])


def _ds64(data: bytes, name: str, riff_size: int) -> tuple[int, dict]:
    """An RF64/BW64 file's RIFF size and the big sizes of its ds64 chunk (ID -> sizes)."""
    if len(data) < 20:
        raise RebuildError(f"truncated: {len(data)} bytes, an {name} header and its ds64 chunk header have 20")
    cid, size = data[12:16], struct.unpack_from("<I", data, 16)[0]
    if cid != b"ds64":
        raise RebuildError(f"an {name} file whose first chunk is {chunk_name(cid)}, not ds64")
    if size < 28:
        raise RebuildError(f"a ds64 chunk of {size} bytes (at least 28)")
    if 20 + size > len(data):
        raise RebuildError(f"truncated: the ds64 chunk says {size} bytes, the file holds {len(data) - 20}")
    big_riff, big_data, _count, entries = struct.unpack_from("<QQQI", data, 20)
    if 28 + 12 * entries > size:
        raise RebuildError(f"the ds64 chunk lists {entries} chunk sizes, its {size} bytes hold "
                           f"{max(0, (size - 28) // 12)}")
    big: dict[bytes, list[int]] = {b"data": [big_data]}
    for k in range(entries):
        at = 48 + 12 * k
        big.setdefault(data[at:at + 4], []).append(struct.unpack_from("<Q", data, at + 4)[0])
    return (big_riff if riff_size == 0xFFFFFFFF else riff_size), big


def _fmt(body: bytes) -> Samples:
    """The samples a WAVE format chunk describes."""
    if len(body) < 16:
        raise RebuildError(f"the fmt chunk has {len(body)} bytes (at least 16)")
    tag, channels, rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", body)
    valid = bits
    if tag == 0xFFFE:
        if len(body) < 40:
            raise RebuildError(f"an extensible fmt chunk of {len(body)} bytes (40 needed)")
        valid, guid = struct.unpack_from("<H", body, 18)[0], body[24:40]
        if guid[2:] != GUID_TAIL:
            raise RebuildError(f"an extensible fmt chunk whose subformat GUID {guid.hex()} is neither PCM nor float")
        tag = struct.unpack_from("<H", guid)[0]
        if tag not in (1, 3):
            raise RebuildError(f"an extensible fmt chunk of subformat 0x{tag:04x} "
                               f"({TAG_NAMES.get(tag, 'unknown')}; PCM 1 and float 3 are read)")
    elif tag not in (1, 3):
        raise RebuildError(f"format tag 0x{tag:04x} ({TAG_NAMES.get(tag, 'unknown')}): PCM (1), IEEE float (3) "
                           "and extensible PCM or float are read")
    if not 1 <= channels <= MAX_CHANNELS:
        raise RebuildError(f"{channels} channels (1 to {MAX_CHANNELS} are read)")
    if rate == 0:
        raise RebuildError("a sample rate of 0")
    if align == 0 or align % channels:
        raise RebuildError(f"a block align of {align} bytes for {channels} channels")
    width = align // channels
    if not 1 <= bits <= 8 * width:
        raise RebuildError(f"{bits} bits per sample in {width}-byte samples (the block align)")
    kind = "float" if tag == 3 else "int"
    if kind == "float" and (bits, width) not in ((32, 4), (64, 8)):
        raise RebuildError(f"{bits}-bit float samples in {width} bytes (32 and 64 are read)")
    if width > 8:
        raise RebuildError(f"{width}-byte samples (1 to 8 are read)")
    valid = valid or bits
    if valid > 8 * width:
        raise RebuildError(f"{valid} valid bits in {width}-byte samples")
    return Samples(rate, channels, 8 * width, kind, width > 1, "le", valid)


