"""Damage before the first Cluster that is not the video's: a flipped byte in Tags or in an audio
track's entry in Tracks, a tag that is not UTF-8. The video still comes back with --recover
(exit 3, the metadata loss reported); the plain decode names the damage and --recover; a bad
tag encoding is shown escaped and is not fatal."""
from __future__ import annotations

import zlib

import pytest
from click.testing import CliRunner

import container
from clipgen import make_clip, packets, parse_y4m, read_planes
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.transcode import encode_file

TAGS_ID, TRACKS_ID = bytes.fromhex("1254c367"), bytes.fromhex("1654ae6b")


@pytest.fixture(scope="module")
def clip(tmp_path_factory, coder):
    d = tmp_path_factory.mktemp("head")
    truth = make_clip(d / "src.mkv", pix_fmt="gray", width=8, height=8, frames=4)
    encode_file(d / "src.mkv", d / "src.nlvc", gop=2, coder=coder)
    return d, truth, (d / "src.nlvc").read_bytes()


def payload(data: bytes, element_id: bytes) -> tuple[int, int]:
    """(start, end) of the payload of the first top-level element with this ID (1-byte size
    fields are not used by the writer for these: it writes 8-byte sizes or the shortest)."""
    at = data.index(element_id)
    size_at = at + len(element_id)
    size_len = 9 - data[size_at].bit_length()
    size = int.from_bytes(data[size_at:size_at + size_len], "big") & ((1 << (7 * size_len)) - 1)
    return size_at + size_len, size_at + size_len + size


def flipped(data: bytes, pos: int) -> bytes:
    bad = bytearray(data)
    bad[pos] ^= 0x01
    return bytes(bad)


def cli(command, args, input=None):
    return CliRunner().invoke(command, [str(a) for a in args], input=input, catch_exceptions=False)


def y4m_frames(path) -> list[bytes]:
    return parse_y4m(path.read_bytes())[1]


def test_damaged_tags_lose_only_the_tags(clip, tmp_path, cli_env):
    d, truth, data = clip
    start, end = payload(data, TAGS_ID)
    bad = flipped(data, end - 2)  # in the last tag's value
    (tmp_path / "bad.nlvc").write_bytes(bad)
    tags_at = data.index(TAGS_ID)
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.y4m"])
    assert r.exit_code == 1 and not (tmp_path / "out.y4m").exists()
    assert r.stderr.startswith(f"nlvc-transcode: error: CRC-32 mismatch in Tags at byte {tags_at} (stored 0x")
    assert r.stderr.rstrip().endswith("; --recover writes every intact GOP")
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.y4m", "--recover"])
    assert r.exit_code == 3, r.output
    assert (f"nlvc-transcode: warning: metadata lost: damaged Tags: CRC-32 mismatch in Tags at byte {tags_at} "
            "(stored 0x") in r.stderr
    assert "): the file's tags are lost" in r.stderr
    assert r.stderr.rstrip().endswith("nlvc-transcode: error: data lost: 4 frames of 2 intact GOPs written, "
                                      "metadata lost")
    assert y4m_frames(tmp_path / "out.y4m") == [f[0].tobytes() for f in truth]
    r = cli(nlvc_main, ["info", tmp_path / "bad.nlvc"])
    assert r.exit_code == 3 and "damage    metadata lost: damaged Tags: CRC-32 mismatch" in r.stdout
    r = cli(nlvc_main, ["verify", tmp_path / "bad.nlvc"])
    assert r.exit_code == 1 and "nlvc verify: metadata lost: damaged Tags" in r.stderr
    assert r.stderr.rstrip().endswith("damaged: 4 frames in 2 intact GOPs, metadata lost")


def test_damaged_audio_track_entry_loses_only_the_audio(clip, tmp_path, cli_env):
    d, truth, data = clip
    start, end = payload(data, TRACKS_ID)
    codec = data.index(b"pcm_s16le", start, end)
    (tmp_path / "bad.nlvc").write_bytes(flipped(data, codec + 3))  # the audio's codec name
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.mkv"])
    assert r.exit_code == 1 and "CRC-32 mismatch in Tracks" in r.stderr and "--recover" in r.stderr
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.mkv", "--recover"])
    assert r.exit_code == 3, r.output
    assert ("): 1 audio/subtitle/data track is lost, the video track's fields are read unchecked (its frames "
            "are still checked against their MD5s)") in r.stderr
    assert "metadata lost: damaged Tracks: CRC-32 mismatch in Tracks at byte" in r.stderr
    _, frames, _ = read_planes(tmp_path / "out.mkv")
    assert [f[0].tobytes() for f in frames] == [f[0].tobytes() for f in truth]
    assert packets(tmp_path / "out.mkv") == [] and packets(d / "src.mkv") != []


def test_a_tag_that_is_not_utf8_is_shown_escaped(clip, tmp_path, cli_env):
    d, truth, data = clip
    start, end = payload(data, TAGS_ID)
    at = data.index(b"nlvc:preset", start, end)
    value = data.index(b"default", at, end)
    bad = bytearray(data)
    bad[value + 1] = 0xFF  # "d\xfffault": not UTF-8
    bad[start + 2:start + 6] = zlib.crc32(bad[start + 6:end]).to_bytes(4, "big")  # a valid CRC-32
    (tmp_path / "t.nlvc").write_bytes(bytes(bad))
    r = cli(nlvc_main, ["info", tmp_path / "t.nlvc"])
    assert r.exit_code == 0, r.output
    assert "tag       nlvc:preset = d\\xfffault" in r.stdout
    assert "damage    no frame lost: the value of SimpleTag 'nlvc:preset' at byte" in r.stdout
    assert "is not valid UTF-8; its bad bytes are shown as \\x escapes" in r.stdout
    r = cli(transcode_main, [tmp_path / "t.nlvc", tmp_path / "out.y4m"])
    assert r.exit_code == 0, r.output
    assert "nlvc-transcode: warning: " in r.stderr and "is not valid UTF-8" in r.stderr
    assert y4m_frames(tmp_path / "out.y4m") == [f[0].tobytes() for f in truth]
    with container.open(tmp_path / "t.nlvc") as reader:
        assert reader.tags["nlvc:preset"] == "d\\xfffault" and not reader.head_errors[0].data_lost
