"""``nlvc bench``: the measuring plumbing on a tiny clip made here (NLVC with the tiny test model)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("av")
pytest.importorskip("torch")

from nlvc_av.bench import codecs as bench_codecs  # noqa: E402
from nlvc_av.bench import command as bench  # noqa: E402
from nlvc_av.bench import report as bench_report  # noqa: E402
from nlvc_av.bench.codecs import CodecSpec, parse_codecs, unavailable_reason  # noqa: E402

try:
    import matplotlib  # noqa: F401
    HAS_MPL = True
except ImportError:
    HAS_MPL = False

RESULT_FIELDS = {
    "clip", "codec", "label", "family", "params", "frames", "width", "height", "pix_fmt", "raw_bytes",
    "bytes", "stream_bytes", "percent_of_raw", "bpp", "enc_seconds", "dec_seconds", "enc_fps", "dec_fps",
    "enc_cpu_seconds", "dec_cpu_seconds", "enc_peak_rss", "dec_peak_rss", "enc_base_rss", "dec_base_rss",
    "exact", "decoded_frames", "mismatch_count", "mismatched_frames", "error", "extra",
}
TOTAL_FIELDS = {
    "codec", "label", "family", "clips", "complete", "frames", "raw_bytes", "bytes", "percent_of_raw", "bpp",
    "enc_seconds", "enc_fps", "dec_seconds", "dec_fps", "enc_peak_rss", "dec_peak_rss", "exact", "errors",
}
TOP_FIELDS = {"schema", "created", "seconds", "command", "machine", "model", "settings", "clips", "skipped_clips",
              "skipped", "warmups", "results", "totals"}
MACHINE_FIELDS = {"cpu", "physical_cores", "logical_cpus", "memory_bytes", "load_average", "platform", "python",
                  "nlvc", "torch", "av", "ffmpeg", "numpy", "constriction", "imagecodecs", "libjxl"}


def write_y4m(path, width=48, height=32, frames=3, seed=0):
    """A small yuv420p clip with structure and noise, written by hand (YUV4MPEG2)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            f.write(b"FRAME\n")
            for k, (h, w) in enumerate([(height, width), (height // 2, width // 2), (height // 2, width // 2)]):
                y, x = np.mgrid[0:h, 0:w]
                plane = (x * 3 + y * 2 + i * 5 + k * 60 + rng.integers(-4, 5, (h, w))) % 256
                f.write(plane.astype(np.uint8).tobytes())
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_y4m(tmp_path_factory.mktemp("clip") / "tiny.y4m")


@pytest.fixture(scope="module")
def full_run(clip, tmp_path_factory):
    """Every default codec on the tiny clip, in this process (no memory figures), all outputs."""
    out = tmp_path_factory.mktemp("out")
    paths = {"json": out / "b.json", "markdown": out / "b.md", "plot": out / "b.png"}
    args = ["bench", str(clip), "--codecs", "all", "--groups", "1,2", "--threads", "1", "--in-process",
            "--model", "tiny", "-q", "--json", str(paths["json"]), "--markdown", str(paths["markdown"])]
    if HAS_MPL:
        args += ["--plot", str(paths["plot"])]
    from nlvc_av.cli import nlvc_main
    result = CliRunner().invoke(nlvc_main, args, catch_exceptions=False)
    return result, paths


# --------------------------------------------------------------------------- codec names


def test_parse_codecs_expands_groups_and_presets():
    keys = [s.key for s in parse_codecs("nlvc,nlvc-intra,x264,jpegxl", [1, 3], None)]
    assert keys == ["nlvc-g1", "nlvc-g3", "nlvc-g1-intra", "nlvc-g3-intra", "x264-veryslow", "x264-medium",
                    "jpegxl"]
    assert [s.key for s in parse_codecs(["nlvc", "ffv1,ffv1"], [2], 4)] == ["nlvc-g2-gop4", "ffv1"]
    assert [s.params["gop"] for s in parse_codecs("nlvc-intra", [2], 4)] == [1]


def test_parse_codecs_all_is_the_documented_default_set():
    keys = [s.key for s in parse_codecs("all", [2], None)]
    assert keys == ["nlvc-g2", "nlvc-g2-intra", "ffv1", "x264-veryslow", "x264-medium", "x265-veryslow",
                    "x265-medium", "jpegxl"]


@pytest.mark.parametrize("bad", ["x264-turbo", "h264", "nlvc-g9"])
def test_parse_codecs_rejects_unknown_names(bad):
    with pytest.raises(ValueError, match="unknown codec"):
        parse_codecs(bad, [2], None)


def test_cli_usage_errors(clip):
    from nlvc_av.cli import nlvc_main
    runner = CliRunner()
    r = runner.invoke(nlvc_main, ["bench", str(clip), "--codecs", "zip"])
    assert r.exit_code == 2 and "unknown codec" in r.output
    r = runner.invoke(nlvc_main, ["bench", str(clip), "--groups", "4"])
    assert r.exit_code == 2 and "1, 2 or 3" in r.output


def test_bench_is_an_nlvc_subcommand():
    from nlvc_av.cli import nlvc_main
    r = CliRunner().invoke(nlvc_main, ["--help"])
    assert r.exit_code == 0 and "bench" in r.output
    r = CliRunner().invoke(nlvc_main, ["bench", "--help"])
    assert r.exit_code == 0 and "--max-frames" in r.output and "--model" not in r.output


# --------------------------------------------------------------------------- the full run


def test_every_codec_runs_and_is_exact(full_run, clip):
    result, paths = full_run
    assert result.exit_code == 0, result.output
    doc = json.loads(paths["json"].read_text())
    wanted = {s.key for s in parse_codecs("all", [1, 2], None)}
    skipped = {s["codec"] for s in doc["skipped"]}
    ran = {r["codec"] for r in doc["results"]}
    assert ran | skipped == wanted and not ran & skipped
    assert {"nlvc-g1", "nlvc-g2", "nlvc-g1-intra", "nlvc-g2-intra", "ffv1"} <= ran
    for r in doc["results"]:
        assert r["error"] is None, r
        assert r["exact"] is True and r["decoded_frames"] == 3 and r["mismatch_count"] == 0, r["codec"]
        assert r["bytes"] > 0 and r["enc_fps"] > 0 and r["dec_fps"] > 0
        assert r["percent_of_raw"] == pytest.approx(100 * r["bytes"] / r["raw_bytes"])
        assert r["bpp"] == pytest.approx(8 * r["bytes"] / (48 * 32 * 3))
        assert r["enc_peak_rss"] is None  # in-process: not measured
    intra = next(r for r in doc["results"] if r["codec"] == "nlvc-g2-intra")
    assert intra["extra"]["gop"] == 1
    # NLVC's kernels are compiled once, untimed, before its first timed run on the pixel format
    (warm,) = doc["warmups"]
    assert warm["clip"] == "tiny" and warm["pix_fmt"] == "yuv420p" and warm["error"] is None
    assert warm["seconds"] > 0
    if "jpegxl" in skipped:
        assert "imagecodecs" in next(s["reason"] for s in doc["skipped"] if s["codec"] == "jpegxl")


def test_json_has_the_documented_fields(full_run, clip):
    _, paths = full_run
    doc = json.loads(paths["json"].read_text())
    assert set(doc) == TOP_FIELDS and doc["schema"] == bench.SCHEMA
    assert MACHINE_FIELDS <= set(doc["machine"])
    assert doc["command"].startswith("nlvc bench --codecs all --groups 1,2")
    (c,) = doc["clips"]
    assert (c["width"], c["height"], c["pix_fmt"], c["frames"]) == (48, 32, "yuv420p", 3)
    assert c["raw_bytes"] == 3 * 48 * 32 * 3 // 2 and len(c["frame_md5"]) == 3
    for r in doc["results"]:
        assert set(r) == RESULT_FIELDS
        if r["family"] != "jpegxl":  # Matroska / .nlvc: the container costs something
            assert 0 < r["stream_bytes"] < r["bytes"]
    assert [t["codec"] for t in doc["totals"]] == [r["codec"] for r in doc["results"]]
    for t in doc["totals"]:
        assert set(t) == TOTAL_FIELDS and t["complete"] and t["exact"]
    # every field named in the module docstring exists
    for name in RESULT_FIELDS | TOTAL_FIELDS | TOP_FIELDS:
        assert name in bench.__doc__, name


def test_markdown_table_and_plot_are_written(full_run):
    result, paths = full_run
    md = paths["markdown"].read_text()
    assert "nlvc bench --codecs all" in md and "## TOTAL" in md and "## Method" in md
    assert "Raw size = the decoded planes in their native pixel format" in md
    assert "| NLVC G=2 all-intra | 3 |" in md and "NOT EXACT" not in md
    assert "TOTAL over 1 clip(s)" in result.output and "FFV1 level 3" in result.output
    if HAS_MPL:
        data = paths["plot"].read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
        assert "![size against encode speed](b.png)" in md


# --------------------------------------------------------------------------- failure paths


def test_a_codec_that_is_not_exact_is_reported_loudly(clip, tmp_path, monkeypatch):
    prepare = bench._prepare

    def corrupt_reference(*args):
        info = prepare(*args)
        info["frame_md5"][1] = "0" * 32  # as if the codec had changed frame 1
        return info

    monkeypatch.setattr(bench, "_prepare", corrupt_reference)
    from nlvc_av.cli import nlvc_main
    out = tmp_path / "b.md"
    r = CliRunner().invoke(nlvc_main, ["bench", str(clip), "-c", "ffv1", "--in-process", "-q",
                                       "--markdown", str(out), "--json", str(tmp_path / "b.json")])
    assert r.exit_code == 1
    assert "NOT EXACT" in r.output and "!!! FFV1 level 3 on tiny" in r.output
    assert "**NOT EXACT**" in out.read_text()
    (res,) = json.loads((tmp_path / "b.json").read_text())["results"]
    assert res["exact"] is False and res["mismatched_frames"] == [1]


def test_a_failing_codec_is_recorded_and_the_run_goes_on(clip, tmp_path, monkeypatch):
    if unavailable_reason(parse_codecs("x264-medium", [2], None)[0]):
        pytest.skip("no libx264 in this FFmpeg")
    real = bench_codecs._encode_pyav

    def broken(spec, job):
        if spec.family == "x264":
            raise RuntimeError("encoder exploded")
        return real(spec, job)

    monkeypatch.setattr(bench_codecs, "_encode_pyav", broken)
    doc = bench.run_bench([str(clip)], codecs=["x264-medium", "ffv1"], isolate=False, quiet=True)
    x264, ffv1 = doc["results"]
    assert x264["error"] == "encode: RuntimeError: encoder exploded" and x264["exact"] is None
    assert ffv1["exact"] is True
    assert "ERROR" in bench_report.terminal_table(doc)


def test_a_phase_error_is_one_message_and_never_a_traceback_on_stderr(clip, capfd, monkeypatch):
    def broken(spec, job):
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(bench_codecs, "_encode_pyav", broken)
    doc = bench.run_bench([str(clip)], codecs="ffv1", isolate=False, quiet=True)
    (r,) = doc["results"]
    assert r["error"] == "encode: RuntimeError: encoder exploded" and "Traceback" in r["error_detail"]
    err = capfd.readouterr().err
    assert "!!! FFV1 level 3 on tiny: encode: RuntimeError: encoder exploded" in err and "Traceback" not in err


def _mkv_12bit(path):
    import av
    from nlvc_av.io.frames import to_frame
    with av.open(str(path), "w") as out:
        s = out.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 32, 16, "yuv420p12le"
        for i in range(2):
            planes = [((np.arange(h * w).reshape(h, w) * 7 + i) % 4096).astype(np.uint16)
                      for h, w in [(16, 32), (8, 16), (8, 16)]]
            out.mux(s.encode(to_frame(planes, "yuv420p12le", 32, 16, pts=i)))
        out.mux(s.encode())
    return path


def test_unreadable_clips_are_skipped_in_one_line_and_the_others_measured(clip, tmp_path):
    from nlvc_av.cli import nlvc_main
    (tmp_path / "x.y4m").write_text("not a video\n")
    (tmp_path / "empty.y4m").write_bytes(b"YUV4MPEG2 W16 H8 F25:1 C420jpeg\n")
    bad = [str(tmp_path / "x.y4m"), str(tmp_path / "missing.mkv"), str(tmp_path / "empty.y4m")]
    out = tmp_path / "b.json"
    r = CliRunner().invoke(nlvc_main, ["bench", bad[0], str(clip), *bad[1:], "-c", "ffv1", "--in-process", "-q",
                                       "--json", str(out), "--markdown", str(tmp_path / "b.md")])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output and r.exception is None
    doc = json.loads(out.read_text())
    assert [c["name"] for c in doc["clips"]] == ["tiny"] and doc["results"][0]["exact"] is True
    skipped = {c["path"]: c["reason"] for c in doc["skipped_clips"]}
    assert list(skipped) == bad and skipped[bad[1]] == "no such file" and "no frames" in skipped[bad[2]]
    for path, reason in skipped.items():
        assert r.stderr.count(f"skipping clip {path}: {reason}\n") == 1
        assert f"`{path}`: {reason}" in (tmp_path / "b.md").read_text()
        assert f"skipped clip {path}: {reason}" in r.stdout
    r = CliRunner().invoke(nlvc_main, ["bench", *bad, "-c", "ffv1", "--in-process", "-q"])
    assert r.exit_code == 1 and "no clip could be read" in r.stderr and r.exception.__class__ is SystemExit


def test_a_codec_that_cannot_take_the_format_is_skipped_on_that_clip_only(clip, tmp_path):
    if unavailable_reason(parse_codecs("x264-medium", [2], None)[0]):
        pytest.skip("no libx264 in this FFmpeg")
    deep = _mkv_12bit(tmp_path / "deep.mkv")
    doc = bench.run_bench([str(deep), str(clip)], codecs="x264-medium,ffv1", isolate=False, quiet=True)
    assert doc["skipped"] == [{"codec": "x264-medium", "clip": "deep", "reason": "libx264 cannot code yuv420p12le"}]
    assert [(r["clip"], r["codec"], r["exact"]) for r in doc["results"]] == [
        ("deep", "ffv1", True), ("tiny", "x264-medium", True), ("tiny", "ffv1", True)]
    assert "skipped x264-medium on deep: libx264 cannot code yuv420p12le" in bench_report.terminal_table(doc)


def test_jpegxl_is_skipped_without_imagecodecs(monkeypatch):
    monkeypatch.setitem(sys.modules, "imagecodecs", None)  # import fails
    reason = unavailable_reason(CodecSpec("jpegxl", "JPEG XL", "jpegxl", {"effort": 7}))
    assert "pip install .[bench]" in reason


# --------------------------------------------------------------------------- isolation and totals


def test_isolated_run_measures_peak_memory(clip, tmp_path):
    doc = bench.run_bench([str(clip)], codecs="ffv1", isolate=True, quiet=True, max_frames=2,
                          json_path=str(tmp_path / "b.json"))
    (r,) = doc["results"]
    assert r["exact"] is True and r["frames"] == 2
    for key in ("enc_peak_rss", "dec_peak_rss", "enc_base_rss", "dec_base_rss"):
        assert 10 << 20 < r[key] < 4 << 30, key  # a Python process with numpy and PyAV
    assert r["enc_peak_rss"] >= r["enc_base_rss"]


def test_isolated_nlvc_run_uses_the_transcoder(clip):
    doc = bench.run_bench([str(clip)], codecs="nlvc-intra", isolate=True, quiet=True, max_frames=2,
                          model="tiny", threads=1)
    (r,) = doc["results"]
    assert r["error"] is None, r.get("error_detail")
    assert r["exact"] is True and r["extra"]["gop"] == 1 and r["extra"]["transcoder_stats"]["frames"] == 2
    assert r["enc_peak_rss"] > r["enc_base_rss"] > 0  # the coder's own memory shows
    assert [(w["pix_fmt"], w["error"]) for w in doc["warmups"]] == [("yuv420p", None)]


def test_resume_reuses_saved_results_with_the_same_settings(clip, tmp_path):
    out = str(tmp_path / "b.json")
    first = bench.run_bench([str(clip)], codecs="ffv1", isolate=False, quiet=True, json_path=out)
    again = bench.run_bench([str(clip)], codecs="ffv1,jpegxl,x264-medium", isolate=False, quiet=True,
                            json_path=out, resume=True)
    assert again["created"] == first["created"]
    assert again["results"][0] == first["results"][0]  # reused, not measured again
    assert [r["codec"] for r in again["results"]] == [k for k in ("ffv1", "jpegxl", "x264-medium")
                                                      if k not in {s["codec"] for s in again["skipped"]}]
    other = bench.run_bench([str(clip)], codecs="ffv1", isolate=False, quiet=True, json_path=out,
                            resume=True, max_frames=2)  # other settings: measured again
    assert other["results"][0]["frames"] == 2


def test_resume_needs_json(clip):
    from nlvc_av.cli import nlvc_main
    r = CliRunner().invoke(nlvc_main, ["bench", str(clip), "--resume"])
    assert r.exit_code == 2 and "--resume needs --json" in r.output


def test_totals_are_sum_of_bytes_over_sum_of_raw():
    def rec(clip, size, raw, frames, enc, exact=True):
        return {"clip": clip, "codec": "c", "label": "C", "family": "ffv1", "frames": frames, "width": 10,
                "height": 10, "raw_bytes": raw, "bytes": size, "enc_seconds": enc, "dec_seconds": enc / 2,
                "enc_peak_rss": 5, "dec_peak_rss": 7, "exact": exact, "error": None}

    (t,) = bench_report.totals([rec("a", 50, 100, 2, 1.0), rec("b", 10, 300, 6, 3.0, exact=False)], 2)
    assert t["percent_of_raw"] == pytest.approx(15.0) and t["bpp"] == pytest.approx(8 * 60 / 800)
    assert t["enc_fps"] == pytest.approx(2.0) and t["dec_fps"] == pytest.approx(4.0)
    assert t["complete"] and not t["exact"] and t["enc_peak_rss"] == 5


@pytest.mark.parametrize("args, message", [
    (["--workdir", "{tmp}/missing/"], "nlvc bench: error: --workdir {tmp}/missing/: no such directory\n"),
    (["--json", "{tmp}/no/r.json"], "nlvc bench: error: --json {tmp}/no/r.json: directory '{tmp}/no' does not exist\n"),
    (["--markdown", "{tmp}/f/r.md"], "nlvc bench: error: --markdown {tmp}/f/r.md: directory '{tmp}/f' does not exist\n"),
])
def test_a_bad_path_is_one_line_before_anything_runs(clip, tmp_path, args, message):
    (tmp_path / "f").write_text("a file, not a folder")
    args = [a.format(tmp=tmp_path) for a in args]
    from nlvc_av.cli import nlvc_main

    r = CliRunner().invoke(nlvc_main, ["bench", str(clip), "-c", "ffv1", "--in-process", "-q", *args])
    assert r.exit_code == 1 and r.stderr == message.format(tmp=tmp_path), r.output
    assert "Traceback" not in r.output


def test_peak_memory_counts_worker_processes():
    """A phase's peak includes its workers (the GOP pool): ru_maxrss alone does not see them."""
    import subprocess
    import sys

    pytest.importorskip("psutil")
    from nlvc_av.bench.codecs import TreePeak, current_rss
    with TreePeak(every=0.01) as tree:
        subprocess.run([sys.executable, "-c", "import time; b = bytearray(300 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.5)"],
                       check=True)
    assert tree.peak > (current_rss() or 0) + (250 << 20)


def test_warm_up_of_an_rgb_clip_decodes_to_matroska(tmp_path):
    # the bench's scratch source of RGB is Matroska (y4m cannot carry it), and so is the warm-up's output
    from clipgen import make_clip
    rgb = tmp_path / "rgb.mkv"
    make_clip(rgb, pix_fmt="bgr0", width=24, height=16, frames=2, audio=None)
    doc = bench.run_bench([str(rgb)], codecs="nlvc-intra", isolate=False, quiet=True, model="tiny", threads=1)
    assert [(w["pix_fmt"], w["error"]) for w in doc["warmups"]] == [("bgr0", None)]
    (r,) = doc["results"]
    assert r["exact"] is True, r.get("error")


def _result(clip, codec, family, size, fps=1.0, exact=True, label=None):
    return {"clip": clip, "codec": codec, "family": family, "label": label or codec, "bytes": size,
            "enc_fps": fps, "exact": exact, "error": None}


def test_comparison_uses_the_smallest_exact_peer_and_summarises_the_clips():
    from nlvc_av.bench import compare
    doc = {"clips": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "results": [
        _result("a", "nlvc-g2", "nlvc", 80, fps=1.0), _result("a", "x265-veryslow", "x265", 100, fps=4.0),
        _result("a", "jpegxl", "jpegxl", 120), _result("a", "x264-veryslow", "x264", 50, exact=False),
        _result("b", "nlvc-g2", "nlvc", 90, fps=2.0), _result("b", "jpegxl", "jpegxl", 100),
        _result("b", "x265-veryslow", "x265", 200, fps=4.0),
        _result("c", "nlvc-g2", "nlvc", 10, exact=False), _result("c", "ffv1", "ffv1", 20),
    ]}
    (c,) = compare.comparison(doc)
    assert [r["clip"] for r in c["clips"]] == ["a", "b"]          # c: NLVC not exact, no ratio
    a, b = c["clips"]
    assert a["best_peer"] == "x265-veryslow" and a["vs_best"] == pytest.approx(0.8)  # x264 was not exact
    assert a["vs_jpegxl"] == pytest.approx(80 / 120) and a["speed_vs_x265"] == pytest.approx(0.25)
    assert b["best_peer"] == "jpegxl" and b["vs_best"] == pytest.approx(0.9)
    s = c["summary"]
    assert s["vs_best"]["geomean"] == pytest.approx((0.8 * 0.9) ** 0.5) and s["vs_best"]["max"] == pytest.approx(0.9)
    assert s["speed_vs_x265"]["min"] == pytest.approx(0.25) and s["vs_best"]["clips"] == 2
    rows = compare.table_rows(doc)
    assert rows[-1][1] == "geomean of 2" and rows[-1][2] == f"{(0.72) ** 0.5:.3f} (max 0.900)"
