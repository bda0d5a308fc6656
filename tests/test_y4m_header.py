"""A y4m header FFmpeg cannot use says what is wrong: a frame size out of range is one error line
naming the field; an invalid frame rate or aspect ratio is a warning naming what was assumed."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from nlvc_av.cli import transcode_main


def y4m(path, header: str, frames: int = 2) -> None:
    path.write_bytes(f"YUV4MPEG2 {header}\n".encode() + (b"FRAME\n" + bytes(range(64))) * frames)


def run(tmp_path, header: str):
    y4m(tmp_path / "in.y4m", header)
    return CliRunner().invoke(transcode_main, [str(tmp_path / "in.y4m"), str(tmp_path / "out.nlvc")])


@pytest.mark.parametrize("field", ["W0", "W-16", "W100000"])
def test_width_out_of_range_is_named(tmp_path, cli_env, field):
    r = run(tmp_path, f"{field} H8 F25:1 Cmono")
    assert r.exit_code == 1 and not (tmp_path / "out.nlvc").exists()
    assert r.stderr == (f"nlvc-transcode: error: {tmp_path / 'in.y4m'}: the y4m header's {field} is not a frame "
                        "width: it must be 1 to 32768\n")


def test_missing_height_is_named(tmp_path, cli_env):
    r = run(tmp_path, "W8 F25:1 Cmono")
    assert r.exit_code == 1 and "the y4m header's H (absent) is not a frame height" in r.stderr


@pytest.mark.parametrize("field, warning", [
    ("F0:1", "the y4m frame rate F0:1 is invalid; assumed 25 fps"),
    ("F25:0", "the y4m frame rate F25:0 is invalid; assumed 25 fps"),
    ("F-25:1", "the y4m frame rate F-25:1 is invalid; assumed 25 fps"),
    ("F25:1 A-1:5", "the y4m sample aspect ratio A-1:5 is invalid; taken as unknown"),
])
def test_invalid_rate_or_aspect_is_a_warning(tmp_path, cli_env, field, warning):
    r = run(tmp_path, f"W8 H8 {field} Ip Cmono")
    assert r.exit_code == 0, r.output
    assert f"nlvc-transcode: warning: {tmp_path / 'in.y4m'}: {warning}\n" in r.stderr


def test_a_valid_header_says_nothing(tmp_path, cli_env):
    r = run(tmp_path, "W8 H8 F25:1 Ip A0:0 Cmono")
    assert r.exit_code == 0 and "warning" not in r.stderr, r.output
