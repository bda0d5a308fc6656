"""Outputs of ``nlvc bench``: per-codec totals, the terminal table, Markdown, JSON and the plot.

Everything here works on the plain dictionaries described in :mod:`nlvc_av.bench` (the JSON
document), so a saved JSON file can be turned into a table or a plot again.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from . import compare

__all__ = ["machine_info", "totals", "terminal_table", "markdown", "write_json", "plot", "NOTES"]

MiB = 1 << 20

NOTES = [
    "Raw size = the decoded planes in their native pixel format (8-bit yuv420p: w*h*1.5 bytes a "
    "frame), no padding, no container.",
    "Bytes = the file a user would keep: the .nlvc file for NLVC (header, per-frame MD5s, CRCs and "
    "cues included); a Matroska file for FFV1/x264/x265 (container overhead included; `stream_bytes` "
    "in the JSON is the packets alone); for JPEG XL the sum of the bare codestreams, one per plane "
    "(no container, no index).",
    "Bits/pixel = bytes * 8 / (width * height * frames).",
    "Speed = frames / wall seconds of the codec's own calls (source frames already in memory for "
    "FFV1/x264/x265/JPEG XL; for NLVC the transcoder's encode_file/decode_file from/to y4m, with torch "
    "imported beforehand and its compiled kernels loaded from numba's cache inside the clock, as in "
    "every run after a machine's first: an untimed warm-up, an encode and decode of the first 9 "
    "frames of the first clip of each pixel format, compiles them before NLVC's first timed run). "
    "Every codec used its default threading on this machine unless --threads "
    "was given; NLVC runs as one job (jobs=1: one process, one core; nlvc-transcode's default "
    "--jobs uses every core). TOTAL fps = all frames / all seconds.",
    "Peak memory = peak resident set size (getrusage ru_maxrss) of a fresh Python process that ran "
    "only that phase (encode or decode) of that codec on that clip: the whole process (interpreter, "
    "numpy, PyAV/FFmpeg, torch for NLVC; the source frames for the codecs fed from memory), with "
    "its worker processes (NLVC's GOP pool; their resident sizes summed, sampled every 50 ms) when "
    "that is larger. TOTAL = the largest.",
    "Exact = every decoded frame's MD5 (planes in the native format) equals the source frame's.",
]


# --------------------------------------------------------------------------- machine


def _cpu() -> tuple[str, int | None]:
    model, cores = platform.processor() or platform.machine(), set()
    try:
        phys = core = None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = (s.strip() for s in line.partition(":"))
            if key == "model name":
                model = value
            elif key == "physical id":
                phys = value
            elif key == "core id":
                core = value
                cores.add((phys, core))
    except OSError:
        pass
    return model, len(cores) or None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """CPU, memory, load and library versions (torch's version is read without importing it)."""
    model, cores = _cpu()
    info = {"cpu": model, "physical_cores": cores, "logical_cpus": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version()}
    try:
        info["memory_bytes"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        info["memory_bytes"] = None
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        info["load_average"] = None
    for dist in ("nlvc", "torch", "av", "numpy", "constriction", "imagecodecs", "matplotlib"):
        info[dist] = _version(dist)
    from ..version import __version__  # the code that ran (an editable install's metadata can be older)
    info["nlvc"] = __version__
    from ..io.frames import FFMPEG_VERSION
    info["ffmpeg"] = str(FFMPEG_VERSION) or None
    try:
        import imagecodecs
        info["libjxl"] = imagecodecs.jpegxl_version().replace("libjxl", "").strip()
    except Exception:
        info["libjxl"] = None
    return info


# --------------------------------------------------------------------------- totals


def _ratio(a, b):
    return a / b if a is not None and b else None


def totals(results: list[dict], n_clips: int) -> list[dict]:
    """One TOTAL record per codec (in first-seen order) over the clips where it ran."""
    order: dict[str, list[dict]] = {}
    for r in results:
        order.setdefault(r["codec"], []).append(r)
    out = []
    for key, rs in order.items():
        ok = [r for r in rs if r.get("bytes") is not None and not r.get("error")]
        frames = sum(r["frames"] for r in ok)
        raw = sum(r["raw_bytes"] for r in ok)
        size = sum(r["bytes"] for r in ok)
        pixels = sum(r["width"] * r["height"] * r["frames"] for r in ok)
        enc_s = sum(r["enc_seconds"] for r in ok)
        dec = [r for r in ok if r.get("dec_seconds") is not None]
        peaks = {p: [r[p] for r in ok if r.get(p)] for p in ("enc_peak_rss", "dec_peak_rss")}
        out.append({
            "codec": key, "label": rs[0]["label"], "family": rs[0]["family"], "clips": len(ok),
            "complete": len(ok) == n_clips, "frames": frames, "raw_bytes": raw, "bytes": size,
            "percent_of_raw": _ratio(100.0 * size, raw) if ok else None,
            "bpp": _ratio(8.0 * size, pixels) if ok else None,
            "enc_seconds": enc_s, "enc_fps": _ratio(frames, enc_s),
            "dec_seconds": sum(r["dec_seconds"] for r in dec),
            "dec_fps": _ratio(sum(r["frames"] for r in dec), sum(r["dec_seconds"] for r in dec)),
            "enc_peak_rss": max(peaks["enc_peak_rss"], default=None),
            "dec_peak_rss": max(peaks["dec_peak_rss"], default=None),
            "exact": all(r.get("exact") is True for r in rs),
            "errors": sum(1 for r in rs if r.get("error")),
        })
    return out


# --------------------------------------------------------------------------- tables


def _fmt(v, spec: str, none: str = "-") -> str:
    return none if v is None else format(v, spec)


def _speed(v) -> str:
    """Frames/s with about three significant digits, never in exponent notation."""
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def _exact_cell(r: dict, md: bool) -> str:
    if r.get("error"):
        return "**ERROR**" if md else "ERROR"
    if r.get("exact") is True:
        return "yes"
    return "**NOT EXACT**" if md else "NOT EXACT"


def _row(name: str, r: dict, md: bool) -> list[str]:
    mem = lambda k: _fmt(r[k] / MiB if r.get(k) else None, ".0f")  # noqa: E731
    return [name, str(r.get("frames", "-")), _fmt(r.get("bytes"), ","),
            _fmt(r.get("percent_of_raw"), ".2f"), _fmt(r.get("bpp"), ".3f"),
            _speed(r.get("enc_fps")), _speed(r.get("dec_fps")),
            f"{mem('enc_peak_rss')} / {mem('dec_peak_rss')}", _exact_cell(r, md)]


HEADER = ["codec", "frames", "bytes", "% raw", "bits/px", "enc fps", "dec fps", "peak MiB enc/dec", "exact"]


def _rows(doc: dict, md: bool) -> list[tuple[str, list[list[str]]]]:
    """(section title, rows) for the TOTAL section then each clip."""
    n = len(doc["clips"])
    sections = [(f"TOTAL over {n} clip(s) (sum of bytes / sum of raw)", [
        _row(t["label"] + ("" if t["complete"] else f" ({t['clips']}/{n} clips)"), t, md)
        for t in doc["totals"]])]
    for clip in doc["clips"]:
        rows = [_row(r["label"], r, md) for r in doc["results"] if r["clip"] == clip["name"]]
        title = (f"{clip['name']} ({clip['width']}x{clip['height']} {clip['pix_fmt']}, "
                 f"{clip['frames']} frames, raw {clip['raw_bytes']:,} bytes)")
        sections.append((title, rows))
    return sections


def _aligned(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """A plain-text table: the first ``left`` columns flush left, the others flush right."""
    widths = [max(len(c) for c in col) for col in zip(header, *rows)]
    return ["  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in [header, ["-" * w for w in widths]] + rows]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows])


def terminal_table(doc: dict) -> str:
    lines = []
    for title, rows in _rows(doc, md=False):
        lines += ["", title] + _aligned(HEADER, rows, left=1)
    bad = [r for r in doc["results"] if r.get("error") or r.get("exact") is not True]
    for r in bad:
        what = r.get("error") or f"{r.get('mismatch_count')} frame(s) differ, first {r.get('mismatched_frames', [])[:5]}"
        lines.append(f"!!! {r['label']} on {r['clip']}: {'ERROR' if r.get('error') else 'NOT EXACT'}: {what}")
    for c in doc.get("skipped_clips", []):
        lines.append(f"skipped clip {c['path']}: {c['reason']}")
    for s in doc.get("skipped", []):
        lines.append(f"skipped {s['codec']}{' on ' + s['clip'] if s.get('clip') else ''}: {s['reason']}")
    compared = compare.table_rows(doc)
    if compared:
        lines += ["", "NLVC / the classical codecs (exact ones only; same run)"]
        lines += _aligned(compare.HEADER, compared, left=2)
    lines.append("raw = decoded planes in the native pixel format; see --markdown for the method notes")
    return "\n".join(lines[1:])


def _machine_line(m: dict) -> str:
    cores = f"{m.get('physical_cores') or '?'} cores / {m.get('logical_cpus') or '?'} logical CPUs"
    mem = f", {m['memory_bytes'] / (1 << 30):.0f} GiB RAM" if m.get("memory_bytes") else ""
    load = f", load average at start {m['load_average'][0]}" if m.get("load_average") else ""
    libs = ", ".join(f"{k} {m[k]}" for k in ("nlvc", "python", "torch", "av", "ffmpeg", "numpy", "constriction",
                                            "imagecodecs", "libjxl") if m.get(k))
    return f"{m.get('cpu')} ({cores}{mem}{load}); {m.get('platform')}; {libs}"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s"


def _model_line(model: dict) -> str:
    line = f"NLVC model: {model.get('model_id') or 'unknown'}"
    if model.get("weights_sha256"):
        line += f", weights sha256 {model['weights_sha256'][:16]}..."
    if model.get("weights_mtime"):
        line += f", weights file dated {model['weights_mtime']}"
    return line + "."


def _comparison_markdown(doc: dict) -> list[str]:
    rows = compare.table_rows(doc)
    if not rows:
        return []
    return ["## NLVC against the classical codecs of this run", "",
            "NLVC's bytes / the smallest exact classical codec's on the clip (named), / JPEG XL e7's; "
            "NLVC's encode fps (one job) / x265 veryslow's. The geomean row gives the largest size "
            "ratio and the smallest speed ratio in brackets (nlvc_av/bench/compare.py).", ""] + _md_table(
            compare.HEADER, [[f"**{c}**" if r[1].startswith("geomean") and i > 1 else c for i, c in enumerate(r)]
                             for r in rows]) + [""]


def markdown(doc: dict, plot_path: str | None = None, md_path: str | None = None) -> str:
    m = doc["machine"]
    out = ["# NLVC benchmark", "",
           f"Generated {doc['created']}" + (f" (run took {_clock(doc['seconds'])})" if doc.get("seconds") else "")
           + " from the repository root by:", "", "```", doc["command"], "```", "",
           "(`python -m nlvc_av.bench ...` in a checkout without the `nlvc` script.) Run it on an "
           "otherwise idle machine: speeds are wall-clock. `python -m nlvc_av.bench.report BENCH.json "
           "--markdown BENCH.md --plot BENCH.png` renders this page again from the run's JSON.", "",
           f"Machine: {_machine_line(m)}.", "",
           _model_line(doc.get("model") or {}), ""]
    for title, rows in _rows(doc, md=True):
        out += [f"## {title}" if title.startswith("TOTAL") else f"### {title}", ""] + _md_table(HEADER, rows)
        out.append("")
        if title.startswith("TOTAL"):
            if plot_path:
                rel = os.path.relpath(plot_path, os.path.dirname(os.path.abspath(md_path or ".")) if md_path else ".")
                out += [f"![size against encode speed]({Path(rel).as_posix()})", ""]
            out += _comparison_markdown(doc)
            out += ["## Per clip", ""]
    bad = [r for r in doc["results"] if r.get("error") or r.get("exact") is not True]
    if bad:
        out += ["## Failures", ""]
        out += [f"- **{r['label']} on {r['clip']}**: "
                + (r.get("error") or f"NOT EXACT, {r.get('mismatch_count')} frame(s) differ") for r in bad]
        out.append("")
    out += ["## Method", ""] + [f"- {n}" for n in NOTES]
    out += [f"- Skipped {s['codec']}{' on ' + s['clip'] if s.get('clip') else ''}: {s['reason']}."
            for s in doc.get("skipped", [])]
    if doc.get("skipped_clips"):
        out += ["", "## Skipped clips", ""]
        out += [f"- `{c['path']}`: {c['reason']}" for c in doc["skipped_clips"]]
    return "\n".join(out) + "\n"


def write_json(doc: dict, path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- plot


def plot(doc: dict, path: str) -> None:
    """Size (% of raw) against encode speed (frames/s, log x): a large marker per codec for its
    TOTAL, small faded ones for each clip; codecs that are not exact are crossed out in red."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = {"nlvc": "*", "ffv1": "s", "x264": "o", "x265": "D", "jpegxl": "^"}
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, t in enumerate(doc["totals"]):
        if t["enc_fps"] is None or t["percent_of_raw"] is None:
            continue
        color, marker = colors[i % len(colors)], markers.get(t["family"], "o")
        per = [r for r in doc["results"] if r["codec"] == t["codec"] and r.get("enc_fps") and not r.get("error")]
        if len(doc["clips"]) > 1:
            ax.scatter([r["enc_fps"] for r in per], [r["percent_of_raw"] for r in per], s=22,
                       color=color, marker=marker, alpha=0.35, linewidths=0)
        label = t["label"] + ("" if t["exact"] else "  (NOT EXACT)")
        ax.scatter([t["enc_fps"]], [t["percent_of_raw"]], s=130, color=color, marker=marker,
                   edgecolors="red" if not t["exact"] else "black", linewidths=2 if not t["exact"] else 0.6,
                   label=label, zorder=3)
        ax.annotate(t["label"], (t["enc_fps"], t["percent_of_raw"]), textcoords="offset points",
                    xytext=(7, 5), fontsize=7, color=color)
        if not t["exact"]:
            ax.scatter([t["enc_fps"]], [t["percent_of_raw"]], s=200, marker="x", color="red", zorder=4)
    ax.set_xscale("log")
    ax.set_xlabel("encode speed (frames/s, log scale)")
    ax.set_ylabel("size (% of raw)")
    ax.set_title(f"Lossless size vs encode speed, {len(doc['clips'])} clip(s); large = TOTAL, "
                 "small = per clip; better = lower right", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """``python -m nlvc_av.bench.report SAVED.json [--markdown OUT.md] [--plot OUT.png]``: the
    table of a saved run again (and its Markdown / plot), without running anything."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m nlvc_av.bench.report", description=main.__doc__)
    parser.add_argument("json_path")
    parser.add_argument("--markdown")
    parser.add_argument("--plot")
    args = parser.parse_args(argv)
    doc = json.loads(Path(args.json_path).read_text())
    doc["totals"] = totals(doc["results"], len(doc["clips"]))
    if args.plot:
        plot(doc, args.plot)
    if args.markdown:
        Path(args.markdown).write_text(markdown(doc, args.plot, args.markdown))
    print(terminal_table(doc))
    return 0


def check_paths(workdir, outputs: dict) -> None:
    """Before a long run: the --workdir is a folder, and each output's folder exists and may
    be written (OutputError otherwise)."""
    from ..errors import OutputError

    if workdir is not None and not Path(workdir).is_dir():
        raise OutputError(f"--workdir {workdir}: no such directory")
    for flag, path in outputs.items():
        if not path:
            continue
        parent = Path(path).parent
        if not parent.is_dir():
            raise OutputError(f"{flag} {path}: directory '{parent}' does not exist")
        if not os.access(parent, os.W_OK) or (Path(path).exists() and not os.access(path, os.W_OK)):
            raise OutputError(f"{flag} {path}: cannot write there: permission denied")


if __name__ == "__main__":
    sys.exit(main())
