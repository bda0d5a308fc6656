"""Matroska files byte for byte (stdlib): the file as ranges, in file order, as for an AVI
(:mod:`.avi`): the payloads of the video track's blocks (one frame each, V_UNCOMPRESSED whose
UncompressedFourCC is a packing :mod:`.avi` knows: 'UYVY', 'YUY2', 'YVYU', 'v210'...), the payloads
of each PCM track's blocks (A_PCM/INT/LIT, A_PCM/INT/BIG, A_PCM/FLOAT/IEEE; laced blocks too: a
lace's frames are contiguous bytes), and every other byte (the EBML header, SeekHead, Info,
Tracks, Cues, Tags, Void and CRC-32 elements, block headers and lace headers, other tracks'
blocks) kept as stored bytes. The file is walked element by element (its own EBML walk, no
FFmpeg); a Segment and its Clusters may have an unknown size (a file written live).
:mod:`nlvc_av.io.aviread` makes the frames, the sound track and the records.

    layout = read_layout(data)      # AviLayout; RebuildError when the file cannot be kept; None: not ours
"""
from __future__ import annotations

import struct
from fractions import Fraction

from container.ebml import UNKNOWN_SIZE, decode_id, decode_size

from .avi import SOUND_PAYLOAD, STORED, VIDEO, VIDEO_PAYLOAD, AviLayout
from .packing import stream_size
from .rebuild_ops import RebuildError

EBML, SEGMENT, CLUSTER, TRACKS, INFO = 0x1A45DFA3, 0x18538067, 0x1F43B675, 0x1654AE6B, 0x1549A966
SIMPLE_BLOCK, BLOCK_GROUP, BLOCK, CLUSTER_TIMESTAMP = 0xA3, 0xA0, 0xA1, 0xE7
#: the Segment's children: where a Cluster of unknown size ends
LEVEL1 = {0x114D9B74, INFO, TRACKS, 0x1043A770, CLUSTER, 0x1C53BB6B, 0x1941A469, 0x1254C367, EBML, SEGMENT}
NAMES = {EBML: "EBML header", SEGMENT: "Segment", CLUSTER: "Cluster", TRACKS: "Tracks", INFO: "Info",
         0x114D9B74: "SeekHead", 0x1C53BB6B: "Cues", 0x1254C367: "Tags", 0x1043A770: "Chapters",
         0x1941A469: "Attachments", SIMPLE_BLOCK: "SimpleBlock", BLOCK_GROUP: "BlockGroup", BLOCK: "Block",
         0xAE: "TrackEntry", 0xEC: "Void", 0xBF: "CRC-32"}
#: UncompressedFourCC -> the AVI fourcc whose packing it is (besides the AVI fourccs themselves)
VIDEO_FORMATS = {b"2vuy": b"UYVY", b"HDYC": b"UYVY", b"YUYV": b"YUY2"}
#: CodecID -> (kind, byte order) of the PCM; 8-bit integers are unsigned (Matroska's codec specs)
SOUND_FORMATS = {b"A_PCM/INT/LIT": ("int", "le"), b"A_PCM/INT/BIG": ("int", "be"), b"A_PCM/FLOAT/IEEE": ("float", "le")}


def is_mkv(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _head(data, at: int, end: int) -> tuple[int, int | None, int]:
    """(ID, payload size or None when unknown, header length) of the element at ``at``."""
    try:
        got = decode_id(data, at)
        size = got and at + got[1] < end and decode_size(data, at + got[1])
    except ValueError:
        raise RebuildError(f"byte {at}: not an EBML element (0x{data[at]:02x}; a damaged file or a lying size "
                           "before it)") from None
    if not size or at + got[1] + size[1] > end:
        raise RebuildError(f"the element at byte {at} is cut in its header (a truncated file)")
    head = got[1] + size[1]
    return got[0], None if size[0] == UNKNOWN_SIZE else size[0], head


def _element(data, at: int, end: int, unknown: tuple = ()) -> tuple[int, int, int | None]:
    """(ID, payload start, payload end; None: an unknown size, allowed for the IDs in ``unknown``)
    of the element at ``at``; RebuildError when it runs past ``end``."""
    eid, size, head = _head(data, at, end)
    name = NAMES.get(eid, f"element 0x{eid:X}")
    if size is None and eid not in unknown:
        raise RebuildError(f"the {name} at byte {at} has an unknown size (only a Segment or a Cluster may)")
    if size is not None and at + head + size > end:
        raise RebuildError(f"the {name} at byte {at} claims {size} bytes, {end - at - head} are left "
                           "(a truncated file or a lying size)")
    return eid, at + head, None if size is None else at + head + size


def _children(data, start: int, end: int):
    """(ID, payload start, payload end) of each element of a master element of known size."""
    at = start
    while at < end:
        eid, a, at = _element(data, at, end)
        yield eid, a, at


def _values(data, start: int, end: int) -> dict[int, bytes | tuple[int, int]]:
    """A master element's children: ID -> its bytes (its span for the masters Video and Audio)."""
    return {eid: (a, b) if eid in (0xE0, 0xE1) else bytes(data[a:b]) for eid, a, b in _children(data, start, end)}


def _uint(raw, default: int = 0) -> int:
    return int.from_bytes(raw, "big") if isinstance(raw, bytes) and raw else default


def _float(raw: bytes | None) -> float:
    return struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0] if raw and len(raw) in (4, 8) else 0.0


def _track(data, start: int, end: int) -> dict:
    v = _values(data, start, end)
    track = {"number": _uint(v.get(0xD7)), "type": _uint(v.get(0x83)), "codec": v.get(0x86, b"").rstrip(b"\0"),
             "encoded": 0x6D80 in v, "duration": _uint(v.get(0x23E383))}
    if 0xE0 in v:
        video = _values(data, *v[0xE0])
        track.update(width=_uint(video.get(0xB0)), height=_uint(video.get(0xBA)), fourcc=video.get(0x2EB524, b""))
    if 0xE1 in v:
        audio = _values(data, *v[0xE1])
        track.update(rate=_float(audio.get(0xB5, b"")) or 8000.0, channels=_uint(audio.get(0x9F), 1),
                     bits=_uint(audio.get(0x6264)))
    return track


def _sound(track: dict) -> dict | None:
    """sample_rate, channels, bits, kind, signed, byte_order of a PCM track; None otherwise."""
    kind, order = SOUND_FORMATS.get(track["codec"], (None, None))
    bits, rate = track.get("bits", 0), track.get("rate", 0.0)
    if kind is None or track["encoded"] or rate != int(rate) or rate <= 0 or not track.get("channels"):
        return None
    if bits not in ((32, 64) if kind == "float" else (8, 16, 24, 32)):
        return None
    return {"sample_rate": int(rate), "channels": track["channels"], "bits": bits, "kind": kind,
            "signed": kind == "float" or bits > 8, "byte_order": order}


def read_layout(data) -> AviLayout | None:
    """The file's ranges (``data``: its bytes, or a memory map); None when it is not a Matroska
    file whose tracks this module keeps (FFmpeg then reads it, as before); RebuildError when it
    is, but the file cannot be described (truncated, a lying size, a frame block of another size,
    a laced video block)."""
    try:
        return _layout(data)
    except (struct.error, IndexError):
        raise RebuildError("an element too short for the fields it must hold (a truncated or damaged file)") from None


def _layout(data) -> AviLayout | None:
    size = len(data)
    if not is_mkv(bytes(data[:4])):
        return None
    _, n, head = _head(data, 0, size)
    if n is None or head + n > size or _values(data, head, head + n).get(0x4282) not in (b"matroska", b"webm"):
        return None  # (an .nlvc renamed, or a damaged header: FFmpeg says what it is)
    segments, at = [], head + n
    while at < size:
        eid, a, end = _element(data, at, size, (SEGMENT,))
        at = size if end is None else end
        if eid == SEGMENT:
            segments.append((a, at))
    if len(segments) != 1:
        raise RebuildError(f"{len(segments) or 'no'} Segment{'s' if len(segments) != 1 else ''} (one is kept)")
    tracks, scale, blocks = [], 1_000_000, []
    at, seg_end = segments[0]
    while at < seg_end:
        eid, a, end = _element(data, at, seg_end, (CLUSTER,))
        if eid == CLUSTER:
            end = _cluster(data, a, seg_end if end is None else end, end is None, blocks)
        elif eid == TRACKS:
            tracks += [_track(data, x, y) for tid, x, y in _children(data, a, end) if tid == 0xAE]
        elif eid == INFO:
            scale = _uint(_values(data, a, end).get(0x2AD7B1), scale) or scale
        at = end
    return _classify(data, tracks, blocks, scale, size)


def _cluster(data, start: int, end: int, unknown: bool, blocks: list) -> int:
    """Collect the cluster's blocks (cluster timestamp, block start, block end); return its end
    (for an unknown size: the first element that is not a Cluster's child)."""
    at, time = start, 0
    while at < end:
        if unknown and _head(data, at, end)[0] in LEVEL1:
            return at
        eid, a, at = _element(data, at, end)
        if eid == CLUSTER_TIMESTAMP:
            time = _uint(bytes(data[a:at]))
        elif eid == SIMPLE_BLOCK:
            blocks.append((time, a, at))
        elif eid == BLOCK_GROUP:
            blocks += [(time, x, y) for bid, x, y in _children(data, a, at) if bid == BLOCK]
    return end


def _block(data, start: int, end: int) -> tuple[int, int, int, int]:
    """(track number, relative timestamp, lacing, payload start) of a block."""
    got = decode_size(data, start) if start < end else None
    if not got or got[0] == UNKNOWN_SIZE or start + got[1] + 3 > end:
        raise RebuildError(f"the block at byte {start} is too short for its header")
    at = start + got[1]
    return got[0], struct.unpack_from(">h", data, at)[0], (data[at + 2] >> 1) & 3, at + 3


def _laced(data, at: int, end: int, lacing: int) -> int:
    """Where a laced block's frames start (after its lace header); the sizes checked."""
    count, at, sizes = data[at] + 1, at + 1, []
    if lacing == 1:  # Xiph: each size but the last as bytes of 255 and a last byte below
        for _ in range(count - 1):
            sizes.append(0)
            while at < end and data[at] == 255:
                sizes[-1], at = sizes[-1] + 255, at + 1
            sizes[-1], at = sizes[-1] + data[at], at + 1
    elif lacing == 3:  # EBML: the first size, then signed differences
        for k in range(count - 1):
            got = decode_size(data, at)
            if got is None or got[0] == UNKNOWN_SIZE:
                raise RebuildError(f"a lace header at byte {at} is cut")
            value = got[0] if k == 0 else sizes[-1] + got[0] - ((1 << (7 * got[1] - 1)) - 1)
            sizes.append(value)
            at += got[1]
    left = end - at - sum(sizes)
    if at > end or min(sizes + [left]) < 0 or (lacing == 2 and left % count):
        raise RebuildError(f"the lace sizes of the block ending at byte {end} do not add up to its size")
    return at


def _classify(data, tracks: list[dict], blocks: list, scale: int, size: int) -> AviLayout | None:
    videos = [t for t in tracks if t["type"] == 1]
    audios = [t for t in tracks if t["type"] == 2]
    if len(videos) != 1:
        return None
    v = videos[0]
    named = v.get("fourcc", b"")
    fourcc = VIDEO_FORMATS.get(named, named if named in VIDEO else None)
    if v["codec"] != b"V_UNCOMPRESSED" or v["encoded"] or fourcc is None or not v.get("height") \
            or not v.get("width") or v["width"] % 2:
        return None
    sounds = [_sound(t) for t in audios]  # (op 7 takes their streams one after another, in track order)
    if None in sounds:
        return None
    pix_fmt, packing, row = VIDEO[fourcc]
    width, height, row_bytes = v["width"], v["height"], row(v["width"])
    packing = {**packing, "row_bytes": row_bytes}
    layout = AviLayout(width, height, fourcc, pix_fmt, packing, stream_size(packing, width, height), Fraction(25),
                       container="Matroska", sounds=sounds)
    audio = {t["number"]: k for k, t in enumerate(audios)}  # track number -> its index in sounds
    ranges, at, times = layout.ranges, 0, []
    for time, start, end in blocks:
        track, rel, lacing, payload = _block(data, start, end)
        if track == v["number"]:
            if lacing:
                raise RebuildError(f"the video block at byte {start} holds laced frames (not kept byte for byte)")
            if end - payload != layout.frame_bytes:
                raise RebuildError(f"a video block of {end - payload} bytes at byte {payload}, where a {width}x{height}"
                                   f" {v['fourcc'].decode('latin-1')} frame takes {layout.frame_bytes}")
            kind, times = VIDEO_PAYLOAD, times + [time + rel]
        elif track in audio:
            kind, payload = SOUND_PAYLOAD, _laced(data, payload, end, lacing) if lacing else payload
            if audio[track] and end > payload:
                layout.sound_track[payload] = audio[track]
        else:
            continue
        if payload > at:
            ranges.append((STORED, at, payload - at))
        if end > payload:
            ranges.append((kind, payload, end - payload))
        at = end
    if at < size:
        ranges.append((STORED, at, size - at))
    if not layout.frames:
        raise RebuildError("no video frame")
    layout.rate = _rate(v["duration"] or (times[1] - times[0]) * scale if len(times) > 1 else v["duration"])
    return layout


def _rate(ns: int) -> Fraction:
    """Frames per second of a frame lasting ``ns`` nanoseconds (29.97 as 30000/1001); 25 when unknown."""
    if ns <= 0:
        return Fraction(25)
    exact = Fraction(10 ** 9, ns)
    near = exact.limit_denominator(1001)
    return near if abs(Fraction(10 ** 9) / near - ns) < 1 else exact
