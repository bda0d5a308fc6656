"""Experiment (docs/ADAPTIVE.md, "The planned order"): a clip coded as one GOP by several syntax
versions of the stage (default effort, two band threads), with bytes, times and a decode check.
From the repository root:
    .venv/bin/python scripts/experiments/stage_versions.py CLIP FRAMES 9 10 11
"""
import sys, time
import numpy as np
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.registry import load
from nlvc_av.codec.formats import lookup
path = sys.argv[1]; n = int(sys.argv[2])
info, frames = _frames(path, n)
n = len(frames)   # a clip may have fewer
shapes = [p.shape for p in frames[0]]
for v in map(int, sys.argv[3:]):
    stage = AdaptiveGop(2, lookup(info.pix_fmt).bit_depth, load(f"nlvc-adaptive-ls-v{v}").arrays["logistic"], version=v)
    stage.threads = 2
    t = time.time()
    data = stage.encode(frames, "I" + "P" * (n - 1))
    te = time.time() - t; t = time.time()
    back = stage.decode(data, "I" + "P" * (n - 1), shapes)
    ok = all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    print(f"v{v} {len(data)} enc {te:.1f}s dec {time.time()-t:.1f}s exact {ok}", flush=True)
