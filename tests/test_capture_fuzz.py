"""Damaged captures (AVI, MOV, MKV): whatever the bytes, reading a capture to keep it whole
gives the capture, None (not one NLVC keeps: FFmpeg reads it) or one InputError line, never
another exception; on the command line a damaged capture is one line, exit 1, nothing written."""
from __future__ import annotations

import random
import subprocess
import sys

import pytest

from nlvc_av.errors import InputError
from nlvc_av.io.aviread import avi_input
from test_avi import make_capture

CASES = 80


@pytest.fixture(scope="module", params=[("avi", "v210", "yuv422p10le"), ("mov", "rawvideo", "uyvy422"),
                                        ("matroska", "rawvideo", "uyvy422")], ids=["avi", "mov", "mkv"])
def capture(request, tmp_path_factory):
    container, codec, pix_fmt = request.param
    path = tmp_path_factory.mktemp("fuzz") / ("c." + {"matroska": "mkv"}.get(container, container))
    make_capture(path, container, codec, pix_fmt, audio="pcm_s24le", frames=3, w=48, h=4)
    return path


def mutations(data: bytes, seed: int):
    rng = random.Random(seed)
    for k in range(CASES):
        d = bytearray(data)
        how = k % 4
        if how == 0:  # cut anywhere
            del d[rng.randrange(1, len(d)):]
        elif how == 1:  # flip a few bytes, mostly in the headers and the index at the end
            for _ in range(rng.randint(1, 4)):
                at = rng.choice([rng.randrange(min(len(d), 512)), rng.randrange(max(0, len(d) - 512), len(d)),
                                 rng.randrange(len(d))])
                d[at] ^= 1 << rng.randrange(8)
        elif how == 2:  # a size field that lies: 4 bytes replaced (big or little numbers)
            at = rng.randrange(len(d) - 4)
            d[at:at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x01", b"\x7f\xff\xff\xf1",
                                       rng.randbytes(4)])
        else:  # an odd size: one byte taken out or put in
            at = rng.randrange(len(d))
            if rng.random() < 0.5:
                del d[at]
            else:
                d.insert(at, rng.randrange(256))
        yield k, bytes(d)


def test_any_damage_is_the_capture_none_or_one_line(capture, tmp_path):
    data = capture.read_bytes()
    outcomes = {"kept": 0, "not ours": 0, "refused": 0}
    for k, bad in mutations(data, seed=len(data)):
        path = tmp_path / f"bad{capture.suffix}"
        path.write_bytes(bad)
        try:
            source = avi_input(str(path), None)
        except InputError as err:
            assert "\n" not in str(err) and str(err).startswith(f"{path}: "), (k, err)
            outcomes["refused"] += 1
            continue
        outcomes["kept" if source is not None else "not ours"] += 1
    assert outcomes["refused"] >= CASES // 4, outcomes  # (most damage is found)


@pytest.mark.parametrize("damage", ["cut", "odd"])
def test_cli_damaged_capture_is_one_line_and_nothing_written(capture, tmp_path, damage, cli_env):
    data = capture.read_bytes()
    bad = tmp_path / f"bad{capture.suffix}"
    if damage == "cut":
        bad.write_bytes(data[: len(data) * 2 // 3])
    else:  # a byte taken out of the middle: every size after it is off by one
        bad.write_bytes(data[: len(data) // 2] + data[len(data) // 2 + 1:])
    out = tmp_path / "bad.nlvc"
    r = subprocess.run([sys.executable, "-m", "nlvc_av.cli", str(bad), str(out)], capture_output=True, text=True,
                       env=cli_env, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nlvc-transcode: error: ") and "Traceback" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]
