"""Header fields of an ``.nlvc`` file checked before they are used (FORMAT.md 7, "Limits").

The container checks what makes a file well formed (sizes, CRCs, required fields); this module
checks what makes its values usable by this decoder: a frame size no real video exceeds, a bit
depth that is the pixel format's, rationals that fit FFmpeg's 32-bit terms, a GOP length the
encoder can write, and the memory a GOP's decoded frames need, computed from the claimed sizes
before anything is allocated. The model itself (id, weights hash, token map, groups, coder
parameters) is checked by :meth:`nlvc_av.codec.GopCoder.for_setup`.
"""
from __future__ import annotations

import io
import os
import zipfile

import container

from .codec import formats as P
from .errors import HeaderError, MemoryBudgetError
from .text import escape

MAX_DIMENSION = 32768  # PixelWidth, PixelHeight
MAX_PIXELS = 1 << 28  # width x height (16384 x 16384)
MAX_TERM = (1 << 31) - 1  # each term of the time base, frame rate and sample aspect ratio
MAX_GOP = 4096  # GopSize, and frames per GOP (the CLI's --gop limit)
#: Working memory of the decoder per decoded sample (the frames themselves, the reference, the
#: network's integer activations): a deliberately generous estimate.
WORK_BYTES_PER_SAMPLE = 64
MEMORY_ENV = "NLVC_MAX_MEMORY"  # bytes (suffix K, M, G allowed); default: 3/4 of the RAM
#: Embedded weights (ModelWeights, FORMAT.md 6.1): the element, and its arrays once inflated,
#: at most this (and at most the memory budget). Released models are 10-230 kB inflated.
MAX_WEIGHTS_BYTES = 64 << 20
MAX_WEIGHTS_ARRAYS = 4096
_CHUNK = 1 << 20


def memory_budget() -> int:
    """The most memory one GOP's decoding may claim: ``NLVC_MAX_MEMORY`` or 3/4 of the RAM."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1].upper(), 1)
        try:
            value = float(text[:-1] if scale > 1 else text) * scale
        except ValueError:
            value = float("nan")
        if not 1 <= value < 1 << 62:  # (nan, inf, 0 and negative sizes included)
            raise HeaderError(f"{MEMORY_ENV}={escape(text)}: not a positive number of bytes "
                              "(e.g. 4G, 512M, 1000000)")
        return int(value)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 3 // 4
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _rational(name: str, pair: tuple[int, int] | None, allow_zero: bool = False) -> None:
    if pair is None:
        return
    num, den = pair
    low = 0 if allow_zero else 1
    if not (low <= num <= MAX_TERM and 1 <= den <= MAX_TERM):
        raise HeaderError(f"{name} {num}/{den} is out of range: each term must be "
                          f"{low} to {MAX_TERM}")


def check_video_track(track: container.VideoTrack) -> P.PixFmt:
    """The pixel format of a valid video track; HeaderError (or UnsupportedPixelFormatError)
    for a field out of range."""
    w, h = track.width, track.height
    if not (1 <= w <= MAX_DIMENSION and 1 <= h <= MAX_DIMENSION):
        raise HeaderError(f"frame size {w}x{h} is out of range: width and height must be 1 to "
                          f"{MAX_DIMENSION}")
    if w * h > MAX_PIXELS:
        raise HeaderError(f"frame size {w}x{h} has {w * h} pixels; at most {MAX_PIXELS} are decoded")
    try:
        fmt = P.lookup(track.pix_fmt)
    except ValueError:
        raise _unsupported(track.pix_fmt) from None
    if track.bit_depth != fmt.bit_depth:
        raise HeaderError(f"bit depth {track.bit_depth} does not match pixel format {fmt.name} "
                          f"({fmt.bit_depth}-bit)")
    _rational("time base", track.time_base)
    _rational("frame rate", track.frame_rate)
    sar = track.sample_aspect_ratio
    if sar and sar[0]:
        _rational("sample aspect ratio", sar)
    elif sar and not 1 <= sar[1] <= MAX_TERM:
        _rational("sample aspect ratio", sar, allow_zero=True)
    return fmt


def _unsupported(pix_fmt: str):
    from .errors import UnsupportedPixelFormatError

    return UnsupportedPixelFormatError(f"unsupported pixel format '{escape(pix_fmt)}' "
                                       f"(supported: {', '.join(P.SUPPORTED_PIX_FMTS)})")


def check_setup(setup: container.CodecSetup) -> None:
    if not 1 <= setup.gop_size <= MAX_GOP:
        raise HeaderError(f"GOP size {setup.gop_size} is out of range: 1 to {MAX_GOP}")


def check_header(reader) -> None:
    """Every header field of an open reader that the decoder uses."""
    check_setup(reader.codec_setup)
    check_video_track(reader.video_track)


def check_gop(cluster: container.Cluster, track: container.VideoTrack, gop_size: int,
              budget: int | None = None) -> None:
    """A GOP's claimed frame count and the memory its decoding needs, before decoding it."""
    fmt = check_video_track(track)
    n = len(cluster.frame_pts)
    if n > min(gop_size, MAX_GOP):
        raise HeaderError(f"GOP {cluster.index} holds {n} frames; the file's GOP size is {gop_size}")
    need = n * P.raw_frame_bytes(fmt, track.width, track.height) * WORK_BYTES_PER_SAMPLE
    budget = memory_budget() if budget is None else budget
    if need > budget:
        raise MemoryBudgetError(
            f"GOP {cluster.index}: decoding {n} frames of {track.width}x{track.height} {fmt.name} "
            f"needs about {need >> 20} MiB, more than the budget of {budget >> 20} MiB "
            f"(set {MEMORY_ENV} to allow more)")


def check_weights(data: bytes, what: str, budget: int | None = None) -> None:
    """Embedded (or --model) weights, before the model reads them: an .npz whose element, and
    whose arrays as the zip declares them, as their .npy headers shape them, and as they
    inflate (counted while inflating), stay within :data:`MAX_WEIGHTS_BYTES` and the memory
    budget: a decompression bomb is refused after reading at most that much, never allocated."""
    from .errors import ModelIntegrityError

    budget = memory_budget() if budget is None else budget
    limit = min(MAX_WEIGHTS_BYTES, budget)

    def refuse(size: int, how: str):
        if limit < MAX_WEIGHTS_BYTES:
            return MemoryBudgetError(f"{what}: {how} {size} bytes, more than the budget of {limit >> 20} MiB "
                                     f"(set {MEMORY_ENV} to allow more)")
        return HeaderError(f"{what}: {how} {size} bytes, more than the {MAX_WEIGHTS_BYTES >> 20} MiB "
                           "weights may have")

    if len(data) > limit:
        raise refuse(len(data), "the weights file is")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
            if len(members) > MAX_WEIGHTS_ARRAYS:
                raise HeaderError(f"{what}: {len(members)} arrays; weights have at most {MAX_WEIGHTS_ARRAYS}")
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise refuse(declared, "its arrays declare")
            inflated = 0
            for m in members:
                with z.open(m) as f:
                    _check_array_header(f, m, what, refuse)
                    f.seek(0)
                    while chunk := f.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise refuse(inflated, "its arrays inflate to more than")
    except (HeaderError, MemoryBudgetError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError) as err:
        raise ModelIntegrityError(f"{what}: not an NLVC weights file (.npz of integer arrays): "
                                  f"{escape(err)}") from None


def _check_array_header(f, member: zipfile.ZipInfo, what: str, refuse) -> None:
    """An .npy member's shape must fit in the bytes the zip declares for it."""
    import numpy as np

    if not member.filename.endswith(".npy"):
        return
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"{member.filename}: .npy version {version[0]}.{version[1]}")
    need = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if need > member.file_size:
        raise refuse(need, f"array {escape(member.filename)} claims")


def check_encode_memory(frames: int, pix_fmt: str, width: int, height: int) -> None:
    """An encode under an explicit ``NLVC_MAX_MEMORY``: a GOP of ``frames`` frames must fit in
    it, as for decoding (checked before any GOP is coded; unset, nothing is refused)."""
    if not os.environ.get(MEMORY_ENV, "").strip():
        return
    fmt = P.lookup(pix_fmt)
    need = frames * P.raw_frame_bytes(fmt, width, height) * WORK_BYTES_PER_SAMPLE
    budget = memory_budget()
    if need > budget:
        raise MemoryBudgetError(
            f"coding GOPs of {frames} frames of {width}x{height} {fmt.name} needs about {_size(need)}, more "
            f"than the budget of {_size(budget)} ({MEMORY_ENV}); allow more or use a shorter --gop")


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"
