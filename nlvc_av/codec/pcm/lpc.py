"""Linear prediction of nlvc-pcm-1 (numba).

The prediction that reaches the coder is integer arithmetic on int64 that wraps (two's
complement), the same in encoder and decoder: sample ``i`` of a channel is predicted as
``sum(coefs[j] * x[i-1-j]) >> shift`` for ``i >= order`` and as ``x[i-1]`` (0 for the first)
before that; the residual is ``x[i] - prediction``. Fixed predictors of order 1..4 are the
same with binomial coefficients and shift 0 (order 0 predicts 0).

The encoder's search (:func:`choose`) may use floats: autocorrelation of two windowed copies
(Welch and a trapezoid), Levinson-Durbin for every order up to 32, FLAC's coefficient
quantisation with error feedback, and the exact cost (the sum of the residuals' zigzag bit
lengths plus the header) of the fixed orders and of a ladder of LPC orders. What it decides
is sent as integers.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .bitmodels import bitlen, zigzag

MAX_ORDER = 32
MAX_PRECISION = 15
MAX_SHIFT = 31
LADDER = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 28, 32)
TRIALS = (2, 2, 4)  # the LPC orders tried exactly: Welch, trapezoid, least squares
FIXED = ((0, 0, 0, 0), (1, 0, 0, 0), (2, -1, 0, 0), (3, -3, 1, 0), (4, -6, 4, -1))


@njit(cache=True)
def _prediction(x, i, coefs, order, shift):
    """The prediction of ``x[i]`` from the samples before it (encoder and decoder alike)."""
    if i < order or order == 0:
        return x[i - 1] if i > 0 and order > 0 else 0
    s = 0
    for j in range(order):
        s += coefs[j] * x[i - 1 - j]
    return s >> shift


@njit(cache=True)
def residuals(x, n, coefs, order, shift, out):
    """``out[:n]``: the residuals of ``x[:n]`` under the predictor."""
    for i in range(n):
        out[i] = x[i] - _prediction(x, i, coefs, order, shift)


@njit(cache=True)
def restore(res, n, coefs, order, shift, x):
    """``x[:n]`` from its residuals (the inverse of :func:`residuals`)."""
    for i in range(n):
        x[i] = res[i] + _prediction(x, i, coefs, order, shift)


@njit(cache=True)
def fixed_coefs(order, coefs):
    for j in range(order):
        coefs[j] = FIXED[order][j]


@njit(cache=True)
def cost(res, n) -> int:
    total = 0
    for i in range(n):
        total += bitlen(zigzag(res[i]))
    return total


@njit(cache=True)
def _autocorr(x, n, window, r):
    w = np.empty(n)
    h = (n - 1) / 2.0
    for i in range(n):
        if window == 0:  # Welch
            t = (i - h) / ((n + 1) / 2.0)
            w[i] = x[i] * (1.0 - t * t)
        else:  # trapezoid: a linear taper over the first and last quarter
            edge = min(i + 1, n - i) / (n / 4.0 + 1.0)
            w[i] = x[i] * min(1.0, edge)
    for lag in range(r.size):
        s = 0.0
        for i in range(lag, n):
            s += w[i] * w[i - lag]
        r[lag] = s


@njit(cache=True)
def _levinson(r, maxo, lpc, errs):
    """``lpc[o - 1, :o]``: the predictor of order o for every o <= maxo, ``errs[o]`` its error
    energy (-1 where the recursion broke down)."""
    errs[:] = -1.0
    a = np.zeros(maxo + 1)
    tmp = np.zeros(maxo + 1)
    err = r[0]
    for o in range(1, maxo + 1):
        if err <= 0.0:
            break
        acc = r[o]
        for j in range(1, o):
            acc -= a[j] * r[o - j]
        k = acc / err
        for j in range(1, o):
            tmp[j] = a[j] - k * a[o - j]
        for j in range(1, o):
            a[j] = tmp[j]
        a[o] = k
        err *= 1.0 - k * k
        for j in range(o):
            lpc[o - 1, j] = a[j + 1]
        errs[o] = err


@njit(cache=True)
def _covariance(x, n, maxo, cov):
    """``cov[i, j]`` = sum over t in [maxo, n) of x[t - i] * x[t - j] (i, j <= maxo)."""
    for j in range(maxo + 1):
        s = 0.0
        for t in range(maxo, n):
            s += x[t] * x[t - j]
        cov[0, j] = s
        cov[j, 0] = s
    for i in range(maxo):
        for j in range(i, maxo):
            v = cov[i, j] + x[maxo - 1 - i] * x[maxo - 1 - j] - x[n - 1 - i] * x[n - 1 - j]
            cov[i + 1, j + 1] = v
            cov[j + 1, i + 1] = v


@njit(cache=True)
def _solve(cov, order, out) -> float:
    """The least-squares predictor of ``order`` from the covariances (Cholesky, a little
    ridge) and its error energy; -1 where the matrix is not positive definite."""
    a = np.empty((order, order))
    ridge = 0.0
    for i in range(order):
        ridge += cov[i + 1, i + 1]
    ridge = ridge / order * 1e-10 + 1e-12
    for i in range(order):
        for j in range(order):
            a[i, j] = cov[i + 1, j + 1]
        a[i, i] += ridge
    low = np.zeros((order, order))
    for i in range(order):
        for j in range(i + 1):
            s = a[i, j]
            for m in range(j):
                s -= low[i, m] * low[j, m]
            if i == j:
                if s <= 0.0:
                    return -1.0
                low[i, i] = math.sqrt(s)
            else:
                low[i, j] = s / low[j, j]
    y = np.empty(order)
    for i in range(order):
        s = cov[0, i + 1]
        for m in range(i):
            s -= low[i, m] * y[m]
        y[i] = s / low[i, i]
    for i in range(order - 1, -1, -1):
        s = y[i]
        for m in range(i + 1, order):
            s -= low[m, i] * out[m]
        out[i] = s / low[i, i]
    err = cov[0, 0]
    for i in range(order):
        err -= out[i] * cov[0, i + 1]
    return max(err, 0.0)


@njit(cache=True)
def _quantize(c, order, precision, q) -> int:
    """FLAC's quantisation of ``c[:order]`` to ``precision``-bit integers ``q``: the shift, or
    -1 when the coefficients do not fit."""
    cmax = 0.0
    for j in range(order):
        cmax = max(cmax, abs(c[j]))
    if not cmax > 0.0 or cmax > 1e9:
        return -1
    shift = precision - math.frexp(cmax)[1] - 1
    if shift < 0:
        return -1
    shift = min(shift, MAX_SHIFT)
    qmax = (1 << (precision - 1)) - 1
    error = 0.0
    for j in range(order):
        error += c[j] * (1 << shift)
        v = int(math.floor(error + 0.5))
        v = min(max(v, -qmax - 1), qmax)
        error -= v
        q[j] = v
    return shift


def choose(x, n, best, work) -> int:
    """The cheapest predictor of ``x[:n]``: fills ``best`` (int64[3 + MAX_ORDER]: order,
    precision (0: fixed), shift, coefficients) and returns its cost estimate in bits. Python
    runs the steps (compiled kernels that are not compiled into one another)."""
    cands = np.zeros((5 + sum(TRIALS), 3 + MAX_ORDER), np.int64)  # order, precision, shift, coefficients
    count = min(5, n + 1)
    for order in range(count):
        cands[order, 0] = order
        cands[order, 3:3 + order] = FIXED[order][:order]
    precision = min(MAX_PRECISION, 62 - _top(x, n) - 5)
    maxo = min(MAX_ORDER, n // 4)
    if precision >= 4 and maxo >= 1:
        count = _lpc_candidates(x, n, maxo, precision, cands, count)
    return _pick(x, n, cands, count, best, work)


@njit(cache=True)
def _top(x, n) -> int:
    top = 0
    for i in range(n):
        top = max(top, bitlen(zigzag(x[i])))
    return top


@njit(cache=True)
def _pick(x, n, cands, count, best, work) -> int:
    best_cost = -1
    for c in range(count):
        order, precision, shift = cands[c, 0], cands[c, 1], cands[c, 2]
        residuals(x, n, cands[c, 3:], order, shift, work)
        bits = cost(work, n) + (18 + order * precision if precision else 8)
        if best_cost < 0 or bits < best_cost:
            best_cost = bits
            best[:] = cands[c]
    return best_cost


@njit(cache=True)
def _lpc_candidates(x, n, maxo, precision, cands, count) -> int:
    """Adds to ``cands[count:]`` the LPC predictors worth trying: per method the orders its
    error energies favour (TRIALS), quantised; returns the new count."""
    xf = np.empty(n)
    for i in range(n):
        xf[i] = float(x[i])
    r = np.zeros(maxo + 1)
    lpc = np.zeros((maxo, maxo))
    errs = np.zeros(maxo + 1)
    cov = np.zeros((maxo + 1, maxo + 1))
    _covariance(xf, n, maxo, cov)
    est = np.empty(len(LADDER))
    for method in range(3):  # Welch window, trapezoid window, least squares
        if method < 2:
            _autocorr(xf, n, method, r)
            _levinson(r, maxo, lpc, errs)
        else:
            errs[:] = -1.0
            for order in LADDER:
                if order <= maxo:
                    errs[order] = _solve(cov, order, lpc[order - 1])
        energy = max(r[0] if method < 2 else cov[0, 0], 1e-30)
        for t in range(len(LADDER)):
            order = LADDER[t]
            est[t] = math.inf
            if order <= maxo and errs[order] >= 0.0:
                est[t] = 0.5 * n * math.log2(max(errs[order], 1e-30) / energy) + order * precision
        for _ in range(TRIALS[method]):
            t = 0
            for u in range(len(LADDER)):
                if est[u] < est[t]:
                    t = u
            if est[t] == math.inf:
                break
            est[t] = math.inf
            order = LADDER[t]
            shift = _quantize(lpc[order - 1], order, precision, cands[count, 3:])
            if shift >= 0:
                cands[count, 0], cands[count, 1], cands[count, 2] = order, precision, shift
                count += 1
    return count
