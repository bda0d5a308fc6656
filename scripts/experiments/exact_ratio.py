"""Experiment (docs/ADAPTIVE.md, "Video decoded from HEVC"): what the encoder's test for the block
mode (stage.reproduces) sees on each clip: on the middle trial stripe of frame 1 from frame 0,
frame 2 from frames 0 and 4, and frame 4 from frame 0, the block prediction's share of exact luma
samples / of samples one off, and their ratio (the mode is tried from 1.5 on). From the
repository root:
    .venv/bin/python scripts/experiments/exact_ratio.py ../shared/data/bench/*.y4m ../shared/data/wild/*
"""
import sys

import numpy as np

from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import blockpred, blocksearch, references
from nlvc_av.codec.adaptive.stage import TRIAL_STRIPE
from nlvc_av.codec.formats import lookup


def main():
    for path in sys.argv[1:]:
        info, frames = _frames(path, 5)
        bits = lookup(info.pix_fmt).bit_depth
        out = []
        for c, a, b in [(1, 0, None), (2, 0, 4), (4, 0, None)]:
            cur = frames[c][0]
            rows = references.trial_rows(cur.shape[0], TRIAL_STRIPE, 1)
            pair = (frames[a], frames[b] if b is not None else None, b is not None)
            field = blocksearch.searcher(cur, pair, bits)(blocksearch.spans_of(rows))
            pred = blockpred.predict_one(field, frames[a][0], frames[b if b is not None else a][0], 0, cur.shape, bits)
            r = pred[rows].astype(np.int64) - cur[rows]
            zero, one = np.mean(r == 0), np.mean(np.abs(r) == 1)
            out.append(f"{c} from {a},{b}: {zero:.3f} / {one:.3f} = {zero / max(one, 1e-9):.2f}")
        print(path.split("/")[-1], " | ".join(out), flush=True)


if __name__ == "__main__":
    main()
