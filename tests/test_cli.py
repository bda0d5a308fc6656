"""The command line: nlvc-transcode (both directions, pipes), nlvc info / verify, and the
error contract: one line on stderr, exit 1 (2 for usage), no traceback, nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import av
import numpy as np
import pytest
from click.testing import CliRunner

from clipgen import REPO, make_float_clip, make_clip, md5s, packets, read_planes, same_packets
from nlvc_av import transcode
from nlvc_av.cli import nlvc_main, transcode_main


@pytest.fixture(scope="module")
def clip(tmp_path_factory, coder):
    """A 5-frame 32x24 clip with mp2 audio and its .nlvc (GOP 2)."""
    d = tmp_path_factory.mktemp("clip")
    truth = make_clip(d / "src.mkv", width=32, height=24, frames=5, audio="mp2")
    transcode.encode_file(str(d / "src.mkv"), str(d / "src.nlvc"), gop=2, coder=coder)
    return d, truth


def run(command, args, env=None):
    result = CliRunner().invoke(command, [str(a) for a in args], env=env, catch_exceptions=True)
    return result


def assert_clean_failure(result, code=1, prog="nlvc-transcode"):
    """Exit code, exactly one error line on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if code == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), result.stderr


def leftovers(directory, *keep):
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


# --------------------------------------------------------------------------- both directions


def test_encode_decode_verify(tmp_path, cli_env, clip):
    d, truth = clip
    src = d / "src.mkv"
    r = run(transcode_main, [src, tmp_path / "a.nlvc", "--gop", "3"])
    assert r.exit_code == 0, r.output
    assert "5 frames" in r.stderr and r.stdout == ""
    r = run(transcode_main, [tmp_path / "a.nlvc", tmp_path / "back.mkv"])
    assert r.exit_code == 0, r.output
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)
    assert same_packets(packets(src), packets(tmp_path / "back.mkv"))
    r = run(nlvc_main, ["verify", src, tmp_path / "a.nlvc"])
    assert r.exit_code == 0 and "identical: 5 frames" in r.stdout
    r = run(nlvc_main, ["verify", src, tmp_path / "back.mkv"])
    assert r.exit_code == 0
    r = run(transcode_main, [tmp_path / "a.nlvc", tmp_path / "back.y4m", "--quiet"])
    assert r.exit_code == 0 and r.output == ""
    assert md5s(read_planes(tmp_path / "back.y4m")[1]) == md5s(truth)


def test_verify_reports_a_difference(tmp_path, clip):
    d, _ = clip
    make_clip(tmp_path / "other.mkv", width=32, height=24, frames=5, audio=None, seed=1)
    r = run(nlvc_main, ["verify", d / "src.mkv", tmp_path / "other.mkv"])
    assert r.exit_code == 1 and "frame 0 differs" in r.stderr
    r = run(nlvc_main, ["verify", d / "src.mkv", d / "src.mkv", "--max-frames", "2"])
    assert r.exit_code == 0 and "identical: 2 frames" in r.stdout
    make_clip(tmp_path / "short.mkv", width=32, height=24, frames=3, audio=None)
    r = run(nlvc_main, ["verify", d / "src.mkv", tmp_path / "short.mkv"])
    assert r.exit_code == 1 and "ends after 3 frames" in r.stderr


def test_info_text_and_json(clip):
    d, _ = clip
    r = run(nlvc_main, ["info", d / "src.nlvc"])
    assert r.exit_code == 0, r.output
    assert "32x24 yuv420p" in r.stdout and "5 in 3 GOPs" in r.stdout and "mp2" in r.stdout
    r = run(nlvc_main, ["info", "--json", d / "src.nlvc"])
    info = json.loads(r.stdout)
    assert info["video"]["frames"] == 5 and info["video"]["gops"] == 3
    assert info["video"]["pix_fmt"] == "yuv420p" and info["codec"]["gop_size"] == 2
    assert info["streams"][0]["codec"] == "mp2" and info["streams"][0]["packets"] == len(packets(d / "src.mkv"))
    assert info["file_bytes"] == (d / "src.nlvc").stat().st_size


def test_existing_output_needs_overwrite(tmp_path, cli_env, clip):
    d, _ = clip
    dst = tmp_path / "back.mkv"
    dst.write_bytes(b"precious")
    r = run(transcode_main, [d / "src.nlvc", dst])
    assert_clean_failure(r)
    assert "already exists" in r.stderr and dst.read_bytes() == b"precious"
    r = run(transcode_main, [d / "src.nlvc", dst, "--overwrite"])
    assert r.exit_code == 0 and dst.read_bytes() != b"precious"
    assert leftovers(tmp_path) == ["back.mkv"]


def test_max_frames_option(tmp_path, cli_env, clip):
    d, truth = clip
    r = run(transcode_main, [d / "src.mkv", tmp_path / "a.nlvc", "--max-frames", "2"])
    assert r.exit_code == 0, r.output
    r = run(nlvc_main, ["info", "--json", tmp_path / "a.nlvc"])
    assert json.loads(r.stdout)["video"]["frames"] == 2


def test_nlvc_group_lists_extensions_and_transcode_alias(tmp_path, cli_env, clip):
    r = run(nlvc_main, ["--help"])
    assert r.exit_code == 0
    for name in ("info", "verify", "transcode"):
        assert name in r.stdout
    d, _ = clip
    r = run(nlvc_main, ["transcode", d / "src.nlvc", tmp_path / "x.y4m", "-q"])
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- bad input


def test_missing_input(tmp_path):
    r = run(transcode_main, [tmp_path / "nope.mkv", tmp_path / "out.nlvc"])
    assert_clean_failure(r)
    assert "no such file" in r.stderr and leftovers(tmp_path) == []


def test_non_video_input(tmp_path, cli_env):
    (tmp_path / "notes.mkv").write_text("not a video\n" * 100)
    r = run(transcode_main, [tmp_path / "notes.mkv", tmp_path / "out.nlvc"])
    assert_clean_failure(r)
    assert leftovers(tmp_path, "notes.mkv") == []


def test_unsupported_pixel_format(tmp_path, cli_env):
    path = tmp_path / "deep.mkv"
    make_float_clip(path)
    r = run(transcode_main, [path, tmp_path / "out.nlvc"])
    assert_clean_failure(r)
    assert "unsupported pixel format 'gbrpf32le'" in r.stderr and "yuv420p, yuv422p" in r.stderr
    assert "yuv420p10le" in r.stderr
    assert leftovers(tmp_path, "deep.mkv") == []


@pytest.mark.parametrize("damage", ["truncate", "corrupt", "garbage"])
def test_damaged_nlvc(tmp_path, cli_env, clip, damage):
    d, _ = clip
    data = (d / "src.nlvc").read_bytes()
    if damage == "truncate":
        data = data[: len(data) * 2 // 3]
    elif damage == "corrupt":
        data = bytearray(data)
        for i in range(len(data) // 2, len(data) // 2 + 16):
            data[i] ^= 0x5A
        data = bytes(data)
    else:
        data = b"\x00\x01not an nlvc file at all" * 10
    (tmp_path / "bad.nlvc").write_bytes(data)
    for dst in ("back.mkv", "back.y4m"):
        r = run(transcode_main, [tmp_path / "bad.nlvc", tmp_path / dst])
        assert_clean_failure(r)
    assert leftovers(tmp_path, "bad.nlvc") == []
    r = run(nlvc_main, ["info", tmp_path / "bad.nlvc"])
    if damage == "garbage":
        assert_clean_failure(r, prog="nlvc info")
    else:  # what can be read, then the damage report; exit 3: frames are lost
        assert r.exit_code == 3 and "Traceback" not in r.output, r.output
        assert "\ndamage    GOP " in r.stdout and " lost at byte " in r.stdout, r.stdout


@pytest.mark.parametrize("where", ["missing_dir", "under_a_file"])
def test_unwritable_destination(tmp_path, cli_env, clip, where):
    d, _ = clip
    (tmp_path / "file").write_text("x")
    dst = tmp_path / "missing" / "out.mkv" if where == "missing_dir" else tmp_path / "file" / "out.mkv"
    r = run(transcode_main, [d / "src.nlvc", dst])
    assert_clean_failure(r)
    assert leftovers(tmp_path) == ["file"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_directory(tmp_path, cli_env, clip):
    d, _ = clip
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = run(transcode_main, [d / "src.nlvc", ro / "out.mkv"])
        assert_clean_failure(r)
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["only_one.mkv"],
        ["a.mkv", "b.mkv"],  # neither side is .nlvc
        ["a.nlvc", "b.nlvc"],
        ["a.nlvc", "b.mp4"],  # decode target must be .mkv/.y4m/-
        ["a.mkv", "b.nlvc", "--gop", "0"],
        ["a.mkv", "b.nlvc", "--frobnicate"],
    ],
)
def test_usage_errors_exit_2(tmp_path, args):
    r = run(transcode_main, [str(tmp_path / a) if not a.startswith("-") else a for a in args])
    assert_clean_failure(r, code=2)
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- real pipes

PRODUCER = textwrap.dedent(
    """
    import sys, numpy as np, av
    sys.path.insert(0, {tests!r})
    from clipgen import synth_planes, planes_to_frame
    out = av.open(sys.stdout.buffer, "w", format="yuv4mpegpipe")
    s = out.add_stream("wrapped_avframe", rate=25)
    s.width, s.height, s.pix_fmt = 33, 17, "yuv420p"
    for i in range(3):
        f = planes_to_frame(synth_planes("yuv420p", 33, 17, i), "yuv420p", 33, 17)
        f.pts = i
        out.mux(s.encode(f))
    out.mux(s.encode())
    out.close()
    """
)

CONSUMER = textwrap.dedent(
    """
    import sys, hashlib, numpy as np, av
    with av.open(sys.stdin.buffer, format="yuv4mpegpipe") as c:
        for f in c.decode(video=0):
            h = hashlib.md5()
            for p, (ph, pw) in zip(f.planes, [(17, 33), (9, 17), (9, 17)]):
                h.update(np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[:ph, :pw].tobytes())
            print(h.hexdigest())
    """
)

TRANSCODE = [sys.executable, "-c", "from nlvc_av.cli import transcode_main; transcode_main()"]


def pipe(first, second, cwd):
    a = subprocess.Popen(first, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    b = subprocess.Popen(second, stdin=a.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    a.stdout.close()
    out, err_b = b.communicate(timeout=300)
    err_a = a.stderr.read()
    a.wait(timeout=60)
    return a.returncode, b.returncode, out, err_a + err_b


def test_y4m_stdin_to_nlvc_and_nlvc_to_y4m_stdout(tmp_path, cli_env):
    from clipgen import synth_planes

    truth = md5s([synth_planes("yuv420p", 33, 17, i) for i in range(3)])
    producer = [sys.executable, "-c", PRODUCER.format(tests=str(REPO / "tests"))]
    ra, rb, _, err = pipe(producer, TRANSCODE + ["-", str(tmp_path / "a.nlvc"), "--gop", "2"], tmp_path)
    assert (ra, rb) == (0, 0), err.decode()
    ra, rb, out, err = pipe(TRANSCODE + [str(tmp_path / "a.nlvc"), "-"], [sys.executable, "-c", CONSUMER], tmp_path)
    assert (ra, rb) == (0, 0), err.decode()
    assert out.decode().split() == truth
    # an .nlvc on stdin decodes too (here to y4m on stdout)
    with open(tmp_path / "a.nlvc", "rb") as f:
        done = subprocess.run(TRANSCODE + ["-", "-"], stdin=f, capture_output=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"YUV4MPEG2 W33 H17 F25:1")


def test_cli_error_in_subprocess_has_no_traceback(tmp_path, cli_env):
    (tmp_path / "bad.nlvc").write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 40)
    done = subprocess.run(TRANSCODE + [str(tmp_path / "bad.nlvc"), str(tmp_path / "out.mkv")],
                          capture_output=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert err.startswith("nlvc-transcode: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.mkv").exists()


def test_nlvc_info_imports_neither_torch_nor_av(cli_env, clip):
    d, _ = clip
    code = textwrap.dedent(
        f"""
        import sys
        from nlvc_av.cli import nlvc_main
        try:
            nlvc_main(["info", {str(d / "src.nlvc")!r}])
        except SystemExit as e:
            assert not e.code, e.code
        heavy = sorted(m for m in ("torch", "av") if m in sys.modules)
        print("HEAVY", heavy)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=str(REPO), timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert "HEAVY []" in done.stdout.decode()


def test_rate_that_is_not_a_frame_rate_is_a_usage_error(tmp_path, cli_env):
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "scan_%06d.dpx"), str(tmp_path / "a.nlvc"), "--rate", "0"])
    assert r.exit_code == 2, r.output
    assert "Invalid value for '--rate': not a frame rate (e.g. 24, 25, 24000/1001)" in r.stderr


def test_batch_install_hint_is_the_readme_one():
    from nlvc_av.batch.cluster import INSTALL_HINT

    assert INSTALL_HINT == "pip install -c constraints.txt -e '.[cluster]'"


def test_info_of_a_file_without_frames_has_no_empty_brackets():
    from nlvc_av.describe import info_text

    d = {"file": "x.nlvc", "file_bytes": 1, "format_version": "1.0", "app": "nlvc",
         "codec": {"model_id": "m", "weights_sha256": "0" * 64, "token_map": "t", "groups": 2, "gop_size": 2},
         "video": {"width": 8, "height": 8, "pix_fmt": "gray", "bit_depth": 8, "fps": None, "time_base": "1/25",
                   "sample_aspect_ratio": None, "color_range": "tv", "color_primaries": "bt709",
                   "color_trc": "bt709", "colorspace": "bt709", "frames": 0, "gops": 0, "frame_types": {},
                   "duration_s": None, "raw_bytes": 0, "payload_bytes": 0, "ratio": None},
         "streams": [], "tags": {}, "damage": None}
    assert "frames    0 in 0 GOPs\n" in info_text(d) + "\n"


def test_info_of_a_file_that_is_not_nlvc_names_it(tmp_path):
    (tmp_path / "passwd").write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    r = run(nlvc_main, ["info", tmp_path / "passwd"])
    assert_clean_failure(r, prog="nlvc info")
    assert r.stderr == (f"nlvc info: error: {tmp_path / 'passwd'}: not an .nlvc file: expected the EBML magic "
                        "1a45dfa3 at byte 0, found 726f6f74\n")
    r = CliRunner().invoke(nlvc_main, ["info", "-"], input=b"root:x:0:0")
    assert r.exit_code == 1 and r.stderr.startswith("nlvc info: error: stdin: not an .nlvc file: "), r.output
