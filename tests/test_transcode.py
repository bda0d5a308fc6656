"""Encode -> .nlvc -> decode: exact frames, timestamps, audio packets, metadata; atomic output."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

import container
import nlvc_av
from clipgen import (EXT_FOR, LOSSLESS_CODEC, flat, make_clip, md5s, packets, parse_y4m, read_planes,
                     same_packets, synth_planes)
from nlvc_av.codec import formats as P
from nlvc_av import session, transcode, verify
from nlvc_av.errors import ChecksumError, OutputExistsError


def encode(src, dst, coder, **kw):
    kw.setdefault("gop", 2)
    return transcode.encode_file(str(src), str(dst), coder=coder, **kw)


def decode(src, dst, coder, **kw):
    return transcode.decode_file(str(src), str(dst), coder=coder, **kw)


def clusters(path):
    with container.open(str(path)) as r:
        return list(r.iter_clusters())


@pytest.mark.parametrize("pix_fmt", [f for f in P.SUPPORTED_PIX_FMTS if f in LOSSLESS_CODEC])  # deeper: test_highdepth
def test_every_pixel_format_round_trips_exactly(tmp_path, coder, pix_fmt):
    src = tmp_path / ("src" + EXT_FOR[LOSSLESS_CODEC[pix_fmt]])
    truth = make_clip(src, pix_fmt=pix_fmt, width=33, height=17, frames=3, audio="pcm_s16le")
    stats = encode(src, tmp_path / "a.nlvc", coder)
    assert (stats.frames, stats.gops, stats.pix_fmt) == (3, 2, pix_fmt)
    assert stats.file_bytes == (tmp_path / "a.nlvc").stat().st_size
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    _, got, _ = read_planes(tmp_path / "back.mkv")
    assert md5s(got) == md5s(truth)
    assert same_packets(packets(src), packets(tmp_path / "back.mkv"))
    with nlvc_av.open(tmp_path / "a.nlvc", coder=coder) as f:
        v = f.streams.video[0]
        assert (v.width, v.height, v.pix_fmt, v.frames) == (33, 17, pix_fmt, 3)
        frames = list(f.decode(video=0))
    assert [fr.format.name for fr in frames] == [pix_fmt] * 3
    from nlvc_av.io.frames import frame_planes

    assert md5s([frame_planes(fr) for fr in frames]) == md5s(truth)


@pytest.mark.parametrize("audio", ["aac", "mp2"])
def test_audio_packets_identical_after_mkv(tmp_path, coder, audio):
    src = tmp_path / "src.mkv"
    truth = make_clip(src, width=32, height=24, frames=5, audio=audio)
    encode(src, tmp_path / "a.nlvc", coder)
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    ref, got = packets(src), packets(tmp_path / "back.mkv")
    assert len(ref) > 5 and same_packets(ref, got)
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)
    with av.open(str(tmp_path / "back.mkv")) as c:
        a = c.streams.audio[0]
        assert a.codec_context.name == audio and a.metadata.get("language") == "eng"
        with av.open(str(src)) as s:
            assert a.codec_context.extradata == s.streams.audio[0].codec_context.extradata


def test_packets_go_to_the_cluster_whose_gop_span_holds_them(tmp_path, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=32, height=24, frames=6, audio="mp2")
    encode(src, tmp_path / "a.nlvc", coder, gop=2)
    cs = clusters(tmp_path / "a.nlvc")
    with container.open(str(tmp_path / "a.nlvc")) as r:
        vtb = Fraction(*r.video_track.time_base)
        atb = Fraction(*r.other_tracks[0].time_base)
    assert [len(c.frame_pts) for c in cs] == [2, 2, 2]
    for i, c in enumerate(cs):
        assert c.packets
        lo = c.frame_pts[0] * vtb if i else None
        hi = cs[i + 1].frame_pts[0] * vtb if i + 1 < len(cs) else None
        for p in c.packets:
            t = p.dts * atb
            assert (lo is None or t >= lo) and (hi is None or t < hi)
    assert sum(len(c.packets) for c in cs) == len(packets(src))


def test_one_frame_video(tmp_path, coder):
    src = tmp_path / "one.mkv"
    truth = make_clip(src, width=32, height=24, frames=1, audio="pcm_s16le")
    stats = encode(src, tmp_path / "a.nlvc", coder, gop=8)
    assert (stats.frames, stats.gops) == (1, 1)
    decode(tmp_path / "a.nlvc", tmp_path / "back.y4m", coder)
    assert md5s(read_planes(tmp_path / "back.y4m")[1]) == md5s(truth)


def test_last_gop_shorter(tmp_path, coder):
    src = tmp_path / "src.mkv"
    truth = make_clip(src, width=32, height=24, frames=5, audio=None)
    encode(src, tmp_path / "a.nlvc", coder, gop=2)
    cs = clusters(tmp_path / "a.nlvc")
    assert [len(c.frame_pts) for c in cs] == [2, 2, 1]
    assert [c.frame_types[0] for c in cs] == ["I", "I", "I"]
    assert [c.frame_md5 for c in cs] == [[P.frame_md5(f) for f in truth[i:i + 2]] for i in (0, 2, 4)]
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)


def test_timestamps_metadata_colour_survive(tmp_path, coder):
    src = tmp_path / "vfr.mkv"
    pts = [0, 33, 100, 117, 250]
    truth = make_clip(
        src, width=32, height=24, pts=pts, time_base=Fraction(1, 1000), audio="mp2",
        metadata={"title": "NLVC test", "comment": "variable frame rate"}, color_range=1, colorspace=1,
    )
    encode(src, tmp_path / "a.nlvc", coder, gop=2)
    with nlvc_av.open(tmp_path / "a.nlvc", coder=coder) as f:
        v = f.streams.video[0]
        assert v.time_base == Fraction(1, 1000)
        assert (v.color_range, v.colorspace) == (1, 1)
        assert f.metadata["title"] == "NLVC test"
        assert [fr.pts for fr in f.decode(video=0)] == pts
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    with av.open(str(tmp_path / "back.mkv")) as c:
        s = c.streams.video[0]
        tags = {k.lower(): v for k, v in c.metadata.items()}  # Matroska upper-cases most keys
        assert tags["title"] == "NLVC test" and tags["comment"] == "variable frame rate"
        assert s.codec_context.color_range == 1 and s.codec_context.colorspace == 1
        frames = list(c.decode(video=0))
    assert [f.pts * f.time_base for f in frames] == [Fraction(p, 1000) for p in pts]
    with av.open(str(src)) as c:
        assert [f.duration for f in frames] == [f.duration for f in c.decode(video=0)]
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)


def test_y4m_rate_aspect_ratio_siting_range_are_kept(tmp_path, coder):
    frames = [synth_planes("yuv420p", 33, 17, i) for i in range(2)]
    header = b"YUV4MPEG2 W33 H17 F30000:1001 Ip A4:3 C420mpeg2 XCOLORRANGE=FULL\n"
    (tmp_path / "src.y4m").write_bytes(header + b"".join(b"FRAME\n" + flat(f) for f in frames))
    encode(tmp_path / "src.y4m", tmp_path / "a.nlvc", coder)
    with nlvc_av.open(tmp_path / "a.nlvc", coder=coder) as f:
        v = f.streams.video[0]
        assert v.sample_aspect_ratio == Fraction(4, 3)
        assert v.average_rate == Fraction(30000, 1001)
        assert (v.track.chroma_location, v.color_range) == (1, 2)  # left (MPEG-2 siting), full range
        assert md5s([d.planes for d in f.decode_planes()]) == md5s(frames)
    decode(tmp_path / "a.nlvc", tmp_path / "back.y4m", coder)
    fields, raw = parse_y4m((tmp_path / "back.y4m").read_bytes())
    assert (fields["F"], fields["A"], fields["C"]) == ("30000:1001", "4:3", "420mpeg2")
    assert raw == [flat(f) for f in frames]
    assert b"XCOLORRANGE=FULL" in (tmp_path / "back.y4m").read_bytes()[:100]


def test_max_frames_keeps_the_audio_of_their_span(tmp_path, coder):
    src = tmp_path / "src.mkv"
    truth = make_clip(src, width=32, height=24, frames=6, audio="mp2")
    stats = encode(src, tmp_path / "a.nlvc", coder, gop=2, max_frames=3)
    assert stats.frames == 3
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth[:3])
    end = Fraction(3, 25)
    ref = [p for p in packets(src) if p[1] < end]
    assert same_packets(ref, packets(tmp_path / "back.mkv"))


def test_seek_decodes_from_the_gop_holding_the_pts(tmp_path, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=32, height=24, frames=6, audio=None)
    encode(src, tmp_path / "a.nlvc", coder, gop=2)

    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(coder, name)

        def decode_gop(self, *args):
            calls.append(1)
            return coder.decode_gop(*args)

    with nlvc_av.open(tmp_path / "a.nlvc", coder=Counting()) as f:
        f.seek(3 * 40 + 5)  # inside frame 3 -> GOP 1 (frames 2, 3)
        frames = list(f.decode(video=0))
        assert [fr.pts for fr in frames] == [80, 120, 160, 200]
        assert len(calls) == 2  # GOPs 1 and 2 only
        f.seek(0)
        assert next(iter(f.decode_planes())).pts == 0


def test_checksum_mismatch_fails_loudly_and_leaves_no_file(tmp_path, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=32, height=24, frames=3, audio=None)
    encode(src, tmp_path / "a.nlvc", coder)

    class Flipping:
        def __getattr__(self, name):
            return getattr(coder, name)

        def decode_gop(self, *args):
            frames = coder.decode_gop(*args)
            frames[-1][0][0, 0] ^= 1
            return frames

    dst = tmp_path / "back.mkv"
    with pytest.raises(ChecksumError, match="GOP 0, frame 1"):
        decode(tmp_path / "a.nlvc", dst, Flipping())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nlvc", "src.mkv"]


def test_interrupt_leaves_nothing_at_the_destination(tmp_path, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=32, height=24, frames=5, audio=None)

    class Interrupting:
        n = 0

        def __getattr__(self, name):
            return getattr(coder, name)

        def encode_piece(self, *args):
            Interrupting.n += 1
            if Interrupting.n == 2:
                raise KeyboardInterrupt
            return coder.encode_piece(*args)

    with pytest.raises(KeyboardInterrupt):
        encode(src, tmp_path / "a.nlvc", Interrupting())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.mkv"]


def test_existing_output_is_not_overwritten(tmp_path, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=32, height=24, frames=2, audio=None)
    dst = tmp_path / "a.nlvc"
    dst.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError):
        encode(src, dst, coder)
    assert dst.read_bytes() == b"keep me"
    encode(src, dst, coder, overwrite=True)
    assert dst.read_bytes() != b"keep me"
    assert len(clusters(dst)) == 1


def test_iter_planes_reads_nlvc_and_media_alike(tmp_path, coder):
    src = tmp_path / "src.mkv"
    truth = make_clip(src, width=32, height=24, frames=3, audio=None)
    encode(src, tmp_path / "a.nlvc", coder)
    info, frames = session.iter_nlvc_planes(tmp_path / "a.nlvc", coder=coder)
    assert info.pix_fmt == "yuv420p" and md5s(list(frames)) == md5s(truth)
    info, frames = verify.iter_planes(src, max_frames=2)
    assert md5s(list(frames)) == md5s(truth[:2])


@pytest.mark.parametrize("jobs_", [1, 2])
def test_iter_planes_of_an_nlvc_file_counts_its_frames(tmp_path, coder, jobs_):
    """verify.iter_planes said frames=0 for an 8-frame .nlvc (the count of any other input is known)."""
    make_clip(tmp_path / "src.mkv", width=16, height=16, frames=8, audio=None)
    encode(tmp_path / "src.mkv", tmp_path / "a.nlvc", coder, gop=3)
    info, frames = verify.iter_planes(tmp_path / "a.nlvc", jobs=jobs_)
    assert info.frames == 8
    if jobs_ == 1:
        assert len(list(frames)) == 8
    assert verify.iter_planes(tmp_path / "a.nlvc", max_frames=5, jobs=jobs_)[0].frames == 5


def test_subtitle_packets_survive(tmp_path, coder):
    from clipgen import planes_to_frame

    src = tmp_path / "sub.mkv"
    out = av.open(str(src), "w")
    v = out.add_stream("ffv1", rate=25)
    v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
    s = out.add_mux_stream("subrip")
    s.time_base = Fraction(1, 1000)
    s.metadata["language"] = "fra"
    truth = []
    for i in range(4):
        planes = synth_planes("yuv420p", 32, 24, i)
        truth.append(planes)
        f = planes_to_frame(planes, "yuv420p", 32, 24)
        f.pts = i
        out.mux(v.encode(f))
        if i in (0, 2):
            p = av.Packet(f"Bonjour {i}".encode())
            p.pts = p.dts = i * 40
            p.duration, p.time_base, p.stream = 60, Fraction(1, 1000), s
            out.mux(p)
    out.mux(v.encode())
    out.close()
    encode(src, tmp_path / "a.nlvc", coder)
    decode(tmp_path / "a.nlvc", tmp_path / "back.mkv", coder)
    with av.open(str(tmp_path / "back.mkv")) as c:
        st = c.streams.subtitles[0]
        assert st.codec_context.name in ("subrip", "srt") and st.metadata["language"] == "fra"
        got = [(bytes(p), p.pts, p.duration) for p in c.demux(st) if p.size]
    assert got == [(b"Bonjour 0", 0, 60), (b"Bonjour 2", 80, 60)]
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)
