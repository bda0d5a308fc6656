"""``nlvc batch`` on a Dask LocalCluster (2 worker processes, one thread each): exact outputs,
reruns skip finished files, a killed batch resumes, a bad file does not stop the others."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from clipgen import make_clip
from nlvc_av.batch import cluster, outputs
from nlvc_av.codec import formats as P
from nlvc_av.transcode import encode_file
from nlvc_av.verify import iter_planes

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask distributed is not installed (pip install 'nlvc[cluster]')")


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of 2 worker processes, shared by this module's tests."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local:
        yield local.scheduler_address


def _batch(args, env=None):
    from nlvc_av.cli import nlvc_main

    return CliRunner().invoke(nlvc_main, ["batch", *map(str, args)], env=env, catch_exceptions=True)


def _clips(tmp_path, frames=(3, 4, 2)):
    made = {}
    for k, n in enumerate(frames):
        path = tmp_path / f"clip{k}.mkv"
        made[path] = make_clip(path, width=16, height=16, frames=n, seed=k, audio=None if k % 2 else "pcm_s16le")
    return made


def _exact(nlvc, planes) -> bool:
    _, frames = iter_planes(nlvc)
    return [P.frame_md5(f) for f in frames] == [P.frame_md5(p) for p in planes]


@needs_dask
def test_batch_codes_files_exactly_and_a_rerun_skips_them(tmp_path, cli_env, scheduler):
    clips = _clips(tmp_path)
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    r = _batch([*clips, "--out", out, "--scheduler", scheduler, "--gop", "2", "--json", report])
    assert r.exit_code == 0, r.output
    doc = json.loads(report.read_text())
    assert [f["status"] for f in doc["files"]] == ["encoded"] * 3 and doc["frames"] == 9
    for src, planes in clips.items():
        assert _exact(out / (src.stem + ".nlvc"), planes)
    # the same bytes as nlvc-transcode in one process
    encode_file(next(iter(clips)), tmp_path / "single.nlvc", gop=2, model="tiny", jobs=1)
    assert (tmp_path / "single.nlvc").read_bytes() == (out / "clip0.nlvc").read_bytes()

    mtimes = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    r = _batch([*clips, "--out", out, "--scheduler", scheduler, "--gop", "2", "--json", report])
    assert r.exit_code == 0, r.output
    assert [f["status"] for f in json.loads(report.read_text())["files"]] == ["skipped"] * 3
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes

    # --max-frames: the outputs hold fewer frames; they are finished for a rerun with the same cut
    cut = tmp_path / "cut"
    for _ in range(2):
        r = _batch([*clips, "--out", cut, "--scheduler", scheduler, "--max-frames", "2", "--json", report])
        assert r.exit_code == 0, r.output
    assert [f["status"] for f in json.loads(report.read_text())["files"]] == ["skipped"] * 3
    assert _exact(cut / "clip1.nlvc", clips[tmp_path / "clip1.mkv"][:2])


@needs_dask
def test_a_bad_file_is_reported_and_the_others_complete(tmp_path, cli_env, scheduler):
    clips = _clips(tmp_path, frames=(2, 3))
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"not a video at all" * 10)
    out = tmp_path / "out"
    r = _batch([bad, *clips, tmp_path / "missing.mkv", "--out", out, "--scheduler", scheduler, "--json",
                tmp_path / "r.json"])
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if "error:" in line]
    assert len(lines) == 2, r.output
    assert any("bad.mkv: not a media file" in line for line in lines), r.output
    assert any("missing.mkv: no such file" in line for line in lines), r.output
    assert "Traceback" not in r.output
    assert "2 encoded, 0 skipped (already finished), 2 failed" in r.output
    for src, planes in clips.items():
        assert _exact(out / (src.stem + ".nlvc"), planes)
    assert sorted(p.name for p in out.iterdir()) == ["clip0.nlvc", "clip1.nlvc"]


@needs_dask
def test_a_killed_batch_leaves_no_partial_output_and_resumes(tmp_path, cli_env, scheduler):
    clips = _clips(tmp_path, frames=(2, 8, 8, 8))
    out = tmp_path / "out"
    args = ["batch", *map(str, clips), "--out", str(out), "--scheduler", scheduler, "--gop", "1", "-q"]
    code = "import sys; from nlvc_av.cli import nlvc_main; sys.argv[0] = 'nlvc'; nlvc_main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=cli_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and any(p.suffix == ".nlvc" for p in out.iterdir())):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no output appeared"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # a crash: no cleanup at all
    finally:
        proc.wait(30)
    done = [p for p in out.iterdir() if p.suffix == ".nlvc"]
    for p in done:  # whatever carries a destination name is complete
        assert outputs.unfinished_reason(p, str(tmp_path / (p.stem + ".mkv"))) is None

    r = _batch([*clips, "--out", out, "--scheduler", scheduler, "--gop", "1", "--json", tmp_path / "r.json"])
    assert r.exit_code == 0, r.output
    statuses = [f["status"] for f in json.loads((tmp_path / "r.json").read_text())["files"]]
    assert statuses.count("skipped") >= len(done) and "failed" not in statuses
    for src, planes in clips.items():
        assert _exact(out / (src.stem + ".nlvc"), planes)
    assert sorted(p.name for p in out.iterdir()) == sorted(src.stem + ".nlvc" for src in clips)  # no .part left


# --------------------------------------------------------------------------- without a cluster


def test_an_unfinished_output_is_not_skipped(tmp_path):
    planes = make_clip(tmp_path / "a.mkv", width=16, height=16, frames=3, audio=None)
    nlvc = tmp_path / "a.nlvc"
    encode_file(tmp_path / "a.mkv", nlvc, gop=1, model="tiny")
    assert outputs.unfinished_reason(nlvc, str(tmp_path / "a.mkv")) is None
    assert "holds 3 frames, the source gives 2" in outputs.unfinished_reason(nlvc, str(tmp_path / "a.mkv"), 2)
    data = nlvc.read_bytes()
    cut = tmp_path / "cut.nlvc"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert outputs.unfinished_reason(cut, str(tmp_path / "a.mkv")) is not None
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (tmp_path / "flip.nlvc").write_bytes(bytes(flipped))
    assert outputs.unfinished_reason(tmp_path / "flip.nlvc", str(tmp_path / "a.mkv")) is not None
    assert len(planes) == 3


def test_two_sources_for_one_output_is_a_usage_error(tmp_path, cli_env):
    (tmp_path / "x").mkdir()
    make_clip(tmp_path / "a.mkv", width=16, height=16, frames=1, audio=None)
    make_clip(tmp_path / "x" / "a.mkv", width=16, height=16, frames=1, audio=None)
    r = _batch([tmp_path / "a.mkv", tmp_path / "x" / "a.mkv", "--out", tmp_path / "out"])
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("without Dask the batch stops before planning")
    assert r.exit_code == 2 and "would both be written to" in r.output, r.output


def test_without_dask_batch_says_how_to_get_it(tmp_path, cli_env, monkeypatch):
    monkeypatch.setattr(cluster, "available", lambda: False)
    r = _batch([tmp_path / "a.mkv", "--out", tmp_path / "out"])
    assert r.exit_code == 1
    assert r.output.strip() == "nlvc batch: error: needs Dask distributed: pip install -c constraints.txt -e '.[cluster]'"


@needs_dask
def test_an_nlvc_source_is_said_to_be_one(tmp_path, cli_env):
    make_clip(tmp_path / "a.mkv", width=16, height=16, frames=1, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=1, model="tiny")
    r = _batch([tmp_path / "a.nlvc", "--out", tmp_path / "out", "--model", "tiny"])
    assert r.exit_code == 1, r.output
    assert r.stderr.splitlines()[0] == (f"nlvc batch: error: {tmp_path / 'a.nlvc'}: already an .nlvc file "
                                        "(nlvc batch encodes videos into .nlvc)")
    assert "no video stream" not in r.stderr and not (tmp_path / "out" / "a.nlvc").exists()


@needs_dask
def test_quiet_batch_prints_only_errors(tmp_path, cli_env):
    help_text = _batch(["--help"]).output
    assert "-q, --quiet" in help_text and "-y, --overwrite" in help_text
    r = _batch([tmp_path / "missing.mkv", "--out", tmp_path / "out", "--model", "tiny", "-q"])
    assert r.exit_code == 1
    assert r.stderr == f"nlvc batch: error: {tmp_path / 'missing.mkv'}: no such file\n"  # no summary line
