"""The must-show scripts of the capture work run on tiny inputs (their full runs:
docs/CAPTURE_FILES.md, docs/SOUND_CARRIED.md): a capture made, kept whole, measured against
the size bound; an 8-channel 24-bit WAV carried in a MOV and an MKV, identical after the trip."""
from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import capture_files  # noqa: E402
import sound_carried  # noqa: E402


def frames(n=3, w=48, h=16):
    rng = np.random.default_rng(3)
    return [av.VideoFrame.from_ndarray(rng.integers(0, 255, (h, w, 3), np.uint8), format="rgb24") for _ in range(n)]


@pytest.mark.parametrize("name", ["AVI v210 + 24-bit stereo", "MOV 2vuy + 24-bit stereo + timecode",
                                  "MKV uyvy422 + 16-bit stereo"])
def test_capture_files_measures_a_capture(tmp_path, name):
    container, codec, pix_fmt, sounds, timecode = capture_files.CASES[name]
    src = tmp_path / f"c{capture_files.SUFFIX[container]}"
    capture_files.make_capture(src, frames(), container, codec, pix_fmt, sounds, timecode)
    row = capture_files.measure(name, src, tmp_path)
    assert row["identical"] and row["source"] == src.stat().st_size
    assert 0 < row["container"] < row["source"] and row["flac"] > 0 and row["video_alone"] > 0
    assert row["bound"] == pytest.approx(row["video_alone"] + row["flac"] + 0.01 * row["container"])


def test_sound_carried_eight_channels(tmp_path):
    wav = tmp_path / "eight.wav"
    with av.open(str(wav), "w") as out:
        a = out.add_stream("pcm_s24le", rate=48000)
        a.layout = "7.1"
        tone = np.sin(np.arange(4800)[:, None] * np.arange(1, 9) / 40) * 2 ** 22  # a tone per channel
        x = (tone.astype(np.int32) << 8).reshape(1, -1)
        f = av.AudioFrame.from_ndarray(x, format="s32", layout="7.1")
        f.sample_rate, f.pts = 48000, 0
        out.mux(a.encode(f))
        out.mux(a.encode(None))
    for container in ("mov", "mkv"):
        result, detail, size, coded = sound_carried.one(wav, container, tmp_path)
        assert (result, detail) == ("identical file, same samples", "pcm_s24le"), (container, result, detail)
        assert 0 < coded < size
