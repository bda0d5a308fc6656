"""The plane's probability model between the network and the range coder.

``PlainModel`` (syntax gop-v1): the network's mean and scale class, as they are.

``CandidateModel`` (syntax gop-v2, inter planes): every hidden sample gets several integer
predictions (*candidates*): the motion-compensated reference, the network's mean and an
edge-directed interpolation of the known lattice neighbours. Each candidate's error is
remembered at every coded sample, so a sample's known neighbours (the 8 lattice neighbours
at the current stride) say how reliable each candidate is *here*: the mean is the
candidates blended with weights 1 / (2 * error + n)^2, or the first candidate outright when
it made no error at any known neighbour (the reference in a still region). The context is
the network's scale class refined by the neighbours' error energy (10 buckets), each with
its own adaptive table, so still regions reach near-certain distributions.

``IntraBlend`` (gop-v2, intra planes): the network's mean blended with the edge-directed
candidate on luma, and no energy buckets: intra tables live one GOP (often one frame) and
ten times as many contexts adapt too slowly there (measured: docs/MODEL.md, "gop-v2").

Everything is integer arithmetic on values both sides know: the decoder computes the same
numbers.
"""
from __future__ import annotations

import numpy as np

from .schedule import D

NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
#: bucket = [e > 0] + #{T : 2 e >= T n} for the smallest neighbour error sum e over n neighbours
ENERGY_STEPS = (1, 2, 3, 5, 8, 12, 20, 32)
BUCKETS = 2 + len(ENERGY_STEPS)
WEIGHT_ONE = 1 << 30


class PlainModel:
    """gop-v1: the network's mean and class."""

    buckets = 1

    def __init__(self, shape, ref, chroma=False):
        pass

    def start(self, value: int) -> None:
        pass

    def prepare(self, ch, ys, xs, s, mu, cls):
        return mu, cls

    def record(self, ys, xs, values) -> None:
        pass


class CandidateModel:
    """gop-v2: candidates weighted by their errors at known neighbours, energy contexts."""

    buckets = BUCKETS
    edi_luma = True     # which planes get the edge-directed candidate
    edi_chroma = True

    def __init__(self, shape: tuple[int, int], ref: np.ndarray | None, chroma: bool = False):
        self.shape = shape
        self.ref = None if ref is None else ref.astype(np.int64)
        self.use_edi = self.edi_chroma if chroma else self.edi_luma
        n = (ref is not None) + 1 + self.use_edi
        self.values = np.zeros(shape, np.int64)
        self.known = np.zeros(shape, bool)
        self.errors = np.zeros((n,) + shape, np.int64)
        self._last = None

    def start(self, value: int) -> None:
        """The first sample (0, 0), coded flat: known, no candidate error."""
        self.values[0, 0] = value
        self.known[0, 0] = True

    def _edi(self, ch: int, ys, xs, s, fallback):
        """Edge-directed interpolation: the mean of the known pair with the smaller difference."""
        h, w = self.shape

        def at(y, x):  # mirror past the border onto the pair partner's side
            y = np.where(y >= h, y - 2 * s, np.where(y < 0, y + 2 * s, y))
            x = np.where(x >= w, x - 2 * s, np.where(x < 0, x + 2 * s, x))
            y, x = np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)
            return self.values[y, x], self.known[y, x]

        if ch == D:
            pairs = (((-s, -s), (s, s)), ((-s, s), (s, -s)))
        else:
            pairs = (((0, -s), (0, s)), ((-s, 0), (s, 0)))
        means, diffs = [], []
        for (dy0, dx0), (dy1, dx1) in pairs:
            v0, k0 = at(ys + dy0, xs + dx0)
            v1, k1 = at(ys + dy1, xs + dx1)
            means.append(np.where(k0 & k1, (v0 + v1 + 1) >> 1, -1))
            diffs.append(np.where(k0 & k1, np.abs(v0 - v1), 1 << 20))
        best = np.where(diffs[0] <= diffs[1], means[0], means[1])
        return np.where(best >= 0, best, fallback)

    def prepare(self, ch, ys, xs, s, mu, cls):
        """(mean, context) for the samples at (ys, xs) of stride s."""
        mu = mu.astype(np.int64)
        cands = [] if self.ref is None else [self.ref[ys, xs]]
        cands.append(mu)
        if self.use_edi:
            cands.append(self._edi(ch, ys, xs, s, mu))
        cands = np.stack(cands)
        h, w = self.shape
        sums = np.zeros((len(cands), ys.size), np.int64)
        count = np.zeros(ys.size, np.int64)
        for dy, dx in NEIGHBOURS:
            yy, xx = ys + dy * s, xs + dx * s
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            yy, xx = np.where(inside, yy, 0), np.where(inside, xx, 0)
            k = inside & self.known[yy, xx]
            sums += np.where(k, self.errors[:, yy, xx], 0)
            count += k
        den = 2 * sums + np.maximum(count, 1)
        weights = WEIGHT_ONE // (den * den)
        total = weights.sum(axis=0)
        mean = ((weights * cands).sum(axis=0) + total // 2) // total
        mean = np.where(sums[0] == 0, cands[0], mean)
        self._last = cands
        if self.buckets == 1:
            return mean.astype(np.int32), cls.astype(np.int64)
        e = sums.min(axis=0)
        bucket = (e > 0).astype(np.int64)
        for step in ENERGY_STEPS:
            bucket += 2 * e >= step * count
        bucket = np.where(count > 0, bucket, 0)
        return mean.astype(np.int32), cls.astype(np.int64) * BUCKETS + bucket

    def record(self, ys, xs, values) -> None:
        """The group's decoded samples: known now, with every candidate's error."""
        values = values.astype(np.int64)
        self.values[ys, xs] = values
        self.known[ys, xs] = True
        self.errors[:, ys, xs] = np.abs(values[None] - self._last)


class IntraBlend(CandidateModel):
    buckets = 1
    edi_chroma = False

