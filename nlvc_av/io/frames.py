"""Planes <-> ``av.VideoFrame``, exactly (no colour conversion), and FFmpeg error mapping.

Every FFmpeg error is turned into an :mod:`nlvc_av.errors` error here, so callers never need
``av`` to handle them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from fractions import Fraction
from typing import Sequence

import av
import numpy as np

from ..codec import formats as P
from ..codec import layouts
from ..errors import InputError, OutputError, UnsupportedPixelFormatError

log = logging.getLogger("nlvc_av")

FFMPEG_VERSION = getattr(av, "ffmpeg_version_info", "")

# --------------------------------------------------------------------------- error mapping


def _describe(err: BaseException) -> str:
    if isinstance(err, av.FFmpegError):
        return err.strerror or str(err)
    return str(err)


@contextlib.contextmanager
def _reading(name, what: str = "cannot read"):
    """FFmpeg's errors as one InputError naming ``name``: the input, or a function giving the
    file being read (an image sequence's, when the error comes)."""
    try:
        yield
    except (InputError, OutputError):
        raise
    except av.FFmpegError as err:
        name = name() if callable(name) else name
        if isinstance(err, FileNotFoundError):
            raise InputError(f"{name}: no such file") from None
        if isinstance(err, av.InvalidDataError):
            raise InputError(f"{name}: not a media file FFmpeg can read ({_describe(err)})") from None
        raise InputError(f"{name}: {what}: {_describe(err)}") from None


def is_regular_file(stream) -> bool:
    """Whether ``stream`` (stdin) is a regular file, which can seek (``- x.nlvc < clip.mp4``),
    not a pipe."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and stream.seekable()
    except (OSError, ValueError, AttributeError):
        return False


def _rational(value) -> Fraction | None:
    if value is None:
        return None
    value = Fraction(value)
    return value if value > 0 else None


def nominal_rate(stream) -> Fraction | None:
    """The frame rate the container states, not the average of the timestamps: FFmpeg's
    ``av_guess_frame_rate`` (r_frame_rate, corrected for field rates), which stays
    30000/1001 when a frame is missing, while the average drops. Used only when it is
    within 1.5x of the average (a variable-rate file's r_frame_rate can be a multiple of
    every rate in it); otherwise the average; y4m's ``F`` is both."""
    average = _rational(stream.average_rate)
    nominal = _rational(stream.guessed_rate) or _rational(stream.base_rate)
    if nominal and (average is None or Fraction(2, 3) <= nominal / average <= Fraction(3, 2)):
        return nominal
    return average or nominal


# --------------------------------------------------------------------------- planes <-> frames


def frame_planes(frame: "av.VideoFrame", fmt: P.PixFmt | None = None, where: str = "") -> list[np.ndarray]:
    """The exact planes of a decoded frame (line padding dropped; packed RGB -> G, B, R; a
    capture layout -> its coded planes, :mod:`nlvc_av.codec.layouts`). ``where`` names the
    frame in the message refusing a layout word whose unused bits are set."""
    fmt = fmt or P.lookup(frame.format.name)
    w, h = frame.width, frame.height
    if fmt.layout:
        try:
            return layouts.unpack(fmt.name, [_words(plane, fmt) for plane in frame.planes], w, h)
        except UnsupportedPixelFormatError as err:
            raise UnsupportedPixelFormatError(f"{where}: {err}" if where else str(err)) from None
    if fmt.packed is not None:
        plane = frame.planes[0]
        rows = _rows(plane, fmt)
        pixels = rows[:h, : w * fmt.pixel_bytes].reshape(h, w, fmt.pixel_bytes).astype(fmt.dtype)
        return P.unpack(pixels, fmt)
    out = []
    for plane, (ph, pw) in zip(frame.planes, P.plane_shapes(fmt, w, h)):
        out.append(np.array(_rows(plane, fmt)[:ph, :pw], dtype=fmt.dtype, order="C"))
    return out


def _rows(plane, fmt: P.PixFmt, itemsize: int | None = None) -> np.ndarray:
    """A frame plane's buffer as rows of samples (or storage words of ``itemsize`` bytes) in
    FFmpeg's byte order (a writable view)."""
    itemsize = itemsize or fmt.sample_bytes
    dtype = np.dtype(np.uint8) if itemsize == 1 else np.dtype((">u" if fmt.big_endian else "<u") + str(itemsize))
    return np.frombuffer(plane, dtype).reshape(-1, plane.line_size // dtype.itemsize)


def _words(plane, fmt: P.PixFmt) -> np.ndarray:
    """A capture layout's plane as rows of its storage words."""
    return _rows(plane, fmt, layouts.LAYOUTS[fmt.name].word)


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
    if fmt.layout:
        for plane, words in zip(frame.planes, layouts.pack(fmt.name, list(planes), width, height)):
            _words(plane, fmt)[: words.shape[0], : words.shape[1]] = words
    elif fmt.packed is not None:
        rows = _rows(frame.planes[0], fmt)
        rows[:height, : width * fmt.pixel_bytes] = P.pack(planes, fmt).reshape(height, -1)
    else:
        for plane, src in zip(frame.planes, planes):
            rows = _rows(plane, fmt)
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


def frame_count(stream, rate: Fraction | None, container_duration: int | None = None) -> int:
    """The frame count the source states, else the one its duration implies (0: unknown)."""
    if stream.frames:
        return int(stream.frames)
    with contextlib.suppress(Exception):
        if stream.duration and stream.time_base and rate:
            return max(0, round(stream.duration * stream.time_base * rate))
        if container_duration and rate:  # in microseconds (AV_TIME_BASE)
            return max(0, round(Fraction(container_duration, 1_000_000) * rate))
    return 0
