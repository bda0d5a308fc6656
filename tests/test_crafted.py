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
    assert r.stderr.startswith(f"nlvc info: error: {tmp_path / 'p.nlvc'}: unsupported pixel format 'gr\\x1bay' "
                               "(supported: ")


def npz_bomb(inflated: int, shape=None) -> bytes:
    """An .npz of one int8 array of ``inflated`` zero bytes (``shape``: what its .npy header
    claims instead), deflated to a few kB, written without holding it in memory."""
    import zipfile

    import numpy as np

    buf = io.BytesIO()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|i1", "fortran_order": False,
                                                  "shape": shape or (inflated,)})
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("arch.npy", "w", force_zip64=True) as f:
            f.write(header.getvalue())
            zeros = bytes(1 << 20)
            for start in range(0, inflated, len(zeros)):
                f.write(zeros[:inflated - start])
    return buf.getvalue()


def with_weights(parts, weights: bytes) -> bytes:
    import hashlib

    setup = dataclasses.replace(parts[0], model_id="custom-lattice-v1-c32b5-0123456789ab", model_weights=weights,
                                weights_sha256=hashlib.sha256(weights).hexdigest())
    return craft(parts, setup=setup)


def test_embedded_weights_bomb_is_refused_before_it_is_inflated(parts, coder):
    import time
    import tracemalloc

    from nlvc_av.checks import MAX_WEIGHTS_BYTES

    bomb = npz_bomb(MAX_WEIGHTS_BYTES + (16 << 20))  # 80 MiB of zeros in ~80 kB
    assert len(bomb) < 1 << 20
    data = with_weights(parts, bomb)
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(HeaderError) as info, nlvc_av.open(io.BytesIO(data)) as f:
            list(f.decode_planes())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == ("the weights embedded for model 'custom-lattice-v1-c32b5-0123456789ab': its arrays "
                               f"declare {MAX_WEIGHTS_BYTES + (16 << 20) + 128} bytes, more than the 64 MiB weights may have")
    assert peak < 8 << 20 and time.monotonic() - start < 10


def test_weights_whose_shape_or_inflated_size_lies_are_refused(parts, monkeypatch):
    from nlvc_av.checks import check_weights

    with pytest.raises(HeaderError, match=r"^w: array arch.npy claims 1099511627776 bytes, more than the 64 MiB"):
        check_weights(npz_bomb(1000, shape=(1 << 40,)), "w")
    monkeypatch.setenv("NLVC_MAX_MEMORY", "1M")
    with pytest.raises(MemoryBudgetError) as info, nlvc_av.open(io.BytesIO(with_weights(parts, npz_bomb(2 << 20)))) as f:
        list(f.decode_planes())
    assert str(info.value).endswith(f"its arrays declare {(2 << 20) + 128} bytes, more than the budget of 1 MiB "
                                    "(set NLVC_MAX_MEMORY to allow more)")


def test_model_that_is_not_a_weights_file_says_so(parts, tmp_path, cli_env):
    from nlvc_av.cli import transcode_main

    (tmp_path / "notnpz.npz").write_bytes(b"this is not a zip file at all\n" * 4)
    make_clip(tmp_path / "src.mkv", pix_fmt="gray", width=8, height=8, frames=1, audio=None)
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "src.mkv"), str(tmp_path / "o.nlvc"),
                                            "--model", str(tmp_path / "notnpz.npz")])
    assert r.exit_code == 1 and "pickle" not in r.stderr, r.stderr
    assert r.stderr == (f"nlvc-transcode: error: --model {tmp_path / 'notnpz.npz'}: not an NLVC weights file "
                        "(.npz of integer arrays): File is not a zip file\n")


@pytest.mark.parametrize("value", ["-5", "abc", "0", "nanG", "1e400"])
def test_a_bad_memory_budget_is_named_as_written(parts, coder, monkeypatch, value):
    monkeypatch.setenv("NLVC_MAX_MEMORY", value)
    with pytest.raises(HeaderError) as info:
        decode(craft(parts), coder)
    assert str(info.value) == f"NLVC_MAX_MEMORY={value}: not a positive number of bytes (e.g. 4G, 512M, 1000000)"


def test_encoding_keeps_to_an_explicit_memory_budget(tmp_path, coder, monkeypatch):
    make_clip(tmp_path / "src.mkv", pix_fmt="gray", width=8, height=8, frames=2, audio=None)
    monkeypatch.setenv("NLVC_MAX_MEMORY", "4K")  # 2 frames of 8x8: 8 kB at 64 bytes a sample
    with pytest.raises(MemoryBudgetError, match=r"^coding GOPs of 2 frames of 8x8 gray needs about 8 KiB, more than "
                                                r"the budget of 4 KiB \(NLVC_MAX_MEMORY\)"):
        encode_file(tmp_path / "src.mkv", tmp_path / "a.nlvc", gop=2, coder=coder)
    assert not (tmp_path / "a.nlvc").exists()
    monkeypatch.setenv("NLVC_MAX_MEMORY", "1M")
    encode_file(tmp_path / "src.mkv", tmp_path / "a.nlvc", gop=2, coder=coder)
