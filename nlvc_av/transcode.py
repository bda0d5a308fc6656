"""Encode a video into ``.nlvc`` and decode it back (FFV1/Matroska, y4m file, y4m on stdout).

    from nlvc_av.transcode import encode_file, decode_file
    stats = encode_file("in.mkv", "out.nlvc", gop=8, groups=2)
    decode_file("out.nlvc", "restored.mkv")

Encoding takes the frames in their native pixel format, codes them GOP by GOP with
:class:`nlvc_av.codec.GopCoder`, and writes one cluster per GOP holding the frame timestamps,
the per-frame MD5 (:func:`nlvc_av.planes.frame_md5`), the payload, and every audio/subtitle
packet whose time falls in the GOP's span. Decoding is the mirror and checks every MD5.

Files are written under a temporary name in the destination directory and renamed when
complete: an error or Ctrl-C leaves nothing at the destination.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

import container
from container import CodecSetup, Cluster, CorruptFileError, Info, Packet, StreamTrack, VideoTrack

from . import media
from . import planes as P
from .errors import ChecksumError, DirectionError, OutputError, OutputExistsError, UnsupportedPixelFormatError
from .progress import NullProgress, ProgressBar

__all__ = [
    "EncodeStats",
    "DecodeStats",
    "DecodedFrame",
    "encode_file",
    "decode_file",
    "iter_planes",
    "iter_nlvc_planes",
    "is_nlvc",
    "output_kind",
    "atomic_output",
    "make_coder",
    "coder_for_setup",
    "video_info_from_track",
    "decode_cluster",
]

DEFAULT_GOP = 8
STDIO = "-"
NLVC_SUFFIX = ".nlvc"
OUTPUT_KINDS = {".mkv": "mkv", ".y4m": "y4m"}
VIDEO_TAG_PREFIX = "video:"  # video stream tags are kept among the file tags under this prefix


# --------------------------------------------------------------------------- names and files


def is_nlvc(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(NLVC_SUFFIX)


def output_kind(dst: str | os.PathLike) -> str:
    """``"mkv"`` or ``"y4m"`` for a decode destination (``"-"`` is y4m on stdout)."""
    if str(dst) == STDIO:
        return "y4m"
    suffix = Path(dst).suffix.lower()
    try:
        return OUTPUT_KINDS[suffix]
    except KeyError:
        raise DirectionError(
            f"cannot write '{dst}': a decoded video is written as .mkv (FFV1), .y4m, or '-' (y4m on stdout)"
        ) from None


@contextlib.contextmanager
def atomic_output(dst: str | os.PathLike, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary path next to ``dst``; rename it to ``dst`` on success, remove it on
    any error or interrupt. Refuses an existing ``dst`` unless ``overwrite``."""
    dst = Path(dst)
    if dst.is_dir():
        raise OutputError(f"{dst}: is a directory")
    if dst.exists() and not overwrite:
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    parent = dst.parent if str(dst.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{dst}: directory {str(parent)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=parent)
    except OSError as err:
        raise OutputError(f"{dst}: cannot write: {err.strerror or err}") from None
    os.close(fd)
    try:
        yield tmp
        if dst.exists() and not overwrite:
            raise OutputExistsError(f"{dst}: appeared while writing; not replaced (use --overwrite)")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _progress(progress, label: str, total: int):
    if progress is True:
        return ProgressBar(label, total)
    if progress:
        return progress  # an object with update()/close(), e.g. a ProgressBar
    return NullProgress()


# --------------------------------------------------------------------------- coders


def make_coder(groups: int | None = None, *, model: str | None = None, threads: int | None = None):
    """A :class:`nlvc_av.codec.GopCoder` for encoding (imports the codec lazily)."""
    from . import codec

    kwargs: dict = {"groups": codec.DEFAULT_GROUPS if groups is None else groups}
    if model is not None:
        kwargs["model"] = model
    if threads is not None:
        kwargs["threads"] = threads
    try:
        return codec.GopCoder(**kwargs)
    except ValueError as err:  # e.g. an unsupported number of groups
        raise OutputError(str(err)) from None
    except FileNotFoundError as err:
        raise OutputError(f"model weights not found: {err}") from None


def coder_for_setup(setup: CodecSetup, *, threads: int | None = None):
    """The coder a file needs (clear error when the installed weights differ)."""
    from . import codec

    if threads is not None and "threads" in inspect.signature(codec.GopCoder.for_setup).parameters:
        return codec.GopCoder.for_setup(setup, threads=threads)
    return codec.GopCoder.for_setup(setup)


def _check_codable(pix_fmt: str) -> None:
    from . import codec

    supported = getattr(codec, "SUPPORTED_PIX_FMTS", None)
    coding = P.lookup(pix_fmt).coding_pix_fmt
    if supported is not None and coding not in supported and pix_fmt not in supported:
        raise UnsupportedPixelFormatError(
            f"the codec cannot code {pix_fmt} (it codes: {', '.join(supported)})"
        )


# --------------------------------------------------------------------------- track <-> info


def _ratio(value: Fraction | None, default: tuple[int, int] | None) -> tuple[int, int] | None:
    if not value:
        return default
    value = Fraction(value)
    return (value.numerator, value.denominator)


def _fraction(pair: Sequence[int] | None) -> Fraction | None:
    if not pair or not pair[0] or not pair[1]:
        return None
    return Fraction(int(pair[0]), int(pair[1]))


def video_track_from_info(v: media.VideoInfo) -> VideoTrack:
    return VideoTrack(
        number=media.VIDEO_TRACK,
        width=v.width,
        height=v.height,
        pix_fmt=v.pix_fmt,
        bit_depth=P.lookup(v.pix_fmt).bit_depth,
        time_base=_ratio(v.time_base, (1, 25)),
        frame_rate=_ratio(v.frame_rate, None),
        color_range=v.color_range,
        color_primaries=v.color_primaries,
        color_trc=v.color_trc,
        colorspace=v.colorspace,
        chroma_location=v.chroma_location,
        sample_aspect_ratio=_ratio(v.sample_aspect_ratio, (0, 1)),
    )


def video_info_from_track(t: VideoTrack, tags: dict[str, str] | None = None) -> media.VideoInfo:
    tags = tags or {}
    return media.VideoInfo(
        width=t.width,
        height=t.height,
        pix_fmt=t.pix_fmt,
        time_base=_fraction(t.time_base) or Fraction(1, 25),
        frame_rate=_fraction(t.frame_rate),
        color_range=t.color_range,
        color_primaries=t.color_primaries,
        color_trc=t.color_trc,
        colorspace=t.colorspace,
        chroma_location=t.chroma_location,
        sample_aspect_ratio=_fraction(t.sample_aspect_ratio),
        metadata={k: v for k, v in tags.items() if not k.startswith(VIDEO_TAG_PREFIX)},
        stream_metadata={k[len(VIDEO_TAG_PREFIX):]: v for k, v in tags.items() if k.startswith(VIDEO_TAG_PREFIX)},
        codec_name="nlvc",
        source_pix_fmt=t.pix_fmt,
    )


def stream_track_from_info(s: media.StreamInfo) -> StreamTrack:
    return StreamTrack(
        number=s.number,
        kind=s.kind,
        codec_name=s.codec_name,
        time_base=_ratio(s.time_base, (1, 1000)),
        extradata=bytes(s.extradata),
        params=dict(s.params),
    )


def stream_info_from_track(t: StreamTrack) -> media.StreamInfo:
    return media.StreamInfo(
        number=t.number,
        kind=t.kind,
        codec_name=t.codec_name,
        time_base=_fraction(t.time_base) or Fraction(1, 1000),
        extradata=bytes(t.extradata or b""),
        params=dict(t.params or {}),
    )


# --------------------------------------------------------------------------- encoding


@dataclass
class EncodeStats:
    frames: int = 0
    gops: int = 0
    packets: int = 0  # copied audio/subtitle packets
    raw_bytes: int = 0  # the frames' planes, uncompressed
    payload_bytes: int = 0  # the coded video
    file_bytes: int = 0  # the whole .nlvc (0 when written to a pipe)
    seconds: float = 0.0
    pix_fmt: str = ""
    width: int = 0
    height: int = 0

    @property
    def ratio(self) -> float:
        """Raw size / coded video size."""
        return self.raw_bytes / self.payload_bytes if self.payload_bytes else 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


class _PacketRouter:
    """Holds copied packets until the cluster whose GOP time span holds them is written.

    A GOP spans [its first pts, the next GOP's first pts); packets are compared by dts (pts when
    there is none). Per stream, packets keep their order: once one is held back, every later
    packet of that stream waits too.
    """

    def __init__(self, time_bases: dict[int, Fraction]):
        self.time_bases = time_bases
        self.pending: list[Packet] = []

    def add(self, packet: Packet) -> None:
        self.pending.append(packet)

    def _time(self, p: Packet) -> Fraction | None:
        t = p.dts if p.dts is not None else p.pts
        return None if t is None else t * self.time_bases.get(p.track, Fraction(1, 1000))

    def take(self, before: Fraction | None) -> list[Packet]:
        if before is None:
            taken, self.pending = self.pending, []
            return taken
        taken, kept, held = [], [], set()
        for p in self.pending:
            t = self._time(p)
            if p.track in held or (t is not None and t >= before):
                held.add(p.track)
                kept.append(p)
            else:
                taken.append(p)
        self.pending = kept
        return taken


def encode_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    gop: int = DEFAULT_GOP,
    groups: int | None = None,
    overwrite: bool = False,
    progress=False,
    threads: int | None = None,
    model: str | None = None,
    max_frames: int | None = None,
    coder=None,
) -> EncodeStats:
    """Encode ``src`` (any file PyAV opens, or ``"-"``: y4m on stdin) into ``dst`` (``.nlvc``
    path, or ``"-"`` for stdout). ``max_frames`` keeps only the first frames (and the packets
    of their time span). ``coder`` overrides groups/model/threads with a ready GopCoder."""
    if gop < 1:
        raise ValueError(f"gop must be >= 1, got {gop}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    src, dst = str(src), str(dst)
    if dst != STDIO and Path(dst).exists() and not overwrite:  # fail before any heavy work
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    with media.open_input(src, max_frames=max_frames) as source:
        _check_codable(source.video.pix_fmt)
        if coder is None:
            coder = make_coder(groups, model=model, threads=threads)
        if dst == STDIO:
            return _encode(source, sys.stdout.buffer, coder, gop, progress)
        with atomic_output(dst, overwrite) as tmp:
            stats = _encode(source, tmp, coder, gop, progress)
        stats.file_bytes = os.path.getsize(dst)
        return stats


def _encode(source: media.InputFile, out, coder, gop: int, progress) -> EncodeStats:
    v = source.video
    fmt = P.lookup(v.pix_fmt)
    coding_fmt = fmt.coding_pix_fmt
    raw_frame = P.raw_frame_bytes(fmt, v.width, v.height)
    stats = EncodeStats(pix_fmt=v.pix_fmt, width=v.width, height=v.height)
    tracks = [video_track_from_info(v)] + [stream_track_from_info(s) for s in source.other_streams]
    setup = CodecSetup(
        model_id=coder.model_id,
        weights_sha256=coder.weights_sha256,
        token_map=coder.token_map,
        groups=int(coder.groups),
        gop_size=gop,
        coder_params=dict(coder.coder_params),
    )
    tags = dict(v.metadata)
    tags.update({VIDEO_TAG_PREFIX + k: val for k, val in v.stream_metadata.items()})
    from . import __version__

    info = Info(app=f"nlvc {__version__}")
    total = min(v.frames, source.max_frames) if v.frames and source.max_frames else (v.frames or source.max_frames or 0)
    bar = _progress(progress, "encoding", total)
    router = _PacketRouter({s.number: s.time_base for s in source.other_streams})
    start = time.monotonic()
    frames: list[media.VideoFrameData] = []
    last_end: Fraction | None = None

    def flush(writer, before: Fraction | None) -> None:
        payload, frame_types = coder.encode_gop([f.planes for f in frames], coding_fmt)
        packets = router.take(before)
        writer.write_cluster(
            Cluster(
                index=stats.gops,
                frame_pts=[f.pts for f in frames],
                frame_types=frame_types,
                frame_md5=[P.frame_md5(f.planes) for f in frames],
                payload=payload,
                packets=packets,
                frame_durations=[f.duration for f in frames],
            )
        )
        stats.gops += 1
        stats.frames += len(frames)
        stats.packets += len(packets)
        stats.raw_bytes += raw_frame * len(frames)
        stats.payload_bytes += len(payload)
        bar.update(stats.frames, stats.raw_bytes, stats.payload_bytes, force=True)

    try:
        with container.open(out, "w", codec_setup=setup, tracks=tracks, info=info, tags=tags) as writer:
            for item in source.read():
                if isinstance(item, media.VideoFrameData):
                    if len(frames) == gop:
                        flush(writer, item.pts * v.time_base)
                        frames = []
                    frames.append(item)
                    last_end = (item.pts + item.duration) * v.time_base
                else:
                    router.add(item)
            if source.truncated:  # packets beyond the last kept frame are not part of the cut
                router.pending = router.take(last_end)
            if frames:
                flush(writer, None)  # the last GOP takes every remaining packet
    finally:
        bar.close()
    stats.seconds = time.monotonic() - start
    return stats


# --------------------------------------------------------------------------- decoding


@dataclass
class DecodedFrame:
    pts: int
    duration: int
    planes: list[np.ndarray]
    gop: int
    index: int  # within the GOP
    frame_type: str


@dataclass
class DecodeStats:
    frames: int = 0
    gops: int = 0
    packets: int = 0  # copied packets written
    dropped_packets: int = 0  # copied packets the output cannot carry (y4m is video only)
    seconds: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def _default_duration(track: VideoTrack) -> int:
    rate, tb = _fraction(track.frame_rate), _fraction(track.time_base)
    if rate and tb:
        return max(1, round(1 / (rate * tb)))
    return 1


def decode_cluster(cluster: Cluster, coder, track: VideoTrack, next_pts: int | None = None) -> list[DecodedFrame]:
    """Decode one GOP and check every frame against its stored MD5."""
    fmt = P.lookup(track.pix_fmt)
    n = len(cluster.frame_pts)
    try:
        frames = coder.decode_gop(cluster.payload, cluster.frame_types, fmt.coding_pix_fmt, track.width, track.height)
    except container.NlvcError:
        raise
    except Exception as err:  # a damaged payload can fail anywhere inside the model/coder
        raise CorruptFileError(
            f"GOP {cluster.index}: the coded video cannot be decoded ({type(err).__name__}: {err})",
            gop=cluster.index,
        ) from None
    if len(frames) != n:
        raise CorruptFileError(
            f"GOP {cluster.index}: decoded {len(frames)} frames, the cluster lists {n}", gop=cluster.index
        )
    durations = list(cluster.frame_durations or [])
    out = []
    for k, (planes, pts) in enumerate(zip(frames, cluster.frame_pts)):
        if k < len(durations) and durations[k]:
            duration = durations[k]
        elif k + 1 < n:
            duration = cluster.frame_pts[k + 1] - pts
        elif next_pts is not None:
            duration = next_pts - pts
        else:
            duration = _default_duration(track)
        if k >= len(cluster.frame_md5) or P.frame_md5(planes) != cluster.frame_md5[k]:
            raise ChecksumError(
                f"GOP {cluster.index}, frame {k} (pts {pts}): the decoded frame does not match its "
                "stored MD5; the file is damaged or was written by an incompatible coder"
            )
        ftype = cluster.frame_types[k] if k < len(cluster.frame_types) else "?"
        out.append(DecodedFrame(pts, duration, planes, cluster.index, k, ftype))
    return out


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
    appended to ``packets`` (when given) before that cluster's frames are yielded."""
    track = reader.video_track
    count = 0
    for cluster in iter_clusters_from(reader, start_gop):
        if packets is not None:
            packets.extend(cluster.packets)
        for frame in decode_cluster(cluster, coder, track):
            yield frame
            count += 1
            if max_frames is not None and count >= max_frames:
                return


def decode_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress=False,
    threads: int | None = None,
    max_frames: int | None = None,
    coder=None,
) -> DecodeStats:
    """Decode ``src`` (``.nlvc`` path, or ``"-"`` for stdin) into ``dst``: ``.mkv`` (FFV1 level 3
    + the original audio/subtitle streams), ``.y4m``, or ``"-"`` (y4m on stdout)."""
    src, dst = str(src), str(dst)
    kind = output_kind(dst)
    if dst != STDIO and Path(dst).exists() and not overwrite:
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    source = sys.stdin.buffer if src == STDIO else src
    with container.open(source, "r") as reader:
        track = reader.video_track
        video = video_info_from_track(track, reader.tags)
        if kind == "y4m" and P.lookup(video.pix_fmt).family == "rgb":
            raise OutputError(f"YUV4MPEG2 cannot carry RGB video ({video.pix_fmt}); write a .mkv instead")
        if coder is None:
            coder = coder_for_setup(reader.codec_setup, threads=threads)
        streams = [stream_info_from_track(t) for t in reader.other_tracks]
        if dst == STDIO:
            return _decode(reader, coder, sys.stdout.buffer, kind, video, streams, progress, max_frames, "stdout")
        with atomic_output(dst, overwrite) as tmp:
            return _decode(reader, coder, tmp, kind, video, streams, progress, max_frames, dst)


def _decode(reader, coder, out, kind, video, streams, progress, max_frames, name) -> DecodeStats:
    stats = DecodeStats()
    start = time.monotonic()
    bar = _progress(progress, "decoding", 0)
    packets: list[Packet] = []
    gops = set()
    try:
        with media.OutputFile(out, kind, video, streams, video.metadata, name=name) as writer:

            def write_packets() -> None:
                for p in packets:
                    if writer.write_packet(p):
                        stats.packets += 1
                    else:
                        stats.dropped_packets += 1
                packets.clear()

            for frame in iter_decoded(reader, coder, max_frames=max_frames, packets=packets):
                write_packets()
                writer.write_frame(frame.planes, frame.pts, frame.duration)
                gops.add(frame.gop)
                stats.frames += 1
                bar.update(stats.frames)
            if max_frames is None:
                write_packets()
    finally:
        bar.close()
    stats.gops = len(gops)
    stats.seconds = time.monotonic() - start
    return stats


# --------------------------------------------------------------------------- planes for verify / bench


def iter_nlvc_planes(path: str | os.PathLike, *, max_frames: int | None = None, threads: int | None = None,
                     coder=None) -> tuple[media.VideoInfo, Iterator[list[np.ndarray]]]:
    """``(VideoInfo, iterator of decoded frames as plane lists)`` of an ``.nlvc`` file."""
    reader = container.open(str(path), "r")
    try:
        video = video_info_from_track(reader.video_track, reader.tags)
        coder = coder or coder_for_setup(reader.codec_setup, threads=threads)
    except BaseException:
        reader.close()
        raise

    def frames() -> Iterator[list[np.ndarray]]:
        with reader:
            for frame in iter_decoded(reader, coder, max_frames=max_frames):
                yield frame.planes

    return video, frames()


def iter_planes(path: str | os.PathLike, *, max_frames: int | None = None, threads: int | None = None
                ) -> tuple[media.VideoInfo, Iterator[list[np.ndarray]]]:
    """Planes of any video: ``.nlvc`` files are decoded with the codec, others read with PyAV."""
    if is_nlvc(path):
        return iter_nlvc_planes(path, max_frames=max_frames, threads=threads)
    return media.iter_video_planes(str(path), max_frames=max_frames)
