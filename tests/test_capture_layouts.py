"""Capture and camera layouts (uyvy422, nv12, p010le, y210le, x2rgb10le, v410's v30xle...):
FFmpeg's byte layouts read into the coded planes and written back, the refusal of words whose
unused bits are set, and whole files written by PyAV coded and restored exactly."""
from __future__ import annotations

import struct

import av
import numpy as np
import pytest
from click.testing import CliRunner

from nlvc_av import transcode
from nlvc_av.cli import transcode_main
from nlvc_av.codec import formats as P
from nlvc_av.codec import layouts
from nlvc_av.errors import UnsupportedPixelFormatError
from nlvc_av.io.frames import frame_planes, to_frame
from nlvc_av.verify import compare


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from nlvc_av.codec import nets

    nets.set_threads(1)


def raw_frame(pix_fmt: str, width: int, height: int, rows_of_bytes: list[bytes]) -> av.VideoFrame:
    """An av.VideoFrame whose planes hold these bytes (one bytes object per plane row list)."""
    frame = av.VideoFrame(width, height, pix_fmt)
    for plane, rows in zip(frame.planes, rows_of_bytes):
        buf = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        for r, row in enumerate(rows):
            buf[r, : len(row)] = np.frombuffer(row, np.uint8)
    return frame


# --------------------------------------------------------------------------- FFmpeg's byte layouts


@pytest.mark.parametrize("pix_fmt,order", [("uyvy422", "UYVY"), ("yuyv422", "YUYV"), ("yvyu422", "YVYU")])
def test_packed_422_bytes(pix_fmt, order):
    y, u, v = [10, 11, 12, 13], [20, 21], [30, 31]
    row = b""
    for pair in range(2):
        values = {"Y": None, "U": u[pair], "V": v[pair]}
        lumas = iter(y[2 * pair: 2 * pair + 2])
        row += bytes(next(lumas) if c == "Y" else values[c] for c in order)
    planes = frame_planes(raw_frame(pix_fmt, 4, 1, [[row]]))
    assert [p.tolist() for p in planes] == [[y], [u], [v]]


@pytest.mark.parametrize("pix_fmt,shift", [("y210le", 6), ("y212le", 4), ("y216le", 0)])
def test_y210_words_hold_samples_in_their_high_bits(pix_fmt, shift):
    y, u, v = [1000, 3, 512, 77], [1, 1023], [700, 2]
    words = [y[0], u[0], y[1], v[0], y[2], u[1], y[3], v[1]]
    row = struct.pack("<8H", *(w << shift for w in words))
    planes = frame_planes(raw_frame(pix_fmt, 4, 1, [[row]]))
    assert [p.tolist() for p in planes] == [[y], [u], [v]] and planes[0].dtype == np.uint16


@pytest.mark.parametrize("pix_fmt,swap,sub", [("nv12", False, 2), ("nv21", True, 2), ("nv16", False, 1),
                                              ("nv24", False, 0), ("nv42", True, 0)])
def test_semi_planar_chroma_pairs(pix_fmt, swap, sub):
    w, h = 4, 2
    cw, ch = (2, 1) if sub == 2 else (2, 2) if sub == 1 else (4, 2)
    y = np.arange(w * h, dtype=np.uint8).reshape(h, w) + 100
    u = np.arange(cw * ch, dtype=np.uint8).reshape(ch, cw) + 10
    v = np.arange(cw * ch, dtype=np.uint8).reshape(ch, cw) + 50
    first, second = (v, u) if swap else (u, v)
    pairs = np.stack([first, second], axis=2).reshape(ch, 2 * cw)
    frame = raw_frame(pix_fmt, w, h, [[r.tobytes() for r in y], [r.tobytes() for r in pairs]])
    planes = frame_planes(frame)
    assert [p.tolist() for p in planes] == [y.tolist(), u.tolist(), v.tolist()]


@pytest.mark.parametrize("pix_fmt,shift,endian", [("p010le", 6, "<"), ("p010be", 6, ">"), ("p016le", 0, "<"),
                                                  ("p210le", 6, "<"), ("p012le", 4, "<")])
def test_p010_words(pix_fmt, shift, endian):
    sub = pix_fmt[1]
    w, h = 2, 2
    ch = 1 if sub == "0" else 2
    y = [[1, 1023], [512, 0]]
    u, v = [[5] * 1] * ch, [[1000] * 1] * ch
    luma = [struct.pack(f"{endian}2H", *(s << shift for s in r)) for r in y]
    chroma = [struct.pack(f"{endian}2H", u[r][0] << shift, v[r][0] << shift) for r in range(ch)]
    planes = frame_planes(raw_frame(pix_fmt, w, h, [luma, chroma]))
    assert [p.tolist() for p in planes] == [y, u, v]


@pytest.mark.parametrize("pix_fmt,fields", [
    ("x2rgb10le", {"R": 20, "G": 10, "B": 0}), ("x2bgr10le", {"B": 20, "G": 10, "R": 0}),
    ("xv30le", {"V": 20, "Y": 10, "U": 0}), ("v30xle", {"V": 22, "Y": 12, "U": 2})])
def test_ten_bit_words(pix_fmt, fields):
    values = {"R": 1000, "G": 3, "B": 512, "Y": 1000, "U": 3, "V": 512}
    word = sum(values[c] << offset for c, offset in fields.items())
    planes = frame_planes(raw_frame(pix_fmt, 1, 1, [[struct.pack("<I", word)]]))
    coded = ["G", "B", "R"] if "R" in fields else ["Y", "U", "V"]
    assert [int(p[0, 0]) for p in planes] == [values[c] for c in coded]
    assert P.lookup(pix_fmt).coding_pix_fmt == ("gbrp10le" if "R" in fields else "yuv444p10le")


@pytest.mark.parametrize("pix_fmt", sorted(layouts.LAYOUTS))
@pytest.mark.parametrize("size", [(6, 4), (5, 3), (1, 1)])
def test_every_layout_round_trips_through_its_planes(pix_fmt, size):
    """Planes -> the layout's frame -> planes, every value of the depth possible, odd sizes too;
    and the frame's buffer holds only what the planes say (the picture's bytes are rebuilt)."""
    w, h = size
    fmt = P.lookup(pix_fmt)
    rng = np.random.default_rng(7)
    planes = [rng.integers(0, 1 << fmt.bit_depth, s).astype(fmt.dtype) for s in P.plane_shapes(fmt, w, h)]
    frame = to_frame(planes, pix_fmt, w, h)
    assert frame.format.name == pix_fmt
    back = frame_planes(frame)
    assert all(np.array_equal(a, b) and b.flags.c_contiguous for a, b in zip(planes, back))
    again = to_frame(back, pix_fmt, w, h)
    word = layouts.LAYOUTS[pix_fmt].word
    for p, q, words in zip(frame.planes, again.planes, layouts.pack(pix_fmt, planes, w, h)):
        rows, used = words.shape[0], words.shape[1] * word  # the picture's bytes (not line padding)
        a, b = (np.frombuffer(x, np.uint8).reshape(-1, x.line_size)[:rows, :used] for x in (p, q))
        assert np.array_equal(a, b)


@pytest.mark.parametrize("pix_fmt,poke,what", [
    ("p010le", lambda words: words.__setitem__((0, 0), 0x0041), "low 6 bits"),
    ("y210le", lambda words: words.__setitem__((0, 1), 0x8001), "low 6 bits"),
    ("p012le", lambda words: words.__setitem__((0, 0), 0x0008), "low 4 bits"),
    ("nv20le", lambda words: words.__setitem__((0, 0), 0x0400), "high 6 bits"),
    ("x2rgb10le", lambda words: words.__setitem__((0, 0), 0x40000000), "2 padding bits"),
    ("v30xle", lambda words: words.__setitem__((0, 0), 0x00000001), "2 padding bits"),
])
def test_unused_bits_set_are_refused_naming_the_layout(pix_fmt, poke, what):
    fmt = P.lookup(pix_fmt)
    frame = to_frame([np.zeros(s, fmt.dtype) for s in P.plane_shapes(fmt, 4, 2)], pix_fmt, 4, 2)
    word = layouts.LAYOUTS[pix_fmt].word
    plane = frame.planes[0]
    poke(np.frombuffer(plane, np.dtype(f"<u{word}")).reshape(-1, plane.line_size // word))
    with pytest.raises(UnsupportedPixelFormatError) as info:
        frame_planes(frame, where="clip.avi: frame 0")
    assert str(info.value).startswith(f"clip.avi: frame 0: {pix_fmt}: ") and what in str(info.value)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- whole files


def _samples(fmt: P.PixFmt, shape, index: int, k: int) -> np.ndarray:
    top = (1 << fmt.bit_depth) - 1
    yy, xx = np.mgrid[0: shape[0], 0: shape[1]]
    rng = np.random.default_rng(index * 10 + k)
    base = (xx * 37 + yy * 11 + index * 5 + k * 300) * max(1, top // 255) + rng.integers(0, 4, shape)
    return (base % (top + 1)).astype(fmt.dtype)


def write_clip(path, pix_fmt: str, width: int = 10, height: int = 6, frames: int = 2, codec: str = "rawvideo",
               coded_fmt: str | None = None) -> list[list[np.ndarray]]:
    """A clip PyAV writes: rawvideo in the layout (or ``codec`` from ``coded_fmt`` frames)."""
    fmt = P.lookup(pix_fmt)
    truth = []
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = width, height, coded_fmt or pix_fmt
        for i in range(frames):
            planes = [_samples(fmt, shape, i, k) for k, shape in enumerate(P.plane_shapes(fmt, width, height))]
            truth.append(planes)
            frame = to_frame(planes, coded_fmt or pix_fmt, width, height, pts=i)
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    return truth


FILES = [("uyvy422", ".mov"), ("uyvy422", ".avi"), ("yuyv422", ".mov"), ("yvyu422", ".avi"), ("y210le", ".avi"),
         ("y216le", ".avi"), ("nv12", ".avi"), ("nv21", ".avi"), ("xv30le", ".avi"), ("v30xle", ".mov")]


@pytest.mark.parametrize("pix_fmt,ext", FILES)
def test_capture_file_round_trips_in_its_layout(tmp_path, pix_fmt, ext):
    src = tmp_path / f"src{ext}"
    truth = write_clip(src, pix_fmt, width=11 if pix_fmt in ("uyvy422", "nv12") else 10)
    with av.open(str(src)) as c:  # PyAV wrote the layout and FFmpeg reads it back as such
        assert next(c.decode(video=0)).format.name == pix_fmt
    stats = transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), model="tiny", gop=2)
    assert stats.pix_fmt == pix_fmt and stats.frames == 2
    assert compare(str(src), str(tmp_path / "a.nlvc"))[0]
    transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"))
    ok, message = compare(str(src), str(tmp_path / "back.mkv"))
    assert ok, message
    with av.open(str(tmp_path / "back.mkv")) as c:  # FFV1 holds the planar twin, same samples
        assert c.streams.video[0].codec_context.name == "ffv1"
        assert next(c.decode(video=0)).format.name == P.lookup(pix_fmt).coding_pix_fmt
    import nlvc_av

    with nlvc_av.open(str(tmp_path / "a.nlvc")) as f:  # the API gives frames in the source's layout
        assert f.streams.video[0].pix_fmt == pix_fmt
        frames = list(f.decode(video=0))
    assert [fr.format.name for fr in frames] == [pix_fmt] * 2
    assert [[p.tolist() for p in frame_planes(fr)] for fr in frames] == [[p.tolist() for p in t] for t in truth]
    if P.lookup(pix_fmt).family == "yuv":
        transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.y4m"))
        assert compare(str(src), str(tmp_path / "back.y4m"))[0]


@pytest.mark.parametrize("codec,coded", [("v410", "yuv444p10le"), ("v210", "yuv422p10le"), ("r210", "gbrp10le")])
def test_capture_codecs_decode_to_a_coded_layout(tmp_path, codec, coded):
    """v410 decodes to v30xle (a layout added here), v210 and r210 to planar formats 0.3 codes."""
    src = tmp_path / "src.mov"
    write_clip(src, coded, codec=codec)
    transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), model="tiny", gop=2)
    transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"))
    ok, message = compare(str(src), str(tmp_path / "back.mkv"))
    assert ok, message
    assert compare(str(src), str(tmp_path / "a.nlvc"))[0]


def test_a_word_with_its_low_bits_set_is_refused_and_nothing_written(tmp_path, monkeypatch):
    """A y210le capture whose second frame has a low bit set: one line naming the file, the frame
    and the layout; exit 1; no .nlvc left behind. Kept whole (the default: an AVI 'Y210' is kept byte
    for byte) the rebuild check refuses it; with --pixels-only FFmpeg's frames are, by the layout."""
    src = tmp_path / "src.avi"
    with av.open(str(src), "w") as out:
        s = out.add_stream("rawvideo", rate=25)
        s.width, s.height, s.pix_fmt = 4, 2, "y210le"
        for i in range(2):
            frame = av.VideoFrame(4, 2, "y210le")
            words = np.frombuffer(frame.planes[0], "<u2")
            words[:] = 512 << 6
            if i == 1:
                words[3] |= 1
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    monkeypatch.setenv("NLVC_MODEL", "tiny")
    for extra, line in (([], f"{src}: cannot be kept byte for byte: frame 1: re-packing its pixels does not give the "
                             "file's bytes (bits the Y210 layout does not hold are set)"),
                        (["--pixels-only"], f"{src}: frame 1: y210le: the low 6 bits")):
        result = CliRunner().invoke(transcode_main, [str(src), str(tmp_path / "a.nlvc"), "-q", *extra])
        assert result.exit_code == 1 and "Traceback" not in result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and line in lines[0], result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["src.avi"]
