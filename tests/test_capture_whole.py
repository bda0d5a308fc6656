"""Captures in the other layouts FFmpeg writes kept byte for byte (issue 31): AVI Y210, Y216, NV12,
NV21, Y410, v410, r210, R10k and MOV v410, r210, R10k, written by PyAV with their sound, coded and
written back to an identical file; the semi-planar packing (nv12, nv21: format 1.8) both ways; a
word whose unused bits are set refused in one line with nothing written."""
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

import container
from container import CodecSetup, SourceFile, VideoTrack
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.codec import formats as P
from nlvc_av.io import avi, mov
from nlvc_av.io.frames import frame_planes, to_frame
from nlvc_av.io.packing import pixel_stream, stream_size, unpack
from nlvc_av.io.rebuild_ops import RebuildError

#: (pix_fmt PyAV is given, container, codec) -> (fourcc or sample description, pix_fmt FFmpeg decodes to)
CASES = {
    ("y210le", "avi", "rawvideo"): (b"Y210", "y210le"),
    ("y216le", "avi", "rawvideo"): (b"Y216", "y216le"),
    ("nv12", "avi", "rawvideo"): (b"NV12", "nv12"),
    ("nv21", "avi", "rawvideo"): (b"NV21", "nv21"),
    ("xv30le", "avi", "rawvideo"): (b"Y410", "xv30le"),
    ("yuv444p10le", "mov", "v410"): (b"v410", "v30xle"),
    ("gbrp10le", "mov", "r210"): (b"r210", "gbrp10le"),
    ("gbrp10le", "mov", "r10k"): (b"R10k", "gbrp10le"),
    ("yuv444p10le", "avi", "v410"): (b"v410", "v30xle"),
    ("gbrp10le", "avi", "r210"): (b"r210", "gbrp10le"),
    ("gbrp10le", "avi", "r10k"): (b"R10k", "gbrp10le"),
}


def make_capture(path, pix_fmt, codec, frames=3, w=16, h=8, seed=3):
    """``frames`` random frames in ``pix_fmt`` (every sample of its depth) and a pcm_s16le track."""
    rng = np.random.default_rng(seed)
    fmt = P.lookup(pix_fmt)
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        a = out.add_stream("pcm_s16le", rate=48000)
        a.layout = "stereo"
        for k in range(frames):
            planes = [rng.integers(0, 1 << fmt.bit_depth, shape).astype(fmt.dtype) for shape in P.plane_shapes(fmt, w, h)]
            out.mux(vs.encode(to_frame(planes, pix_fmt, w, h, pts=k)))
            af = av.AudioFrame.from_ndarray(rng.integers(-900, 900, (1, 2 * 1920)).astype(np.int16), format="s16",
                                            layout="stereo")
            af.sample_rate, af.pts = 48000, k * 1920
            out.mux(a.encode(af))
        out.mux(vs.encode(None))
        out.mux(a.encode(None))


def run(command, args, env):
    return CliRunner().invoke(command, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.mark.parametrize("pix_fmt,ext,codec", list(CASES))
def test_capture_written_back_identical(tmp_path, cli_env, pix_fmt, ext, codec):
    tag, decoded = CASES[pix_fmt, ext, codec]
    src, nlvc, back = tmp_path / f"cap.{ext}", tmp_path / "x.nlvc", tmp_path / f"back.{ext}"
    make_capture(src, pix_fmt, codec)
    data = src.read_bytes()
    layout = (avi if ext == "avi" else mov).read_layout(data)
    assert layout is not None and layout.fourcc == tag and layout.frames == 3  # kept whole, not FFmpeg's
    with av.open(str(src)) as c:  # the packing gives FFmpeg's decoded frames, and re-packs to the file's bytes
        truth = [frame_planes(f) for f in c.decode(video=0)]
        assert c.streams.video[0].codec_context.codec_tag == tag.decode() and c.streams.video[0].format.name == decoded
    video = [r for r in layout.ranges if r[0] == avi.VIDEO_PAYLOAD]
    for (_, at, n), planes in zip(video, truth):
        mine = unpack(data[at:at + n], layout.packing, 16, 8, 3)
        assert [p.tolist() for p in mine] == [p.tolist() for p in planes]
        assert pixel_stream(mine, layout.packing, 16, 8) == data[at:at + n]
    result = run(transcode_main, [src, nlvc], cli_env)
    assert result.exit_code == 0, result.output
    with container.open(nlvc) as r:
        assert r.tags["nlvc:source_file"] == src.name and r.video_track.pix_fmt == decoded
        assert r.version == (1, 8 if pix_fmt in ("nv12", "nv21") else 6)  # 1.8: a semi-planar packing
    result = run(transcode_main, [nlvc, back], cli_env)
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == data
    result = run(nlvc_main, ["verify", nlvc], cli_env)
    assert result.exit_code == 0 and "intact" in result.output, result.output


@pytest.mark.parametrize("pix_fmt", ["nv12", "y210le"])
def test_matroska_capture_in_a_new_layout_written_back_identical(tmp_path, cli_env, pix_fmt):
    """FFmpeg's V_UNCOMPRESSED Matroska names the AVI fourcc (NV12, Y210): kept whole the same way."""
    src, nlvc, back = tmp_path / "cap.mkv", tmp_path / "x.nlvc", tmp_path / "back.mkv"
    make_capture(src, pix_fmt, "rawvideo")
    assert run(transcode_main, [src, nlvc], cli_env).exit_code == 0
    with container.open(nlvc) as r:
        assert r.tags["nlvc:source_file"] == "cap.mkv" and r.version == (1, 8 if pix_fmt == "nv12" else 6)
    assert run(transcode_main, [nlvc, back], cli_env).exit_code == 0
    assert back.read_bytes() == src.read_bytes()


def test_r210_rows_are_64_pixels_aligned(tmp_path):
    src = tmp_path / "cap.mov"
    make_capture(src, "gbrp10le", "r210", frames=1, w=18)
    layout = mov.read_layout(src.read_bytes())
    assert layout.packing["row_bytes"] == 256 and layout.frame_bytes == 256 * 8


# --------------------------------------------------------------------------- the semi-planar packing


@pytest.mark.parametrize("samples,chroma,height", [("u8", "420", 5), ("u8", "422", 4), ("u16", "420", 6)])
def test_semiplanar_rows(samples, chroma, height):
    """The first plane's rows, then rows of pairs in ``order``'s order, each padded to row_bytes."""
    w, word = 6, 1 if samples == "u8" else 2
    rows = -(-height // 2) if chroma == "420" else height
    rng = np.random.default_rng(1)
    dtype = np.uint8 if samples == "u8" else np.uint16
    top = 255 if samples == "u8" else 1023
    y = rng.integers(0, top + 1, (height, w)).astype(dtype)
    u, v = (rng.integers(0, top + 1, (rows, w // 2)).astype(dtype) for _ in range(2))
    packing = {"samples": samples, "byte_order": "le", "order": "0,2,1", "interleave": "semiplanar",
               "row_bytes": w * word + 2, "chroma": chroma}
    if samples == "u16":
        packing["shift"] = 6
    stream = pixel_stream([y, u, v], packing, w, height)
    assert len(stream) == stream_size(packing, w, height) == (height + rows) * (w * word + 2)
    as_rows = np.frombuffer(stream, np.uint8).reshape(height + rows, -1)
    assert not as_rows[:, w * word:].any()  # the row padding
    words = as_rows[:, :w * word].copy().view("<u2") >> 6 if word == 2 else as_rows[:, :w]
    assert words[:height].tolist() == y.tolist()
    assert words[height:, 0::2].tolist() == v.tolist() and words[height:, 1::2].tolist() == u.tolist()  # V U pairs
    back = unpack(stream, packing, w, height, 3)
    assert [p.tolist() for p in back] == [y.tolist(), u.tolist(), v.tolist()] and back[0].dtype == dtype


def test_semiplanar_refuses_what_it_cannot_describe():
    y, c = np.zeros((4, 6), np.uint8), np.zeros((2, 3), np.uint8)
    packing = {"samples": "u8", "byte_order": "le", "order": "0,1,2", "interleave": "semiplanar", "row_bytes": 6}
    with pytest.raises(RebuildError, match="semi-planar planes"):
        pixel_stream([y, c, np.zeros((4, 3), np.uint8)], packing, 6, 4)  # a 4:2:2 plane in a 4:2:0 packing
    with pytest.raises(RebuildError, match="unknown semi-planar chroma"):
        pixel_stream([y, c, c], {**packing, "chroma": "444"}, 6, 4)
    with pytest.raises(RebuildError, match="semi-planar planes"):
        unpack(bytes(36), {**packing, "row_bytes": 5}, 5, 4, 3)  # an odd width


def test_writer_stamps_semiplanar_records_1_8(tmp_path):
    """A semi-planar SourcePacking needs source_files=8 (the header says 1.8); a writer opened for an
    older version refuses the cluster rather than write a file its stamp does not describe."""
    from container import Cluster

    setup = CodecSetup(model_id="m", weights_sha256="0" * 64, token_map="t", groups=1, gop_size=1)
    track = VideoTrack(number=1, width=2, height=2, pix_fmt="nv12", bit_depth=8, time_base=(1, 25))
    record = SourceFile("a.avi", bytes(16), {"interleave": "semiplanar", "order": "0,1,2"}, [1, 6, 0])
    cluster = Cluster(index=0, frame_pts=[0], frame_types="I", frame_md5=[bytes(16)], payload=b"x",
                      source_files=[record])
    with container.open(tmp_path / "old.nlvc", "w", codec_setup=setup, tracks=[track], source_files=4) as w:
        with pytest.raises(ValueError, match="source_files=8"):
            w.write_cluster(cluster)
    with container.open(tmp_path / "new.nlvc", "w", codec_setup=setup, tracks=[track], source_files=8) as w:
        w.write_cluster(cluster)
    with container.open(tmp_path / "new.nlvc") as r:
        assert r.version == (1, 8)


# --------------------------------------------------------------------------- unused bits


def _cli(*args) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).parent / args[0]
    return subprocess.run([str(tool), *map(str, args[1:])], capture_output=True, text=True)


@pytest.mark.parametrize("pix_fmt,ext,codec,poke", [("gbrp10le", "mov", "r210", (0, 0x40)),  # a high unused bit
                                                    ("gbrp10le", "mov", "r210", (100, 0x01)),  # row padding
                                                    ("y210le", "avi", "rawvideo", (2, 0x01))])  # a low unused bit
def test_unused_bits_set_refused_in_one_line(tmp_path, cli_env, pix_fmt, ext, codec, poke):
    src = tmp_path / f"cap.{ext}"
    make_capture(src, pix_fmt, codec, frames=2, w=18)
    data = bytearray(src.read_bytes())
    layout = (avi if ext == "avi" else mov).read_layout(bytes(data))
    at = [r for r in layout.ranges if r[0] == avi.VIDEO_PAYLOAD][1][1]  # the second frame
    data[at + poke[0]] |= poke[1]
    src.write_bytes(bytes(data))
    cli = _cli("nlvc-transcode", src, tmp_path / "x.nlvc")
    assert cli.returncode == 1 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert "cannot be kept byte for byte: frame 1:" in cli.stderr and layout.fourcc.decode() in cli.stderr
    assert "Traceback" not in cli.stderr and not (tmp_path / "x.nlvc").exists()


def test_struct_of_pyav_nv12_avi_is_what_the_table_says(tmp_path):
    """FFmpeg's AVI strf for NV12: 12 bits a pixel; the frame chunk is the Y rows then the pairs'."""
    src = tmp_path / "cap.avi"
    make_capture(src, "nv12", "rawvideo", frames=1, w=18, h=7)
    data = src.read_bytes()
    k = data.index(b"strf") + 8
    assert struct.unpack_from("<HI", data, k + 14) == (12, int.from_bytes(b"NV12", "little"))
    assert avi.read_layout(data).frame_bytes == 18 * 7 + 18 * 4  # (an odd height: 4 rows of pairs)
