"""What an ``.nlvc`` file holds, as plain dataclasses (docs/INTERNAL_API.md, "container").

Rationals are ``(numerator, denominator)`` tuples; colour tags use FFmpeg's enum values
(AVColorRange, AVColorPrimaries, AVColorTransferCharacteristic, AVColorSpace,
AVChromaLocation), so a PyAV frame's values can be copied as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

#: Values allowed in ``CodecSetup.coder_params`` and ``StreamTrack.params``.
ParamValue = Union[str, int]


@dataclass
class Info:
    """Segment information."""

    app: str = "nlvc"  # the writing application
    duration_pts: int | None = None  # in the video track's time base; None when unknown


@dataclass
class CodecSetup:
    """Everything a decoder needs to rebuild the exact entropy model the file was coded with."""

    model_id: str
    weights_sha256: str  # 64 lowercase hex digits (stored as 32 bytes)
    token_map: str
    groups: int  # G: the network models' masked-diffusion groups per plane; the adaptive stage's effort
    gop_size: int  # the encoder's maximum GOP length
    coder_params: dict[str, ParamValue] = field(default_factory=dict)
    model_weights: bytes = b""  # (1.1) the weights file itself, for models no release installs


@dataclass
class VideoTrack:
    """The coded video: one per file. Its frames live in the clusters' payloads."""

    number: int
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    time_base: tuple[int, int]
    frame_rate: tuple[int, int] | None = None
    color_range: int = 0  # AVCOL_RANGE_UNSPECIFIED
    color_primaries: int = 2  # AVCOL_PRI_UNSPECIFIED
    color_trc: int = 2  # AVCOL_TRC_UNSPECIFIED
    colorspace: int = 2  # AVCOL_SPC_UNSPECIFIED
    chroma_location: int = 0  # AVCHROMA_LOC_UNSPECIFIED
    sample_aspect_ratio: tuple[int, int] = (0, 1)  # 0/1: unknown
    #: (1.2) FFmpeg AVFieldOrder: 0 progressive or unknown (not written), 2 tt (top field first),
    #: 3 bb (bottom first), 4 tb, 5 bt (coded in the other order); 1 (progressive) reads as 0.
    field_order: int = 0


@dataclass
class StreamTrack:
    """Any other stream (audio, subtitle, data), carried packet for packet, untouched."""

    number: int
    kind: str  # "audio" | "subtitle" | "data"
    codec_name: str
    time_base: tuple[int, int]
    extradata: bytes = b""
    params: dict[str, ParamValue] = field(default_factory=dict)  # sample_rate, channels, ...
    source: "SourceFile | None" = None  # (1.6) the sound file the track's packets rebuild (FORMAT.md 6.3)


Track = Union[VideoTrack, StreamTrack]


@dataclass
class Packet:
    """One packet of a StreamTrack, byte for byte. ``pts``/``dts`` None: the source had none."""

    track: int
    pts: int | None
    dts: int | None
    duration: int
    keyframe: bool
    data: bytes
    #: (1.5) the MD5 of ``data`` stored in the file (16 bytes), b"" when the file has none (older
    #: files, or a writer not asked for them). Read only: the writer computes it from ``data``.
    md5: bytes = field(default=b"", compare=False)


@dataclass
class SourceFile:
    """(1.3) One source file of an image sequence, to be rebuilt byte for byte (FORMAT.md 6.2):
    its ``name`` and ``md5``; when ``packing`` is not empty, ``data`` (every byte of the file
    that is not pixels, in file order) and ``pixel_map`` (triples: op, length, pixel offset)
    rebuild it from the decoded frame. An empty ``packing``: pixels only, not rebuilt."""

    name: str
    md5: bytes  # 16 bytes: MD5 of the whole source file
    packing: dict[str, ParamValue] = field(default_factory=dict)
    pixel_map: list[int] = field(default_factory=list)
    data: bytes = b""


@dataclass
class Cluster:
    """One GOP: its frames' timing, types and checksums, the coded payload, and the packets of
    the other streams that fall in its time span."""

    index: int  # GOP number, 0-based, consecutive in the file
    frame_pts: list[int]
    frame_types: str  # one letter per frame, e.g. "IPPP"
    frame_md5: list[bytes]  # 16 bytes per frame: MD5 of the decoded frame's planes
    payload: bytes
    packets: list[Packet] = field(default_factory=list)
    frame_durations: list[int] = field(default_factory=list)  # empty, or one per frame
    source_files: list[SourceFile] = field(default_factory=list)  # (1.3) empty, or one per frame
    crc_error: Exception | None = None  # not stored: its CRC-32's failure, when a salvaging reader read it anyway


@dataclass
class Cue:
    """Where a GOP starts: for seeking without reading the clusters before it."""

    gop: int
    first_pts: int
    offset: int  # byte offset of the Cluster element in the file (as the reader sees it)
