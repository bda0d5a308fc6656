"""Damage in what an archive file keeps besides the pictures: a flipped byte in a source file's
stored header bytes or in a package's side file is reported by nlvc verify (naming the file),
and --recover still restores every picture (a cluster whose CRC-32 fails is read anyway when
every frame matches its MD5; the damaged source file comes back from its pixels)."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import check_file

from test_archive_images import dpx_bytes, random_image


def flip(path, marker: bytes, occurrence: int, delta: int) -> None:
    data = bytearray(path.read_bytes())
    at = -1
    for _ in range(occurrence + 1):
        at = data.index(marker, at + 1)
    data[at + delta] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "pkg"
    (root / "reel").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for k in range(3):
        (root / "reel" / f"f_{k:04d}.dpx").write_bytes(dpx_bytes(12, 6, 50, 10, 1, random_image(rng, 12, 6, 3, 10)))
    (root / "notes.txt").write_text("NOTES " * 50)
    return root


def test_a_flipped_header_byte_is_reported_and_the_pictures_recovered(tmp_path, package):
    import container

    encode_file(str(package), tmp_path / "a.nlvc", model="tiny", gop=1)
    with container.open(tmp_path / "a.nlvc") as r:
        stored = [c.source_files[0].data for c in r.iter_clusters()][1]
    flip(tmp_path / "a.nlvc", stored, 1, len(stored) // 2)  # the second file's stored header, in GOP 1 (all three alike)
    report = check_file(str(tmp_path / "a.nlvc"))
    assert not report["ok"]
    assert any("reel/f_0001.dpx: its kept bytes do not rebuild it" in line for line in report["lines"])
    assert report["frames"] == 3
    with pytest.raises(Exception, match="CRC-32 mismatch"):  # a plain decode stops at the damage
        decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'plain'}/")
    stats = decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/", recover=True)
    assert stats.frames == 3 and stats.damage.files_lost
    for k in (0, 2):
        name = f"reel/f_{k:04d}.dpx"
        assert (tmp_path / "out" / name).read_bytes() == (package / name).read_bytes()
    assert (tmp_path / "out" / "reel" / "f_0001.dpx").is_file()  # its pixels, as FFmpeg writes them
    assert (tmp_path / "out" / "notes.txt").read_bytes() == (package / "notes.txt").read_bytes()


def test_a_flipped_side_file_byte_is_reported_and_the_pictures_recovered(tmp_path, package):
    (package / "notes.txt").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 300, np.uint8)))
    encode_file(str(package), tmp_path / "a.nlvc", model="tiny")
    flip(tmp_path / "a.nlvc", b"notes.txt", 0, 40)  # inside the stored bytes after its name
    report = check_file(str(tmp_path / "a.nlvc"))
    assert not report["ok"] and "metadata lost" in report["summary"], report["lines"]
    stats = decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/", recover=True)
    assert stats.frames == 3
    for k in range(3):
        name = f"reel/f_{k:04d}.dpx"
        assert (tmp_path / "out" / name).read_bytes() == (package / name).read_bytes()
