"""``nlvc verify`` decodes carried PCM coded per packet (nlvc-pcmpacket-1), not only its MD5s:
a packet whose stored bytes are intact but do not decode is reported."""
from __future__ import annotations

import re
import struct

from nlvc_av import transcode
from nlvc_av.io import pcmcarry
from nlvc_av.verify import check_file
from test_pcm_carried_coded import audio_packets, tone_clip


def test_verify_decodes_every_coded_pcm_packet(tmp_path):
    src, nlvc = tmp_path / "tone.mkv", tmp_path / "tone.nlvc"
    tone_clip(src, seconds=1)
    transcode.encode_file(str(src), str(nlvc))
    result = check_file(str(nlvc))
    assert result["ok"], result["lines"]
    assert f"{len(audio_packets(src)[1])} coded PCM packets decoded" in result["checked"]


def test_a_coded_packet_that_does_not_decode_is_reported(tmp_path, monkeypatch):
    src, nlvc = tmp_path / "tone.mkv", tmp_path / "tone.nlvc"
    tone_clip(src, seconds=1)
    # an encoder bug: one stored packet claims nlvc-pcm-1 blocks that are not there
    coded = pcmcarry.code_packet
    calls = []

    def broken(codec, params, data):
        calls.append(1)
        return struct.pack("<BI", 1, 1024) + struct.pack("<II", 1024, 999) if len(calls) == 2 else \
            coded(codec, params, data)

    monkeypatch.setattr(pcmcarry, "code_packet", broken)
    transcode.encode_file(str(src), str(nlvc))
    result = check_file(str(nlvc))
    assert not result["ok"] and result["verdict"] == "damaged"
    [line] = [x for x in result["lines"] if "does not decode" in x]
    assert re.match(r"track 2 \(pcm_s24le\): the coded packet at pts \d+ does not decode \(RebuildError: ", line)
