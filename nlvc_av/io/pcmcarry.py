"""Carried PCM coded losslessly (issue 31 item 3; format 1.6, FORMAT.md 6.4).

A carried audio stream of uncompressed interleaved PCM (``pcm_s16le`` ... ``pcm_f64be``, see
:data:`PCM`) is stored as codec :data:`CODEC`: each source packet becomes one stored packet
(same pts, dts, duration, keyframe flag) holding that packet's PCM bytes coded by
:func:`nlvc_av.io.sound.encode_pcm` (FLAC or nlvc-pcm-1, the smaller, the round trip checked).
The track's params keep the source's (``sample_rate``, ``channels``...) plus
``nlvc:pcm_codec`` (the source codec, e.g. ``pcm_s24le``). A decode gives each packet's bytes
back exactly and hands the stream on as the source codec (:func:`original_info`,
:class:`Uncoder`), so a ``.mkv`` gets what it got when the packets were stored raw.

A stored packet: one byte, the coder (0: the bytes as they are, for a packet that is not a
whole number of sample frames; 1: nlvc-pcm-1; 2: FLAC), then for 1 and 2 a u32 LE count of
sample frames, for 2 a u16 LE length and FLAC's STREAMINFO, then blocks (u32 LE sample frames,
u32 LE length, the coded bytes) to the end.

    source.other_streams / source.read coded in place:  code_carried(source)
    data = Uncoder(info)(packet.data)                    # the source packet's bytes
"""
from __future__ import annotations

import dataclasses
import struct

import container

from .rebuild_ops import RebuildError
from .sound import FLAC, OWN, decode_pcm, encode_pcm
from .soundlayout import SoundLayout
from .streams import StreamInfo

CODEC = "nlvc-pcmpacket-1"
CODEC_TAG = "nlvc:pcm_codec"
#: FFmpeg's interleaved PCM codecs -> (bits, float, signed, byte order).
PCM = {
    "pcm_u8": (8, 0, 0, "le"), "pcm_s8": (8, 0, 1, "le"),
    **{f"pcm_{s}{b}{o}": (b, 0, int(s == "s"), o) for s in "su" for b in (16, 24, 32) for o in ("le", "be")},
    "pcm_s64le": (64, 0, 1, "le"), "pcm_s64be": (64, 0, 1, "be"),
    "pcm_f32le": (32, 1, 1, "le"), "pcm_f32be": (32, 1, 1, "be"),
    "pcm_f64le": (64, 1, 1, "le"), "pcm_f64be": (64, 1, 1, "be"),
}
RAW, CODERS = 0, {1: OWN, 2: FLAC}
_HEAD, _BLOCK = struct.Struct("<BI"), struct.Struct("<II")


def _layout(codec: str, params: dict, frames: int = 0) -> SoundLayout | None:
    if codec not in PCM:
        return None
    bits, is_float, signed, order = PCM[codec]
    channels, rate = int(params.get("channels") or 0), int(params.get("sample_rate") or 0)
    if not (1 <= channels <= 255 and rate >= 1):
        return None
    return SoundLayout("wav", rate, channels, bits, "float" if is_float else "int", bool(signed), order, bits,
                       frames, 0)


def coded_info(info: StreamInfo) -> StreamInfo:
    """The track a carried PCM stream is stored as (the stream itself when it is not such PCM)."""
    if info.kind != "audio" or info.source is not None or _layout(info.codec_name, info.params) is None:
        return info
    return dataclasses.replace(info, codec_name=CODEC, params={**info.params, CODEC_TAG: info.codec_name})


def code_packet(codec: str, params: dict, data: bytes) -> bytes:
    """One source packet's PCM bytes, coded (the round trip checked by encode_pcm)."""
    layout = _layout(codec, params)
    if not data or len(data) % layout.block_align:
        return bytes([RAW]) + data
    layout = dataclasses.replace(layout, frames=len(data) // layout.block_align)
    stream = encode_pcm(layout, data)
    out = [_HEAD.pack(1 if stream.codec == OWN else 2, layout.frames)]
    if stream.codec == FLAC:
        out += [struct.pack("<H", len(stream.extradata)), stream.extradata]
    for _, frames, block in stream.packets:
        out += [_BLOCK.pack(frames, len(block)), block]
    return b"".join(out)


def decode_packet(codec: str, params: dict, data: bytes) -> bytes:
    """A stored packet's source bytes; RebuildError when it does not decode."""
    if data[:1] == bytes([RAW]):
        return bytes(data[1:])
    try:
        coder, frames = _HEAD.unpack_from(data)
        at, extradata = _HEAD.size, b""
        if coder == 2:
            (size,) = struct.unpack_from("<H", data, at)
            extradata, at = bytes(data[at + 2:at + 2 + size]), at + 2 + size
        blocks, first = [], 0
        while at < len(data):
            n, size = _BLOCK.unpack_from(data, at)
            blocks.append((first, n, bytes(data[at + _BLOCK.size:at + _BLOCK.size + size])))
            at, first = at + _BLOCK.size + size, first + n
        layout = dataclasses.replace(_layout(codec, params), frames=frames)
    except (struct.error, TypeError, ValueError) as err:
        raise RebuildError(f"a coded {codec} packet is not valid ({err})") from None
    if coder not in CODERS:
        raise RebuildError(f"a coded {codec} packet names coder {coder}")
    from .sound import stream_params

    return decode_pcm(CODERS[coder], extradata, stream_params(layout), blocks)


def original_info(info: StreamInfo) -> StreamInfo:
    """The stream as the source had it (codec and params), from a stored :data:`CODEC` track."""
    params = {k: v for k, v in info.params.items() if k != CODEC_TAG}
    return dataclasses.replace(info, codec_name=str(info.params.get(CODEC_TAG, "")), params=params)


class Uncoder:
    """A stored packet's data -> the source packet's bytes (``same``: a decode writes them as
    they were, not other bytes of the same samples)."""

    same = True

    def __init__(self, info: StreamInfo):
        self.info = original_info(info)
        self.name = self.target = self.info.codec_name
        if self.name not in PCM:
            raise RebuildError(f"track {info.number}: {CODEC} names source codec {self.name!r}")

    def __call__(self, data: bytes, duration: int = 0) -> bytes:
        return decode_packet(self.name, self.info.params, data)


class Chained:
    """An :class:`Uncoder` then a rewrite (:class:`nlvc_av.io.carried.PcmRewrite`...)."""

    same = False

    def __init__(self, uncode: Uncoder, rewrite):
        self.uncode, self.rewrite = uncode, rewrite
        self.name, self.target = rewrite.name, rewrite.target

    def __call__(self, data: bytes, duration: int = 0) -> bytes:
        return self.rewrite(self.uncode(data), duration)


def chained(uncode: Uncoder | None, rewrite):
    """What a packet goes through on its way to a .mkv."""
    if uncode is None or rewrite is None:
        return uncode or rewrite
    return Chained(uncode, rewrite)


def uncoded(packets, tracks) -> list:
    """Packets of :data:`CODEC` tracks (``tracks``: StreamTrack or StreamInfo) given their source bytes."""
    uncoders = {t.number: Uncoder(t) for t in tracks if t.codec_name == CODEC}
    if not uncoders:
        return list(packets)
    return [dataclasses.replace(p, data=uncoders[p.track](p.data)) if p.track in uncoders else p for p in packets]


def code_carried(source) -> None:
    """Code the carried PCM streams of an open source in place (its ``other_streams`` and ``read``)."""
    coded = {}
    streams = []
    for info in source.other_streams:
        new = coded_info(info)
        if new is not info:
            coded[info.number] = (info.codec_name, info.params)
        streams.append(new)
    if not coded:
        return
    source.other_streams = streams
    read = source.read

    def coded_read():
        for item in read():
            if isinstance(item, container.Packet) and item.track in coded:
                item = dataclasses.replace(item, data=code_packet(*coded[item.track], item.data))
            yield item

    source.read = coded_read
