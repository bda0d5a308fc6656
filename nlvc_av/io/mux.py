"""Writing: :class:`OutputFile` writes planes back as FFV1 (level 3) in Matroska, with the copied
streams muxed packet for packet, or as YUV4MPEG2 (to a file or a pipe).
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import BinaryIO, Sequence

import av
import numpy as np

import container

from ..codec import formats as P
from ..errors import OutputError
from . import pcmcarry
from .carried import MUXER_TAGS, add_carried_stream
from .frames import _describe, log, to_frame
from .aviwrite import WHOLE_KINDS, AviWriter
from .imagewrite import ImageSeqWriter
from .streams import StreamInfo, VideoInfo
from .y4m import CHROMA_LOCATIONS, Y4mWriter

# --------------------------------------------------------------------------- output

#: FFV1 has no 8-bit planar or packed 24-bit RGB: those are stored as bgr0 (same samples).
FFV1_RGB_PIX_FMT = "bgr0"
FFV1_OPTIONS = {"level": "3", "slicecrc": "1", "coder": "1", "context": "1", "g": "1"}

OUTPUT_FORMATS = {"mkv": "matroska", "y4m": "yuv4mpegpipe", "images": "image2", "avi": "avi", "mov": "mov",
                  "mkv-whole": "matroska"}  # y4m, images, avi, mov, mkv-whole: own writers


def ffv1_pix_fmt(fmt: P.PixFmt) -> str:
    """What FFV1 stores a format as: 8-bit RGB as bgr0 (bgra with alpha), everything else as
    its coded planar format (little-endian; rgb48 and the like as gbrp16le)."""
    if fmt.family == "rgb" and fmt.bit_depth == 8:
        return "bgra" if fmt.alpha else FFV1_RGB_PIX_FMT
    return fmt.coding_pix_fmt

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
        recover: bool = False,
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
        if kind in WHOLE_KINDS:  # an AVI/MOV/MKV kept byte for byte, written back (io/aviwrite.py)
            self._y4m = AviWriter(dst, video, self.name, streams)
            return
        if kind in ("y4m", "images"):
            self._y4m = Y4mWriter(dst, video, self.name) if kind == "y4m" else \
                ImageSeqWriter(dst, video, self.name, streams, recover)
            others = [s for s in streams if kind == "y4m" or s.source is None]  # (a package's sound: rebuilt)
            if others:
                log.info("%s: %s carries video only; %d other stream(s) not written", self.name, kind, len(others))
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
        self.out_pix_fmt = ffv1_pix_fmt(self.fmt)
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
        if v.field_order:  # interlaced: Matroska stores the field order (FlagInterlaced, FieldOrder)
            cc.field_order = v.field_order
        if threads:
            cc.thread_count = threads
        stream.metadata.update({k: val for k, val in v.stream_metadata.items() if k.upper() not in MUXER_TAGS})
        self._color = color
        self._vstream = stream
        self._streams: dict[int, object] = {}
        self._stream_tb: dict[int, Fraction] = {}
        self._rewrite: dict = {}  # track -> carried.PcmRewrite
        for info in streams:
            s = self._add_copied_stream(info)
            if s is not None:
                self._streams[info.number] = s
                self._stream_tb[info.number] = info.time_base
        out.metadata.update({k: val for k, val in metadata.items() if k.upper() not in MUXER_TAGS})

    def _add_copied_stream(self, info: StreamInfo):
        """An output stream for a carried stream (:mod:`.carried`: PCM Matroska has no codec for
        is written as the Matroska PCM of the same samples), or None (dropped, with a warning:
        a file from before the encoder checked its streams)."""
        stream, rewrite = add_carried_stream(self._out, info, self.name)
        if stream is None:
            log.warning("%s: %s stream %s (%s) cannot be written to Matroska by this FFmpeg; dropped "
                        "(it stays in the .nlvc file)", self.name, info.kind, info.number,
                        info.params.get(pcmcarry.CODEC_TAG, info.codec_name))  # (PCM stored coded: its source codec)
        elif rewrite is not None:
            self._rewrite[info.number] = rewrite
            if getattr(rewrite, "same", False):  # carried PCM decoded: the source's own bytes
                return stream
            log.warning("%s: %s stream %s (%s) written as %s (Matroska has no %s): the same samples, "
                        "not the same bytes",
                        self.name, info.kind, info.number, rewrite.name, rewrite.target, rewrite.name)
        return stream

    # -- writing

    def write_frame(self, planes: Sequence[np.ndarray], pts: int, duration: int = 0, source=None,
                    position: int | None = None) -> None:
        """Encode one frame (pts/duration in the video time base; y4m numbers its frames).
        ``source``: an image sequence's file record (:mod:`nlvc_av.io.rebuild`), to rebuild it;
        ``position``: the frame's place in the file (an image sequence names it by that)."""
        if self._y4m is not None:
            if self.kind == "images" or self.kind in WHOLE_KINDS:
                self._y4m.write(planes, source, position)
            else:
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
        if isinstance(self._y4m, (ImageSeqWriter, AviWriter)):
            return self._y4m.write_packet(packet)  # a package's sound file, rebuilt at the end
        stream = self._streams.get(packet.track) if self._y4m is None else None
        if stream is None:
            return False
        rewrite = self._rewrite.get(packet.track)
        try:
            pkt = av.Packet(rewrite(packet.data, packet.duration) if rewrite else packet.data)
        except (av.FFmpegError, ValueError) as err:
            raise OutputError(f"{self.name}: {rewrite.name} packet at pts {packet.pts} cannot be written "
                              f"as {rewrite.target}: {_describe(err)}") from None
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


def write_decoded(out, name: str, kind: str, video, streams, frames, packets: list, stats, bar,
                  max_frames: int | None, gop_size: int | None = None) -> None:
    """Write decoded ``frames`` and the copied ``packets`` their iterator collects (each
    cluster's before its frames) to ``out``, counting into ``stats`` (a transcode.DecodeStats);
    packets after the last frame are written too unless the decode was cut at ``max_frames``.
    ``gop_size``: frames may be missing (``--recover``): each frame's place in the file is its
    GOP's number times the GOP size plus its index (an image sequence names files by it)."""
    gops = set()
    with OutputFile(out, kind, video, streams, video.metadata, name=name, recover=gop_size is not None) as writer:

        def write_packets() -> None:
            for p in packets:
                if writer.write_packet(p):
                    stats.packets += 1
                else:
                    stats.dropped_packets += 1
            packets.clear()

        for frame in frames:
            write_packets()
            position = None if gop_size is None else frame.gop * gop_size + frame.index
            writer.write_frame(frame.planes, frame.pts, frame.duration, frame.source, position)
            gops.add(frame.gop)
            stats.frames += 1
            bar.update(stats.frames)
        if max_frames is None:
            write_packets()
    stats.gops = len(gops)
