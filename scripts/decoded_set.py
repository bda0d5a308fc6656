"""The decoded-video test set (issue 32): every bench clip coded by a common lossy codec at a
common setting and decoded again, written losslessly, for `nlvc bench` (docs/BENCH_DECODED.md).

For each clip (its first --frames frames, all if fewer) and each recipe: the clip's yuv420p
frames are coded through PyAV at the clip's own size (prores_ks takes them as yuv422p10le,
mjpeg as yuvj420p: converted by swscale, bicubic, as the ffmpeg command line does), the
packets are decoded by FFmpeg's decoder, and the decoded frames are written as they come out
(prores: yuv422p10le; mjpeg: yuvj420p, written as yuv420p with the full-range flag: the same
samples) by NLVC's own writer: YUV4MPEG2 where it carries the format, else FFV1 in Matroska.
One file per (clip, recipe), e.g. bus_x265_crf24.y4m; a manifest.json beside them records the
settings, the PyAV/FFmpeg versions, each file's lossy bytes (packets + extradata) and MD5s.
Encoders run on one thread (x264 threads=1, x265 pools=1 frame-threads=1, svtav1 lp=1, vpx
threads=1 row-mt=0), so a rerun with the same PyAV wheel writes the same files. From the
repository root:
    .venv/bin/python scripts/decoded_set.py [--out decoded_set] [--bench ../shared/data/bench]
        [--frames 16] [--clips bus,foreman] [--recipes x265_crf24,mjpeg_q5] [--jobs 1]
"""
import argparse
import dataclasses
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1: errors only on stderr (read when the library loads)

import av  # noqa: E402

from nlvc_av.codec import formats as P  # noqa: E402
from nlvc_av.io.demux import iter_video_planes  # noqa: E402
from nlvc_av.io.frames import frame_planes, to_frame  # noqa: E402
from nlvc_av.io.mux import OutputFile  # noqa: E402
from nlvc_av.io.y4m import y4m_chroma_tag  # noqa: E402

CLIP_SUFFIXES = (".y4m", ".mkv")
SOURCE_PIX_FMT = "yuv420p"
QP2LAMBDA = 118  # FFmpeg's FF_QP2LAMBDA: `-q:v N` is global_quality N * 118 with the qscale flag


@dataclasses.dataclass(frozen=True)
class Recipe:
    encoder: str
    decoder: str
    pix_fmt: str  # what the encoder is fed
    options: dict  # the encoder's AVOptions, as `ffmpeg -c:v ENCODER -OPTION VALUE`
    qscale: int | None = None  # `-q:v N` (fixed quantiser)
    bit_rate: int | None = None  # `-b:v N`
    note: str = ""


RECIPES = {
    "x264_crf20_medium": Recipe("libx264", "h264", "yuv420p", {"crf": "20", "preset": "medium"}),
    "x264_crf28_fast": Recipe("libx264", "h264", "yuv420p", {"crf": "28", "preset": "fast"}),
    "x265_crf24": Recipe("libx265", "hevc", "yuv420p",
                         {"crf": "24", "x265-params": "pools=1:frame-threads=1:log-level=error"},
                         note="preset medium (x265's default)"),
    "svtav1_crf35": Recipe("libsvtav1", "libdav1d", "yuv420p", {"crf": "35", "preset": "8", "svtav1-params": "lp=1"},
                           note="preset 8 (SVT-AV1 4.1's default, fixed here)"),
    "vp9_crf32": Recipe("libvpx-vp9", "vp9", "yuv420p",
                        {"crf": "32", "deadline": "good", "cpu-used": "1", "row-mt": "0"}, bit_rate=0,
                        note="b:v 0 (constant quality); deadline good, cpu-used 1 are FFmpeg's defaults"),
    "mpeg2_q4": Recipe("mpeg2video", "mpeg2video", "yuv420p", {}, qscale=4,
                       note="-q:v 4, GOP 12, no B-frames (FFmpeg's defaults)"),
    "prores_standard": Recipe("prores_ks", "prores", "yuv422p10le", {"profile": "standard"},
                              note="fed yuv422p10le (swscale bicubic from the clip's yuv420p); decoded as is"),
    "mjpeg_q5": Recipe("mjpeg", "mjpeg", "yuvj420p", {}, qscale=5,
                       note="fed yuvj420p (swscale bicubic, limited -> full range); decoded yuvj420p, "
                            "written as yuv420p with the full-range flag"),
}


def short_name(path: Path) -> str:
    """A clip's name without its size and frame-count tokens: bus_cif_17f -> bus."""
    kept = [t for t in path.stem.split("_") if not re.fullmatch(r"\d+x\d+|cif|qcif|\d+p|\d+f", t, re.I)]
    return "_".join(kept) or path.stem


def pick(given: str | None, known: list[str], what: str, aliases: dict | None = None) -> list[str]:
    if not given:
        return known
    out = []
    for name in (n.strip() for n in given.split(",") if n.strip()):
        name = (aliases or {}).get(name, name)
        if name not in known:
            raise SystemExit(f"error: unknown {what} {name!r} (known: {', '.join(known)})")
        out.append(name)
    return out


def _encoder(recipe: Recipe, width: int, height: int, rate: Fraction):
    cc = av.CodecContext.create(recipe.encoder, "w")
    cc.width, cc.height, cc.pix_fmt = width, height, recipe.pix_fmt
    cc.time_base, cc.framerate = 1 / rate, rate
    cc.thread_count = 1
    if recipe.qscale is not None:
        cc.qscale = True
        cc.global_quality = recipe.qscale * QP2LAMBDA
    if recipe.bit_rate is not None:
        cc.bit_rate = recipe.bit_rate
    if recipe.pix_fmt.startswith("yuvj"):
        cc.color_range = P.COLOR_RANGE_FULL
    cc.options = dict(recipe.options)
    cc.open()
    return cc


def code_clip(clip: str, path: str, recipe_name: str, frames: int, out_dir: str) -> dict:
    """Code one clip with one recipe and write what decodes; the file's row of the manifest."""
    recipe = RECIPES[recipe_name]
    info, planes_iter = iter_video_planes(path, max_frames=frames)
    if info.pix_fmt != SOURCE_PIX_FMT:
        raise ValueError(f"{path}: {info.pix_fmt}, expected {SOURCE_PIX_FMT}")
    rate = Fraction(info.frame_rate or 25)
    enc = _encoder(recipe, info.width, info.height, rate)
    packets, count = [], 0
    for i, planes in enumerate(planes_iter):
        frame = to_frame(planes, SOURCE_PIX_FMT, info.width, info.height)
        if recipe.pix_fmt != SOURCE_PIX_FMT:
            frame = frame.reformat(format=recipe.pix_fmt, interpolation="BICUBIC")
        frame.pts, frame.time_base = i, enc.time_base
        packets += enc.encode(frame)
        count += 1
    packets += enc.encode(None)
    extradata = bytes(enc.extradata or b"")
    lossy = sum(p.size for p in packets) + len(extradata)
    dec = av.CodecContext.create(recipe.decoder, "r")
    dec.thread_count = 1
    if extradata:
        dec.extradata = extradata
    decoded = [f for p in packets for f in dec.decode(p)] + list(dec.decode(None))
    if len(decoded) != count:
        raise RuntimeError(f"{clip} {recipe_name}: {count} frames coded, {len(decoded)} decoded")
    source_fmt = decoded[0].format.name
    pix_fmt, full = P.normalize(source_fmt)
    video = dataclasses.replace(
        info, pix_fmt=pix_fmt, source_pix_fmt=source_fmt, codec_name=recipe.decoder, frames=count,
        color_range=P.COLOR_RANGE_FULL if full or decoded[0].color_range == P.COLOR_RANGE_FULL else info.color_range,
        metadata={}, stream_metadata={})
    kind = "y4m" if y4m_chroma_tag(pix_fmt) else "mkv"  # (no recipe here needs mkv; its bytes vary, pixels_md5 not)
    name = f"{clip}_{recipe_name}.{kind}"
    dst, tmp = Path(out_dir) / name, Path(out_dir) / f".{name}.part"
    pixels = hashlib.md5()
    try:
        with OutputFile(str(tmp), kind, video, name=str(dst)) as out:
            for i, frame in enumerate(decoded):
                planes = frame_planes(frame, P.lookup(source_fmt))
                for plane in planes:
                    pixels.update(plane.tobytes())
                out.write_frame(planes, pts=i, duration=1)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return {"file": name, "clip": clip, "source": Path(path).name, "recipe": recipe_name, "frames": count,
            "width": info.width, "height": info.height, "decoded_pix_fmt": source_fmt, "written_pix_fmt": pix_fmt,
            "lossy_bytes": lossy, "bytes": dst.stat().st_size,
            "md5": hashlib.md5(dst.read_bytes()).hexdigest(), "pixels_md5": pixels.hexdigest()}


def _task(args):
    try:
        return code_clip(*args)
    except Exception as err:  # one line per failed file, the others are made
        return {"error": f"{args[0]} {args[2]}: {type(err).__name__}: {err}"}


def collect(results, rows: list, failed: list) -> None:
    """One line per file, in task order."""
    for row in results:
        if "error" in row:
            failed.append(row["error"])
            print(f"FAILED {row['error']}", file=sys.stderr, flush=True)
            continue
        rows.append(row)
        print(f"{row['file']:36s} {row['frames']:3d} frames  {row['lossy_bytes']:>10,d} lossy bytes", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "data" / "bench"), help="the clips' folder")
    ap.add_argument("--out", default=str(ROOT / "decoded_set"),
                    help="output folder (made if missing) [default: decoded_set/ in the repository, ignored by git]")
    ap.add_argument("--frames", type=int, default=16, help="first N frames of each clip (all if fewer)")
    ap.add_argument("--clips", help="comma-separated subset (short names like bus, or file stems)")
    ap.add_argument("--recipes", help=f"comma-separated subset of: {', '.join(RECIPES)}")
    ap.add_argument("--jobs", type=int, default=1, help="files made at once (processes)")
    args = ap.parse_args(argv)
    if args.frames < 1 or args.jobs < 1:
        raise SystemExit("error: --frames and --jobs must be at least 1")
    bench = Path(args.bench)
    if not bench.is_dir():
        raise SystemExit(f"error: --bench {bench}: not a folder")
    paths = sorted(p for p in bench.iterdir() if p.suffix.lower() in CLIP_SUFFIXES and p.is_file())
    by_name = {short_name(p): p for p in paths}
    if len(by_name) != len(paths):
        raise SystemExit(f"error: {bench}: two clips share a short name")
    if not by_name:
        raise SystemExit(f"error: {bench}: no .y4m or .mkv clips")
    clips = pick(args.clips, list(by_name), "clip", {p.stem: n for n, p in by_name.items()})
    recipes = pick(args.recipes, list(RECIPES), "recipe")
    missing = sorted({RECIPES[r].encoder for r in recipes} - av.codecs_available)
    missing += sorted({RECIPES[r].decoder for r in recipes} - av.codecs_available)
    if missing:
        raise SystemExit(f"error: this PyAV's FFmpeg lacks {', '.join(missing)}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SystemExit(f"error: --out {out}: {err.strerror or err}")
    tasks = [(c, str(by_name[c]), r, args.frames, str(out)) for c in clips for r in recipes]
    start = time.time()
    rows, failed = [], []
    if args.jobs == 1:
        collect(map(_task, tasks), rows, failed)
    else:
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            collect(pool.map(_task, tasks), rows, failed)
    manifest = {
        "made_by": "scripts/decoded_set.py", "frames": args.frames, "source_pix_fmt": SOURCE_PIX_FMT,
        "pyav": av.__version__, "ffmpeg": av.ffmpeg_version_info,
        "libraries": {k: ".".join(map(str, v)) for k, v in av.library_versions.items()},
        "recipes": {r: dataclasses.asdict(RECIPES[r]) | {"threads": 1} for r in recipes},
        "lossy_bytes": "the encoder's packets plus its extradata (no container)",
        "files": rows,
    }
    text = json.dumps(manifest, indent=1) + "\n"
    tmp = out / ".manifest.json.part"
    tmp.write_text(text)
    os.replace(tmp, out / "manifest.json")
    print(f"{len(rows)} files, manifest {out / 'manifest.json'} ({time.time() - start:.0f} s)")
    if failed:
        print(f"error: {len(failed)} file(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
