"""Codes one plane through the reveal schedule: the masked-diffusion coding loop.

The same function runs for encoding and decoding (``SymbolCoder`` decides which), so the
decoder repeats the encoder's computation step for step: for each level (coarse to fine)
and each group, the network sees the revealed samples (and the reference), gives an integer
mean and a scale class per hidden sample, and the group's residuals are range coded.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..entropy import AdaptiveTables, SymbolCoder
from .lattice import SCHEDULES, TARGETS, network_input, shuffle, unshuffle
from .qnet import IntNet
from .weights import NUM_CLASSES


def _valid_masks(h: int, w: int, hc: int, wc: int) -> dict[int, np.ndarray]:
    """Which cells' H, V, D samples lie inside an h x w lattice (the rest is padding)."""
    rows = np.arange(hc)[:, None]
    cols = np.arange(wc)[None, :]
    h_ok = np.broadcast_to(2 * cols + 1 < w, (hc, wc))
    v_ok = np.broadcast_to(2 * rows + 1 < h, (hc, wc))
    return {1: h_ok, 2: v_ok, 3: h_ok & v_ok}


def _pad_with_anchor(cells: torch.Tensor, h: int, w: int) -> None:
    """Padded samples copy the cell's anchor, which is always known: encoder and decoder agree."""
    if h % 2:
        cells[:, 2, -1, :] = cells[:, 0, -1, :]
        cells[:, 3, -1, :] = cells[:, 0, -1, :]
    if w % 2:
        cells[:, 1, :, -1] = cells[:, 0, :, -1]
        cells[:, 3, :, -1] = cells[:, 0, :, -1]


def top_level(h: int, w: int) -> int:
    """Finest power of two S_top with only sample (0, 0) on the 2*S_top grid."""
    return max(0, math.ceil(math.log2(max(h, w, 2))) - 1)


def code_plane(net: IntNet, tables: AdaptiveTables, coder: SymbolCoder, plane: np.ndarray | None,
               shape: tuple[int, int], chroma: bool, ref: np.ndarray | None, groups: int) -> np.ndarray:
    """Encode ``plane`` (or decode when it is None) and return the plane."""
    h, w = shape
    work = torch.zeros(h, w) if plane is None else torch.from_numpy(plane.astype(np.float32))
    ref_t = None if ref is None else torch.from_numpy(ref.astype(np.float32))
    first = None if plane is None else plane[:1, :1].astype(np.int32).ravel()
    work[0, 0] = float(coder.code_uniform(first, 1, 256)[0])
    for level in range(top_level(h, w), -1, -1):
        s = 2 ** level
        lat = work[::s, ::s]
        lh, lw = lat.shape
        if lh < 2 and lw < 2:
            continue
        cells, _, _ = unshuffle(lat[None])
        _pad_with_anchor(cells, lh, lw)
        ref_cells = None
        if ref_t is not None:
            ref_cells, _, _ = unshuffle(ref_t[::s, ::s][None])
        valid = _valid_masks(lh, lw, cells.shape[2], cells.shape[3])
        for known_set, channels in SCHEDULES[groups]:
            x, base = network_input(cells, known_set, ref_cells, chroma, level)
            out = net(x)
            for ch in channels:
                k = TARGETS.index(ch)
                mask = valid[ch]
                if not mask.any():
                    continue
                mu = torch.clamp(base[0, k] + torch.floor(out[0, k] + 0.5), 0, 255).numpy()[mask]
                cls = torch.clamp(torch.floor(out[0, 3 + k] + 0.5), 0, NUM_CLASSES - 1).numpy()[mask]
                mu = mu.astype(np.int32)
                cls = cls.astype(np.int64)
                symbols = None
                if plane is not None:
                    truth = cells[0, ch].numpy()[mask].astype(np.int32)
                    symbols = (truth - mu + 128) & 255
                symbols = coder.code_group(tables, cls, symbols)
                values = (symbols + mu - 128) & 255
                plane_ch = cells[0, ch].numpy()
                plane_ch[mask] = values
            _pad_with_anchor(cells, lh, lw)
        work[::s, ::s] = shuffle(cells, lh, lw)[0]
    return work.numpy().astype(np.uint8)
