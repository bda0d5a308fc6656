"""An ``.nlvc`` file as a video: its description, its decoded GOPs, and what a scan of it says.

One place for the rules that the transcoder, ``nlvc_av.open``, ``nlvc info`` and
``nlvc verify`` share: tracks <-> media descriptions, frame durations (stored, else the gap to
the next frame, else one frame period of the stated rate), decoding a cluster with its MD5
check, and the scan of a file's clusters (no decoding; needs neither torch nor PyAV).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np

import container
from container import Cluster, CorruptFileError, StreamTrack, VideoTrack

from . import checks
from .codec import formats as P
from .errors import ChecksumError, PacketChecksumError
from .io.streams import VIDEO_TRACK, StreamInfo, VideoInfo
from .text import escape

VIDEO_TAG_PREFIX = "video:"  # video stream tags are kept among the file tags under this prefix


# --------------------------------------------------------------------------- track <-> info


def ratio(value: Fraction | None, default: tuple[int, int] | None) -> tuple[int, int] | None:
    if not value:
        return default
    value = Fraction(value)
    return (value.numerator, value.denominator)


def fraction(pair: Sequence[int] | None) -> Fraction | None:
    if not pair or not pair[0] or not pair[1]:
        return None
    return Fraction(int(pair[0]), int(pair[1]))


def video_track_from_info(v: VideoInfo) -> VideoTrack:
    return VideoTrack(
        number=VIDEO_TRACK, width=v.width, height=v.height, pix_fmt=v.pix_fmt,
        bit_depth=P.lookup(v.pix_fmt).bit_depth, time_base=ratio(v.time_base, (1, 25)),
        frame_rate=ratio(v.frame_rate, None), color_range=v.color_range, color_primaries=v.color_primaries,
        color_trc=v.color_trc, colorspace=v.colorspace, chroma_location=v.chroma_location,
        sample_aspect_ratio=ratio(v.sample_aspect_ratio, (0, 1)), field_order=v.field_order,
    )


def video_info_from_track(t: VideoTrack, tags: dict[str, str] | None = None) -> VideoInfo:
    tags = tags or {}
    return VideoInfo(
        width=t.width, height=t.height, pix_fmt=t.pix_fmt, time_base=fraction(t.time_base) or Fraction(1, 25),
        frame_rate=fraction(t.frame_rate), color_range=t.color_range, color_primaries=t.color_primaries,
        color_trc=t.color_trc, colorspace=t.colorspace, chroma_location=t.chroma_location,
        sample_aspect_ratio=fraction(t.sample_aspect_ratio),
        metadata={k: v for k, v in tags.items() if not k.startswith(VIDEO_TAG_PREFIX)},
        stream_metadata={k[len(VIDEO_TAG_PREFIX):]: v for k, v in tags.items() if k.startswith(VIDEO_TAG_PREFIX)},
        codec_name="nlvc", source_pix_fmt=t.pix_fmt, field_order=t.field_order,
    )


def file_tags(v: VideoInfo) -> dict[str, str]:
    """The container tags plus the video stream's own, under VIDEO_TAG_PREFIX."""
    tags = dict(v.metadata)
    tags.update({VIDEO_TAG_PREFIX + k: val for k, val in v.stream_metadata.items()})
    return tags


def stream_track_from_info(s: StreamInfo) -> StreamTrack:
    return StreamTrack(number=s.number, kind=s.kind, codec_name=s.codec_name,
                       time_base=ratio(s.time_base, (1, 1000)), extradata=bytes(s.extradata),
                       params=dict(s.params), source=s.source)


def stream_info_from_track(t: StreamTrack) -> StreamInfo:
    return StreamInfo(number=t.number, kind=t.kind, codec_name=t.codec_name,
                      time_base=fraction(t.time_base) or Fraction(1, 1000),
                      extradata=bytes(t.extradata or b""), params=dict(t.params or {}), source=t.source)


# --------------------------------------------------------------------------- durations


def default_duration(track: VideoTrack) -> int:
    """One frame period of the stated frame rate, in the time base (1 when unknown)."""
    rate, tb = fraction(track.frame_rate), fraction(track.time_base)
    if rate and tb:
        return max(1, round(1 / (rate * tb)))
    return 1


def frame_durations(cluster: Cluster, track: VideoTrack, next_pts: int | None = None) -> list[int]:
    """Each frame's duration: the stored one, else the gap to the next frame, else one period."""
    stored = list(cluster.frame_durations or [])
    pts = cluster.frame_pts
    out = []
    for k, p in enumerate(pts):
        if k < len(stored) and stored[k]:
            out.append(stored[k])
        elif k + 1 < len(pts):
            out.append(pts[k + 1] - p)
        elif next_pts is not None:
            out.append(next_pts - p)
        else:
            out.append(default_duration(track))
    return out


# --------------------------------------------------------------------------- decoding


@dataclass
class DecodedFrame:
    pts: int
    duration: int
    planes: list[np.ndarray]
    gop: int
    index: int  # within the GOP
    frame_type: str
    source: container.SourceFile | None = None  # (1.3) the image file this frame was, to rebuild


def coder_for_setup(setup: container.CodecSetup):
    """The GopCoder a file needs: its model by id (or embedded), every setup field checked;
    embedded weights are bounded before they are inflated (:func:`checks.check_weights`)."""
    from .codec import GopCoder

    if setup.model_weights:
        checks.check_weights(setup.model_weights, f"the weights embedded for model '{escape(setup.model_id)}'")
    return GopCoder.for_setup(setup)


def decode_cluster(cluster: Cluster, coder, track: VideoTrack, next_pts: int | None = None,
                   gop_size: int = checks.MAX_GOP) -> list[DecodedFrame]:
    """Decode one GOP and check every frame against its stored MD5. The sizes the file claims
    are checked first (:func:`nlvc_av.checks.check_gop`): nothing is allocated from them."""
    checks.check_gop(cluster, track, gop_size)
    fmt = P.lookup(track.pix_fmt)
    n = len(cluster.frame_pts)
    if len(cluster.frame_types) != n:
        raise CorruptFileError(f"GOP {cluster.index}: {len(cluster.frame_types)} frame types for {n} frames",
                               gop=cluster.index)
    try:
        frames = coder.decode_gop(cluster.payload, cluster.frame_types, fmt.coding_pix_fmt, track.width, track.height)
    except container.NlvcError:
        raise
    except Exception as err:  # a damaged payload can fail anywhere inside the model/coder
        raise CorruptFileError(
            f"GOP {cluster.index}: the coded video cannot be decoded ({type(err).__name__}: {err})",
            gop=cluster.index,
        ) from None
    durations = frame_durations(cluster, track, next_pts)
    out = []
    for k, (planes, pts) in enumerate(zip(frames, cluster.frame_pts)):
        if k >= len(cluster.frame_md5) or P.frame_md5(planes) != cluster.frame_md5[k]:
            raise ChecksumError(
                f"GOP {cluster.index}, frame {k} (pts {pts}): the decoded frame does not match its "
                "stored MD5; the file is damaged or was written by an incompatible coder"
            )
        source = cluster.source_files[k] if k < len(cluster.source_files) else None
        out.append(DecodedFrame(pts, durations[k], planes, cluster.index, k, cluster.frame_types[k], source))
    return out


def damaged_packets(packets: Sequence[container.Packet]) -> list[int]:
    """Indices of the packets whose data do not match the MD5 stored with them (format 1.5). A
    packet without one (a file written before 1.5) is covered by its cluster's CRC-32 alone."""
    return [k for k, p in enumerate(packets) if p.md5 and hashlib.md5(p.data).digest() != p.md5]


def packet_error(gop: int, packet: container.Packet, kinds: dict[int, str]) -> PacketChecksumError:
    """The error for a packet of GOP ``gop`` that does not match its MD5 (``kinds``: track
    number -> kind, for the message)."""
    kind = f" ({escape(kinds[packet.track])})" if packet.track in kinds else ""
    which = "a packet without pts" if packet.pts is None else f"the packet at pts {packet.pts}"
    return PacketChecksumError(f"GOP {gop}: track {packet.track}{kind}: {which} ({len(packet.data)} bytes) "
                               "does not match its stored MD5", gop=gop)


def check_packets(cluster: Cluster, kinds: dict[int, str]) -> None:
    """Raise :class:`PacketChecksumError` at the first packet of ``cluster`` whose data do not
    match their stored MD5 (every decode that writes the packets calls it)."""
    bad = damaged_packets(cluster.packets)
    if bad:
        raise packet_error(cluster.index, cluster.packets[bad[0]], kinds)


def track_kinds(reader) -> dict[int, str]:
    """Track number -> kind (``audio``...) of the carried streams of an open reader."""
    return {t.number: t.kind for t in reader.other_tracks}


def iter_clusters_from(reader, start_gop: int | None = None) -> Iterator[Cluster]:
    """Every cluster in order (``None``: sequential read, works on a pipe), or from GOP
    ``start_gop`` on (random access; needs a seekable file)."""
    if start_gop is None:
        yield from reader.iter_clusters()
        return
    for n in range(start_gop, reader.cluster_count):
        yield reader.read_cluster(n)


def iter_decoded(reader, coder, *, start_gop: int | None = None, max_frames: int | None = None,
                 packets: list | None = None) -> Iterator[DecodedFrame]:
    """Decoded, MD5-checked frames of an open reader. Copied packets of each cluster are
    checked against their MD5s (format 1.5) and appended to ``packets`` (when given) before
    that cluster's frames are yielded."""
    checks.check_header(reader)
    track, gop_size = reader.video_track, reader.codec_setup.gop_size
    kinds = track_kinds(reader)
    count = 0
    for cluster in iter_clusters_from(reader, start_gop):
        if packets is not None:
            check_packets(cluster, kinds)
            packets.extend(cluster.packets)
        for frame in decode_cluster(cluster, coder, track, gop_size=gop_size):
            yield frame
            count += 1
            if max_frames is not None and count >= max_frames:
                return


def frame_count(reader, max_frames: int | None = None) -> int:
    """The frames of an open reader's file, without decoding or reading every cluster: GopSize
    frames in every GOP but the last (the writer's rule, container/FORMAT.md 7), plus the last
    GOP's; at most ``max_frames``. 0 when unknown (a pipe, a damaged index or last GOP)."""
    try:
        gops = reader.cluster_count
        last = len(reader.read_cluster(gops - 1).frame_pts) if gops else 0
    except (container.NlvcError, OSError, ValueError, IndexError):  # (a pipe: io.UnsupportedOperation)
        return 0
    count = (gops - 1) * reader.codec_setup.gop_size + last if gops else 0
    return min(count, max_frames) if max_frames is not None else count


def iter_nlvc_planes(path: str | os.PathLike, *, max_frames: int | None = None, coder=None
                     ) -> tuple[VideoInfo, Iterator[list[np.ndarray]]]:
    """``(VideoInfo, iterator of decoded frames as plane lists)`` of an ``.nlvc`` file."""
    reader = container.open(str(path), "r")
    try:
        video = video_info_from_track(reader.video_track, reader.tags)
        video.frames = frame_count(reader, max_frames)
        coder = coder or coder_for_setup(reader.codec_setup)
    except BaseException:
        reader.close()
        raise

    def frames() -> Iterator[list[np.ndarray]]:
        with reader:
            for frame in iter_decoded(reader, coder, max_frames=max_frames):
                yield frame.planes

    return video, frames()


# --------------------------------------------------------------------------- scanning


@dataclass
class Scan:
    """What the clusters of a file say, without decoding them."""

    frames: int = 0
    gops: int = 0
    payload_bytes: int = 0
    frame_types: dict[str, int] = field(default_factory=dict)
    first_pts: int | None = None
    end_pts: int | None = None  # the end of the last frame
    packets: dict[int, dict[str, int]] = field(default_factory=dict)  # track -> packets, bytes
    intact: list[tuple[int, int]] = field(default_factory=list)  # (GOP, frames) of intact clusters
    errors: list = field(default_factory=list)  # what the reader found damaged (NlvcError)

    @property
    def duration(self) -> int | None:
        """From the first frame's pts to the end of the last frame, in the video time base."""
        return None if self.first_pts is None else self.end_pts - self.first_pts


def scan(reader) -> Scan:
    """Read every cluster of an open reader (from where it stands) and sum up the intact ones;
    the damage found is in ``errors`` (nothing is raised for it)."""
    track = reader.video_track
    s = Scan(packets={t.number: {"packets": 0, "bytes": 0} for t in reader.other_tracks})
    unverified = []
    for cluster in reader.iter_clusters(on_error="skip"):
        if cluster.crc_error is not None:  # read past its CRC-32 (salvage): only a decode vouches for it
            cluster.crc_error.gop = cluster.index
            unverified.append(cluster.crc_error)
            continue
        s.intact.append((cluster.index, len(cluster.frame_pts)))
        s.gops += 1
        s.frames += len(cluster.frame_pts)
        s.payload_bytes += len(cluster.payload)
        for t in cluster.frame_types:
            s.frame_types[t] = s.frame_types.get(t, 0) + 1
        for p in cluster.packets:
            entry = s.packets.setdefault(p.track, {"packets": 0, "bytes": 0})
            entry["packets"] += 1
            entry["bytes"] += len(p.data)
        if cluster.frame_pts:
            s.first_pts = cluster.frame_pts[0] if s.first_pts is None else s.first_pts
            s.end_pts = cluster.frame_pts[-1] + frame_durations(cluster, track)[-1]
    s.errors = unverified + list(reader.errors)
    return s


def scan_file(path: str | os.PathLike) -> Scan:
    with container.open(str(path), "r") as r:
        return scan(r)
