"""Python glue around the compiled plane loop: features, presets, buffers.

    cfg = plane_config(effort=2, n_sides=1, inter=True, bits=8)
    data, bits = encode_plane(plane, sides, cfg, table)
    plane = decode_plane(data, shape, sides, cfg, table)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import rangecoder as rc
from .lsplane import code_plane

#: Causal neighbours (dy, dx), nearest first; the first six also form the texture bits.
OFFSETS = np.array([(0, -1), (-1, 0), (-1, -1), (-1, 1), (0, -2), (-2, 0), (-2, -1), (-2, 1), (-1, -2),
                    (-1, 2), (-2, -2), (-2, 2), (0, -3), (-3, 0), (-1, -3), (-1, 3), (-3, -1), (-3, 1)],
                   np.int64)


@dataclass(frozen=True)
class Effort:
    """One preset of the stage (recorded in files as the number of groups)."""
    own: int            # causal neighbours used (first plane)
    solve_every: int    # refit the weights every k samples
    outer: int          # column window
    inner: int          # doubled inner window
    decay: float = 0.85
    ridge: float = 32.0         # toward the prior, in 8-bit units (scaled by unit^2)
    scale_mul: float = 0.72     # logistic scale per mean |error| of the context
    stat_limit: float = 255.0   # halve a context's sums past this many samples
    wide: float = 4.0           # the mixture's wide component: scale x4 ...
    narrow: int = 15            # ... weighted 1 : 15
    grad_mix: float = 0.0       # energy += grad_mix * local gradient activity
    ref_mix: float = 0.0        # energy += ref_mix * |reference sample - prediction| (P-frames)
    min_scale: float = 0.07     # the narrowest logistic (samples predicted exactly cost ~ -log2 P(|e| < 1/2))
    ls_mix: float = 1.0         # energy += ls_mix * the fit's residual level (sqrt of its weighted mean square)
    chroma_own: int = 12        # causal neighbours of planes 1 and 2 (they have cross-plane features)
    corr_rate: float = 0.0      # ls-v2: the residual corrector's learning rate (0: none, as ls-v1)
    corr_intra: float = 0.0     # ... applied where the scale is at least this (8-bit units), intra planes
    corr_inter: float = 0.0     # ... and planes with references
    corr_floor: float = 0.3     # ... its inputs are differences over max(scale, this)


_TUNED = dict(scale_mul=0.65, narrow=31, wide=3.0, ridge=8.0, grad_mix=0.1, ref_mix=0.25)
#: ls-v1's efforts (frozen: files of nlvc-adaptive-ls-v1 decode with exactly these).
EFFORTS = {1: Effort(12, 4, 10, 3, **_TUNED), 2: Effort(18, 2, 14, 3, **_TUNED), 3: Effort(18, 1, 14, 3, **_TUNED)}
#: ls-v2: the same, with the online residual corrector (corrector.py; docs/ADAPTIVE.md).
_CORRECTOR = dict(corr_rate=0.02, corr_intra=0.0, corr_inter=2.0)
EFFORTS_V2 = {k: replace(e, **_CORRECTOR) for k, e in EFFORTS.items()}
#: ls-v3: the corrector on every sample of every plane (ls-v2 skipped P-frame samples of scale
#: below 2 levels: measured 0.3-0.5 % worse than none, on the H.264-decoded clip as well).
EFFORTS_V3 = {k: replace(e, corr_inter=0.0) for k, e in EFFORTS_V2.items()}
#: ls-v4: ls-v3's efforts; its four-reference P-frame modes (references.MODES_V4) take
#: ``MANY_REFS_OWN`` causal neighbours on the planes they reach (on calendar as good as 18, and
#: the fit stays as fast as three references with 18).
EFFORTS_V4 = dict(EFFORTS_V3)
MANY_REFS_OWN = 12
#: ls-v5: ls-v4's efforts, except that the planes of a frame of at least ``LARGE_FRAME`` luma
#: samples (1080p and up) refit their weights ``LARGE_SOLVE_FACTOR`` times less often (1080p
#: blue_sky, 4 frames: default +0.16 % bytes for 1.29x the speed, fast +0.30 % for 1.18x;
#: docs/ADAPTIVE.md). Smaller frames are coded exactly as ls-v4 codes them.
EFFORTS_V5 = dict(EFFORTS_V4)
LARGE_FRAME = 1 << 20
LARGE_SOLVE_FACTOR = 2
#: ls-v6: ls-v5's efforts (its new parts: the coding order, the block prediction and its point
#: mass: stage.py, blockpred.py, lsplane.py).
EFFORTS_V6 = dict(EFFORTS_V5)
#: ls-v7: ls-v6's (it chooses the coding order per mini-GOP: ordered.py).
EFFORTS_V7 = dict(EFFORTS_V6)
#: ls-v8: ls-v7's (it adds HEVC's edge offsets to the block prediction's luma: sao.py).
EFFORTS_V8 = dict(EFFORTS_V7)
#: ls-v9: ls-v8's (it adds value tables, valuetables.py, and the exact-value mass, exactmass.py).
EFFORTS_V9 = dict(EFFORTS_V8)
#: ls-v10: ls-v9's (it plans the coding order per window: planner.py).
EFFORTS_V10 = dict(EFFORTS_V9)
#: ls-v11: ls-v10's (it adds H.264's interpolation to the block prediction: h264pred.py).
EFFORTS_V11 = dict(EFFORTS_V10)
#: The efforts of each syntax version of the stage.
VERSIONS = {1: EFFORTS, 2: EFFORTS_V2, 3: EFFORTS_V3, 4: EFFORTS_V4, 5: EFFORTS_V5, 6: EFFORTS_V6, 7: EFFORTS_V7,
            8: EFFORTS_V8, 9: EFFORTS_V9, 10: EFFORTS_V10, 11: EFFORTS_V11}


def large_frame(luma_shape) -> bool:
    """Whether a frame with this luma plane counts as large (ls-v5's slower refits)."""
    return luma_shape[0] * luma_shape[1] >= LARGE_FRAME


def energy_thresholds() -> np.ndarray:
    return np.array([0.35 * 1.32 ** k for k in range(24)], np.float64)


THRESHOLDS = energy_thresholds()


@dataclass(frozen=True)
class PlaneConfig:
    effort: Effort
    own: int
    n_sides: int
    prior: np.ndarray
    maxval: int
    ref_at: int = -1     # feature index of the reference sample (P-frames), -1 without one

    def arrays(self):
        e = self.effort
        icfg = np.array([self.maxval, e.solve_every, e.outer, e.inner, self.ref_at], np.int64)
        unit = float((self.maxval + 1) >> 8) if self.maxval >= 255 else 1.0
        corr_at = (e.corr_inter if self.ref_at >= 0 else e.corr_intra) * unit
        fcfg = np.array([e.decay, e.ridge * unit * unit, float((self.maxval + 1) // 2), unit, e.scale_mul,
                         e.stat_limit, e.wide, float(e.narrow), e.grad_mix, e.ref_mix, e.min_scale, e.ls_mix,
                         e.corr_rate, corr_at, e.corr_floor * unit], np.float64)
        return icfg, fcfg


def plane_config(effort: int, n_sides: int, inter: bool, bits: int, chroma: bool = False,
                 version: int = 1, large: bool = False) -> PlaneConfig:
    """``inter``: the first side plane is a reference frame; ``chroma``: planes 1 and 2 of a
    3-plane frame (fewer own neighbours); ``version``: the stage's syntax (VERSIONS);
    ``large``: the plane belongs to a large frame (``large_frame``; ls-v5 on)."""
    e = VERSIONS[version][effort]
    if version >= 5 and large:
        e = replace(e, solve_every=e.solve_every * LARGE_SOLVE_FACTOR)
    own = min(e.own, e.chroma_own) if chroma else e.own
    if version >= 4 and inter and n_sides >= 4 and not chroma:
        own = min(own, MANY_REFS_OWN)
    prior = np.zeros(own + 9 * n_sides, np.float64)
    if inter:
        prior[own + 4] = 1.0          # the reference sample itself
    else:
        prior[0], prior[1], prior[2] = 0.75, 0.75, -0.5   # W, N, NW
    return PlaneConfig(e, own, n_sides, prior, (1 << bits) - 1, own + 4 if inter else -1)


def pad_sides(sides: list[np.ndarray]) -> np.ndarray:
    """The side planes stacked, each edge-padded by one (their 3x3 reaches one beyond)."""
    if not sides:
        return np.zeros((1, 1, 1), np.int32)
    return np.stack([np.pad(s.astype(np.int32), 1, mode="edge") for s in sides])


def _run(plane, sides, cfg: PlaneConfig, table, decoding, buf, spike=0):
    icfg, fcfg = cfg.arrays()
    if spike:
        icfg = np.append(icfg, int(spike))
    bits = np.zeros(1, np.float64)
    enc = rc.encoder_state()
    dec = rc.decoder_state(buf) if decoding else np.zeros(4, np.int64)
    code_plane(plane, pad_sides(sides), len(sides), OFFSETS, cfg.own, cfg.prior, icfg, fcfg,
               THRESHOLDS, table, enc, dec, buf, decoding, bits)
    return enc, float(bits[0])


def encode_plane(plane: np.ndarray, sides: list[np.ndarray], cfg: PlaneConfig, table,
                 spike: int = 0) -> tuple[bytes, float]:
    """The plane's range-coded bytes and their ideal code length in bits. ``spike``: a learnt
    point mass, 1 (ls-v6, True) on the first side plane's sample (lsplane.py), 2 / 3 (ls-v9) on
    the median predictor / the first side plane's sample (exactmass.py)."""
    src = np.ascontiguousarray(plane, np.int32)
    size = 5 * src.size + 64
    while True:
        buf = np.zeros(size, np.uint8)
        enc, bits = _run(src, sides, cfg, table, False, buf, spike)
        n = rc.finish(enc, buf)
        if n <= size:
            return buf[:n].tobytes(), bits
        size = n + 64


def decode_plane(data: bytes, shape, sides: list[np.ndarray], cfg: PlaneConfig, table,
                 spike: int = 0) -> np.ndarray:
    plane = np.zeros(shape, np.int32)
    _run(plane, sides, cfg, table, True, np.frombuffer(data, np.uint8).copy(), spike)
    return plane
