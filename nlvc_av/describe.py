"""``nlvc info``: everything a file says about itself, as a dict (``--json``) or as text.

Read from the header and a scan of the clusters (:func:`nlvc_av.session.scan`): no decoding,
no torch, no PyAV. A damaged file is described as far as it can be read, with its damage
report (:mod:`nlvc_av.recovery`): which GOPs and frames are lost, at which byte. ``"-"`` reads
the file from stdin. Text from the file is shown with control characters escaped.
"""
from __future__ import annotations

import os
import sys

import container

from .checks import check_header
from .codec import formats as P
from .recovery import Loss, scan_report
from .session import scan
from .text import escape, plural

# FFmpeg enum names (no av import).
COLOR_RANGES = {0: "unspecified", 1: "tv", 2: "pc"}
COLOR_PRIMARIES = {1: "bt709", 2: "unspecified", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
                   8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
COLOR_TRCS = {1: "bt709", 2: "unspecified", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
              8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
              14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
FIELD_ORDERS = {2: "tt", 3: "bb", 4: "tb", 5: "bt"}  # y4m It = tt, Ib = bb
COLORSPACES = {0: "gbr", 1: "bt709", 2: "unspecified", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
               8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 14: "ictcp"}


def _ratio_str(pair) -> str | None:
    if not pair or not pair[1]:
        return None
    return f"{pair[0]}/{pair[1]}"


class _Counting:
    """A pipe that counts the bytes read from it (the size of a file read from stdin)."""

    def __init__(self, raw):
        self.raw, self.count, self.name = raw, 0, "stdin"

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


def info(path: str) -> dict:
    """Everything ``nlvc info`` reports (``"-"``: the file comes on stdin)."""
    source = _Counting(sys.stdin.buffer) if path == "-" else path
    with container.open(source, "r", salvage=True) as r:  # a damaged Tags or Tracks is reported
        v, setup = r.video_track, r.codec_setup
        check_header(r)
        s = scan(r)
        damage = scan_report(s, setup.gop_size, r.head_errors)
        tb = v.time_base
        raw = s.frames * P.raw_frame_bytes(v.pix_fmt, v.width, v.height)
        size = source.count if path == "-" else os.path.getsize(path)
        rate = v.frame_rate
        return {
            "file": path,
            "file_bytes": size,
            "format_version": ".".join(str(x) for x in r.version),
            "app": r.info.app,
            "codec": {
                "model_id": setup.model_id,
                "weights_sha256": setup.weights_sha256,
                "weights_embedded": len(setup.model_weights),
                "token_map": setup.token_map,
                "groups": setup.groups,
                "gop_size": setup.gop_size,
                "coder_params": dict(setup.coder_params or {}),
            },
            "video": {
                "track": v.number,
                "width": v.width,
                "height": v.height,
                "pix_fmt": v.pix_fmt,
                "bit_depth": v.bit_depth,
                "time_base": _ratio_str(tb),
                "frame_rate": _ratio_str(rate),
                "fps": round(rate[0] / rate[1], 6) if rate and rate[1] else None,
                "sample_aspect_ratio": _ratio_str(v.sample_aspect_ratio) if v.sample_aspect_ratio and v.sample_aspect_ratio[0] else None,
                "color_range": COLOR_RANGES.get(v.color_range, str(v.color_range)),
                "color_primaries": COLOR_PRIMARIES.get(v.color_primaries, str(v.color_primaries)),
                "color_trc": COLOR_TRCS.get(v.color_trc, str(v.color_trc)),
                "colorspace": COLORSPACES.get(v.colorspace, str(v.colorspace)),
                "frames": s.frames,
                "gops": s.gops,
                "frame_types": s.frame_types,
                "duration_s": float(s.duration * tb[0] / tb[1]) if s.duration is not None and tb[1] else None,
                "raw_bytes": raw,
                "payload_bytes": s.payload_bytes,
                "ratio": round(raw / s.payload_bytes, 4) if s.payload_bytes else None,
                "bits_per_sample": round(8 * P.lookup(v.pix_fmt).sample_bytes * s.payload_bytes / raw, 4)
                if raw else None,
                "field_order": FIELD_ORDERS.get(v.field_order),
            },
            "streams": [
                {
                    "track": t.number,
                    "kind": t.kind,
                    "codec": t.codec_name,
                    "time_base": _ratio_str(t.time_base),
                    "params": {k: val for k, val in (t.params or {}).items()},
                    **s.packets.get(t.number, {"packets": 0, "bytes": 0}),
                }
                for t in r.other_tracks
            ],
            "tags": {k: val for k, val in (r.tags or {}).items()},
            "file_ratio": round(raw / size, 4) if size else None,
            "damage": damage.as_dict() if damage.damaged else None,
        }


def info_text(d: dict) -> str:
    """The human-readable form of :func:`info`."""
    v, c = d["video"], d["codec"]
    embedded = f", weights embedded ({c['weights_embedded']:,} bytes)" if c.get("weights_embedded") else ""
    lines = [
        f"file      {d['file']}  ({d['file_bytes']:,} bytes, .nlvc {d['format_version']}, written by {d['app']})",
        f"codec     model {c['model_id']} (weights {c['weights_sha256'][:16]}...{embedded}), token map {c['token_map']}, "
        f"{c['groups']} groups, GOP {c['gop_size']}",
        f"video     {v['width']}x{v['height']} {v['pix_fmt']} {v['bit_depth']}-bit, "
        + (f"{v['fps']:g} fps, " if v["fps"] else "")
        + f"time base {v['time_base']}"
        + (f", SAR {v['sample_aspect_ratio']}" if v["sample_aspect_ratio"] else "")
        + (f", interlaced ({v['field_order']})" if v.get("field_order") else ""),
        f"colour    range {v['color_range']}, primaries {v['color_primaries']}, transfer {v['color_trc']}, "
        f"matrix {v['colorspace']}",
        f"frames    {v['frames']} in {plural(v['gops'], 'GOP')}"
        + (" (" + ", ".join(f"{n} {t}" for t, n in sorted(v["frame_types"].items())) + ")"
           if v["frame_types"] else "")
        + (f", {v['duration_s']:.3f} s" if v["duration_s"] is not None else ""),
        f"size      raw {v['raw_bytes']:,} bytes -> coded video {v['payload_bytes']:,} bytes"
        + (f" ({v['ratio']:.2f}:1, {v['bits_per_sample']:.3f} bits/sample)" if v["ratio"] else ""),
    ]
    for s in d["streams"]:
        p = s["params"]
        desc = [s["kind"], s["codec"]]
        if p.get("sample_rate"):
            desc.append(f"{p['sample_rate']} Hz")
        if p.get("layout") or p.get("channels"):
            desc.append(str(p.get("layout") or f"{p['channels']} ch"))
        if p.get("tag:language"):
            desc.append(f"language {p['tag:language']}")
        lines.append(f"track {s['track']:<3} {' '.join(desc)}: {plural(s['packets'], 'packet')}, "
                     f"{s['bytes']:,} bytes")
    for key, value in d["tags"].items():
        lines.append(f"tag       {key} = {value}")
    damage = d.get("damage")
    if damage:
        lost = damage["lost_gops"]
        lines.append(f"damage    {plural(len(lost), 'GOP')} lost" + (f" ({', '.join(map(str, lost))})" if lost else "")
                     + f"; {plural(damage['intact_frames'], 'frame')} in {plural(damage['intact_gops'], 'GOP')} intact")
        lines += [f"damage    {Loss(**p).describe()}" for p in damage["problems"]]
    return "\n".join(escape(line) for line in lines)  # text from the file cannot drive the terminal
