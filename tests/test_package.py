"""Film packages (format 1.6): a folder with reels in sub-folders, side files (manifests, text,
empty files), empty folders, restored as the same tree; MD5 manifests checked at encode (a wrong
one names the file); --check; nlvc verify --files; the container's Package element and a
track's SourceFile round trip."""
from __future__ import annotations

import filecmp
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import container
from container import Cluster, CodecSetup, Packet, SourceFile, StreamTrack, VideoTrack
from nlvc_av.errors import InputError, OutputError
from nlvc_av.transcode import decode_file, encode_file

from test_archive_images import dpx_bytes, random_image

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "archive" / "Features"


def same_tree(a: Path, b: Path) -> bool:
    """diff -r: the same names, folders and bytes."""
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    if any(not filecmp.cmp(a / f, b / f, shallow=False) for f in cmp.common_files):
        return False
    return all(same_tree(a / d, b / d) for d in cmp.common_dirs)


def make_package(root: Path) -> Path:
    rng = np.random.default_rng(5)
    for reel in (1, 2):
        folder = root / "FILM" / f"REEL_{reel:02d}" / "DPX"
        folder.mkdir(parents=True)
        for k in range(2):
            (folder / f"film_{reel}{k:05d}.dpx").write_bytes(dpx_bytes(12, 6, 50, 10, 1, random_image(rng, 12, 6, 3, 10)))
        (root / "FILM" / f"REEL_{reel:02d}" / "notes.txt").write_text(f"reel {reel}\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "nothing here").mkdir()
    lines = [f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*.dpx"))]
    (root / "manifest.md5").write_text("\n".join(lines) + "\n")
    return root


def test_a_package_comes_back_as_the_same_tree(tmp_path):
    src = make_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny", check=True)
    with container.open(tmp_path / "a.nlvc") as r:
        assert r.version == (1, 6)
        names = sorted(f.name for f in r.package)
    assert names == ["FILM/", "FILM/REEL_01/", "FILM/REEL_01/DPX/", "FILM/REEL_01/notes.txt", "FILM/REEL_02/",
                     "FILM/REEL_02/DPX/", "FILM/REEL_02/notes.txt", "empty.txt", "manifest.md5", "nothing here/"]
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert same_tree(src, tmp_path / "out")


def test_a_wrong_manifest_is_an_error_naming_the_file(tmp_path):
    src = make_package(tmp_path / "pkg")
    manifest = src / "manifest.md5"
    manifest.write_text(manifest.read_text().replace(manifest.read_text()[:1], "0" if manifest.read_text()[0] != "0"
                                                     else "1", 1))
    with pytest.raises(InputError, match=r"manifest.md5: FILM/REEL_01/DPX/film_100000.dpx has MD5 .* the manifest says"):
        encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    (src / "manifest.md5").write_text("d41d8cd98f00b204e9800998ecf8427e  FILM/missing.dpx\n")
    with pytest.raises(InputError, match="names FILM/missing.dpx, which is not in the package"):
        encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    (src / "manifest.md5").write_text("MD5 (empty.txt) = d41d8cd98f00b204e9800998ecf8427e\n")  # BSD style
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    assert not list(tmp_path.glob(".a.nlvc*"))


def test_check_writes_nothing_when_the_new_file_does_not_give_back_the_source(tmp_path, monkeypatch):
    import nlvc_av.verify

    src = make_package(tmp_path / "pkg")
    monkeypatch.setattr(nlvc_av.verify, "check_file", lambda path, **kw: {
        "ok": False, "lines": ["x.dpx: the rebuilt source file does not match its stored MD5"]})
    with pytest.raises(OutputError, match="--check: the new file does not give back what was read"):
        encode_file(str(src), tmp_path / "a.nlvc", model="tiny", check=True)
    assert list(tmp_path.iterdir()) == [tmp_path / "pkg"]


def test_verify_files_lists_every_file_with_its_md5(tmp_path, cli_env):
    src = make_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny")
    r = subprocess.run([sys.executable, "-c", "from nlvc_av.cli import nlvc_main; nlvc_main()", "verify", "--files",
                        str(tmp_path / "a.nlvc")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line[:32].isalnum() and line[32:34] == "  "]
    listed = {line[34:].rsplit(": ", 1)[0]: line[:32] for line in lines}
    for path in src.rglob("*"):
        if path.is_file():
            name = path.relative_to(src).as_posix()
            assert listed[name] == hashlib.md5(path.read_bytes()).hexdigest(), name
    assert lines and all(line.endswith(": OK") for line in lines)
    assert "intact" in r.stdout.splitlines()[-1]


def test_package_elements_round_trip_and_make_the_file_1_6():
    setup = CodecSetup("m", "ab" * 32, "residual-mod256-v1", 1, 4)
    video = VideoTrack(number=1, width=4, height=2, pix_fmt="gray", bit_depth=8, time_base=(1, 25))
    sound = SourceFile("r/a.wav", b"\1" * 16, {"samples": "pcm"}, [0, 44, 0, 1, 100, 0], b"H" * 44)
    audio = StreamTrack(number=2, kind="audio", codec_name="flac", time_base=(1, 48000), source=sound)
    package = [SourceFile("r/", hashlib.md5(b"").digest()), SourceFile("r/n.txt", b"\3" * 16, {"kind": "file"},
                                                                       [0, 5, 0], b"hello")]
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=setup, tracks=[video, audio], package=package) as w:
        w.write_cluster(Cluster(0, [0], "I", [b"\1" * 16], b"p", packets=[Packet(2, 0, 0, 10, True, b"d")]))
    with container.open(io.BytesIO(buf.getvalue())) as r:
        assert r.version == (1, 6) and r.package == package and r.other_tracks[0].source == sound


@pytest.mark.skipif(not ARCHIVE.is_dir(), reason="../shared/data/archive is not here")
def test_rawcooked_hash_packages(tmp_path):
    good = ARCHIVE / "HashCheck" / "HashTest_FileHash_Dir"
    encode_file(str(good), tmp_path / "a.nlvc", model="tiny", check=True)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert same_tree(good, tmp_path / "out")
    with pytest.raises(InputError, match="md5deep.md5: DPX/000002.dpx has MD5 d8e1e31b421d173617f5a22dfad144f9, "
                                         "the manifest says d8e1e31b421d173617f5a22dfad144f8"):
        encode_file(str(ARCHIVE / "HashCheck" / "HashTest_BuggyFileHash_Dir"), tmp_path / "b.nlvc", model="tiny")
    assert not (tmp_path / "b.nlvc").exists()


def test_images_only_names_what_it_leaves_out(tmp_path, caplog):
    src = make_package(tmp_path / "pkg")
    encode_file(str(src), tmp_path / "a.nlvc", model="tiny", images_only=True)
    assert "--images-only: 4 files not kept: empty.txt, manifest.md5, FILM/REEL_01/notes.txt, " \
           "FILM/REEL_02/notes.txt" in caplog.text
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.dpx")) == \
        sorted(p.relative_to(src).as_posix() for p in src.rglob("*.dpx"))
    assert not (tmp_path / "out" / "notes.txt").exists() and not (tmp_path / "out" / "empty.txt").exists()


@pytest.mark.parametrize("damage", ["cut", "lying-size"])
def test_a_bad_image_in_a_package_is_one_line_and_nothing_is_written(tmp_path, cli_env, damage):
    import struct

    src = make_package(tmp_path / "pkg")
    (src / "manifest.md5").unlink()
    victim = src / "FILM" / "REEL_02" / "DPX" / "film_200001.dpx"
    data = bytearray(victim.read_bytes())
    if damage == "cut":
        data = data[:-20]
    else:
        struct.pack_into(">I", data, 772, 4000)  # a width the image data cannot hold
    victim.write_bytes(bytes(data))
    r = subprocess.run([sys.executable, "-c", "from nlvc_av.cli import main; main()", str(src),
                        str(tmp_path / "a.nlvc"), "--model", "tiny", "-q"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert "film_200001.dpx" in r.stderr and "nothing was written" in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.nlvc*")) and not list(tmp_path.glob(".a.nlvc*"))
