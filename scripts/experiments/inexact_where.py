"""Experiment (docs/ADAPTIVE.md, "What is still open"): where the block prediction of frame 1 from
frames 0 and 2 (HEVC's filters, the encoder's search) misses: the share of inexact luma
samples by row and column within 8x8 blocks and at 16/32/64 grid edges, the share of wholly
exact 8x8 blocks, and the differences. From the repository root:
    .venv/bin/python scripts/experiments/inexact_where.py decoded_set/blue_sky_x265_crf24.y4m
"""
import sys
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import blockpred, blocksearch
info, frames = _frames(sys.argv[1], 3)
c, a, b = 1, 0, 2
pair = (frames[a], frames[b], True, 0)
field = blocksearch.searcher(frames[c][0], pair, 8)(None)
pred = blockpred.predict(field, frames[a], frames[b], 8, 0)[0]
bad = pred != frames[c][0]
h, w = bad.shape
print("inexact", bad.mean())
m = bad[:h//8*8, :w//8*8].reshape(h//8, 8, w//8, 8)
print("by row in 8x8 block", np.round(m.mean(axis=(0, 2, 3)), 4))
print("by col in 8x8 block", np.round(m.mean(axis=(0, 1, 2)), 4))
blk = m.mean(axis=(1, 3))
print("blocks fully exact", (blk == 0).mean(), "blocks >50% bad", (blk > 0.5).mean())
d = (pred.astype(int) - frames[c][0])[bad]
print("diff hist", np.unique(np.clip(d, -5, 5), return_counts=True))
# by 16x16 / 32 / 64 grid position
for g in (16, 32, 64):
    mm = bad[:h//g*g, :w//g*g].reshape(h//g, g, w//g, g)
    r = mm.mean(axis=(0, 2, 3)); cc = mm.mean(axis=(0, 1, 2))
    print(g, "edge rows", np.round(r[[0, 1, 2, g-3, g-2, g-1]], 4), "mid", np.round(r[g//2], 4), "edge cols", np.round(cc[[0, 1, 2, g-3, g-2, g-1]], 4), "mid", np.round(cc[g//2], 4))
