"""A package's sound files as tracks (format 1.6, FORMAT.md 6.3): each WAV/BWF/RF64/AIFF file
is one audio track whose packets are its PCM, coded losslessly (:mod:`nlvc_av.io.sound`: FLAC
or nlvc-pcm-1), and whose SourceFile holds its name, MD5 and every byte that is not PCM; the
restore decodes the packets, rebuilds the file and checks its MD5.

    tracks = sound_tracks(root, ["REEL_01/a.wav"], first_number=2)   # [(StreamInfo, packets)]
    data = rebuild_sound(stream_info, packets)                         # the file's bytes
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

import container
from container import SourceFile

from ..errors import InputError
from .rebuild import check
from .rebuild_ops import RebuildError
from .sound import PcmStream, code_sound_file, decode_pcm, restore_sound_file
from .streams import StreamInfo

SOURCE_TAG = "nlvc:source"  # the track's StreamParams name the file it rebuilds (for nlvc info)


def sound_tracks(root: Path, names: list[str], first_number: int,
                 outside: dict[str, Path] | None = None) -> list[tuple[StreamInfo, list]]:
    """One (track, packets) per sound file, numbered from ``first_number`` (``outside``: the
    files given apart, by name); InputError naming the file when it cannot be kept byte for byte."""
    out = []
    for k, name in enumerate(names):
        path = (outside or {}).get(name) or root / name
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
        try:
            layout, stream = code_sound_file(data)
        except RebuildError as err:
            raise InputError(f"{path}: {err}; nothing was written") from None
        number = first_number + k
        record = SourceFile(name, hashlib.md5(data).digest(), dict(layout.packing), list(layout.pixel_map),
                            bytes(layout.stored))
        params = {**stream.params, "sample_rate": layout.sample_rate, SOURCE_TAG: name}  # (sample_rate: for .mkv)
        info = StreamInfo(number=number, kind="audio", codec_name=stream.codec, time_base=stream.time_base,
                          extradata=stream.extradata, params=params, source=record)
        packets = [container.Packet(track=number, pts=pts, dts=pts, duration=duration, keyframe=True, data=data)
                   for pts, duration, data in stream.packets]
        out.append((info, packets))
    return out


def _coder_params(info: StreamInfo) -> dict:
    return {k: v for k, v in info.params.items() if k not in (SOURCE_TAG, "sample_rate")}


#: (bits, float, signed) of nlvc-pcm-1 samples -> the Matroska PCM that holds the same samples.
MATROSKA_PCM = {(8, 0, 0): "pcm_u8", (8, 0, 1): "pcm_u8", (16, 0, 1): "pcm_s16le", (24, 0, 1): "pcm_s24le",
                (32, 0, 1): "pcm_s32le", (32, 1, 1): "pcm_f32le", (64, 1, 1): "pcm_f64le"}


class OwnPcmRewrite:
    """An nlvc-pcm-1 packet -> the same samples as the Matroska PCM of :data:`MATROSKA_PCM`
    (a .mkv for viewing: little-endian; 8-bit signed samples made unsigned, as FFmpeg does)."""

    def __init__(self, info: StreamInfo):
        p = info.params
        self.name, self.info = info.codec_name, info
        self.key = (int(p.get("bits", 0)), int(p.get("float", 0)), int(p.get("signed", 1)))
        self.target = MATROSKA_PCM.get(self.key)

    def __call__(self, data: bytes, duration: int) -> bytes:
        p = self.info.params
        params = {**_coder_params(self.info), "frames": duration}  # (one packet of the stream)
        pcm = decode_pcm(self.name, self.info.extradata, params, [(0, duration, data)])
        width = self.key[0] // 8
        if p.get("byte_order") == "be" and width > 1:
            pcm = np.frombuffer(pcm, np.uint8).reshape(-1, width)[:, ::-1].tobytes()
        if self.key == (8, 0, 1):
            pcm = (np.frombuffer(pcm, np.uint8) ^ 0x80).tobytes()
        return pcm


def rebuild_sound(info: StreamInfo, packets: list) -> bytes:
    """The sound file a track keeps, from its packets (in order); RebuildError when they do
    not give it back (a lost packet, damage)."""
    stream = PcmStream(info.codec_name, info.extradata, _coder_params(info), info.time_base,
                       [(p.pts, p.duration, p.data) for p in packets])
    record = info.source
    try:
        data = restore_sound_file(record.pixel_map, record.data, stream)
    except (RebuildError, ValueError, KeyError) as err:
        raise RebuildError(f"{record.name}: the kept sound cannot be decoded ({err})") from None
    if not check(record, data):
        raise RebuildError(f"{record.name}: the rebuilt sound file does not match its stored MD5")
    return data
