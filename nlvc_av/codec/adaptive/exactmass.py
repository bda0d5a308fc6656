"""ls-v9's exact-value mass: a point mass on one candidate value, its weight learnt online.

Synthetic content (test patterns, graphics, flat areas, bars, checkerboards, few-valued planes
after value tables: valuetables.py) repeats its samples exactly, and a continuous distribution
never believes it: rows identical to the row above cost 0.5-3 bits a sample in the plane loop
without it (docs/ADAPTIVE.md). Each sample of a plane gets a point mass on a **candidate**:

- in a plane without references (intra), the median edge detector of JPEG-LS / FFV1:
  median(W, N, W + N - NW) (on the first row W);
- in a plane with references (P-frames, modes 0-9), the first reference's co-located sample.

The mass is a mixture weight pi of (pi: the candidate, 1 - pi: the logistic mixture), learnt per
**context**: how many of the six causal neighbours W, N, NW, NE, WW, NN equalled their own
candidate (0-6) x how many distinct values W, N, NW, NE take (1, 2, 3 or more): 21 contexts.
The weight is estimated online as a mixture weight is by EM: after a sample equal to its
candidate, the context's hits grow by the candidate's share of that value's probability,
r = S / f (S the mass, f the coded frequency of the value, S included), not by 1; so where
the logistic already puts the probability on the candidate (natural content), pi does not
double it (counting hits as 1 cost 3-5 % on camera frames; this costs nothing measurable).

Everything that reaches the coder is integer: hits in 1/4096ths, counts, the mass
S = (hits + 819) * 2^16 // (count * 4096 + 1638) (pi starts at 0.5), limited to
[0, 2^16 - 8 n] by distribution.code_value_mass; both halved past 255 samples.
"""
from __future__ import annotations

import numpy as np
from numba import njit

NEAR = 7                  # 0-6 exact neighbours
SHAPES = 3                # 1, 2, 3+ distinct values among W, N, NW, NE
CONTEXTS = NEAR * SHAPES
ONE = 4096                # a hit's full weight
PRIOR_HIT = 819           # 0.2 x ONE: pi = (hits + 0.2) / (count + 0.4) before any sample
PRIOR_COUNT = 1638        # 0.4 x ONE
COUNT_LIMIT = 255         # halve hits and count past this many samples
TOTAL = 1 << 16
GATE = 0.6                # encoder: planes with at least this share of exact candidates take the mass

#: Candidate kinds (the plane loop's icfg[5]): 2 the median predictor, 3 the first side plane's
#: sample (a reference). (0: none; 1: ls-v6's mass on the block prediction, lsplane.py.)
MEDIAN, REFERENCE = 2, 3


@njit(cache=True)
def candidate(kind, px, sides, y, x, ry, cx, maxval):
    """The sample's candidate value (px: the plane loop's padded samples, ry, cx its position there)."""
    if kind == REFERENCE:
        ref = np.int64(sides[0, y + 1, x + 1])
    else:
        w = np.int64(px[ry, cx - 1])
        if y == 0:
            ref = w
        else:
            n = np.int64(px[ry - 1, cx])
            g = w + n - np.int64(px[ry - 1, cx - 1])
            ref = max(min(w, n), min(max(w, n), g))
    if ref < 0:
        ref = np.int64(0)
    elif ref > maxval:
        ref = np.int64(maxval)
    return ref


@njit(cache=True)
def context(exact, px, ry, cx):
    """How many of W, N, NW, NE, WW, NN equalled their candidate x the distinct values of W, N, NW, NE."""
    near = (exact[ry, cx - 1] + exact[ry - 1, cx] + exact[ry - 1, cx - 1] + exact[ry - 1, cx + 1]
            + exact[ry, cx - 2] + exact[ry - 2, cx])
    a, b, c, d = px[ry, cx - 1], px[ry - 1, cx], px[ry - 1, cx - 1], px[ry - 1, cx + 1]
    distinct = 1
    if b != a:
        distinct += 1
    if c != a and c != b:
        distinct += 1
    if d != a and d != b and d != c:
        distinct += 1
    shape = distinct - 1 if distinct < SHAPES else SHAPES - 1
    return near * SHAPES + shape


@njit(cache=True)
def mass(hits, counts, ctx):
    """The point mass of context ``ctx``, in 2^16ths (before the coder's limit)."""
    return ((hits[ctx] + PRIOR_HIT) * TOTAL) // (counts[ctx] * ONE + PRIOR_COUNT)


@njit(cache=True)
def learn(hits, counts, ctx, hit, freq, spike):
    """After a sample: ``hit`` whether it equalled its candidate, ``freq`` its coded frequency
    (the mass ``spike`` included where it hit)."""
    if hit:
        hits[ctx] += (spike * ONE) // freq
    counts[ctx] += 1
    if counts[ctx] > COUNT_LIMIT:
        hits[ctx] >>= 1
        counts[ctx] >>= 1



def hit_rate(plane: np.ndarray, reference: np.ndarray | None = None, step: int = 4) -> float:
    """Encoder: the share of the plane's samples equal to their candidate (``reference``: the
    first reference's plane; None: the median predictor, the first column left out), on every
    ``step``-th row (from the first, which predicts by W; then rows step, 2 step, ...)."""
    x = np.asarray(plane, np.int64)
    if reference is not None:
        return float(np.mean(x[::step] == np.asarray(reference)[::step]))
    if x.shape[1] < 2:
        return 0.0
    cur, w, n, nw = x[step::step, 1:], x[step::step, :-1], x[step - 1:-1:step, 1:], x[step - 1:-1:step, :-1]
    med = np.maximum(np.minimum(w, n), np.minimum(np.maximum(w, n), w + n - nw))
    hits = np.count_nonzero(med == cur) + np.count_nonzero(x[0, 1:] == x[0, :-1])
    return hits / ((cur.shape[0] + 1) * (x.shape[1] - 1))


def worth(plane: np.ndarray, reference: np.ndarray | None = None) -> bool:
    """Encoder: whether the plane takes the mass (its flag in the frame's table chunk)."""
    return hit_rate(plane, reference) >= GATE
