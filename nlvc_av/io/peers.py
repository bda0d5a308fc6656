"""Media helpers for the tools built on the core: training material and the bench's peer codecs."""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator, Sequence

import av
import numpy as np

from .frames import frame_planes, to_frame

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


def encoder_pix_fmts(name: str) -> set[str]:
    """The pixel formats FFmpeg's encoder ``name`` takes (empty when unknown or not listed)."""
    try:
        return {f.name for f in av.codec.Codec(name, "w").video_formats or ()}
    except Exception:
        return set()


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
