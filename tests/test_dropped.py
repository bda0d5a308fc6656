"""Nothing is dropped silently: a second video stream, interlacing, a truncated y4m frame."""
from __future__ import annotations

import io
import subprocess
import sys

import av
import numpy as np
import pytest
from click.testing import CliRunner

import container
from clipgen import REPO, parse_y4m
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.destinations import refuse_terminal
from nlvc_av.errors import OutputError

Y4M_HEAD = b"YUV4MPEG2 W8 H8 F25:1 It A1:1 Cmono\n"
FRAMES = [bytes((7 * k + i) % 256 for i in range(64)) for k in range(3)]


def cli(command, args):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


def two_video_streams(path) -> list[bytes]:
    out = av.open(str(path), "w")
    streams = []
    for w in (8, 16):
        s = out.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = w, 8, "gray"
        streams.append(s)
    seconds = []
    for k in range(2):
        for s in streams:
            f = av.VideoFrame(s.width, 8, "gray")
            plane = np.full((8, s.width), 10 * k + s.width, np.uint8)
            np.frombuffer(f.planes[0], np.uint8).reshape(8, -1)[:, :s.width] = plane
            f.pts = k
            out.mux(s.encode(f))
            if s is streams[1]:
                seconds.append(plane.tobytes())
    for s in streams:
        out.mux(s.encode())
    out.close()
    return seconds


def test_second_video_stream_is_refused_unless_chosen(tmp_path, cli_env):
    second = two_video_streams(tmp_path / "two.mkv")
    r = cli(transcode_main, [tmp_path / "two.mkv", tmp_path / "a.nlvc"])
    assert r.exit_code == 1 and not (tmp_path / "a.nlvc").exists()
    assert r.stderr == (f"nlvc-transcode: error: {tmp_path / 'two.mkv'}: 2 video streams (#0 ffv1 8x8, #1 ffv1 "
                        "16x8); NLVC codes one: choose it with --video-stream N (0 to 1)\n")
    r = cli(transcode_main, [tmp_path / "two.mkv", tmp_path / "a.nlvc", "--video-stream", "1"])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("warning: ") == 1, r.stderr  # the other stream is named once
    assert f"warning: {tmp_path / 'two.mkv'}: video stream #0 ffv1 8x8 is not coded (--video-stream 1)" in r.stderr
    r = cli(transcode_main, [tmp_path / "a.nlvc", tmp_path / "a.y4m"])
    assert r.exit_code == 0, r.output
    fields, frames = parse_y4m((tmp_path / "a.y4m").read_bytes())
    assert (fields["W"], frames) == ("16", second)
    r = cli(transcode_main, [tmp_path / "two.mkv", tmp_path / "b.nlvc", "--video-stream", "2"])
    assert r.exit_code == 1 and "--video-stream 2: the file has 2 video streams (0 to 1)" in r.stderr


@pytest.mark.parametrize("order, tag", [("t", 2), ("b", 3)])
def test_interlaced_y4m_is_kept(tmp_path, cli_env, order, tag):
    src = tmp_path / "i.y4m"
    src.write_bytes(Y4M_HEAD.replace(b" It ", f" I{order} ".encode()) + b"".join(b"FRAME\n" + f for f in FRAMES))
    assert cli(transcode_main, [src, tmp_path / "i.nlvc"]).exit_code == 0
    with container.open(tmp_path / "i.nlvc") as r:
        assert r.version == (1, 2) and r.video_track.field_order == tag
    assert f"interlaced ({order * 2})" in cli(nlvc_main, ["info", tmp_path / "i.nlvc"]).stdout
    assert cli(transcode_main, [tmp_path / "i.nlvc", tmp_path / "back.y4m"]).exit_code == 0
    fields, frames = parse_y4m((tmp_path / "back.y4m").read_bytes())
    assert (fields["I"], frames) == (order, FRAMES)
    assert cli(transcode_main, [tmp_path / "i.nlvc", tmp_path / "back.mkv"]).exit_code == 0
    with av.open(str(tmp_path / "back.mkv")) as c:
        assert c.streams.video[0].codec_context.field_order == tag


def test_progressive_files_stay_version_1_0(tmp_path, cli_env):
    src = tmp_path / "p.y4m"
    src.write_bytes(Y4M_HEAD.replace(b" It ", b" Ip ") + b"".join(b"FRAME\n" + f for f in FRAMES))
    assert cli(transcode_main, [src, tmp_path / "p.nlvc"]).exit_code == 0
    with container.open(tmp_path / "p.nlvc") as r:
        assert r.version == (1, 0) and r.video_track.field_order == 0


def test_interlaced_mkv_is_kept(tmp_path, cli_env):
    out = av.open(str(tmp_path / "i.mkv"), "w")
    s = out.add_stream("ffv1", rate=25)
    s.width, s.height, s.pix_fmt = 8, 8, "gray"
    s.codec_context.field_order = 3  # bb
    for k in range(2):
        f = av.VideoFrame(8, 8, "gray")
        f.pts = k
        out.mux(s.encode(f))
    out.mux(s.encode())
    out.close()
    assert cli(transcode_main, [tmp_path / "i.mkv", tmp_path / "i.nlvc"]).exit_code == 0
    with container.open(tmp_path / "i.nlvc") as r:
        assert r.video_track.field_order == 3
    assert cli(transcode_main, [tmp_path / "i.nlvc", tmp_path / "back.mkv"]).exit_code == 0
    with av.open(str(tmp_path / "back.mkv")) as c:
        assert c.streams.video[0].codec_context.field_order == 3


def test_truncated_y4m_frame_is_an_error(tmp_path, cli_env):
    src = tmp_path / "t.y4m"
    src.write_bytes(Y4M_HEAD + b"".join(b"FRAME\n" + f for f in FRAMES) + b"FRAME\n" + bytes(10))
    r = cli(transcode_main, [src, tmp_path / "t.nlvc"])
    assert r.exit_code == 1 and not (tmp_path / "t.nlvc").exists()
    assert r.stderr == (f"nlvc-transcode: error: {src}: the y4m stream is truncated: its last frame (frame 3) "
                        "has 10 of its 64 bytes, 54 are missing; nothing was written (--max-frames 3 codes "
                        "the complete frames)\n")
    p = subprocess.run([sys.executable, "-m", "nlvc_av.cli", "-", str(tmp_path / "s.nlvc")], input=src.read_bytes(),
                       capture_output=True, cwd=REPO, env=cli_env)
    assert p.returncode == 1 and b"stdin: the y4m stream is truncated: its last frame (frame 3)" in p.stderr


def test_mp4_on_stdin_needs_a_seekable_file(tmp_path, cli_env):
    p = subprocess.run([sys.executable, "-m", "nlvc_av.cli", "-", str(tmp_path / "s.nlvc")],
                       input=b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + bytes(64), capture_output=True,
                       cwd=REPO, env=cli_env)
    assert p.returncode == 1 and p.stderr.decode() == (
        "nlvc-transcode: error: stdin: an MP4/MOV file cannot be read from a pipe, it needs a seekable file: "
        "give its path, or pipe y4m (ffmpeg -i x -f yuv4mpegpipe -)\n")


def test_mp4_on_stdin_from_a_file_is_read_like_the_file(tmp_path, cli_env):
    """``- x.nlvc < clip.mp4``: a regular file on stdin can seek (the moov atom at its end)."""
    from clipgen import make_clip

    clip = tmp_path / "clip.mp4"
    make_clip(clip, vcodec="png", pix_fmt="rgb24", frames=3, audio=None)
    coded = {}
    for how in ("path", "stdin"):
        coded[how] = tmp_path / f"{how}.nlvc"
        with open(clip, "rb") as f:
            args = [str(clip) if how == "path" else "-", str(coded[how])]
            p = subprocess.run([sys.executable, "-m", "nlvc_av.cli", *args], stdin=f, capture_output=True,
                               cwd=REPO, env=cli_env)
        assert p.returncode == 0, p.stderr.decode()
    with container.open(str(coded["path"])) as a, container.open(str(coded["stdin"])) as b:
        assert [c.frame_md5 for c in a.iter_clusters()] == [c.frame_md5 for c in b.iter_clusters()] != []


def test_binary_output_to_a_terminal_is_refused():
    class Tty(io.BytesIO):
        def isatty(self) -> bool:
            return True

    with pytest.raises(OutputError, match="^refusing to write an .nlvc file to a terminal: "):
        refuse_terminal(Tty(), "an .nlvc file")
    refuse_terminal(io.BytesIO(), "an .nlvc file")  # a file or a pipe is fine
