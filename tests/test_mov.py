"""QuickTime/MOV files kept byte for byte (io/mov.py, with aviread.py/aviwrite.py): encode,
restore, cmp; a truncated or lying MOV refused in one line; nlvc verify."""
import hashlib
import struct
import subprocess
import sys
from pathlib import Path

import av
import pytest

from nlvc_av.errors import InputError
from nlvc_av.transcode import decode_file, encode_file

from test_avi import make_capture


def _make_mov(path, codec, pix_fmt, audio="pcm_s16le", frames=3, w=16, h=8):
    make_capture(path, "mov", codec, pix_fmt, audio, frames, w, h, seed=7)


def _atom(data: bytes, kind: bytes) -> int:
    return data.index(kind) - 4


@pytest.mark.parametrize("codec,pix_fmt,audio", [("rawvideo", "uyvy422", "pcm_s16le"),
                                                 ("v210", "yuv422p10le", "pcm_s24le")])
def test_pyav_mov_identical(tmp_path, codec, pix_fmt, audio):
    src = tmp_path / "capture.mov"
    _make_mov(src, codec, pix_fmt, audio)
    nlvc, back = tmp_path / "capture.nlvc", tmp_path / "restored.mov"
    encode_file(src, nlvc)
    decode_file(nlvc, back)
    assert back.read_bytes() == src.read_bytes()
    with pytest.raises(Exception, match="ending in .mov"):  # its bytes are a MOV's: not an .avi
        decode_file(nlvc, tmp_path / "wrong.avi")
    assert not (tmp_path / "wrong.avi").exists()


def _co64(moov: bytes, shift: int) -> bytes:
    """moov's atoms again, each stco as a co64 whose offsets are ``shift`` bytes further (parents resized)."""
    out, at = b"", 0
    while at + 8 <= len(moov):
        size, kind = struct.unpack_from(">I4s", moov, at)
        payload = moov[at + 8:at + size]
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
            payload = _co64(payload, shift)
        elif kind == b"stco":
            n = struct.unpack_from(">I", payload, 4)[0]
            offsets = struct.unpack_from(f">{n}I", payload, 8)
            kind, payload = b"co64", payload[:8] + struct.pack(f">{n}Q", *(o + shift for o in offsets))
        out += struct.pack(">I4s", 8 + len(payload), kind) + payload
        at += size
    return out


def test_moov_first_and_co64_identical(tmp_path):
    """moov before mdat, its chunk offsets as co64, the mdat's size in 64 bits: still identical."""
    plain = tmp_path / "plain.mov"
    _make_mov(plain, "rawvideo", "uyvy422")
    data = plain.read_bytes()
    mdat, moov = _atom(data, b"mdat"), _atom(data, b"moov")
    head, body = data[:mdat], data[mdat + 8:moov]
    shift = len(_co64(data[moov:], 0)) + 8  # moov moves before mdat, whose header grows from 8 to 16 bytes
    new = head + _co64(data[moov:], shift) + struct.pack(">I4sQ", 1, b"mdat", 16 + len(body)) + body
    src = tmp_path / "capture.mov"
    src.write_bytes(new)
    with av.open(str(src)) as f:  # FFmpeg reads the same frames from it
        assert sum(1 for p in f.demux(video=0) if p.size) == 3
    encode_file(src, tmp_path / "x.nlvc")
    decode_file(tmp_path / "x.nlvc", tmp_path / "back.mov")
    assert (tmp_path / "back.mov").read_bytes() == new


@pytest.mark.parametrize("damage", ["truncated", "lying_offset", "lying_size"])
def test_bad_mov_refused_in_one_line(tmp_path, damage):
    src = tmp_path / "capture.mov"
    _make_mov(src, "v210", "yuv422p10le", "pcm_s24le")
    data = bytearray(src.read_bytes())
    if damage == "truncated":
        data = data[:len(data) - 40]
    elif damage == "lying_offset":
        k = data.index(b"stco")
        struct.pack_into(">I", data, k + 12, len(data) - 10)  # the first video chunk past the end
    else:
        k = data.index(b"stsz")
        struct.pack_into(">I", data, k + 8, 1000)  # a frame of 1000 bytes
    src.write_bytes(bytes(data))
    with pytest.raises(InputError):
        encode_file(src, tmp_path / "x.nlvc")
    assert not (tmp_path / "x.nlvc").exists()
    tool = Path(sys.executable).parent / "nlvc-transcode"
    cli = subprocess.run([str(tool), str(src), str(tmp_path / "y.nlvc")], capture_output=True, text=True)
    assert cli.returncode != 0 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert "byte for byte" in cli.stderr and not (tmp_path / "y.nlvc").exists()


def test_verify_the_whole_mov(tmp_path):
    from nlvc_av.verify import check_file

    src = tmp_path / "capture.mov"
    _make_mov(src, "rawvideo", "uyvy422", "pcm_s24le")
    encode_file(src, tmp_path / "x.nlvc", check=True)
    report = check_file(str(tmp_path / "x.nlvc"))
    assert report["ok"], report["lines"]
    assert ("capture.mov", hashlib.md5(src.read_bytes()).hexdigest(), True) in report["files"]
