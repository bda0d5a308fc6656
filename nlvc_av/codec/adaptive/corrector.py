"""The residual corrector of ls-v2 and ls-v3: a small network trained online, sample by sample.

After the least-squares prediction and the bias cancellation give a mean ``mu`` and the
contexts a scale ``s``, a 7-8-1 network corrects the mean:

    inputs   (W - pred, N - pred, NW - pred, NE - pred, ref - pred, mu - pred) / sn, and 1
    hidden   8 softsign units  h = a / (1 + |a|)
    output   mu += sn * (v . h)            (sn = max(s, floor))

and, once the sample is known, one gradient step on its code length (the logistic's
d(-log p)/d mu = -tanh(e / 2s) / s, tanh(z / 2) approximated by z / (2 + |z|)). It starts from
the same fixed weights in every band of every plane (no state crosses a chunk), and uses only
+, -, *, / on doubles, so encoder and decoder compute the same numbers everywhere. ls-v2
applies the correction on P-frames only where s >= 2 levels (an experiment had it lose on
near-exact predictions); ls-v3 everywhere, which the shipped code measured better on every
clip tried (docs/ADAPTIVE.md). -0.9 % on the intra frames of every bench clip.
"""
from __future__ import annotations

import numpy as np
from numba import njit

HIDDEN = 8
INPUTS = 7


@njit(cache=True)
def start(w1, v):
    """The fixed starting weights: a deterministic spread in [-0.3, 0.3], output weights 0."""
    for h in range(HIDDEN):
        v[h] = 0.0
        for k in range(INPUTS):
            w1[h, k] = 0.06 * (((h * 5 + k * 3 + 1) % 11) - 5)


@njit(cache=True)
def correction(w1, v, xin, hid):
    """v . softsign(w1 @ xin); ``hid`` keeps the hidden units for ``learn``."""
    out = 0.0
    for h in range(HIDDEN):
        a = 0.0
        for k in range(INPUTS):
            a += w1[h, k] * xin[k]
        hid[h] = a / (1.0 + abs(a))
        out += v[h] * hid[h]
    return out


@njit(cache=True)
def learn(w1, v, xin, hid, step):
    """One gradient step moving the output by ``step`` (backpropagated through softsign)."""
    for h in range(HIDDEN):
        dh = 1.0 - abs(hid[h])
        gh = step * v[h] * dh * dh
        v[h] += step * hid[h]
        for k in range(INPUTS):
            w1[h, k] += gh * xin[k]
