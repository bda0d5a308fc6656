"""Crafted headers are refused before use, one precise message each; text from a file is shown
with its control characters escaped."""
from __future__ import annotations

import dataclasses
import io

import pytest
from click.testing import CliRunner

import container
import nlvc_av
from clipgen import make_clip
from nlvc_av.cli import nlvc_main
from nlvc_av.errors import HeaderError, MemoryBudgetError, UnsupportedPixelFormatError
from nlvc_av.transcode import encode_file


@pytest.fixture(scope="module")
def parts(tmp_path_factory, coder):
    d = tmp_path_factory.mktemp("crafted")
    make_clip(d / "src.mkv", pix_fmt="gray", width=8, height=8, frames=3, audio=None)
    encode_file(d / "src.mkv", d / "src.nlvc", gop=2, coder=coder)
    with container.open(d / "src.nlvc") as r:
        return r.codec_setup, r.video_track, list(r.iter_clusters()), r.info


def craft(parts, *, setup=None, info=None, tags=None, clusters=None, **video) -> bytes:
    s, v, c, i = parts
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=setup or s, tracks=[dataclasses.replace(v, **video)],
                        info=info or i, tags=tags) as w:
        for cluster in clusters or c:
            w.write_cluster(cluster)
    return buf.getvalue()


def decode(data: bytes, coder):
    with nlvc_av.open(io.BytesIO(data), coder=coder) as f:
        return list(f.decode_planes())


@pytest.mark.parametrize("video, error, message", [
    ({"width": 40000}, HeaderError, "frame size 40000x8 is out of range: width and height must be 1 to 32768"),
    ({"width": 30000, "height": 30000}, HeaderError, "frame size 30000x30000 has 900000000 pixels; at most 268435456 are decoded"),
    ({"bit_depth": 10}, HeaderError, "bit depth 10 does not match pixel format gray (8-bit)"),
    ({"time_base": (1, 1 << 40)}, HeaderError, f"time base 1/{1 << 40} is out of range: each term must be 1 to 2147483647"),
    ({"frame_rate": (1 << 33, 1)}, HeaderError, f"frame rate {1 << 33}/1 is out of range: each term must be 1 to 2147483647"),
    ({"sample_aspect_ratio": (1, 1 << 32)}, HeaderError, f"sample aspect ratio 1/{1 << 32} is out of range"),
    ({"pix_fmt": "gbrpf32le"}, UnsupportedPixelFormatError, "unsupported pixel format 'gbrpf32le' (supported: "),
    ({"pix_fmt": "yuv420p10le"}, HeaderError, "bit depth 8 does not match pixel format yuv420p10le (10-bit)"),
])
def test_crafted_video_fields(parts, coder, video, error, message):
    with pytest.raises(error) as info:
        decode(craft(parts, **video), coder)
    assert str(info.value).startswith(message)


def test_crafted_gop_size_and_frame_count(parts, coder):
    setup = dataclasses.replace(parts[0], gop_size=5000)
    with pytest.raises(HeaderError, match=r"^GOP size 5000 is out of range: 1 to 4096$"):
        decode(craft(parts, setup=setup), coder)
    setup = dataclasses.replace(parts[0], gop_size=1)  # the clusters hold 2 frames
    with pytest.raises(HeaderError, match=r"^GOP 0 holds 2 frames; the file's GOP size is 1$"):
        decode(craft(parts, setup=setup), coder)


def test_memory_is_checked_against_the_claimed_sizes(parts, coder, monkeypatch):
    monkeypatch.setenv("NLVC_MAX_MEMORY", "1M")  # 32768 x 8192 gray would need 16 GiB
    with pytest.raises(MemoryBudgetError) as info:
        decode(craft(parts, width=32768, height=8192), coder)
    assert str(info.value) == ("GOP 0: decoding 2 frames of 32768x8192 gray needs about 32768 MiB, more than "
                               "the budget of 1 MiB (set NLVC_MAX_MEMORY to allow more)")
    assert isinstance(info.value, MemoryError) and isinstance(info.value, container.NlvcError)


def test_crafted_model_id_is_refused_by_the_registry_and_escaped(parts, tmp_path, cli_env):
    setup = dataclasses.replace(parts[0], model_id="evil\x1b]0;owned\x07")
    (tmp_path / "m.nlvc").write_bytes(craft(parts, setup=setup))
    r = CliRunner().invoke(nlvc_main, ["verify", str(tmp_path / "m.nlvc")])
    assert r.exit_code == 1 and "\x1b" not in r.output and "\x07" not in r.output
    assert r.stderr.startswith("nlvc verify: error: ") and "evil\\x1b]0;owned\\x07" in r.stderr


def test_escape_sequences_in_tags_app_and_names_are_shown_escaped(parts, tmp_path, cli_env):
    info = container.Info(app="nlvc\x1b[2J", duration_pts=None)
    tags = {"title\x1b[31m": "red\x1b[0m\u202eevil", "comment": "two\nlines"}
    (tmp_path / "t.nlvc").write_bytes(craft(parts, info=info, tags=tags))
    r = CliRunner().invoke(nlvc_main, ["info", str(tmp_path / "t.nlvc")])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout
    assert "written by nlvc\\x1b[2J)" in r.stdout
    assert "tag       title\\x1b[31m = red\\x1b[0m\\u202eevil" in r.stdout
    assert "tag       comment = two\\x0alines" in r.stdout
    (tmp_path / "p.nlvc").write_bytes(craft(parts, pix_fmt="gr\x1bay"))
    r = CliRunner().invoke(nlvc_main, ["info", str(tmp_path / "p.nlvc")])
    assert r.exit_code == 1 and "\x1b" not in r.output
    assert r.stderr.startswith("nlvc info: error: unsupported pixel format 'gr\\x1bay' (supported: ")
