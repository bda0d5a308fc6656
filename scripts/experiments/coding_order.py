"""Experiment (docs/ADAPTIVE.md, "Measured and not kept"): a GOP coded in another frame order, each
frame with the nearest coded frames (either side, the past first on ties) as its earlier frames.
Prints (whole frame, luma) bytes per frame. From the repository root:
    .venv/bin/python scripts/experiments/coding_order.py CLIP FRAMES 0,1,2,3,4 0,4,2,1,3
"""
import sys, time
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.registry import load
path = sys.argv[1]; n = int(sys.argv[2]); orders = [list(map(int, o.split(","))) for o in sys.argv[3:]]
info, frames = _frames(path, n)
from nlvc_av.codec.formats import lookup
stage = AdaptiveGop(2, lookup(info.pix_fmt).bit_depth, load("nlvc-adaptive-ls-v5").arrays["logistic"], version=5)
stage.threads = 2
for order in orders:
    t = time.time(); coded = []; sizes = {}
    for f in order:
        ks = sorted(coded, key=lambda c: (abs(c - f), c > f))
        earlier = [frames[c] for c in reversed(ks)]
        chunks = stage.encode_frames([frames[f]], 1 if earlier else 0, earlier)
        sizes[f] = (sum(len(c) for c in chunks), sum(len(c) for c in (chunks[1:3] if earlier else chunks[0:2]))); coded.append(f)
    print(order, sizes, sum(v[0] for v in sizes.values()), f"{time.time()-t:.1f}s", flush=True)
