"""What the media side knows of a video and its other streams (plain dataclasses, no av)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..codec import formats as P

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
    field_order: int = 0  # FFmpeg AVFieldOrder of interlaced video (2 tt, 3 bb, 4 tb, 5 bt); 0 progressive/unknown
    package: list = field(default_factory=list)  # container.SourceFile: a package's side files and folders (1.6)

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
    source: object = None  # container.SourceFile: the sound file the packets rebuild (1.6), or None
    source_index: int | None = None  # the stream's index in the source file (for messages), when read by FFmpeg


@dataclass
class VideoFrameData:
    """One decoded frame: its timestamp and duration (video time base) and its planes."""

    pts: int
    duration: int
    planes: list[np.ndarray]
    record: object = None  # (an AVI kept byte for byte) the frame's container.SourceFile
