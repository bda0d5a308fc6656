"""Sound files byte for byte: their PCM coded losslessly, every other byte kept (numpy + av).

:func:`nlvc_av.io.soundfile.read_layout` says where a WAV/BWF/RF64/AIFF(-C) file's PCM is;
:func:`encode_pcm` codes the PCM bytes into packets, :func:`decode_pcm` gives them back, and the
rebuild map (:func:`nlvc_av.io.rebuild.splice`) puts the file together again::

    layout, stream = code_sound_file(data)            # RebuildError when it cannot be kept
    pcm = decode_pcm(stream.codec, stream.extradata, stream.params, stream.packets)
    splice(layout.pixel_map, layout.stored, pcm) == data

Two coders, 4096 sample frames a packet. ``flac``: FLAC by FFmpeg's encoder
(:mod:`.flacpcm`), for integer samples of 8, 16, 24 and 32 bits in 1 to 8 channels (unsigned
samples centred first). ``nlvc-pcm-1``: NLVC's own coder (:mod:`nlvc_av.codec.pcm`), for any
samples (:mod:`.pcmsamples` makes them numbers). Where
FLAC takes the samples both are tried and the smaller stream is kept (FLAC on a tie: FFmpeg's
encoder loses to ``flac -8`` on some files, by up to 5x where a silent channel comes before
one with wasted bits); the rest (wider integers, 32- and 64-bit float, more channels, a rate
FLAC cannot state) is nlvc-pcm-1. Either byte order: the samples are read as numbers and
written back in the file's order. Every encode decodes its packets and compares the bytes
before it returns; FLAC that does not give the bytes back is dropped (a warning says so),
nlvc-pcm-1 that does not is a RebuildError. The PCM is converted a slice at a time, so what
an encode or a decode holds besides the PCM bytes is bounded.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Sequence

from ..codec import pcm as pcmcoder
from ..codec.pcm import PcmDecodeError
from . import flacpcm
from .pcmsamples import PARAMS, checked, pcm_of, samples_of, slices
from .rebuild import splice
from .rebuild_ops import RebuildError
from .soundfile import SoundLayout, read_layout

__all__ = ["PcmStream", "encode_pcm", "decode_pcm", "code_sound_file", "restore_sound_file", "stream_params",
           "size_of", "flac_takes", "samples_of", "pcm_of", "PARAMS", "FLAC", "OWN", "FRAMES_PER_PACKET"]
log = logging.getLogger("nlvc_av")
FLAC = flacpcm.CODEC
OWN = pcmcoder.CODEC
FRAMES_PER_PACKET = flacpcm.FRAMES_PER_PACKET


@dataclass
class PcmStream:
    """A PCM byte stream as coded packets: what a StreamTrack carries."""

    codec: str  # "flac" or "nlvc-pcm-1"
    extradata: bytes  # FLAC's STREAMINFO; empty for nlvc-pcm-1
    params: dict  # str -> str | int: what decode_pcm needs to give the bytes back (PARAMS)
    time_base: Fraction  # 1 / sample rate
    packets: list = field(default_factory=list)  # (pts, duration, data), pts and duration in samples


def stream_params(layout: SoundLayout) -> dict:
    """The parameters of a layout's PCM stream that :func:`decode_pcm` needs."""
    return {"rate": layout.sample_rate, "channels": layout.channels, "bits": layout.bits,
            "float": int(layout.kind == "float"), "signed": int(layout.signed), "byte_order": layout.byte_order,
            "frames": layout.frames}


def size_of(stream: PcmStream) -> int:
    """Bytes of a coded stream: its packets and extradata."""
    return len(stream.extradata) + sum(len(p[2]) for p in stream.packets)


def flac_takes(layout: SoundLayout) -> bool:
    """Whether FFmpeg's FLAC encoder codes these samples."""
    return flacpcm.takes(layout.kind, layout.bits, layout.channels, layout.sample_rate)


def _decoded(codec: str, extradata: bytes, params: dict, packets: Sequence) -> Iterator[bytes]:
    """The PCM bytes of a coded stream, a packet or a frame at a time; RebuildError when it
    does not decode to the sample frames its parameters say."""
    _, channels, bits, is_float, _, _, frames = checked(params)
    if codec == FLAC:
        parts = flacpcm.decode(extradata, packets, bits, channels)
    elif codec == OWN:
        parts = (pcmcoder.decode_block(data, int(duration), channels, bits if is_float else 0)
                 for _, duration, data in packets)
    else:
        raise RebuildError(f"sound coded as {codec!r} (flac and {OWN} are decoded)")
    made = 0
    try:
        for samples in parts:
            made += len(samples)
            if made > frames:
                break
            yield pcm_of(samples, params)
    except (flacpcm.Error, PcmDecodeError) as err:
        raise RebuildError(f"the {codec} sound packets do not decode ({err})") from None
    if made != frames:
        raise RebuildError(f"the {codec} sound packets decode to {f'more than {frames}' if made > frames else made} "
                           f"sample frames, the stream's parameters say {frames}")


def decode_pcm(codec: str, extradata: bytes, params: dict, packets: Sequence) -> bytes:
    """The PCM bytes of a coded stream (``packets``: (pts, duration, data)); RebuildError when
    the stream does not decode to the bytes its parameters describe."""
    return b"".join(_decoded(codec, extradata, params, packets))


def _gives_back(stream: PcmStream, pcm: bytes) -> bool:
    """Whether the stream decodes to ``pcm`` (compared a part at a time)."""
    view, at = memoryview(pcm), 0
    for part in _decoded(stream.codec, stream.extradata, stream.params, stream.packets):
        if view[at:at + len(part)] != part:
            return False
        at += len(part)
    return at == len(pcm)


def encode_pcm(layout: SoundLayout, pcm: bytes, codec: str | None = None) -> PcmStream:
    """The PCM bytes of a sound file (``layout.pcm(data)``) coded losslessly, the round trip
    checked. ``codec`` None: FLAC and nlvc-pcm-1 where FLAC takes the samples, the smaller kept
    (FLAC on a tie), else nlvc-pcm-1; "flac" or "nlvc-pcm-1": that one (FLAC that fails or does
    not give the bytes back falls back to nlvc-pcm-1, with a warning)."""
    params = stream_params(layout)
    if len(pcm) != layout.pcm_size:
        raise RebuildError(f"{len(pcm)} PCM bytes where the layout has {layout.pcm_size}")
    if codec not in (None, FLAC, OWN):
        raise RebuildError(f"sound cannot be coded as {codec!r} (flac and {OWN} are)")
    if codec == FLAC and not flac_takes(layout):
        raise RebuildError(f"FLAC does not take {layout.channels} channels of {layout.bits}-bit {layout.kind} "
                           f"samples at {layout.sample_rate} Hz")
    time_base = Fraction(1, layout.sample_rate)
    if not layout.frames:
        return PcmStream(codec or (FLAC if flac_takes(layout) else OWN), b"", params, time_base, [])
    best = None
    if codec != OWN and flac_takes(layout):
        best = _flac_stream(layout, pcm, params, time_base)
    if codec != FLAC or best is None:
        own = _own_stream(layout, pcm, params, time_base)
        if best is None or size_of(own) < size_of(best):
            best = own
    return best


def _flac_stream(layout, pcm, params, time_base) -> PcmStream | None:
    """FLAC by FFmpeg's encoder, checked; None (and a warning) where it does not give the bytes back."""
    try:
        extradata, packets = flacpcm.encode(pcm, params)
        stream = PcmStream(FLAC, extradata, params, time_base, packets)
        if _gives_back(stream, pcm):
            return stream
        problem = "gives other bytes back"
    except (flacpcm.Error, RebuildError, ValueError) as err:
        problem = f"fails ({err})"
    log.warning("FFmpeg's FLAC encoder %s for %d-bit sound; it is coded as %s", problem, layout.bits, OWN)
    return None


def _own_stream(layout, pcm, params, time_base) -> PcmStream:
    fbits = layout.bits if layout.kind == "float" else 0
    packets = []
    for first, samples in slices(pcm, params):
        coded = pcmcoder.encode(samples, fbits, FRAMES_PER_PACKET)
        packets += [(first + k * FRAMES_PER_PACKET, min(FRAMES_PER_PACKET, len(samples) - k * FRAMES_PER_PACKET), data)
                    for k, data in enumerate(coded)]
    stream = PcmStream(OWN, b"", params, time_base, packets)
    if not _gives_back(stream, pcm):
        raise RebuildError(f"the {OWN} coder does not give the PCM bytes back (a bug: please report it)")
    return stream


def code_sound_file(data: bytes, codec: str | None = None) -> tuple[SoundLayout, PcmStream]:
    """A sound file's layout and its coded PCM, the rebuild checked against ``data``."""
    layout = read_layout(data)
    pcm = layout.pcm(data)
    stream = encode_pcm(layout, pcm, codec)
    if splice(layout.pixel_map, layout.stored, pcm) != bytes(data):
        raise RebuildError("the sound file's map does not rebuild its bytes (a bug: please report it)")
    return layout, stream


def restore_sound_file(pixel_map: Sequence[int], stored: bytes, stream: PcmStream) -> bytes:
    """A sound file's bytes from its map, stored bytes and coded PCM."""
    return splice(pixel_map, stored, decode_pcm(stream.codec, stream.extradata, stream.params, stream.packets))
