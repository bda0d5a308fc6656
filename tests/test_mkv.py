"""Matroska captures kept byte for byte (io/mkv.py, with aviread.py/aviwrite.py): V_UNCOMPRESSED
video and PCM sound encoded, restored, cmp; --playback writes FFV1; laced sound blocks and a
live-written file (unknown sizes); bad files refused in one line; other .mkv files go through
FFmpeg as before; nlvc verify and --check rebuild the whole file."""
import hashlib
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from nlvc_av.errors import InputError, OutputError
from nlvc_av.io import mkv
from nlvc_av.io.avi import VIDEO_PAYLOAD
from nlvc_av.io.packing import pixel_stream
from nlvc_av.io.rebuild_ops import RebuildError
from nlvc_av.transcode import decode_file, encode_file

TOOL = Path(sys.executable).parent / "nlvc-transcode"
AUDIO = {"pcm_s16le": ("s16", np.int16, 0), "pcm_s16be": ("s16", np.int16, 0), "pcm_s24le": ("s32", np.int32, 8),
         "pcm_s32le": ("s32", np.int32, 0), "pcm_f32le": ("flt", np.float32, 0), "pcm_u8": ("u8", np.uint8, 0)}


def make_mkv(path, pix_fmt="uyvy422", audio="pcm_s16le", frames=3, w=32, h=16, channels=2, payloads=None):
    """A Matroska capture written by PyAV: smooth frames in ``pix_fmt`` (or, with ``payloads``, frames
    whose bytes are those) and 48 kHz PCM (``audio``: a codec, a tuple of codecs (a track each) or
    None: no sound)."""
    rng = np.random.default_rng(3)
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w", format="matroska") as out:
        vs = out.add_stream("rawvideo", rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        tracks = [(codec, out.add_stream(codec, rate=48000)) for codec in
                  ((audio,) if isinstance(audio, str) else audio or ())]
        for _, a in tracks:
            a.layout = layout
        yy, xx = np.mgrid[0:h, 0:w]
        for k in range(frames):
            if payloads is not None:
                frame = av.VideoFrame(w, h, pix_fmt)
                frame.planes[0].update(payloads[k])
            else:
                rgb = np.stack([(xx * 4 + k) % 256, (yy * 8 + 2 * k) % 256, (xx + yy + 40) % 256], -1).astype(np.uint8)
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            frame.pts = k
            for p in vs.encode(frame):
                out.mux(p)
            for n, (codec, a) in enumerate(tracks):
                fmt, dtype, shift = AUDIO[codec]
                t = np.arange(k * 1920, (k + 1) * 1920)
                wave = np.sin(t * 0.02 * (n + 1))[:, None] * np.array([0.3, 0.2][:channels]) \
                    + rng.normal(0, 1e-3, (1920, channels))
                if dtype == np.float32:
                    samples = wave.astype(np.float32)
                elif dtype == np.uint8:
                    samples = (128 + wave * 100).astype(np.uint8)
                else:
                    samples = (wave * (1 << (8 * np.dtype(dtype).itemsize - 1 - shift))).astype(dtype) << shift
                af = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format=fmt, layout=layout)
                af.sample_rate, af.pts = 48000, k * 1920
                for p in a.encode(af):
                    out.mux(p)
        for s in [vs] + [a for _, a in tracks]:
            for p in s.encode(None):
                out.mux(p)


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(TOOL), "-q", *map(str, args)], capture_output=True, text=True)


def _round_trip(src: Path, tmp_path: Path) -> tuple[Path, Path]:
    nlvc, back = tmp_path / "x.nlvc", tmp_path / "back.mkv"
    encode_file(src, nlvc)
    decode_file(nlvc, back)
    return nlvc, back


def test_cli_round_trip_identical_and_smaller(tmp_path):
    """nlvc-transcode x.mkv x.nlvc; nlvc-transcode x.nlvc back.mkv: the same bytes; the .nlvc smaller;
    --playback: FFV1 and the sound."""
    src = tmp_path / "capture.mkv"
    make_mkv(src, "uyvy422", "pcm_s16le", frames=4, w=64, h=32)
    nlvc, back = tmp_path / "capture.nlvc", tmp_path / "back.mkv"
    for args in ((src, nlvc), (nlvc, back)):
        run = _cli(*args)
        assert run.returncode == 0, run.stderr
    assert back.read_bytes() == src.read_bytes()
    assert nlvc.stat().st_size < src.stat().st_size
    run = _cli(nlvc, tmp_path / "view.mkv", "--playback")
    assert run.returncode == 0, run.stderr
    with av.open(str(tmp_path / "view.mkv")) as f:  # (the sound as stored: FLAC here, or Matroska PCM)
        assert [(s.type, s.codec_context.name in ("ffv1", "flac", "pcm_s16le")) for s in f.streams] == \
            [("video", True), ("audio", True)] and f.streams.video[0].codec_context.name == "ffv1"
    run = _cli(nlvc, tmp_path / "view.y4m", "--playback")  # --playback goes with a .mkv
    assert run.returncode == 2 and not (tmp_path / "view.y4m").exists()


@pytest.mark.parametrize("pix_fmt,audio,channels,sound", [
    ("uyvy422", "pcm_s24le", 2, (24, "int", True, "le")), ("yuyv422", "pcm_s16be", 1, (16, "int", True, "be")),
    ("yvyu422", "pcm_f32le", 2, (32, "float", True, "le")), ("uyvy422", "pcm_u8", 2, (8, "int", False, "le")),
    ("uyvy422", "pcm_s32le", 1, (32, "int", True, "le")), ("uyvy422", None, 2, None),
    ("uyvy422", ("pcm_s16le", "pcm_s24le"), 2, (16, "int", True, "le"))])  # (two tracks: op 7 runs through both)
def test_pyav_mkv_identical(tmp_path, pix_fmt, audio, channels, sound):
    src = tmp_path / "capture.mkv"
    make_mkv(src, pix_fmt, audio, channels=channels)
    layout = mkv.read_layout(src.read_bytes())
    s = layout.sound
    assert (s and (s["bits"], s["kind"], s["signed"], s["byte_order"])) == sound
    assert len(layout.pcm_streams()) == (len(audio) if isinstance(audio, tuple) else audio is not None)
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == src.read_bytes()
    with pytest.raises(OutputError, match="ending in .mkv"):  # its bytes are a Matroska file's: not an .avi
        decode_file(tmp_path / "x.nlvc", tmp_path / "wrong.avi")
    assert not (tmp_path / "wrong.avi").exists()


@pytest.mark.parametrize("pix_fmt,fourcc", [("nv12", b"NV12"), ("nv21", b"NV21"), ("y210le", b"Y210")])
def test_other_capture_layouts_identical(tmp_path, pix_fmt, fourcc):
    """Every packing io/avi.py knows is kept in a Matroska file too (its UncompressedFourCC as FFmpeg writes it)."""
    from nlvc_av.io.avi import VIDEO

    if fourcc not in VIDEO:
        pytest.skip(f"io/avi.py does not pack {fourcc!r}")
    src = tmp_path / "capture.mkv"
    make_mkv(src, pix_fmt, "pcm_s16le")
    assert mkv.read_layout(src.read_bytes()).fourcc == fourcc
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == src.read_bytes()


def test_v210_identical(tmp_path):
    """V_UNCOMPRESSED 'v210' (48 pixels of a row in 128 bytes): made as UYVY frames of v210 words,
    its fourcc and width then patched."""
    from nlvc_av.io.avi import VIDEO

    w, h = 48, 8
    packing = {**VIDEO[b"v210"][1], "row_bytes": 128}
    rng = np.random.default_rng(1)
    payloads = [pixel_stream([rng.integers(0, 1024, (h, w), np.uint16), rng.integers(0, 1024, (h, w // 2), np.uint16),
                              rng.integers(0, 1024, (h, w // 2), np.uint16)], packing, w, h) for _ in range(2)]
    plain = tmp_path / "plain.mkv"
    make_mkv(plain, "uyvy422", "pcm_s16le", frames=2, w=64, h=h, payloads=payloads)
    data = bytearray(plain.read_bytes())
    k = data.index(b"\x2e\xb5\x24\x84UYVY")
    data[k + 4:k + 8] = b"v210"
    k = data.index(b"\xb0\x81\x40")  # PixelWidth 64 -> 48
    data[k + 2] = w
    src = tmp_path / "capture.mkv"
    src.write_bytes(bytes(data))
    layout = mkv.read_layout(bytes(data))
    assert (layout.fourcc, layout.width, layout.pix_fmt) == (b"v210", 48, "yuv422p10le")
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == bytes(data)


def _elements(data, start, end):
    """(id, header start, payload start, payload end) of each element in a span (test helper)."""
    at = start
    while at < end:
        n = 1
        while not data[at] & (0x80 >> (n - 1)):
            n += 1
        eid = int.from_bytes(data[at:at + n], "big")
        m = 1
        while not data[at + n] & (0x80 >> (m - 1)):
            m += 1
        size = int.from_bytes(data[at + n:at + n + m], "big") & ((1 << (7 * m)) - 1)
        yield eid, at, at + n + m, at + n + m + size
        at += n + m + size


def _structure(data):
    """The Segment and the Clusters, each with its SimpleBlocks: (block header start, payload
    start, payload end, track number)."""
    segment = next(e for e in _elements(data, 0, len(data)) if e[0] == mkv.SEGMENT)
    clusters = [(c, [(b[1], b[2], b[3], data[b[2]] & 0x7F) for b in _elements(data, c[2], c[3]) if b[0] == 0xA3])
                for c in _elements(data, segment[2], segment[3]) if c[0] == mkv.CLUSTER]
    return segment, clusters


def _resize(data: bytearray, element, delta: int) -> None:
    """The element's size vint (its length kept) grown by ``delta``."""
    eid, head, payload, end = element
    n = 1
    while not data[head] & (0x80 >> (n - 1)):
        n += 1
    m = payload - head - n
    value = (end - payload + delta) | (1 << (7 * m))
    data[head + n:payload] = value.to_bytes(m, "big")


def _laced(src: Path, track: int) -> bytes:
    """The file with the first block of ``track`` made a fixed-size lace of one frame (its lace
    header a byte; the block, its Cluster and the Segment one byte longer)."""
    data = bytearray(src.read_bytes())
    segment, clusters = _structure(data)
    cluster, blocks = next((c, b) for c, b in clusters if any(x[3] == track for x in b))
    head, payload, end, _ = next(b for b in blocks if b[3] == track)
    data[payload + 3] |= 0x04  # lacing: fixed-size
    data.insert(payload + 4, 0)  # one frame in the lace
    for element in (segment, cluster, (0xA3, head, payload, end)):
        _resize(data, element, 1)
    return bytes(data)


def test_laced_sound_blocks_identical_laced_video_refused(tmp_path):
    plain = tmp_path / "plain.mkv"
    make_mkv(plain, "uyvy422", "pcm_s16le")
    src = tmp_path / "capture.mkv"
    src.write_bytes(_laced(plain, 2))
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == src.read_bytes()
    with pytest.raises(RebuildError, match="laced"):
        mkv.read_layout(_laced(plain, 1))


def test_live_written_unknown_sizes_identical(tmp_path):
    """A Segment and Clusters of unknown size (a file written live): still identical."""
    plain = tmp_path / "plain.mkv"
    make_mkv(plain, "uyvy422", "pcm_s24le")
    data = bytearray(plain.read_bytes())
    segment, clusters = _structure(data)
    for eid, head, payload, _ in [segment] + [c for c, _ in clusters]:
        m = payload - head - 4  # (4-byte IDs) the size's bytes: its marker and every data bit set
        data[head + 4:payload] = ((1 << (7 * m + 1)) - 1).to_bytes(m, "big")
    src = tmp_path / "capture.mkv"
    src.write_bytes(bytes(data))
    assert mkv.read_layout(bytes(data)).frames == 3
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == bytes(data)


def _short_video_block(data: bytearray) -> None:
    """The first video SimpleBlock 10 bytes shorter, its last 10 bytes an EBML Void (a valid file)."""
    _, clusters = _structure(data)
    head, payload, end, _ = next(b for _, blocks in clusters for b in blocks if b[3] == 1)
    _resize(data, (0xA3, head, payload, end), -10)
    data[end - 10:end - 8] = b"\xec\x88"


@pytest.mark.parametrize("damage", ["cut", "lying_size", "short_block", "width"])
def test_bad_mkv_refused_in_one_line(tmp_path, damage):
    src = tmp_path / "capture.mkv"
    make_mkv(src, "uyvy422", "pcm_s16le")
    data = bytearray(src.read_bytes())
    if damage == "cut":
        data = data[:len(data) // 2]
    elif damage == "lying_size":
        _, clusters = _structure(data)
        _resize(data, clusters[0][0], 3000)  # the first Cluster claims bytes past the Segment
    elif damage == "short_block":
        _short_video_block(data)
    else:
        k = data.index(b"\xb0\x81\x20")  # PixelWidth 32 -> 30: each frame block is the wrong size
        data[k + 2] = 30
    src.write_bytes(bytes(data))
    with pytest.raises(InputError, match="byte for byte"):
        encode_file(src, tmp_path / "x.nlvc")
    assert not (tmp_path / "x.nlvc").exists()
    run = _cli(src, tmp_path / "y.nlvc")
    assert run.returncode != 0 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "byte for byte" in run.stderr and "Traceback" not in run.stderr and not (tmp_path / "y.nlvc").exists()


def test_max_frames_refused_for_a_kept_mkv(tmp_path):
    src = tmp_path / "capture.mkv"
    make_mkv(src, "uyvy422", "pcm_s16le")
    with pytest.raises(InputError, match="a Matroska file kept byte for byte is kept whole"):
        encode_file(src, tmp_path / "x.nlvc", max_frames=2)
    assert not (tmp_path / "x.nlvc").exists()
    encode_file(src, tmp_path / "x.nlvc", max_frames=2, pixels_only=True)  # (its first frames, by FFmpeg)


def test_pixels_only_codes_frames_and_sound(tmp_path):
    """--pixels-only: FFmpeg reads the frames and the sound, the restore is FFV1 (a refused file too)."""
    plain = tmp_path / "plain.mkv"
    make_mkv(plain, "uyvy422", "pcm_s16le")
    src = tmp_path / "capture.mkv"
    src.write_bytes(_laced(plain, 1))  # (a laced video block: refused whole; FFmpeg reads its frames)
    with pytest.raises(InputError, match="laced"):
        encode_file(src, tmp_path / "x.nlvc")
    nlvc, back = tmp_path / "x.nlvc", tmp_path / "back.mkv"
    encode_file(src, nlvc, pixels_only=True)
    decode_file(nlvc, back)
    with av.open(str(back)) as f:
        assert [s.codec_context.name for s in f.streams] == ["ffv1", "pcm_s16le"]
    from nlvc_av.verify import compare

    identical, message = compare(str(plain), str(nlvc))  # (the laced file's frames are the plain file's)
    assert identical, message


def test_other_mkv_goes_through_ffmpeg(tmp_path):
    """An .mkv whose video this does not keep (planar I420 here; FFV1, H.264...) reads as before:
    restored as FFV1, the same frames."""
    src = tmp_path / "planar.mkv"
    make_mkv(src, "yuv420p", "pcm_s16le")
    assert mkv.read_layout(src.read_bytes()) is None
    nlvc, back = _round_trip(src, tmp_path)
    with av.open(str(back)) as f:
        assert f.streams.video[0].codec_context.name == "ffv1"
    from nlvc_av.verify import compare

    assert compare(str(src), str(back))[0]


@pytest.mark.parametrize("audio", ["pcm_s24le", ("pcm_s16le", "pcm_f32le")])
def test_verify_and_check_rebuild_the_whole_mkv(tmp_path, audio):
    from nlvc_av.verify import check_file

    src = tmp_path / "capture.mkv"
    make_mkv(src, "uyvy422", audio)
    encode_file(src, tmp_path / "x.nlvc", check=True)
    report = check_file(str(tmp_path / "x.nlvc"))
    assert report["ok"], report["lines"]
    assert ("capture.mkv", hashlib.md5(src.read_bytes()).hexdigest(), True) in report["files"]
    run = subprocess.run([str(TOOL.parent / "nlvc"), "verify", str(tmp_path / "x.nlvc")], capture_output=True, text=True)
    assert run.returncode == 0 and "intact" in run.stdout, run.stderr


def test_layout_ranges_cover_the_file(tmp_path):
    src = tmp_path / "capture.mkv"
    make_mkv(src, "uyvy422", "pcm_s16le")
    data = src.read_bytes()
    layout = mkv.read_layout(data)
    assert layout.container == "Matroska" and layout.rate == 25 and layout.frames == 3
    assert layout.ranges[0][1] == 0 and sum(r[2] for r in layout.ranges) == len(data)
    assert all(a[1] + a[2] == b[1] for a, b in zip(layout.ranges, layout.ranges[1:]))
    assert [r[2] for r in layout.ranges if r[0] == VIDEO_PAYLOAD] == [32 * 16 * 2] * 3
    assert layout.sound == {"sample_rate": 48000, "channels": 2, "bits": 16, "kind": "int", "signed": True,
                            "byte_order": "le"}
    assert mkv.read_layout(b"RIFF....AVI ") is None
    assert struct.pack(">I", mkv.EBML) == data[:4]


def test_recover_of_a_damaged_file_writes_ffv1_beside(tmp_path):
    """--recover when the kept .mkv cannot come back: nothing at back.mkv, every intact GOP in
    back.ffv1.mkv (FFV1), exit 3."""
    src, nlvc = tmp_path / "capture.mkv", tmp_path / "x.nlvc"
    make_mkv(src, "uyvy422", "pcm_s16le", frames=6)
    assert _cli("--gop", "2", src, nlvc).returncode == 0
    data = nlvc.read_bytes()
    (tmp_path / "bad.nlvc").write_bytes(data[:len(data) * 3 // 4])
    run = _cli("--recover", tmp_path / "bad.nlvc", tmp_path / "back.mkv")
    assert run.returncode == 3 and "Traceback" not in run.stderr, run.stderr
    assert not (tmp_path / "back.mkv").exists() and "capture.mkv cannot be rebuilt byte for byte" in run.stderr
    with av.open(str(tmp_path / "back.ffv1.mkv")) as f:
        assert f.streams.video[0].codec_context.name == "ffv1"
    run = _cli("--recover", nlvc, tmp_path / "whole.mkv")  # (an intact file: the capture itself)
    assert run.returncode == 0 and (tmp_path / "whole.mkv").read_bytes() == src.read_bytes()
