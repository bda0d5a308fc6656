"""AVI files byte for byte (RIFF 'AVI ', OpenDML 'AVIX' RIFFs; numpy + stdlib): the file as
ranges, in file order: video chunk payloads (one frame each, uncompressed: v210, UYVY, YUY2,
YVYU, Y210, Y216, NV12, NV21, Y410, v410, r210, R10k), PCM chunk payloads (of each 'auds' stream: '01wb', '02wb'...), and every other byte
(RIFF and chunk headers, hdrl, indexes idx1 and ix##, JUNK, pad bytes) kept as stored bytes.
:func:`read_layout` says where they are; :mod:`nlvc_av.io.aviread` makes the frames, the sound
tracks and the records.

    layout = read_layout(data)      # AviLayout; RebuildError when the file cannot be kept; None: not ours
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction

from .packing import stream_size
from .rebuild_ops import RebuildError

#: fourcc -> (pix_fmt as FFmpeg names it (the planes are its planar twin's), SourcePacking without row_bytes, bytes of a row for a width).
VIDEO = {
    b"v210": ("yuv422p10le", {"samples": "10b", "first": "low", "byte_order": "le", "order": "1,0,2,0",
                              "interleave": "422"}, lambda w: (w + 47) // 48 * 128),
    b"UYVY": ("uyvy422", {"samples": "u8", "byte_order": "le", "order": "1,0,2,0", "interleave": "422"},
              lambda w: 2 * w),
    b"YUY2": ("yuyv422", {"samples": "u8", "byte_order": "le", "order": "0,1,0,2", "interleave": "422"},
              lambda w: 2 * w),
    b"YVYU": ("yvyu422", {"samples": "u8", "byte_order": "le", "order": "0,2,0,1", "interleave": "422"},
              lambda w: 2 * w),
    b"Y210": ("y210le", {"samples": "u16", "shift": 6, "byte_order": "le", "order": "0,1,0,2", "interleave": "422"},
              lambda w: 4 * w),
    b"Y216": ("y216le", {"samples": "u16", "byte_order": "le", "order": "0,1,0,2", "interleave": "422"},
              lambda w: 4 * w),
    b"NV12": ("nv12", {"samples": "u8", "byte_order": "le", "order": "0,1,2", "interleave": "semiplanar"},
              lambda w: w),
    b"NV21": ("nv21", {"samples": "u8", "byte_order": "le", "order": "0,2,1", "interleave": "semiplanar"},
              lambda w: w),
    b"Y410": ("xv30le", {"samples": "10b", "first": "low", "byte_order": "le", "order": "1,0,2"}, lambda w: 4 * w),
    b"v410": ("v30xle", {"samples": "10a", "first": "low", "byte_order": "le", "order": "1,0,2"}, lambda w: 4 * w),
    b"r210": ("gbrp10le", {"samples": "10b", "byte_order": "be", "order": "2,0,1"}, lambda w: (w + 63) // 64 * 256),
    b"R10k": ("gbrp10le", {"samples": "10a", "byte_order": "be", "order": "2,0,1"}, lambda w: 4 * w),
}
VIDEO_PAYLOAD, SOUND_PAYLOAD, STORED = "video", "sound", "stored"


@dataclass
class AviLayout:
    width: int
    height: int
    fourcc: bytes
    pix_fmt: str
    packing: dict  # SourcePacking of a frame (row_bytes included)
    frame_bytes: int
    rate: Fraction  # frames per second (the video stream's dwRate / dwScale)
    ranges: list = field(default_factory=list)  # (kind, start, length), in file order, covering the file
    container: str = "AVI"  # or "QuickTime" (io/mov.py), "Matroska" (io/mkv.py)
    #: every PCM stream's sample_rate, channels, bits (kind, signed, byte_order: MOV, MKV), in track order
    sounds: list = field(default_factory=list)
    sound_track: dict = field(default_factory=dict)  # a SOUND_PAYLOAD range's start -> its index in sounds (absent: 0)

    @property
    def frames(self) -> int:
        return sum(1 for r in self.ranges if r[0] == VIDEO_PAYLOAD)

    @property
    def sound(self) -> dict | None:
        """The first PCM stream (None: no sound)."""
        return self.sounds[0] if self.sounds else None

    def pcm_streams(self) -> list[dict]:
        """The PCM streams, in track order (op 7 takes them one after another: FORMAT.md 6.3)."""
        return self.sounds


def _u32(data, at: int) -> int:
    return struct.unpack_from("<I", data, at)[0]


def _streams(data, start: int, end: int) -> list[tuple[bytes, bytes, bytes]]:
    """(fccType, fccHandler, strf) of each strl of a hdrl list."""
    out = []
    for cid, at, size in _chunks(data, start, end):
        if cid == b"LIST" and bytes(data[at:at + 4]) == b"strl":
            strh = strf = b""
            for sid, sat, ssize in _chunks(data, at + 4, at + size):
                if sid == b"strh":
                    strh = bytes(data[sat:sat + ssize])
                elif sid == b"strf":
                    strf = bytes(data[sat:sat + ssize])
            out.append((strh[:4], strh[4:8], strh, strf))
    return out


def _chunks(data, start: int, end: int):
    """(id, payload start, size) of each chunk between ``start`` and ``end``; RebuildError at a
    chunk that runs past ``end``."""
    at = start
    while at + 8 <= end:
        cid, size = bytes(data[at:at + 4]), _u32(data, at + 4)
        if at + 8 + size > end:
            raise RebuildError(f"the chunk '{cid.decode('latin-1')}' at byte {at} claims {size} bytes, past its "
                               f"list's end at {end} (a truncated file or a lying size)")
        yield cid, at + 8, size
        at += 8 + size + (size & 1)


def is_avi(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


def read_layout(data) -> AviLayout | None:
    """The file's ranges (``data``: its bytes, or a memory map); None when its video is not one
    this module packs (FFmpeg then reads it, as before); RebuildError when it is, but the file
    cannot be described (truncated, a lying size, a frame chunk of another size)."""
    if not is_avi(bytes(data[:12])):
        return None
    size = len(data)
    first_end = 8 + _u32(data, 4)
    if first_end > size:
        raise RebuildError(f"the RIFF 'AVI ' claims {first_end} bytes, the file holds {size} (a truncated file)")
    hdrl = next(((at, s) for cid, at, s in _chunks(data, 12, first_end)
                 if cid == b"LIST" and bytes(data[at:at + 4]) == b"hdrl"), None)
    if hdrl is None:
        raise RebuildError("no 'hdrl' list")
    streams = _streams(data, hdrl[0] + 4, hdrl[0] + hdrl[1])
    video = [k for k, s in enumerate(streams) if s[0] == b"vids"]
    audio = [k for k, s in enumerate(streams) if s[0] == b"auds"]
    if len(video) != 1:
        return None
    strh, strf = streams[video[0]][2], streams[video[0]][3]
    if len(strf) < 40 or len(strh) < 28:
        return None
    width, height, _, bit_count, compression = struct.unpack_from("<iiHHI", strf, 4)
    fourcc = struct.pack("<I", compression)
    if fourcc not in VIDEO or width <= 0 or height <= 0 or width % 2:
        return None
    scale, rate = struct.unpack_from("<II", strh, 20)
    sounds = []
    for k in audio:
        af = streams[k][3]
        tag, channels, sample_rate, _, align, bits = struct.unpack_from("<HHIIHH", af, 0) if len(af) >= 16 else (0,) * 6
        if tag == 0xFFFE and len(af) >= 26:
            tag = struct.unpack_from("<H", af, 24)[0]
        if tag != 1 or bits not in (8, 16, 24, 32) or not channels or align != channels * bits // 8:
            return None
        sounds.append({"sample_rate": sample_rate, "channels": channels, "bits": bits, "stream": k})
    pix_fmt, packing, row = VIDEO[fourcc]
    row_bytes = row(width)
    packing = {**packing, "row_bytes": row_bytes}
    layout = AviLayout(width, height, fourcc, pix_fmt, packing, stream_size(packing, width, height),
                       Fraction(rate, scale) if rate and scale else Fraction(25), sounds=sounds)
    ranges = layout.ranges
    vids = (b"%02d" % video[0], (b"dc", b"db"))
    auds = {b"%02dwb" % k: n for n, k in enumerate(audio)}  # chunk id -> the stream's index in sounds

    def stored(start: int, length: int) -> None:
        if length:
            if ranges and ranges[-1][0] == STORED and sum(ranges[-1][1:]) == start:
                ranges[-1] = (STORED, ranges[-1][1], ranges[-1][2] + length)
            else:
                ranges.append((STORED, start, length))

    def movi(start: int, end: int) -> None:
        pos = start
        for cid, at, n in _chunks(data, start, end):
            stored(at - 8, 8)
            if cid == b"LIST" and bytes(data[at:at + 4]) == b"rec ":
                stored(at, 4)
                movi(at + 4, at + n)
            elif cid[:2] == vids[0] and cid[2:] in vids[1] and n:
                if n != layout.frame_bytes:
                    raise RebuildError(f"a video chunk of {n} bytes at byte {at}, where a {width}x{height} "
                                       f"{fourcc.decode('latin-1')} frame takes {layout.frame_bytes}")
                ranges.append((VIDEO_PAYLOAD, at, n))
            elif cid in auds and n:
                ranges.append((SOUND_PAYLOAD, at, n))
                if auds[cid]:
                    layout.sound_track[at] = auds[cid]
            else:
                stored(at, n)
            stored(at + n, n & 1)
            if n & 1 and at + n + 1 > end:
                raise RebuildError(f"the chunk at byte {at - 8} has an odd size and no pad byte")
            pos = at + n + (n & 1)
        stored(pos, end - pos)  # (bytes too few for a chunk header)

    at = 0
    while at + 12 <= size and bytes(data[at:at + 4]) == b"RIFF":
        end = at + 8 + _u32(data, at + 4)
        if end > size:
            raise RebuildError(f"the RIFF at byte {at} claims {end - at - 8} bytes, the file holds {size - at - 8} "
                               "(a truncated file)")
        if bytes(data[at + 8:at + 12]) not in (b"AVI ", b"AVIX"):
            break
        stored(at, 12)
        pos = at + 12
        for cid, cat, n in _chunks(data, at + 12, end):
            if cid == b"LIST" and bytes(data[cat:cat + 4]) == b"movi":
                stored(cat - 8, 12)
                movi(cat + 4, cat + n)
                stored(cat + n, n & 1)
            else:
                stored(cat - 8, 8 + n + (n & 1))
            pos = cat + n + (n & 1)
        stored(min(pos, end), max(0, end - pos))  # (bytes too few for a chunk header)
        at = end + (end & 1 if end < size else 0)
        stored(end, at - end)
    stored(at, size - at)  # trailing bytes after the last RIFF
    starts = [r[1] for r in ranges]
    if not layout.frames:
        raise RebuildError("no video frame")
    if starts[0] != 0 or any(a[1] + a[2] != b for a, b in zip(ranges, starts[1:])) or sum(ranges[-1][1:]) != size:
        raise RebuildError("the chunks overlap or do not cover the file")
    return layout
