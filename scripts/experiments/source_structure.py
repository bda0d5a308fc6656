"""Experiment (docs/ADAPTIVE.md, "The source's own frame structure"): for each frame of a clip
decoded from a lossy file, the share of luma samples ls-v6's block prediction (blocksearch.py,
HEVC's filters) reproduces exactly from the best single frame within 4 either side and from the
best pair (one before, one after): the B-frames of the source stand out as the frames a pair
reproduces far better than any single frame. From the repository root:
    .venv/bin/python scripts/experiments/source_structure.py decoded_set/bus_x265_crf24.y4m [FRAMES]
"""
import sys

import numpy as np

from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import blockpred, blocksearch


def main():
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    _, frames = _frames(sys.argv[1], count)
    bits = 8 if frames[0][0].max() < 256 else 10

    def exact(c, a, b=None):
        pair = (frames[a], frames[b] if b is not None else None, b is not None)
        field = blocksearch.searcher(frames[c][0], pair, bits)(None)
        return float(np.mean(blockpred.predict(field, pair[0], pair[1], bits)[0] == frames[c][0]))

    n = len(frames)
    for c in range(1, n):
        uni = {j: exact(c, j) for j in range(max(0, c - 4), min(n, c + 5)) if j != c}
        bi = {(a, b): exact(c, a, b) for a in range(max(0, c - 4), c) for b in range(c + 1, min(n, c + 5))}
        u = max(uni, key=uni.get)
        line = f"frame {c:2d}: best single {u:2d} {uni[u]:.3f}"
        if bi:
            p = max(bi, key=bi.get)
            line += f"  best pair {p} {bi[p]:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
