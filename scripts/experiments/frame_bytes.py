"""Experiment (docs/ADAPTIVE.md, "The planned order"): bytes per frame (and per chunk: order,
tables, side, bands) of a clip coded as one GOP by one syntax version (10 and up), one thread.
From the repository root:
    .venv/bin/python scripts/experiments/frame_bytes.py CLIP FRAMES 11
"""
import sys, time
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import ordered
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.registry import load
from nlvc_av.codec.formats import lookup
path = sys.argv[1]; n = int(sys.argv[2]); v = int(sys.argv[3])
info, frames = _frames(path, n)
stage = AdaptiveGop(2, lookup(info.pix_fmt).bit_depth, load(f"nlvc-adaptive-ls-v{v}").arrays["logistic"], version=v)
stage.threads = 1
per = {}
_ef = ordered._encode_frame
def _wrap(stage, i, source, have, chunks, trials, progress=None, chosen=None):
    n0 = len(chunks); b0 = sum(len(c) for c in chunks)
    _ef(stage, i, source, have, chunks, trials, progress, chosen)
    per[i] = (sum(len(c) for c in chunks) - b0, [len(c) for c in chunks[n0:]])
ordered._encode_frame = _wrap
t = time.time()
chunks = ordered.encode(stage, frames, 0, [], "all")
print(sum(len(c) for c in chunks), f"{time.time()-t:.1f}s")
for i in sorted(per): print(i, per[i])
