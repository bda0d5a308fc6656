"""Image sequences in: DPX (10-bit RGB, 12, 16-bit), TIFF and PNG 16-bit, by pattern and by folder,
``--rate``, the first number kept, gaps refused unless asked, and bad input in one line each."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

import nlvc_av
from nlvc_av.errors import InputError
from nlvc_av.io.imageseq import find_sequence, ranges
from nlvc_av.transcode import encode_file
from nlvc_av.verify import compare

from clipgen import REPO  # noqa: F401 (puts the repository first on sys.path)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from nlvc_av.codec import nets

    nets.set_threads(1)


def write_sequence(folder: Path, codec: str, pix_fmt: str, ext: str, count: int = 3, first: int = 86400,
                   size=(12, 8), name="scan_%06d") -> Path:
    """Numbered image files written by FFmpeg's own encoders (textured, moving)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = av.open(str(folder / f"{name}.{ext}"), "w", format="image2", options={"start_number": str(first)})
    s = out.add_stream(codec, rate=24)
    s.width, s.height, s.pix_fmt = *size, pix_fmt
    for i in range(count):
        frame = av.VideoFrame(*size, pix_fmt)
        rng = np.random.default_rng(i)
        for plane in frame.planes:
            buf = np.frombuffer(plane, np.uint8)
            buf[:] = rng.integers(0, 256, buf.size, dtype=np.uint8)
        out.mux(s.encode(frame))
    out.mux(s.encode())
    out.close()
    return folder


CASES = [("dpx", "gbrp10le", "dpx"), ("dpx", "gbrp12le", "dpx"), ("dpx", "rgb48le", "dpx"),
         ("tiff", "rgb48le", "tif"), ("png", "rgb48be", "png")]


@pytest.mark.parametrize("codec,pix_fmt,ext", CASES)
def test_sequence_round_trips_by_pattern_and_folder(tmp_path, codec, pix_fmt, ext):
    folder = write_sequence(tmp_path / "scans", codec, pix_fmt, ext)
    pattern = str(folder / f"scan_%06d.{ext}")
    encode_file(pattern, tmp_path / "a.nlvc", model="tiny", rate="24")
    ok, message = compare(pattern, str(tmp_path / "a.nlvc"))
    assert ok and "3 frames" in message, message
    encode_file(str(folder), tmp_path / "b.nlvc", model="tiny", rate="24")
    assert (tmp_path / "a.nlvc").read_bytes() == (tmp_path / "b.nlvc").read_bytes()
    with nlvc_av.open(tmp_path / "a.nlvc") as f:
        v = f.streams.video[0]
        assert v.pix_fmt == pix_fmt and v.average_rate == 24
        assert f.metadata["nlvc:sequence"] == f"scan_%06d.{ext}" and f.metadata["nlvc:first_number"] == "86400"


def test_gaps_are_refused_with_the_numbers_unless_allowed(tmp_path):
    folder = write_sequence(tmp_path / "s", "png", "rgb48be", "png", count=5, first=7)
    (folder / "scan_000009.png").unlink()
    (folder / "scan_000010.png").unlink()
    with pytest.raises(InputError, match=r"2 frames missing from the numbering \(9-10; present: 7-8,11\)"):
        encode_file(str(folder), tmp_path / "a.nlvc", model="tiny")
    assert not (tmp_path / "a.nlvc").exists()
    encode_file(str(folder / "scan_%06d.png"), tmp_path / "a.nlvc", model="tiny", allow_gaps=True)
    with nlvc_av.open(tmp_path / "a.nlvc") as f:
        assert f.metadata["nlvc:frame_numbers"] == "7-8,11" and len(list(f.decode_planes())) == 3


def test_folder_names_must_make_one_sequence(tmp_path):
    folder = write_sequence(tmp_path / "s", "png", "rgb48be", "png", count=2)
    write_sequence(folder, "png", "rgb48be", "png", count=2, name="other_%04d")
    with pytest.raises(InputError, match="more than one sequence"):
        find_sequence(str(folder))
    assert ranges([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"


def cli(*args):
    return subprocess.run([sys.executable, "-c", "from nlvc_av.cli import transcode_main; transcode_main()",
                           *map(str, args), "--model", "tiny", "-q"], capture_output=True, text=True)


def one_clean_line(r, tmp_path, text):
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("nlvc-transcode: error: ") and text in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.nlvc*")), "nothing is written"


def test_bad_input_one_line_each_nothing_written(tmp_path, cli_env):
    gap = write_sequence(tmp_path / "gap", "dpx", "gbrp10le", "dpx", count=3)
    (gap / "scan_086401.dpx").unlink()
    one_clean_line(cli(gap, tmp_path / "a.nlvc"), tmp_path, "1 frame missing from the numbering (86401")

    mixed = write_sequence(tmp_path / "mixed", "tiff", "rgb48le", "tif", count=2)
    write_sequence(mixed, "tiff", "rgb48le", "tif", count=1, first=86402, size=(10, 8))
    one_clean_line(cli(mixed, tmp_path / "a.nlvc"), tmp_path, "12x8")

    bad = write_sequence(tmp_path / "bad", "dpx", "gbrp10le", "dpx", count=2)
    data = bytearray((bad / "scan_086400.dpx").read_bytes())
    data[0:4] = b"XXXX"  # the DPX magic
    (bad / "scan_086400.dpx").write_bytes(bytes(data))
    one_clean_line(cli(bad, tmp_path / "a.nlvc"), tmp_path, "scan_086400.dpx: not a DPX file: its header is damaged")

    (tmp_path / "exr").mkdir()  # a compressed EXR (uncompressed ones are read and rebuilt)
    out = av.open(str(tmp_path / "exr" / "scan_%06d.exr"), "w", format="image2")
    s = out.add_stream("exr", rate=24, options={"compression": "zip16"})
    s.width, s.height, s.pix_fmt = 12, 8, "gbrpf32le"
    out.mux(s.encode(av.VideoFrame(12, 8, "gbrpf32le")))
    out.mux(s.encode())
    out.close()
    one_clean_line(cli(tmp_path / "exr" / "scan_%06d.exr", tmp_path / "a.nlvc"), tmp_path,
                   "scan_000001.exr: compression 3 (uncompressed EXR files are read")



def test_sequence_out_under_its_own_names_and_numbers(tmp_path):
    from nlvc_av.codec.formats import frame_md5
    from nlvc_av.transcode import decode_file
    from nlvc_av.verify import iter_planes

    folder = write_sequence(tmp_path / "s", "dpx", "gbrp10le", "dpx", count=4, first=41)
    (folder / "scan_000043.dpx").unlink()
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny", allow_gaps=True)
    decode_file(tmp_path / "a.nlvc", str(tmp_path / "out") + "/")
    names = ["scan_000041.dpx", "scan_000042.dpx", "scan_000044.dpx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    coded = [frame_md5(p) for p in iter_planes(str(tmp_path / "a.nlvc"))[1]]
    assert [frame_md5(next(iter_planes(str(tmp_path / "out" / n))[1])) for n in names] == coded
    for name in names:  # FFmpeg's own DPX files: its encoder makes the same bytes again
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(Exception, match="not an empty folder"):
        decode_file(tmp_path / "a.nlvc", tmp_path / "full")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sequence_out_of_a_format_png_cannot_store_is_one_line(tmp_path, cli_env):
    from test_highdepth import _mkv, textured

    _mkv(tmp_path / "src.mkv", "yuv420p10le", textured("yuv420p10le", 8, 6, 1), 8, 6)
    encode_file(tmp_path / "src.mkv", tmp_path / "a.nlvc", model="tiny")
    r = subprocess.run([sys.executable, "-c", "from nlvc_av.cli import transcode_main; transcode_main()",
                        str(tmp_path / "a.nlvc"), str(tmp_path / "out") + "/"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "PNG cannot store yuv420p10le (it stores: rgb24" in r.stderr
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_file_literally_named_like_a_pattern_is_that_file(tmp_path):
    from nlvc_av.io.imageseq import is_sequence

    frame = bytes(range(64))
    src = tmp_path / "a%d.y4m"
    assert is_sequence(str(src))  # no such file: a pattern
    src.write_bytes(b"YUV4MPEG2 W8 H8 F25:1 Cmono\nFRAME\n" + frame)
    assert not is_sequence(str(src))
    stats = encode_file(str(src), str(tmp_path / "a.nlvc"), gop=1, model="tiny")
    assert (stats.frames, stats.width, stats.height) == (1, 8, 8)
    assert compare(str(src), str(tmp_path / "a.nlvc"))[0]


@pytest.mark.parametrize("cut", [0, 2])
def test_a_truncated_file_inside_a_sequence_is_named(tmp_path, cli_env, cut):
    seq = write_sequence(tmp_path / "dtr", "dpx", "gbrp10le", "dpx", count=4, first=1, size=(32, 16))
    bad = seq / f"scan_{cut + 1:06d}.dpx"
    bad.write_bytes(bad.read_bytes()[:-200])  # cut inside the pixels: the header is intact
    for src in (seq, seq / "scan_%06d.dpx"):
        one_clean_line(cli(src, tmp_path / "a.nlvc"), tmp_path, f"error: {bad}: ")
