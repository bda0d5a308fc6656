"""The compiled plane loop of the adaptive stage: local least squares, contexts, coding.

One function codes (or decodes) a plane in raster order. Per sample:

1. features: the plane's causal neighbours at ``offsets`` and the 3x3 around the same
   position of each side plane (a reference frame, the co-located luma, U for V);
2. prediction: weights from a weighted least-squares fit over the nearest coded samples,
   refitted every ``solve_every`` samples: per-column sums of w f f^T and w f x, rows above
   decayed by ``decay``, a +-``outer`` column window plus a doubled +-``inner`` one, each
   training sample weighted 1 / (1 + its local error energy), ridge ``ridge`` toward ``prior``;
   the solve is a Cholesky factorisation written as loops (no BLAS);
3. bias cancellation by context (6 texture bits x 8 energy bins);
4. a logistic-mixture distribution whose scale is the running mean |error| of the sample's
   energy context (``distribution.code_value``), coded by the range coder in this loop;
   ls-v6's mode 10 adds a learnt point mass on the block prediction's sample, ls-v9 one on a
   candidate value in every other plane (exactmass.py).

Encoder and decoder run this same function; only where x comes from differs. Every float
operation is IEEE double without fastmath and in a fixed order, so both compute the same
numbers on every machine.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import corrector, exactmass
from .distribution import code_value, code_value_mass, code_value_spike

PAD = 3                 # causal offsets reach 3 samples up, left and right
BIAS_BINS = 8           # energy bins of the bias contexts
SPIKE_BINS = 3          # ls-v6: bins of |reference - mu| / scale of the point-mass contexts


@njit(cache=True)
def _energy_bin(energy, thresholds):
    k = 0
    while k < thresholds.size and energy > thresholds[k]:
        k += 1
    return k


@njit(cache=True)
def _solve(acc, d, ridge, prior, chol, weights):
    """weights = (A + ridge I)^-1 (b + ridge prior), A and b packed in ``acc``.

    Cholesky, then the two triangular solves. Every sum takes its terms in the order of the
    textbook loops (k ascending), but independent sums are interleaved so that they do not
    wait on one another: a column's rows in blocks of eight, each diagonal reduced by
    L[i, k]^2 as soon as L[i, k] exists, the forward solve column by column. Same numbers."""
    p = 0
    for i in range(d):
        for j in range(i + 1):
            chol[i, j] = acc[p]
            p += 1
    for i in range(d):
        chol[i, i] += ridge
        weights[i] = acc[p + i] + ridge * prior[i]
    for j in range(d):
        s = chol[j, j]  # A[j, j] + ridge - sum over k < j of L[j, k]^2, in the order of k
        if s <= 1e-9:
            s = 1e-9
        s = np.sqrt(s)
        chol[j, j] = s
        inv = 1.0 / s
        i = j + 1
        while i + 7 < d:
            t0, t1, t2, t3 = chol[i, j], chol[i + 1, j], chol[i + 2, j], chol[i + 3, j]
            t4, t5, t6, t7 = chol[i + 4, j], chol[i + 5, j], chol[i + 6, j], chol[i + 7, j]
            for k in range(j):
                c = chol[j, k]
                t0 -= chol[i, k] * c
                t1 -= chol[i + 1, k] * c
                t2 -= chol[i + 2, k] * c
                t3 -= chol[i + 3, k] * c
                t4 -= chol[i + 4, k] * c
                t5 -= chol[i + 5, k] * c
                t6 -= chol[i + 6, k] * c
                t7 -= chol[i + 7, k] * c
            t0, t1, t2, t3, t4, t5, t6, t7 = t0 * inv, t1 * inv, t2 * inv, t3 * inv, t4 * inv, t5 * inv, t6 * inv, t7 * inv
            chol[i, j], chol[i + 1, j], chol[i + 2, j], chol[i + 3, j] = t0, t1, t2, t3
            chol[i + 4, j], chol[i + 5, j], chol[i + 6, j], chol[i + 7, j] = t4, t5, t6, t7
            chol[i, i] -= t0 * t0
            chol[i + 1, i + 1] -= t1 * t1
            chol[i + 2, i + 2] -= t2 * t2
            chol[i + 3, i + 3] -= t3 * t3
            chol[i + 4, i + 4] -= t4 * t4
            chol[i + 5, i + 5] -= t5 * t5
            chol[i + 6, i + 6] -= t6 * t6
            chol[i + 7, i + 7] -= t7 * t7
            i += 8
        while i < d:
            t = chol[i, j]
            for k in range(j):
                t -= chol[i, k] * chol[j, k]
            t = t * inv
            chol[i, j] = t
            chol[i, i] -= t * t
            i += 1
    for k in range(d):  # forward: L y = rhs; y_k leaves its term in every later row at once
        yk = weights[k] / chol[k, k]
        weights[k] = yk
        for i in range(k + 1, d):
            weights[i] -= chol[i, k] * yk
    for i in range(d - 1, -1, -1):  # back: L^T w = y
        t = weights[i]
        for k in range(i + 1, d):
            t -= chol[k, i] * weights[k]
        weights[i] = t / chol[i, i]


@njit(cache=True, nogil=True)  # nogil: bands of a plane run on threads (stage.py)
def code_plane(plane, sides, n_sides, offsets, n_own, prior, icfg, fcfg, thresholds, table,
               enc, dec, buf, decoding, bits_out):
    """Code ``plane`` (int32 H x W; written when decoding). ``sides``: (>=1, H+2, W+2) int32,
    each edge-padded by one; ``icfg`` = [maxval, solve_every, outer, inner, ref_at(, mass kind:
    1 ls-v6's on the first side plane, 2 / 3 ls-v9's on the median / the reference: exactmass.py)];
    ``fcfg`` = [decay, ridge, mid, unit, scale_mul, stat_limit, wide, narrow_weight, grad_mix,
    ref_mix, min_scale, ls_mix, corr_rate, corr_threshold, corr_floor]; ``unit``
    = 2^(bits - 8) puts energies of every bit depth on the 8-bit scale. Returns the ideal code
    length in bits (statistics)."""
    h, w = plane.shape
    maxval, solve_every, outer, inner = icfg[0], icfg[1], icfg[2], icfg[3]
    decay, ridge, mid, unit = fcfg[0], fcfg[1], fcfg[2], fcfg[3]
    scale_mul, stat_limit, wide, narrow = fcfg[4], fcfg[5], fcfg[6], fcfg[7]
    grad_mix, ref_mix, min_scale, ls_mix = fcfg[8], fcfg[9], fcfg[10], fcfg[11]
    fit_sigma = 0.0
    # the residual corrector of ls-v2 / ls-v3 (corrector.py); a learning rate of 0 (ls-v1) leaves it out
    corr_rate, corr_threshold, corr_floor = fcfg[12], fcfg[13], fcfg[14]
    w1 = np.zeros((corrector.HIDDEN, corrector.INPUTS), np.float64)
    v1 = np.zeros(corrector.HIDDEN, np.float64)
    hid = np.zeros(corrector.HIDDEN, np.float64)
    xin = np.zeros(corrector.INPUTS, np.float64)
    corrector.start(w1, v1)
    mu_corr = 0.0
    sn = 1.0
    ref_at = icfg[4]   # feature index of the reference sample (-1: none)
    # ls-v6: a point mass on the first side plane's sample, its weight learnt per context
    # (how many of the causal neighbours W, N, NW, NE, WW, NN equalled theirs x how far it is
    # from mu): video decoded from a lossy codec, where the block prediction is often exact
    # ls-v9: a point mass on a candidate (the median predictor, or a reference's sample), its
    # weight learnt per context in integers (exactmass.py): synthetic and few-valued content
    kind = icfg[5] if icfg.size > 5 else 0
    use_spike = kind == 1
    use_mass = kind >= exactmass.MEDIAN
    exact = np.zeros((h + PAD, w + 2 * PAD), np.int64)
    spike_hit = np.zeros(7 * SPIKE_BINS, np.float64)
    spike_cnt = np.zeros(7 * SPIKE_BINS, np.float64)
    mass_hit = np.zeros(exactmass.CONTEXTS, np.int64)
    mass_cnt = np.zeros(exactmass.CONTEXTS, np.int64)
    inv_unit = 1.0 / unit
    d = n_own + 9 * n_sides
    msize = d * (d + 1) // 2 + d + 2    # packed A, b, then sum w x^2 and sum w
    px = np.empty((h + PAD, w + 2 * PAD), np.float64)
    px[:, :] = mid
    err = np.zeros((h + PAD, w + 2 * PAD), np.float64)
    above = np.zeros((w, msize), np.float64)   # decayed sums of the rows above, per column
    row = np.zeros((w, msize), np.float64)     # this row's sample, per column
    win = np.zeros(msize, np.float64)          # the sums over the current sample's windows
    f = np.empty(d, np.float64)
    chol = np.zeros((d, d), np.float64)
    weights = prior.copy()
    scale_sum = np.zeros(thresholds.size + 1, np.float64)
    scale_cnt = np.zeros(thresholds.size + 1, np.float64)
    bias_sum = np.zeros(64 * BIAS_BINS, np.float64)
    bias_cnt = np.zeros(64 * BIAS_BINS, np.float64)
    total_bits = 0.0
    for y in range(h):
        ry = y + PAD
        if y > 0:  # left pad: the first sample of the row above; right pad: its last
            for k in range(PAD):
                px[ry, k] = px[ry - 1, PAD]
                px[ry - 1, PAD + w + k] = px[ry - 1, PAD + w - 1]
        win[:] = 0.0
        for c in range(0, min(outer + 1, w)):
            for m in range(msize):
                win[m] += above[c, m]
        for c in range(0, min(inner + 1, w)):
            for m in range(msize):
                win[m] += above[c, m]
        for x in range(w):
            cx = x + PAD
            for i in range(n_own):
                f[i] = px[ry + offsets[i, 0], cx + offsets[i, 1]]
            i = n_own
            for sidx in range(n_sides):
                for dy in range(3):
                    for dx in range(3):
                        f[i] = sides[sidx, y + dy, x + dx]
                        i += 1
            if x % solve_every == 0:
                _solve(win, d, ridge, prior, chol, weights)
                if ls_mix != 0.0:  # the fit's own residual level over its window
                    rss = win[msize - 2]
                    base = d * (d + 1) // 2
                    for i in range(d):
                        rss -= weights[i] * win[base + i]
                    fit_sigma = np.sqrt(rss / win[msize - 1]) if rss > 0.0 and win[msize - 1] > 0.0 else 0.0
            pred = 0.0
            for i in range(d):
                pred += weights[i] * f[i]
            if pred < 0.0:
                pred = 0.0
            elif pred > maxval:
                pred = float(maxval)
            energy = (err[ry, cx - 1] + err[ry - 1, cx] + 0.5 * (err[ry - 1, cx - 1] + err[ry - 1, cx + 1])
                      + 0.25 * (err[ry, cx - 2] + err[ry - 2, cx]))
            if grad_mix != 0.0:
                energy += grad_mix * (abs(f[0] - f[2]) + abs(f[1] - f[2]) + abs(f[1] - f[3]))
            energy += ls_mix * fit_sigma
            if ref_at >= 0 and ref_mix != 0.0:
                energy += ref_mix * abs(f[ref_at] - pred)
            ebin = _energy_bin(energy * inv_unit, thresholds)
            tex = 0
            for i in range(6):
                if f[i] > pred:
                    tex |= 1 << i
            bctx = tex * BIAS_BINS + min(ebin // 3, BIAS_BINS - 1)
            mu = pred
            if bias_cnt[bctx] > 0.0:
                mu += bias_sum[bctx] / bias_cnt[bctx]
            if mu < -0.49:
                mu = -0.49
            elif mu > maxval + 0.49:
                mu = maxval + 0.49
            if scale_cnt[ebin] > 0.0:
                s = scale_mul * (scale_sum[ebin] + 0.5 * unit) / (scale_cnt[ebin] + 0.5)
            else:
                s = scale_mul * (energy + unit)
            if corr_rate != 0.0:
                sn = s if s > corr_floor else corr_floor
                xin[0] = (f[0] - pred) / sn
                xin[1] = (f[1] - pred) / sn
                xin[2] = (f[2] - pred) / sn
                xin[3] = (f[3] - pred) / sn
                xin[4] = (f[ref_at] - pred) / sn if ref_at >= 0 else 0.0
                xin[5] = (mu - pred) / sn
                xin[6] = 1.0
                mu_corr = mu + sn * corrector.correction(w1, v1, xin, hid)
                if s >= corr_threshold:
                    mu = mu_corr
                    if mu < -0.49:
                        mu = -0.49
                    elif mu > maxval + 0.49:
                        mu = maxval + 0.49
            if s < min_scale:
                s = min_scale
            ref = np.int64(sides[0, y + 1, x + 1]) if use_spike else np.int64(0)
            sctx = 0
            if use_spike:
                near = (exact[ry, cx - 1] + exact[ry - 1, cx] + exact[ry - 1, cx - 1] + exact[ry - 1, cx + 1]
                        + exact[ry, cx - 2] + exact[ry - 2, cx])
                dist = abs(float(ref) - mu) / s
                sbin = 0 if dist < 0.5 else 1 if dist < 2.0 else 2
                sctx = near * SPIKE_BINS + sbin
                pi = (spike_hit[sctx] + 0.2) / (spike_cnt[sctx] + 0.4)
                xs = np.int64(0) if decoding else np.int64(plane[y, x])
                xv, bits = code_value_spike(table, enc, dec, buf, decoding, xs, mu, s, maxval, wide, narrow,
                                            ref, np.int64(pi * 65536.0))
                total_bits += bits
            elif use_mass:
                cand = exactmass.candidate(kind, px, sides, y, x, ry, cx, maxval)
                mctx = exactmass.context(exact, px, ry, cx)
                xs = np.int64(0) if decoding else np.int64(plane[y, x])
                xv, bits, freq, spike = code_value_mass(table, enc, dec, buf, decoding, xs, mu, s, maxval, wide,
                                                        narrow, cand, exactmass.mass(mass_hit, mass_cnt, mctx))
                total_bits += bits
                hit = 1 if xv == cand else 0
                exact[ry, cx] = hit
                exactmass.learn(mass_hit, mass_cnt, mctx, hit, freq, spike)
            else:
                xs = np.int64(0) if decoding else np.int64(plane[y, x])
                xv, bits = code_value(table, enc, dec, buf, decoding, xs, mu, s, maxval, wide, narrow)
                total_bits += bits
            if decoding:
                plane[y, x] = xv
            xf = float(xv)
            px[ry, cx] = xf
            if use_spike:
                hit = 1 if xv == ref else 0
                exact[ry, cx] = hit
                spike_hit[sctx] += hit
                spike_cnt[sctx] += 1.0
                if spike_cnt[sctx] > stat_limit:
                    spike_hit[sctx] *= 0.5
                    spike_cnt[sctx] *= 0.5
            if y == 0:  # the top pad follows the first row
                for k in range(PAD):
                    px[k, cx] = xf
            e = xf - mu
            ae = abs(e)
            if corr_rate != 0.0:  # one step on -log p of the corrected mean (tanh(z/2) ~ z / (2 + |z|))
                z = (xf - mu_corr) / s
                corrector.learn(w1, v1, xin, hid, corr_rate * (z / (2.0 + abs(z))) * (sn / s))
            err[ry, cx] = ae
            scale_sum[ebin] += ae
            scale_cnt[ebin] += 1.0
            if scale_cnt[ebin] > stat_limit:
                scale_sum[ebin] *= 0.5
                scale_cnt[ebin] *= 0.5
            bias_sum[bctx] += xf - pred
            bias_cnt[bctx] += 1.0
            if bias_cnt[bctx] > stat_limit:
                bias_sum[bctx] *= 0.5
                bias_cnt[bctx] *= 0.5
            # this sample joins the training set, weighted by its neighbours' error energy
            wt = 1.0 / (1.0 + energy * inv_unit)
            p = 0
            for i in range(d):
                fi = wt * f[i]
                for j in range(i + 1):
                    row[x, p] = fi * f[j]
                    p += 1
            for i in range(d):
                row[x, p + i] = wt * f[i] * xf
            row[x, msize - 2] = wt * xf * xf
            row[x, msize - 1] = wt
            # slide the windows to x + 1: this row's samples join, far ones leave
            a_in = x + 1 + outer
            a_out = x - outer
            i_in = x + 1 + inner
            i_out = x - inner
            if a_out >= 0 and a_in < w:  # inside the row: every term (the same sums as below)
                ra, aa, ri, ai = row[a_out], above[a_out], row[i_out], above[i_out]
                na, ni, rx = above[a_in], above[i_in], row[x]
                for m in range(msize):
                    win[m] = win[m] + 2.0 * rx[m] - (ra[m] + aa[m]) - (ri[m] + ai[m]) + na[m] + ni[m]
                continue
            for m in range(msize):
                v = win[m] + 2.0 * row[x, m]
                if a_out >= 0:
                    v -= row[a_out, m] + above[a_out, m]
                if i_out >= 0:
                    v -= row[i_out, m] + above[i_out, m]
                if a_in < w:
                    v += above[a_in, m]
                if i_in < w:
                    v += above[i_in, m]
                win[m] = v
        for c in range(w):
            for m in range(msize):
                above[c, m] = decay * above[c, m] + row[c, m]
    bits_out[0] = total_bits
    return total_bits
