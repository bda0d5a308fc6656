"""Experiment (docs/ADAPTIVE.md, "The planned order"): the block field of one frame from one or two
others, searched as the encoder does (blocksearch.py) with HEVC's (0) or H.264's (1)
interpolation: exact samples per plane, the field's bytes and its kinds. SPEC is c,a,b (frame
c from a and b; b "-": from a alone). From the repository root:
    .venv/bin/python scripts/experiments/field_exact.py CLIP FRAMES FAMILY 1,0,2 3,2,-
"""
import sys, time
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import blockpred, blocksearch
path = sys.argv[1]; n = int(sys.argv[2]); family = int(sys.argv[3])
info, frames = _frames(path, n)
bits = 8
for spec in sys.argv[4:]:
    c, a, b = (int(x) if x != "-" else None for x in spec.split(","))
    pair = (frames[a], frames[b] if b is not None else None, b is not None and b - c == c - a, family)
    t = time.time()
    field = blocksearch.searcher(frames[c][0], pair, bits)(None)
    sb = frames[b] if b is not None else frames[a]
    pred = blockpred.predict(field, frames[a], sb, bits, family)
    ex = [float(np.mean(p == q)) for p, q in zip(pred, frames[c])]
    fb = len(blockpred.encode_field(*field, None, bits))
    print(spec, "exact", " ".join(f"{e:.3f}" for e in ex), "field", fb, "kinds", np.bincount(field[0].ravel(), minlength=3), f"{time.time()-t:.1f}s", flush=True)
