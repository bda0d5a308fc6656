"""The PyAV boundary: the only module of NLVC that imports ``av``.

Reading: :func:`open_input` opens any file PyAV opens (or y4m on stdin, ``"-"``), takes the video
in its native pixel format (no colour conversion) as exact planes (see :mod:`nlvc_av.planes`), and
hands every audio/subtitle packet over untouched as a :class:`container.Packet`.

Writing: :class:`OutputFile` writes planes back as FFV1 (level 3) in Matroska, with the copied
streams muxed packet for packet, or as YUV4MPEG2 (to a file or a pipe).

Every FFmpeg error is turned into an :mod:`nlvc_av.errors` error here, so callers never need
``av`` to handle them.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import sys
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO, Iterator, Sequence

import av
import numpy as np

import container

from . import planes as P
from .errors import InputError, OutputError, UnsupportedPixelFormatError

__all__ = [
    "VideoInfo",
    "StreamInfo",
    "VideoFrameData",
    "InputFile",
    "OutputFile",
    "open_input",
    "iter_video_planes",
    "frame_planes",
    "to_frame",
    "decode_planes_for_training",
    "FFMPEG_VERSION",
]

log = logging.getLogger("nlvc_av")

FFMPEG_VERSION = getattr(av, "ffmpeg_version_info", "")

#: Stream kinds copied packet for packet (PyAV stream.type -> container StreamTrack.kind).
COPIED_KINDS = {"audio": "audio", "subtitle": "subtitle"}

#: Y4M magic; stdin starting with it is read as YUV4MPEG2, anything else is probed.
Y4M_MAGIC = b"YUV4MPEG2"

#: Frames held to put timestamps back in increasing order (see InputFile._reordered).
REORDER_WINDOW = 16

VIDEO_TRACK = 1  # track number of the video in .nlvc files; copied streams follow from 2


# --------------------------------------------------------------------------- descriptions


@dataclass
class VideoInfo:
    """The video stream, as the source describes it (colour tags are FFmpeg enum values)."""

    width: int
    height: int
    pix_fmt: str  # a supported format (yuvj* already mapped to yuv*, color_range = 2)
    time_base: Fraction
    frame_rate: Fraction | None = None
    color_range: int = 0
    color_primaries: int = 2
    color_trc: int = 2
    colorspace: int = 2
    chroma_location: int = 0
    sample_aspect_ratio: Fraction | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # container tags
    stream_metadata: dict[str, str] = field(default_factory=dict)
    frames: int = 0  # frame count the source states or its duration implies; 0 = unknown
    codec_name: str = ""
    source_pix_fmt: str = ""  # the decoder's name for it (e.g. yuvj420p)

    @property
    def fmt(self) -> P.PixFmt:
        return P.lookup(self.pix_fmt)

    @property
    def raw_frame_bytes(self) -> int:
        return P.raw_frame_bytes(self.pix_fmt, self.width, self.height)


@dataclass
class StreamInfo:
    """A stream copied packet for packet (audio, subtitles)."""

    number: int  # track number in the .nlvc file
    kind: str  # "audio" | "subtitle"
    codec_name: str
    time_base: Fraction
    extradata: bytes = b""
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass
class VideoFrameData:
    """One decoded frame: its timestamp and duration (video time base) and its planes."""

    pts: int
    duration: int
    planes: list[np.ndarray]


# --------------------------------------------------------------------------- error mapping


def _describe(err: BaseException) -> str:
    if isinstance(err, av.FFmpegError):
        return err.strerror or str(err)
    return str(err)


@contextlib.contextmanager
def _reading(name: str, what: str = "cannot read"):
    try:
        yield
    except (InputError, OutputError):
        raise
    except av.FFmpegError as err:
        if isinstance(err, FileNotFoundError):
            raise InputError(f"{name}: no such file") from None
        if isinstance(err, av.InvalidDataError):
            raise InputError(f"{name}: not a media file FFmpeg can read ({_describe(err)})") from None
        raise InputError(f"{name}: {what}: {_describe(err)}") from None


def _rational(value) -> Fraction | None:
    if value is None:
        return None
    value = Fraction(value)
    return value if value > 0 else None


# --------------------------------------------------------------------------- planes <-> frames


def frame_planes(frame: "av.VideoFrame", fmt: P.PixFmt | None = None) -> list[np.ndarray]:
    """The exact planes of a decoded frame (line padding dropped; packed RGB -> G, B, R)."""
    fmt = fmt or P.lookup(frame.format.name)
    w, h = frame.width, frame.height
    if fmt.packed is not None:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        pixels = rows[:h, : w * fmt.pixel_bytes].reshape(h, w, fmt.pixel_bytes)
        return P.unpack(pixels, fmt)
    out = []
    for plane, (ph, pw) in zip(frame.planes, P.plane_shapes(fmt, w, h)):
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        out.append(np.array(rows[:ph, :pw], dtype=np.uint8, order="C"))
    return out


def to_frame(
    planes: Sequence[np.ndarray],
    pix_fmt: str,
    width: int,
    height: int,
    *,
    pts: int | None = None,
    time_base: Fraction | None = None,
    duration: int | None = None,
    color: dict[str, int] | None = None,
) -> "av.VideoFrame":
    """An ``av.VideoFrame`` in ``pix_fmt`` holding exactly ``planes`` (the inverse of
    :func:`frame_planes`)."""
    fmt = P.lookup(pix_fmt)
    P.check_planes(planes, fmt, width, height)
    frame = av.VideoFrame(width, height, fmt.name)
    if fmt.packed is not None:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        rows[:height, : width * fmt.pixel_bytes] = P.pack(planes, fmt).reshape(height, -1)
    else:
        for plane, src in zip(frame.planes, planes):
            rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
            rows[: src.shape[0], : src.shape[1]] = src
    if pts is not None:
        frame.pts = pts
    if time_base is not None:
        frame.time_base = time_base
    if duration:
        frame.duration = duration
    for key, value in (color or {}).items():
        setattr(frame, key, value)
    return frame


# --------------------------------------------------------------------------- input


def _stream_params(stream) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    cc = stream.codec_context
    if stream.type == "audio" and cc is not None:
        params["sample_rate"] = int(cc.sample_rate or 0)
        params["channels"] = int(cc.channels or 0)
        with contextlib.suppress(Exception):
            params["layout"] = cc.layout.name
        with contextlib.suppress(Exception):
            params["format"] = cc.format.name
        if cc.bit_rate:
            params["bit_rate"] = int(cc.bit_rate)
        if cc.frame_size:
            params["frame_size"] = int(cc.frame_size)
    elif cc is not None:
        for key in ("width", "height"):
            value = getattr(cc, key, 0)
            if value:
                params[key] = int(value)
    with contextlib.suppress(Exception):
        disposition = int(stream.disposition)
        if disposition:
            params["disposition"] = disposition
    for key, value in stream.metadata.items():
        params[f"tag:{key}"] = str(value)
    return params


def _frame_count(stream, rate: Fraction | None, container_duration: int | None = None) -> int:
    """The frame count the source states, else the one its duration implies (0: unknown)."""
    if stream.frames:
        return int(stream.frames)
    with contextlib.suppress(Exception):
        if stream.duration and stream.time_base and rate:
            return max(0, round(stream.duration * stream.time_base * rate))
        if container_duration and rate:  # in microseconds (AV_TIME_BASE)
            return max(0, round(Fraction(container_duration, 1_000_000) * rate))
    return 0


ATTACHED_PIC = 0x0400  # AV_DISPOSITION_ATTACHED_PIC: cover art, not a video


def _is_attached_picture(stream) -> bool:
    try:
        return bool(int(stream.disposition) & ATTACHED_PIC)
    except (TypeError, ValueError):
        return False


def _codec_name(stream) -> str:
    """The codec's own name (``mp3``), not the decoder's (``mp3float``)."""
    cc = stream.codec_context
    if cc is None:
        return getattr(stream, "name", None) or "none"
    with contextlib.suppress(Exception):
        return cc.codec.canonical_name
    return cc.name


class InputFile:
    """A source opened for encoding: ``video`` (:class:`VideoInfo`), ``other_streams``
    (:class:`StreamInfo` list) and :meth:`read`. Use :func:`open_input`."""

    def __init__(self, path: str, *, max_frames: int | None = None):
        self.path = path
        self.name = "stdin" if path == "-" else str(path)
        self.max_frames = max_frames
        self.truncated = False  # True when max_frames stopped the read before the end
        self._av = None
        self._y4m_head = b""  # a y4m header says what FFmpeg does not pass on: 4:2:0 siting
        with _reading(self.name, "cannot open"):
            if path == "-":
                stdin = sys.stdin.buffer
                head = stdin.peek(len(Y4M_MAGIC)) if hasattr(stdin, "peek") else b""
                fmt = "yuv4mpegpipe" if head[: len(Y4M_MAGIC)] == Y4M_MAGIC else None
                if not head:
                    raise InputError("stdin: no data (pipe y4m in, e.g. ffmpeg -i x -f yuv4mpegpipe -)")
                self._y4m_head = stdin.peek(1024)[:1024] if fmt else b""
                self._av = av.open(stdin, "r", format=fmt)
            else:
                self._av = av.open(str(path), "r")
                if self._av.format.name == "yuv4mpegpipe":
                    with contextlib.suppress(OSError), open(path, "rb") as f:
                        self._y4m_head = f.read(1024)
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def _setup(self) -> None:
        src = self._av
        videos = [s for s in src.streams.video if not _is_attached_picture(s)]
        if not videos:
            raise InputError(f"{self.name}: no video stream")
        video = videos[0]
        self._video_stream = video
        others = []
        for stream in src.streams:
            kind = COPIED_KINDS.get(stream.type)
            if stream is video:
                continue
            if kind is None:
                log.warning("%s: stream #%d (%s) is not copied", self.name, stream.index, stream.type)
                continue
            others.append(stream)
        self._other_av = others
        self.other_streams = [
            StreamInfo(
                number=VIDEO_TRACK + 1 + i,
                kind=COPIED_KINDS[s.type],
                codec_name=_codec_name(s),
                time_base=s.time_base or Fraction(1, 1000),
                extradata=bytes(s.codec_context.extradata or b"") if s.codec_context is not None else b"",
                params=_stream_params(s),
            )
            for i, s in enumerate(others)
        ]
        self._track_of = {s.index: info.number for s, info in zip(others, self.other_streams)}
        self._pending: deque = deque()
        self._items = self._generate()
        # Decode until the first frame: its pixel format is the one that counts (decoders may
        # differ from the stream header), and an unsupported one is refused before any output.
        first = None
        for item in self._items:
            self._pending.append(item)
            if isinstance(item, VideoFrameData):
                first = item
                break
        if first is None:
            raise InputError(f"{self.name}: the video stream has no frames")

    def _video_info(self, frame) -> VideoInfo:
        stream = self._video_stream
        cc = stream.codec_context
        name, full_range = P.normalize(frame.format.name)
        try:
            P.lookup(name)
        except UnsupportedPixelFormatError as err:
            raise UnsupportedPixelFormatError(f"{self.name}: {err}") from None
        tb = stream.time_base or frame.time_base or Fraction(1, 25)
        rate = _rational(stream.average_rate) or _rational(stream.guessed_rate) or _rational(stream.base_rate)
        color_range = frame.color_range or (cc.color_range if cc is not None else 0)
        if full_range:
            color_range = P.COLOR_RANGE_FULL
        sar = None
        with contextlib.suppress(Exception):
            sar = _rational(stream.sample_aspect_ratio) or _rational(cc.sample_aspect_ratio)
        chroma_location = 0
        if name == "yuv420p" and self._y4m_head:
            chroma_location = Y4M_420.get(y4m_header_fields(self._y4m_head).get("C", "420jpeg"), 0)
        return VideoInfo(
            width=frame.width,
            height=frame.height,
            pix_fmt=name,
            time_base=Fraction(tb),
            frame_rate=rate,
            color_range=int(color_range or 0),
            color_primaries=int(frame.color_primaries or cc.color_primaries or 2),
            color_trc=int(frame.color_trc or cc.color_trc or 2),
            colorspace=int(frame.colorspace or cc.colorspace or 2),
            chroma_location=chroma_location,
            sample_aspect_ratio=sar,
            metadata={str(k): str(v) for k, v in self._av.metadata.items()},
            stream_metadata={str(k): str(v) for k, v in stream.metadata.items()},
            frames=_frame_count(stream, rate, self._av.duration),
            codec_name=_codec_name(stream),
            source_pix_fmt=frame.format.name,
        )

    def _decoded(self) -> Iterator[tuple | container.Packet]:
        """Stage 1: demux + decode. Frames come out in presentation order as
        ``(pts or None, source duration, planes)``; copied packets as they are demuxed."""
        video = self._video_stream
        fmt = None
        count = 0
        with _reading(self.name, "error while reading"):
            for packet in self._av.demux([video, *self._other_av]):
                if packet.stream.index != video.index:
                    if packet.size:
                        yield self._copy_packet(packet)
                    continue
                for frame in packet.decode():
                    if fmt is None:
                        self.video = self._video_info(frame)
                        fmt = self.video.fmt
                    self._check_frame(frame, count)
                    count += 1
                    yield (frame.pts, int(frame.duration or 0), frame_planes(frame, fmt))

    def _reordered(self, items) -> Iterator[tuple | container.Packet]:
        """Stage 2: give the frames, in output order, the source's timestamps in increasing
        order. Some muxers store pts = dts for streams with B-frames (pts then go backwards
        after decoding); the set of timestamps is right, their order is not. A window of
        REORDER_WINDOW frames holds the smallest pts not yet given out."""
        window: deque = deque()
        heap: list[int] = []
        warned = False
        for item in items:
            if not isinstance(item, tuple):
                yield item
                continue
            pts, duration, planes = item
            if pts is not None:
                if heap and not warned and pts < max(heap):
                    warned = True
                    log.warning("%s: video timestamps are out of order; put back in increasing order", self.name)
                heapq.heappush(heap, pts)
            window.append((duration, planes))
            if len(window) > REORDER_WINDOW:
                duration, planes = window.popleft()
                yield (heapq.heappop(heap) if heap else None, duration, planes)
        while window:
            duration, planes = window.popleft()
            yield (heapq.heappop(heap) if heap else None, duration, planes)

    def _generate(self) -> Iterator[VideoFrameData | container.Packet]:
        """Stage 3: increasing pts (a missing or repeated one follows the previous frame), a
        duration for every frame (the source's, else up to the next frame), max_frames."""
        held = None  # (pts, source duration, planes): waits for the next pts to get a duration
        last_duration = 0
        count = 0
        for item in self._reordered(self._decoded()):
            if not isinstance(item, tuple):
                yield item
                continue
            pts, source_duration, planes = item
            if held is not None:
                if pts is None or pts <= held[0]:
                    pts = held[0] + max(held[1] or last_duration or self._default_duration(), 1)
                duration = held[1] or (pts - held[0])
                last_duration = duration
                yield VideoFrameData(held[0], duration, held[2])
                if self.max_frames is not None and count >= self.max_frames:
                    self.truncated = True
                    return
            elif pts is None:
                pts = 0
            held = (pts, source_duration, planes)
            count += 1
        if held is not None:
            yield VideoFrameData(held[0], held[1] or last_duration or self._default_duration(), held[2])

    def _default_duration(self) -> int:
        rate, tb = self.video.frame_rate, self.video.time_base
        if rate:
            return max(1, round(1 / (rate * tb)))
        return 1

    def _check_frame(self, frame, index: int) -> None:
        v = self.video
        name, _ = P.normalize(frame.format.name)
        if (frame.width, frame.height, name) != (v.width, v.height, v.pix_fmt):
            raise InputError(
                f"{self.name}: frame {index} is {frame.width}x{frame.height} {frame.format.name}, "
                f"the stream started as {v.width}x{v.height} {v.pix_fmt}; "
                "a change of size or format mid-stream is not supported"
            )

    def _copy_packet(self, packet) -> container.Packet:
        return container.Packet(
            track=self._track_of[packet.stream.index],
            pts=packet.pts,
            dts=packet.dts,
            duration=int(packet.duration or 0),
            keyframe=bool(packet.is_keyframe),
            data=bytes(packet),
        )

    def read(self) -> Iterator[VideoFrameData | container.Packet]:
        """Frames (:class:`VideoFrameData`) and copied packets (:class:`container.Packet`) in
        demux order. Stops after ``max_frames`` frames when given (``truncated`` is then True)."""
        while self._pending:
            yield self._pending.popleft()
        yield from self._items

    def close(self) -> None:
        if self._av is not None:
            with contextlib.suppress(Exception):
                self._av.close()
            self._av = None

    def __enter__(self) -> "InputFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_input(path: str, *, max_frames: int | None = None) -> InputFile:
    """Open ``path`` (any container PyAV opens; ``"-"`` = y4m on stdin) for encoding."""
    return InputFile(path, max_frames=max_frames)


def iter_video_planes(path: str, *, max_frames: int | None = None) -> tuple[VideoInfo, Iterator[list[np.ndarray]]]:
    """``(VideoInfo, iterator of frames as plane lists)`` of a media file, native pixel format.

    The file is closed when the iterator is exhausted or garbage collected.
    """
    src = open_input(path, max_frames=max_frames)

    def frames() -> Iterator[list[np.ndarray]]:
        with src:
            for item in src.read():
                if isinstance(item, VideoFrameData):
                    yield item.planes

    return src.video, frames()


# --------------------------------------------------------------------------- output

#: FFV1 has no 8-bit planar or packed 24-bit RGB: those are stored as bgr0 (same samples).
FFV1_RGB_PIX_FMT = "bgr0"
FFV1_OPTIONS = {"level": "3", "slicecrc": "1", "coder": "1", "context": "1", "g": "1"}

OUTPUT_FORMATS = {"mkv": "matroska", "y4m": "yuv4mpegpipe"}  # y4m is written by Y4mWriter

#: The ASS header text subtitle encoders need to open (not written: the source's codec private
#: data, usually empty for SubRip, replaces the encoder's).
ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
    b"Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
    b"Alignment, MarginL, MarginR, MarginV, Encoding\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)

#: Tags a muxer writes for itself (kept in the .nlvc as found, not copied into a new file).
MUXER_TAGS = {"ENCODER", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "BPS",
              "_STATISTICS_WRITING_APP", "_STATISTICS_WRITING_DATE_UTC", "_STATISTICS_TAGS"}


class OutputFile:
    """Writes frames (planes) and copied packets to Matroska (FFV1 level 3) or YUV4MPEG2.

    ``dst`` is a path or a binary file (stdout). ``kind`` is ``"mkv"`` or ``"y4m"``; y4m carries
    no other streams (they are dropped with a warning) and no RGB.
    """

    def __init__(
        self,
        dst: str | BinaryIO,
        kind: str,
        video: VideoInfo,
        streams: Sequence[StreamInfo] = (),
        metadata: dict[str, str] | None = None,
        *,
        threads: int | None = None,
        name: str | None = None,
    ):
        if kind not in OUTPUT_FORMATS:
            raise OutputError(f"unknown output kind {kind!r} (use one of {', '.join(OUTPUT_FORMATS)})")
        self.kind = kind
        self.video = video
        self.fmt = P.lookup(video.pix_fmt)
        if name is None:
            name = dst if isinstance(dst, str) else getattr(dst, "name", "output")
        self.name = str(name)  # for messages: the destination, not a temporary file
        if kind == "y4m" and self.fmt.family == "rgb":
            raise OutputError(
                f"YUV4MPEG2 cannot carry RGB video ({video.pix_fmt}); write a .mkv instead"
            )
        self._out = None
        self._y4m = None
        self._closed = False
        if kind == "y4m":
            self._y4m = Y4mWriter(dst, video)
            if streams:
                log.info("%s: y4m carries video only; %d other stream(s) not written", self.name, len(streams))
            return
        try:
            self._out = av.open(dst, "w", format=OUTPUT_FORMATS[kind])
            self._setup(streams, metadata or {}, threads)
        except av.FFmpegError as err:
            self.abort()
            raise OutputError(f"{self.name}: cannot write: {_describe(err)}") from None
        except BaseException:
            self.abort()
            raise

    def _setup(self, streams: Sequence[StreamInfo], metadata: dict[str, str], threads: int | None) -> None:
        out, v = self._out, self.video
        color = {
            "color_range": v.color_range,
            "color_primaries": v.color_primaries,
            "color_trc": v.color_trc,
            "colorspace": v.colorspace,
        }
        self.out_pix_fmt = FFV1_RGB_PIX_FMT if self.fmt.family == "rgb" else self.fmt.name
        options = dict(FFV1_OPTIONS)
        if v.chroma_location in CHROMA_LOCATIONS:
            options["chroma_sample_location"] = CHROMA_LOCATIONS[v.chroma_location]
        stream = out.add_stream("ffv1", rate=v.frame_rate or None, options=options)
        stream.time_base = v.time_base
        stream.codec_context.time_base = v.time_base
        cc = stream.codec_context
        cc.width, cc.height, cc.pix_fmt = v.width, v.height, self.out_pix_fmt
        cc.gop_size = 1
        for key, value in color.items():
            with contextlib.suppress(Exception):
                setattr(cc, key, value)
        if v.sample_aspect_ratio:
            cc.sample_aspect_ratio = v.sample_aspect_ratio
        if threads:
            cc.thread_count = threads
        stream.metadata.update({k: val for k, val in v.stream_metadata.items() if k.upper() not in MUXER_TAGS})
        self._color = color
        self._vstream = stream
        self._streams: dict[int, object] = {}
        self._stream_tb: dict[int, Fraction] = {}
        for info in streams:
            s = self._add_copied_stream(info)
            if s is not None:
                self._streams[info.number] = s
                self._stream_tb[info.number] = info.time_base
        out.metadata.update({k: val for k, val in metadata.items() if k.upper() not in MUXER_TAGS})

    @staticmethod
    def _configure(cc, info: StreamInfo, settings: dict) -> None:
        p = info.params
        if info.kind == "audio":
            cc.sample_rate = int(p.get("sample_rate") or 48000)
            layout = p.get("layout")
            try:
                cc.layout = layout if layout else int(p.get("channels") or 2)
            except Exception:
                cc.layout = int(p.get("channels") or 2)
            if settings.get("format"):
                cc.format = settings["format"]
            else:  # the encoder's own first choice (what add_stream would pick)
                formats = cc.codec.audio_formats
                if formats:
                    cc.format = formats[0].name
            if settings.get("bit_rate"):
                cc.bit_rate = settings["bit_rate"]
        else:
            if p.get("width") and p.get("height"):
                with contextlib.suppress(Exception):
                    cc.width, cc.height = int(p["width"]), int(p["height"])
            if hasattr(cc, "subtitle_header"):  # text subtitle encoders open only with an ASS header
                cc.subtitle_header = info.extradata if info.extradata.lstrip().startswith(b"[Script Info]") \
                    else ASS_HEADER
        cc.time_base = info.time_base
        cc.options = {"strict": "experimental"}
        if info.extradata:  # e.g. the ASS header some subtitle encoders need to open
            cc.extradata = info.extradata

    def _encoder_settings(self, info: StreamInfo) -> dict | None:
        """Parameters with which this FFmpeg's encoder for the codec opens (tried on a scratch
        context), or None when it has no usable encoder."""
        p = info.params
        tries = [
            {"format": p.get("format"), "bit_rate": p.get("bit_rate")},
            {"bit_rate": p.get("bit_rate")},
            {},
        ]
        for settings in tries:
            try:
                cc = av.CodecContext.create(info.codec_name, "w")
                self._configure(cc, info, settings)
                cc.open()
                return settings
            except Exception as err:  # noqa: BLE001 - any refusal means "try the next"
                log.debug("encoder for %s refuses %s: %s", info.codec_name, settings, err)
        return None

    def _add_copied_stream(self, info: StreamInfo):
        """An output stream for packets copied verbatim. The muxer takes the codec parameters
        from an opened encoder context (the only way PyAV fills them), whose codec private
        data is then replaced by the source's."""
        settings = self._encoder_settings(info)
        if settings is None:
            stream = self._add_mux_stream(info) if info.kind != "audio" else None
            if stream is None:
                log.warning(
                    "%s: %s stream %s (%s) cannot be written to Matroska by this FFmpeg; dropped "
                    "(it stays in the .nlvc file)",
                    self.name, info.kind, info.number, info.codec_name,
                )
                return None
        else:
            rate = int(info.params.get("sample_rate") or 48000) if info.kind == "audio" else None
            stream = self._out.add_stream(info.codec_name, rate=rate)
            cc = stream.codec_context
            self._configure(cc, info, settings)
            stream.time_base = info.time_base
            cc.open()
            cc.extradata = info.extradata or None
        p = info.params
        for key, value in p.items():
            if key.startswith("tag:") and key[4:].upper() not in MUXER_TAGS:
                stream.metadata[key[4:]] = str(value)
        if p.get("disposition"):
            with contextlib.suppress(Exception):
                stream.disposition = int(p["disposition"])
        return stream

    def _add_mux_stream(self, info: StreamInfo):
        try:
            rate = int(info.params["sample_rate"]) if info.kind == "audio" and info.params.get("sample_rate") else None
            stream = self._out.add_mux_stream(info.codec_name, rate=rate)
            stream.time_base = info.time_base
            log.warning(
                "%s: %s stream %s (%s) written without full codec parameters",
                self.name, info.kind, info.number, info.codec_name,
            )
            return stream
        except Exception:
            return None

    # -- writing

    def write_frame(self, planes: Sequence[np.ndarray], pts: int, duration: int = 0) -> None:
        """Encode one frame (pts/duration in the video time base; y4m numbers its frames)."""
        if self._y4m is not None:
            self._y4m.write(planes)
            return
        frame = to_frame(
            planes,
            self.out_pix_fmt,
            self.video.width,
            self.video.height,
            pts=pts,
            time_base=self.video.time_base,
            duration=duration,
            color=self._color,
        )
        self._mux(self._vstream.encode(frame))

    def write_packet(self, packet: container.Packet) -> bool:
        """Mux one copied packet; False when its stream is not in this output (y4m, or a
        stream this FFmpeg cannot write), which drops it."""
        stream = self._streams.get(packet.track) if self._y4m is None else None
        if stream is None:
            return False
        pkt = av.Packet(packet.data)
        pkt.pts = packet.pts
        pkt.dts = packet.dts
        if packet.duration:
            pkt.duration = packet.duration
        pkt.is_keyframe = bool(packet.keyframe)
        pkt.time_base = self._stream_tb[packet.track]
        pkt.stream = stream
        self._mux(pkt)
        return True

    def _mux(self, packets) -> None:
        try:
            self._out.mux(packets)
        except av.FFmpegError as err:
            if isinstance(err, BrokenPipeError):
                raise BrokenPipeError(err.errno, "output pipe closed") from None
            raise OutputError(f"{self.name}: write failed: {_describe(err)}") from None

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        if self._closed:
            return
        if self._y4m is not None:
            self._closed = True
            self._y4m.close()
            return
        try:
            self._mux(self._vstream.encode(None))
            self._out.close()
        except av.FFmpegError as err:
            raise OutputError(f"{self.name}: write failed: {_describe(err)}") from None
        finally:
            self._closed = True

    def abort(self) -> None:
        """Close without finishing (after an error); the caller removes the file."""
        self._closed = True
        if self._y4m is not None:
            self._y4m.abort()
        if self._out is not None:
            with contextlib.suppress(Exception):
                self._out.close()
            self._out = None

    def __enter__(self) -> "OutputFile":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()



# --------------------------------------------------------------------------- YUV4MPEG2

#: FFmpeg's AVChromaLocation values <-> the codec option names and the y4m 4:2:0 tags.
CHROMA_LOCATIONS = {1: "left", 2: "center", 3: "topleft", 4: "top", 5: "bottomleft", 6: "bottom"}
Y4M_420 = {"420jpeg": 2, "420mpeg2": 1, "420paldv": 3, "420": 2}
Y4M_CHROMA = {"yuv422p": "422", "yuv444p": "444", "gray": "mono"}


def y4m_header_fields(head: bytes) -> dict[str, str]:
    """The tagged fields of a YUV4MPEG2 stream header (``{"W": "352", "C": "420jpeg", ...}``)."""
    line = head.split(b"\n", 1)[0]
    if not line.startswith(Y4M_MAGIC):
        return {}
    fields = {}
    for token in line.split()[1:]:
        text = token.decode("ascii", "replace")
        if text.startswith("X") and "=" in text:
            key, _, value = text.partition("=")
            fields[key] = value
        elif text:
            fields[text[0]] = text[1:]
    return fields


class Y4mWriter:
    """YUV4MPEG2 written directly (the planes are the format): the header carries the frame
    rate, the sample aspect ratio, the 4:2:0 chroma siting and the colour range."""

    def __init__(self, dst: str | BinaryIO, video: VideoInfo):
        fmt = P.lookup(video.pix_fmt)
        if fmt.family == "rgb":
            raise OutputError(f"YUV4MPEG2 cannot carry RGB video ({video.pix_fmt}); write a .mkv instead")
        self.video = video
        self._own = not hasattr(dst, "write")
        self._file = open(dst, "wb") if self._own else dst
        self._shapes = P.plane_shapes(fmt, video.width, video.height)
        self._file.write(self.header(video))

    @staticmethod
    def header(v: VideoInfo) -> bytes:
        rate = Fraction(v.frame_rate or 25).limit_denominator(1 << 30)
        sar = Fraction(v.sample_aspect_ratio).limit_denominator(1 << 30) if v.sample_aspect_ratio else None
        if v.pix_fmt == "yuv420p":
            chroma = {1: "420mpeg2", 3: "420paldv"}.get(v.chroma_location, "420jpeg")
        else:
            chroma = Y4M_CHROMA[v.pix_fmt]
        parts = [
            "YUV4MPEG2", f"W{v.width}", f"H{v.height}", f"F{rate.numerator}:{rate.denominator}", "Ip",
            f"A{sar.numerator}:{sar.denominator}" if sar else "A0:0", f"C{chroma}",
        ]
        if v.color_range in (1, 2):
            parts.append("XCOLORRANGE=" + ("LIMITED" if v.color_range == 1 else "FULL"))
        return (" ".join(parts) + "\n").encode("ascii")

    def write(self, planes: Sequence[np.ndarray]) -> None:
        if [p.shape for p in planes] != self._shapes:
            raise ValueError(f"y4m frame planes {[p.shape for p in planes]}, expected {self._shapes}")
        self._file.write(b"FRAME\n")
        for plane in planes:
            self._file.write(np.ascontiguousarray(plane, dtype=np.uint8).data)

    def close(self) -> None:
        self._file.flush()
        if self._own:
            self._file.close()

    def abort(self) -> None:
        if self._own:
            with contextlib.suppress(Exception):
                self._file.close()

# --------------------------------------------------------------------------- training helper


def decode_planes_for_training(path: str, max_frames: int) -> list[list[np.ndarray]]:
    """Frames of a training file as planes: gray stays gray, everything else becomes yuv420p
    (RGB stills go through swscale's default BT.601 conversion, like the bench clips)."""
    out = []
    with av.open(path) as c:
        for frame in c.decode(video=0):
            if frame.format.name != "gray":
                frame = frame.reformat(format="yuv420p") if frame.format.name != "yuv420p" else frame
            planes = []
            for k, p in enumerate(frame.planes):
                h = frame.height if k == 0 else -(-frame.height // 2)
                w = frame.width if k == 0 else -(-frame.width // 2)
                a = np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[:h, :w]
                planes.append(np.ascontiguousarray(a))
            out.append(planes)
            if len(out) >= max_frames:
                break
    return out


# --------------------------------------------------------------------------- peer codecs (bench)


def has_encoder(name: str) -> bool:
    """Whether this FFmpeg build can encode with ``name`` (e.g. libx265)."""
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


class MatroskaVideoWriter:
    """Encodes planes with one FFmpeg video encoder into a Matroska file (the bench's peers)."""

    def __init__(self, path: str, codec_name: str, options: dict[str, str], width: int, height: int,
                 pix_fmt: str, rate: Fraction, threads: int | None = None):
        self._out = av.open(path, "w", format="matroska")
        self._stream = self._out.add_stream(codec_name, rate=rate, options=options)
        cc = self._stream.codec_context
        cc.width, cc.height, cc.pix_fmt = width, height, pix_fmt
        cc.time_base = self._stream.time_base = 1 / rate
        if threads:
            cc.thread_count = threads
        self._size = (width, height, pix_fmt, rate)
        self._index = 0

    def encode(self, planes: Sequence[np.ndarray] | None) -> int:
        """Encode one frame (None flushes); returns the bytes of the packets it produced."""
        width, height, pix_fmt, rate = self._size
        frame = None if planes is None else to_frame(planes, pix_fmt, width, height, pts=self._index,
                                                     time_base=1 / rate)
        self._index += 1
        packets = self._stream.encode(frame)
        self._out.mux(packets)
        return sum(p.size for p in packets)

    def close(self) -> None:
        self._out.close()


def decode_all_planes(path: str, threads: int | None = None) -> Iterator[list[np.ndarray]]:
    """Planes of every frame of the first video stream, decoded with FFmpeg's threading."""
    with av.open(path) as c:
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        if threads:
            vs.codec_context.thread_count = threads
        for frame in c.decode(vs):
            yield frame_planes(frame)
