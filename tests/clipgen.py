"""Tiny test clips made with PyAV (lossless video in any supported pixel format, + audio),
and helpers to read frames and packets back independently of nlvc_av."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from nlvc_av.codec import formats as P

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data"

LOSSLESS_CODEC = {  # PyAV encoder that stores the pix_fmt untouched
    "yuv420p": "ffv1", "yuv422p": "ffv1", "yuv444p": "ffv1", "gray": "ffv1", "bgr0": "ffv1",
    "gbrp": "rawvideo", "rgb24": "rawvideo", "bgr24": "rawvideo", "rgb0": "rawvideo",
}
EXT_FOR = {"ffv1": ".mkv", "rawvideo": ".nut"}


def synth_planes(pix_fmt: str, width: int, height: int, index: int, seed: int = 0) -> list[np.ndarray]:
    """A moving gradient with noise: some structure for the coder, every value possible."""
    rng = np.random.default_rng(seed * 1000 + index)
    out = []
    for k, (h, w) in enumerate(P.plane_shapes(pix_fmt, width, height)):
        y, x = np.mgrid[0:h, 0:w]
        base = (x * 5 + y * 3 + index * 7 + k * 50) % 256
        noise = rng.integers(-12, 13, (h, w))
        out.append(((base + noise) % 256).astype(np.uint8))
    return out


def planes_to_frame(planes, pix_fmt: str, width: int, height: int) -> av.VideoFrame:
    """Independent of nlvc_av.io: writes the planes into a fresh av.VideoFrame."""
    fmt = P.lookup(pix_fmt)
    frame = av.VideoFrame(width, height, pix_fmt)
    if fmt.packed is not None:
        packed = np.zeros((height, width, fmt.pixel_bytes), np.uint8)
        for plane, c in zip(planes, fmt.packed):
            packed[:, :, c] = plane
        dst = np.frombuffer(frame.planes[0], np.uint8).reshape(-1, frame.planes[0].line_size)
        dst[:height, : width * fmt.pixel_bytes] = packed.reshape(height, -1)
    else:
        for plane, src in zip(frame.planes, planes):
            dst = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
            dst[: src.shape[0], : src.shape[1]] = src
    return frame


def make_clip(
    path,
    *,
    pix_fmt: str = "yuv420p",
    width: int = 32,
    height: int = 24,
    frames: int = 3,
    audio: str | None = "pcm_s16le",
    rate: int = 25,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    metadata: dict | None = None,
    vcodec: str | None = None,
    color_range: int | None = None,
    colorspace: int | None = None,
    sample_aspect_ratio: Fraction | None = None,
    seed: int = 0,
) -> list[list[np.ndarray]]:
    """Write a clip; return the planes of every frame (planar coding order)."""
    vcodec = vcodec or LOSSLESS_CODEC[pix_fmt]
    out = av.open(str(path), "w")
    vs = out.add_stream(vcodec, rate=rate)
    vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
    tb = time_base or Fraction(1, rate)
    vs.codec_context.time_base = tb
    vs.time_base = tb
    if color_range is not None:
        vs.codec_context.color_range = color_range
    if colorspace is not None:
        vs.codec_context.colorspace = colorspace
    if sample_aspect_ratio is not None:
        vs.codec_context.sample_aspect_ratio = sample_aspect_ratio
    if metadata:
        out.metadata.update(metadata)
    a = None
    if audio:
        a = out.add_stream(audio, rate=48000)
        a.layout = "stereo"
        a.metadata["language"] = "eng"
    rng = np.random.default_rng(seed)
    written = []
    pts = pts if pts is not None else list(range(frames))
    apts = 0
    for i, p in enumerate(pts):
        planes = synth_planes(pix_fmt, width, height, i, seed)
        written.append(planes)
        frame = planes_to_frame(planes, pix_fmt, width, height)
        frame.pts = p
        frame.time_base = tb
        if color_range is not None:
            frame.color_range = color_range
        if colorspace is not None:
            frame.colorspace = colorspace
        out.mux(vs.encode(frame))
        if a is not None:
            until = int((p + (pts[i + 1] - p if i + 1 < len(pts) else 1)) * tb * 48000)
            n = a.codec_context.frame_size or 1152
            while apts < until:
                af = av.AudioFrame(format=a.format.name, layout="stereo", samples=n)
                for plane in af.planes:
                    buf = np.frombuffer(plane, np.uint8)
                    if a.format.name.startswith("s16"):
                        buf[:] = rng.integers(0, 256, buf.shape, dtype=np.uint8)
                    else:  # float: keep it a valid signal
                        np.frombuffer(plane, np.float32)[:] = rng.uniform(-0.5, 0.5, plane.buffer_size // 4)
                af.sample_rate = 48000
                af.pts = apts
                apts += n
                out.mux(a.encode(af))
    out.mux(vs.encode())
    if a is not None:
        out.mux(a.encode())
    out.close()
    return written


def make_float_clip(path) -> Path:
    """A one-frame raw gbrpf32le clip (32-bit float RGB, as from EXR): a format NLVC refuses."""
    out = av.open(str(path), "w", format="nut")
    s = out.add_stream("rawvideo", rate=25)
    s.width, s.height, s.pix_fmt = 16, 16, "gbrpf32le"
    out.mux(s.encode(av.VideoFrame(16, 16, "gbrpf32le")))
    out.mux(s.encode())
    out.close()
    return Path(path)


def read_planes(path, max_frames: int | None = None) -> tuple[str, list[list[np.ndarray]], list[int]]:
    """(pix_fmt, planes, pts) of a video file, read with PyAV (independently of nlvc_av)."""
    frames, pts = [], []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            name, _ = P.normalize(frame.format.name)
            fmt = P.lookup(name)
            w, h = frame.width, frame.height
            sb = fmt.sample_bytes  # >8-bit samples: their bytes as stored (FFmpeg's byte order)
            if fmt.packed is not None:
                pl = frame.planes[0]
                rows = np.frombuffer(pl, np.uint8).reshape(-1, pl.line_size)[:h, : w * fmt.pixel_bytes * sb]
                pix = rows.reshape(h, w, fmt.pixel_bytes, sb)
                planes = [pix[:, :, c].copy() for c in fmt.packed]
            else:
                planes = []
                for pl, (ph, pw) in zip(frame.planes, P.plane_shapes(fmt, w, h)):
                    planes.append(np.frombuffer(pl, np.uint8).reshape(-1, pl.line_size)[:ph, :pw * sb].copy())
            frames.append(planes)
            pts.append(frame.pts)
            if max_frames and len(frames) >= max_frames:
                break
    return name, frames, pts


def parse_y4m(data: bytes) -> tuple[dict, list[bytes]]:
    """Header fields and raw frame payloads of a YUV4MPEG2 stream (no FFmpeg involved)."""
    header, _, rest = data.partition(b"\n")
    fields = {t[:1].decode(): t[1:].decode() for t in header.split()[1:]}
    w, h = int(fields["W"]), int(fields["H"])
    chroma = fields.get("C", "420jpeg")
    if chroma.startswith("mono"):
        size = w * h
    elif chroma.startswith("444"):
        size = 3 * w * h
    elif chroma.startswith("422"):
        size = w * h + 2 * (-(-w // 2)) * h
    else:
        size = w * h + 2 * (-(-w // 2)) * (-(-h // 2))
    frames = []
    while rest:
        line, _, rest = rest.partition(b"\n")
        assert line.startswith(b"FRAME"), line[:20]
        frames.append(rest[:size])
        rest = rest[size:]
    return fields, frames


def flat(planes) -> bytes:
    return b"".join(np.ascontiguousarray(p).tobytes() for p in planes)


def md5s(frames) -> list[str]:
    return [hashlib.md5(flat(f)).hexdigest() for f in frames]


def packets(path, kind: str = "audio") -> list[tuple[bytes, Fraction | None, Fraction]]:
    """(bytes, pts in seconds, time base) of every packet of the first stream of a kind."""
    out = []
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        if not streams:
            return out
        s = streams[0]
        for p in c.demux(s):
            if p.size:
                out.append((bytes(p), None if p.pts is None else p.pts * s.time_base, s.time_base))
    return out


def same_packets(a, b) -> bool:
    """Same bytes, and timestamps equal to the coarser time base's precision (Matroska: 1 ms)."""
    if len(a) != len(b):
        return False
    for (da, ta, tba), (db, tb_, tbb) in zip(a, b):
        if da != db:
            return False
        if (ta is None) != (tb_ is None):
            return False
        if ta is not None and abs(ta - tb_) > max(tba, tbb) / 2:
            return False
    return True
