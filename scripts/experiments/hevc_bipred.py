"""Experiment (docs/ADAPTIVE.md, "Measured and not kept"): luma of frame c predicted per 8x8 block
by the best of HEVC's uni-prediction from frame a, from frame b, and their bi-prediction average
(vectors +-1 pel around the stage's 16x16 vector, hevc_search.py's compiled search, no joint
refinement), against the stage's own bilinear 16x16 prediction. Prints the share of exact
samples and the luma bytes the stage codes with that prediction as its one reference.
From the repository root:
    .venv/bin/python scripts/experiments/hevc_bipred.py ../shared/data/wild/fall_1080p_hevc_yuv420p10_hlg.mov
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from hevc_search import search, stack  # noqa: E402
from nlvc_av.bench.adaptive_ablation import _frames  # noqa: E402
from nlvc_av.codec.adaptive import motionsearch  # noqa: E402
from nlvc_av.codec.adaptive.planes import encode_plane, plane_config  # noqa: E402
from nlvc_av.codec.predict import subpel  # noqa: E402
from nlvc_av.codec.registry import load  # noqa: E402


def report(label, cur, pred, table):
    hh, ww = pred.shape
    r = pred - cur[:hh, :ww].astype(np.int64)
    cfg = plane_config(2, 1, True, 10, version=5, large=True)
    luma = encode_plane(cur[:hh], [pred[:hh].astype(np.int32)], cfg, table)[1] / 8
    print(f"  {label}: exact {np.mean(r == 0):.3f} mean|r| {np.abs(r).mean():.3f} luma bytes {luma:,.0f}", flush=True)


def main():
    table = load("nlvc-adaptive-ls-v5").arrays["logistic"]
    _, frames = _frames(sys.argv[1], 5)
    for c, a, b in [(4, 0, 0), (2, 0, 4), (1, 0, 2)]:
        t = time.time()
        cur = frames[c][0]
        va = motionsearch.estimate(cur, frames[a][0])
        vb = motionsearch.estimate(cur, frames[b][0])
        print(f"frame {c} from {a},{b}", flush=True)
        hh, ww = (cur.shape[0] // 8) * 8, (cur.shape[1] // 8) * 8
        report("bilinear 16x16 (the stage's, from a)", cur, subpel.compensate(frames[a][0], va)[:hh, :ww], table)
        pred, kind = search(cur.astype(np.int64), stack(frames[a][0]), stack(frames[b][0]),
                            va.astype(np.int64), vb.astype(np.int64), 8, 4, 0)
        report(f"HEVC 8x8, blocks uni-a/uni-b/bi {[round(float(np.mean(kind == k)), 2) for k in range(3)]}",
               cur, pred, table)
        print(f"  ({time.time() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
