"""Experiment (docs/ADAPTIVE.md, "The planned order"): ls-v9's stage made to code a GOP in a given
order, with given block-prediction pairs (what ls-v10 sends), to measure an order before
building its syntax. SPEC: frames after 0 in coding order, ";"-separated, each "i" (6.1.6's
pair) or "i:a-b" (from a and b). From the repository root:
    .venv/bin/python scripts/experiments/explicit_order.py CLIP 16 "5;3:0-5;1:0-3;2:0-3;4:3-5;..."
"""
import sys, time
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import ordered, order as O
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.registry import load
from nlvc_av.codec.formats import lookup
path = sys.argv[1]; n = int(sys.argv[2])
info, frames = _frames(path, n)
stage = AdaptiveGop(2, lookup(info.pix_fmt).bit_depth, load("nlvc-adaptive-ls-v9").arrays["logistic"], version=9)
stage.threads = 2
per = {}
_ef = ordered._encode_frame
def _wrap(stage, i, source, have, chunks, trials, progress=None):
    n0 = sum(len(c) for c in chunks)
    _ef(stage, i, source, have, chunks, trials, progress)
    per[i] = sum(len(c) for c in chunks) - n0
ordered._encode_frame = _wrap
orig_nb = O.neighbours
# spec: "5;3:0-5;1:0-3;2:0-3;4:3-5;9;..." frames in coding order after 0, optional pair
for spec in sys.argv[3:]:
    items = [x.split(":") for x in spec.split(";")]
    order = [int(x[0]) for x in items]
    pairs = {int(x[0]): tuple(map(int, x[1].split("-"))) for x in items if len(x) > 1}
    ordered.mini_gops = lambda s, e: [(0, 1)]
    ordered.within = lambda lo, hi, h: order
    ordered._pays = lambda *a: True
    def nb(i, coded, count=3):
        near, first, second = orig_nb(i, coded, count)
        if i in pairs:
            first, second = pairs[i]
        return near, first, second
    ordered.neighbours = nb
    t = time.time(); per.clear()
    chunks = ordered.encode(stage, frames, 0, [], "all")
    print(spec, sum(len(c) for c in chunks), f"{time.time()-t:.1f}s", flush=True)
    print("per frame:", sorted(per.items()), flush=True)
