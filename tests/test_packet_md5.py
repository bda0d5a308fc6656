"""Fixity of the carried streams (issue 33 item 8): each audio/subtitle packet carries the MD5 of
its data (format 1.5, PacketMD5), written at encode and compared by ``nlvc verify``, every
decode that writes the packets, ``--recover`` (the packet alone is lost) and ``demux()``. A
packet changed with its cluster's CRC-32 recomputed passed as intact before. Files written
before 1.5 keep reading; ``nlvc verify`` says their packets are checked by the CRC-32 only.
"""
from __future__ import annotations

import hashlib
import io
import json
import zlib

import pytest
from click.testing import CliRunner

import container
import nlvc_av
from clipgen import make_clip
from container import CorruptFileError, ebml, writer
from container import elements as E
from container.parse import CRC_HEAD, parse_cluster
from nlvc_av import jobs
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.errors import PacketChecksumError
from nlvc_av.transcode import encode_file

def cli(command, args):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def clip(tmp_path_factory, coder):
    """6 frames of 8x8 gray in 3 GOPs, with a PCM audio track (a few packets per GOP)."""
    d = tmp_path_factory.mktemp("packet_md5")
    make_clip(d / "src.mkv", pix_fmt="gray", width=8, height=8, frames=6)
    encode_file(d / "src.mkv", d / "src.nlvc", gop=2, coder=coder)
    data = (d / "src.nlvc").read_bytes()
    with container.open(io.BytesIO(data)) as r:
        clusters = list(r.iter_clusters())
        assert r.version >= (1, 5) and all(len(c.packets) >= 2 for c in clusters)
        assert all(p.md5 == hashlib.md5(p.data).digest() for c in clusters for p in c.packets)
    return d, data, clusters


def tamper(data: bytes, gop: int, which: int) -> bytes:
    """The file with one byte of packet ``which`` of GOP ``gop`` changed, the cluster's CRC-32
    recomputed (what a CRC alone cannot catch)."""
    with container.open(io.BytesIO(data)) as r:
        start = r.cues[gop].offset
        packet = r.read_cluster(gop).packets[which]
    size_len = 9 - data[start + 4].bit_length()
    size = int.from_bytes(data[start + 4:start + 4 + size_len], "big") & ((1 << (7 * size_len)) - 1)
    body, end = start + 4 + size_len, start + 4 + size_len + size
    at = data.find(packet.data, body, end)
    assert at > 0 and data.find(packet.data, at + 1, end) < 0
    bad = bytearray(data)
    bad[at + 3] ^= 0x01
    bad[body + 2:body + 6] = zlib.crc32(bytes(bad[body + 6:end])).to_bytes(4, "big")
    return bytes(bad)


def rewrite(data: bytes, **writer_args) -> bytes:
    """The same file written again by the container (e.g. without packet MD5s, as before 1.5)."""
    out = io.BytesIO()
    with container.open(io.BytesIO(data)) as r:
        with container.open(out, "w", codec_setup=r.codec_setup, tracks=r.tracks, info=r.info,
                            tags=r.tags, **writer_args) as w:
            for cluster in r.iter_clusters():
                w.write_cluster(cluster)
    return out.getvalue()


def test_the_writer_stores_each_packets_md5_only_when_asked(clip):
    _, data, clusters = clip
    old = rewrite(data)  # the container's default: no PacketMD5, the version of a file before 1.5
    with container.open(io.BytesIO(old)) as r:  # (1.6 only for its PCM coded by NLVC, 6.4)
        assert r.version == ((1, 6) if any(t.codec_name.startswith("nlvc-") for t in r.other_tracks) else (1, 0))
        assert [c for c in r.iter_clusters()] == clusters and all(
            p.md5 == b"" for c in r.iter_clusters(start=0) for p in c.packets)
    again = rewrite(old, packet_md5=True)
    assert again == data  # byte for byte what the encoder wrote
    element = bytes.fromhex("4e67") + b"\x90" + clusters[1].packets[0].md5
    assert element in data and element not in old


def test_a_packet_md5_of_the_wrong_length_is_a_damaged_cluster(clip):
    _, _, clusters = clip
    p = clusters[1].packets[0]
    children = b"".join(writer._cluster(clusters[1], True)[2:])
    short = ebml.master(E.PACKET, [ebml.element(E.PACKET_TRACK, ebml.encode_uint(p.track)),
                                   ebml.element(E.PACKET_MD5, p.md5[:15]), ebml.element(E.PACKET_DATA, p.data)])
    assert children.count(writer._packet(p, True)) == 1
    children = children.replace(writer._packet(p, True), short)
    body = CRC_HEAD + zlib.crc32(children).to_bytes(4, "big") + children
    with pytest.raises(CorruptFileError, match=r"^PacketMD5 at byte \d+ is 15 bytes; an MD5 has 16$"):
        parse_cluster(body, 100, 8, {p.track})


def test_verify_finds_a_changed_packet_whose_crc_was_recomputed(clip, tmp_path, cli_env):
    d, data, clusters = clip
    total = sum(len(c.packets) for c in clusters)
    r = cli(nlvc_main, ["verify", d / "src.nlvc"])
    assert r.exit_code == 0, r.output
    assert r.stdout.rstrip().endswith(f"every CRC-32 and frame MD5 checked, {total} packets of the other "
                                      f"streams MD5-checked, {total} coded PCM packets decoded")  # (its sound: PCM)
    bad = tmp_path / "bad.nlvc"
    bad.write_bytes(tamper(data, 1, 1))
    p = clusters[1].packets[1]
    r = cli(nlvc_main, ["verify", bad])
    assert r.exit_code == 1, r.output
    assert r.stderr == (f"nlvc verify: packet lost (the GOP's frames are intact): GOP 1: track {p.track} "
                        f"(audio): the packet at pts {p.pts} ({len(p.data)} bytes) does not match its stored MD5\n"
                        f"nlvc verify: {bad}: damaged: 6 frames in 3 intact GOPs, 1 packet lost\n")
    report = json.loads(cli(nlvc_main, ["verify", bad, "--json"]).stdout)
    assert (report["ok"], report["damage"]["lost_packets"], report["packets"]) == (
        False, 1, {"md5": total, "crc_only": 0, "pcm_decoded": total - 1})  # (the lost one is not decoded)


def test_decoding_checks_the_packets(clip, tmp_path, cli_env, coder):
    d, data, clusters = clip
    total = sum(len(c.packets) for c in clusters)
    bad = tmp_path / "bad.nlvc"
    bad.write_bytes(tamper(data, 2, 0))
    r = cli(transcode_main, [bad, tmp_path / "out.mkv"])
    assert r.exit_code == 1 and not (tmp_path / "out.mkv").exists()
    assert r.stderr.startswith("nlvc-transcode: error: GOP 2: track 2 (audio): the packet at pts ")
    assert r.stderr.rstrip().endswith("does not match its stored MD5; --recover writes every intact GOP")
    r = cli(transcode_main, [bad, tmp_path / "out.mkv", "--recover"])
    assert r.exit_code == 3, r.output
    assert f"6 frames (MD5 verified), {total - 1} other packets" in r.stderr
    assert "nlvc-transcode: warning: packet lost (the GOP's frames are intact): GOP 2: " in r.stderr
    assert "nlvc-transcode: error: data lost: 6 frames of 3 intact GOPs written, 1 packet lost" in r.stderr
    with nlvc_av.open(io.BytesIO(bad.read_bytes()), coder=coder) as f:
        with pytest.raises(PacketChecksumError, match=r"^GOP 2: track 2 \(audio\): the packet at pts \d+ "):
            list(f.demux())
    with container.open(str(bad)) as reader:  # GOPs decoded by workers: the packets checked here
        pool = jobs.ThreadPool(2)
        try:
            with pytest.raises(PacketChecksumError, match="^GOP 2: "):
                list(jobs.iter_decoded(reader, coder, runner=jobs.GopRunner(executor=pool), packets=[]))
        finally:
            pool.close()


def test_a_file_before_1_5_reads_and_says_its_packets_are_checked_by_crc_only(clip, tmp_path, cli_env):
    d, data, clusters = clip
    total = sum(len(c.packets) for c in clusters)
    old = tmp_path / "old.nlvc"
    old.write_bytes(rewrite(data))
    r = cli(nlvc_main, ["verify", old])
    assert r.exit_code == 0, r.output
    assert r.stdout.rstrip().endswith(f"every CRC-32 and frame MD5 checked, {total} packets of the other "
                                      "streams by the CRC-32 only (no packet MD5s: written before format 1.5), "
                                      f"{total} coded PCM packets decoded")  # (its PCM coded per packet, 1.6)
    r = cli(transcode_main, [old, tmp_path / "out.mkv"])
    assert r.exit_code == 0, r.output
    assert f"6 frames (MD5 verified), {total} other packets" in r.stderr
