"""Ablations of the entropy model: each registered syntax (and GOP length) on the same frames.

    python -m nlvc_av.bench.ablation CLIP... [--frames N] [--gops 8,32] [--json OUT]

Sizes only (exact payload bytes of ``GopCoder.encode_gop``, every GOP decoded and compared),
in % of the raw planes; speeds are left to ``nlvc bench``. Rows, cumulative:

    0.1 model (gop-v1)                     network mean and class, integer motion
    + candidates and energy contexts (v2)  contexts.py
    + quarter-pel motion (v3)              predict/subpel.py (the default)

each all-intra (GOP 1) and at the GOP lengths asked for.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

ROWS = [("0.1 model (gop-v1)", "nlvc-mdiff-lattice-v1-c32b5"),
        ("+ candidates, energy contexts (gop-v2)", "nlvc-mdiff-lattice-v2-c32b5"),
        ("+ quarter-pel motion (gop-v3)", "nlvc-mdiff-lattice-v3-c32b5")]


def measure(frames, pix_fmt: str, model_id: str, gop: int) -> tuple[int, str]:
    from ..codec import GopCoder

    coder = GopCoder.for_encoding(model_id, 2)
    size, types = 0, ""
    for i in range(0, len(frames), gop):
        chunk = frames[i:i + gop]
        payload, t = coder.encode_gop(chunk, pix_fmt)
        h, w = chunk[0][0].shape
        back = coder.decode_gop(payload, t, pix_fmt, w, h)
        if not all(np.array_equal(a, b) for fa, fb in zip(chunk, back) for a, b in zip(fa, fb)):
            raise SystemExit(f"NOT EXACT: {model_id} GOP {i // gop}")
        size += len(payload)
        types += t
    return size, types


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlvc_av.bench.ablation", description=__doc__.split("\n")[0])
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--frames", type=int, default=None, help="first N frames of each clip")
    ap.add_argument("--gops", default="32", help="GOP lengths besides all-intra (comma-separated)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from ..codec import formats as P
    from ..codec import nets
    from ..io.demux import iter_video_planes

    nets.set_threads(None)
    gops = [1] + [int(g) for g in args.gops.split(",")]
    results = []
    for clip in args.clips:
        info, it = iter_video_planes(clip, max_frames=args.frames)
        frames = list(it)
        raw = sum(p.size for f in frames for p in f)
        name = clip.rsplit("/", 1)[-1]
        coding = P.lookup(info.pix_fmt).coding_pix_fmt
        for label, model_id in ROWS:
            row = {"clip": name, "frames": len(frames), "row": label, "model_id": model_id}
            for g in gops:
                size, types = measure(frames, coding, model_id, g)
                row[f"gop{g}"] = round(100 * size / raw, 3)
                row[f"gop{g}_types"] = types
            results.append(row)
            print(f"{name:26s} {label:40s} " + "  ".join(
                f"{'intra' if g == 1 else f'GOP {g}'} {row[f'gop{g}']:.2f}%" for g in gops), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": " ".join(["python -m nlvc_av.bench.ablation"] + sys.argv[1:]),
                       "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
