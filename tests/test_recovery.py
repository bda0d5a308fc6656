"""Damaged files give back every intact GOP, bit-exact, and say exactly what was lost.

One tiny clip (8x8 gray, 6 frames, GOP 2: three clusters) is damaged in each way a file gets
damaged: Cues, CuesLocator, a cut inside GOP 1, a flipped byte in GOP 1. Each case checks which
frames come back (against the source planes), which are reported lost, and the message; through
a seekable file and through a pipe alike; then the CLI: decode (default and --recover),
nlvc info, and nlvc verify FILE.nlvc.
"""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

import container
import nlvc_av
from clipgen import make_clip, parse_y4m
from nlvc_av import recovery
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.transcode import encode_file

CLUSTER_ID, CUES_ID = bytes.fromhex("1f43b675"), bytes.fromhex("1c53bb6b")


class Pipe(io.RawIOBase):
    """A non-seekable stream (what a reader of stdin sees)."""

    def __init__(self, data: bytes):
        self._f = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b) -> int:
        return self._f.readinto(b)


@pytest.fixture(scope="module")
def good(tmp_path_factory, coder):
    d = tmp_path_factory.mktemp("recovery")
    truth = make_clip(d / "src.mkv", pix_fmt="gray", width=8, height=8, frames=6, audio=None)
    encode_file(d / "src.mkv", d / "src.nlvc", gop=2, coder=coder)
    data = (d / "src.nlvc").read_bytes()
    clusters = [i for i in range(len(data)) if data.startswith(CLUSTER_ID, i)]
    assert len(clusters) == 3
    return d, truth, data, clusters


def payload_middle(data: bytes, gop: int) -> int:
    """The offset of the middle byte of GOP ``gop``'s coded payload (a flip there changes its
    frames: unlike a flip in the range coder's last bytes, which the frames may not feel)."""
    with container.open(io.BytesIO(data)) as r:
        payload = [c.payload for c in r.iter_clusters()][gop]
    return data.index(payload) + len(payload) // 2


def recovered(data: bytes, coder, pipe: bool):
    r = container.open(Pipe(data) if pipe else io.BytesIO(data))
    report = recovery.DamageReport(r.codec_setup.gop_size)
    frames = {f.gop * 2 + f.index: f.planes for f in recovery.iter_recovered(r, coder, report)}
    return frames, report


def assert_frames(frames, truth, expected):
    assert sorted(frames) == expected
    for k in expected:
        assert [p.tobytes() for p in frames[k]] == [p.tobytes() for p in truth[k]], f"frame {k}"


@pytest.mark.parametrize("pipe", [False, True])
def test_damaged_cues_lose_nothing(good, coder, pipe):
    _, truth, data, _ = good
    cues = data.rfind(CUES_ID)
    bad = bytearray(data)
    bad[cues + 12] ^= 0xFF
    frames, report = recovered(bytes(bad), coder, pipe)
    assert_frames(frames, truth, [0, 1, 2, 3, 4, 5])
    assert report.lost == [] and len(report.notices) == 1
    assert report.lines()[0].startswith(f"no frame lost: damaged Cues: CRC-32 mismatch in Cues at byte {cues} ")
    with nlvc_av.open(io.BytesIO(bytes(bad)), coder=coder) as f:  # the default read does not refuse it
        pts = [d.pts for d in f.decode_planes()]
        assert len(pts) == 6
        if not pipe:
            f.seek(pts[4])  # random access falls back to a scan of the clusters
            assert [d.pts for d in f.decode_planes()] == pts[4:]


@pytest.mark.parametrize("pipe", [False, True])
def test_missing_locator_byte_loses_nothing(good, coder, pipe):
    _, truth, data, _ = good
    frames, report = recovered(data[:-5] + data[-4:], coder, pipe)
    assert_frames(frames, truth, [0, 1, 2, 3, 4, 5])
    assert report.lost == []
    [notice] = report.notices  # (a pipe cannot say how much remains: "the file ends after 7")
    assert notice.describe().startswith(f"no frame lost: file ends early after the Cues: CuesLocator at "
                                        f"byte {len(data) - 13} claims 8 bytes but ")


@pytest.mark.parametrize("pipe", [False, True])
@pytest.mark.parametrize("keep", [1, 3, 4, 5, 20, -13])  # bytes of the Cues left (-13: all but the locator)
def test_a_cut_in_the_cues_loses_no_gop(good, coder, pipe, keep):
    """Issue 33: a file cut inside its trailing Cues (the index the writer puts after the last
    Cluster) has every GOP: it is an index notice, not "GOP 3 lost"."""
    _, truth, data, _ = good
    cues = data.rfind(CUES_ID)
    cut = cues + keep if keep > 0 else len(data) + keep - 1  # (-13: one byte of the Cues gone too)
    frames, report = recovered(data[:cut], coder, pipe)
    assert_frames(frames, truth, [0, 1, 2, 3, 4, 5])
    assert report.lost == [] and not report.data_lost
    [notice] = report.notices
    assert notice.gop is None
    assert notice.describe().startswith("no frame lost: file ends early in the index (Cues): ")
    if not pipe and keep > 5:
        assert f"Cues at byte {cues} claims " in notice.message
    with nlvc_av.open(io.BytesIO(data[:cut]), coder=coder) as f:  # a plain read does not refuse it
        assert len(list(f.decode_planes())) == 6


@pytest.mark.parametrize("pipe", [False, True])
def test_a_file_without_its_cues_locator_gets_a_notice(good, coder, pipe):
    _, truth, data, _ = good
    frames, report = recovered(data[:-13], coder, pipe)
    assert_frames(frames, truth, [0, 1, 2, 3, 4, 5])
    assert report.lost == []
    [notice] = report.notices
    assert notice.describe() == (f"no frame lost: file ends early after the Cues: no CuesLocator (the 13 bytes "
                                 f"that end a finished file) after them; the data stops at byte {len(data) - 13}")


def test_cues_found_by_a_resync_prove_nothing(good, coder):
    """The Cues ID met only after damage (here inside a cut cluster) may be bytes of a payload:
    the GOP after the damage is still reported lost."""
    _, truth, data, clusters = good
    cues = data.rfind(CUES_ID)
    fake = data[:clusters[2] + 20] + CUES_ID + b"\x85" + b"\x00" * 3  # a Cues header claiming 5 bytes, cut
    frames, report = recovered(fake, coder, False)
    assert_frames(frames, truth, [0, 1, 2, 3])
    assert [x.gop for x in report.lost] == [2]
    assert cues > clusters[2]


@pytest.mark.parametrize("pipe", [False, True])
def test_cut_in_gop_1(good, coder, pipe):
    _, truth, data, clusters = good
    cut = clusters[1] + 40
    frames, report = recovered(data[:cut], coder, pipe)
    assert_frames(frames, truth, [0, 1])
    [loss] = report.lost
    assert (loss.gop, loss.first_frame, loss.last_frame) == (1, 2, None)
    assert loss.describe().startswith(f"GOP 1 (frames 2 and after) lost at byte {cut}: file ends early at "
                                      f"GOP 1: Cluster at byte {clusters[1]} claims ")


@pytest.mark.parametrize("pipe", [False, True])
def test_flipped_byte_in_gop_1(good, coder, pipe):
    _, truth, data, clusters = good
    bad = bytearray(data)
    bad[clusters[2] - 3] ^= 0x01  # in GOP 1's payload
    frames, report = recovered(bytes(bad), coder, pipe)
    assert_frames(frames, truth, [0, 1, 4, 5])
    [loss] = report.lost
    assert (loss.gop, loss.first_frame, loss.last_frame, loss.offset) == (1, 2, 3, clusters[1])
    assert loss.describe().startswith(f"GOP 1 (frames 2-3) lost at byte {clusters[1]}: CRC-32 mismatch in "
                                      f"Cluster at byte {clusters[1]} (stored 0x")
    assert report.summary() == "4 frames in 2 intact GOPs, 1 GOP lost"


def cli(command, args, input=None):
    return CliRunner().invoke(command, [str(a) for a in args], input=input, catch_exceptions=False)


def test_decode_stops_by_default_and_recover_writes_every_intact_gop(good, tmp_path, cli_env):
    _, truth, data, clusters = good
    bad = bytearray(data)
    bad[payload_middle(data, 1)] ^= 0x01  # (its frames no longer match their MD5s)
    (tmp_path / "bad.nlvc").write_bytes(bytes(bad))
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.y4m"])
    assert r.exit_code == 1 and not (tmp_path / "out.y4m").exists()
    assert r.stderr.startswith(f"nlvc-transcode: error: GOP 1: CRC-32 mismatch in Cluster at byte {clusters[1]} ")
    assert r.stderr.rstrip().endswith("; --recover writes every intact GOP")
    r = cli(transcode_main, [tmp_path / "bad.nlvc", tmp_path / "out.y4m", "--recover"])
    assert r.exit_code == 3, r.output
    assert f"nlvc-transcode: warning: GOP 1 (frames 2-3) lost at byte {clusters[1]}: CRC-32 mismatch" in r.stderr
    assert "nlvc-transcode: error: data lost: 4 frames of 2 intact GOPs written, 1 GOP lost" in r.stderr
    _, written = parse_y4m((tmp_path / "out.y4m").read_bytes())
    assert written == [truth[k][0].tobytes() for k in (0, 1, 4, 5)]


def test_info_reports_the_damage_and_reads_stdin(good, tmp_path, cli_env):
    d, _, data, clusters = good
    r = cli(nlvc_main, ["info", "-"], input=data[:clusters[1] + 40])
    assert r.exit_code == 3, r.output
    assert "damage    1 GOP lost (1); 2 frames in 1 GOP intact" in r.stdout
    assert f"damage    GOP 1 (frames 2 and after) lost at byte {clusters[1] + 40}: file ends early" in r.stdout
    r = cli(nlvc_main, ["info", "-", "--json"], input=data)
    assert r.exit_code == 0 and json.loads(r.stdout)["damage"] is None
    assert json.loads(r.stdout)["file_bytes"] == len(data)


def test_verify_one_file(good, tmp_path, cli_env):
    d, _, data, clusters = good
    r = cli(nlvc_main, ["verify", d / "src.nlvc"])
    assert r.exit_code == 0, r.output
    assert r.stdout == f"{d / 'src.nlvc'}: intact: 6 frames in 3 intact GOPs; every CRC-32 and frame MD5 checked\n"
    bad = bytearray(data)
    bad[payload_middle(data, 1)] ^= 0x01
    (tmp_path / "flip.nlvc").write_bytes(bytes(bad))
    r = cli(nlvc_main, ["verify", tmp_path / "flip.nlvc"])
    assert r.exit_code == 1
    assert r.stderr.startswith(f"nlvc verify: GOP 1 (frames 2-3) lost at byte {clusters[1]}: CRC-32 mismatch")
    assert r.stderr.endswith(f"nlvc verify: {tmp_path / 'flip.nlvc'}: damaged: 4 frames in 2 intact GOPs, 1 GOP lost\n")
    # A flip the frames do not feel (the range coder's last byte): the CRC-32 fails, every frame
    # still matches its MD5: damaged, no frame lost.
    bad = bytearray(data)
    bad[clusters[2] - 3] ^= 0x01
    (tmp_path / "tail.nlvc").write_bytes(bytes(bad))
    r = cli(nlvc_main, ["verify", tmp_path / "tail.nlvc"])
    assert r.exit_code == 1
    assert r.stderr.startswith(f"nlvc verify: no frame lost: GOP 1: CRC-32 mismatch in Cluster at byte {clusters[1]}")
    assert "read anyway: every frame matches its MD5" in r.stderr
    assert r.stderr.endswith("damaged, no frame lost: 6 frames in 3 intact GOPs, 1 damage notice\n")
    (tmp_path / "cut.nlvc").write_bytes(data[:clusters[2] + 10])
    r = cli(nlvc_main, ["verify", tmp_path / "cut.nlvc", "--json"])
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert (report["ok"], report["frames"], report["damage"]["lost_gops"]) == (False, 4, [2])
    assert report["lines"][0].startswith(f"GOP 2 (frames 4 and after) lost at byte {clusters[2] + 10}: "
                                         "file ends early at GOP 2")


@pytest.mark.parametrize("cut", [30, 13])  # into the Cues; the CuesLocator alone
def test_cli_on_a_cut_index(good, tmp_path, cli_env, cut):
    """Issue 33: ``head -c -30 good.nlvc``: verify says no frame is lost, a plain decode writes
    every frame (with a warning), --recover exits 0."""
    d, truth, data, _ = good
    cues = data.rfind(CUES_ID)
    path = tmp_path / "cut.nlvc"
    path.write_bytes(data[:-cut])
    r = cli(nlvc_main, ["verify", path])
    assert r.exit_code == 1 and "lost at byte" not in r.stderr
    what = "in the index (Cues): " if cut == 30 else "after the Cues: no CuesLocator"
    assert r.stderr.startswith(f"nlvc verify: no frame lost: file ends early {what}")
    assert r.stderr.endswith(f"nlvc verify: {path}: damaged, no frame lost: 6 frames in 3 intact GOPs, "
                             "1 damage notice\n")
    r = cli(nlvc_main, ["verify", path, "--json"])
    report = json.loads(r.stdout)
    assert (report["verdict"], report["frames"], report["damage"]["lost_gops"]) == ("damaged, no frame lost", 6, [])
    r = cli(transcode_main, [path, tmp_path / "out.y4m"])
    assert r.exit_code == 0, r.output
    assert f"nlvc-transcode: warning: {path}: no frame lost: file ends early {what}" in r.stderr
    if cut == 30:
        assert f"Cues at byte {cues} claims " in r.stderr
    assert parse_y4m((tmp_path / "out.y4m").read_bytes())[1] == [t[0].tobytes() for t in truth]
    r = cli(transcode_main, [path, tmp_path / "rec.y4m", "--recover"])
    assert r.exit_code == 0, r.output
    assert f"nlvc-transcode: warning: no frame lost: file ends early {what}" in r.stderr
    assert "error" not in r.stderr
    assert (tmp_path / "rec.y4m").read_bytes() == (tmp_path / "out.y4m").read_bytes()
    r = cli(nlvc_main, ["info", path])
    assert r.exit_code == 0 and "damage    0 GOPs lost; 6 frames in 3 GOPs intact" in r.stdout


def test_recover_writes_an_image_sequence_intact_and_damaged(tmp_path, cli_env):
    from test_imageseq import write_sequence

    folder = write_sequence(tmp_path / "scans", "dpx", "gbrp10le", "dpx", count=4, first=1)
    encode_file(str(folder), tmp_path / "scans.nlvc", model="tiny", gop=2)
    names = [f"scan_{n:06d}.dpx" for n in range(1, 5)]
    r = cli(transcode_main, [tmp_path / "scans.nlvc", str(tmp_path / "out") + "/", "--recover", "-q"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes()
    data = (tmp_path / "scans.nlvc").read_bytes()
    clusters = [i for i in range(len(data)) if data.startswith(CLUSTER_ID, i)]
    bad = bytearray(data)
    bad[payload_middle(data, 0)] ^= 0x01  # in GOP 0's payload
    (tmp_path / "bad.nlvc").write_bytes(bytes(bad))
    r = cli(transcode_main, [tmp_path / "bad.nlvc", str(tmp_path / "out2") + "/", "--recover", "-q"])
    assert r.exit_code == 3, r.output
    assert "GOP 0 (frames 0-1) lost" in r.stderr
    assert sorted(p.name for p in (tmp_path / "out2").iterdir()) == names[2:]
    for name in names[2:]:
        assert (tmp_path / "out2" / name).read_bytes() == (folder / name).read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_recover_of_a_png_sequence_keeps_the_numbers_after_a_lost_gop(good, tmp_path, cli_env):
    _, truth, data, clusters = good
    bad = bytearray(data)
    bad[payload_middle(data, 1)] ^= 0x01  # GOP 1 (frames 2-3)
    (tmp_path / "bad.nlvc").write_bytes(bytes(bad))
    r = cli(transcode_main, [tmp_path / "bad.nlvc", str(tmp_path / "out") + "/", "--recover", "-q"])
    assert r.exit_code == 3, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "frame_000000.png", "frame_000001.png", "frame_000004.png", "frame_000005.png"]


@pytest.mark.parametrize("dst", ["out.y4m", "out.mkv", "out/", "-"])
def test_recover_with_every_gop_lost_writes_nothing(good, tmp_path, cli_env, dst):
    _, _, data, clusters = good
    bad = bytearray(data)
    for gop in range(len(clusters)):
        bad[payload_middle(data, gop)] ^= 0x01  # every cluster's CRC-32 fails, and its frames
    (tmp_path / "bad.nlvc").write_bytes(bytes(bad))
    target = dst if dst == "-" else f"{tmp_path}/{dst}"
    r = cli(transcode_main, [tmp_path / "bad.nlvc", target, "--recover"])
    assert r.exit_code == 3, r.output
    assert r.stderr.count("lost at byte") == 3 and "MD5 verified" not in r.stderr
    assert r.stderr.rstrip().endswith(
        "nlvc-transcode: error: nothing recoverable: 3 GOPs lost, no intact GOP; nothing written")
    assert r.stdout_bytes == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.nlvc"]


def test_restored_folder_gets_the_mode_of_the_umask(good, tmp_path, cli_env):
    import os

    d = good[0]
    old = os.umask(0o022)
    try:
        r = cli(transcode_main, [d / "src.nlvc", str(tmp_path / "out") + "/", "-q"])
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def test_a_damaged_crc_alone_loses_nothing_but_damaged_timestamps_lose_the_gop(good, tmp_path, cli_env):
    """--recover reads a cluster whose CRC-32 fails when its frames match their MD5s and what no
    MD5 covers (its timestamps) holds together; a flipped timestamp still costs the GOP."""
    _, truth, data, clusters = good
    bad = bytearray(data)
    bad[clusters[1] + 8] ^= 0x01  # GOP 1's stored CRC-32 itself
    (tmp_path / "crc.nlvc").write_bytes(bytes(bad))
    r = cli(transcode_main, [tmp_path / "crc.nlvc", tmp_path / "out.y4m", "--recover"])
    assert r.exit_code == 0, r.output
    assert "no frame lost: GOP 1: CRC-32 mismatch" in r.stderr and "read anyway" in r.stderr
    _, written = parse_y4m((tmp_path / "out.y4m").read_bytes())
    assert written == [truth[k][0].tobytes() for k in range(6)]
    with container.open(io.BytesIO(data)) as reader:
        pts = [c.frame_pts for c in reader.iter_clusters()][1]
    bad = bytearray(data)
    at = bad.index(pts[1].to_bytes(8, "big", signed=True), clusters[1], clusters[2])
    bad[at + 7] ^= 0x01  # GOP 1's second timestamp
    (tmp_path / "pts.nlvc").write_bytes(bytes(bad))
    r = cli(transcode_main, [tmp_path / "pts.nlvc", tmp_path / "out2.y4m", "--recover"])
    assert r.exit_code == 3 and "GOP 1 (frames 2-3) lost" in r.stderr, r.output
