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


# ----------------------------------------------------------------- what FFmpeg cannot read, or wraps: refused


def transcode_stdin(tmp_path, data: bytes, env):
    import subprocess
    import sys

    from clipgen import REPO

    return subprocess.run([sys.executable, "-m", "nlvc_av.cli", "-", str(tmp_path / "s.nlvc")], input=data,
                          capture_output=True, cwd=REPO, env=env, timeout=300)


SIZE_LIMIT = ("is too large: FFmpeg reads a frame only if (W+128) x (H+128) is below 268435456 (at most "
              "16255x16255 for a square frame)\n")


@pytest.mark.parametrize("header, size", [
    ("W20000 H20000 F25:1", "W20000 H20000"),
    ("W32768 H32768 F25:1", "W32768 H32768"),
    ("W32768 H8192 F25:1 Cmono", "W32768 H8192"),  # 2^28 pixels: within NLVC's limit, not FFmpeg's
])
def test_frame_size_ffmpeg_cannot_read_is_named(tmp_path, cli_env, header, size):
    """Was 'cannot open: Device or resource busy' (FFmpeg's av_image_check_size fails with EINVAL,
    PyAV reported errno 16); now the size limit, for a file and for stdin alike."""
    r = run(tmp_path, header)
    assert r.exit_code == 1 and not (tmp_path / "out.nlvc").exists()
    assert r.stderr == f"nlvc-transcode: error: {tmp_path / 'in.y4m'}: the y4m header's frame size {size} {SIZE_LIMIT}"
    p = transcode_stdin(tmp_path, (tmp_path / "in.y4m").read_bytes(), cli_env)
    assert p.returncode == 1 and not (tmp_path / "s.nlvc").exists()
    assert p.stderr.decode() == f"nlvc-transcode: error: stdin: the y4m header's frame size {size} {SIZE_LIMIT}"


@pytest.mark.parametrize("w, h", [(16255, 16255), (16256, 16255), (16256, 16256), (32640, 8063), (32640, 8064)])
def test_frame_size_limit_is_ffmpegs(tmp_path, w, h):
    """The limit checked is the one FFmpeg applies: a header it opens passes, one it refuses is refused."""
    import av

    from nlvc_av.errors import InputError
    from nlvc_av.io.y4m import checked_head

    head = f"YUV4MPEG2 W{w} H{h} F25:1 Cmono\nFRAME\n".encode()
    (tmp_path / "h.y4m").write_bytes(head)
    try:
        av.open(str(tmp_path / "h.y4m"), format="yuv4mpegpipe").close()
        ffmpeg_reads = True
    except OSError:
        ffmpeg_reads = False
    try:
        ours = checked_head("h.y4m", head) == head
    except InputError:
        ours = False
    assert ours == ffmpeg_reads


@pytest.mark.parametrize("field, what", [
    ("F99999999999999999999:1", "frame rate"),  # was: 25 fps, silently (FFmpeg read -1)
    ("F1:99999999999", "frame rate"),  # was: time base 1215752191/1 (wrapped), written back as F1:1073741824
    ("F2147483648:1", "frame rate"),
    ("F25:1 A99999999999:1", "sample aspect ratio"),
    ("F25:1 A1:2147483648", "sample aspect ratio"),
])
def test_rational_that_does_not_fit_32_bits_is_refused(tmp_path, cli_env, field, what):
    r = run(tmp_path, f"W8 H8 {field} Cmono")
    shown = field.split()[-1]
    line = (f"the y4m header's {what} {shown} is out of range: each term must be at most 2147483647 "
            "(2^31 - 1, what FFmpeg reads and an .nlvc stores)\n")
    assert r.exit_code == 1 and not (tmp_path / "out.nlvc").exists()
    assert r.stderr == f"nlvc-transcode: error: {tmp_path / 'in.y4m'}: {line}"
    if field.startswith("F1:"):  # stdin reads the same header the same way
        p = transcode_stdin(tmp_path, (tmp_path / "in.y4m").read_bytes(), cli_env)
        assert p.returncode == 1 and p.stderr.decode() == f"nlvc-transcode: error: stdin: {line}"


@pytest.mark.parametrize("field, what", [("F25:1x", "frame rate"), ("F30", "frame rate"),
                                         ("F25:1 A1", "sample aspect ratio"), ("F25:1 A", "sample aspect ratio")])
def test_rational_that_is_not_two_integers_is_refused(tmp_path, cli_env, field, what):
    """FFmpeg would read a prefix of it (F25:1x as 25 fps, F30 as 25 fps): refused, not guessed."""
    r = run(tmp_path, f"W8 H8 {field} Cmono")
    shown = field.split()[-1]
    assert r.exit_code == 1 and not (tmp_path / "out.nlvc").exists()
    assert r.stderr == (f"nlvc-transcode: error: {tmp_path / 'in.y4m'}: the y4m header's {what} {shown} is not "
                        "two integers N:D\n")


def test_largest_terms_are_kept_exactly(tmp_path, cli_env):
    """Terms up to 2^31 - 1 are stored and written back as they were (was: F1:1073741824 A1:1073741824)."""
    header = "W8 H8 F1:2000000000 Ip A1:2147483647 Cmono"
    y4m(tmp_path / "in.y4m", header)
    for args in (["in.y4m", "x.nlvc"], ["x.nlvc", "out.y4m"]):
        r = CliRunner().invoke(transcode_main, [str(tmp_path / a) for a in args])
        assert r.exit_code == 0, r.output
    import container

    with container.open(tmp_path / "x.nlvc") as f:
        assert f.video_track.time_base == (2000000000, 1)
        assert f.video_track.sample_aspect_ratio == (1, 2147483647)
    assert (tmp_path / "out.y4m").read_bytes() == (tmp_path / "in.y4m").read_bytes()
    # without the kept header line (its tag dropped), the header written says the same
    from nlvc_av.io.y4m import Y4mWriter
    from nlvc_av.session import video_info_from_track

    with container.open(tmp_path / "x.nlvc") as f:
        info = video_info_from_track(f.video_track)
    assert Y4mWriter.header(info) == b"YUV4MPEG2 W8 H8 F1:2000000000 Ip A1:2147483647 Cmono\n"


def test_truncated_first_frame_hint_is_one_that_works(tmp_path, cli_env):
    """A stream whose only frame is cut: the hint is no longer '--max-frames 0' (which the option refuses)."""
    (tmp_path / "in.y4m").write_bytes(b"YUV4MPEG2 W8 H8 F25:1 Cmono\nFRAME\n" + bytes(30))
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "in.y4m"), str(tmp_path / "out.nlvc")])
    assert r.exit_code == 1 and not (tmp_path / "out.nlvc").exists()
    assert r.stderr == (f"nlvc-transcode: error: {tmp_path / 'in.y4m'}: the y4m stream is truncated: its last frame "
                        "(frame 0) has 30 of its 64 bytes, 34 are missing; nothing was written (the stream holds "
                        "no complete frame)\n")
    assert "--max-frames 0" not in r.stderr
