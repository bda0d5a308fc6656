"""The chroma siting (FFmpeg's AVChromaLocation) of a demuxed video stream.

PyAV does not expose ``chroma_location``. FFmpeg knows it once the stream is probed (from the
container, e.g. Matroska's ChromaSitingHorz/Vert, or from the bitstream, e.g. an H.264/HEVC
VUI; 4:2:0 H.264/HEVC without one is "left"), and its Matroska muxer writes it into a
stream's header: so the stream's parameters are written, without any packet, as a Matroska
header in memory, and the Colour element read back (ChromaSiting 1 = co-sited, 2 = half way,
per axis). Muxers other than Matroska's store no siting; 0 (unspecified) when none is found.
"""
from __future__ import annotations

import io

import av

from container.ebml import UNKNOWN_SIZE, decode_id, decode_size

from ..codec import formats as P
from .y4m import Y4M_420, y4m_header_fields

#: (ChromaSitingHorz, ChromaSitingVert) -> AVChromaLocation (left, center, topleft, top).
FROM_SITING = {(1, 2): 1, (2, 2): 2, (1, 1): 3, (2, 1): 4}
SEGMENT, TRACKS, TRACK_ENTRY, VIDEO, COLOUR = 0x18538067, 0x1654AE6B, 0xAE, 0xE0, 0x55B0
HORZ, VERT = 0x55B7, 0x55B8
PATH = (SEGMENT, TRACKS, TRACK_ENTRY, VIDEO, COLOUR)


def of_video(stream, pix_fmt: str, y4m_head: bytes | None = None) -> int:
    """The AVChromaLocation to keep for a source: a y4m's 4:2:0 C tag, else what FFmpeg found
    (RGB has no chroma to site)."""
    if y4m_head:
        return Y4M_420.get(y4m_header_fields(y4m_head).get("C", "420jpeg"), 0) if pix_fmt == "yuv420p" else 0
    fmt = P.lookup(pix_fmt)
    if fmt.family == "rgb":
        return 0
    return chroma_location(stream)


def chroma_location(stream) -> int:
    """The AVChromaLocation FFmpeg found for a demuxed video ``stream`` (0: unspecified)."""
    buf = io.BytesIO()
    try:
        out = av.open(buf, "w", format="matroska")
        try:
            out.add_stream_from_template(stream)
            out.start_encoding()
        finally:
            out.close()
    except Exception:  # noqa: BLE001 - a codec Matroska cannot carry: no siting known
        return 0
    try:
        siting = _colour(buf.getvalue())
    except (ValueError, IndexError):  # (the muxer's own bytes: not expected)
        return 0
    return FROM_SITING.get((siting.get(HORZ, 0), siting.get(VERT, 0)), 0)


def _colour(data: bytes) -> dict[int, int]:
    """The small unsigned children of the first Segment/Tracks/TrackEntry/Video/Colour."""
    view, pos, end, depth = memoryview(data), 0, len(data), 0
    while pos < end:
        got_id = decode_id(view, pos)
        if got_id is None or pos + got_id[1] >= end:
            return {}
        got_size = decode_size(view, pos + got_id[1])
        if got_size is None:
            return {}
        (element_id, id_len), (size, size_len) = got_id, got_size
        start = pos + id_len + size_len
        stop = end if size == UNKNOWN_SIZE else min(end, start + size)
        if depth < len(PATH) and element_id == PATH[depth]:
            pos, end, depth = start, stop, depth + 1  # into it
            if depth == len(PATH):
                return _uints(view[start:stop])
            continue
        pos = stop
    return {}


def _uints(view: memoryview) -> dict[int, int]:
    out, pos = {}, 0
    while pos < len(view):
        got_id = decode_id(view, pos)
        got_size = decode_size(view, pos + got_id[1]) if got_id and pos + got_id[1] < len(view) else None
        if got_id is None or got_size is None or got_size[0] == UNKNOWN_SIZE:
            break
        start = pos + got_id[1] + got_size[1]
        if got_size[0] <= 8:
            out[got_id[0]] = int.from_bytes(view[start:start + got_size[0]], "big")
        pos = start + got_size[0]
    return out
