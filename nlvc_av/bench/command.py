"""``nlvc bench``: size, speed, memory and exactness of NLVC against classical lossless codecs.

    nlvc bench CLIP... [--codecs LIST] [--groups 1,2,3] [--gop N] [--max-frames N]
                       [--threads N] [--json out.json [--resume]] [--markdown out.md] [--plot out.png]

CLIP is a video file (or a folder: its video files). For each clip the first ``--max-frames``
frames (default: all) are decoded once in their native pixel format, hashed (MD5 per frame) and
written to a scratch y4m (Matroska/FFV1 for RGB) that every codec then reads. Each codec encodes
and decodes it (each phase in a fresh process, see :mod:`nlvc_av.bench.codecs`), and every
decoded frame is compared with the source by MD5; a codec that is not exact is reported as
``NOT EXACT`` in every output.

Nothing is dropped silently, and there is never a traceback: a clip that cannot be read (missing,
not a video, no video stream, no frames, a pixel format NLVC does not read) is reported in one
line on stderr (even with ``-q``), listed in ``skipped_clips`` and the other clips are measured; a
codec that cannot take a clip's pixel format (FFmpeg's encoder does not list it) is skipped for
that clip only and listed in ``skipped`` with the clip; a phase that fails (the codec raises, its
worker dies) is recorded in ``error`` (its traceback in ``error_detail``, not on stderr) and the
run goes on. Exit status: 1 when a codec run was NOT EXACT or failed, or when no clip could be
read at all (nothing was measured); skipped clips and codecs alone leave it 0; 2 for usage errors.

Codecs (``--codecs``, comma-separated, default ``all``): ``nlvc`` (the default GOP or ``--gop``)
and ``nlvc-intra`` (GOP 1), each at every G of ``--groups``; ``ffv1`` (level 3, the options of
NLVC's own FFV1 output); ``x264-PRESET`` (``qp=0``), ``x265-PRESET`` (``lossless=1``), ``x264``/
``x265`` = presets veryslow and medium; ``jpegxl`` (lossless, effort 7, each plane as a grey
image; needs ``pip install .[bench]``, skipped with a note otherwise). ``all`` = nlvc,
nlvc-intra, ffv1, x264-veryslow, x264-medium, x265-veryslow, x265-medium, jpegxl.

``--threads N`` asks every codec for N threads (PyAV ``thread_count``, JPEG XL ``numthreads``,
NLVC's torch threads, ``OMP_NUM_THREADS`` in the workers); 0 (default) leaves each codec's own
default. ``--in-process`` runs every phase in this process: quicker, but peak memory is not
measured (null). ``--resume`` picks up an interrupted run: results already in the ``--json``
file are kept when the settings, the NLVC weights and the clip's frames are the same. Speeds are wall-clock: run on an otherwise idle machine (the load average at
the start is recorded).

JSON document (``--json``; written again after every codec run, so a long run can be watched)::

    schema        "nlvc-bench/1"
    created       ISO 8601 time the run started (UTC)
    seconds       wall time of the run so far, in seconds (summed over --resume invocations)
    command       the command line that reproduces the run
    machine       cpu, physical_cores, logical_cpus, memory_bytes, load_average (1/5/15 min at
                  start), platform, python, nlvc, torch, av, ffmpeg, numpy, constriction,
                  imagecodecs, libjxl, matplotlib (versions; null when absent)
    model         model_id, weights_sha256, weights_mtime (UTC) of the shipped NLVC weights
                  (the hidden test option --model tiny records the untrained test model instead)
    settings      codecs (keys), groups, gop (null = transcoder default), max_frames, threads
                  (0 = each codec's default), isolated (true: one process per phase, memory measured)
    clips[]       name, path, width, height, pix_fmt, frames, raw_bytes, frame_md5 (hex, per frame)
    skipped_clips[]  name, path, reason (clips that could not be read; the others were measured)
    warmups[]     clip, pix_fmt, seconds, error: the untimed warm-up before NLVC's first timed run
                  on each pixel format (an encode and decode of the clip's first 9 frames, which
                  compiles NLVC's kernels into numba's cache; timed runs load them from it)
    skipped[]     codec, reason (codecs that cannot run here); with clip: that codec cannot take
                  that clip's pixel format (skipped on it only)
    results[]     one per clip x codec:
        clip, codec (key, e.g. "nlvc-g2", "nlvc-g2-intra", "x265-veryslow"), label, family
                  ("nlvc"|"ffv1"|"x264"|"x265"|"jpegxl"), params (groups/gop, preset, effort),
        frames, width, height, pix_fmt, raw_bytes   (raw = decoded planes in the native format)
        bytes             stored size (.nlvc file; Matroska file; JPEG XL: sum of codestreams)
        stream_bytes      coded payload alone (packets / cluster payloads; null if unknown)
        percent_of_raw    100 * bytes / raw_bytes
        bpp               8 * bytes / (width * height * frames)
        enc_seconds, dec_seconds, enc_fps, dec_fps          wall time of the codec's work
        enc_cpu_seconds, dec_cpu_seconds                    user + system CPU time of it
        enc_peak_rss, dec_peak_rss   peak RSS in bytes of the process that ran the phase
                                     (null with --in-process: not measured)
        enc_base_rss, dec_base_rss   RSS in bytes just before the timed work
        exact             true when every frame's MD5 matches (false: NOT EXACT; null: error)
        decoded_frames, mismatch_count, mismatched_frames (first 50 indices)
        error             null, or the message of the failure (traceback in error_detail)
        extra             codec-specific: encoder, options, coded_pix_fmt, gop, ...
    totals[]      one per codec: codec, label, family, clips, complete (ran on every clip),
                  frames, raw_bytes, bytes, percent_of_raw (sum of bytes / sum of raw), bpp,
                  enc_seconds, enc_fps, dec_seconds, dec_fps (all frames / all seconds),
                  enc_peak_rss, dec_peak_rss (the largest), exact (all clips), errors

``python -m nlvc_av.bench.report out.json`` prints the table of a saved document again.
"""

from __future__ import annotations

import datetime as _dt
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import click

from .clips import VIDEO_SUFFIXES, Y4M_PIX_FMTS, clip_problem, codec_problem  # noqa: F401 (re-exported)
from .clips import expand as _expand, prepare as _prepare
from .codecs import CodecSpec, parse_codecs, spec_dict, unavailable_reason
from .phases import run_phase_in_process, run_phase_isolated, warm_up

__all__ = ["bench", "run_bench", "SCHEMA"]

SCHEMA = "nlvc-bench/1"


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        click.echo(msg, err=True)


def _measure(spec: CodecSpec, clip: dict, workdir: Path, opts: dict) -> dict:
    ext = {"nlvc": ".nlvc", "jpegxl": ".jxls"}.get(spec.family, ".mkv")
    coded = workdir / f"{clip['name']}.{spec.key}{ext}"
    job = {"codec": spec_dict(spec), "source": clip["source"], "coded": str(coded),
           "threads": opts["threads"], "model": opts["model"], "ref_md5": clip["frame_md5"]}
    run = (lambda j: run_phase_isolated(j, workdir, opts["threads"])) if opts["isolate"] else run_phase_in_process
    rec = {"clip": clip["name"], "codec": spec.key, "label": spec.label, "family": spec.family,
           "params": dict(spec.params), "frames": clip["frames"], "width": clip["width"],
           "height": clip["height"], "pix_fmt": clip["pix_fmt"], "raw_bytes": clip["raw_bytes"],
           "bytes": None, "stream_bytes": None, "percent_of_raw": None, "bpp": None,
           "enc_seconds": None, "dec_seconds": None, "enc_fps": None, "dec_fps": None,
           "enc_cpu_seconds": None, "dec_cpu_seconds": None, "enc_peak_rss": None, "dec_peak_rss": None,
           "enc_base_rss": None, "dec_base_rss": None, "exact": None, "decoded_frames": None,
           "mismatch_count": None, "mismatched_frames": [], "error": None, "extra": {}}
    try:
        enc = run(dict(job, phase="encode"))
        if not enc["ok"]:
            rec.update(error=f"encode: {enc['error']}", error_detail=enc.get("traceback"))
            return rec
        rec.update(bytes=enc["bytes"], stream_bytes=enc.get("stream_bytes"), enc_seconds=enc["seconds"],
                   enc_cpu_seconds=enc.get("cpu_seconds"), enc_peak_rss=enc.get("peak_rss"),
                   enc_base_rss=enc.get("base_rss"))
        rec["percent_of_raw"] = 100.0 * enc["bytes"] / clip["raw_bytes"]
        rec["bpp"] = 8.0 * enc["bytes"] / (clip["width"] * clip["height"] * clip["frames"])
        rec["enc_fps"] = clip["frames"] / enc["seconds"] if enc["seconds"] > 0 else None
        rec["extra"] = {k: v for k, v in enc.items() if k not in {
            "ok", "bytes", "stream_bytes", "seconds", "cpu_seconds", "peak_rss", "base_rss"}}
        dec = run(dict(job, phase="decode", encode=enc))
        if not dec["ok"]:
            rec.update(error=f"decode: {dec['error']}", error_detail=dec.get("traceback"))
            return rec
        rec.update(dec_seconds=dec["seconds"], dec_cpu_seconds=dec.get("cpu_seconds"),
                   dec_peak_rss=dec.get("peak_rss"), dec_base_rss=dec.get("base_rss"),
                   exact=dec["exact"], decoded_frames=dec["decoded_frames"],
                   mismatch_count=dec["mismatch_count"], mismatched_frames=dec["mismatched_frames"])
        rec["dec_fps"] = clip["frames"] / dec["seconds"] if dec["seconds"] > 0 else None
        return rec
    except Exception as err:  # the plumbing around a phase: recorded like a phase failure
        import traceback
        rec.update(error=f"{type(err).__name__}: {err}", error_detail=traceback.format_exc()[-4000:])
        return rec
    finally:
        coded.unlink(missing_ok=True)


def _model_info(model: str | None) -> dict:
    if model == "tiny":
        return {"model_id": "tiny test model (untrained, for tests)", "weights_sha256": None}
    try:
        from ..codec import registry  # numpy only; torch is not imported
        entry = registry.resolve(model or registry.DEFAULT_MODEL)
        return {"model_id": entry.model_id, "weights_sha256": entry.sha256}
    except Exception as err:
        return {"model_id": None, "weights_sha256": None, "error": f"{type(err).__name__}: {err}"}


def _command(clips, opts: dict) -> str:
    args = ["nlvc", "bench"]
    args += ["--codecs", ",".join(opts["codec_names"]), "--groups", ",".join(map(str, opts["groups"]))]
    for flag, key in (("--gop", "gop"), ("--max-frames", "max_frames"), ("--threads", "threads")):
        if opts.get(key):
            args += [flag, str(opts[key])]
    if not opts["isolate"]:
        args.append("--in-process")
    for flag in ("json", "markdown", "plot"):
        if opts.get(flag):
            args += [f"--{flag}", str(opts[flag])]
    return shlex.join(args + [str(c) for c in clips])


def run_bench(clips, *, codecs="all", groups=(2,), gop=None, max_frames=None, threads=0,
              json_path=None, markdown_path=None, plot_path=None, isolate=True, model=None,
              workdir=None, quiet=False, resume=False) -> dict:
    """Run the benchmark and write the outputs asked for; returns the JSON document.

    ``resume``: reuse the results already in ``json_path`` (an interrupted run) when they were
    measured with the same settings, weights and source frames; measure only the rest."""
    from . import report as R
    codec_names = [codecs] if isinstance(codecs, str) else list(codecs)
    specs = parse_codecs(codec_names, list(groups), gop)
    opts = {"codec_names": codec_names, "groups": list(groups), "gop": gop, "max_frames": max_frames,
            "threads": threads, "isolate": isolate, "model": model, "json": json_path,
            "markdown": markdown_path, "plot": plot_path}
    started = time.monotonic()
    doc = {"schema": SCHEMA,
           "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
           "command": _command(clips, opts), "machine": R.machine_info(), "model": _model_info(model),
           "settings": {"codecs": [s.key for s in specs], "groups": list(groups), "gop": gop,
                        "max_frames": max_frames, "threads": threads, "isolated": isolate},
           "clips": [], "skipped_clips": [], "skipped": [], "warmups": [], "results": [], "totals": [],
           "seconds": None}
    old = _resumable(json_path, doc, quiet) if resume else None
    before = (old.get("seconds") or 0.0) if old else 0.0
    if old:
        doc["created"] = old["created"]
    runnable = []
    for spec in specs:
        reason = unavailable_reason(spec)
        if reason:
            doc["skipped"].append({"codec": spec.key, "reason": reason})
            _log(f"skipping {spec.label}: {reason}", quiet)
        else:
            runnable.append(spec)
    paths = _expand(clips)
    if not paths:
        raise click.UsageError("no clips given")
    warmed: set[str] = set()  # pixel formats NLVC's kernels were compiled for (untimed warm-up)
    with tempfile.TemporaryDirectory(prefix="nlvc-bench-", dir=workdir) as tmp:
        tmp = Path(tmp)
        for path in paths:
            _log(f"reading {path} ...", quiet)
            try:
                clip = _prepare(path, max_frames, tmp)
            except Exception as err:  # unreadable, unsupported, no video: one line, the others go on
                reason = clip_problem(path, err)
                doc["skipped_clips"].append({"name": path.stem, "path": str(path), "reason": reason})
                click.echo(f"skipping clip {path}: {reason}", err=True)
                continue
            doc["clips"].append({k: v for k, v in clip.items() if k != "source"})
            done = _done(old, clip)
            for spec in runnable:
                why = codec_problem(spec, clip["pix_fmt"])
                if why:
                    doc["skipped"].append({"codec": spec.key, "clip": clip["name"], "reason": why})
                    _log(f"  {clip['name']}: skipping {spec.label}: {why}", quiet)
                    continue
                t0 = time.monotonic()
                rec = done.get(spec.key)
                if rec is None and spec.family == "nlvc" and clip["pix_fmt"] not in warmed:
                    warmed.add(clip["pix_fmt"])
                    doc["warmups"].append(warm_up(spec, clip, tmp, opts, lambda msg: _log(msg, quiet)))
                if rec is None:
                    _log(f"  {clip['name']}: {spec.label} ...", quiet)
                    rec = _measure(spec, clip, tmp, opts)
                doc["results"].append(rec)
                status = rec["error"] or ("exact" if rec["exact"] else "NOT EXACT")
                pct = f"{rec['percent_of_raw']:.2f} % of raw, " if rec["percent_of_raw"] else ""
                took = f"{time.monotonic() - t0:.1f} s" if spec.key not in done else f"reused from {json_path}"
                _log(f"  {clip['name']}: {spec.label}: {pct}{status} ({took})", quiet)
                if rec["error"] or rec["exact"] is False:
                    click.echo(f"!!! {spec.label} on {clip['name']}: "
                               f"{rec['error'] or 'NOT EXACT (decoded frames differ from the source)'}", err=True)
                doc["totals"] = R.totals(doc["results"], len(doc["clips"]))
                doc["seconds"] = round(before + time.monotonic() - started, 1)
                if json_path:
                    R.write_json(doc, json_path)
            Path(clip["source"]).unlink(missing_ok=True)
    doc["totals"] = R.totals(doc["results"], len(doc["clips"]))
    doc["seconds"] = round(before + time.monotonic() - started, 1)
    if json_path:
        R.write_json(doc, json_path)
    if plot_path:
        R.plot(doc, plot_path)
    if markdown_path:
        Path(markdown_path).write_text(R.markdown(doc, plot_path, markdown_path))
    return doc


RESUME_KEYS = ("groups", "gop", "max_frames", "threads", "isolated")


def _resumable(json_path, doc: dict, quiet: bool) -> dict | None:
    """The saved document of an interrupted run, when its results can be reused."""
    if not json_path or not Path(json_path).is_file():
        return None
    try:
        old = json.loads(Path(json_path).read_text())
    except (OSError, ValueError):
        old = {}
    why = None
    if old.get("schema") != SCHEMA:
        why = "not a bench JSON of this version"
    elif old.get("model", {}).get("weights_sha256") != doc["model"].get("weights_sha256") or \
            old.get("model", {}).get("model_id") != doc["model"].get("model_id"):
        why = "the NLVC weights have changed since"
    elif any(old["settings"].get(k) != doc["settings"][k] for k in RESUME_KEYS):
        why = "it was run with other settings"
    if why:
        _log(f"--resume: not reusing {json_path}: {why}; measuring everything", quiet)
        return None
    return old


def _done(old: dict | None, clip: dict) -> dict[str, dict]:
    """codec key -> saved result for this clip (same frames), errors not included."""
    if not old:
        return {}
    same = [c for c in old["clips"] if c["name"] == clip["name"] and c["frame_md5"] == clip["frame_md5"]]
    if not same:
        return {}
    return {r["codec"]: r for r in old["results"] if r["clip"] == clip["name"] and not r.get("error")}


def _groups(ctx, param, value: str) -> list[int]:
    try:
        groups = [int(g) for g in value.split(",") if g.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of integers, e.g. 1,2,3") from None
    if not groups or any(g not in (1, 2, 3) for g in groups):
        raise click.BadParameter("each G must be 1, 2 or 3")
    return groups


@click.command("bench")
@click.argument("clips", nargs=-1, required=True, type=click.Path())  # a missing one is skipped
@click.option("--codecs", "-c", multiple=True, default=("all",), show_default=True,
              help="Comma-separated: nlvc, nlvc-intra, ffv1, x264[-PRESET], x265[-PRESET], jpegxl, all.")
@click.option("--groups", "-g", default="2", show_default=True, callback=_groups,
              help="G values for the nlvc codecs, comma-separated (1,2,3).")
@click.option("--gop", type=click.IntRange(1), default=None,
              help="GOP length of the `nlvc` runs [default: the transcoder's].")
@click.option("--max-frames", type=click.IntRange(1), default=None, help="Frames per clip [default: all].")
@click.option("--threads", type=click.IntRange(0), default=0, show_default=True,
              help="Threads per codec (0 = each codec's default).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the JSON document here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), help="Write Markdown tables here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write a PNG of size (% of raw) against encode speed (needs matplotlib).")
@click.option("--in-process", "in_process", is_flag=True,
              help="Run every codec in this process (faster start; peak memory not measured).")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Folder for scratch files [default: the system temp folder].")
@click.option("--resume", is_flag=True,
              help="Reuse the results already in the --json file (an interrupted run with the same "
                   "settings, weights and clips); measure only the rest.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--model", type=click.Choice(["tiny"]), default=None, hidden=True,
              help="NLVC test model (untrained, fast): for the tests only.")
def bench(clips, codecs, groups, gop, max_frames, threads, json_path, markdown_path, plot_path,
          in_process, workdir, resume, quiet, model):
    """Size, speed, peak memory and exactness of NLVC and classical lossless codecs on CLIP...

    Prints a table per clip and, for each NLVC configuration, its bytes over the smallest exact
    classical codec's and JPEG XL's, and its encode speed over x265 veryslow's (with geomeans)."""
    try:
        codec_names = [t for c in codecs for t in c.split(",") if t.strip()]
        parse_codecs(codec_names, groups, gop)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--codecs") from None
    if resume and not json_path:
        raise click.UsageError("--resume needs --json (the file of the interrupted run)")
    if plot_path:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise click.UsageError("--plot needs matplotlib (pip install -c constraints.txt -e '.[bench]')") from None
    from . import report as R
    from ..cli_base import _errors

    with _errors("nlvc bench"):  # a bad path, then or at the end of a long run, is one line
        R.check_paths(workdir, {"--json": json_path, "--markdown": markdown_path, "--plot": plot_path})
        doc = run_bench(clips, codecs=codec_names, groups=groups, gop=gop, max_frames=max_frames,
                        threads=threads, json_path=json_path, markdown_path=markdown_path,
                        plot_path=plot_path, isolate=not in_process, model=model, workdir=workdir,
                        quiet=quiet, resume=resume)
    from .report import terminal_table
    click.echo(terminal_table(doc))
    if any(r["error"] or r["exact"] is not True for r in doc["results"]):
        click.echo("!!! some codec runs were NOT EXACT or failed: see above", err=True)
        sys.exit(1)
    if not doc["clips"]:
        click.echo("!!! no clip could be read: nothing was measured", err=True)
        sys.exit(1)


bench_cmd = bench


if __name__ == "__main__":
    bench()
