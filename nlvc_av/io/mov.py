"""QuickTime/MOV files byte for byte (stdlib): the file as ranges, in file order, as for an AVI
(:mod:`.avi`): video sample payloads (one frame each, uncompressed: '2vuy', 'yuvs', 'v210', 'v410',
'r210', 'R10k'),
the PCM chunks of each sound track ('sowt', 'twos', 'in24', 'in32', 'fl32', 'fl64', 'lpcm',
'raw '; each with its own sample layout), and every other byte (atoms, moov and its sample
tables, timecode samples, padding) kept as stored bytes. Where the samples are comes from moov's sample tables (stsd, stsz,
stsc, stco/co64); atoms may come in any order, with 32- or 64-bit sizes.
:mod:`nlvc_av.io.aviread` makes the frames, the sound track and the records.

    layout = read_layout(data)      # AviLayout; RebuildError when the file cannot be kept; None: not ours
"""
from __future__ import annotations

import struct
from fractions import Fraction

from .avi import SOUND_PAYLOAD, STORED, VIDEO, VIDEO_PAYLOAD, AviLayout
from .packing import stream_size
from .rebuild_ops import RebuildError

#: sample description format -> the AVI fourcc whose packing it shares ('yuv2' is left to FFmpeg:
#: its chroma is signed).
VIDEO_FORMATS = {b"2vuy": b"UYVY", b"yuvs": b"YUY2", b"v210": b"v210", b"v410": b"v410", b"r210": b"r210",
                 b"R10k": b"R10k"}
#: sound format -> (kind, signed, byte order, bytes per sample or 0: from the description's sample size)
SOUND_FORMATS = {b"sowt": ("int", True, "le", 0), b"twos": ("int", True, "be", 0), b"raw ": ("int", False, "be", 1),
                 b"in24": ("int", True, "be", 3), b"in32": ("int", True, "be", 4), b"fl32": ("float", True, "be", 4),
                 b"fl64": ("float", True, "be", 8)}
CONTAINERS = (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"wave")


def _atoms(data, start: int, end: int):
    """(type, payload start, payload end) of each atom between ``start`` and ``end``; RebuildError
    at one that runs past ``end`` or is too small for its header."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        head = 8
        if size == 1:
            if at + 16 > end:
                raise RebuildError(f"the atom '{kind.decode('latin-1')}' at byte {at} is cut in its 64-bit size")
            size, head = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = end - at
        if size < head or at + size > end:
            raise RebuildError(f"the atom '{kind.decode('latin-1')}' at byte {at} claims {size} bytes, "
                               f"{end - at} are left (a truncated file or a lying size)")
        yield kind, at + head, at + size
        at += size


def _find(data, start: int, end: int, *path: bytes):
    """The first atom at ``path`` below the span; None when there is none."""
    for kind, a, b in _atoms(data, start, end):
        if kind == path[0]:
            return (a, b) if len(path) == 1 else _find(data, a, b, *path[1:])
    return None


def _table(data, span, what: str, row: str) -> list:
    """A full-box table (version/flags, count, rows)."""
    if span is None:
        raise RebuildError(f"a track without its '{what}' table")
    a, b = span
    n = struct.unpack_from(">I", data, a + 4)[0]
    size = struct.calcsize(row)
    if a + 8 + n * size > b:
        raise RebuildError(f"its '{what}' table claims {n} rows, its atom holds {(b - a - 8) // size}")
    return [struct.unpack_from(row, data, a + 8 + k * size) for k in range(n)]


def _chunks(data, stbl) -> tuple[list[tuple[int, int]], list[int], int]:
    """(offset, samples) of each chunk, the sample sizes (stsz's table; empty when one size),
    and stsz's one size."""
    offsets = [r[0] for r in _table(data, _find(data, *stbl, b"stco"), "stco", ">I")] \
        if _find(data, *stbl, b"stco") else [r[0] for r in _table(data, _find(data, *stbl, b"co64"), "co64", ">Q")]
    stsc = _table(data, _find(data, *stbl, b"stsc"), "stsc", ">III")
    span = _find(data, *stbl, b"stsz")
    if span is None:
        raise RebuildError("a track without its 'stsz' table")
    one, count = struct.unpack_from(">II", data, span[0] + 4)
    sizes = [] if one else [r[0] for r in _table(data, (span[0] + 4, span[1]), "stsz", ">I")]
    out = []
    for k, (first, per, _) in enumerate(stsc):
        last = stsc[k + 1][0] - 1 if k + 1 < len(stsc) else len(offsets)
        if first < 1 or last > len(offsets) or (k + 1 < len(stsc) and last < first):
            raise RebuildError("its 'stsc' table names chunks the 'stco' table does not have")
        out += [(offsets[c - 1], per) for c in range(first, last + 1)]
    if len(out) != len(offsets):
        raise RebuildError("its 'stsc' table does not cover every chunk")
    if sum(p for _, p in out) != count:
        raise RebuildError(f"its chunks hold {sum(p for _, p in out)} samples, its 'stsz' table says {count}")
    return out, sizes, one


def _handler(data, mdia) -> bytes:
    span = _find(data, *mdia, b"hdlr")
    return bytes(data[span[0] + 8:span[0] + 12]) if span else b""


def _entry(data, stbl) -> tuple[bytes, int, int]:
    """(format, start, end) of the track's only sample description."""
    span = _find(data, *stbl, b"stsd")
    if span is None or struct.unpack_from(">I", data, span[0] + 4)[0] != 1:
        raise RebuildError("a track without exactly one sample description")
    size, fmt = struct.unpack_from(">I4s", data, span[0] + 8)
    if size < 16 or span[0] + 8 + size > span[1]:
        raise RebuildError("a sample description past its 'stsd' atom")
    return fmt, span[0] + 8, span[0] + 8 + size


def _sound(data, entry) -> dict | None:
    """sample_rate, channels, bits, kind, signed, byte_order of a PCM description; None otherwise."""
    fmt, a, b = entry
    version, = struct.unpack_from(">H", data, a + 16)
    if version == 2 and b - a >= 72:
        rate, channels, _, bits, flags, bpf = struct.unpack_from(">dIIIII", data, a + 40)
        ext = a + 72
        if fmt == b"lpcm":
            spec = ("float" if flags & 1 else "int", bool(flags & 4) or bool(flags & 1), "be" if flags & 2 else "le",
                    bits // 8)
        else:
            spec = SOUND_FORMATS.get(fmt)
    elif version in (0, 1) and b - a >= 36 + 16 * version:
        channels, bits = struct.unpack_from(">HH", data, a + 24)
        rate = struct.unpack_from(">I", data, a + 32)[0] >> 16
        ext, spec = a + 36 + 16 * version, SOUND_FORMATS.get(fmt)
    else:
        return None
    if spec is None or not channels or rate != int(rate) or rate <= 0:
        return None
    kind, signed, order, width = spec
    width = width or bits // 8
    if fmt in (b"sowt", b"twos") and bits == 8:
        order = "le"
    enda = _find(data, ext, b, b"wave", b"enda") if ext + 8 <= b else None
    if enda is not None and enda[1] - enda[0] >= 2 and struct.unpack_from(">H", data, enda[0])[0] == 1:
        order = "le"
    if width not in (1, 2, 3, 4, 8) or (kind == "float" and width not in (4, 8)):
        return None
    return {"sample_rate": int(rate), "channels": channels, "bits": 8 * width, "kind": kind,
            "signed": signed, "byte_order": order}


def is_mov(head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] in (b"ftyp", b"wide", b"free", b"mdat", b"moov", b"skip", b"pnot")


def read_layout(data) -> AviLayout | None:
    """The file's ranges (``data``: its bytes, or a memory map); None when its tracks are not ones
    this module packs (FFmpeg then reads it, as before); RebuildError when they are, but the file
    cannot be described (truncated, a lying size or offset, a frame sample of another size)."""
    try:
        return _layout(data)
    except struct.error:
        raise RebuildError("an atom too short for the fields it must hold (a truncated or damaged file)") from None


def _layout(data) -> AviLayout | None:
    size = len(data)
    if not is_mov(bytes(data[:8])):
        return None
    moov = _find(data, 0, size, b"moov")
    if moov is None:
        raise RebuildError("no 'moov' atom")
    video, sounds, payloads = None, [], []
    for kind, a, b in _atoms(data, *moov):
        if kind != b"trak":
            continue
        mdia = _find(data, a, b, b"mdia")
        stbl = mdia and _find(data, *mdia, b"minf", b"stbl")
        handler = _handler(data, mdia) if mdia else b""
        if handler not in (b"vide", b"soun"):
            continue  # (a timecode track's samples are stored bytes)
        if stbl is None:
            raise RebuildError(f"a '{handler.decode('latin-1')}' track without its sample table")
        entry = _entry(data, stbl)
        if handler == b"vide":
            if video is not None or entry[0] not in VIDEO_FORMATS:
                return None
            w, h = struct.unpack_from(">HH", data, entry[1] + 32)
            video = (entry[0], w, h, stbl, mdia)
        else:
            sounds.append((_sound(data, entry), stbl))
            if sounds[-1][0] is None:
                return None
    if video is None:
        return None
    fmt, width, height, stbl, mdia = video
    fourcc = VIDEO_FORMATS[fmt]
    if width <= 0 or height <= 0 or width % 2:
        return None
    pix_fmt, packing, row = VIDEO[fourcc]
    row_bytes = row(width)
    packing = {**packing, "row_bytes": row_bytes}
    layout = AviLayout(width, height, fourcc, pix_fmt, packing, stream_size(packing, width, height),
                       _rate(data, mdia, stbl), container="QuickTime",
                       sounds=[s for s, _ in sounds])
    chunks, sizes, one = _chunks(data, stbl)
    k = 0
    for offset, per in chunks:
        for _ in range(per):
            n = sizes[k] if sizes else one
            if n != layout.frame_bytes:
                raise RebuildError(f"a video sample of {n} bytes, where a {width}x{height} "
                                   f"'{fmt.decode('latin-1')}' frame takes {layout.frame_bytes}")
            payloads.append((offset, n, VIDEO_PAYLOAD))
            offset, k = offset + n, k + 1
    _in_order(payloads, "video")
    for track, (sound, table) in enumerate(sounds):
        block = sound["channels"] * sound["bits"] // 8
        chunks, sizes, one = _chunks(data, table)
        if not sizes and one not in (1, block):
            raise RebuildError(f"sound samples of {one} bytes, where a sample frame takes {block}")
        k, mine = 0, []
        for offset, per in chunks:
            n = sum(sizes[k:k + per]) if sizes else per * block
            mine.append((offset, n, SOUND_PAYLOAD))
            if track and n:  # (an empty chunk makes no range)
                layout.sound_track[offset] = track
            k += per
        _in_order(mine, "sound")
        payloads += mine
    _cover(layout, sorted(payloads), size)
    return layout


def _in_order(payloads: list, what: str) -> None:
    if any(a[0] >= b[0] for a, b in zip(payloads, payloads[1:])):
        raise RebuildError(f"its {what} samples are not in file order")


def _rate(data, mdia, stbl) -> Fraction:
    mdhd, stts = _find(data, *mdia, b"mdhd"), _find(data, *stbl, b"stts")
    if mdhd is None or stts is None or struct.unpack_from(">I", data, stts[0] + 4)[0] < 1:
        return Fraction(25)
    scale = struct.unpack_from(">I", data, mdhd[0] + (20 if data[mdhd[0]] == 1 else 12))[0]
    delta = struct.unpack_from(">I", data, stts[0] + 12)[0]
    return Fraction(scale, delta) if scale and delta else Fraction(25)


def _cover(layout: AviLayout, payloads: list, size: int) -> None:
    """The ranges: the payloads in file order, stored bytes between them."""
    ranges, at = layout.ranges, 0
    video = [p[0] for p in payloads if p[2] == VIDEO_PAYLOAD]
    for offset, n, kind in payloads:
        if offset < at or offset + n > size:
            raise RebuildError(f"a {kind} sample at byte {offset} ({n} bytes) "
                               f"{'runs past the end of the file' if offset + n > size else 'overlaps another'}")
        if offset > at:
            ranges.append((STORED, at, offset - at))
        if n:
            ranges.append((kind, offset, n))
        at = offset + n
    if at < size:
        ranges.append((STORED, at, size - at))
    if not video:
        raise RebuildError("no video frame")
