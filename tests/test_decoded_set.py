"""scripts/decoded_set.py (issue 32): a tiny clip through two fast recipes; the files decode,
hold what the manifest says, and a rerun writes the same bytes."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from clipgen import REPO, flat, make_clip, read_planes

RECIPES = "mjpeg_q5,x264_crf28_fast"


@pytest.fixture(scope="module")
def recipe():
    spec = importlib.util.spec_from_file_location("decoded_set", REPO / "scripts" / "decoded_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench(tmp_path):
    folder = tmp_path / "bench"
    folder.mkdir()
    source = make_clip(folder / "tiny_64x48_4f.y4m", vcodec="rawvideo", width=64, height=48, frames=4, audio=None)
    return folder, source


def test_two_recipes_decode_and_match_the_manifest(recipe, bench, tmp_path, capsys):
    folder, source = bench
    out = tmp_path / "out"
    assert recipe.main(["--bench", str(folder), "--out", str(out), "--recipes", RECIPES]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in printed[:2]] == [["tiny_mjpeg_q5.y4m", "4", "frames"],
                                                          ["tiny_x264_crf28_fast.y4m", "4", "frames"]]
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["recipes"]) == RECIPES.split(",")
    assert manifest["recipes"]["x264_crf28_fast"]["options"] == {"crf": "28", "preset": "fast"}
    assert manifest["pyav"] and manifest["ffmpeg"] and manifest["frames"] == 16
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "tiny_mjpeg_q5.y4m", "tiny_x264_crf28_fast.y4m"]
    for row in manifest["files"]:
        path = out / row["file"]
        data = path.read_bytes()
        assert row["md5"] == hashlib.md5(data).hexdigest()
        assert row["bytes"] == len(data) and row["lossy_bytes"] > 0 and row["frames"] == 4  # all 4 (< 16)
        pix_fmt, frames, _ = read_planes(path)
        assert pix_fmt == "yuv420p" and len(frames) == 4 and frames[0][0].shape == (48, 64)
        assert row["pixels_md5"] == hashlib.md5(b"".join(flat(f) for f in frames)).hexdigest()
        # lossy: near the source, not a copy of it
        diff = [np.abs(f[0].astype(int) - s[0].astype(int)).mean() for f, s in zip(frames, source)]
        assert 0 < np.mean(diff) < 40, diff
    mjpeg, x264 = manifest["files"]
    assert mjpeg["decoded_pix_fmt"] == "yuvj420p" and mjpeg["written_pix_fmt"] == "yuv420p"
    assert b"XCOLORRANGE=FULL" in (out / mjpeg["file"]).read_bytes().split(b"\n", 1)[0]
    assert x264["decoded_pix_fmt"] == "yuv420p"

    again = tmp_path / "again"
    assert recipe.main(["--bench", str(folder), "--out", str(again), "--recipes", RECIPES]) == 0
    rerun = json.loads((again / "manifest.json").read_text())["files"]
    assert [r["md5"] for r in rerun] == [r["md5"] for r in manifest["files"]]


def test_frames_and_clip_subset(recipe, bench, tmp_path, capsys):
    folder, _ = bench
    make_clip(folder / "other_cif_3f.y4m", vcodec="rawvideo", width=64, height=48, frames=3, audio=None)
    out = tmp_path / "out"
    assert recipe.main(["--bench", str(folder), "--out", str(out), "--clips", "tiny", "--recipes", "mjpeg_q5",
                        "--frames", "2"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(r["file"], r["frames"]) for r in manifest["files"]] == [("tiny_mjpeg_q5.y4m", 2)]
    assert len(read_planes(out / "tiny_mjpeg_q5.y4m")[1]) == 2


@pytest.mark.parametrize("args, message", [
    (["--recipes", "x264_crf99"], "unknown recipe 'x264_crf99'"),
    (["--clips", "nosuch"], "unknown clip 'nosuch'"),
    (["--frames", "0"], "--frames and --jobs must be at least 1"),
])
def test_bad_arguments_one_line_nothing_written(recipe, bench, tmp_path, args, message):
    folder, _ = bench
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as err:
        recipe.main(["--bench", str(folder), "--out", str(out)] + args)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not out.exists()


def test_missing_bench_folder(recipe, tmp_path):
    with pytest.raises(SystemExit, match="not a folder"):
        recipe.main(["--bench", str(tmp_path / "none"), "--out", str(tmp_path / "out")])


def test_a_clip_that_fails_is_named_the_others_are_made(bench, tmp_path):
    """As a user runs it (a subprocess, two worker processes)."""
    folder, _ = bench
    (folder / "broken_cif_2f.y4m").write_bytes(b"YUV4MPEG2 W64 H48 F25:1 C420jpeg\nFRAME\n" + bytes(100))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "decoded_set.py"), "--bench", str(folder),
                          "--out", str(out), "--recipes", "mjpeg_q5", "--jobs", "2"], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    err = run.stderr.splitlines()
    assert len(err) == 2 and err[0].startswith("FAILED broken mjpeg_q5: ") and "1 file(s) failed" in err[1], err
    assert run.stdout.split()[:3] == ["tiny_mjpeg_q5.y4m", "4", "frames"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "tiny_mjpeg_q5.y4m"]  # no partial file
    assert [r["file"] for r in json.loads((out / "manifest.json").read_text())["files"]] == ["tiny_mjpeg_q5.y4m"]


def test_the_summary_takes_a_clips_last_run_and_compares_it_to_its_best_exact_peer(tmp_path):
    def doc(results):
        return json.dumps({"results": [{"clip": c, "codec": k, "family": "nlvc" if k.startswith("nlvc") else k[:4],
                                        "bytes": b, "exact": e} for c, k, b, e in results]})

    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(doc([("bus_x265_crf24", "nlvc-g2", 130, True), ("bus_x265_crf24", "x265-veryslow", 100, True),
                        ("bus_mjpeg_q5", "nlvc-g2", 80, True), ("bus_mjpeg_q5", "ffv1", 100, True),
                        ("bus_mjpeg_q5", "x264-veryslow", 50, False)]))   # not exact: no peer
    new.write_text(doc([("bus_x265_crf24", "nlvc-g2", 90, True), ("bus_x265_crf24", "x265-veryslow", 100, True)]))
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "decoded_summary.py"), str(old), str(new)],
                         capture_output=True, text=True, check=True).stdout
    assert f"| bus_x265_crf24 | {new} | 90 | x265-veryslow | 100 | 0.900 |" in out
    assert f"| bus_mjpeg_q5 | {old} | 80 | ffv1 | 100 | 0.800 |" in out
    assert "2 files: geomean 0.849, worst 0.900 (bus_x265_crf24), 2 below their best peer" in out
    assert "mjpeg_q5 0.800 / 0.800, x265_crf24 0.900 / 0.900" in out
