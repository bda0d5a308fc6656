"""The progress display moves per frame from the start: encoding per frame read (the coded count
next to it), with one process or a pool of GOP jobs; decoding per frame written."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from clipgen import make_clip
from nlvc_av.jobs import GopRunner
from nlvc_av.progress import ProgressBar
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
    assert "4/10 frames, 2 coded" in line and "ratio 2.00:1" in line and "#" * 9 in line
    bar.update(10, 100, 50, force=True)  # no coded count: as before
    assert out.getvalue().rsplit("\r", 1)[1].count("coded") == 0
