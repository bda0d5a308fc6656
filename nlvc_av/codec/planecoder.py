"""Codes one plane through the reveal schedule: the masked-diffusion coding loop.

The same function runs for encoding and decoding (the ``coder`` decides which), so the
decoder repeats the encoder's computation step for step: for each level (coarse to fine)
and each group, the predictor sees the revealed samples (and the reference), gives an
integer mean and a scale class per hidden sample, and the group's symbols are range coded.
"""
from __future__ import annotations

import numpy as np

from .contexts import PlainModel
from .entropy import AdaptiveTables
from .schedule import D, H, SCHEDULES, TARGETS, V, levels, pad_with_anchor, shuffle, unshuffle, valid_masks
from .tokens import TokenMap

OFFSET = {H: (0, 1), V: (1, 0), D: (1, 1)}  # a channel's sample within its 2x2 cell


def code_plane(predictor, tables: AdaptiveTables, coder, tokens: TokenMap, plane: np.ndarray | None,
               shape: tuple[int, int], chroma: bool, ref: np.ndarray | None, groups: int,
               model=PlainModel, probe=None) -> np.ndarray:
    """Encode ``plane`` (or decode when it is None) and return the plane (uint8). ``model`` is
    the probability model's class (:mod:`nlvc_av.codec.contexts`) of the stream's syntax;
    ``probe`` (a :class:`nlvc_av.codec.bits.BitProbe`, or None) is told where the coding is."""
    h, w = shape
    work = np.zeros(shape, np.int32) if plane is None else plane.astype(np.int32)
    first = None if plane is None else work[:1, :1].ravel()
    if probe is not None:
        probe.at(part="first sample")
    work[0, 0] = coder.code_uniform(first, 1, tokens.alphabet)[0]
    pm = model(shape, ref, chroma)
    pm.start(int(work[0, 0]))
    ref32 = None if ref is None else ref.astype(np.int32)
    for level, s in levels(h, w):
        if probe is not None:
            probe.at(part=f"level {level}")
        lat = work[::s, ::s]
        lh, lw = lat.shape
        cells = unshuffle(lat)
        pad_with_anchor(cells, lh, lw)
        ref_cells = None if ref32 is None else unshuffle(ref32[::s, ::s])
        valid = valid_masks(lh, lw, cells.shape[1], cells.shape[2])
        for known_set, channels in SCHEDULES[groups]:
            mu_all, cls_all = predictor.predict(cells, known_set, ref_cells, chroma, level)
            for ch in channels:
                mask = valid[ch]
                if not mask.any():
                    continue
                k = TARGETS.index(ch)
                cy, cx = np.nonzero(mask)
                ys, xs = (2 * cy + OFFSET[ch][0]) * s, (2 * cx + OFFSET[ch][1]) * s
                mu, ctx = pm.prepare(ch, ys, xs, s, mu_all[k][mask], cls_all[k][mask])
                symbols = None if plane is None else tokens.to_symbols(cells[ch][mask], mu)
                symbols = coder.code_group(tables, ctx, symbols)
                values = tokens.to_samples(symbols, mu)
                cells[ch][mask] = values
                pm.record(ys, xs, values)
            pad_with_anchor(cells, lh, lw)
        work[::s, ::s] = shuffle(cells, lh, lw)
    return work.astype(np.uint8 if tokens.bits <= 8 else np.uint16)
