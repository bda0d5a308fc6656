"""Carried PCM stored coded losslessly (issue 31 item 3, io/pcmcarry.py): a .mov/.mkv with 24-bit
stereo sound makes a much smaller .nlvc, and its decode (.mkv, the API) gives the source's packets
back byte for byte; the .mkv is the one the raw-packet .nlvc gave."""
from __future__ import annotations

import av
import numpy as np
import pytest

import nlvc_av
from nlvc_av import transcode
from nlvc_av.io import pcmcarry
from nlvc_av.verify import check_file


def tone_clip(path, codec: str = "pcm_s24le", seconds: int = 2) -> None:
    mov = str(path).endswith(".mov")
    with av.open(str(path), "w") as out:
        v = out.add_stream("rawvideo" if mov else "ffv1", rate=25)
        v.width, v.height, v.pix_fmt = 16, 8, "rgb24" if mov else "bgr0"
        a = out.add_stream(codec, rate=48000)
        a.layout = "stereo"
        t = np.arange(48000 * seconds) / 48000
        x = (np.sin(2 * np.pi * 440 * t) * 0.5 * (2 ** 31 - 256)).astype(np.int32) & ~0xFF
        x = np.stack([x, x // 2], 1).reshape(1, -1)
        for i in range(25 * seconds):
            f = av.VideoFrame(16, 8, "rgb24")
            f.planes[0].update(bytes((i * 7 + k) % 251 for k in range(f.planes[0].buffer_size)))
            f.pts = i
            out.mux(v.encode(f.reformat(format=v.pix_fmt)))
        out.mux(v.encode(None))
        for k in range(0, 48000 * seconds, 1024):
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(x[:, 2 * k:2 * (k + 1024)]), format="s32",
                                            layout="stereo")
            fr.sample_rate, fr.pts = 48000, k
            out.mux(a.encode(fr))
        out.mux(a.encode(None))


def audio_packets(path) -> tuple[str, list[bytes]]:
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        return s.codec_context.name, [bytes(p) for p in c.demux(s) if p.size]


def described(path) -> list:
    with av.open(str(path)) as c:
        streams = [(s.type, s.codec_context.name, getattr(s.codec_context, "sample_rate", None),
                    dict(s.metadata), s.time_base) for s in c.streams]
        packets = [(p.stream.index, p.pts, p.dts, p.duration, p.is_keyframe, bytes(p)) for p in c.demux() if p.size]
    return [streams, packets]


@pytest.mark.parametrize("ext", [".mov", ".mkv"])
def test_pcm_s24le_coded_smaller_and_given_back(tmp_path, monkeypatch, ext):
    src = tmp_path / f"tone{ext}"
    tone_clip(src)
    new, back = tmp_path / "new.nlvc", tmp_path / "new.mkv"
    transcode.encode_file(str(src), str(new))
    transcode.decode_file(str(new), str(back))
    assert audio_packets(back) == audio_packets(src)  # the source's packets, byte for byte
    assert check_file(str(new))["ok"]
    with nlvc_av.open(str(new)) as f:
        stream = f.streams.audio[0]
        assert (stream.codec_name, stream.track.codec_name) == ("pcm_s24le", pcmcarry.CODEC)
        assert [p.data for p in f.demux()] == audio_packets(src)[1]
    # before: the packets stored raw (what 0.3 wrote); its .mkv is the same file
    monkeypatch.setattr(transcode, "code_carried", lambda source: None)
    old, old_back = tmp_path / "old.nlvc", tmp_path / "old.mkv"
    transcode.encode_file(str(src), str(old))
    transcode.decode_file(str(old), str(old_back))
    pcm = sum(map(len, audio_packets(src)[1]))
    assert new.stat().st_size < old.stat().st_size - pcm // 2, (new.stat().st_size, old.stat().st_size)
    assert described(back) == described(old_back)  # (the bytes differ only in the random SegmentUID)
    assert back.stat().st_size == old_back.stat().st_size


@pytest.mark.parametrize("codec", sorted(pcmcarry.PCM))
def test_every_pcm_packet_round_trips(codec):
    bits = pcmcarry.PCM[codec][0]
    params = {"sample_rate": 44100, "channels": 3}
    rng = np.random.default_rng(bits)
    smooth = (np.cumsum(rng.integers(-3, 4, 3 * 5000)) % 256).astype(np.uint8)
    for data in (smooth.tobytes()[: 3 * bits // 8 * 1500], rng.bytes(3 * bits // 8 * 100),
                 rng.bytes(3 * bits // 8 * 7 + 1), b""):
        coded = pcmcarry.code_packet(codec, params, data)
        assert pcmcarry.decode_packet(codec, params, coded) == data
    assert len(pcmcarry.code_packet(codec, params, smooth.tobytes()[: 3 * bits // 8 * 1500])) < 3 * bits // 8 * 1500


def test_stream_not_pcm_or_without_rate_kept_as_is():
    from fractions import Fraction
    from nlvc_av.io.streams import StreamInfo
    for info in (StreamInfo(2, "audio", "aac", Fraction(1, 48000), params={"sample_rate": 48000, "channels": 2}),
                 StreamInfo(2, "audio", "pcm_s16le", Fraction(1, 48000), params={"channels": 2})):
        assert pcmcarry.coded_info(info) is info
