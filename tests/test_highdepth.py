"""9-16-bit samples and alpha: the split token map, the codec on tiny clips, the io layer's byte
orders and packed layouts, and exact round trips of the shared formats/ clips and the HLG .mov."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import nlvc_av
from nlvc_av.codec import GopCoder, registry
from nlvc_av.codec import formats as P
from nlvc_av.codec.highdepth import SplitTokens
from nlvc_av.errors import UnsupportedSetupError
from nlvc_av.io.frames import frame_planes, to_frame
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import compare, iter_planes

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from nlvc_av.codec import nets

    nets.set_threads(1)


def textured(fmt: str, width: int, height: int, frames: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Smooth texture moving a pixel or two per frame, with noise in the low bits."""
    f = P.lookup(fmt)
    top = (1 << f.bit_depth) - 1
    rng = np.random.default_rng(seed)
    big = rng.integers(0, top + 1, (height + 16, width + 16)).astype(np.float64)
    for _ in range(3):
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) / 4
    out = []
    for i in range(frames):
        noise = 2 << max(0, f.bit_depth - 8)
        moved = np.roll(big, (i, 2 * i), (0, 1)) + rng.integers(-noise, noise + 1, big.shape)
        out.append([np.clip(moved[:h, :w] + 37 * k, 0, top).astype(f.dtype)
                    for k, (h, w) in enumerate(P.plane_shapes(f, width, height))])
    return out


@pytest.mark.parametrize("bits", [9, 10, 12, 16])
def test_split_token_map_is_a_bijection_for_every_mean(bits):
    tokens = SplitTokens(bits)
    x = np.arange(1 << bits, dtype=np.int32)
    for mu in (0, 1, 7, (1 << bits) // 3, (1 << bits) - 1):
        r = tokens.to_symbols(x, np.full_like(x, mu))
        assert np.array_equal(np.sort(r), x) and np.array_equal(tokens.to_samples(r, mu), x)
        assert r[mu] >> (bits - 8) == 128  # x == mu lands in the middle of the high byte


@pytest.mark.parametrize("fmt,groups", [("yuv420p10le", 2), ("gray16le", 1), ("gbrp12le", 3),
                                        ("yuva420p", 2), ("gbrap10le", 2)])
def test_codec_round_trip_high_depth_and_alpha(fmt, groups):
    frames = textured(fmt, 37, 23, 3)
    bits = P.lookup(fmt).bit_depth
    coder = GopCoder.for_encoding(registry.default_model(bits, "tiny"), groups)
    payload, types = coder.encode_gop(frames, P.lookup(fmt).coding_pix_fmt)
    assert "P" in types
    back = GopCoder.for_setup(coder.codec_setup(8)).decode_gop(payload, types, fmt, 37, 23)
    for a, b in zip(frames, back):
        assert P.frame_md5(a) == P.frame_md5(b) and all(p.dtype == q.dtype for p, q in zip(a, b))
    raw = sum(p.size for p in frames[0]) * len(frames) * bits / 8
    assert len(payload) < raw


def test_8_bit_models_refuse_deep_samples_and_deep_models_keep_8_bit_exact():
    frames = textured("yuv420p10le", 16, 16, 1)
    with pytest.raises(UnsupportedSetupError, match="8-bit samples only.*nlvc-mdiff-lattice-v3hd"):
        GopCoder.for_encoding("tiny").encode_gop(frames, "yuv420p10le")
    eight = textured("yuv420p", 21, 13, 2)
    old = GopCoder.for_encoding("nlvc-mdiff-lattice-v3-tiny0").encode_gop(eight, "yuv420p")
    new = GopCoder.for_encoding("nlvc-mdiff-lattice-v3hd-tiny0").encode_gop(eight, "yuv420p")
    assert old == new  # the same bitstream on 8-bit samples
    assert registry.default_model(8) == registry.DEFAULT_MODEL
    assert registry.default_model(10) == registry.DEFAULT_MODEL  # the adaptive stage codes every depth
    assert registry.default_model(10, "mdiff") == "nlvc-mdiff-lattice-v3hd-c32b5"


@pytest.mark.parametrize("twin,fmt", [("yuv420p10le", "yuv420p10be"), ("gray16le", "gray16be"),
                                      ("gbrp16le", "rgb48le"), ("gbrp16le", "bgr48be"),
                                      ("gbrap16le", "rgba64be"), ("gbrap", "argb"), ("gbrap", "bgra"),
                                      ("yuva444p12le", "yuva444p12be"), ("gbrp12le", "gbrp12be")])
def test_frames_read_and_write_every_byte_order_and_packing_as_ffmpeg_does(twin, fmt):
    planes = textured(twin, 9, 7, 1)[0]
    ours = to_frame(planes, fmt, 9, 7).reformat(format=twin)  # our layout, read by FFmpeg
    theirs = to_frame(planes, twin, 9, 7).reformat(format=fmt)  # FFmpeg's layout, read by us
    for frame in (ours, theirs):
        assert all(np.array_equal(a, b) for a, b in zip(frame_planes(frame), planes))
    assert P.lookup(fmt).coding_pix_fmt == twin


def test_unsupported_formats_are_refused_with_the_list():
    for name in ("gbrpf32le", "bayer_rggb8", "grayf32le"):
        with pytest.raises(Exception, match=f"unsupported pixel format '{name}'.*yuv420p10le.*gbrap16le"):
            P.lookup(name)


def _mkv(path: Path, fmt: str, frames: list[list[np.ndarray]], width: int, height: int) -> None:
    """FFV1 in Matroska, or raw video in NUT (``path`` ending .nut) for layouts FFV1 cannot store."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("rawvideo" if path.suffix == ".nut" else "ffv1", rate=25)
        s.width, s.height, s.pix_fmt = width, height, fmt
        for i, planes in enumerate(frames):
            frame = to_frame(planes, fmt, width, height, pts=i)
            out.mux(s.encode(frame))
        out.mux(s.encode())


@pytest.mark.parametrize("fmt", ["yuv422p12le", "gbrp10le", "rgba64le", "yuva420p", "yuv420p10be", "rgb48be",
                                 "bgra64be", "gray12be", "argb"])
def test_transcode_round_trip_through_nlvc_and_mkv(tmp_path, fmt):
    frames = textured(fmt, 19, 11, 3)
    ffv1 = fmt in {f.name for f in av.codec.Codec("ffv1", "w").video_formats}
    src = tmp_path / ("src.mkv" if ffv1 else "src.nut")
    _mkv(src, fmt, frames, 19, 11)
    encode_file(src, tmp_path / "a.nlvc", gop=3, model="tiny")
    decode_file(tmp_path / "a.nlvc", tmp_path / "b.mkv")
    assert compare(str(src), str(tmp_path / "a.nlvc"))[0]
    assert compare(str(tmp_path / "b.mkv"), str(src))[0]
    with av.open(str(src)) as c:  # FFV1 reads rgba64le back as gbrap16le
        read_as = next(c.decode(video=0)).format.name
    with nlvc_av.open(tmp_path / "a.nlvc") as f:  # restored in its own layout
        back = list(f.decode(video=0))
    assert [fr.format.name for fr in back] == [read_as] * 3
    assert [P.frame_md5(frame_planes(fr)) for fr in back] == [P.frame_md5(p) for p in frames]


FORMATS = ["park_joy_160x90_yuv420p10_20f.y4m", "park_joy_160x90_yuv444p12_20f.y4m",
           "park_joy_160x90_yuv444p_10f.y4m", "cronkite_256_gray_16f.y4m",
           "bulk_water_640x424_bgr0_48f.mkv", "sparks_480x270_yuv420p10_5f.y4m"]


@needs_data
@pytest.mark.parametrize("name", FORMATS)
def test_formats_clips_round_trip_exactly(tmp_path, name):
    src = DATA / "formats" / name
    frames = 1 if "bulk" in name or "sparks" in name else 2
    encode_file(src, tmp_path / "a.nlvc", gop=2, model="tiny", max_frames=frames)
    ok, message = compare(str(src), str(tmp_path / "a.nlvc"), max_frames=frames)
    assert ok, message
    if name.endswith(".y4m"):  # y4m back byte for byte: header and samples
        decode_file(tmp_path / "a.nlvc", tmp_path / "b.y4m")
        data = (tmp_path / "b.y4m").read_bytes()
        assert src.read_bytes()[:len(data)] == data


@needs_data
def test_hlg_mov_round_trips_with_its_tags(tmp_path):
    src = DATA / "wild" / "fall_1080p_hevc_yuv420p10_hlg.mov"
    encode_file(src, tmp_path / "a.nlvc", model="tiny", max_frames=1)
    decode_file(tmp_path / "a.nlvc", tmp_path / "b.mkv")
    frames = list(iter_planes(str(src), max_frames=1)[1])
    back = list(iter_planes(str(tmp_path / "b.mkv"))[1])
    assert len(back) == 1 and P.frame_md5(frames[0]) == P.frame_md5(back[0])
    with av.open(str(tmp_path / "b.mkv")) as c:
        frame = next(c.decode(video=0))
        assert frame.format.name == "yuv420p10le"
        assert (frame.color_trc, frame.color_primaries, frame.colorspace, frame.color_range) == (18, 9, 9, 1)


@pytest.mark.parametrize("model", ["nlvc-mdiff-lattice-v3hd-tiny0", "nlvc-adaptive-ls-v1", "nlvc-adaptive-ls-v2", "nlvc-adaptive-ls-v3", "nlvc-adaptive-ls-v4", "nlvc-adaptive-ls-v5", "nlvc-adaptive-ls-v6", "nlvc-adaptive-ls-v7", "nlvc-adaptive-ls-v8", "nlvc-adaptive-ls-v9", "nlvc-adaptive-ls-v10", "nlvc-adaptive-ls-v11"])
def test_the_bit_report_reads_high_bit_depth_files(tmp_path, model):
    """nlvc stats on a 10-bit file (0.2 failed on the split tables: 'no attribute counts')."""
    from nlvc_av.bitreport import bit_report

    _mkv(tmp_path / "a.mkv", "yuv420p10le", textured("yuv420p10le", 24, 16, 2), 24, 16)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", model=model, gop=2, jobs=1)
    d = bit_report(str(tmp_path / "a.nlvc"))
    assert d["model_id"] == model and d["frames"] == 2
    assert 0 < d["ideal_bits"] <= 8 * d["payload_bytes"] + 64
    assert [r["frame"] for r in d["by_frame"]] == [0, 1]


def test_stats_bits_per_sample_matches_info_above_8_bits(tmp_path):
    """nlvc stats counted bytes as samples above 8 bits: a 10-bit clip showed half of info's figure."""
    from nlvc_av.bitreport import bit_report, report_text
    from nlvc_av.describe import info

    _mkv(tmp_path / "a.mkv", "yuv420p10le", textured("yuv420p10le", 24, 16, 2), 24, 16)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=2, jobs=1)
    d, described = bit_report(str(tmp_path / "a.nlvc")), info(str(tmp_path / "a.nlvc"))["video"]
    assert d["samples"] == 2 * (24 * 16 + 2 * 12 * 8)
    assert d["bits_per_sample"] == pytest.approx(described["bits_per_sample"], abs=1e-3)
    assert f"{d['bits_per_sample']} bits/sample" in report_text(d)
