"""ls-v10's encoder: a window's coding order, found from what the block prediction reproduces.

A file decoded from a codec with B-frames was built in the source encoder's own structure:
each B-frame predicted from a pair of frames around it, which the block prediction
(blockpred.py) reproduces exactly for much of the frame (bus from x265 crf 24: 56-83 % of the
luma from the right pair, 25-34 % from the wrong one; docs/ADAPTIVE.md). ls-v7's mini-GOPs of
four did not find that structure (x265's lookahead chose runs of one or two B-frames there).
The planner recovers it level by level, as the source built it from the bottom up: of the
frames still to place, each one between its two neighbours (at most MAX_SPAN apart) is a
B-frame of this level where the pair reproduces it as a decoded frame is reproduced and
better than its earlier neighbour alone (exact samples per sample one off, stage.reproduces'
measure, from the pair over that from the frame alone: at least PLAN_RATIO), neither
neighbour reproduces it unmoved (a still or repeated frame: foreman's frames 7-13 cost 0.6 %
more as B-frames) and neither neighbour was taken at this level; the rest go on to the
next level. What stays are the anchors, coded one after another; then the B-frames, the
highest level first, each from its pair. Camera content takes no B-frame (its ratio is
0.57-1.03): the sequential order.
"""
from __future__ import annotations

import bisect

import numpy as np

from . import blockpred, blocksearch, motionsearch, references
from .blockpred import HEVC
from .order import neighbours

MAX_SPAN = 4        # frames a B-frame's pair may lie apart (x265's and x264's B-runs are 1-3)
PLAN_RATIO = 1.5    # a B-frame's pair reproduces it this many times better than one frame
STRIPE = 32         # the luma rows scored: the middle trial stripe (stage.TRIAL_STRIPE)
MARGIN = 32         # rows searched above and below it


def reproduction(pred: np.ndarray, cur: np.ndarray, rows) -> tuple[int, int]:
    """(exact samples, samples one off) of a prediction of ``cur`` on ``rows``."""
    r = pred[rows].astype(np.int64) - cur[rows]
    return int(np.count_nonzero(r == 0)), int(np.count_nonzero(np.abs(r) == 1))


def _ratios(cur: np.ndarray, first: np.ndarray, second: np.ndarray, symmetric: bool, bits: int,
            families=(HEVC,)) -> list[float]:
    """Per interpolation family, exact samples per sample one off of the block prediction of
    luma ``cur`` from the pair, over the same from ``first`` alone (where that is above 1):
    what the pair adds. On the middle stripe, searched on that stripe and MARGIN rows around it
    (0 where either frame unmoved reproduces it: no search). Smooth content that any frame
    reproduces well scores low (park_joy from MPEG-2: 2.3-3.6 from the pair, 2.1-2.9 alone);
    a source's B-frames high (bus from x265: 4.0-27 against 0.9-2.0)."""
    rows = references.trial_rows(cur.shape[0], STRIPE, 1)
    for still in (first, second):
        exact, off = reproduction(still, cur, rows)
        if exact >= PLAN_RATIO * max(1, off):
            return [0.0] * len(families)
    a = max(0, (int(rows[0]) - MARGIN) // 16 * 16)
    b = min(cur.shape[0], int(rows[-1]) + 1 + MARGIN)
    c, f, s = cur[a:b], [first[a:b]], [second[a:b]]
    known = [(f, motionsearch.estimate(c, f[0])), (s, motionsearch.estimate(c, s[0]))]
    out = []
    for family in families:
        ratio = []
        for pair in ((f, s, symmetric, family), (f, None, False, family)):
            field = blocksearch.searcher(c, pair, bits, known=known)(None)
            exact, off = reproduction(blockpred.predict_one(field, f[0], pair[1][0] if pair[1] else f[0], 0, c.shape,
                                                            bits, family), c, rows - a)
            ratio.append(exact / max(1, off))
        out.append(ratio[0] / max(1.0, ratio[1]))
    return out


def _take(triples: list, ratios: list) -> dict[int, tuple[int, int, float]]:
    """The B-frames of a level: the best first, none beside one taken or its pair."""
    taken: dict[int, tuple[int, int, float]] = {}
    pairs: set[int] = set()
    for ratio, (a, c, b) in sorted(zip(ratios, triples), key=lambda x: (-x[0], x[1][1])):
        if ratio >= PLAN_RATIO and c not in pairs and a not in taken and b not in taken:
            taken[c] = (a, b, ratio)
            pairs |= {a, b}
    return taken


def plan(luma: dict, lo: int, hi: int, coded, bits: int, mapper=map,
         families=(HEVC,)) -> tuple[list[tuple[int, int, int | None]], int]:
    """The plan of window (lo, hi] ((frame, first, second) in coding order) and its
    interpolation family. ``luma``: the luma plane of frames lo .. hi; ``coded``: the frames
    coded before the window (lo among them); ``families``: those to choose from (ls-v11: HEVC
    and H.264, by the sum of the first level's scores)."""

    def score(t: tuple[int, int, int]) -> list[float]:
        a, c, b = t
        return _ratios(luma[c], luma[a], luma[b], b - c == c - a, bits, families)

    seq, levels, family = list(range(lo, hi + 1)), [], families[0]
    while len(seq) > 2:
        triples = [(seq[j - 1], seq[j], seq[j + 1]) for j in range(1, len(seq) - 1)
                   if seq[j + 1] - seq[j - 1] <= MAX_SPAN]
        scores = list(mapper(score, triples))
        if len(families) > 1:   # the first level decides: the greatest sum of its scores
            k = max(range(len(families)), key=lambda k: (sum(r[k] for r in scores), -k))
            family, families = families[k], (families[k],)
            scores = [[r[k]] for r in scores]
        taken = _take(triples, [r[0] for r in scores])
        if not taken:
            break
        seq = [i for i in seq if i not in taken]
        levels.append(_widened(taken, seq, lambda t: score(t)[0], mapper))
    done, out = list(coded), []
    for i in seq[1:]:   # the anchors, one after another
        _, first, second = neighbours(i, done)
        out.append((i, first, second))
        done.append(i)
    for pairs_of in reversed(levels):
        out += [(c, a, b) for c, (a, b) in sorted(pairs_of.items())]
    return out, family


def _widened(taken: dict, seq: list[int], score, mapper) -> dict[int, tuple[int, int]]:
    """Each B-frame's pair, or one a frame wider on either side (of the frames ``seq`` coded
    before it, at most MAX_SPAN apart) where that reproduces it better: two B-frames in a row
    from one pair (bus from x265 crf 24: frames 1 and 2 both from 0 and 3; frame 2 from 1 and
    3 cost 38.6 KB, from 0 and 3 30.9 KB)."""
    options = []
    for c, (a, b, _) in taken.items():
        j = bisect.bisect(seq, c)   # seq[j - 1] is a, seq[j] is b
        if j >= 2 and b - seq[j - 2] <= MAX_SPAN:
            options.append((seq[j - 2], c, b))
        if j + 1 < len(seq) and seq[j + 1] - a <= MAX_SPAN:
            options.append((a, c, seq[j + 1]))
    best = {c: (ratio, a, b) for c, (a, b, ratio) in taken.items()}
    for ratio, (a, c, b) in zip(mapper(score, options), options):
        if ratio > best[c][0]:
            best[c] = (ratio, a, b)
    return {c: (a, b) for c, (_, a, b) in best.items()}
