"""NLVC against the classical codecs of the same run: the ratios a size claim is made of.

For every clip and every NLVC configuration that decoded exactly: its bytes over the smallest
exact classical codec's on that clip (FFV1, x264, x265, JPEG XL, whichever ran), over JPEG XL
e7's, and its encode frames/s over x265 veryslow's; then each configuration's geometric mean
and largest ratio over the clips. A codec that was not exact, or failed, is never the
reference. Computed from the results alone, so a saved JSON document gives them again.
"""

from __future__ import annotations

import math

__all__ = ["comparison", "table_rows", "HEADER"]

SPEED_PEER = "x265-veryslow"
INTRA_PEER = "jpegxl"

HEADER = ["NLVC", "clip", "/ best classical peer", "/ JPEG XL e7", "enc fps / x265 veryslow"]


def _good(r: dict | None) -> bool:
    return r is not None and not r.get("error") and r.get("exact") is True and bool(r.get("bytes"))


def _summary(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"geomean": math.exp(sum(map(math.log, values)) / len(values)), "min": min(values),
            "max": max(values), "clips": len(values)}


def comparison(doc: dict) -> list[dict]:
    """One record per NLVC configuration (in the order the results first name it): ``codec``,
    ``label``, ``clips`` (per clip: ``clip``, ``best_peer`` (label), ``vs_best``, ``vs_jpegxl``,
    ``speed_vs_x265``; None where there is nothing to compare with) and ``summary`` (the same
    three keys: ``geomean``, ``min``, ``max``, ``clips`` over the clips that have the ratio; or None)."""
    by = {(r["clip"], r["codec"]): r for r in doc["results"]}
    keys = list(dict.fromkeys(r["codec"] for r in doc["results"] if r["family"] == "nlvc"))
    out = []
    for key in keys:
        label, rows = next(r["label"] for r in doc["results"] if r["codec"] == key), []
        for clip in doc["clips"]:
            ours = by.get((clip["name"], key))
            if not _good(ours):
                continue
            peers = [r for r in doc["results"] if r["clip"] == clip["name"] and r["family"] != "nlvc" and _good(r)]
            best = min(peers, key=lambda r: r["bytes"], default=None)
            jxl, x265 = by.get((clip["name"], INTRA_PEER)), by.get((clip["name"], SPEED_PEER))
            rows.append({
                "clip": clip["name"], "best_peer": best["label"] if best else None,
                "vs_best": ours["bytes"] / best["bytes"] if best else None,
                "vs_jpegxl": ours["bytes"] / jxl["bytes"] if _good(jxl) else None,
                "speed_vs_x265": (ours["enc_fps"] / x265["enc_fps"]
                                  if _good(x265) and ours.get("enc_fps") and x265.get("enc_fps") else None),
            })
        summary = {k: _summary([r[k] for r in rows if r[k] is not None])
                   for k in ("vs_best", "vs_jpegxl", "speed_vs_x265")}
        out.append({"codec": key, "label": label, "clips": rows, "summary": summary})
    return out


def _cell(v, best: str | None = None) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" + (f" ({best})" if best else "")


def _summary_cell(s: dict | None, what: str) -> str:
    return "-" if s is None else f"{s['geomean']:.3f} ({what} {s[what]:.3f})"


def table_rows(doc: dict) -> list[list[str]]:
    """The comparison as table rows (HEADER's columns): each clip, then the geometric mean
    (with the largest ratio; the smallest for speed, where less is worse)."""
    rows = []
    for c in comparison(doc):
        for r in c["clips"]:
            rows.append([c["label"], r["clip"], _cell(r["vs_best"], r["best_peer"]), _cell(r["vs_jpegxl"]),
                         _cell(r["speed_vs_x265"])])
        s = c["summary"]
        if c["clips"]:
            rows.append([c["label"], f"geomean of {len(c['clips'])}", _summary_cell(s["vs_best"], "max"),
                         _summary_cell(s["vs_jpegxl"], "max"), _summary_cell(s["speed_vs_x265"], "min")])
    return rows
