"""FLAC by FFmpeg (PyAV) for :mod:`nlvc_av.io.sound`: integer samples of 8, 16, 24 and 32 bits
in 1 to 8 channels, 4096 sample frames a packet, the encoder at its best settings (level 12,
two passes of weighted least squares, exact Rice parameters). 8- and 24-bit samples are put in
the high bits of 16- and 32-bit words (FLAC's wasted-bits detection drops the low bits of an
8-bit stream again); 32-bit FLAC is written only when FFmpeg is told it is experimental."""
from __future__ import annotations

from fractions import Fraction
from typing import Iterator, Sequence

import av
import numpy as np

from .pcmsamples import checked, slices
from .rebuild_ops import RebuildError

CODEC = "flac"
FRAMES_PER_PACKET = 4096
OPTIONS = {"compression_level": "12", "lpc_type": "cholesky", "lpc_passes": "2",
           "exact_rice_parameters": "1", "frame_size": str(FRAMES_PER_PACKET)}
LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
MAX_RATE = 655350
BITS = (8, 16, 24, 32)
Error = av.FFmpegError


def takes(kind: str, bits: int, channels: int, rate: int) -> bool:
    """Whether FFmpeg's FLAC encoder codes these samples."""
    return kind == "int" and bits in BITS and channels in LAYOUTS and rate <= MAX_RATE


def _word(bits: int) -> tuple[str, int, type]:
    """(FFmpeg's sample format, the shift into it, its numpy type) for ``bits``-bit samples."""
    return ("s16", 16 - bits, np.int16) if bits <= 16 else ("s32", 32 - bits, np.int32)


def encode(pcm: bytes, params: dict) -> tuple[bytes, list]:
    """(STREAMINFO, packets (pts, duration, data)) of the PCM bytes."""
    rate, channels, bits, _, _, _, _ = checked(params)
    fmt, shift, dtype = _word(bits)
    cc = av.CodecContext.create(CODEC, "w")
    cc.sample_rate, cc.format, cc.layout = rate, fmt, LAYOUTS[channels]
    cc.time_base = Fraction(1, rate)
    options = dict(OPTIONS)
    if bits > 16:
        options["bits_per_raw_sample"] = str(bits)
    if bits == 32:
        options["strict"] = "experimental"
    cc.options = options
    packets = []
    for first, samples in slices(pcm, params):
        data = (samples << shift).astype(dtype)
        for start in range(0, len(data), FRAMES_PER_PACKET):
            chunk = np.ascontiguousarray(data[start:start + FRAMES_PER_PACKET]).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format=fmt, layout=LAYOUTS[channels])
            frame.sample_rate, frame.pts, frame.time_base = rate, first + start, cc.time_base
            packets += [(int(p.pts), int(p.duration), bytes(p)) for p in cc.encode(frame)]
    packets += [(int(p.pts), int(p.duration), bytes(p)) for p in cc.encode(None)]
    return bytes(cc.extradata or b""), [p for p in packets if p[2]]


def decode(extradata: bytes, packets: Sequence, bits: int, channels: int) -> Iterator[np.ndarray]:
    """The int64 [frames, channels] samples of the packets, a decoded frame at a time."""
    if not packets:
        return
    cc = av.CodecContext.create(CODEC, "r")
    cc.extradata = extradata
    shift = _word(bits)[1]
    for k in range(len(packets) + 1):
        packet = None
        if k < len(packets):
            packet = av.Packet(packets[k][2])
            packet.pts = packets[k][0]
        for frame in cc.decode(packet):
            a = frame.to_ndarray()
            a = a.T if frame.format.is_planar else a.reshape(-1, len(frame.layout.channels))
            if a.shape[1] != channels:
                raise RebuildError(f"the FLAC stream has {a.shape[1]} channels, its parameters say {channels}")
            yield a.astype(np.int64) >> shift
