"""YUV4MPEG2 in pure Python: header fields, and the writer (the planes are the format)."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import BinaryIO, Sequence

import numpy as np

from ..codec import formats as P
from ..errors import OutputError
from .streams import VideoInfo

#: Y4M magic; stdin starting with it is read as YUV4MPEG2, anything else is probed.
Y4M_MAGIC = b"YUV4MPEG2"

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
