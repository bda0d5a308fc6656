"""nlvc-pcm-1: NLVC's own lossless coder of PCM sound, for the samples FLAC does not take
(64-bit and other wide integers, 32- and 64-bit float, more than 8 channels). No av, no files.

Each packet codes up to 65535 sample frames on its own (:mod:`.packet`): integer samples (or
float bit patterns put on a fixed-point grid, :mod:`.floats`), wasted low bits, stereo
decorrelation, a fixed or LPC predictor per channel (:mod:`.lpc`) and adaptively modelled
residuals on the project's range coder (:mod:`.bitmodels`). Integer arithmetic on int64 that
wraps: any 64-bit value round trips, the same on every machine::

    packets = encode(samples, fbits)             # samples: int64 [frames, channels]
    samples = decode(packets_data, frames_each, channels, fbits)

``fbits`` is 0 for integer samples (the signed values), 32 or 64 for float samples (their bit
patterns, binary32 ones zero-extended).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ...errors import InputError
from .packet import DAMAGED, MAX_FRAMES, decode_packet, encode_packet

CODEC = "nlvc-pcm-1"
FRAMES_PER_PACKET = 4096


class PcmDecodeError(InputError):
    """An nlvc-pcm-1 packet that does not decode (damaged, or not what its stream says)."""


def _check(fbits: int, channels: int) -> None:
    if fbits not in (0, 32, 64):
        raise ValueError(f"fbits {fbits} (0, 32 or 64)")
    if not 1 <= channels <= 255:
        raise ValueError(f"{channels} channels (1 to 255)")


def encode_block(samples: np.ndarray, fbits: int) -> bytes:
    """One packet: ``samples`` (int64 [n, channels], 1 <= n <= 65535)."""
    samples = np.ascontiguousarray(samples, np.int64)
    n, channels = samples.shape
    _check(fbits, channels)
    if not 1 <= n <= MAX_FRAMES:
        raise ValueError(f"{n} sample frames in a packet (1 to {MAX_FRAMES})")
    size = n * channels * 26 + 4096
    buf = np.zeros(size, np.uint8)
    used = encode_packet(samples, n, channels, fbits, buf)
    if used > size:  # (the bound above holds for any input: a guard, not a path)
        raise RuntimeError(f"an nlvc-pcm-1 packet overflowed its {size}-byte buffer")
    return buf[:used].tobytes()


def decode_block(data: bytes, n: int, channels: int, fbits: int) -> np.ndarray:
    """The int64 [n, channels] samples of one packet; PcmDecodeError when it does not decode."""
    _check(fbits, channels)
    if not 1 <= n <= MAX_FRAMES:
        raise PcmDecodeError(f"an nlvc-pcm-1 packet of {n} sample frames (1 to {MAX_FRAMES})")
    out = np.zeros((n, channels), np.int64)
    status = decode_packet(np.frombuffer(data, np.uint8), n, channels, fbits, out)
    if status:
        raise PcmDecodeError("a damaged nlvc-pcm-1 packet" if status == DAMAGED else
                             f"an nlvc-pcm-1 packet that does not hold the {n} sample frames its stream says")
    return out


def encode(samples: np.ndarray, fbits: int, frames_per_packet: int = FRAMES_PER_PACKET) -> list[bytes]:
    """The packets of ``samples`` (int64 [frames, channels]), ``frames_per_packet`` each (the
    last fewer)."""
    return [encode_block(samples[s:s + frames_per_packet], fbits)
            for s in range(0, samples.shape[0], frames_per_packet)]


def decode(packets: Sequence[bytes], sizes: Sequence[int], channels: int, fbits: int) -> np.ndarray:
    """The samples of ``packets``, ``sizes[i]`` sample frames in packet ``i``."""
    if not packets:
        return np.zeros((0, channels), np.int64)
    return np.concatenate([decode_block(p, n, channels, fbits) for p, n in zip(packets, sizes)])
