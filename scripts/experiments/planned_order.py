"""Experiment (docs/ADAPTIVE.md, "The planned order"): the plan ls-v10's planner makes for the
first FRAMES frames of a clip as one window (HEVC's interpolation; FAMILIES 0,1 lets it
choose H.264's too), and how well each frame's previous frame reproduces it unmoved. From
the repository root:
    .venv/bin/python scripts/experiments/planned_order.py CLIP FRAMES [0,1]
"""
import sys, time
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import planner, references
path = sys.argv[1]; n = int(sys.argv[2])
info, frames = _frames(path, n)
bits = 8 if frames[0][0].max() < 256 else 10
t = time.time()
families = tuple(int(f) for f in sys.argv[3].split(",")) if len(sys.argv) > 3 else (0,)
print(planner.plan({i: f[0] for i, f in enumerate(frames)}, 0, n - 1, [0], bits, map, families), f"{time.time()-t:.1f}s")
for c in range(1, n):
    cur, prev = frames[c][0], frames[c-1][0]
    rows = references.trial_rows(cur.shape[0], 32, 1)
    e, o = planner.reproduction(prev, cur, rows)
    print(c, f"still {e/max(1,o):.2f} {e/rows.size/cur.shape[1]:.2f}", end="; ")
print()
