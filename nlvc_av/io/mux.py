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
from .frames import _describe, log, to_frame
from .imagewrite import ImageSeqWriter
from .streams import StreamInfo, VideoInfo
from .y4m import CHROMA_LOCATIONS, Y4mWriter

# --------------------------------------------------------------------------- output

#: FFV1 has no 8-bit planar or packed 24-bit RGB: those are stored as bgr0 (same samples).
FFV1_RGB_PIX_FMT = "bgr0"
FFV1_OPTIONS = {"level": "3", "slicecrc": "1", "coder": "1", "context": "1", "g": "1"}

OUTPUT_FORMATS = {"mkv": "matroska", "y4m": "yuv4mpegpipe", "images": "image2"}  # y4m, images: own writers


def ffv1_pix_fmt(fmt: P.PixFmt) -> str:
    """What FFV1 stores a format as: 8-bit RGB as bgr0 (bgra with alpha), everything else as
    its coded planar format (little-endian; rgb48 and the like as gbrp16le)."""
    if fmt.family == "rgb" and fmt.bit_depth == 8:
        return "bgra" if fmt.alpha else FFV1_RGB_PIX_FMT
    return fmt.coding_pix_fmt

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
        if kind in ("y4m", "images"):
            self._y4m = Y4mWriter(dst, video, self.name) if kind == "y4m" else ImageSeqWriter(dst, video, self.name)
            if streams:
                log.info("%s: %s carries video only; %d other stream(s) not written", self.name, kind, len(streams))
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

    def write_frame(self, planes: Sequence[np.ndarray], pts: int, duration: int = 0, source=None,
                    position: int | None = None) -> None:
        """Encode one frame (pts/duration in the video time base; y4m numbers its frames).
        ``source``: an image sequence's file record (:mod:`nlvc_av.io.rebuild`), to rebuild it;
        ``position``: the frame's place in the file (an image sequence names it by that)."""
        if self._y4m is not None:
            if self.kind == "images":
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


def write_decoded(out, name: str, kind: str, video, streams, frames, packets: list, stats, bar,
                  max_frames: int | None, gop_size: int | None = None) -> None:
    """Write decoded ``frames`` and the copied ``packets`` their iterator collects (each
    cluster's before its frames) to ``out``, counting into ``stats`` (a transcode.DecodeStats);
    packets after the last frame are written too unless the decode was cut at ``max_frames``.
    ``gop_size``: frames may be missing (``--recover``): each frame's place in the file is its
    GOP's number times the GOP size plus its index (an image sequence names files by it)."""
    gops = set()
    with OutputFile(out, kind, video, streams, video.metadata, name=name) as writer:

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
