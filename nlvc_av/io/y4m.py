"""YUV4MPEG2 in pure Python: header fields, and the writer (the planes are the format)."""

from __future__ import annotations

import logging
import re
from fractions import Fraction
from typing import BinaryIO, Sequence

import numpy as np

from ..checks import MAX_DIMENSION, MAX_TERM
from ..codec import formats as P
from ..destinations import NamedOutput
from ..errors import InputError, OutputError
from .streams import VideoInfo

log = logging.getLogger("nlvc_av")

#: Y4M magic; stdin starting with it is read as YUV4MPEG2, anything else is probed.
Y4M_MAGIC = b"YUV4MPEG2"

# --------------------------------------------------------------------------- YUV4MPEG2

#: FFmpeg's AVChromaLocation values <-> the codec option names and the y4m 4:2:0 tags.
CHROMA_LOCATIONS = {1: "left", 2: "center", 3: "topleft", 4: "top", 5: "bottomleft", 6: "bottom"}
Y4M_420 = {"420jpeg": 2, "420mpeg2": 1, "420paldv": 3, "420": 2}
Y4M_FIELDS = {2: "t", 4: "t", 3: "b", 5: "b"}  # AVFieldOrder -> y4m I (as FFmpeg writes it)
Y4M_CHROMA = {"yuv422p": "422", "yuv444p": "444", "gray": "mono"}
#: The >8-bit formats YUV4MPEG2 carries (FFmpeg's tags), little-endian samples.
Y4M_DEEP = {f"{fam}{b}le": f"{tag}{b}" for fam, tag in (("yuv420p", "420p"), ("yuv422p", "422p"),
                                                       ("yuv444p", "444p"), ("gray", "mono"))
            for b in (9, 10, 12, 14, 16)}


def y4m_chroma_tag(pix_fmt: str) -> str | None:
    """The y4m C tag of a pixel format (that of its coded twin for big-endian ones and capture
    layouts: uyvy422 is written as 422); None: not carried."""
    fmt = P.lookup(pix_fmt)
    name = fmt.coding_pix_fmt if fmt.bit_depth > 8 or fmt.layout else fmt.name
    return Y4M_DEEP.get(name) or Y4M_CHROMA.get(name) or ("420jpeg" if name == "yuv420p" else None)


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


#: FFmpeg reads a y4m frame of W x H only while (W + 128) x (H + 128) is below this
#: (av_image_check_size); a larger header fails to open with an unrelated errno.
FFMPEG_FRAME_LIMIT = 1 << 28
_INTEGER = re.compile(r"[+-]?[0-9]+")


def checked_head(name: str, head: bytes) -> bytes:
    """``head`` when it starts a YUV4MPEG2 stream (else ``b""``): its W and H must be frame
    sizes FFmpeg reads, its F and A ratios of two integers of 32 bits (InputError: what FFmpeg
    would misread, and an .nlvc could not store, is refused); an F or A FFmpeg replaces (zero or
    negative terms: 25 fps, an unknown aspect ratio) is warned about."""
    if not head.startswith(Y4M_MAGIC):
        return b""
    fields = y4m_header_fields(head)
    size = []
    for key, what in (("W", "width"), ("H", "height")):
        try:
            value = int(fields.get(key, ""))
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_DIMENSION:
            raise InputError(f"{name}: the y4m header's {key}{fields.get(key, ' (absent)')} is not a frame {what}: "
                             f"it must be 1 to {MAX_DIMENSION}")
        size.append(value)
    w, h = size
    if (w + 128) * (h + 128) >= FFMPEG_FRAME_LIMIT:
        raise InputError(f"{name}: the y4m header's frame size W{w} H{h} is too large: FFmpeg reads a frame only "
                         f"if (W+128) x (H+128) is below {FFMPEG_FRAME_LIMIT} (at most 16255x16255 for a "
                         "square frame)")
    rate = _checked_ratio(name, fields, "F", "frame rate")
    aspect = _checked_ratio(name, fields, "A", "sample aspect ratio")
    if rate is not None and min(rate) <= 0:
        log.warning("%s: the y4m frame rate F%s is invalid; assumed 25 fps", name, fields["F"])
    if aspect is not None and (min(aspect) < 0 or (aspect[0] == 0) != (aspect[1] == 0)):
        log.warning("%s: the y4m sample aspect ratio A%s is invalid; taken as unknown", name, fields["A"])
    return head


def _checked_ratio(name: str, fields: dict[str, str], key: str, what: str) -> tuple[int, int] | None:
    """The header's ``key`` as two integers (None when absent); InputError when it is not two
    integers (FFmpeg would read a prefix of it) or a term does not fit 32 bits (FFmpeg would
    wrap it; a frame rate, time base or aspect ratio term of an .nlvc is at most 2^31 - 1)."""
    if key not in fields:
        return None
    text = fields[key]
    num, colon, den = text.partition(":")
    if not (colon and _INTEGER.fullmatch(num) and _INTEGER.fullmatch(den)):
        raise InputError(f"{name}: the y4m header's {what} {key}{text} is not two integers N:D")
    pair = int(num), int(den)
    if max(abs(term) for term in pair) > MAX_TERM:
        raise InputError(f"{name}: the y4m header's {what} {key}{text} is out of range: each term must be at "
                         f"most {MAX_TERM} (2^31 - 1, what FFmpeg reads and an .nlvc stores)")
    return pair


def _pair(text: str | None) -> tuple[int, int] | None:
    num, colon, den = (text or "").partition(":")
    try:
        return (int(num), int(den)) if colon else None
    except ValueError:
        return None


#: The file tag that keeps a y4m source's stream header line as written (X parameters, C as
#: spelled), for a decode to y4m to restore it byte for byte.
Y4M_TAG = "nlvc:y4m"
OWN_X = ("XCOLORRANGE", "XYSCSS")  # X parameters that describe the video (rewritten from it)


def kept_tags(head: bytes) -> dict[str, str]:
    """``{Y4M_TAG: header line}`` of a y4m source (printable ASCII, complete), else {}."""
    line, newline, _ = head.partition(b"\n")
    text = line.decode("ascii", "replace")
    return {Y4M_TAG: text} if newline and text.startswith("YUV4MPEG2") and text.isprintable() else {}


def _same_header(kept: dict[str, str], parts: list[str]) -> bool:
    """Whether a kept header's W, H, F, I, A, C and colour range say what ``parts`` say."""
    own = y4m_header_fields(" ".join(parts).encode("ascii"))

    def ratio(text: str | None) -> Fraction | None:
        pair = _pair(text)
        return Fraction(*pair) if pair and pair[1] else None

    chroma = kept.get("C", "420jpeg")
    return (all(kept.get(k) == own[k] for k in ("W", "H"))
            and ratio(kept.get("F")) == ratio(own["F"]) and kept.get("I", "p") == own["I"]
            and (ratio(kept.get("A")) or 0) == (ratio(own["A"]) or 0)
            and ("420jpeg" if chroma == "420" else chroma) == own["C"]
            and kept.get("XCOLORRANGE") == own.get("XCOLORRANGE"))


class Y4mWriter:
    """YUV4MPEG2 written directly (the planes are the format): the header carries the frame
    rate, the sample aspect ratio, the 4:2:0 chroma siting and the colour range."""

    def __init__(self, dst: str | BinaryIO, video: VideoInfo, name: str | None = None):
        fmt = P.lookup(video.pix_fmt)
        if fmt.family == "rgb":
            raise OutputError(f"YUV4MPEG2 cannot carry RGB video ({video.pix_fmt}); write a .mkv instead")
        if y4m_chroma_tag(video.pix_fmt) is None:
            raise OutputError(f"YUV4MPEG2 cannot carry {video.pix_fmt}; write a .mkv instead")
        self._dtype = np.uint8 if fmt.bit_depth <= 8 else np.dtype("<u2")
        self.video = video
        name = str(name or getattr(dst, "name", None) or dst)  # write errors name the destination
        self._file = NamedOutput(dst, name) if hasattr(dst, "write") else NamedOutput.open(dst, name)
        self._shapes = P.plane_shapes(fmt, video.width, video.height)
        self._file.write(self.header(video))

    @staticmethod
    def header(v: VideoInfo) -> bytes:
        """The source's own header line (kept in ``nlvc:y4m``) when it says what this one would;
        else this one, with the source's other X parameters."""
        rate = Fraction(v.frame_rate or 25)  # (an .nlvc's terms are at most 2^31 - 1: written as they are)
        sar = Fraction(v.sample_aspect_ratio) if v.sample_aspect_ratio else None
        if P.lookup(v.pix_fmt).coding_pix_fmt == "yuv420p":  # (nv12 too)
            chroma = {1: "420mpeg2", 3: "420paldv"}.get(v.chroma_location, "420jpeg")
        else:
            chroma = y4m_chroma_tag(v.pix_fmt)
        parts = [
            "YUV4MPEG2", f"W{v.width}", f"H{v.height}", f"F{rate.numerator}:{rate.denominator}",
            "I" + Y4M_FIELDS.get(v.field_order, "p"),
            f"A{sar.numerator}:{sar.denominator}" if sar else "A0:0", f"C{chroma}",
        ]
        if v.color_range in (1, 2):
            parts.append("XCOLORRANGE=" + ("LIMITED" if v.color_range == 1 else "FULL"))
        kept = v.metadata.get(Y4M_TAG, "")
        if kept and _same_header(y4m_header_fields(kept.encode("ascii", "replace")), parts):
            return (kept + "\n").encode("ascii")
        parts += [t for t in kept.split()[1:] if t.startswith("X") and t.partition("=")[0] not in OWN_X]
        return (" ".join(parts) + "\n").encode("ascii")

    def write(self, planes: Sequence[np.ndarray]) -> None:
        if [p.shape for p in planes] != self._shapes:
            raise ValueError(f"y4m frame planes {[p.shape for p in planes]}, expected {self._shapes}")
        self._file.write(b"FRAME\n")
        for plane in planes:
            self._file.write(np.ascontiguousarray(plane, dtype=self._dtype).data)

    def close(self) -> None:
        self._file.close()  # (flushed; closed if opened here)

    def abort(self) -> None:
        self._file.abort()


# --------------------------------------------------------------------------- reading: the frame count


def y4m_frame_bytes(fields: dict[str, str]) -> int | None:
    """Bytes of one frame's samples for the header's W, H, C (None for a C it does not know)."""
    try:
        w, h = int(fields["W"]), int(fields["H"])
    except (KeyError, ValueError):
        return None
    chroma = fields.get("C", "420jpeg")
    deep = {tag: name for name, tag in Y4M_DEEP.items()}
    if chroma in deep:
        return P.raw_frame_bytes(deep[chroma], w, h) if w > 0 and h > 0 else None
    cw, ch = -(-w // 2), -(-h // 2)
    sizes = {"mono": w * h, "444": 3 * w * h, "422": w * h + 2 * cw * h}
    if chroma in sizes:
        return sizes[chroma]
    return w * h + 2 * cw * ch if chroma.startswith("420") and chroma[3:] in ("", "jpeg", "mpeg2", "paldv") else None


class Y4mTracker:
    """A YUV4MPEG2 stream handed to FFmpeg through this object, which follows its structure
    (header, ``FRAME`` lines, frame payloads) as the bytes pass: FFmpeg drops a cut-off last
    frame without a word; :meth:`check` says so. Non-seekable, like the pipe it may wrap."""

    MAX_LINE = 4096

    def __init__(self, raw: BinaryIO, own: bool = False, name: str = "stdin"):
        self.raw, self.own, self.name = raw, own, name
        self.said_params = False  # FRAME parameters (not kept) are warned of once
        self.line = b""
        self.in_header = True
        self.frame_bytes: int | None = None
        self.need = 0  # payload bytes still to come of the current frame
        self.frames = 0

    @classmethod
    def open(cls, path: str) -> "Y4mTracker":
        return cls(open(path, "rb"), own=True, name=path)

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        if self.frame_bytes is not None or self.in_header:
            self._feed(data)
        return data

    def _feed(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            if self.need:
                take = min(self.need, len(data) - pos)
                self.need -= take
                pos += take
                self.frames += not self.need
                continue
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl
            self.line = (self.line + data[pos:end])[:self.MAX_LINE]
            pos = end + 1
            if nl < 0:
                return
            if self.in_header:
                self.in_header = False
                fields = y4m_header_fields(self.line + b"\n")
                self.said_params = fields.get("I") == "m"  # (Im: its own warning)
                self.frame_bytes = y4m_frame_bytes(fields)
                if self.frame_bytes is None:
                    return  # a format NLVC refuses anyway: nothing to track
            elif self.frame_bytes:
                self.need = self.frame_bytes
                if self.line.strip() != b"FRAME" and not self.said_params:
                    self.said_params = True
                    log.warning("%s: the y4m FRAME parameters (%s) are not kept; the frames are coded as they are",
                                self.name, self.line[5:].strip().decode("ascii", "replace"))
            self.line = b""

    def check(self, name: str) -> None:
        """Raise InputError if the stream ended inside a frame."""
        if self.frame_bytes and (self.need or self.line):
            got = self.frame_bytes - self.need if self.need else 0
            hint = (f"--max-frames {self.frames} codes the complete frames" if self.frames
                    else "the stream holds no complete frame")
            raise InputError(f"{name}: the y4m stream is truncated: its last frame (frame {self.frames}) "
                             f"has {got} of its {self.frame_bytes} bytes, {self.frame_bytes - got} are "
                             f"missing; nothing was written ({hint})")

    def close(self) -> None:
        if self.own:
            self.raw.close()
