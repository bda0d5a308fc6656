"""ls-v10's encoder: a window's coding order, found from what the block prediction reproduces.

A file decoded from a codec with B-frames was built in the source encoder's own structure:
each B-frame predicted from a pair of frames around it, which the block prediction
(blockpred.py) reproduces exactly for much of the frame (bus from x265 crf 24: 56-83 % of the
luma from the right pair, 25-34 % from the wrong one; docs/ADAPTIVE.md). ls-v7's mini-GOPs of
four did not find that structure (x265's lookahead chose runs of one or two B-frames there).
The planner recovers it level by level, as the source built it from the bottom up: of the
frames still to place, each one between its two neighbours (at most MAX_SPAN apart) is a
B-frame of this level where the pair reproduces it as a decoded frame is reproduced (exact
samples at least PLAN_RATIO times those one off, stage.reproduces' test), neither
neighbour reproduces it unmoved (a still or repeated frame: foreman's frames 7-13 cost 0.6 %
more as B-frames) and neither neighbour was taken at this level; the rest go on to the
next level. What stays are the
anchors, coded one after another; then the B-frames, the highest level first, each from its
pair. Camera content takes no B-frame (its ratio is 0.57-1.03): the sequential order.
"""
from __future__ import annotations

import numpy as np

from . import blockpred, blocksearch, references
from .order import neighbours

MAX_SPAN = 4        # frames a B-frame's pair may lie apart (x265's and x264's B-runs are 1-3)
PLAN_RATIO = 1.5    # exact samples per sample one off for a B-frame (stage.EXACT_RATIO)
STRIPE = 32         # the luma rows scored: the middle trial stripe (stage.TRIAL_STRIPE)
MARGIN = 32         # rows searched above and below it


def reproduction(pred: np.ndarray, cur: np.ndarray, rows) -> tuple[int, int]:
    """(exact samples, samples one off) of a prediction of ``cur`` on ``rows``."""
    r = pred[rows].astype(np.int64) - cur[rows]
    return int(np.count_nonzero(r == 0)), int(np.count_nonzero(np.abs(r) == 1))


def _ratio(cur: np.ndarray, first: np.ndarray, second: np.ndarray, symmetric: bool, bits: int) -> float:
    """Exact samples per sample one off of the block prediction of luma ``cur`` from the pair,
    on the middle stripe, searched on that stripe and MARGIN rows around it (0 where either
    frame unmoved reproduces it: no search)."""
    rows = references.trial_rows(cur.shape[0], STRIPE, 1)
    for still in (first, second):
        exact, off = reproduction(still, cur, rows)
        if exact >= PLAN_RATIO * max(1, off):
            return 0.0
    a = max(0, (int(rows[0]) - MARGIN) // 16 * 16)
    b = min(cur.shape[0], int(rows[-1]) + 1 + MARGIN)
    crop = (cur[a:b], [first[a:b]], [second[a:b]])
    field = blocksearch.searcher(crop[0], (crop[1], crop[2], symmetric), bits)(None)
    pred = blockpred.predict_one(field, crop[1][0], crop[2][0], 0, crop[0].shape, bits)
    exact, off = reproduction(pred, crop[0], rows - a)
    return exact / max(1, off)


def plan(luma: dict, lo: int, hi: int, coded, bits: int, mapper=map) -> list[tuple[int, int, int | None]]:
    """The plan of window (lo, hi]: (frame, first, second) in coding order. ``luma``: the luma
    plane of frames lo .. hi; ``coded``: the frames coded before the window (lo among them)."""
    seq, levels = list(range(lo, hi + 1)), []
    while len(seq) > 2:
        triples = [(seq[j - 1], seq[j], seq[j + 1]) for j in range(1, len(seq) - 1)
                   if seq[j + 1] - seq[j - 1] <= MAX_SPAN]
        ratios = list(mapper(lambda t: _ratio(luma[t[1]], luma[t[0]], luma[t[2]], t[2] - t[1] == t[1] - t[0], bits),
                             triples))
        taken: dict[int, tuple[int, int]] = {}
        pairs: set[int] = set()
        for ratio, (a, c, b) in sorted(zip(ratios, triples), key=lambda x: (-x[0], x[1][1])):
            if ratio >= PLAN_RATIO and c not in pairs and a not in taken and b not in taken:
                taken[c] = (a, b)
                pairs |= {a, b}
        if not taken:
            break
        levels.append(taken)
        seq = [i for i in seq if i not in taken]
    done, out = list(coded), []
    for i in seq[1:]:   # the anchors, one after another
        _, first, second = neighbours(i, done)
        out.append((i, first, second))
        done.append(i)
    for taken in reversed(levels):
        out += [(c, a, b) for c, (a, b) in sorted(taken.items())]
    return out
