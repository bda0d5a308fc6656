"""A package's sound files (format 1.6): each WAV/BWF/AIFF is an audio track whose packets are
its PCM coded losslessly (FLAC or nlvc-pcm-1) and whose SourceFile holds its other bytes; the
restore to a folder gives the file back byte for byte, nlvc verify checks it without the source,
a .mkv for viewing carries the sound as FLAC or Matroska PCM; a package of sound alone works;
RAWcooked's packages (when ../shared/data is here) come back as the same trees."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import container
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import check_file

from test_archive_images import dpx_bytes, random_image
from test_package import same_tree
from test_sound import aiff, chunk, fmt_body, riff, tone

FEATURES = Path(__file__).resolve().parents[2] / "shared" / "data" / "archive" / "Features"


def make_sound_package(root: Path, images: bool = True) -> Path:
    rng = np.random.default_rng(9)
    (root / "REEL").mkdir(parents=True)
    if images:
        for k in range(3):
            (root / "REEL" / f"img_{k:06d}.dpx").write_bytes(dpx_bytes(10, 6, 6, 10, 1,
                                                                      random_image(rng, 10, 6, 1, 10)))
    pcm16 = np.round(tone(3000, 2, 9000)).astype("<i2").tobytes()
    bext = chunk(b"bext", b"Description of the take".ljust(602, b"\0"))
    (root / "REEL" / "sound_deu.wav").write_bytes(riff([bext, chunk(b"fmt ", fmt_body(2, 48000, 16)),
                                                        chunk(b"data", pcm16), chunk(b"LIST", b"INFOIART\4\0\0\0me\0\0")]))
    pcm24 = np.round(tone(2000, 1, 3e6)).astype(">i4").view(np.uint8).reshape(-1, 4)[:, 1:].tobytes()
    (root / "REEL" / "sound_fra.aiff").write_bytes(aiff(1, 2000, 24, 48000.0, pcm24))
    floats = tone(1500, 2, 0.5).astype("<f4").tobytes()
    (root / "float.wav").write_bytes(riff([chunk(b"fmt ", fmt_body(2, 96000, 32, tag=3)), chunk(b"data", floats)]))
    (root / "notes.txt").write_text("three reels\n")
    return root


def test_a_package_with_sound_comes_back_as_the_same_tree(tmp_path):
    src = make_sound_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny", check=True)
    with container.open(tmp_path / "a.nlvc") as r:
        sounds = {t.source.name: t.codec_name for t in r.other_tracks}
        side = sorted(f.name for f in r.package)
    assert set(sounds) == {"REEL/sound_deu.wav", "REEL/sound_fra.aiff", "float.wav"}
    assert sounds["float.wav"] == "nlvc-pcm-1" and set(sounds.values()) <= {"flac", "nlvc-pcm-1"}
    assert side == ["REEL/", "notes.txt"]  # the sound is in its tracks, not stored again
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert same_tree(src, tmp_path / "out")
    report = check_file(str(tmp_path / "a.nlvc"))
    assert report["ok"] and {name for name, _, ok in report["files"] if ok} >= set(sounds)
    sound_bytes = sum((src / n).stat().st_size for n in sounds)
    assert (tmp_path / "a.nlvc").stat().st_size < sound_bytes  # the PCM is coded, not stored


def test_the_mkv_for_viewing_carries_the_sound(tmp_path):
    src = make_sound_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    decode_file(tmp_path / "a.nlvc", tmp_path / "a.mkv")
    with av.open(str(tmp_path / "a.mkv")) as c:
        audio = [s for s in c.streams if s.type == "audio"]
        assert len(audio) == 3
        decoded = {s.index: 0 for s in audio}
        for packet in c.demux(audio):
            for frame in packet.decode():
                decoded[packet.stream.index] += frame.samples
    assert sorted(decoded.values()) == [1500, 2000, 3000]


def test_a_package_of_sound_alone(tmp_path):
    src = make_sound_package(tmp_path / "pkg", images=False)
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny", check=True)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert same_tree(src, tmp_path / "out")  # (its one placeholder frame is not a file)


def package_with_a_flipped_sound_byte(tmp_path: Path) -> Path:
    """The sound package encoded to a.nlvc, and b.nlvc: the same with one byte of a sound packet
    flipped (its cluster's CRC-32 and the packet's MD5 no longer match); the package's folder."""
    src = make_sound_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    data = bytearray((tmp_path / "a.nlvc").read_bytes())
    with container.open(tmp_path / "a.nlvc") as r:
        packet = next(p for c in r.iter_clusters() for p in c.packets if len(p.data) > 64)
    at = bytes(data).index(packet.data)
    data[at + len(packet.data) // 2] ^= 0x01
    (tmp_path / "b.nlvc").write_bytes(bytes(data))
    return src


def test_a_flipped_sound_byte_is_reported_and_the_pictures_recovered(tmp_path):
    package_with_a_flipped_sound_byte(tmp_path)
    report = check_file(str(tmp_path / "b.nlvc"))
    assert not report["ok"] and report["frames"] == 3
    assert any("does not match its stored MD5" in line for line in report["lines"]), report["lines"]
    stats = decode_file(tmp_path / "b.nlvc", tmp_path / "b.mkv", recover=True)
    assert stats.frames == 3 and stats.damage.packets_lost


@pytest.mark.skipif(not FEATURES.is_dir(), reason="../shared/data/archive is not here")
@pytest.mark.parametrize("package", ["AV_Package/HavingReels01-02", "FileNaming/000dpx+000wav/All",
                                     "AudioOnly/SingleWAV"])
def test_rawcooked_packages_come_back_as_the_same_trees(tmp_path, package):
    encode_file(str(FEATURES / package), tmp_path / "a.nlvc", model="tiny", check=True)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert same_tree(FEATURES / package, tmp_path / "out")


def test_audio_beside_a_sequence(tmp_path, cli_env):
    import subprocess
    import sys

    src = make_sound_package(tmp_path / "pkg")
    reel = src / "REEL"
    run = [sys.executable, "-c", "from nlvc_av.cli import main; main()"]
    r = subprocess.run(run + [str(reel / "img_%06d.dpx"), str(tmp_path / "a.nlvc"), "--audio", str(src / "float.wav"),
                              "--model", "tiny", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["float.wav", "img_000000.dpx", "img_000001.dpx",
                                                                    "img_000002.dpx"]
    assert (tmp_path / "out" / "float.wav").read_bytes() == (src / "float.wav").read_bytes()
    for bad, message in ((["--audio", str(src / "notes.txt")], "not a WAV, BWF, RF64 or AIFF file"),
                         (["--audio", str(tmp_path / "none.wav")], "no such file")):
        r = subprocess.run(run + [str(reel / "img_%06d.dpx"), str(tmp_path / "b.nlvc"), *bad, "-q"],
                           capture_output=True, text=True)
        assert r.returncode == 1 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_a_wav_that_ends_early_is_one_line_and_nothing_is_written(tmp_path, cli_env):
    import subprocess
    import sys

    src = make_sound_package(tmp_path / "pkg")
    wav = src / "REEL" / "sound_deu.wav"
    wav.write_bytes(wav.read_bytes()[:-1000])
    r = subprocess.run([sys.executable, "-c", "from nlvc_av.cli import main; main()", str(src),
                        str(tmp_path / "a.nlvc"), "--model", "tiny", "-q"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert "sound_deu.wav" in r.stderr and "nothing was written" in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.nlvc*")) and not list(tmp_path.glob(".a.nlvc*"))


def test_recover_to_a_folder_writes_the_pictures_when_a_sound_packet_is_lost(tmp_path):
    src = package_with_a_flipped_sound_byte(tmp_path)
    stats = decode_file(tmp_path / "b.nlvc", f"{tmp_path / 'out'}/", recover=True)
    assert stats.frames == 3 and stats.damage.packets_lost
    for k in range(3):
        name = f"REEL/img_{k:06d}.dpx"
        assert (tmp_path / "out" / name).read_bytes() == (src / name).read_bytes()
    assert (tmp_path / "out" / "notes.txt").is_file()
