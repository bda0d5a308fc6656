"""nlvc_av.codec.formats and nlvc_av.io: exact planes in every supported pixel format, packets
copied untouched, clear refusals. No neural coding here."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

import container
from clipgen import EXT_FOR, LOSSLESS_CODEC, flat, make_float_clip, make_clip, md5s, packets, parse_y4m, read_planes, synth_planes
from nlvc_av.io import demux, mux, streams
from nlvc_av.codec import formats as P
from nlvc_av.errors import InputError, NlvcAvError, OutputError, UnsupportedPixelFormatError

ALL_FORMATS = [f for f in P.SUPPORTED_PIX_FMTS if f in LOSSLESS_CODEC]  # 8-bit; deeper: test_highdepth.py


def clip_path(tmp_path, pix_fmt, name="src"):
    return tmp_path / (name + EXT_FOR[LOSSLESS_CODEC[pix_fmt]])


# --------------------------------------------------------------------------- planes.py


def test_plane_shapes_round_chroma_up():
    assert P.plane_shapes("yuv420p", 33, 17) == [(17, 33), (9, 17), (9, 17)]
    assert P.plane_shapes("yuv422p", 33, 17) == [(17, 33), (17, 17), (17, 17)]
    assert P.plane_shapes("yuv444p", 33, 17) == [(17, 33)] * 3
    assert P.plane_shapes("gray", 33, 17) == [(17, 33)]
    for rgb in ("gbrp", "rgb24", "bgr24", "rgb0", "bgr0"):
        assert P.plane_shapes(rgb, 33, 17) == [(17, 33)] * 3
        assert P.lookup(rgb).coding_pix_fmt == "gbrp"
    assert P.raw_frame_bytes("yuv420p", 33, 17) == 33 * 17 + 2 * 17 * 9


def test_unsupported_format_is_refused_with_the_list():
    with pytest.raises(UnsupportedPixelFormatError) as info:
        P.lookup("gbrpf32le")
    message = str(info.value)
    assert "gbrpf32le" in message
    assert all(name in message for name in P.SUPPORTED_PIX_FMTS)
    assert isinstance(info.value, ValueError) and isinstance(info.value, container.NlvcError)
    assert isinstance(info.value, NlvcAvError)


def test_full_range_aliases():
    assert P.normalize("yuvj420p") == ("yuv420p", True)
    assert P.normalize("yuv420p") == ("yuv420p", False)
    assert P.lookup("yuvj444p").name == "yuv444p"


@pytest.mark.parametrize("pix_fmt,order", [("rgb24", "RGB"), ("bgr24", "BGR"), ("rgb0", "RGB0"), ("bgr0", "BGR0")])
def test_packed_layouts_map_to_gbr_planes_and_back(pix_fmt, order):
    rng = np.random.default_rng(1)
    packed = rng.integers(0, 256, (5, 7, len(order)), dtype=np.uint8)
    if order.endswith("0"):
        packed[:, :, 3] = 0
    g, b, r = P.unpack(packed, pix_fmt)
    assert np.array_equal(r, packed[:, :, order.index("R")])
    assert np.array_equal(g, packed[:, :, order.index("G")])
    assert np.array_equal(b, packed[:, :, order.index("B")])
    assert np.array_equal(P.pack([g, b, r], pix_fmt), packed)


def test_frame_md5_covers_planes_in_order():
    a = [np.zeros((2, 2), np.uint8), np.ones((1, 1), np.uint8)]
    b = [np.ones((1, 1), np.uint8), np.zeros((2, 2), np.uint8)]
    assert len(P.frame_md5(a)) == 16
    assert P.frame_md5(a) != P.frame_md5(b)
    assert P.frame_md5(a) == P.frame_md5([p.copy() for p in a])


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("pix_fmt", ALL_FORMATS)
@pytest.mark.parametrize("size", [(33, 17), (1, 1)])
def test_reads_exact_planes_in_native_format(tmp_path, pix_fmt, size):
    path = clip_path(tmp_path, pix_fmt)
    truth = make_clip(path, pix_fmt=pix_fmt, width=size[0], height=size[1], frames=2)
    info, frames = demux.iter_video_planes(str(path))
    got = list(frames)
    assert info.pix_fmt == pix_fmt and (info.width, info.height) == size
    assert md5s(got) == md5s(truth)
    for frame in got:
        P.check_planes(frame, pix_fmt, *size)
        assert all(p.flags.c_contiguous for p in frame)


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv422p", "yuv444p", "gray"])
def test_y4m_output_bytes_are_the_planes(tmp_path, pix_fmt):
    """An independent look at the layout: y4m is the raw planes, no FFmpeg in the check."""
    w, h = 33, 17
    truth = [synth_planes(pix_fmt, w, h, i) for i in range(3)]
    video = streams.VideoInfo(width=w, height=h, pix_fmt=pix_fmt, time_base=Fraction(1, 25), frame_rate=Fraction(25))
    out = tmp_path / "out.y4m"
    with mux.OutputFile(str(out), "y4m", video) as writer:
        for i, planes in enumerate(truth):
            writer.write_frame(planes, i, 1)
    fields, frames = parse_y4m(out.read_bytes())
    assert (fields["W"], fields["H"], fields["F"]) == ("33", "17", "25:1")
    assert frames == [flat(p) for p in truth]
    info, back = demux.iter_video_planes(str(out))
    assert md5s(back) == md5s(truth)


@pytest.mark.parametrize("pix_fmt", ALL_FORMATS)
def test_mkv_output_is_lossless(tmp_path, pix_fmt):
    w, h = 33, 17
    truth = [synth_planes(pix_fmt, w, h, i) for i in range(2)]
    video = streams.VideoInfo(width=w, height=h, pix_fmt=pix_fmt, time_base=Fraction(1, 1000), frame_rate=Fraction(25))
    out = tmp_path / "out.mkv"
    with mux.OutputFile(str(out), "mkv", video) as writer:
        for i, planes in enumerate(truth):
            writer.write_frame(planes, i * 40, 40)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "ffv1"
        expected = "bgr0" if P.lookup(pix_fmt).family == "rgb" else pix_fmt  # FFV1 has no 8-bit gbrp
        assert s.codec_context.pix_fmt == expected
    _, got, pts = read_planes(out)
    assert md5s(got) == md5s(truth)
    assert pts == [0, 40]


def test_y4m_cannot_carry_rgb(tmp_path):
    video = streams.VideoInfo(width=4, height=4, pix_fmt="rgb24", time_base=Fraction(1, 25))
    with pytest.raises(OutputError, match="RGB"):
        mux.OutputFile(str(tmp_path / "x.y4m"), "y4m", video)


def test_other_streams_are_copied_untouched(tmp_path):
    path = tmp_path / "a.mkv"
    make_clip(path, frames=4, audio="mp2")
    with demux.open_input(str(path)) as src:
        assert [s.kind for s in src.other_streams] == ["audio"]
        s = src.other_streams[0]
        assert s.codec_name == "mp2" and s.number == 2
        assert s.params["sample_rate"] == 48000 and s.params["channels"] == 2
        assert s.params["tag:language"] == "eng"
        items = list(src.read())
    got = [p for p in items if isinstance(p, container.Packet)]
    frames = [f for f in items if isinstance(f, streams.VideoFrameData)]
    assert len(frames) == 4 and [f.pts for f in frames] == [0, 40, 80, 120]
    assert all(f.duration == 40 for f in frames)
    ref = packets(path)
    assert [p.data for p in got] == [r[0] for r in ref]
    assert [p.pts * s.time_base for p in got] == [r[1] for r in ref]


def test_max_frames_stops_early(tmp_path):
    path = tmp_path / "a.mkv"
    make_clip(path, frames=5, audio=None)
    with demux.open_input(str(path), max_frames=2) as src:
        frames = [f for f in src.read() if isinstance(f, streams.VideoFrameData)]
        assert len(frames) == 2 and src.truncated


def test_full_range_alias_is_read_as_plain_format(tmp_path):
    path = tmp_path / "j.mkv"
    out = av.open(str(path), "w")
    s = out.add_stream("mjpeg", rate=25)
    s.width, s.height, s.pix_fmt = 32, 24, "yuvj420p"
    for i in range(2):
        f = av.VideoFrame(32, 24, "yuvj420p")
        for plane in f.planes:
            np.frombuffer(plane, np.uint8)[:] = 100 + i
        f.pts = i
        out.mux(s.encode(f))
    out.mux(s.encode())
    out.close()
    info, frames = demux.iter_video_planes(str(path))
    got = list(frames)
    assert info.pix_fmt == "yuv420p" and info.color_range == P.COLOR_RANGE_FULL
    assert info.source_pix_fmt == "yuvj420p"
    assert md5s(got) == md5s(read_planes(path)[1])


# --------------------------------------------------------------------------- refusals


def test_unsupported_pixel_format_is_refused(tmp_path):
    path = tmp_path / "hi.mkv"
    make_float_clip(path)
    with pytest.raises(UnsupportedPixelFormatError) as info:
        demux.open_input(str(path))
    assert "gbrpf32le" in str(info.value) and "yuv420p, yuv422p" in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        demux.open_input(str(tmp_path / "nope.mkv"))


def test_not_a_media_file(tmp_path):
    path = tmp_path / "notes.mkv"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(InputError):
        demux.open_input(str(path))


def test_audio_only_file_has_no_video(tmp_path):
    path = tmp_path / "a.mka"
    out = av.open(str(path), "w")
    a = out.add_stream("pcm_s16le", rate=8000)
    f = av.AudioFrame(format="s16", layout="stereo", samples=800)
    for plane in f.planes:
        np.frombuffer(plane, np.uint8)[:] = 0
    f.sample_rate, f.pts = 8000, 0
    out.mux(a.encode(f))
    out.mux(a.encode())
    out.close()
    with pytest.raises(InputError, match="no video stream"):
        demux.open_input(str(path))
