"""PCM bytes as numbers and back (numpy): the parameters of a sound stream, and its samples as
int64, a slice at a time. Integer samples are their signed values (unsigned ones centred:
their top bit flipped); float samples are their IEEE 754 bit patterns (binary32 ones
zero-extended). Any width of 1 to 8 bytes, either byte order."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .rebuild_ops import RebuildError

#: what a stream's parameters hold: the sample rate, channels, container bits per sample, float
#: (0/1), signed (0/1), byte order ("le"/"be") and sample frames
PARAMS = ("rate", "channels", "bits", "float", "signed", "byte_order", "frames")
#: sample frames converted at a time (a bound on the memory an encode or a check takes)
SLICE = 1 << 18


def checked(params: dict) -> tuple[int, int, int, bool, bool, str, int]:
    """The parameters, checked: (rate, channels, bits, float, signed, byte order, frames);
    RebuildError naming what is wrong."""
    try:
        rate, channels, bits, is_float, signed, order, frames = (params[k] for k in PARAMS)
        rate, channels, bits, frames = int(rate), int(channels), int(bits), int(frames)
    except (KeyError, TypeError, ValueError) as err:
        raise RebuildError(f"the sound stream's parameters are not valid ({type(err).__name__}: {err})") from None
    if not (rate >= 1 and 1 <= channels <= 255 and bits in (8, 16, 24, 32, 40, 48, 56, 64) and frames >= 0
            and order in ("le", "be") and is_float in (0, 1) and signed in (0, 1)
            and (not is_float or bits in (32, 64))):
        raise RebuildError(f"the sound stream's parameters are not valid: {params}")
    return rate, channels, bits, bool(is_float), bool(signed), order, frames


def _top(bits: int) -> np.int64:
    return np.int64(-(1 << 63)) if bits == 64 else np.int64(1 << (bits - 1))


def samples_of(pcm: bytes, params: dict) -> np.ndarray:
    """int64 [frames, channels] of whole sample frames of PCM bytes."""
    _, channels, bits, is_float, signed, order, _ = checked(params)
    width = bits // 8
    raw = np.frombuffer(pcm, np.uint8).reshape(-1, width)
    wide = np.zeros((raw.shape[0], 8), np.uint8)
    wide[:, :width] = raw[:, ::-1] if order == "be" else raw
    v = wide.view("<i8")[:, 0].astype(np.int64)
    if not is_float:
        if not signed:
            v ^= _top(bits)
        v = (v << (64 - bits)) >> (64 - bits)
    return v.reshape(-1, channels)


def pcm_of(samples: np.ndarray, params: dict) -> bytes:
    """The PCM bytes of :func:`samples_of`'s samples."""
    _, _, bits, is_float, signed, order, _ = checked(params)
    v = np.ascontiguousarray(samples, np.int64).reshape(-1)
    if not is_float and not signed:
        v = v ^ _top(bits)
    raw = v.astype("<i8").view(np.uint8).reshape(-1, 8)[:, :bits // 8]
    return (raw[:, ::-1] if order == "be" else raw).tobytes()


def slices(pcm: bytes, params: dict) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame, samples) of the PCM bytes, SLICE frames at a time."""
    _, channels, bits, _, _, _, frames = checked(params)
    block = channels * bits // 8
    view = memoryview(pcm)
    for start in range(0, frames, SLICE):
        yield start, samples_of(view[start * block:(start + SLICE) * block], params)
