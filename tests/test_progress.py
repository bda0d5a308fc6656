"""The progress display moves per frame from the start: encoding per frame read (the coded count
next to it, moving with the planes of a GOP as they are coded), with one process or a pool of GOP
jobs; decoding per frame written, out of the file's frames, with an ETA; a first line when numba's
cache lacks NLVC's kernels."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from clipgen import REPO, make_clip
from nlvc_av import progress
from nlvc_av.codec import GopCoder
from nlvc_av.codec.adaptive import jitcache
from nlvc_av.jobs import GopRunner
from nlvc_av.progress import COMPILING, ProgressBar, open_progress
from nlvc_av.transcode import decode_file, encode_file


class Recorder:
    """A progress object: every update as (frames, coded)."""

    def __init__(self):
        self.calls, self.closed = [], False

    def update(self, frames, raw_bytes=0, coded_bytes=0, force=False, coded=None):
        self.calls.append((frames, coded))

    def close(self):
        self.closed = True


class Threads:
    """An executor for GopRunner (the path --jobs N and nlvc batch take), without processes."""

    slots = 2

    def __init__(self):
        self.pool = ThreadPoolExecutor(2)

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)


def test_encoding_moves_per_frame_before_the_first_gop_is_coded(tmp_path, coder):
    make_clip(tmp_path / "a.mkv", frames=5, audio=None)
    bar = Recorder()
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=8, coder=coder, progress=bar)
    assert [f for f, c in bar.calls if c == 0] == [1, 2, 3, 4, 5]  # one GOP, not yet coded
    assert bar.calls[-1] == (5, 5) and bar.closed


def test_encoding_with_gop_jobs_moves_per_frame_too(tmp_path, coder):
    make_clip(tmp_path / "a.mkv", frames=6, audio=None)
    bar = Recorder()
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=2, coder=coder, progress=bar,
                runner=GopRunner(executor=Threads()))
    frames = [f for f, _ in bar.calls]
    assert frames == sorted(frames) and set(frames) == {1, 2, 3, 4, 5, 6}
    assert (1, 0) in bar.calls and (2, 0) in bar.calls
    assert bar.calls[-1] == (6, 6)


def test_decoding_moves_per_frame_written(tmp_path, coder):
    make_clip(tmp_path / "a.mkv", frames=5, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=8, coder=coder)
    bar = Recorder()
    decode_file(tmp_path / "a.nlvc", tmp_path / "b.y4m", coder=coder, progress=bar)
    assert [f for f, _ in bar.calls] == [1, 2, 3, 4, 5] and bar.closed


def test_the_bar_shows_frames_read_and_coded():
    out = io.StringIO()
    bar = ProgressBar("encoding", total=10, stream=out)
    bar.update(4, 100, 50, force=True, coded=2)
    line = out.getvalue()
    assert "4/10 frames, 2 coded" in line and "ratio 2.00:1" in line
    assert "[" + "#" * 4 + "=" * 5 + "-" * 15 + "]" in line  # coded, read and not yet coded, not read
    bar.update(10, 100, 50, force=True)  # no coded count: as before
    assert out.getvalue().rsplit("\r", 1)[1].count("coded") == 0


# --------------------------------------------------------------------------- a long GOP, decoding's total


@pytest.fixture(scope="module")
def adaptive():
    """The default model (the adaptive stage) at its fastest effort."""
    return GopCoder.for_encoding("default", 1)


@pytest.mark.parametrize("jobs", [1, 2])  # 2: a one-GOP clip's pieces on threads in this process
def test_a_single_gop_moves_while_it_is_coded(tmp_path, adaptive, jobs):
    """A one-GOP encode sat at '0 coded' until its end: the adaptive stage reports each plane."""
    make_clip(tmp_path / "a.mkv", frames=6, audio=None)
    bar = Recorder()
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=8, coder=adaptive, progress=bar, jobs=jobs)
    coded = [c for _, c in bar.calls]
    within = [c for c in coded if 0 < c < 6]
    assert len(within) >= 6 * 3 - 1 and any(c != int(c) for c in within)  # a plane at a time
    assert coded == sorted(coded) and bar.calls[-1] == (6, 6) and bar.closed
    assert all(f == 6 for f, c in bar.calls if c > 0)  # the GOP is read before it is coded


def test_the_bar_shows_the_gop_read_before_it_is_coded(tmp_path, coder, capsys):
    """The bar was drawn at the first frame read and not again until the GOP was coded ('1/15')."""
    make_clip(tmp_path / "a.mkv", frames=6, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=8, coder=coder, progress=True)
    draws = capsys.readouterr().err.split("\r")
    assert any("6/6 frames, 0 coded" in d for d in draws)
    assert "6/6 frames, 6 coded" in draws[-1] and draws[-1].endswith("\n")


def test_decoding_shows_the_total_and_an_eta(tmp_path, coder, capsys):
    make_clip(tmp_path / "a.mkv", frames=5, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=2, coder=coder)
    decode_file(tmp_path / "a.nlvc", tmp_path / "b.y4m", coder=coder, progress=True)
    draws = [d for d in capsys.readouterr().err.split("\r") if d]
    assert "decoding" in draws[0] and "1/5 frames" in draws[0] and "ETA" in draws[0]
    assert "[#####" in draws[-1] and "5/5 frames" in draws[-1]
    decode_file(tmp_path / "a.nlvc", tmp_path / "c.y4m", coder=coder, progress=True, max_frames=3)
    assert "3/3 frames" in capsys.readouterr().err.split("\r")[-1]


# --------------------------------------------------------------------------- a cold cache is said


def test_a_cold_cache_is_said_before_the_bar(monkeypatch, adaptive, coder):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(jitcache, "cold", lambda direction, inter=True: direction == "encode")
    open_progress(True, "encoding", 5, adaptive).update(1, force=True)
    assert out.getvalue().startswith(COMPILING + "\n\rencoding")
    for args in [("decoding", 5, adaptive), ("encoding", 5, coder), ("encoding", 5)]:  # warm; a network model
        out.truncate(0)
        out.seek(0)
        open_progress(True, *args).update(1, force=True)
        assert COMPILING not in out.getvalue(), args
    assert isinstance(open_progress(False, "encoding", 5, adaptive), progress.NullProgress)


def test_the_eta_leaves_out_the_time_before_the_first_frame(monkeypatch):
    """30 s of start-up (compiling the kernels), then a frame a second: 8 frames left, 8 s."""
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    bar = ProgressBar("encoding", total=10, stream=out)
    for t, coded in [(130.0, 1), (131.0, 2)]:
        clock[0] = t
        bar.update(10, force=True, coded=coded)
    assert "ETA 0:08" in out.getvalue().split("\r")[-1] and "0.06 fps" in out.getvalue().split("\r")[-1]


def test_a_note_keeps_the_bar_under_it():
    out = io.StringIO()
    bar = ProgressBar("encoding", total=4, stream=out)
    bar.update(1, force=True)
    bar.note("hello")
    assert out.getvalue().split("\r")[-2:] == ["\x1b[Khello\n", out.getvalue().split("\r")[-1]]
    assert "1/4 frames" in out.getvalue().split("\r")[-1]


def test_the_cache_index_is_found_where_numba_writes_it(tmp_path, adaptive):
    """After an encode and a decode the kernels' index files are there (the names jitcache looks
    for are numba's own), in whatever folder numba chose."""
    make_clip(tmp_path / "a.mkv", frames=3, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", gop=8, coder=adaptive)
    decode_file(tmp_path / "a.nlvc", tmp_path / "a.y4m", coder=adaptive)
    assert not jitcache.cold("encode") and not jitcache.cold("decode")


def test_an_index_missing_or_older_than_its_source_is_cold(tmp_path):
    source = tmp_path / "kern.py"
    source.write_text("\n\ndef loop(x):\n    return x\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    fake = SimpleNamespace(py_func=namespace["loop"], _cache=SimpleNamespace(cache_path=str(tmp_path / "cache")))
    assert not jitcache._indexed(fake)  # no cache folder
    (tmp_path / "cache").mkdir()
    assert not jitcache._indexed(fake)  # no index
    index = tmp_path / "cache" / f"kern.loop-3.py{sys.version_info[0]}{sys.version_info[1]}.nbi"
    index.write_bytes(b"")
    (tmp_path / "cache" / "kern.other-3.py311.nbi").write_bytes(b"")
    now = time.time()
    os.utime(source, (now - 10, now - 10))
    assert jitcache._indexed(fake)
    os.utime(source, (now + 10, now + 10))  # the source changed after: numba recompiles
    assert not jitcache._indexed(fake)


def test_an_empty_cache_is_cold(tmp_path):
    """A fresh NUMBA_CACHE_DIR (a first run on a machine): both directions compile."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    code = "from nlvc_av.codec.adaptive import jitcache; print(jitcache.cold('encode'), jitcache.cold('decode', False))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr
