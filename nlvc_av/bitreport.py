"""``nlvc stats``: where the bits of an ``.nlvc`` file go (the encoder's bit report).

Every GOP is decoded once more with a probe (:mod:`nlvc_av.codec.bits`) that adds each coded
group's ideal code length under its labels; the report gives bits per sample by frame type,
plane and intra/inter, by reveal level, the side information (vectors, plane modes, first
samples), and the cost of every frame. The ideal lengths add up to the payload within the
range coder's overhead (shown as ``coder_overhead_bits``).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

import container

from .codec import formats as P
from .session import coder_for_setup


def _rows(totals: dict, names: list[str]) -> list[dict]:
    rows = []
    for key, (bits, n) in sorted(totals.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        row = dict(zip(names, key))
        row.update(bits=round(bits, 1), symbols=n, bits_per_symbol=round(bits / n, 4) if n else None)
        rows.append(row)
    return rows


def bit_report(path: str, max_gops: int | None = None) -> dict:
    from .codec.bits import BitProbe

    probe = BitProbe()
    payload_bytes = frames = 0
    with container.open(path, "r") as r:
        v = r.video_track
        coder = coder_for_setup(r.codec_setup)
        fmt = P.lookup(v.pix_fmt)
        offset = 0
        for cluster in r.iter_clusters():
            if max_gops is not None and cluster.index >= max_gops:
                break
            probe.at(frame=0)
            inner = BitProbe()
            coder.probe_gop(cluster.payload, cluster.frame_types, fmt.coding_pix_fmt, v.width, v.height, inner)
            for key, (bits, n) in inner.records.items():
                shifted = (key[0] + offset,) + key[1:]  # frames numbered across the file
                entry = probe.records[shifted]
                entry[0] += bits
                entry[1] += n
            offset += len(cluster.frame_pts)
            frames += len(cluster.frame_pts)
            payload_bytes += len(cluster.payload)
        model_id = r.codec_setup.model_id
    samples = frames * (P.raw_frame_bytes(fmt, v.width, v.height) // fmt.sample_bytes)  # samples, not bytes
    total_bits = sum(b for b, _ in probe.records.values())
    planes = [t for t in probe.totals(["frame_type", "plane", "mode"]).items() if t[0][1] != "side"]
    side = probe.totals(["frame_type", "plane", "part"])
    return {
        "file": path, "model_id": model_id, "frames": frames, "samples": samples,
        "payload_bytes": payload_bytes, "ideal_bits": round(total_bits, 1),
        "coder_overhead_bits": round(8 * payload_bytes - total_bits, 1),
        "bits_per_sample": round(8 * payload_bytes / samples, 4) if samples else None,
        "by_frame_type_plane_mode": _rows(dict(planes), ["frame_type", "plane", "mode"]),
        "by_plane_level": _rows({k: v for k, v in probe.totals(["plane", "part"]).items() if k[0] != "side"},
                                ["plane", "part"]),
        "side_information": _rows({k: v for k, v in side.items() if k[1] == "side" or k[2] == "first sample"},
                                  ["frame_type", "plane", "part"]),
        "by_frame": _rows(probe.totals(["frame", "frame_type"]), ["frame", "frame_type"]),
    }


def report_text(d: dict) -> str:
    lines = [f"{d['file']}: {d['frames']} frames, model {d['model_id']}, {d['bits_per_sample']} bits/sample "
             f"({d['payload_bytes']:,} payload bytes; range coder overhead {d['coder_overhead_bits']:.0f} bits)"]
    lines.append("frame type / plane / mode      bits/sample   share")
    total = d["ideal_bits"] or 1
    for r in d["by_frame_type_plane_mode"]:
        lines.append(f"  {r['frame_type']:2s} plane {r['plane']} {r['mode']:6s}          {r['bits_per_symbol']:.4f}   "
                     f"{100 * r['bits'] / total:5.1f} %")
    lines.append("plane / level                  bits/sample   share")
    for r in d["by_plane_level"]:
        lines.append(f"  plane {r['plane']} {r['part']:14s}      {r['bits_per_symbol']:.4f}   {100 * r['bits'] / total:5.1f} %")
    side = sum(r["bits"] for r in d["side_information"])
    lines.append(f"side information (vectors, plane modes, first samples): {side:,.0f} bits "
                 f"({100 * side / total:.2f} %)")
    lines.append("frame: bits/sample  " + "  ".join(f"{r['frame']}{r['frame_type']}:{r['bits'] / max(1, d['samples'] // max(1, d['frames'])):.3f}"
                                              for r in d["by_frame"]))
    return "\n".join(lines)


@click.command("stats", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("file", metavar="FILE.nlvc")
@click.option("--json", "json_path", default=None, metavar="OUT.json", help="Also write the report as JSON ('-': stdout).")
@click.option("--max-gops", type=click.IntRange(1), default=None, help="Only the first N GOPs.")
def stats_command(file, json_path, max_gops):
    """Where the bits go: bits per sample by frame type, plane, level, side information and frame
    (decodes the file once more, measuring every coded group's ideal code length)."""
    from .cli_base import CliError, _errors

    with _errors("nlvc stats"):
        if not Path(file).is_file():
            raise CliError(f"{file}: no such file")
        d = bit_report(file, max_gops=max_gops)
        if json_path == "-":
            click.echo(json.dumps(d, indent=1))
            return
        click.echo(report_text(d))
        if json_path:
            Path(json_path).write_text(json.dumps(d, indent=1) + "\n")
