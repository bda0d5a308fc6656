"""Experiment (docs/ADAPTIVE.md, "Video decoded from HEVC"): what ls-v6..v8's parts give on the
HEVC clip. Frame 4 from frame 0 and frame 2 from frames 0 and 4 (the source's own references):
the block search's (blocksearch.py) share of exact samples per plane, the block field's bytes,
and the stage's luma bytes with the block prediction as its one reference: plain, with the
point mass (ls-v6), with the luma's edge offsets (ls-v8), and the edge offsets' exact share
with band offsets too and on chroma (not kept). From the repository root:
    .venv/bin/python scripts/experiments/hevc_exact.py ../shared/data/wild/fall_1080p_hevc_yuv420p10_hlg.mov
"""
import sys
import time

import numpy as np

from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import blockpred, blocksearch, sao
from nlvc_av.codec.adaptive.planes import encode_plane, plane_config
from nlvc_av.codec.registry import load


def main():
    table = load("nlvc-adaptive-ls-v8").arrays["logistic"]
    _, frames = _frames(sys.argv[1], 5)
    cfg = plane_config(2, 1, True, 10, version=8, large=True)
    for c, a, b in [(4, 0, None), (2, 0, 4)]:
        t = time.time()
        cur = frames[c]
        pair = (frames[a], frames[b] if b is not None else None, b is not None)
        field = blocksearch.searcher(cur[0], pair, 10)(None)
        preds = blockpred.predict(field, pair[0], pair[1], 10)
        exact = " / ".join(f"{np.mean(p == q):.3f}" for p, q in zip(preds, cur))
        print(f"frame {c} from {a},{b}: exact Y/U/V {exact}, kinds {np.bincount(field[0].ravel(), minlength=3)}, "
              f"field {len(blockpred.encode_field(*field)):,} bytes ({time.time() - t:.0f} s)", flush=True)
        y = cur[0].astype(np.int32)
        plain = encode_plane(y, [preds[0]], cfg, table)[1] / 8
        spike = encode_plane(y, [preds[0]], cfg, table, spike=True)[1] / 8
        offsets = sao.fit(y, preds[0], 10)
        edge = sao.filtered(preds[0], offsets, 10)
        both = encode_plane(y, [edge], cfg, table, spike=True)[1] / 8
        print(f"  luma bytes: plain {plain:,.0f}, point mass {spike:,.0f} ({spike / plain - 1:+.1%}), "
              f"+ edge offsets {both:,.0f} ({both / spike - 1:+.1%}; exact {np.mean(preds[0] == y):.3f} -> "
              f"{np.mean(edge == y):.3f}, {np.mean(offsets[0] > 0):.2f} of the 64x64 blocks)", flush=True)


if __name__ == "__main__":
    main()
