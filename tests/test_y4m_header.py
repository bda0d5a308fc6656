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


@pytest.mark.parametrize("header", [
    "W16 H16 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED",
    "W16 H16 F30000:1001 It A0:0 C420 XYSCSS=420JPEG",
    "W16 H16 F25:1 A1:1 C420mpeg2 XYSCSS=420MPEG2 XFOO=bar",
    "W8 H8 F25:1 Ip Cmono",
])
def test_header_parameters_come_back_byte_for_byte(tmp_path, cli_env, header):
    """A y4m as ffmpeg writes it (XYSCSS, other X parameters, C as written) is restored as it was."""
    src, coded, out = tmp_path / "in.y4m", tmp_path / "x.nlvc", tmp_path / "out.y4m"
    frame = bytes(k % 251 for k in range(16 * 16 * 3 // 2 if "W16" in header else 64))
    src.write_bytes(f"YUV4MPEG2 {header}\n".encode() + (b"FRAME\n" + frame) * 2)
    for args in ([str(src), str(coded)], [str(coded), str(out)]):
        r = CliRunner().invoke(transcode_main, args)
        assert r.exit_code == 0, r.output
    assert out.read_bytes() == src.read_bytes()


def test_header_that_does_not_describe_the_video_keeps_its_other_parameters(tmp_path, cli_env):
    """An invalid F is replaced by what was coded; the source's other X parameters stay."""
    y4m(tmp_path / "in.y4m", "W8 H8 F0:1 Ip Cmono XFOO=bar")
    for args in (["in.y4m", "x.nlvc"], ["x.nlvc", "out.y4m"], ["x.nlvc", "out.mkv"]):
        r = CliRunner().invoke(transcode_main, [str(tmp_path / a) for a in args])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "out.y4m").read_bytes().split(b"\n")[0] == b"YUV4MPEG2 W8 H8 F25:1 Ip A0:0 Cmono XFOO=bar"
    import av

    with av.open(str(tmp_path / "out.mkv")) as f:  # the tag is NLVC's own: not carried to a .mkv
        assert not any(k.lower().startswith("nlvc:") for k in f.metadata)


def test_frame_parameters_are_warned_of(tmp_path, cli_env):
    """Per-frame FRAME parameters are not kept: said once, the frames are coded."""
    y4m(tmp_path / "in.y4m", "W8 H8 F25:1 Ip Cmono")
    data = (tmp_path / "in.y4m").read_bytes().replace(b"FRAME\n", b"FRAME Ib\n")
    (tmp_path / "in.y4m").write_bytes(data)
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "in.y4m"), str(tmp_path / "out.nlvc")])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("FRAME parameters") == 1, r.stderr
