"""Experiment (docs/ADAPTIVE.md, "Mixing several predictors"; issue 32): ideal code lengths of
the luma of the first frames of a few clips (I then P, as the shipped encoder codes them) with

  (a)  the shipped stage (nlvc-adaptive-ls-v9, effort 2): its own ideal bits per plane
       (``encode_plane``'s, integer frequencies), and (a') the same per-sample distributions
       (mean, scale) evaluated in floating point, the base the rows below compare against;
  (b)  (a)'s distribution mixed with the stage's at other windows (decay 0.7 / +-8 columns,
       0.95 / +-20) and cheap fixed predictors (MED; in P-frames the first reference's sample,
       each with a scale learnt per energy bin), weights learnt online per energy context:
       a geometric (logistic-domain, paq-style) mixer over the whole alphabet, and a linear one;
  (c)  an APM / SSE on (a)'s distribution by small contexts (W and N against the mean, in
       scales, x the energy bin), learnt online: a mean / scale correction, and a correction
       of the CDF (the histogram of the probability integral transform).

Nothing here reaches a coded byte: the stage codes each luma band through its own
``encode_unit`` (captured, not changed); the per-sample means and scales come from a replica of
``lsplane.code_plane`` in this file (its kind-0 path, the shipped helpers), checked to add up to
the shipped stage's bits exactly. Every mixer and APM restarts per band, as the stage's state does.
From the repository root:

    .venv/bin/python scripts/experiments/mix_ideal.py [--frames 3]
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace

import numpy as np
from numba import njit

from nlvc_av.codec.adaptive import corrector
from nlvc_av.codec.adaptive import planes as PL
from nlvc_av.codec.adaptive import rangecoder as rc
from nlvc_av.codec.adaptive.distribution import code_value
from nlvc_av.codec.adaptive.lsplane import BIAS_BINS, PAD, _energy_bin, _solve
from nlvc_av.codec.adaptive.stage import AdaptiveGop, _crop
from nlvc_av.codec.registry import load
from nlvc_av.io.demux import iter_video_planes

CLIPS = [("foreman_cif_21f.y4m", None), ("bus_cif_17f.y4m", None),
         ("calendar_720x576_41f.mkv", (144, 184))]       # calendar: luma rows 144.., cols 184.., 352x288
WINDOWS = {"B": (0.7, 8), "C": (0.95, 20)}                 # other (decay, +-outer) of the same stage
TOTAL = 65536.0


@njit(cache=True)
def replica(plane, sides, n_sides, offsets, n_own, prior, icfg, fcfg, thresholds, table, enc, buf,
            mu_o, s_o, ebin_o, nb_o, bits_o):
    """lsplane.code_plane (kind 0: no point mass), encoding, with each sample's mean, scale,
    energy bin, neighbours (W, N, NW, NE, the first side plane's sample) and bits written out."""
    h, w = plane.shape
    maxval, solve_every, outer, inner = icfg[0], icfg[1], icfg[2], icfg[3]
    decay, ridge, mid, unit = fcfg[0], fcfg[1], fcfg[2], fcfg[3]
    scale_mul, stat_limit, wide, narrow = fcfg[4], fcfg[5], fcfg[6], fcfg[7]
    grad_mix, ref_mix, min_scale, ls_mix = fcfg[8], fcfg[9], fcfg[10], fcfg[11]
    fit_sigma = 0.0
    corr_rate, corr_threshold, corr_floor = fcfg[12], fcfg[13], fcfg[14]
    w1 = np.zeros((corrector.HIDDEN, corrector.INPUTS), np.float64)
    v1 = np.zeros(corrector.HIDDEN, np.float64)
    hid = np.zeros(corrector.HIDDEN, np.float64)
    xin = np.zeros(corrector.INPUTS, np.float64)
    corrector.start(w1, v1)
    mu_corr = 0.0
    sn = 1.0
    ref_at = icfg[4]
    dec = np.zeros(4, np.int64)
    inv_unit = 1.0 / unit
    d = n_own + 9 * n_sides
    msize = d * (d + 1) // 2 + d + 2
    px = np.empty((h + PAD, w + 2 * PAD), np.float64)
    px[:, :] = mid
    err = np.zeros((h + PAD, w + 2 * PAD), np.float64)
    above = np.zeros((w, msize), np.float64)
    row = np.zeros((w, msize), np.float64)
    win = np.zeros(msize, np.float64)
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
        if y > 0:
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
                if ls_mix != 0.0:
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
            xs = np.int64(plane[y, x])
            xv, bits = code_value(table, enc, dec, buf, False, xs, mu, s, maxval, wide, narrow)
            total_bits += bits
            mu_o[y, x], s_o[y, x], ebin_o[y, x], bits_o[y, x] = mu, s, ebin, bits
            for i in range(4):
                nb_o[i, y, x] = f[i]
            nb_o[4, y, x] = f[ref_at] if ref_at >= 0 else -1.0
            xf = float(xv)
            px[ry, cx] = xf
            if y == 0:
                for k in range(PAD):
                    px[k, cx] = xf
            e = xf - mu
            ae = abs(e)
            if corr_rate != 0.0:
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
            a_in = x + 1 + outer
            a_out = x - outer
            i_in = x + 1 + inner
            i_out = x - inner
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
    return total_bits


@njit(cache=True)
def _sig(t):
    return 1.0 / (1.0 + math.exp(-t)) if t > -700.0 else 0.0


@njit(cache=True)
def pmf(mu, s, wide, narrow, out):
    """ln p(v), v = 0..255, of the stage's mixture (narrow : 1 of scales s and wide s), over the
    values' range, every value at least 1 / 2^16 (as the stage's frequencies)."""
    n = out.size
    cum = np.empty(n + 1)
    for k in range(n + 1):
        b = k - 0.5 - mu
        cum[k] = (narrow * _sig(b / s) + _sig(b / (wide * s))) / (narrow + 1.0)
    den = cum[n] - cum[0]
    keep = 1.0 - n / TOTAL
    for v in range(n):
        d = (cum[v + 1] - cum[v]) / den if den > 0.0 else 1.0 / n
        out[v] = math.log(keep * d + 1.0 / TOTAL)


@njit(cache=True)
def fixed_predictors(x, nb, ebin, s_a, mu_o, s_o):
    """Cheap fixed predictors as distributions: MED of W, N, NW (row 0) and the first side
    plane's sample (row 1; -1 without one), each with scale 0.65 x its running mean |error|
    per energy bin of (a) (halved past 255, as the stage's)."""
    n = x.size
    sums = np.zeros((2, 32))
    cnts = np.zeros((2, 32))
    for t in range(n):
        a, b, c = nb[0, t], nb[1, t], nb[2, t]
        med = min(a, b) if c >= max(a, b) else max(a, b) if c <= min(a, b) else a + b - c
        preds = (med, nb[4, t])
        for m in range(2):
            e = ebin[t]
            mu_o[m, t] = preds[m]
            s = 0.65 * (sums[m, e] + 0.5) / (cnts[m, e] + 0.5) if cnts[m, e] > 0 else s_a[t]
            s_o[m, t] = max(s, 0.07)
            sums[m, e] += abs(x[t] - preds[m])
            cnts[m, e] += 1.0
            if cnts[m, e] > 255.0:
                sums[m, e] *= 0.5
                cnts[m, e] *= 0.5


GEO_SETS = ((0, 1), (0, 1, 2), (0, 1, 2, 3), (0, 1, 2, 3, 4))   # models mixed by rows (b)
N_ROWS = 1 + 3 + 2 * len(GEO_SETS) + 1 + 3 + 2                   # see ROW_NAMES


@njit(cache=True)
def evaluate(x, mus, ss, have, sets, ebin, nb, wide, narrow, lr_geo, lr_lin, lr_sse, apm_limit, bits):
    """Add each row's -log2 p(x) over one band to ``bits``; models: 0 (a), 1 B, 2 C, 3 MED,
    4 the reference's sample (``have[4]``: in P-frames). Rows: (a') (a) in floats; B, C, MED
    alone; per model set of GEO_SETS the geometric mixer, then the linear one; (c1) (a) with
    mean / scale corrected per context; (c2) (a) through the CDF APM, (c2') averaged with its
    input, (c3) the largest geometric mix through the CDF APM; the oracle of the best model
    per sample (a bound, not a code); the best of (a) and MED per sample."""
    n = x.size
    nm = mus.shape[0]
    lp = np.zeros((nm, 256))
    q = np.zeros(256)
    ng = sets.shape[0]
    wg = np.zeros((ng, 7, nm))       # geometric weights per set, per energy context
    zl = np.zeros((ng, 7, nm))       # linear mixer's logits
    for g in range(ng):
        for c in range(7):
            wg[g, c, 0] = 1.0
            zl[g, c, 0] = 2.0
    sse = np.zeros((6 * 25, 2))      # (c1): mean offset (in scales), log scale factor
    kb = 24                          # (c2): bins of the CDF APM, uniform in logit(u) over [-8, 8]
    edges = np.empty(kb + 1)
    for k in range(kb + 1):
        edges[k] = _sig(-8.0 + 16.0 * k / kb)
    edges[0], edges[kb] = 0.0, 1.0
    apm = np.zeros((2, 6 * 9, kb))
    for r in range(2):
        for c in range(6 * 9):
            for k in range(kb):
                apm[r, c, k] = 32.0 * (edges[k + 1] - edges[k])
    p1 = np.zeros(256)
    ln2 = math.log(2.0)
    for t in range(n):
        xv = np.int64(x[t])
        ectx = min(ebin[t] // 4, 5)
        for m in range(nm):
            if have[m]:
                pmf(mus[m, t], ss[m, t], wide, narrow, lp[m])
        row = 0
        bits[row] += -lp[0, xv] / ln2
        row += 1
        for m in (1, 2, 3):
            bits[row] += -lp[m, xv] / ln2
            row += 1
        # (b) geometric mixers: q ~ exp(sum w ln p), one gradient step on -ln q(x)
        for g in range(ng):
            mx = -1e300
            for v in range(256):
                a = 0.0
                for m in range(nm):
                    if have[m] and sets[g, m]:
                        a += wg[g, ectx, m] * lp[m, v]
                q[v] = a
                mx = max(mx, a)
            z = 0.0
            for v in range(256):
                q[v] = math.exp(q[v] - mx)
                z += q[v]
            for v in range(256):
                q[v] /= z
            bits[row] += -math.log(q[xv]) / ln2
            for m in range(nm):
                if have[m] and sets[g, m]:
                    ex = 0.0
                    for v in range(256):
                        ex += q[v] * lp[m, v]
                    wg[g, ectx, m] += lr_geo * (lp[m, xv] - ex)
            if g == ng - 1:
                p1[:] = q[:]
            row += 1
        # (b) linear mixers: q(x) = sum softmax(z)_m p_m(x)
        for g in range(ng):
            mx = -1e300
            for m in range(nm):
                if have[m] and sets[g, m]:
                    mx = max(mx, zl[g, ectx, m])
            tot = 0.0
            for m in range(nm):
                if have[m] and sets[g, m]:
                    tot += math.exp(zl[g, ectx, m] - mx)
            qx = 0.0
            for m in range(nm):
                if have[m] and sets[g, m]:
                    qx += math.exp(zl[g, ectx, m] - mx) / tot * math.exp(lp[m, xv])
            bits[row] += -math.log(qx) / ln2
            for m in range(nm):
                if have[m] and sets[g, m]:
                    pi = math.exp(zl[g, ectx, m] - mx) / tot
                    zl[g, ectx, m] -= lr_lin * pi * (1.0 - math.exp(lp[m, xv]) / qx)
            row += 1
        # (c1) mean and scale of (a) corrected by context: energy x W, N against the mean
        mu, s = mus[0, t], ss[0, t]
        qw = min(4, max(0, np.int64(math.floor((nb[0, t] - mu) / s / 1.5 + 2.5))))
        qn = min(4, max(0, np.int64(math.floor((nb[1, t] - mu) / s / 1.5 + 2.5))))
        c = ectx * 25 + qw * 5 + qn
        mu2 = min(255.49, max(-0.49, mu + s * sse[c, 0]))
        s2 = max(0.07, s * math.exp(sse[c, 1]))
        pmf(mu2, s2, wide, narrow, q)
        bits[row] += -q[xv] / ln2
        row += 1
        zz = min(8.0, max(-8.0, (x[t] - mu2) / s2))
        th = math.tanh(zz / 2.0)
        sse[c, 0] += lr_sse * th * s / s2
        sse[c, 1] += lr_sse * (zz * th - 1.0)
        # (c2) the CDF of (a) through a learnt map G per context (energy x sign3 of W, N - mean)
        cw = 0 if nb[0, t] - mu < -0.5 * s else 2 if nb[0, t] - mu > 0.5 * s else 1
        cn = 0 if nb[1, t] - mu < -0.5 * s else 2 if nb[1, t] - mu > 0.5 * s else 1
        c = ectx * 9 + cw * 3 + cn
        for r in range(2):
            lo = 0.0
            if r == 0:
                for v in range(xv):
                    lo += math.exp(lp[0, v])
                hi = lo + math.exp(lp[0, xv])
                tot = 0.0
                for v in range(256):
                    tot += math.exp(lp[0, v])
            else:
                for v in range(xv):
                    lo += p1[v]
                hi = lo + p1[xv]
                tot = 1.0
            lo, hi = lo / tot, min(1.0, hi / tot)
            px = _apm_mass(apm[r, c], edges, lo, hi)
            if r == 0:
                bits[row] += -math.log(px) / ln2
                bits[row + 1] += -math.log(0.5 * px + 0.5 * (hi - lo)) / ln2
                row += 2
            else:
                bits[row] += -math.log(px) / ln2
                row += 1
            _apm_learn(apm[r, c], edges, lo, hi, apm_limit)
        best = -1e300
        for m in range(nm):
            if have[m]:
                best = max(best, lp[m, xv])
        bits[row] += -best / ln2
        bits[row + 1] += -max(lp[0, xv], lp[3, xv]) / ln2
        row += 2


@njit(cache=True)
def _apm_cum(m, edges, u):
    """The learnt map G(u): bins' masses cumulated, linear in u within a bin (not normalised)."""
    acc = 0.0
    for k in range(m.size):
        if u >= edges[k + 1]:
            acc += m[k]
        else:
            if u > edges[k]:
                acc += m[k] * (u - edges[k]) / (edges[k + 1] - edges[k])
            break
    return acc


@njit(cache=True)
def _apm_mass(m, edges, lo, hi):
    return max((_apm_cum(m, edges, hi) - _apm_cum(m, edges, lo)) / m.sum(), 1e-12)


@njit(cache=True)
def _apm_learn(m, edges, lo, hi, limit):
    """One sample's unit of mass, spread over [lo, hi] in proportion to u; halved past ``limit``."""
    width = hi - lo
    for k in range(m.size):
        a, b = max(lo, edges[k]), min(hi, edges[k + 1])
        if width > 1e-15:
            if b > a:
                m[k] += (b - a) / width
        elif edges[k] <= lo < edges[k + 1]:
            m[k] += 1.0
    if m.sum() > limit:
        m *= 0.5


ROW_NAMES = (["(a') (a)'s distributions in floats", "B alone (decay 0.7, +-8)", "C alone (decay 0.95, +-20)",
              "MED alone (scale per energy bin)"]
             + [f"(b) geometric mix {'+'.join('aBCMR'[m] for m in s)}" for s in GEO_SETS]
             + [f"(b) linear mix {'+'.join('aBCMR'[m] for m in s)}" for s in GEO_SETS]
             + ["(c1) (a), mean / scale corrected per context", "(c2) (a) through a CDF APM per context",
                "(c2') the APM averaged with its input", "(c3) geometric mix a+B+C+M+R through the CDF APM",
                "bound: best single model per sample (oracle)", "bound: best of (a) and MED per sample (oracle)"])


def luma_frames(path: str, n: int, crop) -> list[list[np.ndarray]]:
    """The first n luma planes (8-bit), as one-plane frames (the stage codes luma from luma
    and its references only, so the luma's coding is the same as in the full frame)."""
    _, frames = iter_video_planes(path, max_frames=n)
    out = []
    for planes in frames:
        y = planes[0]
        if crop is not None:
            y = y[crop[0]:crop[0] + 288, crop[1]:crop[1] + 352]
        out.append([np.ascontiguousarray(y, np.int32)])
    return out[:n]


def coded_units(frames):
    """(a): the shipped stage (ls-v9, effort 2) codes the frames as one GOP (I then P): each
    luma band's (frame, unit, plane, config, bits), from its own ``encode_unit``."""
    stage = AdaptiveGop(2, 8, load("nlvc-adaptive-ls-v9").arrays["logistic"], version=9)
    seen = []
    shipped = stage.encode_unit

    def capture(plane, unit):
        data, bits = shipped(plane, unit)
        seen.append((unit, plane, stage._config(unit), bits))
        return data, bits

    stage.encode_unit = capture
    stage.encode(frames, "I" + "P" * (len(frames) - 1))
    return stage.table, [u for u in seen if u[0].plane == 0]


def run_replica(plane, unit, cfg, table):
    a, b = unit.rows
    src = np.ascontiguousarray(plane[a:b], np.int32)
    icfg, fcfg = cfg.arrays()
    sides = _crop(unit.sides, unit.rows)
    h, w = src.shape
    outs = (np.zeros((h, w)), np.zeros((h, w)), np.zeros((h, w), np.int64), np.zeros((5, h, w)), np.zeros((h, w)))
    buf = np.zeros(5 * src.size + 64, np.uint8)
    total = replica(src, PL.pad_sides(sides), len(sides), PL.OFFSETS, cfg.own, cfg.prior, icfg, fcfg, PL.THRESHOLDS, table,
            rc.encoder_state(), buf, *outs)
    return src, outs, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--data", default="../shared/data/bench")
    ap.add_argument("--lr-geo", type=float, default=0.002)
    ap.add_argument("--lr-lin", type=float, default=0.02)
    ap.add_argument("--lr-sse", type=float, default=0.005)
    ap.add_argument("--apm-limit", type=float, default=1024.0)
    args = ap.parse_args()
    sets = np.zeros((len(GEO_SETS), 5), np.int64)
    for g, s in enumerate(GEO_SETS):
        sets[g, list(s)] = 1
    results = {}
    for name, crop in CLIPS:
        frames = luma_frames(f"{args.data}/{name}", args.frames, crop)
        table, units = coded_units(frames)
        if any(u.spike or u.maxval >= 0 for u, *_ in units):
            raise SystemExit(f"{name}: a luma band with a point mass or a value table (not replicated here)")
        shipped = sum(bits for *_, bits in units)
        samples = sum(f[0].size for f in frames)
        rows = np.zeros(N_ROWS)
        for unit, plane, cfg, bits in units:
            x, (mu, s, ebin, nb, _), total = run_replica(plane, unit, cfg, table)
            if total != bits:   # the same sum, in the same order: the same per-sample distributions
                raise SystemExit(f"{name}: the replica's bits {total} are not the stage's {bits}")
            mus, ss = np.zeros((5, x.size)), np.zeros((5, x.size))
            mus[0], ss[0] = mu.ravel(), s.ravel()
            for k, (decay, outer) in enumerate(WINDOWS.values(), 1):
                other = replace(cfg, effort=replace(cfg.effort, decay=decay, outer=outer))
                _, (mu_k, s_k, *_), _ = run_replica(plane, unit, other, table)
                mus[k], ss[k] = mu_k.ravel(), s_k.ravel()
            nbf = nb.reshape(5, -1)
            fixed_predictors(x.ravel().astype(np.float64), nbf, ebin.ravel(), ss[0], mus[3:], ss[3:])
            have = np.array([1, 1, 1, 1, int(unit.inter)], np.int64)
            fcfg = cfg.arrays()[1]
            evaluate(x.ravel().astype(np.float64), mus, ss, have, sets, ebin.ravel(), nbf, fcfg[6], fcfg[7],
                     args.lr_geo, args.lr_lin, args.lr_sse, args.apm_limit, rows)
        results[name] = (shipped / samples, rows / samples)
        print(f"{name}: {len(units)} luma bands, {samples} samples, (a) {shipped / samples:.4f} bits/sample",
              file=sys.stderr, flush=True)
    names = list(results)
    print(f"luma, first {args.frames} frames (I, then P as the stage codes them), bits/sample; in brackets: vs (a') / vs (a)")
    print(f"(lr: geometric {args.lr_geo}, linear {args.lr_lin}, mean/scale {args.lr_sse}; APM limit {args.apm_limit})\n")
    print("| row | " + " | ".join(n.split("_")[0] for n in names) + " |")
    print("|---|" + "---|" * len(names))
    print("| (a) the shipped stage's ideal bits | " + " | ".join(f"{results[n][0]:.4f}" for n in names) + " |")
    for r, label in enumerate(ROW_NAMES):
        cells = [f"{results[n][1][r]:.4f} ({100 * (results[n][1][r] / results[n][1][0] - 1):+.2f} % / "
                 f"{100 * (results[n][1][r] / results[n][0] - 1):+.2f} %)" for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
