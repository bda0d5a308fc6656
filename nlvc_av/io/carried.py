"""Streams carried packet for packet (audio, subtitles) and written back into Matroska.

- :func:`add_carried_stream`: the output stream for a carried stream (the codec parameters from
  an encoder opened on a scratch context, the only way PyAV fills them; a mux-only stream for a
  subtitle codec without an encoder), or None when this FFmpeg cannot write it to Matroska.
- PCM that Matroska has no codec for (``pcm_f32be``, ``pcm_f64be``, ``pcm_s8``, ``pcm_u16le``,
  planar PCM, A-law, mu-law...) is written as the Matroska PCM holding the same samples: each
  packet is decoded by FFmpeg's own decoder and its samples written as ``pcm_f32le`` /
  ``pcm_f64le`` / ``pcm_u8`` / ``pcm_s16le`` / ``pcm_s24le`` / ``pcm_s32le`` (:class:`PcmRewrite`).
  The samples are the same values (a big-endian float is the same float little-endian; ``pcm_s8``
  is ``pcm_u8`` offset by 128, as FFmpeg decodes it); the packets' bytes change, so a .mkv's
  sound is not the source's bytes. 64-bit integer PCM has no Matroska equivalent.
- :func:`check_writable`: at encode, every carried stream must be one the decoder can write
  back; else one line naming the stream and its codec (an .nlvc never keeps what it cannot give).
- :func:`channel_layout`: the channels and layout of an audio stream, read without PyAV 18's
  AudioLayout copy, which aborts the process for a custom channel order (below).
"""
from __future__ import annotations

import contextlib
import io
import logging
from typing import Callable

import av
import numpy as np

from ..errors import InputError
from . import pcmcarry
from .packagesound import OwnPcmRewrite
from .sound import OWN as OWN_PCM
from .streams import StreamInfo

log = logging.getLogger("nlvc_av")

#: The ASS header text subtitle encoders need to open (not written: the source's codec private
#: data, usually empty for SubRip, replaces the encoder's).
ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
    b"Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
    b"Alignment, MarginL, MarginR, MarginV, Encoding\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)

#: Tags a muxer writes for itself (kept in the .nlvc as found, not copied into a new file).
MUXER_TAGS = {"ENCODER", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "BPS",
              "_STATISTICS_WRITING_APP", "_STATISTICS_WRITING_DATE_UTC", "_STATISTICS_TAGS"}

#: The PCM codecs FFmpeg's Matroska muxer takes (A_PCM/INT/LIT, A_PCM/INT/BIG, A_PCM/FLOAT/IEEE).
MATROSKA_PCM = {"pcm_u8", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_s32be",
                "pcm_f32le", "pcm_f64le"}
#: FFmpeg's decoded sample format (planar or not) -> the Matroska PCM holding the same values.
DECODED_AS = {"u8": "pcm_u8", "s16": "pcm_s16le", "s32": "pcm_s32le", "flt": "pcm_f32le", "dbl": "pcm_f64le"}


# --------------------------------------------------------------------------- channel layouts


def channel_layout(cc) -> tuple[int, str]:
    """``(channels, layout description)`` of an audio codec context.

    PyAV 18 hands out ``cc.layout`` (and ``cc.channels``, which reads it) as a shallow copy of
    the context's AVChannelLayout; for a custom channel order (FFmpeg's reading of an 8-channel
    AIFF, or of a MOV holding its sound: "8 channels (FL+FR+FC+LFE+SL+SR+BL+BR)") the copy and
    the context then free the same channel map, and the process aborts ("double free or
    corruption"). So the context is given an unordered layout of the same channel count (no
    map) while the copy is read: the copy alone owns the map and frees it once. The context
    is not open (its packets are copied, never decoded), so nothing else changes."""
    layout = cc.layout
    try:
        channels = int(layout.nb_channels)
        name = str(layout.name)
    finally:
        with contextlib.suppress(Exception):
            cc.layout = f"{int(layout.nb_channels)}C"
        del layout
    return channels, name


def writable_layout(params: dict) -> str:
    """A layout string safe to give a PyAV context: the source's named or native layout, else
    (a custom order: "8 channels (FL+FR+...)", which PyAV cannot hand to a context without the
    copy bug above) the channel count alone ("8C"); Matroska stores only the count."""
    layout = str(params.get("layout") or "")
    channels = int(params.get("channels") or 0)
    if layout and "(" not in layout and "+" not in layout:
        with contextlib.suppress(ValueError, TypeError):
            if channels in (0, av.AudioLayout(layout).nb_channels):
                return layout
    return f"{channels or 2}C"


# --------------------------------------------------------------------------- PCM rewritten


def _decoder(info: StreamInfo):
    cc = av.CodecContext.create(info.codec_name, "r")
    cc.sample_rate = int(info.params.get("sample_rate") or 48000)
    cc.layout = f"{int(info.params.get('channels') or 2)}C"
    if info.extradata:
        cc.extradata = info.extradata
    cc.open()
    return cc


def pcm_target(info: StreamInfo) -> str | None:
    """The Matroska PCM codec a PCM stream Matroska cannot hold is written as (None: there is
    none, e.g. 64-bit integers; or the stream is not such PCM)."""
    if info.kind != "audio" or not info.codec_name.startswith("pcm_") or info.codec_name in MATROSKA_PCM:
        return None
    try:
        fmt = _decoder(info).format
        name = fmt.name if fmt is not None else str(info.params.get("format") or "")
    except Exception:  # noqa: BLE001 - no decoder: nothing to rewrite with
        return None
    target = DECODED_AS.get(name.rstrip("p"))
    if target == "pcm_s32le" and "24" in info.codec_name:  # FFmpeg puts 24-bit samples in the top bits
        return "pcm_s24le"
    return target


class PcmRewrite:
    """Packets of a PCM flavour Matroska has no codec for -> the same samples in ``target``."""

    def __init__(self, info: StreamInfo, target: str):
        self.name, self.target = info.codec_name, target
        self._cc = _decoder(info)

    def __call__(self, data: bytes, duration: int = 0) -> bytes:
        out = []
        for frame in self._cc.decode(av.Packet(data)):
            samples = frame.to_ndarray()
            if frame.format.is_planar:  # (channels, samples) -> interleaved
                samples = samples.T
            samples = np.ascontiguousarray(samples).reshape(-1)
            if self.target == "pcm_s24le":
                if np.any(samples & 0xFF):
                    raise ValueError(f"{self.name}: a decoded sample is not 24-bit")
                wide = (samples.astype("<i4") >> 8).view(np.uint8).reshape(-1, 4)
                out.append(wide[:, :3].tobytes())
            else:
                out.append(samples.astype(samples.dtype.newbyteorder("<"), copy=False).tobytes())
        return b"".join(out)


# --------------------------------------------------------------------------- output streams


def _configure(cc, info: StreamInfo, settings: dict) -> None:
    p = info.params
    if info.kind == "audio":
        cc.sample_rate = int(p.get("sample_rate") or 48000)
        cc.layout = writable_layout(p)
        if settings.get("format"):
            cc.format = settings["format"]
        else:  # the encoder's own first choice (what add_stream would pick)
            formats = cc.codec.audio_formats
            if formats:
                cc.format = formats[0].name
        if settings.get("bit_rate"):
            cc.bit_rate = settings["bit_rate"]
    else:
        if p.get("width") and p.get("height"):
            with contextlib.suppress(Exception):
                cc.width, cc.height = int(p["width"]), int(p["height"])
        if hasattr(cc, "subtitle_header"):  # text subtitle encoders open only with an ASS header
            cc.subtitle_header = info.extradata if info.extradata.lstrip().startswith(b"[Script Info]") \
                else ASS_HEADER
    cc.time_base = info.time_base
    cc.options = {"strict": "experimental"}
    if info.extradata:  # e.g. the ASS header some subtitle encoders need to open
        cc.extradata = info.extradata


def _encoder_settings(info: StreamInfo) -> dict | None:
    """Parameters with which this FFmpeg's encoder for the codec opens (tried on a scratch
    context), or None when it has no usable encoder."""
    p = info.params
    tries = [{"format": p.get("format"), "bit_rate": p.get("bit_rate")}, {"bit_rate": p.get("bit_rate")}, {}]
    for settings in tries:
        try:
            cc = av.CodecContext.create(info.codec_name, "w")
            _configure(cc, info, settings)
            cc.open()
            return settings
        except Exception as err:  # noqa: BLE001 - any refusal means "try the next"
            log.debug("encoder for %s refuses %s: %s", info.codec_name, settings, err)
    return None


def _add_mux_stream(out, info: StreamInfo, name: str):
    try:
        rate = int(info.params["sample_rate"]) if info.kind == "audio" and info.params.get("sample_rate") else None
        stream = out.add_mux_stream(info.codec_name, rate=rate)
        stream.time_base = info.time_base
    except Exception:  # noqa: BLE001 - the muxer does not take the codec
        return None
    log.warning("%s: %s stream %s (%s) written without full codec parameters", name, info.kind, info.number,
                info.codec_name)
    return stream


def add_carried_stream(out, info: StreamInfo, name: str) -> tuple[object | None, Callable | None]:
    """``(stream, rewrite)``: an output stream of Matroska container ``out`` for a carried
    stream and the function its packets' bytes go through (None: copied as they are); the
    stream is None when this FFmpeg cannot write it to Matroska."""
    rewrite = uncode = None
    if info.codec_name == pcmcarry.CODEC:  # carried PCM stored coded: its source packets' bytes
        uncode = pcmcarry.Uncoder(info)
        info = uncode.info
    target = pcm_target(info)
    if info.codec_name == OWN_PCM:  # a package's sound coded by NLVC: its samples as Matroska PCM
        rewrite = OwnPcmRewrite(info)
        target = rewrite.target
        if target is None:
            return None, None
    elif target is not None:
        rewrite = PcmRewrite(info, target)
    if target is not None:
        info = StreamInfo(info.number, info.kind, target, info.time_base, b"", dict(info.params))
        info.params.pop("format", None)
        info.params.pop("bit_rate", None)
    settings = _encoder_settings(info)
    if settings is None:
        return (_add_mux_stream(out, info, name) if info.kind != "audio" else None), None
    try:
        rate = int(info.params.get("sample_rate") or 48000) if info.kind == "audio" else None
        stream = out.add_stream(info.codec_name, rate=rate)
        cc = stream.codec_context
        _configure(cc, info, settings)
        stream.time_base = info.time_base
        cc.open()
        cc.extradata = info.extradata or None
    except Exception as err:  # noqa: BLE001 - e.g. "'matroska' format does not support '...' codec"
        log.debug("%s: %s cannot be added: %s", name, info.codec_name, err)
        return None, None
    p = info.params
    for key, value in p.items():
        if key.startswith("tag:") and key[4:].upper() not in MUXER_TAGS:
            stream.metadata[key[4:]] = str(value)
    if p.get("disposition"):
        with contextlib.suppress(Exception):
            stream.disposition = int(p["disposition"])
    return stream, pcmcarry.chained(uncode, rewrite)


def check_writable(streams: list[StreamInfo], name: str) -> None:
    """InputError (one line) naming the first carried stream the decoder could not write back
    to Matroska with this FFmpeg: an encode never keeps what a decode cannot give back. (A
    package's sound files are given back by the restore to a folder: not checked here.)"""
    streams = [info for info in streams if info.source is None]
    if not streams:
        return
    out = av.open(io.BytesIO(), "w", format="matroska")
    try:
        for info in streams:
            stream, _ = add_carried_stream(out, info, name)
            if stream is None:
                why = ("64-bit integer PCM has no Matroska codec" if info.codec_name.startswith("pcm_s64")
                       else "this FFmpeg cannot write it to Matroska")
                where = f"stream #{info.source_index}" if info.source_index is not None else f"track {info.number}"
                raise InputError(f"{name}: {where} ({info.kind}, {info.codec_name}) could not be given back by "
                                 f"a decode ({why}): refused, nothing written")
        try:
            out.start_encoding()
        except Exception as err:  # noqa: BLE001 - the muxer refuses the streams' parameters
            raise InputError(f"{name}: the carried streams cannot be written back to Matroska: {err}") from None
    finally:
        with contextlib.suppress(Exception):
            out.close()
