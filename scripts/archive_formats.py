"""Every DPX, TIFF and EXR file of RAWcooked's format collection, each as a one-file sequence:
encode, restore into a new folder, compare byte for byte, and measure the coded video against
FFV1 level 3 of the same pixels (the `.mkv` NLVC restores for playback). Writes the table to
docs/ARCHIVE_FORMATS.md and the numbers to docs/archive_formats.json.

    python scripts/archive_formats.py ../shared/data/archive/Formats

A file NLVC refuses is listed with the one-line reason it gave.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import av

from nlvc_av.errors import NlvcError
from nlvc_av.transcode import decode_file, encode_file

SUFFIXES = (".dpx", ".tif", ".tiff", ".exr")


def ffv1_bytes(mkv: Path) -> int:
    with av.open(str(mkv)) as c:
        return sum(p.size for p in c.demux(video=0) if p.size)


def one(path: Path, work: Path, root: Path) -> dict:
    """One file's result; paths (in the reason too) relative to the collection's root."""
    row = {"file": path.relative_to(root).as_posix(), "bytes": path.stat().st_size}
    nlvc = work / "a.nlvc"
    try:
        stats = encode_file(str(path), nlvc, overwrite=True)
    except NlvcError as err:
        return {**row, "result": "refused", "reason": str(err).replace(f"{root}/", "")}
    row |= {"nlvc_bytes": nlvc.stat().st_size, "video_bytes": stats.payload_bytes, "pix_fmt": stats.pix_fmt}
    out = work / f"out{time.monotonic_ns()}"
    decode_file(nlvc, f"{out}/")
    back = out / path.name
    row["result"] = "identical" if back.is_file() and back.read_bytes() == path.read_bytes() else "DIFFERENT"
    try:
        decode_file(nlvc, work / "a.mkv", overwrite=True)
        row["ffv1_bytes"] = ffv1_bytes(work / "a.mkv")
    except NlvcError as err:
        row["ffv1_bytes"] = None
        row["ffv1_error"] = str(err)
    return row


def flavours(rows: list[dict]) -> list[str]:
    """The per-flavour sums (a flavour: the folder a file is in)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(str(Path(r["file"]).parent), []).append(r)
    out = ["", "## By flavour (folder)", "",
           "| flavour | files | restored | source bytes | .nlvc bytes | NLVC video | FFV1 video | NLVC / FFV1 |",
           "|---|---|---|---|---|---|---|---|"]
    for name, group in sorted(groups.items()):
        done = [r for r in group if r["result"] == "identical"]
        video = sum(r["video_bytes"] for r in done)
        ffv1 = sum(r.get("ffv1_bytes") or 0 for r in done)
        ratio = f"{video / ffv1:.3f}" if ffv1 else "-"
        out.append(f"| {name} | {len(group)} | {len(done)} | {sum(r['bytes'] for r in group):,} | "
                   f"{sum(r['nlvc_bytes'] for r in done):,} | {video:,} | {ffv1:,} | {ratio} |")
    return out


def markdown(rows: list[dict]) -> str:
    done = sum(r["result"] == "identical" for r in rows)
    smaller = sum(1 for r in rows if r.get("ffv1_bytes") and r["video_bytes"] < r["ffv1_bytes"])
    with_ffv1 = sum(1 for r in rows if r.get("ffv1_bytes"))
    lines = [
        "# RAWcooked's DPX / TIFF / EXR flavours, each file as a one-file sequence",
        "",
        "Made by `python scripts/archive_formats.py ../shared/data/archive/Formats` (encode with the",
        "defaults, restore into a new folder, compare byte for byte; FFV1 = level 3 of the same pixels,",
        "the `.mkv` NLVC restores for playback, its packets' bytes).",
        "",
        f"**{done} of {len(rows)} restored byte for byte**; NLVC's coded video smaller than FFV1's on "
        f"{smaller} of the {with_ffv1} files FFV1 can store.",
        "",
    ]
    lines += flavours(rows) + [
        "",
        "## Every file",
        "",
        "A file NLVC refuses is named with the one line it gave: a PIZ-compressed EXR is refused because",
        "another compressor's output cannot be made again from the pixels (NLVC reads uncompressed",
        "scan-line EXR). `.nlvc bytes` is the whole file: the pixels coded, plus every byte of the",
        "source that is not pixels (headers, user data, padding), zlib-compressed where that pays.",
        "",
        "| file | bytes | result | pixels | .nlvc bytes | NLVC video | FFV1 video | NLVC / FFV1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = r["file"]
        if r["result"] == "refused":
            lines.append(f"| {name} | {r['bytes']:,} | refused: {r['reason']} | | | | | |")
            continue
        ffv1 = r.get("ffv1_bytes")
        ratio = f"{r['video_bytes'] / ffv1:.3f}" if ffv1 else "FFV1 cannot store it"
        lines.append(f"| {name} | {r['bytes']:,} | {r['result']} | {r['pix_fmt']} | {r['nlvc_bytes']:,} | "
                     f"{r['video_bytes']:,} | {ffv1 or 0:,} | {ratio} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--json", type=Path, default=Path("docs/archive_formats.json"))
    ap.add_argument("--markdown", type=Path, default=Path("docs/ARCHIVE_FORMATS.md"))
    ap.add_argument("--from-json", action="store_true", help="write the Markdown from the JSON of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        args.markdown.write_text(markdown(json.loads(args.json.read_text())))
        return 0
    logging.basicConfig(level=logging.ERROR)
    files = sorted(p for p in args.root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                   and p.parts[len(args.root.parts)] in ("DPX", "TIFF", "EXR"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, path in enumerate(files):
            rows.append(one(path, Path(tmp), args.root))
            r = rows[-1]
            print(f"[{k + 1}/{len(files)}] {r['result']:9s} {path.relative_to(args.root)} {r.get('reason', '')}",
                  file=sys.stderr, flush=True)
    args.json.write_text(json.dumps(rows, indent=1) + "\n")
    args.markdown.write_text(markdown(rows))
    print(markdown(rows).split("\n")[6])
    return 0


if __name__ == "__main__":
    sys.exit(main())
