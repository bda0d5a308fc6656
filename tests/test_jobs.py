"""GOP jobs: the same bytes whatever the number of workers, results in order, bounded in flight,
and presets."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest
from click.testing import CliRunner

import container
from clipgen import make_clip
from nlvc_av import jobs, presets
from nlvc_av.codec import formats as P
from nlvc_av.codec import registry
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import iter_planes


def _md5s(path, jobs_=1):
    _, frames = iter_planes(path, jobs=jobs_)
    return [P.frame_md5(f) for f in frames]


def test_two_jobs_encode_and_decode_the_same_bytes_as_one(tmp_path):
    """A custom model (weights embedded) must reach the workers; 3 GOPs on 2 workers."""
    weights = tmp_path / "custom.npz"
    weights.write_bytes(resources.files("nlvc_av.codec").joinpath(
        "weights", registry.MODELS[registry.TEST_MODEL].weights_file).read_bytes())
    planes = make_clip(tmp_path / "a.mkv", width=16, height=16, frames=5)
    one, two = tmp_path / "one.nlvc", tmp_path / "two.nlvc"
    s1 = encode_file(tmp_path / "a.mkv", one, gop=2, model=str(weights), threads=1, jobs=1)
    s2 = encode_file(tmp_path / "a.mkv", two, gop=2, model=str(weights), jobs=2)
    assert (s1.gops, s2.gops, s2.frames, s2.packets) == (3, 3, 5, s1.packets) and s1.packets > 0
    assert one.read_bytes() == two.read_bytes()
    with container.open(str(two)) as r:
        assert r.codec_setup.model_weights == weights.read_bytes()

    y1, y2 = tmp_path / "one.y4m", tmp_path / "two.y4m"
    decode_file(two, y1, jobs=1)
    d2 = decode_file(two, y2, jobs=2)
    assert d2.frames == 5 and y1.read_bytes() == y2.read_bytes()
    assert _md5s(y2) == [P.frame_md5(p) for p in planes]


def test_verify_and_a_partial_decode_with_two_jobs(tmp_path, cli_env):
    from nlvc_av.cli import nlvc_main

    make_clip(tmp_path / "a.mkv", width=16, height=16, frames=4, audio=None)
    out = tmp_path / "a.nlvc"
    encode_file(tmp_path / "a.mkv", out, gop=1, model="tiny", jobs=1)
    r = CliRunner().invoke(nlvc_main, ["verify", str(tmp_path / "a.mkv"), str(out), "--jobs", "2"])
    assert r.exit_code == 0 and "identical: 4 frames" in r.output, r.output
    part = tmp_path / "part.y4m"
    assert decode_file(out, part, jobs=2, max_frames=2).frames == 2
    assert _md5s(part) == _md5s(out)[:2]


# --------------------------------------------------------------------------- the runner


def _local(x):
    return ("local", x)


def _remote(x):  # never pickled: these tests run it on threads
    time.sleep(0.002 * (5 - x % 5))  # later tasks finish first
    return ("remote", x)


class ThreadExecutor:
    """A GopRunner executor on threads, counting the most tasks it held at once."""

    def __init__(self, slots):
        self.slots, self.pool = slots, ThreadPoolExecutor(4)
        self.live = self.most = 0
        self.lock = threading.Lock()

    def submit(self, fn, *args):
        with self.lock:
            self.live += 1
            self.most = max(self.most, self.live)
        future = self.pool.submit(fn, *args)
        future.add_done_callback(lambda _: self._done())
        return future

    def _done(self):
        with self.lock:
            self.live -= 1


def _tasks(n, fail_after=None):
    for k in range(n):
        if k == fail_after:
            raise ValueError("unreadable GOP")
        yield (k,), k


def test_runner_keeps_order_and_bounds_what_is_in_flight():
    executor = ThreadExecutor(slots=3)
    out = list(jobs.GopRunner(executor=executor).map(_local, _remote, _tasks(20)))
    assert out == [(k, ("remote", k)) for k in range(20)]
    assert executor.most <= 3


def test_runner_inline_for_one_job_or_one_gop():
    assert list(jobs.GopRunner(1).map(_local, _remote, _tasks(3))) == [(k, ("local", k)) for k in range(3)]
    # jobs > 1 but a single GOP: no pool is started, the caller's coder does it
    assert list(jobs.GopRunner(8).map(_local, _remote, _tasks(1))) == [(0, ("local", 0))]
    assert list(jobs.GopRunner(8).map(_local, _remote, _tasks(0))) == []


def test_runner_runs_local_jobs_on_threads_when_asked():
    names = []

    def local(k):
        names.append(threading.current_thread().name)
        return ("local", k)

    out = list(jobs.GopRunner(2).map(local, _remote, _tasks(9), threads=True))
    assert out == [(k, ("local", k)) for k in range(9)]
    assert len(names) == 9 and all(n.startswith("nlvc-job") for n in names)
    asked = []
    out = list(jobs.GopRunner(2).map(local, _remote, _tasks(3), threads=lambda: asked.append(1) or True))
    assert out == [(k, ("local", k)) for k in range(3)] and asked == [1]


def test_a_reading_error_comes_after_the_gops_read_before_it():
    got = []
    with pytest.raises(ValueError, match="unreadable GOP"):
        for meta, _ in jobs.GopRunner(executor=ThreadExecutor(slots=4)).map(_local, _remote, _tasks(9, fail_after=6)):
            got.append(meta)
    assert got == list(range(6))


def test_runner_stops_when_asked():
    stop = threading.Event()
    runner = jobs.GopRunner(executor=ThreadExecutor(slots=2), stop=stop)
    it = runner.map(_local, _remote, _tasks(10))
    next(it)
    stop.set()
    with pytest.raises(KeyboardInterrupt):
        list(it)


def test_default_jobs_is_the_cores_this_process_may_use():
    assert jobs.default_jobs() >= 1


# --------------------------------------------------------------------------- presets


def test_presets_choose_groups_and_gop_and_explicit_values_win():
    assert presets.resolve(None) == ("default", 2, 32)
    assert presets.resolve("fast") == ("fast", 1, 32)
    assert presets.resolve("slow", gop=4) == ("slow", 3, 4)
    assert presets.resolve("fast", groups=3) == ("fast", 3, 32)
    with pytest.raises(ValueError, match="unknown preset 'turbo'"):
        presets.resolve("turbo")


def test_the_preset_is_recorded_in_the_tags_and_not_carried_to_decoded_video(tmp_path, cli_env):
    from nlvc_av.cli import transcode_main

    make_clip(tmp_path / "a.mkv", width=16, height=16, frames=2, audio=None, metadata={"title": "t"})
    out = tmp_path / "a.nlvc"
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "a.mkv"), str(out), "--preset", "fast", "--gop", "1", "-q"])
    assert r.exit_code == 0, r.output
    with container.open(str(out)) as f:
        assert (f.codec_setup.groups, f.codec_setup.gop_size) == (1, 1)
        assert f.tags[presets.TAG] == "fast" and f.tags["title"] == "t"
    back = tmp_path / "b.mkv"
    decode_file(out, back)
    from nlvc_av.io.demux import open_input

    with open_input(str(back)) as source:
        assert presets.TAG not in source.video.metadata
        assert {k.lower(): v for k, v in source.video.metadata.items()}.get("title") == "t"


def test_the_adaptive_stage_splits_a_single_gop_over_the_workers_with_the_same_bytes(tmp_path):
    """One GOP of 7 frames: pieces of frames on 2 workers, byte for byte the inline encode."""
    planes = make_clip(tmp_path / "a.mkv", width=24, height=16, frames=7)
    one, two = tmp_path / "one.nlvc", tmp_path / "two.nlvc"
    s1 = encode_file(tmp_path / "a.mkv", one, jobs=1)
    pools = []
    original = jobs.ThreadPool.__init__

    def spy(self, threads):
        pools.append(threads)
        original(self, threads)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs.ThreadPool, "__init__", spy)
        s2 = encode_file(tmp_path / "a.mkv", two, jobs=2)
        # two GOPs: worker processes, not threads
        s3 = encode_file(tmp_path / "a.mkv", tmp_path / "three.nlvc", jobs=2, gop=4)
    assert (s1.gops, s2.gops, s2.frames, s3.gops) == (1, 1, 7, 2)
    assert pools == [2 * jobs.THREADS_PER_JOB]   # the single GOP's pieces ran on threads here
    assert one.read_bytes() == two.read_bytes()
    assert _md5s(two, 2) == [P.frame_md5(p) for p in planes]
    assert _md5s(tmp_path / "three.nlvc", 2) == [P.frame_md5(p) for p in planes]


def test_a_lone_tall_gop_decodes_its_bands_on_every_worker_s_core(tmp_path, monkeypatch):
    """One GOP of a frame with two bands: decoded in this process on 2 band threads (no
    pool), the frames those of one job; with a pool, each worker keeps one thread."""
    planes = make_clip(tmp_path / "a.mkv", pix_fmt="gray", width=8, height=1030, frames=2, audio=None)
    encode_file(tmp_path / "a.mkv", tmp_path / "a.nlvc", jobs=1)
    seen = []
    original = jobs._decode_local

    def spy(coder, track, cluster):
        seen.append(coder.band_threads)
        return original(coder, track, cluster)

    monkeypatch.setattr(jobs, "_decode_local", spy)
    assert _md5s(tmp_path / "a.nlvc", 2) == [P.frame_md5(p) for p in planes]
    assert seen == [2]
    assert jobs.GopRunner(2).inline_threads == 2 and jobs.GopRunner(executor=ThreadExecutor(slots=4)).inline_threads == 1
