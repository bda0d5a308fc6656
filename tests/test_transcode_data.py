"""Real files from ../shared/data (skipped when absent): each round-trips exactly or is refused
with a clear message. Only the first frames of each file are coded, to keep the suite fast."""

from __future__ import annotations

import json

import av
import pytest
from click.testing import CliRunner

from clipgen import DATA, md5s, packets, read_planes, same_packets
from nlvc_av.codec import GopCoder, registry
from nlvc_av.codec import formats as P
from nlvc_av import transcode
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.errors import UnsupportedPixelFormatError

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")

FILES = sorted(
    str(p.relative_to(DATA)) for sub in ("wild", "bench", "formats") if (DATA / sub).is_dir()
    for p in (DATA / sub).iterdir() if p.is_file()
) or ["(no data)"]


def source_pix_fmt(path) -> str:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).format.name


@needs_data
def test_box_h264_mp3_round_trips_to_mkv(tmp_path, cli_env):
    """h264 + mp3 in MP4 -> .nlvc -> FFV1 + the same mp3 packets in Matroska (first 16 frames)."""
    src = DATA / "wild" / "box_640x480_h264.mp4"
    runner = CliRunner()
    r = runner.invoke(transcode_main, [str(src), str(tmp_path / "box.nlvc"), "--max-frames", "16", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(transcode_main, [str(tmp_path / "box.nlvc"), str(tmp_path / "box.mkv"), "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(nlvc_main, ["verify", str(src), str(tmp_path / "box.mkv"), "--max-frames", "16"])
    assert r.exit_code == 0 and "identical: 16 frames" in r.stdout, r.output
    _, got, got_pts = read_planes(tmp_path / "box.mkv")
    _, ref, _ = read_planes(src, max_frames=16)
    assert len(got) == 16 and md5s(got) == md5s(ref)
    info = json.loads(runner.invoke(nlvc_main, ["info", "--json", str(tmp_path / "box.nlvc")]).stdout)
    assert info["streams"][0]["codec"] == "mp3" and info["video"]["frames"] == 16
    end = info["video"]["duration_s"]  # the audio of the coded span is kept, the rest is not
    ref_audio = [p for p in packets(src) if p[1] < end]
    got_audio = packets(tmp_path / "box.mkv")
    assert len(got_audio) == info["streams"][0]["packets"] > 10
    assert same_packets(ref_audio, got_audio)
    with av.open(str(tmp_path / "box.mkv")) as c:
        assert c.streams.audio[0].codec_context.codec.canonical_name == "mp3"
        assert c.streams.video[0].codec_context.name == "ffv1"
    assert got_pts == sorted(got_pts)


@needs_data
@pytest.mark.parametrize("name", FILES)
def test_every_shared_file_round_trips_or_is_refused(tmp_path, coder, name):
    src = DATA / name
    pix_fmt = source_pix_fmt(src)
    with av.open(str(src)) as c:
        v = c.streams.video[0]
        big = v.width * v.height > 720 * 576
    n = 1 if big else 2
    supported = P.normalize(pix_fmt)[0] in P.SUPPORTED_PIX_FMTS
    if not supported:
        with pytest.raises(UnsupportedPixelFormatError) as info:
            transcode.encode_file(str(src), str(tmp_path / "x.nlvc"), coder=coder, max_frames=n)
        assert f"'{pix_fmt}'" in str(info.value) and "supported: yuv420p" in str(info.value)
        assert list(tmp_path.iterdir()) == []
        return
    if P.lookup(P.normalize(pix_fmt)[0]).bit_depth > 8:  # the high-bit-depth test model
        coder = GopCoder.for_encoding(registry.default_model(P.lookup(P.normalize(pix_fmt)[0]).bit_depth, "tiny"))
    stats = transcode.encode_file(str(src), str(tmp_path / "x.nlvc"), coder=coder, max_frames=n)
    assert stats.frames == n
    transcode.decode_file(str(tmp_path / "x.nlvc"), str(tmp_path / "x.mkv"), coder=coder)
    _, ref, _ = read_planes(src, max_frames=n)
    _, got, _ = read_planes(tmp_path / "x.mkv")
    assert md5s(got) == md5s(ref)
