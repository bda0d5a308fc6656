"""Elements (already in memory, bounds-checked) -> dataclasses, validating every field.

Unknown child elements are skipped everywhere: that is what lets a 1.x reader read a newer
1.y file. A missing required child, a duplicated one or an impossible value is corruption.
"""

from __future__ import annotations

import struct
import zlib

from . import elements as E
from .ebml import Element, decode_id, decode_size, iter_elements
from .errors import CorruptFileError, CrcMismatchError, UnsupportedVersionError
from .model import Cluster, CodecSetup, Cue, Info, Packet, ParamValue, SourceFile, StreamTrack, Track, \
    VideoTrack

DOC_TYPE = "nlvc"

#: A CRC-32 element is exactly these two bytes, then the 4-byte CRC-32 (big-endian). It is the
#: first child of its parent and covers the rest of the parent's payload. Required in a Cluster;
#: the writer also puts one in Info, CodecSetup, Tracks, Tags and Cues.
CRC_HEAD = bytes([E.CRC32, 0x84])
CRC_ELEMENT_LENGTH = 6


def check_crc(data: memoryview, name: str, offset: int, required: bool) -> None:
    """Verify the CRC-32 element that starts ``data`` (the payload of ``name``). Absent is
    fine unless ``required``; present in any other form than ``BF 84`` + 4 bytes is corruption."""
    if not required and (len(data) == 0 or data[0] != E.CRC32):
        return
    if bytes(data[:2]) != CRC_HEAD or len(data) < CRC_ELEMENT_LENGTH:
        raise CorruptFileError(f"{name} at byte {offset} does not start with a CRC-32 element "
                               f"(bytes {CRC_HEAD.hex()} + 4)", offset=offset)
    stored = int.from_bytes(data[2:CRC_ELEMENT_LENGTH], "big")
    computed = zlib.crc32(data[CRC_ELEMENT_LENGTH:])
    if stored != computed:
        raise CrcMismatchError(f"CRC-32 mismatch in {name} at byte {offset} (stored 0x{stored:08x}, "
                               f"computed 0x{computed:08x})", offset=offset)


def checked_children(el: Element) -> list[Element]:
    """The children of a master element, after checking its CRC-32 if it has one."""
    check_crc(el.data, el.name, el.offset, required=False)
    return el.children()


def parse_ebml_header(el: Element) -> tuple[int, int]:
    """The EBML header -> (major, minor). Checks run in a fixed order, one message each."""
    kids = el.children()
    doc_type = el.one(E.DOC_TYPE, kids)
    if doc_type is None:
        raise CorruptFileError(f"EBML header at byte {el.offset} has no DocType: not an .nlvc file",
                               offset=el.offset)
    if doc_type.str() != DOC_TYPE:
        raise CorruptFileError(f"wrong DocType {doc_type.str()!r} at byte {doc_type.offset}: "
                               f"expected {DOC_TYPE!r}, so this is not an .nlvc file",
                               offset=doc_type.offset)
    for element_id, most in ((E.EBML_READ_VERSION, 1), (E.EBML_MAX_ID_LENGTH, 4),
                             (E.EBML_MAX_SIZE_LENGTH, 8)):
        found = el.one(element_id, kids)
        if found is not None and found.uint() > most:
            raise UnsupportedVersionError(
                f"{found.name} is {found.uint()} at byte {found.offset}; this reader supports at "
                f"most {most}", offset=found.offset)
    major_el = el.need(E.DOC_TYPE_VERSION, kids)
    minor_el = el.one(E.DOC_TYPE_MINOR_VERSION, kids)
    major, minor = major_el.uint(), (minor_el.uint() if minor_el else 0)
    if major != E.VERSION[0]:
        newer = "newer" if major > E.VERSION[0] else "older"
        raise UnsupportedVersionError(
            f"file is .nlvc version {major}.{minor} (DocTypeVersion at byte {major_el.offset}), a "
            f"{newer} major version than this reader's {E.VERSION[0]}.x: cannot read it",
            offset=major_el.offset)
    return major, minor


def parse_info(el: Element) -> Info:
    kids = checked_children(el)
    app = el.one(E.APP, kids)
    duration = el.one(E.DURATION_PTS, kids)
    return Info(app=app.str() if app else "", duration_pts=duration.uint() if duration else None)


def parse_params(el: Element) -> dict[str, ParamValue]:
    params: dict[str, ParamValue] = {}
    for param in el.children():
        if param.id != E.PARAM:
            continue
        kids = param.children()
        key = param.need(E.PARAM_NAME, kids).str()
        values = [k for k in kids if k.id in (E.PARAM_INT, E.PARAM_STRING, E.PARAM_FLOAT)]
        if len(values) != 1:
            raise CorruptFileError(f"Param {key!r} at byte {param.offset} has {len(values)} values; "
                                   "expected exactly one", offset=param.offset)
        if key in params:
            raise CorruptFileError(f"Param {key!r} appears twice in {el.name} at byte {el.offset}",
                                   offset=param.offset)
        value = values[0]
        params[key] = {E.PARAM_INT: value.sint, E.PARAM_STRING: value.str,
                       E.PARAM_FLOAT: value.float}[value.id]()
    return params


def parse_codec_setup(el: Element) -> CodecSetup:
    kids = checked_children(el)
    sha = el.need(E.WEIGHTS_SHA256, kids)
    if len(sha.data) != 32:
        raise CorruptFileError(f"WeightsSha256 at byte {sha.offset} is {len(sha.data)} bytes; "
                               "a SHA-256 digest has 32", offset=sha.offset)
    setup = CodecSetup(
        model_id=el.need(E.MODEL_ID, kids).str(),
        weights_sha256=sha.bytes().hex(),
        token_map=el.need(E.TOKEN_MAP, kids).str(),
        groups=_positive(el.need(E.GROUPS, kids)),
        gop_size=_positive(el.need(E.GOP_SIZE, kids)),
    )
    params = el.one(E.CODER_PARAMS, kids)
    if params is not None:
        setup.coder_params = parse_params(params)
    weights = el.one(E.MODEL_WEIGHTS, kids)
    if weights is not None:
        setup.model_weights = weights.bytes()
    return setup


def parse_tracks(el: Element) -> list[Track]:
    tracks: list[Track] = []
    for entry in checked_children(el):
        if entry.id == E.TRACK_ENTRY:
            tracks.append(_parse_track(entry))
    numbers = [t.number for t in tracks]
    if len(set(numbers)) != len(numbers):
        raise CorruptFileError(f"Tracks at byte {el.offset} uses a track number twice: {numbers}",
                               offset=el.offset)
    videos = [t for t in tracks if isinstance(t, VideoTrack)]
    if len(videos) != 1:
        raise CorruptFileError(f"Tracks at byte {el.offset} holds {len(videos)} video tracks; "
                               "an .nlvc file has exactly one", offset=el.offset)
    return tracks


def _parse_track(entry: Element) -> Track:
    kids = entry.children()
    number = _positive(entry.need(E.TRACK_NUMBER, kids))
    kind = entry.need(E.TRACK_KIND, kids).str()
    time_base = _rational(entry, E.TIME_BASE_NUM, E.TIME_BASE_DEN, kids, required=True)
    if kind == "video":
        video = entry.need(E.VIDEO, kids)
        v = video.children()

        def opt(element_id: int, default: int) -> int:
            found = video.one(element_id, v)
            return found.uint() if found is not None else default

        return VideoTrack(
            number=number,
            width=_positive(video.need(E.PIXEL_WIDTH, v)),
            height=_positive(video.need(E.PIXEL_HEIGHT, v)),
            pix_fmt=video.need(E.PIX_FMT, v).str(),
            bit_depth=_positive(video.need(E.BIT_DEPTH, v)),
            time_base=time_base,
            frame_rate=_rational(video, E.FRAME_RATE_NUM, E.FRAME_RATE_DEN, v, required=False),
            color_range=opt(E.COLOR_RANGE, 0),
            color_primaries=opt(E.COLOR_PRIMARIES, 2),
            color_trc=opt(E.COLOR_TRC, 2),
            colorspace=opt(E.COLORSPACE, 2),
            chroma_location=opt(E.CHROMA_LOCATION, 0),
            sample_aspect_ratio=(opt(E.SAR_NUM, 0), opt(E.SAR_DEN, 1)),
            field_order=_field_order(video.one(E.FIELD_ORDER, v)),
        )
    if not kind:
        raise CorruptFileError(f"TrackEntry at byte {entry.offset} has an empty TrackKind",
                               offset=entry.offset)
    extradata = entry.one(E.EXTRADATA, kids)
    params = entry.one(E.STREAM_PARAMS, kids)
    source = entry.one(E.SOURCE_FILE, kids)
    return StreamTrack(
        number=number,
        kind=kind,
        codec_name=entry.need(E.CODEC_NAME, kids).str(),
        time_base=time_base,
        extradata=extradata.bytes() if extradata else b"",
        params=parse_params(params) if params else {},
        source=parse_source_file(source) if source is not None else None,
    )


def parse_tags(el: Element, notes: list | None = None) -> dict[str, str]:
    """The tags. A name or value that is not valid UTF-8 is not fatal (tags are only shown and
    copied): it is kept with its bad bytes as ``\\xNN`` escapes, and a notice (an error with
    ``data_lost`` False) goes to ``notes``."""
    tags: dict[str, str] = {}
    for tag in checked_children(el):
        if tag.id == E.SIMPLE_TAG:
            kids = tag.children()
            name, name_ok = tag.need(E.TAG_NAME, kids).text()
            value = tag.one(E.TAG_STRING, kids)
            text, text_ok = value.text() if value else ("", True)
            if not (name_ok and text_ok) and notes is not None:
                what = "name" if not name_ok else "value"
                notes.append(CorruptFileError(
                    f"the {what} of SimpleTag '{name}' at byte {tag.offset} is not valid UTF-8; its bad "
                    "bytes are shown as \\x escapes", offset=tag.offset, data_lost=False))
            tags[name] = text
    return tags


def salvage_video_track(el: Element) -> tuple[VideoTrack, int] | None:
    """From a Tracks element that does not check (its CRC-32 fails): the one video TrackEntry
    that still parses, read unchecked, and how many other TrackEntries there are; None when
    the structure is broken or no single video entry parses."""
    try:
        entries = [k for k in el.children() if k.id == E.TRACK_ENTRY]
    except CorruptFileError:
        return None
    videos, others = [], 0
    for entry in entries:
        try:
            track = _parse_track(entry)
        except CorruptFileError:
            others += 1
            continue
        if isinstance(track, VideoTrack):
            videos.append(track)
        else:
            others += 1
    return (videos[0], others) if len(videos) == 1 else None


def parse_cluster(body: bytes | memoryview, offset: int, header_length: int,
                  packet_tracks: set[int], crc: bool = True) -> Cluster:
    """A Cluster's payload -> Cluster (the caller names the GOP in any error message). The CRC-32
    is checked before anything else is looked at (``crc=False``: a salvaging reader's look)."""
    body = memoryview(body)
    if crc:
        check_crc(body, "Cluster", offset, required=True)
    cluster_el = Element(E.CLUSTER, offset, header_length, body)
    kids = list(iter_elements(body[CRC_ELEMENT_LENGTH:], offset + header_length + CRC_ELEMENT_LENGTH,
                              "Cluster"))
    pts_el = cluster_el.need(E.FRAME_PTS, kids)
    frame_pts = _int64s(pts_el)
    n = len(frame_pts)
    if n == 0:
        raise CorruptFileError(f"FramePts at byte {pts_el.offset} is empty: a GOP has at least one "
                               "frame", offset=pts_el.offset)
    types_el = cluster_el.need(E.FRAME_TYPES, kids)
    md5_el = cluster_el.need(E.FRAME_MD5, kids)
    durations_el = cluster_el.one(E.FRAME_DURATIONS, kids)
    frame_types = types_el.str()
    if not frame_types.isascii():
        raise CorruptFileError(f"FrameTypes at byte {types_el.offset} holds non-ASCII letters",
                               offset=types_el.offset)
    durations = _int64s(durations_el) if durations_el is not None else []
    for el, count, what in ((types_el, len(frame_types), "frame types"),
                            (md5_el, len(md5_el.data) / 16, "16-byte MD5 digests"),
                            (durations_el, len(durations) or n, "durations")):
        if count != n:
            raise CorruptFileError(f"{el.name} at byte {el.offset} holds {count:g} {what} for "
                                   f"{n} frames", offset=el.offset)
    md5 = md5_el.bytes()
    packets = [_parse_packet(k, packet_tracks) for k in kids if k.id == E.PACKET]
    sources = [parse_source_file(k) for k in kids if k.id == E.SOURCE_FILE]
    if sources and len(sources) != n:
        raise CorruptFileError(f"Cluster at byte {offset} holds {len(sources)} SourceFile elements for "
                               f"{n} frames", offset=offset)
    return Cluster(
        index=cluster_el.need(E.CLUSTER_GOP, kids).uint(),
        frame_pts=frame_pts,
        frame_types=frame_types,
        frame_md5=[md5[i:i + 16] for i in range(0, len(md5), 16)],
        payload=cluster_el.need(E.PAYLOAD, kids).bytes(),
        packets=packets,
        frame_durations=durations,
        source_files=sources,
    )


def parse_source_file(el: Element) -> SourceFile:
    kids = el.children()
    md5 = el.need(E.SOURCE_MD5, kids)
    if len(md5.data) != 16:
        raise CorruptFileError(f"SourceMD5 at byte {md5.offset} is {len(md5.data)} bytes; an MD5 has 16",
                               offset=md5.offset)
    f = SourceFile(name=el.need(E.SOURCE_NAME, kids).str(), md5=md5.bytes())
    packing = el.one(E.SOURCE_PACKING, kids)
    if packing is not None:
        f.packing = parse_params(packing)
        pixel_map = _int64s(el.need(E.SOURCE_MAP, kids))
        if len(pixel_map) % 3:
            raise CorruptFileError(f"SourceMap in SourceFile at byte {el.offset} holds {len(pixel_map)} "
                                   "values, not (op, length, offset) triples", offset=el.offset)
        f.pixel_map, f.data = pixel_map, el.need(E.SOURCE_DATA, kids).bytes()
    return f


def _parse_packet(el: Element, packet_tracks: set[int]) -> Packet:
    kids = el.children()
    track = el.need(E.PACKET_TRACK, kids)
    if track.uint() not in packet_tracks:
        raise CorruptFileError(f"Packet at byte {el.offset} belongs to track {track.uint()}, which "
                               "is not an audio/subtitle/data track of this file", offset=el.offset)
    pts, dts = el.one(E.PACKET_PTS, kids), el.one(E.PACKET_DTS, kids)
    duration, keyframe = el.one(E.PACKET_DURATION, kids), el.one(E.PACKET_KEYFRAME, kids)
    md5 = el.one(E.PACKET_MD5, kids)
    if md5 is not None and len(md5.data) != 16:
        raise CorruptFileError(f"PacketMD5 at byte {md5.offset} is {len(md5.data)} bytes; an MD5 has 16",
                               offset=md5.offset)
    return Packet(
        track=track.uint(),
        pts=pts.sint() if pts is not None else None,  # absent element = no pts
        dts=dts.sint() if dts is not None else None,
        duration=duration.uint() if duration is not None else 0,
        keyframe=bool(keyframe.uint()) if keyframe is not None else False,
        data=el.need(E.PACKET_DATA, kids).bytes(),
        md5=md5.bytes() if md5 is not None else b"",  # compared by the decoder, not here
    )


def cluster_prefix(prefix: bytes, offset: int, header_length: int) -> tuple[int, int] | None:
    """(GOP number, first pts) from the first bytes of a Cluster's payload, as the writer lays
    them out (CRC-32, ClusterGop, FramePts first); None when they are not there. Unverified: for
    building a seek index without reading whole clusters."""
    if prefix[:2] != CRC_HEAD:
        return None
    gop = first_pts = None
    base = offset + header_length + CRC_ELEMENT_LENGTH
    view = memoryview(prefix)[CRC_ELEMENT_LENGTH:]
    pos = 0
    try:
        while pos < len(view) and (gop is None or first_pts is None):
            got_id = decode_id(view, pos)
            got_size = decode_size(view, pos + got_id[1]) if got_id and pos + got_id[1] < len(view) else None
            if got_id is None or got_size is None or got_size[0] < 0:
                return None
            start = pos + got_id[1] + got_size[1]
            if got_id[0] == E.CLUSTER_GOP and start + got_size[0] <= len(view):
                gop = Element(E.CLUSTER_GOP, base + pos, start - pos, view[start:start + got_size[0]]).uint()
            elif got_id[0] == E.FRAME_PTS and start + 8 <= len(view):
                first_pts = struct.unpack(">q", view[start:start + 8])[0]
            pos = start + got_size[0]
    except (ValueError, CorruptFileError):
        return None
    return (gop, first_pts) if gop is not None and first_pts is not None else None


def parse_cues(el: Element, segment_start: int) -> list[Cue]:
    """Cues -> [Cue] with absolute offsets. Raises CorruptFileError when they do not list GOPs
    0, 1, 2... at increasing offsets."""
    cues = []
    for point in checked_children(el):
        if point.id != E.CUE_POINT:
            continue
        kids = point.children()
        cue = Cue(gop=point.need(E.CUE_GOP, kids).uint(),
                  first_pts=point.need(E.CUE_PTS, kids).sint(),
                  offset=segment_start + point.need(E.CUE_CLUSTER_POSITION, kids).uint())
        if cue.gop != len(cues) or (cues and cue.offset <= cues[-1].offset):
            raise CorruptFileError(f"CuePoint at byte {point.offset} lists GOP {cue.gop} at byte "
                                   f"{cue.offset}, out of order", offset=point.offset)
        cues.append(cue)
    return cues


#: FieldOrder values (FFmpeg AVFieldOrder) that describe interlaced video.
INTERLACED_FIELD_ORDERS = (2, 3, 4, 5)


def _field_order(el: Element | None) -> int:
    if el is None:
        return 0
    value = el.uint()
    if value not in (0, 1, *INTERLACED_FIELD_ORDERS):
        raise CorruptFileError(f"FieldOrder at byte {el.offset} is {value}; expected 0 to 5 "
                               "(FFmpeg AVFieldOrder)", offset=el.offset)
    return 0 if value == 1 else value


def _positive(el: Element) -> int:
    value = el.uint()
    if value < 1:
        raise CorruptFileError(f"{el.name} at byte {el.offset} is {value}; it must be at least 1",
                               offset=el.offset)
    return value


def _rational(parent: Element, num_id: int, den_id: int, kids: list[Element],
              required: bool) -> tuple[int, int] | None:
    num, den = parent.one(num_id, kids), parent.one(den_id, kids)
    if num is None and den is None and not required:
        return None
    return (_positive(parent.need(num_id, kids)), _positive(parent.need(den_id, kids)))


def _int64s(el: Element) -> list[int]:
    if len(el.data) % 8:
        raise CorruptFileError(f"{el.name} at byte {el.offset} is {len(el.data)} bytes, not a "
                               "multiple of 8 (one int64 per frame)", offset=el.offset)
    return list(struct.unpack(f">{len(el.data) // 8}q", el.data))
