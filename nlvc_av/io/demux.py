"""Reading: :func:`open_input` opens any file PyAV opens (or y4m on stdin, ``"-"``), takes the
video in its native pixel format (no colour conversion) as exact planes (see
:mod:`nlvc_av.codec.formats`), and hands every audio/subtitle packet over untouched as a
:class:`container.Packet`.
"""

from __future__ import annotations

import contextlib
import heapq
import sys
from collections import deque
from fractions import Fraction
from typing import Iterator

import av
import numpy as np

import container

from ..codec import formats as P
from ..errors import InputError, UnsupportedPixelFormatError
from .carried import channel_layout
from .frames import _rational, _reading, frame_count, frame_planes, is_regular_file, log, nominal_rate
from .streams import VIDEO_TRACK, StreamInfo, VideoFrameData, VideoInfo
from .imageread import native_input
from .aviread import avi_input
from .package import package_of
from .imageseq import sequence_of
from . import siting
from .y4m import Y4M_MAGIC, Y4mTracker, checked_head, kept_tags, y4m_header_fields

#: Stream kinds copied packet for packet (PyAV stream.type -> container StreamTrack.kind).
COPIED_KINDS = {"audio": "audio", "subtitle": "subtitle"}


#: Frames held to put timestamps back in increasing order (see InputFile._reordered).
REORDER_WINDOW = 16

# --------------------------------------------------------------------------- input


def _stream_params(stream) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    cc = stream.codec_context
    if stream.type == "audio" and cc is not None:
        params["sample_rate"] = int(cc.sample_rate or 0)
        params["channels"], params["layout"] = channel_layout(cc)  # (never cc.layout: PyAV 18 aborts on some)
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

    def __init__(self, path: str, *, max_frames: int | None = None, video_stream: int | None = None,
                 rate: Fraction | None = None, allow_gaps: bool = False, sequence=None):
        self.path = path
        self.sequence = sequence or sequence_of(str(path), rate, allow_gaps)  # (found once, by open_input)
        self.video_stream = video_stream  # which video stream to code, when there are several
        self.name = "stdin" if path == "-" else str(path)
        self.max_frames = max_frames
        self.truncated = False  # True when max_frames stopped the read before the end
        self.package_files: list = []  # (a package's side files: read by imageread, not here)
        self._av = None
        self._y4m_head = b""  # a y4m header says what FFmpeg does not pass on: 4:2:0 siting
        self._y4m: Y4mTracker | None = None  # follows a y4m stream's frames (a cut last frame)
        with _reading(self.name, "cannot open"):
            if path == "-":
                stdin = sys.stdin.buffer
                head = stdin.peek(len(Y4M_MAGIC)) if hasattr(stdin, "peek") else b""
                fmt = "yuv4mpegpipe" if head[: len(Y4M_MAGIC)] == Y4M_MAGIC else None
                if not head:
                    raise InputError("stdin: no data (pipe y4m in, e.g. ffmpeg -i x -f yuv4mpegpipe -)")
                if stdin.peek(12)[4:8] == b"ftyp" and not is_regular_file(stdin):  # (a file seeks)
                    raise InputError("stdin: an MP4/MOV file cannot be read from a pipe, it needs a seekable "
                                     "file: give its path, or pipe y4m (ffmpeg -i x -f yuv4mpegpipe -)")
                self._y4m_head = checked_head(self.name, stdin.peek(1024)[:1024]) if fmt else b""
                self._y4m = Y4mTracker(stdin) if fmt else None
                self._av = av.open(self._y4m or stdin, "r", format=fmt)
            elif self.sequence is not None:
                url, options = self.sequence.image2(rate)
                self._av = av.open(url, "r", format="image2", options=options)
            else:
                with contextlib.suppress(OSError), open(path, "rb") as f:
                    self._y4m_head = f.read(1024)
                self._y4m_head = checked_head(self.name, self._y4m_head)
                self._y4m = Y4mTracker.open(str(path)) if self._y4m_head else None
                self._av = av.open(self._y4m or str(path), "r", format="yuv4mpegpipe" if self._y4m else None)
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
        video = self._choose_video(videos)
        self._video_stream = video
        others = []
        for stream in src.streams:
            kind = COPIED_KINDS.get(stream.type)
            if stream is video or stream in videos:  # the other video streams: warned of once, above
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
                params=_stream_params(s), source_index=s.index,
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

    def _choose_video(self, videos: list):
        """The video stream to code: the only one, or the one ``video_stream`` names; never a
        silent choice among several (the others are named in a warning)."""
        def describe(k: int) -> str:
            cc = videos[k].codec_context
            size = f" {cc.width}x{cc.height}" if cc is not None and cc.width else ""
            return f"#{k} {_codec_name(videos[k])}{size}"

        n = len(videos)
        if self.video_stream is None and n > 1:
            raise InputError(f"{self.name}: {n} video streams ({', '.join(describe(k) for k in range(n))}); "
                             f"NLVC codes one: choose it with --video-stream N (0 to {n - 1})")
        k = self.video_stream or 0
        if k >= n:
            raise InputError(f"{self.name}: --video-stream {k}: the file has {n} video "
                             f"stream{'s' if n != 1 else ''} (0 to {n - 1})")
        for other in range(n):
            if other != k:
                log.warning("%s: video stream %s is not coded (--video-stream %d)", self.name, describe(other), k)
        return videos[k]

    def _video_info(self, frame) -> VideoInfo:
        stream = self._video_stream
        cc = stream.codec_context
        name, full_range = P.normalize(frame.format.name)
        try:
            P.lookup(name)
        except UnsupportedPixelFormatError as err:
            raise UnsupportedPixelFormatError(f"{self.name}: {err}") from None
        tb = stream.time_base or frame.time_base or Fraction(1, 25)
        rate = nominal_rate(stream)  # the stated rate, not the average (a missing frame lowers that)
        color_range = frame.color_range or (cc.color_range if cc is not None else 0)
        if full_range:
            color_range = P.COLOR_RANGE_FULL
        sar = None
        with contextlib.suppress(Exception):
            sar = _rational(stream.sample_aspect_ratio) or _rational(cc.sample_aspect_ratio)
        chroma_location = siting.of_video(stream, name, self._y4m_head)  # y4m C, or what FFmpeg found
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
            metadata={str(k): str(v) for k, v in self._av.metadata.items()}
            | (self.sequence.tags() if self.sequence else {}) | kept_tags(self._y4m_head),
            stream_metadata={str(k): str(v) for k, v in stream.metadata.items()},
            frames=frame_count(stream, rate, self._av.duration),
            codec_name=_codec_name(stream),
            source_pix_fmt=frame.format.name,
            field_order=self._field_order(cc),
        )

    def _field_order(self, cc) -> int:
        """AVFieldOrder of interlaced video (y4m It/Ib, Matroska FieldOrder), else 0."""
        try:
            value = int(cc.field_order or 0) if cc is not None else 0
        except (TypeError, ValueError):
            value = 0
        if self._y4m_head and y4m_header_fields(self._y4m_head).get("I") == "m":
            log.warning("%s: y4m says the video mixes progressive and interlaced frames (Im); "
                        "the frames are coded as they are, the per-frame field flags are not kept", self.name)
        return value if value in (2, 3, 4, 5) else 0

    def _decoded(self) -> Iterator[tuple | container.Packet]:
        """Stage 1: demux + decode. Frames come out in presentation order as
        ``(pts or None, source duration, planes)``; copied packets as they are demuxed."""
        video = self._video_stream
        fmt = None
        count = 0  # frames decoded; an image sequence's file count is the one being read
        name = self.name if self.sequence is None else (lambda: self.sequence.file_at(count))
        with _reading(name, "error while reading"):
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
                    yield (frame.pts, int(frame.duration or 0), frame_planes(frame, fmt, f"{self.name}: frame {count - 1}"))
        if self._y4m is not None:
            self._y4m.check(self.name)  # FFmpeg drops a cut-off last frame silently

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
        if self._y4m is not None:
            self._y4m.close()

    def __enter__(self) -> "InputFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_input(path: str, *, max_frames: int | None = None, video_stream: int | None = None,
               rate: Fraction | None = None, allow_gaps: bool = False, images_only: bool = False,
               audio: tuple = (), pixels_only: bool = False):
    """Open ``path`` for encoding: any container PyAV opens (``video_stream``: which video to code
    when there are several); ``"-"`` = y4m on stdin; an image sequence or package (``rate``,
    ``allow_gaps``: :mod:`.imageseq`; DPX/TIFF/EXR read by :mod:`.imageread`); an AVI/MOV kept whole."""
    avi = None if pixels_only else avi_input(str(path), max_frames)  # an AVI kept byte for byte
    if avi is not None:
        return avi
    package = package_of(str(path), list(audio), allow_gaps)
    sequence = package or sequence_of(str(path), rate, allow_gaps)
    native = native_input(sequence, rate, max_frames, images_only)
    if native is not None:
        return native
    return InputFile(path, max_frames=max_frames, video_stream=video_stream, rate=rate, allow_gaps=allow_gaps,
                     sequence=sequence)


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
