"""Writing ``.nlvc`` files, front to back, to a file or a pipe (FORMAT.md, "Writing").

The writer never seeks and never goes back: the Segment's size is written as "unknown", each
Cluster is complete (with its CRC-32) when it is written, and the Cues that index the clusters
go at the end, followed by the fixed-size CuesLocator that lets a reader find them.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from typing import BinaryIO, Iterable

from . import elements as E
from .ebml import UNKNOWN_SIZE, element, encode_float, encode_id, encode_sint, encode_size, \
    encode_str, encode_uint, master
from .model import Cluster, CodecSetup, Info, Packet, ParamValue, SourceFile, StreamTrack, Track, VideoTrack
from .parse import CRC_HEAD, DOC_TYPE

__all__ = ["Writer"]


class Writer:
    """An ``.nlvc`` file being written. Use ``container.open(file, "w", ...)``.

    On ``close()`` (or leaving the ``with`` block normally) the Cues are written. If the block
    is left by an exception, they are not: the file then reads as truncated after its last
    complete cluster, which is what it is.

    ``source_files`` says that clusters will carry SourceFile records: ``True`` (or 3) whose
    maps use the ops of 1.3, 4 whose maps may use the ops 1.4 added (FORMAT.md 6.2), 7 whose op 7
    runs through several sound tracks (1.7: an AVI or MOV kept whole, FORMAT.md 6.3), 8 whose
    packings may be semi-planar (1.8: ``interleave=semiplanar``, FORMAT.md 6.2); the header,
    written first, names the version. ``packet_md5=True``: every Packet carries the MD5 of its
    data (1.5; the file is stamped 1.5 when it has other tracks than the video)."""

    def __init__(self, file: BinaryIO, *, codec_setup: CodecSetup, tracks: Iterable[Track],
                 info: Info | None = None, tags: dict[str, str] | None = None,
                 close_file: bool = False, source_files: bool | int = False, packet_md5: bool = False,
                 package: Iterable[SourceFile] = ()):
        tracks = list(tracks)
        package = list(package)
        _check_head(codec_setup, tracks, tags or {}, source_files)
        _check_sources(package, "package")
        self._file = file
        self._close_file = close_file
        self._closed = False
        self._written = 0  # bytes written so far: offsets without asking the file (a pipe)
        self._next_gop = 0
        self._cues: list[bytes] = []
        self._packet_tracks = {t.number for t in tracks if isinstance(t, StreamTrack)}
        self._source_files = source_files
        self._packet_md5 = packet_md5
        minor = _minor_version(codec_setup, tracks, source_files, packet_md5)
        if package or any(isinstance(t, StreamTrack) and (t.source is not None or t.codec_name in NLVC_SOUND)
                          for t in tracks):
            minor = 6  # Package, a track's SourceFile, NLVC's own sound codecs
        if source_files in (7, 8):
            minor = source_files  # op 7 through several sound tracks (7); a semi-planar packing (8)
        self._write(_ebml_header(minor))
        self._write(encode_id(E.SEGMENT) + encode_size(UNKNOWN_SIZE))
        self._segment_start = self._written
        self._write(_info(info or Info()))
        self._write(_codec_setup(codec_setup))
        self._write(_with_crc(E.TRACKS, [_track(t) for t in tracks]))
        if tags:
            self._write(_tags(tags))
        if package:  # (1.6) side files and folders of a package
            self._write(_with_crc(E.PACKAGE, [_source_file(f) for f in package]))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a raw (unbuffered) file may take only part of it
            n = self._file.write(view)
            view = view[len(view) if n is None else n:]
        self._written += len(data)

    def write_cluster(self, cluster: Cluster) -> None:
        """Append one GOP. Clusters come in GOP order: 0, 1, 2..."""
        if self._closed:
            raise ValueError("write_cluster() on a closed .nlvc writer")
        _check_cluster(cluster, self._next_gop, self._packet_tracks)
        if cluster.source_files and not self._source_files:
            raise ValueError("a cluster with source_files needs container.open(..., source_files=True)")
        if self._source_files != 8 and any(f.packing.get("interleave") == "semiplanar" for f in cluster.source_files):
            raise ValueError("a semi-planar SourcePacking needs container.open(..., source_files=8) (format 1.8)")
        position = self._written - self._segment_start
        for part in _cluster(cluster, self._packet_md5):
            self._write(part)
        self._file.flush()  # a complete GOP reaches the pipe (or the disk) now, not later
        self._cues.append(master(E.CUE_POINT, [
            element(E.CUE_GOP, encode_uint(cluster.index)),
            element(E.CUE_PTS, encode_sint(cluster.frame_pts[0])),
            element(E.CUE_CLUSTER_POSITION, encode_uint(position)),
        ]))
        self._next_gop += 1

    def close(self) -> None:
        """Write the Cues and the CuesLocator, flush, and close the file if it was opened here."""
        self._finish(write_cues=True)

    def _finish(self, write_cues: bool) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if write_cues:
                cues_position = self._written - self._segment_start
                self._write(_with_crc(E.CUES, self._cues))
                # Fixed size (13 bytes) so a reader finds it at a known distance from the end.
                self._write(encode_id(E.CUES_LOCATOR) + encode_size(8, length=1)
                            + cues_position.to_bytes(8, "big"))
            self._file.flush()
        finally:
            if self._close_file:
                self._file.close()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._finish(write_cues=exc_type is None)

    def __repr__(self) -> str:
        return f"<container.Writer gops={self._next_gop} bytes={self._written}>"


def open_writer(file: str | os.PathLike | BinaryIO, *, codec_setup: CodecSetup,
                tracks: Iterable[Track], info: Info | None = None,
                tags: dict[str, str] | None = None, source_files: bool | int = False,
                packet_md5: bool = False, package: Iterable[SourceFile] = ()) -> Writer:
    tracks = list(tracks)
    _check_head(codec_setup, tracks, tags or {}, source_files)  # before a path is created
    if isinstance(file, (str, os.PathLike)):
        file, close_file = io.open(file, "wb"), True
    else:
        close_file = False
    return Writer(file, codec_setup=codec_setup, tracks=tracks, info=info, tags=tags,
                  close_file=close_file, source_files=source_files, packet_md5=packet_md5, package=package)


# --- validation of what the caller hands over (ValueError: a bug of the caller) ------------------

def _check_head(setup: CodecSetup | None, tracks: list[Track], tags: dict[str, str],
                source_files: bool | int = False) -> None:
    if source_files not in (False, True, 3, 4, 7, 8):
        raise ValueError(f"source_files must be False, True, 3, 4, 7 or 8 (the minor version the records need), "
                         f"not {source_files!r}")
    if not isinstance(setup, CodecSetup):
        raise ValueError("codec_setup= must be a container.CodecSetup")
    sha = setup.weights_sha256
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdefABCDEF" for c in sha)):
        raise ValueError(f"CodecSetup.weights_sha256 must be 64 hex digits, got {sha!r}")
    if setup.groups < 1 or setup.gop_size < 1:
        raise ValueError("CodecSetup.groups and gop_size must be at least 1")
    _check_params(setup.coder_params, "CodecSetup.coder_params")
    numbers = [t.number for t in tracks]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise ValueError(f"track numbers must be distinct and at least 1, got {numbers}")
    videos = [t for t in tracks if isinstance(t, VideoTrack)]
    if len(videos) != 1 or not all(isinstance(t, (VideoTrack, StreamTrack)) for t in tracks):
        raise ValueError("tracks= must hold exactly one VideoTrack and any number of StreamTrack")
    v = videos[0]
    if min(v.width, v.height, v.bit_depth) < 1 or not v.pix_fmt:
        raise ValueError(f"VideoTrack needs width, height, bit_depth >= 1 and a pix_fmt: {v}")
    for t in tracks:
        if min(t.time_base) < 1:
            raise ValueError(f"track {t.number}: time_base must be two positive integers, got {t.time_base}")
        if isinstance(t, StreamTrack):
            if not t.kind or t.kind == "video":
                raise ValueError(f"track {t.number}: a StreamTrack's kind is 'audio', 'subtitle' or 'data'")
            _check_params(t.params, f"track {t.number} params")
    if v.field_order not in (0, 2, 3, 4, 5):
        raise ValueError(f"VideoTrack.field_order must be 0 (progressive or unknown) or 2-5, got {v.field_order}")
    if v.frame_rate is not None and min(v.frame_rate) < 1:
        raise ValueError(f"VideoTrack.frame_rate must be None or two positive integers, got {v.frame_rate}")
    if not all(isinstance(k, str) and isinstance(val, str) for k, val in tags.items()):
        raise ValueError("tags must map str to str")


def _check_params(params: dict[str, ParamValue], what: str) -> None:
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{what}: {key!r} -> {value!r}; keys are str, values str or int")


def _check_cluster(c: Cluster, expected: int, packet_tracks: set[int]) -> None:
    where = f"Cluster for GOP {c.index}"
    if c.index != expected:
        raise ValueError(f"clusters must be written in GOP order: expected GOP {expected}, got {c.index}")
    n = len(c.frame_pts)
    if n == 0:
        raise ValueError(f"{where}: a GOP has at least one frame")
    if len(c.frame_types) != n or not c.frame_types.isascii():
        raise ValueError(f"{where}: frame_types {c.frame_types!r} must be ASCII, one letter per frame ({n})")
    if len(c.frame_md5) != n or any(len(d) != 16 for d in c.frame_md5):
        raise ValueError(f"{where}: frame_md5 must hold one 16-byte digest per frame ({n})")
    if c.frame_durations and len(c.frame_durations) != n:
        raise ValueError(f"{where}: frame_durations must be empty or hold one value per frame ({n})")
    if not all(_is_int64(v) for v in [*c.frame_pts, *c.frame_durations]):
        raise ValueError(f"{where}: frame_pts and frame_durations must be 64-bit signed integers")
    for p in c.packets:
        if p.track not in packet_tracks:
            raise ValueError(f"{where}: packet for track {p.track}, which is not a StreamTrack")
        if not (_is_int64(p.duration) and p.duration >= 0):
            raise ValueError(f"{where}: packet duration {p.duration!r} must be an integer >= 0")
        if not all(v is None or _is_int64(v) for v in (p.pts, p.dts)):
            raise ValueError(f"{where}: packet pts/dts must be None or 64-bit signed integers")
    if c.source_files and len(c.source_files) != n:
        raise ValueError(f"{where}: source_files must be empty or hold one SourceFile per frame ({n})")
    _check_sources(c.source_files, where)


def _check_sources(files: list, where: str) -> None:
    for f in files:
        if not isinstance(f, SourceFile) or len(f.md5) != 16 or len(f.pixel_map) % 3:
            raise ValueError(f"{where}: each source file needs a 16-byte md5 and (op, length, offset) triples")
        _check_params(f.packing, f"{where}: source file {f.name!r} packing")


def _is_int64(value: object) -> bool:
    return isinstance(value, int) and -(1 << 63) <= value < 1 << 63


# --- encoding -----------------------------------------------------------------------------------

#: (1.6) sound codecs of NLVC's own (FORMAT.md 6.3, 6.4): a file with such a track is 1.6.
NLVC_SOUND = ("nlvc-pcm-1", "nlvc-pcmpacket-1")


def _minor_version(setup: CodecSetup, tracks: list[Track], source_files: bool | int,
                   packet_md5: bool = False) -> int:
    """The lowest minor version that describes the file (FORMAT.md section 6)."""
    if packet_md5 and any(isinstance(t, StreamTrack) for t in tracks):
        return 5  # PacketMD5
    if source_files:
        return max(3, int(source_files))  # SourceFile (3); SourceMap ops 4-6 (4)
    if any(isinstance(t, VideoTrack) and t.field_order for t in tracks):
        return 2  # FieldOrder
    return 1 if setup.model_weights else 0  # ModelWeights


def _with_crc(element_id: int, children: list[bytes]) -> bytes:
    """A master element whose first child is the CRC-32 of the other children."""
    body = b"".join(children)
    return element(element_id, CRC_HEAD + zlib.crc32(body).to_bytes(4, "big") + body)


def _ebml_header(minor: int) -> bytes:
    return master(E.EBML, [
        element(E.EBML_VERSION, encode_uint(1)),
        element(E.EBML_READ_VERSION, encode_uint(1)),
        element(E.EBML_MAX_ID_LENGTH, encode_uint(4)),
        element(E.EBML_MAX_SIZE_LENGTH, encode_uint(8)),
        element(E.DOC_TYPE, encode_str(DOC_TYPE)),
        element(E.DOC_TYPE_VERSION, encode_uint(E.VERSION[0])),
        element(E.DOC_TYPE_MINOR_VERSION, encode_uint(minor)),
    ])


def _info(info: Info) -> bytes:
    children = [element(E.APP, encode_str(info.app))]
    if info.duration_pts is not None:
        children.append(element(E.DURATION_PTS, encode_uint(info.duration_pts)))
    return _with_crc(E.INFO, children)


def _params(element_id: int, params: dict[str, ParamValue]) -> bytes:
    entries = []
    for key, value in params.items():
        if isinstance(value, str):
            encoded = element(E.PARAM_STRING, encode_str(value))
        elif isinstance(value, int):  # bool too: it reads back as 0/1
            encoded = element(E.PARAM_INT, encode_sint(int(value)))
        else:
            encoded = element(E.PARAM_FLOAT, encode_float(value))
        entries.append(master(E.PARAM, [element(E.PARAM_NAME, encode_str(key)), encoded]))
    return master(element_id, entries)


def _codec_setup(s: CodecSetup) -> bytes:
    children = [
        element(E.MODEL_ID, encode_str(s.model_id)),
        element(E.WEIGHTS_SHA256, bytes.fromhex(s.weights_sha256)),
        element(E.TOKEN_MAP, encode_str(s.token_map)),
        element(E.GROUPS, encode_uint(s.groups)),
        element(E.GOP_SIZE, encode_uint(s.gop_size)),
        _params(E.CODER_PARAMS, s.coder_params),
    ]
    if s.model_weights:
        children.append(element(E.MODEL_WEIGHTS, bytes(s.model_weights)))
    return _with_crc(E.CODEC_SETUP, children)


def _track(t: Track) -> bytes:
    children = [
        element(E.TRACK_NUMBER, encode_uint(t.number)),
        element(E.TRACK_KIND, encode_str("video" if isinstance(t, VideoTrack) else t.kind)),
        element(E.TIME_BASE_NUM, encode_uint(t.time_base[0])),
        element(E.TIME_BASE_DEN, encode_uint(t.time_base[1])),
    ]
    if isinstance(t, VideoTrack):
        video = [
            element(E.PIXEL_WIDTH, encode_uint(t.width)),
            element(E.PIXEL_HEIGHT, encode_uint(t.height)),
            element(E.PIX_FMT, encode_str(t.pix_fmt)),
            element(E.BIT_DEPTH, encode_uint(t.bit_depth)),
        ]
        if t.frame_rate is not None:
            video += [element(E.FRAME_RATE_NUM, encode_uint(t.frame_rate[0])),
                      element(E.FRAME_RATE_DEN, encode_uint(t.frame_rate[1]))]
        video += [
            element(E.COLOR_RANGE, encode_uint(t.color_range)),
            element(E.COLOR_PRIMARIES, encode_uint(t.color_primaries)),
            element(E.COLOR_TRC, encode_uint(t.color_trc)),
            element(E.COLORSPACE, encode_uint(t.colorspace)),
            element(E.CHROMA_LOCATION, encode_uint(t.chroma_location)),
            element(E.SAR_NUM, encode_uint(t.sample_aspect_ratio[0])),
            element(E.SAR_DEN, encode_uint(t.sample_aspect_ratio[1])),
        ]
        if t.field_order:  # 1.2; absent for progressive video, so older files stay byte-identical
            video.append(element(E.FIELD_ORDER, encode_uint(t.field_order)))
        children.append(master(E.VIDEO, video))
    else:
        children.append(element(E.CODEC_NAME, encode_str(t.codec_name)))
        if t.extradata:
            children.append(element(E.EXTRADATA, bytes(t.extradata)))
        children.append(_params(E.STREAM_PARAMS, t.params))
        if t.source is not None:  # (1.6) the sound file its packets rebuild
            children.append(_source_file(t.source))
    return master(E.TRACK_ENTRY, children)


def _tags(tags: dict[str, str]) -> bytes:
    return _with_crc(E.TAGS, [master(E.SIMPLE_TAG, [element(E.TAG_NAME, encode_str(key)),
                                                    element(E.TAG_STRING, encode_str(value))])
                              for key, value in tags.items()])


def _int64s(values: list[int]) -> bytes:
    return struct.pack(f">{len(values)}q", *values)


def _packet(p: Packet, md5: bool) -> bytes:
    children = [element(E.PACKET_TRACK, encode_uint(p.track))]
    # None is written as the element's absence: no sentinel value is reserved.
    if p.pts is not None:
        children.append(element(E.PACKET_PTS, encode_sint(p.pts)))
    if p.dts is not None:
        children.append(element(E.PACKET_DTS, encode_sint(p.dts)))
    children += [
        element(E.PACKET_DURATION, encode_uint(p.duration)),
        element(E.PACKET_KEYFRAME, encode_uint(1 if p.keyframe else 0)),
    ]
    if md5:  # (1.5) the fixity of the carried stream: checked by nlvc verify and every decode
        children.append(element(E.PACKET_MD5, hashlib.md5(p.data).digest()))
    children.append(element(E.PACKET_DATA, bytes(p.data)))
    return master(E.PACKET, children)


def _source_file(f: SourceFile) -> bytes:
    children = [element(E.SOURCE_NAME, encode_str(f.name)), element(E.SOURCE_MD5, bytes(f.md5))]
    if f.packing:  # absent: pixels only, the file is not rebuilt
        children += [_params(E.SOURCE_PACKING, f.packing), element(E.SOURCE_MAP, _int64s(f.pixel_map)),
                     element(E.SOURCE_DATA, bytes(f.data))]
    return master(E.SOURCE_FILE, children)


def _cluster(c: Cluster, packet_md5: bool = False) -> list[bytes]:
    # ClusterGop and FramePts come first: a reader indexing the file reads only these bytes.
    children = [
        element(E.CLUSTER_GOP, encode_uint(c.index)),
        element(E.FRAME_PTS, _int64s(c.frame_pts)),
    ]
    if c.frame_durations:
        children.append(element(E.FRAME_DURATIONS, _int64s(c.frame_durations)))
    children += [
        element(E.FRAME_TYPES, c.frame_types.encode("ascii")),
        element(E.FRAME_MD5, b"".join(bytes(d) for d in c.frame_md5)),
    ]
    children += [_source_file(f) for f in c.source_files]
    children += [_packet(p, packet_md5) for p in c.packets]
    # The payload (the bulk of the bytes) is kept apart rather than concatenated: no copies.
    payload = bytes(c.payload)
    children += [encode_id(E.PAYLOAD) + encode_size(len(payload)), payload]
    crc = 0
    for part in children:
        crc = zlib.crc32(part, crc)
    size = len(CRC_HEAD) + 4 + sum(len(part) for part in children)
    return [encode_id(E.CLUSTER) + encode_size(size), CRC_HEAD + crc.to_bytes(4, "big"), *children]
