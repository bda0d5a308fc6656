"""Captures kept whole (AVI/MOV) when the .nlvc is damaged, and in ``nlvc batch``: ``--recover``
writes every intact GOP to FFV1/Matroska beside the destination and says the capture could not
be rebuilt; an intact file still comes back byte for byte."""
from __future__ import annotations

import importlib.util
import re

import pytest
from click.testing import CliRunner

from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.verify import iter_planes
from test_avi import make_capture


def cli(command, args):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """A v210 AVI with stereo PCM, 16 frames in 4 GOPs, and its .nlvc."""
    d = tmp_path_factory.mktemp("capture")
    src, nlvc = d / "cap.avi", d / "cap.nlvc"
    make_capture(src, "avi", "v210", "yuv422p10le", frames=16, w=48, h=16)
    assert cli(transcode_main, ["-q", "--gop", "4", "-j", "1", src, nlvc]).exit_code == 0
    return src, nlvc


def test_recover_on_an_intact_file_gives_the_capture_back(capture, tmp_path, cli_env):
    src, nlvc = capture
    r = cli(transcode_main, ["--recover", nlvc, tmp_path / "back.avi"])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "back.avi").read_bytes() == src.read_bytes()


@pytest.mark.parametrize("damage", ["flip", "cut"])
def test_recover_on_damage_writes_intact_gops_to_mkv_and_says_so(capture, tmp_path, cli_env, damage):
    src, nlvc = capture
    data = bytearray(nlvc.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x5A  # in a GOP's cluster (frames or its sound)
    else:
        del data[len(data) * 3 // 4:]  # the last GOP(s) lost
    bad = tmp_path / "bad.nlvc"
    bad.write_bytes(bytes(data))
    plain = cli(transcode_main, [bad, tmp_path / "plain.avi"])
    assert plain.exit_code == 1 and not (tmp_path / "plain.avi").exists()

    r = cli(transcode_main, ["--recover", bad, tmp_path / "back.avi"])
    assert r.exit_code == 3
    assert not (tmp_path / "back.avi").exists()
    assert "cap.avi cannot be rebuilt byte for byte" in r.stderr
    assert f"every intact GOP written to {tmp_path / 'back.mkv'} (FFV1/Matroska)" in r.stderr
    assert f"nlvc-transcode: {tmp_path / 'back.mkv'}: " in r.stderr  # (the summary names it)
    assert "Traceback" not in r.stderr
    _, frames = iter_planes(tmp_path / "back.mkv")
    written = int(re.search(r"data lost: (\d+) frames of", r.stderr).group(1))
    assert 4 <= written < 16 and len(list(frames)) == written  # (every intact GOP, not the lost one)


def test_recover_does_not_replace_an_existing_mkv(capture, tmp_path, cli_env):
    src, nlvc = capture
    data = nlvc.read_bytes()
    (tmp_path / "bad.nlvc").write_bytes(data[: len(data) * 3 // 4])
    (tmp_path / "back.mkv").write_bytes(b"mine")
    r = cli(transcode_main, ["--recover", tmp_path / "bad.nlvc", tmp_path / "back.avi"])
    assert r.exit_code == 1 and "already exists" in r.stderr
    assert (tmp_path / "back.mkv").read_bytes() == b"mine" and not (tmp_path / "back.avi").exists()


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="Dask distributed is not installed")
def test_batch_keeps_avi_and_mov_captures_whole(tmp_path, cli_env):
    avi, mov = tmp_path / "a.avi", tmp_path / "m.mov"
    make_capture(avi, "avi", "v210", "yuv422p10le", frames=6, w=48, h=16, audio="pcm_s24le")
    make_capture(mov, "mov", "rawvideo", "uyvy422", frames=6, w=48, h=16)
    out = tmp_path / "out"
    r = CliRunner().invoke(nlvc_main, ["batch", str(avi), str(mov), "--out", str(out), "--workers", "2",
                                       "--gop", "2", "--model", "default", "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    for src in (avi, mov):
        back = tmp_path / f"back{src.suffix}"
        assert cli(transcode_main, ["-q", out / f"{src.stem}.nlvc", back]).exit_code == 0
        assert back.read_bytes() == src.read_bytes()
