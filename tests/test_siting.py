"""Chroma siting (AVChromaLocation) is kept from every input, not only y4m: a Matroska source's
ChromaSiting comes back in the restored .mkv, and what FFmpeg finds in a bitstream (4:2:0 HEVC
in a .mov: "left") is read."""
from __future__ import annotations

import av
import pytest

import container
from clipgen import DATA, planes_to_frame, read_planes, synth_planes
from nlvc_av.io import siting
from nlvc_av.transcode import decode_file, encode_file


def sited_mkv(path, location: str, frames: int = 2, size=(8, 6)):
    out = av.open(str(path), "w", format="matroska")
    s = out.add_stream("ffv1", rate=25, options={"chroma_sample_location": location})
    s.width, s.height, s.pix_fmt = *size, "yuv420p"
    truth = []
    for i in range(frames):
        planes = synth_planes("yuv420p", *size, i)
        truth.append(planes)
        frame = planes_to_frame(planes, "yuv420p", *size)
        frame.pts = i
        out.mux(s.encode(frame))
    out.mux(s.encode())
    out.close()
    return truth


def location_of(path) -> int:
    with av.open(str(path)) as f:
        return siting.chroma_location(f.streams.video[0])


@pytest.mark.parametrize("name, value", [("left", 1), ("center", 2), ("topleft", 3), ("top", 4)])
def test_matroska_siting_is_kept_and_restored(tmp_path, coder, name, value):
    truth = sited_mkv(tmp_path / "src.mkv", name)
    assert location_of(tmp_path / "src.mkv") == value
    encode_file(tmp_path / "src.mkv", tmp_path / "a.nlvc", coder=coder)
    with container.open(tmp_path / "a.nlvc") as r:
        assert r.video_track.chroma_location == value
    decode_file(tmp_path / "a.nlvc", tmp_path / "out.mkv", coder=coder)
    assert location_of(tmp_path / "out.mkv") == value
    _, frames, _ = read_planes(tmp_path / "out.mkv")
    assert [[p.tobytes() for p in f] for f in frames] == [[p.tobytes() for p in f] for f in truth]


def test_unsited_source_stays_unspecified(tmp_path, coder):
    from clipgen import make_clip

    make_clip(tmp_path / "src.mkv", pix_fmt="yuv420p", width=8, height=6, frames=1, audio=None)
    assert location_of(tmp_path / "src.mkv") == 0


HLG = DATA / "wild" / "fall_1080p_hevc_yuv420p10_hlg.mov"


@pytest.mark.skipif(not HLG.exists(), reason="needs ../shared/data/wild")
def test_siting_from_an_hevc_bitstream_in_a_mov():
    assert location_of(HLG) == 1  # ffprobe: chroma_location=left
