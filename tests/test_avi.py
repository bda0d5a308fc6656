"""AVI files kept byte for byte (io/avi.py, aviread.py, aviwrite.py): encode, restore, cmp."""
from pathlib import Path

import av
import numpy as np
import pytest

from nlvc_av.transcode import decode_file, encode_file

ARCHIVE = Path(__file__).resolve().parents[2] / "shared/data/archive/Formats/AVI/Features"


def make_capture(path, container, codec, pix_fmt, audio="pcm_s16le", frames=3, w=16, h=8, seed=5):
    """A capture written by PyAV: random frames in ``pix_fmt`` and stereo 48 kHz PCM (16 or 24 bits)."""
    rng = np.random.default_rng(seed)
    fmt, dtype = {"pcm_s16le": ("s16", np.int16), "pcm_s24le": ("s32", np.int32)}[audio]
    with av.open(str(path), "w", format=container) as out:
        vs = out.add_stream(codec, rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        a = out.add_stream(audio, rate=48000)
        a.layout = "stereo"
        for k in range(frames):
            src = av.VideoFrame.from_ndarray(rng.integers(0, 255, (h, w, 3), np.uint8), format="rgb24")
            for p in vs.encode(src.reformat(format=pix_fmt)):
                out.mux(p)
            samples = rng.integers(-3000, 3000, (1, 1920 * 2)).astype(dtype)
            if fmt == "s32":
                samples <<= 8  # 24 bits used
            af = av.AudioFrame.from_ndarray(samples, format=fmt, layout="stereo")
            af.sample_rate, af.pts = 48000, k * 1920
            for p in a.encode(af):
                out.mux(p)
        for s in (vs, a):
            for p in s.encode(None):
                out.mux(p)


def _make_avi(path, codec, pix_fmt, audio="pcm_s16le", frames=3, w=16, h=8):
    make_capture(path, "avi", codec, pix_fmt, audio, frames, w, h, seed=5)


def _round_trip(src: Path, tmp_path: Path) -> tuple[Path, Path]:
    nlvc, back = tmp_path / "x.nlvc", tmp_path / "back.avi"
    encode_file(src, nlvc)
    decode_file(nlvc, back)
    return nlvc, back


@pytest.mark.parametrize("codec,pix_fmt", [("v210", "yuv422p10le"), ("rawvideo", "uyvy422")])
def test_pyav_avi_identical(tmp_path, codec, pix_fmt):
    src = tmp_path / "capture.avi"
    _make_avi(src, codec, pix_fmt)
    nlvc, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == src.read_bytes()
    decode_file(nlvc, tmp_path / "view.mkv")  # the .mkv for viewing keeps working
    assert (tmp_path / "view.mkv").stat().st_size > 0


def test_flipped_byte_refused(tmp_path):
    src = tmp_path / "capture.avi"
    _make_avi(src, "v210", "yuv422p10le")
    data = bytearray(src.read_bytes())
    data[4] ^= 0xFF  # the RIFF size
    src.write_bytes(bytes(data))
    from nlvc_av.errors import InputError
    with pytest.raises(InputError):
        encode_file(src, tmp_path / "x.nlvc")
    assert not (tmp_path / "x.nlvc").exists()


@pytest.mark.parametrize("name", ["v210_padding/4x4.avi", "2GB+/AVIX.avi"])
def test_archive_avi_identical(tmp_path, name):
    src = ARCHIVE / name
    if not src.exists():
        pytest.skip(f"{src} absent")
    _, back = _round_trip(src, tmp_path)
    assert back.read_bytes() == src.read_bytes()


def test_verify_and_check_rebuild_the_whole_avi(tmp_path):
    """nlvc verify rebuilds every frame's range with the sound its map takes (op 7) and checks
    the whole file's MD5; --check does it before the file is put in place."""
    import container
    from nlvc_av.verify import check_file

    src = tmp_path / "capture.avi"
    _make_avi(src, "v210", "yuv422p10le")
    encode_file(src, tmp_path / "x.nlvc", check=True)
    report = check_file(str(tmp_path / "x.nlvc"))
    assert report["ok"], report["lines"]
    assert ("capture.avi", __import__("hashlib").md5(src.read_bytes()).hexdigest(), True) in report["files"]
    data = bytearray((tmp_path / "x.nlvc").read_bytes())
    with container.open(tmp_path / "x.nlvc") as r:
        packet = next(p for c in r.iter_clusters() for p in c.packets if len(p.data) > 32)
    at = bytes(data).index(packet.data)
    data[at + len(packet.data) // 2] ^= 0x01  # a byte of the sound
    (tmp_path / "bad.nlvc").write_bytes(bytes(data))
    report = check_file(str(tmp_path / "bad.nlvc"))
    assert not report["ok"] and "capture.avi" in report["source_files"]["mismatch"]
